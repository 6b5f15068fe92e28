/* output: the image's SBOM as SPDX 2.3 and CycloneDX 1.5 JSON (docs/architecture.md, "SBOM").
 * Everything comes from the final plan and the staging store; keys are added in a fixed order
 * and dumped with insertion order kept, so the same image gives the same bytes. */
#include "distill/image/sbom.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "distill/base/output.h"
#include "distill/image/oci.h"
#include "distill/source/deb822.h"

#ifndef DISTILL_VERSION
#define DISTILL_VERSION "dev"
#endif

/* Caps against a hostile image: metadata files are small, copyright files rarely pass 1 MB. */
#define METADATA_CAP  ((size_t)4 << 20)
#define COPYRIGHT_CAP ((size_t)8 << 20)
#define LINK_DEPTH    8
#define MAX_LICENSES  256 /* distinct licence expressions of one copyright file */

/* ---- names and identifiers ------------------------------------------------------------- */

void sbom_uuid5(const char *name, char out[37])
{
        /* the URL namespace, 6ba7b811-9dad-11d1-80b4-00c04fd430c8 */
        static const unsigned char ns[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                             0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
        struct digest *d = digest_sha1();
        char hex[SHA1_HEX_LEN + 1];
        unsigned char b[16];

        digest_update(d, ns, sizeof(ns));
        digest_update(d, name, strlen(name));
        digest_finish_hex(d, hex);
        for (size_t i = 0; i < 16; i++) {
                unsigned v = 0;
                sscanf(hex + 2 * i, "%2x", &v);
                b[i] = (unsigned char)v;
        }
        b[6] = (unsigned char)((b[6] & 0x0f) | 0x50);
        b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
}

/* What an SPDX ID may hold after "SPDXRef-" or "LicenseRef-": letters, digits, '.', '-'. */
static void id_chars(struct strbuf *sb, const char *s)
{
        for (; *s; s++)
                strbuf_addch(sb, isalnum((unsigned char)*s) || *s == '.' || *s == '-' ? *s : '-');
}

/* purl percent-encoding of a name, version or qualifier value: ':' (a Debian epoch) and what
 * else purl-spec reserves; '+' stays, as Trivy and Syft write Debian versions. */
static void purl_escape(struct strbuf *sb, const char *s)
{
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                if (isalnum(c) || c == '.' || c == '-' || c == '_' || c == '~' || c == '+')
                        strbuf_addch(sb, (char)c);
                else
                        strbuf_addf(sb, "%%%02X", c);
        }
}

static char *deb_purl(const struct plan_package *p, const char *distro)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "pkg:deb/debian/");
        purl_escape(&sb, p->name);
        strbuf_addch(&sb, '@');
        purl_escape(&sb, p->version);
        strbuf_adds(&sb, "?arch=");
        purl_escape(&sb, p->arch ? p->arch : "");
        if (distro) {
                strbuf_adds(&sb, "&distro=debian-");
                purl_escape(&sb, distro);
        }
        return strbuf_detach(&sb);
}

/* PEP 503 normalised name, as purl's pypi type wants it. */
static char *pypi_purl(const char *name, const char *version)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "pkg:pypi/");
        bool sep = false;
        for (const char *s = name; *s; s++) {
                if (*s == '-' || *s == '_' || *s == '.') {
                        sep = true;
                        continue;
                }
                if (sep && sb.len > 9)
                        strbuf_addch(&sb, '-');
                sep = false;
                char c = (char)tolower((unsigned char)*s);
                char one[2] = {c, '\0'};
                purl_escape(&sb, one);
        }
        strbuf_addch(&sb, '@');
        purl_escape(&sb, version);
        return strbuf_detach(&sb);
}

/* pkg:oci/NAME@sha256%3AHEX?repository_url=REPO&tag=TAG */
static char *oci_purl(const char *ref, const char *digest)
{
        cleanup_free char *repo = NULL, *tag = NULL;
        oci_split_ref(ref, &repo, &tag);
        struct strbuf sb = STRBUF_INIT;
        cleanup_free char *name = xstrdup(path_basename(repo));
        for (char *c = name; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        strbuf_adds(&sb, "pkg:oci/");
        purl_escape(&sb, name);
        strbuf_addf(&sb, "@sha256%%3A%s?repository_url=", digest);
        purl_escape(&sb, repo);
        if (tag) {
                strbuf_adds(&sb, "&tag=");
                purl_escape(&sb, tag);
        }
        return strbuf_detach(&sb);
}

/* ---- licences ---------------------------------------------------------------------------- */

/* DEP-5 short names (copyright-format 1.0, "License specification") that differ from their
 * SPDX ID, and SPDX IDs Debian uses as they are. Compared case-insensitively. */
static const struct {
        const char *dep5, *spdx;
} license_names[] = {
    {"Apache-1.0", "Apache-1.0"},
    {"Apache-1.1", "Apache-1.1"},
    {"Apache-2.0", "Apache-2.0"},
    {"Artistic", "Artistic-1.0"},
    {"Artistic-1.0", "Artistic-1.0"},
    {"Artistic-2.0", "Artistic-2.0"},
    {"BSD-2-clause", "BSD-2-Clause"},
    {"BSD-3-clause", "BSD-3-Clause"},
    {"BSD-4-clause", "BSD-4-Clause"},
    {"BSL-1.0", "BSL-1.0"},
    {"CC0-1.0", "CC0-1.0"},
    {"CC-BY-3.0", "CC-BY-3.0"},
    {"CC-BY-4.0", "CC-BY-4.0"},
    {"CC-BY-SA-3.0", "CC-BY-SA-3.0"},
    {"CC-BY-SA-4.0", "CC-BY-SA-4.0"},
    {"curl", "curl"},
    {"EPL-1.0", "EPL-1.0"},
    {"EPL-2.0", "EPL-2.0"},
    {"Expat", "MIT"},
    {"MIT", "MIT"},
    {"FTL", "FTL"},
    {"ISC", "ISC"},
    {"MPL-1.1", "MPL-1.1"},
    {"MPL-2.0", "MPL-2.0"},
    {"OpenSSL", "OpenSSL"},
    {"PSF-2", "PSF-2.0"},
    {"Python", "Python-2.0"},
    {"Python-2.0", "Python-2.0"},
    {"Unicode-DFS-2016", "Unicode-DFS-2016"},
    {"WTFPL", "WTFPL"},
    {"X11", "X11"},
    {"Zlib", "Zlib"},
    {"Zope-2.1", "ZPL-2.1"},
    {"0BSD", "0BSD"},
};

const char *sbom_spdx_license_id(const char *dep5, char *buf, size_t bufsize)
{
        size_t len = strlen(dep5);
        bool plus = len > 0 && dep5[len - 1] == '+';
        if (plus)
                len--;
        /* the GNU licences: GPL-2+ → GPL-2.0-or-later, LGPL-2.1 → LGPL-2.1-only */
        static const char *const gnu[] = {"GPL-", "LGPL-", "AGPL-", "GFDL-"};
        for (size_t i = 0; i < sizeof(gnu) / sizeof(gnu[0]); i++) {
                size_t pl = strlen(gnu[i]);
                if (len <= pl || strncasecmp(dep5, gnu[i], pl) != 0)
                        continue;
                const char *v = dep5 + pl;
                size_t vlen = len - pl;
                if (!(vlen == 1 && isdigit((unsigned char)v[0])) &&
                    !(vlen == 3 && isdigit((unsigned char)v[0]) && v[1] == '.' &&
                      isdigit((unsigned char)v[2])))
                        return NULL;
                snprintf(buf, bufsize, "%.*s%.*s%s%s", (int)pl, gnu[i], (int)vlen, v,
                         vlen == 1 ? ".0" : "", plus ? "-or-later" : "-only");
                return buf;
        }
        for (size_t i = 0; i < sizeof(license_names) / sizeof(license_names[0]); i++) {
                if (strlen(license_names[i].dep5) == len &&
                    strncasecmp(license_names[i].dep5, dep5, len) == 0) {
                        snprintf(buf, bufsize, "%s%s", license_names[i].spdx, plus ? "+" : "");
                        return buf;
                }
        }
        return NULL;
}

static char *license_ref(const char *prefix, const char *name)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "LicenseRef-");
        id_chars(&sb, prefix);
        strbuf_addch(&sb, '-');
        id_chars(&sb, name);
        return strbuf_detach(&sb);
}

/* One License field's first line as SPDX: names joined by "or"/"and"; anything else (commas,
 * "with … exception") stays one LicenseRef for the whole line. */
static char *license_line(const char *line, const char *prefix, struct strmap *refs)
{
        struct strvec words = STRVEC_INIT;
        struct strbuf sb = STRBUF_INIT;
        bool simple = !strchr(line, ',');
        cleanup_free char *copy = xstrdup(line);
        for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w;
             w = strtok_r(NULL, " \t", &save))
                strvec_push(&words, w);
        for (size_t i = 0; i < words.n && simple; i++) {
                bool op = strcasecmp(words.v[i], "or") == 0 || strcasecmp(words.v[i], "and") == 0;
                if (op != (i % 2 == 1) || strcasecmp(words.v[i], "with") == 0)
                        simple = false;
        }
        if (words.n == 0 || words.n % 2 == 0)
                simple = false;
        for (size_t i = 0; i < words.n && simple; i++) {
                if (i % 2 == 1) {
                        strbuf_adds(&sb, strcasecmp(words.v[i], "or") == 0 ? " OR " : " AND ");
                        continue;
                }
                char buf[128];
                const char *id = sbom_spdx_license_id(words.v[i], buf, sizeof(buf));
                if (id) {
                        strbuf_adds(&sb, id);
                } else {
                        char *ref = license_ref(prefix, words.v[i]);
                        strbuf_adds(&sb, ref);
                        if (!strmap_has(refs, ref))
                                strmap_put(refs, ref, xstrdup(words.v[i]));
                        free(ref);
                }
        }
        if (!simple && words.n) {
                strbuf_reset(&sb);
                char *ref = license_ref(prefix, line);
                strbuf_adds(&sb, ref);
                if (!strmap_has(refs, ref))
                        strmap_put(refs, ref, xstrdup(line));
                free(ref);
        }
        strvec_clear(&words);
        return sb.len ? strbuf_detach(&sb) : (strbuf_release(&sb), NULL);
}

static const struct deb822_format copyright_format = {.error_code = DISTILL_EUSAGE,
                                                      .max_stanza = COPYRIGHT_CAP};

static bool machine_readable(const struct deb822_stanza *header)
{
        const struct deb822_field *f = deb822_get(header, "Format");
        if (!f)
                return false;
        cleanup_free char *v = deb822_first_line(f);
        return strstr(v, "copyright-format") != NULL;
}

/* refs: LicenseRef → the DEP-5 text it stands for (owned strings). */
static char *dep5_license(const char *text, size_t len, const char *display, const char *prefix,
                          struct strmap *refs)
{
        struct distill_error err = {0};
        struct deb822_reader *r = deb822_open(text, len, display, &copyright_format);
        struct deb822_stanza st;
        struct strvec exprs = STRVEC_INIT;
        int n = deb822_next(r, &st, &err);
        if (n <= 0 || !machine_readable(&st))
                goto done;
        while (exprs.n < MAX_LICENSES && (n = deb822_next(r, &st, &err)) > 0) {
                const struct deb822_field *files = deb822_get(&st, "Files");
                const struct deb822_field *lic = deb822_get(&st, "License");
                if (!files || !lic)
                        continue;
                cleanup_free char *line = deb822_first_line(lic);
                char *e = license_line(line, prefix, refs);
                if (!e)
                        continue;
                if (strvec_contains(&exprs, e))
                        free(e);
                else
                        strvec_push_nodup(&exprs, e);
        }
done:
        deb822_close(r);
        /* a copyright file that is not deb822 is simply not machine-readable */
        if (!exprs.n)
                return NULL;
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < exprs.n; i++) {
                bool wrap = exprs.n > 1 && strchr(exprs.v[i], ' ');
                strbuf_addf(&sb, "%s%s%s%s", i ? " AND " : "", wrap ? "(" : "", exprs.v[i],
                            wrap ? ")" : "");
        }
        strvec_clear(&exprs);
        return strbuf_detach(&sb);
}

char *sbom_dep5_license(const char *text, size_t len, const char *display, const char *prefix,
                        struct strvec *refs)
{
        struct strmap m = STRMAP_INIT;
        char *e = dep5_license(text, len, display, prefix, &m);
        cleanup_free const char **keys = strmap_sorted_keys(&m);
        for (size_t i = 0; refs && i < m.n; i++) {
                strvec_push(refs, keys[i]);
                strvec_push(refs, strmap_get(&m, keys[i]));
        }
        strmap_clear(&m, free);
        return e;
}

/* ---- reading the image ------------------------------------------------------------------ */

/* A regular file of the image by path, following symlinks inside the plan. */
static int read_image_file(struct plan *plan, const struct store *st, const char *path, size_t cap,
                           char **data, size_t *len, struct distill_error *err)
{
        cleanup_free char *cur = xstrdup(path);
        for (int depth = 0; depth < LINK_DEPTH; depth++) {
                struct plan_entry *e = plan_get(plan, cur);
                if (!e)
                        return 0;
                if (e->type == PLAN_SYMLINK && e->target) {
                        cleanup_free char *dir = path_dirname(cur);
                        cleanup_free char *joined =
                            e->target[0] == '/' ? xstrdup(e->target) : path_join(dir, e->target);
                        free(cur);
                        cur = path_normalize(joined);
                        continue;
                }
                if (e->type != PLAN_FILE || e->size > cap)
                        return 0;
                int r = store_read_blob(st, e->digest, data, len, err);
                return r < 0 ? r : 1;
        }
        return 0;
}

/* The value of KEY= in os-release text, unquoted. */
static char *os_release_value(const char *text, size_t len, const char *key)
{
        size_t kl = strlen(key);
        const char *end = text + len;
        for (const char *l = text; l < end;) {
                const char *nl = memchr(l, '\n', (size_t)(end - l));
                const char *le = nl ? nl : end;
                if ((size_t)(le - l) > kl && strncmp(l, key, kl) == 0 && l[kl] == '=') {
                        const char *v = l + kl + 1;
                        size_t vl = (size_t)(le - v);
                        if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
                                v++;
                                vl -= 2;
                        }
                        return xstrndup(v, vl);
                }
                l = le + 1;
        }
        return NULL;
}

/* Name and Version of a core-metadata file (RFC 822 headers up to the first empty line). */
static void python_metadata(const char *text, size_t len, char **name, char **version)
{
        const char *end = text + len;
        for (const char *l = text; l < end && !(*name && *version);) {
                const char *nl = memchr(l, '\n', (size_t)(end - l));
                const char *le = nl ? nl : end;
                size_t ll = (size_t)(le - l);
                if (ll > 0 && l[ll - 1] == '\r')
                        ll--;
                if (ll == 0)
                        break;
                char **slot = NULL;
                size_t kl = 0;
                if (ll > 5 && strncasecmp(l, "Name:", 5) == 0)
                        slot = name, kl = 5;
                else if (ll > 8 && strncasecmp(l, "Version:", 8) == 0)
                        slot = version, kl = 8;
                if (slot && !*slot) {
                        const char *v = l + kl, *ve = l + ll;
                        while (v < ve && (*v == ' ' || *v == '\t'))
                                v++;
                        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                                ve--;
                        if (ve > v)
                                *slot = xstrndup(v, (size_t)(ve - v));
                }
                l = le + 1;
        }
}

/* Whether an image path is a distribution's core metadata: X.dist-info/METADATA,
 * X.egg-info/PKG-INFO or an X.egg-info file (what Trivy's python-pkg analyzer reads). */
static bool is_python_metadata(const struct plan_entry *e)
{
        if (e->type != PLAN_FILE)
                return false;
        const char *base = path_basename(e->path);
        size_t bl = strlen(base);
        if (bl > 9 && strcmp(base + bl - 9, ".egg-info") == 0)
                return true;
        if (strcmp(base, "METADATA") != 0 && strcmp(base, "PKG-INFO") != 0)
                return false;
        cleanup_free char *dir = path_dirname(e->path);
        size_t dl = strlen(dir);
        const char *want = strcmp(base, "METADATA") == 0 ? ".dist-info" : ".egg-info";
        size_t wl = strlen(want);
        return dl > wl && strcmp(dir + dl - wl, want) == 0;
}

/* ---- the model ---------------------------------------------------------------------------- */

struct sbom_file {
        const struct plan_entry *e;
        char sha1[SHA1_HEX_LEN + 1];
        char *id;
};

struct sbom_pkg {
        const struct plan_package *deb; /* NULL: the image's own files */
        char *id;                       /* SPDXRef-… */
        char *purl;
        char *license;      /* SPDX expression, NULL for none */
        struct strvec refs; /* LicenseRef, DEP-5 name pairs */
        struct sbom_file **files;
        size_t n_files;
        char verification[SHA1_HEX_LEN + 1];
        struct strvec deps; /* names of packages this one depends on, sorted */
};

struct sbom_py {
        char *name, *version, *purl, *id, *path;
        struct sbom_pkg *owner; /* NULL when no Debian package ships it */
};

struct model {
        struct plan *plan;
        const struct store *st;
        const struct sbom_image *img;
        char *distro; /* os-release VERSION_ID, NULL when unknown */
        char *os_name;
        struct sbom_pkg image;
        struct sbom_pkg *pkgs;
        size_t n_pkgs;
        struct strmap by_name; /* package name → struct sbom_pkg * */
        struct sbom_file *files;
        size_t n_files;
        struct sbom_py *py;
        size_t n_py;
        char uuid[37];
        char created[32];
};

static int file_sha1(const struct store *st, const struct plan_entry *e, char *hex,
                     struct distill_error *err)
{
        int fd = -1;
        int r = store_open_blob(st, e->digest, &fd, err);
        if (r < 0)
                return r;
        struct digest *d = digest_sha1();
        char buf[65536];
        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e2 = errno;
                        digest_free(d);
                        close(fd);
                        return distill_error_errno(err, DISTILL_EIO, e2,
                                                   "reading %s from the store", e->path);
                }
                if (n == 0)
                        break;
                digest_update(d, buf, (size_t)n);
        }
        close(fd);
        digest_finish_hex(d, hex);
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* SPDX 2.3 §7.9: SHA-1 of the files' SHA-1 values, sorted, concatenated. */
static void verification_code(struct sbom_pkg *p)
{
        const char **v = xcalloc(p->n_files ? p->n_files : 1, sizeof(*v));
        for (size_t i = 0; i < p->n_files; i++)
                v[i] = p->files[i]->sha1;
        qsort(v, p->n_files, sizeof(*v), cmp_str);
        struct digest *d = digest_sha1();
        for (size_t i = 0; i < p->n_files; i++)
                digest_update(d, v[i], SHA1_HEX_LEN);
        digest_finish_hex(d, p->verification);
        free(v);
}

static void pkg_add_file(struct sbom_pkg *p, struct sbom_file *f)
{
        p->files = xrealloc(p->files, (p->n_files + 1) * sizeof(*p->files));
        p->files[p->n_files++] = f;
}

/* Reasons that say a file is there because another needs it (not a parent directory, nor
 * metadata of the package itself). */
static bool is_dependency_reason(enum plan_reason_kind k)
{
        return k != PLAN_R_PARENT && k != PLAN_R_PKG_METADATA && k != PLAN_R_GENERATED &&
               k != PLAN_R_SEED;
}

static void collect_dependencies(struct model *m, struct plan_entry *const *all, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const struct plan_entry *e = all[i];
                if (!e->pkg || !e->reason_from || !is_dependency_reason(e->reason))
                        continue;
                const struct plan_entry *from = plan_get(m->plan, e->reason_from);
                if (!from || !from->pkg || strcmp(from->pkg, e->pkg) == 0)
                        continue;
                struct sbom_pkg *user = strmap_get(&m->by_name, from->pkg);
                if (user && strmap_has(&m->by_name, e->pkg) &&
                    !strvec_contains(&user->deps, e->pkg))
                        strvec_push(&user->deps, e->pkg);
        }
        for (size_t i = 0; i < m->n_pkgs; i++)
                strvec_sort(&m->pkgs[i].deps);
}

static int read_os_release(struct model *m, struct distill_error *err)
{
        static const char *const paths[] = {"/etc/os-release", "/usr/lib/os-release"};
        for (size_t i = 0; i < 2; i++) {
                cleanup_free char *text = NULL;
                size_t len = 0;
                int r = read_image_file(m->plan, m->st, paths[i], METADATA_CAP, &text, &len, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                m->distro = os_release_value(text, len, "VERSION_ID");
                m->os_name = os_release_value(text, len, "ID");
                return 0;
        }
        return 0;
}

static int read_license(struct model *m, struct sbom_pkg *p, struct distill_error *err)
{
        cleanup_free char *path = xasprintf("/usr/share/doc/%s/copyright", p->deb->name);
        cleanup_free char *text = NULL;
        size_t len = 0;
        int r = read_image_file(m->plan, m->st, path, COPYRIGHT_CAP, &text, &len, err);
        if (r <= 0 || memchr(text, '\0', len))
                return r;
        p->license = sbom_dep5_license(text, len, path, p->deb->name, &p->refs);
        return 0;
}

static int read_python(struct model *m, struct plan_entry *const *all, size_t n,
                       struct distill_error *err)
{
        for (size_t i = 0; i < n; i++) {
                if (!is_python_metadata(all[i]))
                        continue;
                cleanup_free char *text = NULL;
                size_t len = 0;
                int r =
                    read_image_file(m->plan, m->st, all[i]->path, METADATA_CAP, &text, &len, err);
                if (r < 0)
                        return r;
                char *name = NULL, *version = NULL;
                if (r > 0)
                        python_metadata(text, len, &name, &version);
                if (!name || !version) {
                        free(name);
                        free(version);
                        continue;
                }
                m->py = xrealloc(m->py, (m->n_py + 1) * sizeof(*m->py));
                struct sbom_py *py = &m->py[m->n_py];
                struct strbuf id = STRBUF_INIT;
                strbuf_addf(&id, "SPDXRef-Package-python-%zu-", m->n_py + 1);
                id_chars(&id, name);
                *py = (struct sbom_py){.name = name,
                                       .version = version,
                                       .purl = pypi_purl(name, version),
                                       .id = strbuf_detach(&id),
                                       .path = xstrdup(all[i]->path),
                                       .owner = all[i]->pkg ? strmap_get(&m->by_name, all[i]->pkg)
                                                            : NULL};
                m->n_py++;
        }
        return 0;
}

static int build_model(struct model *m, struct distill_error *err)
{
        size_t n;
        struct plan_entry *const *all = plan_sorted(m->plan, &n);
        int r = read_os_release(m, err);
        if (r < 0)
                return r;
        sbom_uuid5(m->img->manifest_digest, m->uuid);
        rfc3339_utc(m->img->created, m->created);

        m->image.id = xstrdup("SPDXRef-Package-image");
        m->image.purl = oci_purl(m->img->ref, m->img->manifest_digest);
        m->pkgs = xcalloc(m->plan->n_packages ? m->plan->n_packages : 1, sizeof(*m->pkgs));
        for (size_t i = 0; i < m->plan->n_packages; i++) {
                const struct plan_package *pp = &m->plan->packages[i];
                if (!pp->kept)
                        continue;
                struct sbom_pkg *p = &m->pkgs[m->n_pkgs];
                struct strbuf id = STRBUF_INIT;
                /* the index keeps IDs unique whatever id_chars folds together */
                strbuf_addf(&id, "SPDXRef-Package-deb-%zu-", m->n_pkgs + 1);
                id_chars(&id, pp->name);
                p->deb = pp;
                p->id = strbuf_detach(&id);
                p->purl = deb_purl(pp, m->distro);
                strmap_put(&m->by_name, pp->name, p);
                m->n_pkgs++;
                if ((r = read_license(m, p, err)) < 0)
                        return r;
        }

        m->files = xcalloc(n ? n : 1, sizeof(*m->files));
        for (size_t i = 0; i < n; i++) {
                if (all[i]->type != PLAN_FILE)
                        continue;
                struct sbom_file *f = &m->files[m->n_files];
                f->e = all[i];
                if ((r = file_sha1(m->st, all[i], f->sha1, err)) < 0)
                        return r;
                f->id = xasprintf("SPDXRef-File-%zu", m->n_files + 1);
                m->n_files++;
                struct sbom_pkg *owner = all[i]->pkg ? strmap_get(&m->by_name, all[i]->pkg) : NULL;
                pkg_add_file(owner ? owner : &m->image, f);
        }
        verification_code(&m->image);
        for (size_t i = 0; i < m->n_pkgs; i++)
                verification_code(&m->pkgs[i]);
        collect_dependencies(m, all, n);
        return read_python(m, all, n, err);
}

static void pkg_release(struct sbom_pkg *p)
{
        free(p->id);
        free(p->purl);
        free(p->license);
        free(p->files);
        strvec_clear(&p->refs);
        strvec_clear(&p->deps);
}

static void model_release(struct model *m)
{
        pkg_release(&m->image);
        for (size_t i = 0; i < m->n_pkgs; i++)
                pkg_release(&m->pkgs[i]);
        free(m->pkgs);
        for (size_t i = 0; i < m->n_files; i++)
                free(m->files[i].id);
        free(m->files);
        for (size_t i = 0; i < m->n_py; i++) {
                free(m->py[i].name);
                free(m->py[i].version);
                free(m->py[i].purl);
                free(m->py[i].id);
                free(m->py[i].path);
        }
        free(m->py);
        free(m->distro);
        free(m->os_name);
        strmap_clear(&m->by_name, NULL);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static void set_str(json_t *o, const char *key, const char *value)
{
        json_object_set_new(o, key, json_string_lossy(value));
}

static json_t *checksum(const char *algorithm, const char *value)
{
        json_t *c = json_object();
        set_str(c, "algorithm", algorithm);
        set_str(c, "checksumValue", value);
        return c;
}

static json_t *purl_ref(const char *purl)
{
        json_t *refs = json_array(), *r = json_object();
        set_str(r, "referenceCategory", "PACKAGE-MANAGER");
        set_str(r, "referenceType", "purl");
        set_str(r, "referenceLocator", purl);
        json_array_append_new(refs, r);
        return refs;
}

static void relate(json_t *rels, const char *a, const char *type, const char *b)
{
        json_t *r = json_object();
        set_str(r, "spdxElementId", a);
        set_str(r, "relationshipType", type);
        set_str(r, "relatedSpdxElement", b);
        json_array_append_new(rels, r);
}

static void spdx_files_analyzed(json_t *o, const struct sbom_pkg *p)
{
        json_object_set_new(o, "filesAnalyzed", json_boolean(p->n_files > 0));
        if (p->n_files) {
                json_t *vc = json_object();
                set_str(vc, "packageVerificationCodeValue", p->verification);
                json_object_set_new(o, "packageVerificationCode", vc);
        }
}

static json_t *spdx_deb_package(const struct model *m, const struct sbom_pkg *p)
{
        json_t *o = json_object();
        set_str(o, "SPDXID", p->id);
        set_str(o, "name", p->deb->name);
        set_str(o, "versionInfo", p->deb->version);
        set_str(o, "supplier", "Organization: Debian");
        set_str(o, "downloadLocation", "NOASSERTION");
        spdx_files_analyzed(o, p);
        if (p->deb->source) {
                cleanup_free char *info =
                    xasprintf("built from Debian source package %s", p->deb->source);
                set_str(o, "sourceInfo", info);
        }
        set_str(o, "licenseConcluded", "NOASSERTION");
        set_str(o, "licenseDeclared", p->license ? p->license : "NOASSERTION");
        set_str(o, "copyrightText", "NOASSERTION");
        json_object_set_new(o, "externalRefs", purl_ref(p->purl));
        (void)m;
        return o;
}

static json_t *spdx_py_package(const struct sbom_py *py)
{
        json_t *o = json_object();
        set_str(o, "SPDXID", py->id);
        set_str(o, "name", py->name);
        set_str(o, "versionInfo", py->version);
        set_str(o, "downloadLocation", "NOASSERTION");
        json_object_set_new(o, "filesAnalyzed", json_false());
        cleanup_free char *info = xasprintf("core metadata at .%s", py->path);
        set_str(o, "sourceInfo", info);
        json_object_set_new(o, "externalRefs", purl_ref(py->purl));
        set_str(o, "primaryPackagePurpose", "LIBRARY");
        return o;
}

static json_t *spdx_image_package(const struct model *m)
{
        json_t *o = json_object();
        set_str(o, "SPDXID", m->image.id);
        set_str(o, "name", m->img->ref);
        cleanup_free char *version = xasprintf("sha256:%s", m->img->manifest_digest);
        set_str(o, "versionInfo", version);
        set_str(o, "downloadLocation", "NOASSERTION");
        spdx_files_analyzed(o, &m->image);
        set_str(o, "licenseConcluded", "NOASSERTION");
        set_str(o, "licenseDeclared", "NOASSERTION");
        set_str(o, "copyrightText", "NOASSERTION");
        set_str(o, "comment",
                "the image; its own files are those no Debian package ships "
                "(the application, files distill generates)");
        json_object_set_new(o, "externalRefs", purl_ref(m->image.purl));
        set_str(o, "primaryPackagePurpose", "CONTAINER");
        return o;
}

static json_t *spdx_file(const struct sbom_file *f)
{
        json_t *o = json_object();
        set_str(o, "SPDXID", f->id);
        cleanup_free char *name = xasprintf(".%s", f->e->path);
        set_str(o, "fileName", name);
        json_t *sums = json_array();
        json_array_append_new(sums, checksum("SHA1", f->sha1));
        json_array_append_new(sums, checksum("SHA256", f->e->digest));
        json_object_set_new(o, "checksums", sums);
        set_str(o, "licenseConcluded", "NOASSERTION");
        set_str(o, "copyrightText", "NOASSERTION");
        return o;
}

static json_t *spdx_document(const struct model *m)
{
        json_t *doc = json_object();
        set_str(doc, "spdxVersion", "SPDX-2.3");
        set_str(doc, "dataLicense", "CC0-1.0");
        set_str(doc, "SPDXID", "SPDXRef-DOCUMENT");
        set_str(doc, "name", m->img->ref);
        cleanup_free char *ns =
            xasprintf("https://distill.invalid/spdx/%s/%s", m->img->manifest_digest, m->uuid);
        set_str(doc, "documentNamespace", ns);
        json_t *ci = json_object();
        set_str(ci, "created", m->created);
        json_t *creators = json_array();
        json_array_append_new(creators, json_string_lossy("Tool: distill-" DISTILL_VERSION));
        json_object_set_new(ci, "creators", creators);
        json_object_set_new(doc, "creationInfo", ci);

        json_t *pkgs = json_array(), *files = json_array(), *rels = json_array();
        json_t *extracted = json_array();
        json_array_append_new(pkgs, spdx_image_package(m));
        relate(rels, "SPDXRef-DOCUMENT", "DESCRIBES", m->image.id);
        for (size_t i = 0; i < m->n_pkgs; i++) {
                const struct sbom_pkg *p = &m->pkgs[i];
                json_array_append_new(pkgs, spdx_deb_package(m, p));
                relate(rels, m->image.id, "CONTAINS", p->id);
                for (size_t j = 0; j + 1 < p->refs.n; j += 2) {
                        json_t *x = json_object();
                        set_str(x, "licenseId", p->refs.v[j]);
                        set_str(x, "name", p->refs.v[j + 1]);
                        cleanup_free char *text =
                            xasprintf("The licence \"%s\" of /usr/share/doc/%s/copyright",
                                      p->refs.v[j + 1], p->deb->name);
                        set_str(x, "extractedText", text);
                        json_array_append_new(extracted, x);
                }
        }
        for (size_t i = 0; i < m->n_py; i++) {
                const struct sbom_py *py = &m->py[i];
                json_array_append_new(pkgs, spdx_py_package(py));
                relate(rels, py->owner ? py->owner->id : m->image.id, "CONTAINS", py->id);
        }
        for (size_t i = 0; i < m->n_files; i++)
                json_array_append_new(files, spdx_file(&m->files[i]));
        const struct sbom_pkg *owners[1] = {&m->image};
        for (size_t k = 0; k <= m->n_pkgs; k++) {
                const struct sbom_pkg *p = k == 0 ? owners[0] : &m->pkgs[k - 1];
                for (size_t j = 0; j < p->n_files; j++)
                        relate(rels, p->id, "CONTAINS", p->files[j]->id);
        }
        for (size_t i = 0; i < m->n_pkgs; i++) {
                const struct sbom_pkg *p = &m->pkgs[i];
                for (size_t j = 0; j < p->deps.n; j++) {
                        const struct sbom_pkg *dep = strmap_get(&m->by_name, p->deps.v[j]);
                        relate(rels, p->id, "DEPENDS_ON", dep->id);
                }
        }
        if (json_array_size(extracted))
                json_object_set_new(doc, "hasExtractedLicensingInfos", extracted);
        else
                json_decref(extracted);
        json_object_set_new(doc, "packages", pkgs);
        json_object_set_new(doc, "files", files);
        json_object_set_new(doc, "relationships", rels);
        return doc;
}

static json_t *cdx_property(const char *name, const char *value)
{
        json_t *p = json_object();
        set_str(p, "name", name);
        set_str(p, "value", value);
        return p;
}

static json_t *cdx_py_component(const struct sbom_py *py, const char *bom_ref)
{
        json_t *c = json_object();
        set_str(c, "type", "library");
        set_str(c, "bom-ref", bom_ref);
        set_str(c, "name", py->name);
        set_str(c, "version", py->version);
        set_str(c, "purl", py->purl);
        json_t *props = json_array();
        cleanup_free char *path = xasprintf(".%s", py->path);
        json_array_append_new(props, cdx_property("distill:metadata-path", path));
        json_object_set_new(c, "properties", props);
        return c;
}

static char *py_bom_ref(const struct sbom_py *py)
{
        return xasprintf("%s#.%s", py->purl, py->path);
}

static json_t *cdx_deb_component(const struct model *m, const struct sbom_pkg *p)
{
        json_t *c = json_object();
        set_str(c, "type", "library");
        set_str(c, "bom-ref", p->purl);
        json_t *supplier = json_object();
        set_str(supplier, "name", "Debian");
        json_object_set_new(c, "supplier", supplier);
        set_str(c, "name", p->deb->name);
        set_str(c, "version", p->deb->version);
        if (p->license) {
                json_t *lic = json_array(), *e = json_object();
                set_str(e, "expression", p->license);
                json_array_append_new(lic, e);
                json_object_set_new(c, "licenses", lic);
        }
        set_str(c, "purl", p->purl);
        json_t *props = json_array();
        if (p->deb->source)
                json_array_append_new(props, cdx_property("distill:deb:source", p->deb->source));
        json_array_append_new(props,
                              cdx_property("distill:deb:arch", p->deb->arch ? p->deb->arch : ""));
        json_object_set_new(c, "properties", props);
        json_t *inner = json_array();
        for (size_t i = 0; i < m->n_py; i++) {
                if (m->py[i].owner != p)
                        continue;
                cleanup_free char *ref = py_bom_ref(&m->py[i]);
                json_array_append_new(inner, cdx_py_component(&m->py[i], ref));
        }
        if (json_array_size(inner))
                json_object_set_new(c, "components", inner);
        else
                json_decref(inner);
        return c;
}

static json_t *cdx_dependency(const char *ref, json_t *depends_on)
{
        json_t *d = json_object();
        set_str(d, "ref", ref);
        json_object_set_new(d, "dependsOn", depends_on);
        return d;
}

static json_t *cdx_document(const struct model *m)
{
        json_t *doc = json_object();
        set_str(doc, "bomFormat", "CycloneDX");
        set_str(doc, "specVersion", "1.5");
        cleanup_free char *serial = xasprintf("urn:uuid:%s", m->uuid);
        set_str(doc, "serialNumber", serial);
        json_object_set_new(doc, "version", json_integer(1));

        json_t *meta = json_object();
        set_str(meta, "timestamp", m->created);
        json_t *tools = json_object(), *tool_list = json_array(), *tool = json_object();
        set_str(tool, "type", "application");
        set_str(tool, "name", "distill");
        set_str(tool, "version", DISTILL_VERSION);
        json_array_append_new(tool_list, tool);
        json_object_set_new(tools, "components", tool_list);
        json_object_set_new(meta, "tools", tools);
        json_t *image = json_object();
        set_str(image, "type", "container");
        set_str(image, "bom-ref", m->image.purl);
        cleanup_free char *repo = NULL, *tag = NULL;
        oci_split_ref(m->img->ref, &repo, &tag);
        set_str(image, "name", repo);
        cleanup_free char *version = xasprintf("sha256:%s", m->img->manifest_digest);
        set_str(image, "version", version);
        set_str(image, "purl", m->image.purl);
        json_object_set_new(meta, "component", image);
        json_object_set_new(doc, "metadata", meta);

        json_t *comps = json_array(), *deps = json_array(), *top = json_array();
        if (m->distro) {
                json_t *os = json_object();
                set_str(os, "type", "operating-system");
                set_str(os, "bom-ref", "os");
                set_str(os, "name", m->os_name ? m->os_name : "debian");
                set_str(os, "version", m->distro);
                json_array_append_new(comps, os);
                json_array_append_new(top, json_string_lossy("os"));
        }
        for (size_t i = 0; i < m->n_pkgs; i++) {
                const struct sbom_pkg *p = &m->pkgs[i];
                json_array_append_new(comps, cdx_deb_component(m, p));
                json_array_append_new(top, json_string_lossy(p->purl));
        }
        for (size_t i = 0; i < m->n_py; i++) {
                if (m->py[i].owner)
                        continue;
                cleanup_free char *ref = py_bom_ref(&m->py[i]);
                json_array_append_new(comps, cdx_py_component(&m->py[i], ref));
                json_array_append_new(top, json_string_lossy(ref));
        }
        json_array_append_new(deps, cdx_dependency(m->image.purl, top));
        for (size_t i = 0; i < m->n_pkgs; i++) {
                const struct sbom_pkg *p = &m->pkgs[i];
                json_t *on = json_array();
                for (size_t j = 0; j < p->deps.n; j++) {
                        const struct sbom_pkg *dep = strmap_get(&m->by_name, p->deps.v[j]);
                        json_array_append_new(on, json_string_lossy(dep->purl));
                }
                for (size_t j = 0; j < m->n_py; j++) {
                        if (m->py[j].owner != p)
                                continue;
                        cleanup_free char *ref = py_bom_ref(&m->py[j]);
                        json_array_append_new(on, json_string_lossy(ref));
                }
                json_array_append_new(deps, cdx_dependency(p->purl, on));
        }
        json_object_set_new(doc, "components", comps);
        json_object_set_new(doc, "dependencies", deps);
        return doc;
}

static char *dump(json_t *doc)
{
        char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (!text)
                abort(); /* only allocation failure: every string was made valid UTF-8 */
        size_t len = strlen(text);
        text = xrealloc(text, len + 2);
        text[len] = '\n';
        text[len + 1] = '\0';
        return text;
}

int sbom_make(struct plan *plan, const struct store *st, const struct sbom_image *img,
              struct sbom_docs *out, struct distill_error *err)
{
        struct model m = {.plan = plan, .st = st, .img = img, .by_name = STRMAP_INIT};
        int r = build_model(&m, err);
        if (r >= 0) {
                out->spdx = dump(spdx_document(&m));
                out->cdx = dump(cdx_document(&m));
        }
        model_release(&m);
        return r;
}

void sbom_docs_release(struct sbom_docs *d)
{
        free(d->spdx);
        free(d->cdx);
        d->spdx = d->cdx = NULL;
}

int sbom_write(const struct sbom_docs *d, const char *spdx_path, const char *cdx_path,
               struct distill_error *err)
{
        int e = write_file_atomic(spdx_path, d->spdx, strlen(d->spdx), 0644);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "writing %s", spdx_path);
        e = write_file_atomic(cdx_path, d->cdx, strlen(d->cdx), 0644);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "writing %s", cdx_path);
        return 0;
}
