/* Debian releases and their Python (release.h). */
#include "distill/convert/release.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "distill/base/util.h"
#include "distill/source/source.h"

#define RELEASES_MAX_FILE (1 << 20)
#define RELEASES_MAX      1000

int64_t release_parse_day(const char *s)
{
        struct tm tm = {0};
        const char *end = strptime(s, "%Y-%m-%d", &tm);
        if (!end || *end)
                return -1;
        return (int64_t)timegm(&tm) / 86400;
}

/* One CSV line split at commas: distro-info-data quotes nothing. */
static void split_commas(char *line, char **fields, size_t max, size_t *n)
{
        *n = 0;
        for (char *p = line; *n < max;) {
                fields[(*n)++] = p;
                char *comma = strchr(p, ',');
                if (!comma)
                        break;
                *comma = '\0';
                p = comma + 1;
        }
}

static int parse_day_field(const char *path, size_t line, const char *s, int64_t *day,
                           struct distill_error *err)
{
        *day = -1;
        if (!*s)
                return 0;
        if ((*day = release_parse_day(s)) < 0)
                return distill_error_set(err, DISTILL_EUSAGE, "%s:%zu: \"%s\" is not a date", path,
                                         line, s);
        return 0;
}

static int parse_release_line(const char *path, size_t line, char *text, struct debian_release *out,
                              struct distill_error *err)
{
        char *f[8];
        size_t n;
        split_commas(text, f, 8, &n);
        if (n < 4)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s:%zu: expected at least 4 comma-separated fields", path,
                                         line);
        int64_t days[4] = {-1, -1, -1, -1};
        for (size_t i = 4; i < n && i < 8; i++) {
                int r = parse_day_field(path, line, f[i], &days[i - 4], err);
                if (r < 0)
                        return r;
        }
        out->version = xstrdup(f[0]);
        out->name = xstrdup(f[1]);
        out->codename = xstrdup(f[2]); /* the file's "series": the suite's name */
        out->release = days[0];
        out->eol = days[1];
        out->eol_lts = days[2];
        out->eol_elts = days[3];
        return 0;
}

int debian_releases_load(const char *path, struct debian_releases *out, struct distill_error *err)
{
        cleanup_free char *data = NULL;
        size_t len;
        int r = read_file_capped(path, RELEASES_MAX_FILE, &data, &len);
        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, -r,
                                           "reading %s (Debian's distro-info-data)", path);
        struct debian_releases res = {0};
        size_t line = 0;
        char *save = NULL;
        for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                line++;
                if (line == 1 && !strncmp(l, "version,", 8))
                        continue; /* the header */
                if (res.n >= RELEASES_MAX) {
                        debian_releases_release(&res);
                        return distill_error_set(err, DISTILL_EUSAGE, "%s: more than %d releases",
                                                 path, RELEASES_MAX);
                }
                res.v = xrealloc(res.v, (res.n + 1) * sizeof(*res.v));
                memset(&res.v[res.n], 0, sizeof(*res.v));
                if ((r = parse_release_line(path, line, l, &res.v[res.n], err)) < 0) {
                        debian_releases_release(&res);
                        return r;
                }
                res.n++;
        }
        *out = res;
        return 0;
}

void debian_releases_release(struct debian_releases *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->v[i].version);
                free(r->v[i].codename);
                free(r->v[i].name);
        }
        free(r->v);
        memset(r, 0, sizeof(*r));
}

const struct debian_release *debian_release_find(const struct debian_releases *r,
                                                 const char *codename)
{
        for (size_t i = 0; i < r->n; i++)
                if (!strcmp(r->v[i].codename, codename))
                        return &r->v[i];
        return NULL;
}

bool debian_release_supported(const struct debian_release *r, int64_t day)
{
        if (r->release < 0 || r->release > day)
                return false;
        int64_t end = r->eol_lts >= 0 ? r->eol_lts : r->eol;
        return end < 0 || day < end;
}

bool debian_release_security(const struct debian_release *r, int64_t day)
{
        return r->release >= 0 && r->release <= day && (r->eol < 0 || day < r->eol);
}

/* "3.11.2-6+deb12u6" → "3.11.2"; "1:2.0-1" → "2.0" (no epoch, no Debian revision) */
static char *upstream_version(const char *v)
{
        const char *colon = strchr(v, ':');
        if (colon)
                v = colon + 1;
        const char *dash = strrchr(v, '-');
        return dash ? xstrndup(v, (size_t)(dash - v)) : xstrdup(v);
}

/* "3.11.2" → "3.11": the first two numeric parts */
static char *major_minor(const char *v)
{
        size_t n = strspn(v, "0123456789");
        if (!n || v[n] != '.')
                return NULL;
        size_t m = strspn(v + n + 1, "0123456789");
        return m ? xstrndup(v, n + 1 + m) : NULL;
}

/* Without a python3 package (a root with only an interpreter installed): the newest
 * python3.N-minimal the source has, or NULL. */
static char *newest_minimal_xy(struct source *src)
{
        char *best = NULL;
        for (size_t i = 0; i < source_count(src); i++) {
                const char *name = source_pkg_at(src, i)->name;
                size_t n = strlen(name);
                if (strncmp(name, "python3.", 8) || n < 17 || strcmp(name + n - 8, "-minimal"))
                        continue;
                cleanup_free char *xy = xstrndup(name + 6, n - 6 - 8);
                if (strspn(xy + 2, "0123456789") != strlen(xy + 2))
                        continue;
                if (!best || release_compare_xy(xy, best) > 0) {
                        free(best);
                        best = xstrdup(xy);
                }
        }
        return best;
}

int release_python_of(struct source *src, struct release_python *out, struct distill_error *err)
{
        memset(out, 0, sizeof(*out));
        struct source_pkg *py3 = source_find(src, "python3");
        if (py3) {
                cleanup_free char *up = upstream_version(py3->version);
                out->xy = major_minor(up);
                if (!out->xy)
                        return distill_error_set(err, DISTILL_ERESOLVE,
                                                 "python3 %s: not a Python version", py3->version);
        } else if (!(out->xy = newest_minimal_xy(src))) {
                return distill_error_set(err, DISTILL_ERESOLVE,
                                         "the package source has no python3 package and no "
                                         "python3.N-minimal");
        }
        out->minimal = xasprintf("python%s-minimal", out->xy);
        struct source_pkg *minimal = source_find(src, out->minimal);
        if (!minimal) {
                int r = distill_error_set(err, DISTILL_ERESOLVE,
                                          "the package source has python3 %s but no %s",
                                          py3 ? py3->version : "?", out->minimal);
                release_python_release(out);
                return r;
        }
        out->full = upstream_version(minimal->version);
        out->interpreter = xasprintf("/usr/bin/python%s", out->xy);
        struct source_pkg *libc = source_find(src, "libc6");
        if (libc) {
                cleanup_free char *v = upstream_version(libc->version);
                out->glibc = major_minor(v);
        }
        return 0;
}

void release_python_release(struct release_python *p)
{
        free(p->xy);
        free(p->full);
        free(p->interpreter);
        free(p->minimal);
        free(p->glibc);
        memset(p, 0, sizeof(*p));
}

int release_compare_xy(const char *a, const char *b)
{
        while (*a || *b) {
                long x = strtol(a, (char **)&a, 10), y = strtol(b, (char **)&b, 10);
                if (x != y)
                        return x < y ? -1 : 1;
                if (*a == '.')
                        a++;
                if (*b == '.')
                        b++;
                if (!isdigit((unsigned char)*a) && !isdigit((unsigned char)*b))
                        break;
        }
        return 0;
}
