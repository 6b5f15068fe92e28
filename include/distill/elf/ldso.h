/* The ELF closure of one object as glibc 2.36's ld.so would compute it inside the image
 * (docs/architecture.md, "ld.so search"): DT_RPATH chain vs DT_RUNPATH, $ORIGIN/$LIB/$PLATFORM,
 * hwcaps subdirectories, ld.so.cache directories (only when the image gets a cache), default dirs,
 * DF_1_NODEFLIB, already-loaded objects matched by SONAME, class and machine checks. */
#ifndef DISTILL_LDSO_H
#define DISTILL_LDSO_H

#include "distill/core/imagens.h"
#include "distill/elf/elf.h"

struct ldso_config {
        int elfclass;            /* of the image's interpreter, e.g. ELFCLASS64 */
        unsigned machine;        /* e.g. EM_X86_64 */
        char *lib_token;         /* $LIB: "lib/x86_64-linux-gnu" */
        struct strvec platforms; /* every value $PLATFORM takes on some CPU of the architecture
                                  * ("haswell", "xeon_phi", "x86_64"): each is searched */
        struct strvec subdirs;   /* tried inside every search dir before the dir itself: what
                                  * any CPU of the architecture searches ("glibc-hwcaps/x86-64-v4",
                                  * …, "tls/haswell/avx512_1/x86_64", …), most capable first */
        struct strvec universal_subdirs; /* the subdirs every CPU searches ("tls", "x86_64"): a
                                          * hit there ends the search on every CPU */
        struct strvec cache_dirs;   /* dirs an image ld.so.cache would list; empty without one */
        struct strvec default_dirs; /* "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib",
                                     * "/usr/lib" */
};

/* One CPU as ld.so sees it, in the terms `ld.so --help` prints. */
#define LDSO_CPU_MAX_NAMES 8
struct ldso_cpu {
        const char *levels[LDSO_CPU_MAX_NAMES]; /* glibc-hwcaps subdirectories it searches, in
                                                 * priority order ("x86-64-v3", "x86-64-v2") */
        size_t n_levels;
        const char *legacy[LDSO_CPU_MAX_NAMES]; /* legacy HWCAP names it searches, in the order
                                                 * `ld.so --help` lists them (highest bit first) */
        size_t n_legacy;
        const char *platform; /* AT_PLATFORM as ld.so uses it ("haswell"), or NULL */
};

/* The subdirectories that CPU's ld.so tries in each search dir, in its order (each once). */
void ldso_cpu_subdirs(const struct ldso_cpu *cpu, struct strvec *out);

/* Fill the configuration glibc uses for a Debian architecture ("amd64", "arm64", "i386", …).
 * Returns DISTILL_EUSAGE for an unknown architecture. */
int ldso_config_for_arch(const char *arch, struct ldso_config *cfg, struct distill_error *err);
void ldso_config_release(struct ldso_config *cfg);

/* Reads the ELF facts of an image path (already resolved to a regular file). Returns 1 for ELF,
 * 0 for not ELF, negative with err set. */
typedef int (*ldso_load_fn)(void *ud, const struct imagens_node *node, struct elf_info *info,
                            struct distill_error *err);

struct ldso_object {
        char *path;             /* the path as ld.so found it (what `ld.so --list` prints) */
        char *real_path;        /* with every symlink resolved: the regular file */
        struct strvec links;    /* symlink entries traversed from path to real_path */
        char *needed_by;        /* path of the object whose DT_NEEDED (or PT_INTERP) found it */
        char *needed_name;      /* the DT_NEEDED string, or "PT_INTERP" */
        struct strvec variants; /* other hwcaps variants of the same name in the same dir
                                 * (their own closure is included in the result too) */
        char *variant_of;       /* NULL, or the path of the object this one is a hwcaps variant
                                 * of (variants are objects too, listed after their primary) */
};

struct ldso_result {
        struct ldso_object *objs; /* load order (breadth first, as ld.so maps them); objs[0] is
                                   * the root object itself; the PT_INTERP object comes last, as
                                   * `ld.so --list` prints it. `path` is the string ld.so builds
                                   * (search dir + name, not normalised: it may hold "..") */
        size_t n;
        char *missing_name; /* set when the result is DISTILL_ERESOLVE: the NEEDED not found */
        char *missing_by;   /* and the object that needs it */
};

/* The closure of `root_path` (an image path). `main_exe` is the program that loads it (its
 * DT_RPATH is searched last in the RPATH chain, as for dlopen from that program), or NULL when
 * root_path is itself the program. A NEEDED found nowhere gives DISTILL_ERESOLVE naming the
 * object that needs it, with res->missing_* set. */
int ldso_closure(const struct ldso_config *cfg, const struct imagens *ns, ldso_load_fn load,
                 void *ud, const char *root_path, const char *main_exe, struct ldso_result *res,
                 struct distill_error *err);
void ldso_result_release(struct ldso_result *res);

#endif
