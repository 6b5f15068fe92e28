/* The interpreter probe (docs/architecture.md, "Python import closure"): runs the image's own
 * interpreter once to learn its builtin and frozen modules, extension suffixes, cache tag, magic
 * number and default sys.path — directly through the image's loader when the architecture matches,
 * under qemu-user otherwise — with a per-version table as the fallback. */
#ifndef DISTILL_PYPROBE_H
#define DISTILL_PYPROBE_H

#include <stdbool.h>
#include "distill/base/error.h"
#include "distill/base/util.h"

/* How to run the image's interpreter from a materialised tree (a host directory holding the
 * image's files at their image paths). */
struct pyrun {
        char *tree;          /* host directory standing for the image root */
        struct strvec argv;  /* program and arguments up to (and including) the interpreter:
                              * [TREE/…/ld-linux-x86-64.so.2, --inhibit-cache, --library-path,
                              * DIRS, TREE/usr/bin/python3.11] or [qemu-aarch64-static, -L,
                              * TREE, TREE/usr/bin/python3.11] or [/usr/bin/python3.11] */
        bool is_host_python; /* argv is a host interpreter with the same magic number */
        bool is_emulated;    /* argv runs the image's interpreter under qemu-user */
};

struct py_probe {
        char *version;               /* "3.11" */
        char *cache_tag;             /* "cpython-311" */
        char *magic_hex;             /* importlib.util.MAGIC_NUMBER as lowercase hex ("a70d0d0a") */
        struct strvec builtin;       /* sys.builtin_module_names */
        struct strvec frozen;        /* _imp._frozen_module_names() (3.11+); before 3.11, the
                                      * modules of sys.modules that _imp.is_frozen says are
                                      * (zipimport, _frozen_importlib…), and in either case the
                                      * frozen ones of `startup` once pyprobe_startup ran */
        struct strvec startup;       /* what a plain start has imported when the program's
                                      * first line runs (sys.modules, sorted; __main__ and
                                      * aliases such as os.path left out): filled by
                                      * pyprobe_startup */
        struct strvec ext_suffixes;  /* importlib.machinery.EXTENSION_SUFFIXES, in order */
        struct strvec sys_path;      /* the default sys.path as image paths, in order, without the
                                      * script directory ("" or its replacement) */
        char *stdlib_dir;            /* "/usr/lib/python3.11" */
        struct strmap codec_aliases; /* encodings.aliases.aliases: alias → module (char *);
                                      * empty when the table answered */
        bool from_table;             /* true when the per-version table answered */
        char *fallback_reason; /* why the interpreter could not answer (from_table), else NULL */
        struct strvec notes;   /* remarks for the build log (sys.path entries dropped, …) */
};

/* Prepare how to run the image's interpreter `interp` (image path) found in `tree` for
 * architecture `arch`: through the tree's own loader (`ldso`, image path of PT_INTERP) with the
 * tree's multiarch library dirs when arch is the host's, else qemu-ARCH-static -L TREE. */
int pyrun_prepare(const char *tree, const char *interp, const char *ldso, const char *arch,
                  struct pyrun *run, struct distill_error *err);
void pyrun_release(struct pyrun *run);

/* Run `run` with extra arguments, feeding `input` on stdin, capturing stdout (caller frees) —
 * with a clean environment (no PYTHON* variables), a timeout, and stderr captured into the
 * error message on failure. */
int pyrun_exec(const struct pyrun *run, const char *const *args, const char *input,
               size_t input_len, char **out, size_t *out_len, struct distill_error *err);
/* The same with an explicit timeout in seconds (pyrun_exec uses PYRUN_DEFAULT_TIMEOUT). */
#define PYRUN_DEFAULT_TIMEOUT 120
int pyrun_exec_timeout(const struct pyrun *run, const char *const *args, const char *input,
                       size_t input_len, unsigned timeout_s, char **out, size_t *out_len,
                       struct distill_error *err);

/* The same with `envp` (KEY=VALUE entries, NULL-terminated) as the child's whole environment;
 * NULL: the fixed PATH and LANG only. */
int pyrun_exec_env(const struct pyrun *run, const char *const *args, char *const *envp,
                   const char *input, size_t input_len, unsigned timeout_s, char **out,
                   size_t *out_len, struct distill_error *err);

/* Probe by running the interpreter; on failure (no qemu, a foreign loader that cannot run)
 * fall back to the per-version table for `version` ("3.11") and `arch`, setting from_table. */
int pyprobe_run(const struct pyrun *run, const char *version, const char *arch,
                struct py_probe *out, struct distill_error *err);
int pyprobe_from_table(const char *version, const char *arch, struct py_probe *out,
                       struct distill_error *err);
/* What the interpreter imports before the program runs, from a plain start of it (site
 * enabled, not isolated) under the image's env `env` (KEY=VALUE entries; those naming paths
 * the build host would resolve — PYTHONPATH, PYTHONHOME, HOME, LD_* — and PYTHONINSPECT are
 * dropped): its sys.modules into p->startup, the frozen ones among them added to p->frozen. A
 * probe that came from the table takes the table's list. The image's glibc looks locales up in
 * the build host's /usr/lib/locale (LOCPATH would not hide it): a locale whose codec is not
 * UTF-8 and that the host lacks starts with another codec than in the image. */
int pyprobe_startup(const struct pyrun *run, const struct strvec *env, struct py_probe *p,
                    struct distill_error *err);
bool py_probe_is_builtin(const struct py_probe *p, const char *module);
bool py_probe_is_frozen(const struct py_probe *p, const char *module);
void py_probe_release(struct py_probe *p);

#endif
