/* /etc/ld.so.cache in glibc's "glibc-ld.so.cache1.1" format (docs/architecture.md, "ld.so.cache
 * format"; glibc 2.36 elf/cache.c, elf/ldconfig.c, sysdeps/generic/dl-cache.h read for semantics).
 * The entry set follows ldconfig's search_dir rules; the bytes follow save_cache's layout: header,
 * entries, string table, then the extension directory (generator string, glibc-hwcaps name indices)
 * at a 4-aligned offset. */
#include "distill/elf/ldcache.h"

#include <elf.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/arch.h"

#define CACHE_MAGIC     "glibc-ld.so.cache"
#define CACHE_VERSION   "1.1"
#define HEADER_SIZE     48u
#define ENTRY_SIZE      24u
#define EXT_MAGIC       0xeaa42174u
#define EXT_TAG_GEN     0u
#define EXT_TAG_HWCAPS  1u
#define HWCAP_EXTENSION (1ULL << 62)
#define ISA_LEVEL_MASK  0x3ffu
#define GENERATOR       "distill"
#define MAX_CACHE_SIZE  (1u << 30)

#define FLAG_ELF_LIBC6              0x0003
#define FLAG_SPARC_LIB64            0x0100
#define FLAG_X8664_LIB64            0x0300
#define FLAG_S390_LIB64             0x0400
#define FLAG_POWERPC_LIB64          0x0500
#define FLAG_MIPS64_LIBN32          0x0600
#define FLAG_MIPS64_LIBN64          0x0700
#define FLAG_X8664_LIBX32           0x0800
#define FLAG_ARM_LIBHF              0x0900
#define FLAG_AARCH64_LIB64          0x0a00
#define FLAG_ARM_LIBSF              0x0b00
#define FLAG_MIPS_LIB32_NAN2008     0x0c00
#define FLAG_MIPS64_LIBN32_NAN2008  0x0d00
#define FLAG_MIPS64_LIBN64_NAN2008  0x0e00
#define FLAG_RISCV_FLOAT_ABI_SOFT   0x0f00
#define FLAG_RISCV_FLOAT_ABI_DOUBLE 0x1000

#define CONF_MAX_DEPTH 16
#define CONF_MAX_DIRS  4096
#define CONF_MAX_FILES 1024
#define CONF_MAX_SIZE  (1u << 20)

bool ldcache_is_dso_name(const char *name)
{
        return ((!strncmp(name, "lib", 3) || !strncmp(name, "ld-", 3)) && strstr(name, ".so")) ||
               !strncmp(name, "ld.so.", 6) || !strncmp(name, "ld64.so.", 8);
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* Digit runs saturate instead of overflowing (glibc's int arithmetic would be undefined on
 * absurd names; real sonames never get near the limit). */
static unsigned long long digit_run(const char **p)
{
        unsigned long long v = 0;
        while (is_digit(**p)) {
                v = v > (~0ULL - 9) / 10 ? ~0ULL : v * 10 + (unsigned)(**p - '0');
                (*p)++;
        }
        return v;
}

int ldcache_libcmp(const char *a, const char *b)
{
        while (*a) {
                if (is_digit(*a)) {
                        if (!is_digit(*b))
                                return 1;
                        unsigned long long va = digit_run(&a), vb = digit_run(&b);
                        if (va != vb)
                                return va < vb ? -1 : 1;
                } else if (is_digit(*b)) {
                        return -1;
                } else if (*a != *b) {
                        return (signed char)*a - (signed char)*b;
                } else {
                        a++;
                        b++;
                }
        }
        return (signed char)*a - (signed char)*b;
}

/* Which ldconfig build the architecture uses decides the machines it accepts (the x86 one skips
 * an arm64 object, docs/architecture.md, "ld.so.cache format") and the ABI bits
 * (sysdeps/.../readelflib.c variants). */
static int32_t arm_flags(unsigned e_flags)
{
        if ((e_flags & 0xff000000u) == 0x05000000u) {
                if (e_flags & 0x400u)
                        return FLAG_ARM_LIBHF | FLAG_ELF_LIBC6;
                if (e_flags & 0x200u)
                        return FLAG_ARM_LIBSF | FLAG_ELF_LIBC6;
        }
        return FLAG_ELF_LIBC6;
}

static int32_t mips_flags(int elfclass, unsigned e_flags)
{
        bool nan2008 = e_flags & 0x400u, n32 = e_flags & 0x20u;
        if (elfclass == ELFCLASS64)
                return (nan2008 ? FLAG_MIPS64_LIBN64_NAN2008 : FLAG_MIPS64_LIBN64) | FLAG_ELF_LIBC6;
        if (n32)
                return (nan2008 ? FLAG_MIPS64_LIBN32_NAN2008 : FLAG_MIPS64_LIBN32) | FLAG_ELF_LIBC6;
        return (nan2008 ? FLAG_MIPS_LIB32_NAN2008 : 0) | FLAG_ELF_LIBC6;
}

static int32_t riscv_flags(unsigned e_flags)
{
        if (e_flags & ~0x7u) /* anything but the float ABI and RVC bits */
                return -1;
        switch (e_flags & 0x6u) {
        case 0:
                return FLAG_RISCV_FLOAT_ABI_SOFT | FLAG_ELF_LIBC6;
        case 4:
                return FLAG_RISCV_FLOAT_ABI_DOUBLE | FLAG_ELF_LIBC6;
        default:
                return -1;
        }
}

int32_t ldcache_lib_flags(const char *arch, int elfclass, unsigned machine, unsigned e_flags)
{
        const struct arch_info *ai = arch_lookup(arch);
        bool is64 = elfclass == ELFCLASS64, is32 = elfclass == ELFCLASS32;
        if (!ai)
                return -1;
        switch (ai->family) {
        case ARCH_FAMILY_X86:
                if (machine == EM_X86_64)
                        return (is64 ? FLAG_X8664_LIB64 : FLAG_X8664_LIBX32) | FLAG_ELF_LIBC6;
                if (machine == EM_386 && is32)
                        return FLAG_ELF_LIBC6;
                return -1;
        case ARCH_FAMILY_ARM:
                if (machine == EM_AARCH64 && is64)
                        return FLAG_AARCH64_LIB64 | FLAG_ELF_LIBC6;
                if (machine == EM_ARM && is32)
                        return arm_flags(e_flags);
                return -1;
        case ARCH_FAMILY_POWERPC:
                if (machine == EM_PPC64 && is64)
                        return FLAG_POWERPC_LIB64 | FLAG_ELF_LIBC6;
                if (machine == EM_PPC && is32)
                        return FLAG_ELF_LIBC6;
                return -1;
        case ARCH_FAMILY_S390:
                if (machine == EM_S390)
                        return (is64 ? FLAG_S390_LIB64 : 0) | FLAG_ELF_LIBC6;
                return -1;
        case ARCH_FAMILY_RISCV:
                return machine == EM_RISCV ? riscv_flags(e_flags) : -1;
        case ARCH_FAMILY_MIPS:
                return machine == EM_MIPS ? mips_flags(elfclass, e_flags) : -1;
        case ARCH_FAMILY_SPARC:
                return machine == EM_SPARCV9 && is64 ? FLAG_SPARC_LIB64 | FLAG_ELF_LIBC6 : -1;
        case ARCH_FAMILY_LOONGARCH:
                return -1;
        }
        return -1;
}

/* The architectures whose cache distill can write: LoongArch's float-ABI flags are not
 * modelled, so no cache is made for it rather than a wrong one. */
static const struct arch_info *cache_arch(const char *arch)
{
        const struct arch_info *ai = arch_lookup(arch);
        return ai && ai->family != ARCH_FAMILY_LOONGARCH ? ai : NULL;
}

/* ---- entry set ---------------------------------------------------------------------------- */

struct candidate {
        char *dir;    /* effective dir: DIR or DIR/glibc-hwcaps/SUB */
        char *soname; /* the cache key after ldconfig's link rule */
        const struct ldcache_lib *lib;
        bool is_link;
        int32_t flags;
        size_t order; /* first appearance of the (dir, soname) group: ties keep scan order */
};

/* ldconfig keeps a symlink as a link only when it is named after the soname or is the
 * "libfoo.so" development link of it; such a dev link is then keyed by its own name. */
static void apply_link_rule(const struct ldcache_lib *lib, const char *soname, bool *is_link,
                            char **key)
{
        *is_link = lib->is_link;
        if (*is_link && strcmp(lib->name, soname) != 0) {
                size_t len = strlen(lib->name);
                if (len < 3 || strcmp(lib->name + len - 3, ".so") != 0 ||
                    strncmp(lib->name, soname, len) != 0)
                        *is_link = false;
        }
        *key = xstrdup(*is_link ? lib->name : soname);
}

static char *effective_dir(const struct ldcache_lib *lib)
{
        if (!lib->hwcaps_subdir)
                return xstrdup(lib->dir);
        cleanup_free char *suffix = xasprintf("/glibc-hwcaps/%s", lib->hwcaps_subdir);
        size_t dl = strlen(lib->dir), sl = strlen(suffix);
        if (dl >= sl && !strcmp(lib->dir + dl - sl, suffix))
                return xstrdup(lib->dir);
        return xasprintf("%s%s", strcmp(lib->dir, "/") ? lib->dir : "", suffix);
}

/* glibc's compare() in elf/cache.c, as a qsort order: soname descending by libcmp, flags
 * descending, glibc-hwcaps entries first (by subdir name), then scan order. */
static int compare_entries(const void *pa, const void *pb)
{
        const struct candidate *a = pa, *b = pb;
        int r = ldcache_libcmp(b->soname, a->soname);
        if (r)
                return r;
        if (a->flags != b->flags)
                return a->flags > b->flags ? -1 : 1;
        const char *ha = a->lib->hwcaps_subdir, *hb = b->lib->hwcaps_subdir;
        if (ha && !hb)
                return -1;
        if (!ha && hb)
                return 1;
        if (ha && hb && (r = strcmp(ha, hb)))
                return r;
        return a->order < b->order ? -1 : a->order > b->order;
}

/* Within one (dir, soname) group ldconfig keeps a file over a link, else the name that sorts
 * highest by libcmp (the newest version). */
static bool replaces(const struct candidate *old, const struct candidate *new)
{
        if (!new->is_link && old->is_link)
                return true;
        return new->is_link == old->is_link &&ldcache_libcmp(old->lib->name, new->lib->name) < 0;
}

static void candidates_free(struct candidate *c, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(c[i].dir);
                free(c[i].soname);
        }
        free(c);
}

static int collect_candidates(const struct ldcache_lib *libs, size_t n, const char *arch,
                              struct candidate **out, size_t *n_out, struct distill_error *err)
{
        struct candidate *c = xcalloc(n ? n : 1, sizeof(*c));
        size_t nc = 0;
        struct strmap groups = STRMAP_INIT; /* "dir\0soname" joined with '\n' → index + 1 */
        for (size_t i = 0; i < n; i++) {
                const struct ldcache_lib *lib = &libs[i];
                if (!lib->dir || !lib->name || !ldcache_is_dso_name(lib->name))
                        continue;
                if (lib->hwcaps_subdir &&
                    (!*lib->hwcaps_subdir || strchr(lib->hwcaps_subdir, '/'))) {
                        strmap_clear(&groups, NULL);
                        candidates_free(c, nc);
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "%s/%s: bad glibc-hwcaps subdir name \"%s\"",
                                                 lib->dir, lib->name, lib->hwcaps_subdir);
                }
                int32_t flags = ldcache_lib_flags(arch, lib->elfclass, lib->machine, lib->e_flags);
                if (flags < 0)
                        continue;
                struct candidate cand = {.lib = lib, .flags = flags, .order = nc};
                apply_link_rule(lib, lib->soname && *lib->soname ? lib->soname : lib->name,
                                &cand.is_link, &cand.soname);
                cand.dir = effective_dir(lib);
                cleanup_free char *key = xasprintf("%s\n%s", cand.dir, cand.soname);
                size_t at = (size_t)(uintptr_t)strmap_get(&groups, key);
                if (at) {
                        struct candidate *old = &c[at - 1];
                        if (replaces(old, &cand)) {
                                old->lib = lib;
                                old->is_link = cand.is_link;
                        }
                        free(cand.dir);
                        free(cand.soname);
                        continue;
                }
                c[nc++] = cand;
                strmap_put(&groups, key, (void *)(uintptr_t)nc);
        }
        strmap_clear(&groups, NULL);
        *out = c;
        *n_out = nc;
        return 0;
}

static int compare_strptr(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int ldcache_entries(const struct ldcache_lib *libs, size_t n, const char *arch,
                    struct ldcache_entry **out, size_t *n_out, struct distill_error *err)
{
        *out = NULL;
        *n_out = 0;
        if (!cache_arch(arch))
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "ld.so.cache: unknown architecture %s", arch);
        struct candidate *c = NULL;
        size_t nc = 0;
        int r = collect_candidates(libs, n, arch, &c, &nc, err);
        if (r < 0)
                return r;
        qsort(c, nc, sizeof(*c), compare_entries);

        /* glibc numbers the used glibc-hwcaps names in strcmp order. */
        struct strvec names = STRVEC_INIT;
        for (size_t i = 0; i < nc; i++)
                if (c[i].lib->hwcaps_subdir)
                        strvec_push(&names, c[i].lib->hwcaps_subdir);
        strvec_sort_unique(&names);

        struct ldcache_entry *e = xcalloc(nc ? nc : 1, sizeof(*e));
        for (size_t i = 0; i < nc; i++) {
                const struct ldcache_lib *lib = c[i].lib;
                e[i].soname = xstrdup(c[i].soname);
                e[i].flags = c[i].flags;
                if (lib->hwcaps_subdir) {
                        char **hit = bsearch(&lib->hwcaps_subdir, names.v, names.n, sizeof(char *),
                                             compare_strptr);
                        e[i].hwcap = HWCAP_EXTENSION |
                                     ((uint64_t)(lib->isa_level & ISA_LEVEL_MASK) << 32) |
                                     (uint64_t)(hit - names.v);
                        e[i].hwcaps_subdir = xstrdup(lib->hwcaps_subdir);
                        /* hwcaps entries name the file itself (no links are made there) */
                        e[i].path = path_join(c[i].dir, lib->name);
                } else {
                        e[i].path = path_join(c[i].dir, c[i].soname);
                }
        }
        strvec_clear(&names);
        candidates_free(c, nc);
        *out = e;
        *n_out = nc;
        return 0;
}

void ldcache_entries_free(struct ldcache_entry *e, size_t n)
{
        if (!e)
                return;
        for (size_t i = 0; i < n; i++) {
                free(e[i].soname);
                free(e[i].path);
                free(e[i].hwcaps_subdir);
        }
        free(e);
}

/* ---- serialisation ------------------------------------------------------------------------ */

static void put_u32(struct strbuf *sb, uint32_t v, bool big)
{
        unsigned char b[4];
        for (int i = 0; i < 4; i++)
                b[big ? 3 - i : i] = (unsigned char)(v >> (8 * i));
        strbuf_add(sb, b, 4);
}

static void put_u64(struct strbuf *sb, uint64_t v, bool big)
{
        unsigned char b[8];
        for (int i = 0; i < 8; i++)
                b[big ? 7 - i : i] = (unsigned char)(v >> (8 * i));
        strbuf_add(sb, b, 8);
}

/* String table with exact duplicates shared; offsets are from the start of the file. */
struct strtab {
        struct strbuf buf;
        struct strmap at; /* string → offset + 1 */
        size_t base;
};

static uint32_t strtab_add(struct strtab *t, const char *s)
{
        size_t at = (size_t)(uintptr_t)strmap_get(&t->at, s);
        if (at)
                return (uint32_t)(at - 1);
        size_t off = t->base + t->buf.len;
        strbuf_add(&t->buf, s, strlen(s) + 1);
        strmap_put(&t->at, s, (void *)(uintptr_t)(off + 1));
        return (uint32_t)off;
}

int ldcache_serialize(const struct ldcache_entry *e, size_t n, const char *arch, char **data,
                      size_t *len, struct distill_error *err)
{
        *data = NULL;
        *len = 0;
        const struct arch_info *ai = cache_arch(arch);
        if (!ai)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "ld.so.cache: unknown architecture %s", arch);
        if (n > (MAX_CACHE_SIZE - HEADER_SIZE) / ENTRY_SIZE)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "ld.so.cache: %zu entries is too many", n);
        bool big = ai->big_endian;

        /* The hwcaps names, indexed by the low 32 bits of each extension entry's hwcap. */
        struct strvec hw = STRVEC_INIT;
        for (size_t i = 0; i < n; i++) {
                if (!(e[i].hwcap & HWCAP_EXTENSION))
                        continue;
                uint32_t idx = (uint32_t)e[i].hwcap;
                if (!e[i].hwcaps_subdir || idx > n) {
                        strvec_clear(&hw);
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "ld.so.cache entry %s: glibc-hwcaps entry "
                                                 "without a valid subdir name/index",
                                                 e[i].path);
                }
                while (hw.n <= idx)
                        strvec_push(&hw, "");
                if (*hw.v[idx] && strcmp(hw.v[idx], e[i].hwcaps_subdir)) {
                        strvec_clear(&hw);
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "ld.so.cache: hwcaps index %u names both %s and "
                                                 "another subdir",
                                                 idx, e[i].hwcaps_subdir);
                }
                free(hw.v[idx]);
                hw.v[idx] = xstrdup(e[i].hwcaps_subdir);
        }

        struct strtab t = {
            .buf = STRBUF_INIT, .at = STRMAP_INIT, .base = HEADER_SIZE + n * ENTRY_SIZE};
        struct strbuf entries = STRBUF_INIT;
        for (size_t i = 0; i < n; i++) {
                uint32_t key = strtab_add(&t, e[i].soname);
                uint32_t value = strtab_add(&t, e[i].path);
                put_u32(&entries, (uint32_t)e[i].flags, big);
                put_u32(&entries, key, big);
                put_u32(&entries, value, big);
                put_u32(&entries, 0, big); /* osversion */
                put_u64(&entries, e[i].hwcap, big);
        }
        uint32_t *hw_off = xcalloc(hw.n ? hw.n : 1, sizeof(uint32_t));
        for (size_t i = 0; i < hw.n; i++)
                hw_off[i] = strtab_add(&t, hw.v[i]);

        size_t ext_off = (t.base + t.buf.len + 3) & ~(size_t)3;
        uint32_t nsec = hw.n ? 2 : 1;
        size_t sec_end = ext_off + 8 + 16 * nsec;
        size_t gen_off = sec_end + 4 * hw.n;
        int ret = 0;
        if (gen_off + sizeof(GENERATOR) > MAX_CACHE_SIZE) {
                ret = distill_error_set(err, DISTILL_EUSAGE, "ld.so.cache: strings too large");
                goto cleanup;
        }

        struct strbuf out = STRBUF_INIT;
        strbuf_add(&out, CACHE_MAGIC CACHE_VERSION, 20);
        put_u32(&out, (uint32_t)n, big);
        put_u32(&out, (uint32_t)t.buf.len, big);
        strbuf_addch(&out, big ? 3 : 2);
        strbuf_add(&out, "\0\0\0", 3);
        put_u32(&out, (uint32_t)ext_off, big);
        for (int i = 0; i < 3; i++)
                put_u32(&out, 0, big);
        strbuf_add(&out, entries.buf ? entries.buf : "", entries.len);
        strbuf_add(&out, t.buf.buf ? t.buf.buf : "", t.buf.len);
        while (out.len < ext_off)
                strbuf_addch(&out, 0);
        put_u32(&out, EXT_MAGIC, big);
        put_u32(&out, nsec, big);
        put_u32(&out, EXT_TAG_GEN, big);
        put_u32(&out, 0, big);
        put_u32(&out, (uint32_t)gen_off, big);
        put_u32(&out, (uint32_t)strlen(GENERATOR), big);
        if (hw.n) {
                put_u32(&out, EXT_TAG_HWCAPS, big);
                put_u32(&out, 0, big);
                put_u32(&out, (uint32_t)sec_end, big);
                put_u32(&out, (uint32_t)(4 * hw.n), big);
        }
        for (size_t i = 0; i < hw.n; i++)
                put_u32(&out, hw_off[i], big);
        strbuf_adds(&out, GENERATOR);
        *len = out.len;
        *data = strbuf_detach(&out);
cleanup:
        free(hw_off);
        strvec_clear(&hw);
        strbuf_release(&entries);
        strbuf_release(&t.buf);
        strmap_clear(&t.at, NULL);
        return ret;
}

/* ---- parsing (hostile input) -------------------------------------------------------------- */

struct reader {
        const unsigned char *d;
        size_t len;
        bool big;
};

static uint32_t get_u32(const struct reader *r, size_t off)
{
        uint32_t v = 0;
        for (int i = 0; i < 4; i++)
                v |= (uint32_t)r->d[off + (r->big ? 3 - i : i)] << (8 * i);
        return v;
}

static uint64_t get_u64(const struct reader *r, size_t off)
{
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
                v |= (uint64_t)r->d[off + (r->big ? 7 - i : i)] << (8 * i);
        return v;
}

/* A NUL-terminated string at `off`, entirely inside the file; NULL otherwise. */
static const char *string_at(const struct reader *r, uint64_t off)
{
        if (off >= r->len || !memchr(r->d + off, 0, r->len - off))
                return NULL;
        return (const char *)r->d + off;
}

static int parse_extension(const struct reader *r, size_t ext_off, const char *name,
                           struct strvec *hw, struct distill_error *err)
{
        if (ext_off % 4 || ext_off > r->len || r->len - ext_off < 8)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s: extension offset %zu outside the file", name,
                                         ext_off);
        if (get_u32(r, ext_off) != EXT_MAGIC)
                return distill_error_set(err, DISTILL_EINTEGRITY, "%s:%zu: bad extension magic",
                                         name, ext_off);
        uint32_t count = get_u32(r, ext_off + 4);
        if (count > (r->len - ext_off - 8) / 16)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s:%zu: extension count %u exceeds the file", name,
                                         ext_off, count);
        for (uint32_t s = 0; s < count; s++) {
                size_t at = ext_off + 8 + 16 * (size_t)s;
                uint32_t tag = get_u32(r, at), off = get_u32(r, at + 8), size = get_u32(r, at + 12);
                if ((uint64_t)off + size > r->len)
                        return distill_error_set(err, DISTILL_EINTEGRITY,
                                                 "%s:%zu: extension section %u (offset %u, size "
                                                 "%u) outside the file",
                                                 name, at, s, off, size);
                if (tag != EXT_TAG_HWCAPS)
                        continue; /* generator and future tags carry nothing we need */
                if (size % 4 || off % 4)
                        return distill_error_set(err, DISTILL_EINTEGRITY,
                                                 "%s:%zu: misaligned glibc-hwcaps section", name,
                                                 at);
                strvec_clear(hw);
                for (uint32_t k = 0; k < size / 4; k++) {
                        const char *str = string_at(r, get_u32(r, off + 4 * (size_t)k));
                        if (!str)
                                return distill_error_set(err, DISTILL_EINTEGRITY,
                                                         "%s:%u: glibc-hwcaps name %u outside "
                                                         "the file",
                                                         name, off + 4 * k, k);
                        strvec_push(hw, str);
                }
        }
        return 0;
}

int ldcache_parse(const char *data, size_t len, const char *name, struct ldcache_entry **out,
                  size_t *n_out, struct distill_error *err)
{
        *out = NULL;
        *n_out = 0;
        struct reader r = {.d = (const unsigned char *)data, .len = len};
        if (len < HEADER_SIZE)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s: %zu bytes, shorter than the %u-byte header", name,
                                         len, HEADER_SIZE);
        if (memcmp(data, CACHE_MAGIC CACHE_VERSION, 20))
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s: not a glibc-ld.so.cache1.1 file", name);
        unsigned char endian = r.d[28];
        if (endian == 0)
                r.big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
        else if (endian == 2 || endian == 3)
                r.big = endian == 3;
        else
                return distill_error_set(err, DISTILL_EINTEGRITY, "%s:28: bad endianness flag %u",
                                         name, endian);
        uint32_t nlibs = get_u32(&r, 20), len_strings = get_u32(&r, 24);
        uint32_t ext_off = get_u32(&r, 32);
        if (nlibs > (len - HEADER_SIZE) / ENTRY_SIZE)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s:20: %u entries do not fit in %zu bytes", name, nlibs,
                                         len);
        if ((uint64_t)HEADER_SIZE + (uint64_t)nlibs * ENTRY_SIZE + len_strings > len)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s:24: string table of %u bytes exceeds the file", name,
                                         len_strings);
        struct strvec hw = STRVEC_INIT;
        if (ext_off) {
                int rc = parse_extension(&r, ext_off, name, &hw, err);
                if (rc < 0) {
                        strvec_clear(&hw);
                        return rc;
                }
        }
        struct ldcache_entry *e = xcalloc(nlibs ? nlibs : 1, sizeof(*e));
        int ret = 0;
        for (uint32_t i = 0; i < nlibs; i++) {
                size_t at = HEADER_SIZE + (size_t)i * ENTRY_SIZE;
                uint32_t key = get_u32(&r, at + 4), value = get_u32(&r, at + 8);
                const char *k = string_at(&r, key), *v = string_at(&r, value);
                if (!k || !v) {
                        ret = distill_error_set(err, DISTILL_EINTEGRITY,
                                                "%s:%zu: entry %u: string offset %u outside the "
                                                "file",
                                                name, at, i, !k ? key : value);
                        break;
                }
                e[i].flags = (int32_t)get_u32(&r, at);
                e[i].hwcap = get_u64(&r, at + 16);
                e[i].soname = xstrdup(k);
                e[i].path = xstrdup(v);
                if (e[i].hwcap & HWCAP_EXTENSION) {
                        uint32_t idx = (uint32_t)e[i].hwcap;
                        if (idx >= hw.n) {
                                ret = distill_error_set(err, DISTILL_EINTEGRITY,
                                                        "%s:%zu: entry %u: glibc-hwcaps index %u "
                                                        "out of range (%zu names)",
                                                        name, at, i, idx, hw.n);
                                break;
                        }
                        e[i].hwcaps_subdir = xstrdup(hw.v[idx]);
                }
        }
        strvec_clear(&hw);
        if (ret < 0) {
                ldcache_entries_free(e, nlibs);
                return ret;
        }
        *out = e;
        *n_out = nlibs;
        return 0;
}

/* ---- ld.so.conf --------------------------------------------------------------------------- */

struct conf_ctx {
        ldcache_read_fn read;
        ldcache_list_fn list;
        void *ud;
        struct strvec *dirs;
        struct distill_error *err;
        size_t files;
};

static int parse_conf_file(struct conf_ctx *c, const char *path, int depth);

static bool has_glob_chars(const char *s)
{
        return strpbrk(s, "*?[") != NULL;
}

/* Expand `pattern` (absolute) component by component through the list callback. */
static int expand_glob(struct conf_ctx *c, const char *base, const char *rest, struct strvec *found)
{
        while (*rest == '/')
                rest++;
        if (!*rest) {
                if (found->n >= CONF_MAX_FILES)
                        return distill_error_set(c->err, DISTILL_EUSAGE,
                                                 "ld.so.conf: more than %d included files",
                                                 CONF_MAX_FILES);
                strvec_push(found, base);
                return 0;
        }
        const char *slash = strchr(rest, '/');
        cleanup_free char *comp = slash ? xstrndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
        const char *next = slash ? slash : "";
        if (!has_glob_chars(comp)) {
                cleanup_free char *p = path_join(base, comp);
                return expand_glob(c, p, next, found);
        }
        struct strvec names = STRVEC_INIT;
        int rc = c->list(c->ud, base, &names);
        if (rc == -ENOENT || rc == -ENOTDIR) {
                strvec_clear(&names);
                return 0;
        }
        if (rc < 0) {
                strvec_clear(&names);
                return distill_error_errno(c->err, DISTILL_EIO, -rc, "listing %s", base);
        }
        strvec_sort(&names);
        for (size_t i = 0; i < names.n && rc == 0; i++) {
                const char *nm = names.v[i];
                if (!strcmp(nm, ".") || !strcmp(nm, "..") || strchr(nm, '/'))
                        continue;
                if (fnmatch(comp, nm, FNM_PERIOD) != 0) /* glob(3)'s rule for one component */
                        continue;
                cleanup_free char *p = path_join(base, nm);
                rc = expand_glob(c, p, next, found);
        }
        strvec_clear(&names);
        return rc;
}

static int do_include(struct conf_ctx *c, const char *conf_path, const char *pattern, int depth)
{
        cleanup_free char *dir = path_dirname(conf_path);
        cleanup_free char *abs = pattern[0] == '/' ? xstrdup(pattern) : path_join(dir, pattern);
        struct strvec found = STRVEC_INIT;
        int rc = expand_glob(c, "/", abs, &found);
        strvec_sort(&found); /* glob(3) sorts the whole result */
        for (size_t i = 0; i < found.n && rc == 0; i++)
                rc = parse_conf_file(c, found.v[i], depth + 1);
        strvec_clear(&found);
        return rc;
}

static int add_conf_dir(struct conf_ctx *c, const char *conf_path, int lineno, char *dir)
{
        char *eq = strchr(dir, '=');
        if (eq)
                *eq = '\0'; /* "dir=libc6": the type suffix of old ldconfig */
        size_t l = strlen(dir);
        while (l > 1 && dir[l - 1] == '/')
                dir[--l] = '\0';
        if (!l)
                return 0;
        if (dir[0] != '/')
                return 0; /* ldconfig only warns; relative to its cwd it means nothing here */
        if (strvec_contains(c->dirs, dir))
                return 0;
        if (c->dirs->n >= CONF_MAX_DIRS)
                return distill_error_set(c->err, DISTILL_EUSAGE,
                                         "%s:%d: more than %d library directories", conf_path,
                                         lineno, CONF_MAX_DIRS);
        strvec_push(c->dirs, dir);
        return 0;
}

static bool keyword(const char *line, const char *kw)
{
        size_t n = strlen(kw);
        return !strncasecmp(line, kw, n) && (line[n] == ' ' || line[n] == '\t');
}

static int parse_conf_line(struct conf_ctx *c, const char *path, int lineno, char *line, int depth)
{
        char *hash = strchr(line, '#');
        if (hash)
                *hash = '\0';
        line += strspn(line, " \t\r");
        size_t l = strlen(line);
        while (l && (line[l - 1] == ' ' || line[l - 1] == '\t' || line[l - 1] == '\r'))
                line[--l] = '\0';
        if (!*line)
                return 0;
        if (keyword(line, "hwcap"))
                return 0; /* glibc 2.36 ignores hwcap lines */
        if (strncmp(line, "include", 7) == 0 && (line[7] == ' ' || line[7] == '\t')) {
                char *save = NULL;
                for (char *pat = strtok_r(line + 8, " \t", &save); pat;
                     pat = strtok_r(NULL, " \t", &save)) {
                        int rc = do_include(c, path, pat, depth);
                        if (rc < 0)
                                return rc;
                }
                return 0;
        }
        return add_conf_dir(c, path, lineno, line); /* the whole line is one dir */
}

static int parse_conf_file(struct conf_ctx *c, const char *path, int depth)
{
        if (depth > CONF_MAX_DEPTH)
                return distill_error_set(c->err, DISTILL_EUSAGE,
                                         "%s: includes nested deeper than %d", path,
                                         CONF_MAX_DEPTH);
        if (++c->files > CONF_MAX_FILES)
                return distill_error_set(c->err, DISTILL_EUSAGE,
                                         "%s: more than %d ld.so.conf files", path, CONF_MAX_FILES);
        char *data = NULL;
        size_t len = 0;
        int rc = c->read(c->ud, path, &data, &len);
        if (rc == -ENOENT)
                return 0;
        if (rc < 0)
                return distill_error_errno(c->err, DISTILL_EIO, -rc, "reading %s", path);
        if (len > CONF_MAX_SIZE) {
                free(data);
                return distill_error_set(c->err, DISTILL_EUSAGE, "%s: %zu bytes is too large", path,
                                         len);
        }
        if (memchr(data, '\0', len)) {
                free(data);
                return distill_error_set(c->err, DISTILL_EUSAGE, "%s: contains a NUL byte", path);
        }
        char *text = xstrndup(data ? data : "", len);
        free(data);
        int lineno = 0;
        rc = 0;
        for (char *line = text; line && rc == 0;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl = '\0';
                lineno++;
                rc = parse_conf_line(c, path, lineno, line, depth);
                line = nl ? nl + 1 : NULL;
        }
        free(text);
        return rc;
}

int ldcache_conf_dirs(const char *conf_path, ldcache_read_fn read, ldcache_list_fn list, void *ud,
                      struct strvec *dirs, struct distill_error *err)
{
        if (!conf_path || conf_path[0] != '/')
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "ld.so.conf path must be absolute: %s",
                                         conf_path ? conf_path : "(null)");
        struct conf_ctx c = {.read = read, .list = list, .ud = ud, .dirs = dirs, .err = err};
        return parse_conf_file(&c, conf_path, 0);
}
