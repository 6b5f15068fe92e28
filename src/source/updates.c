/* The newest version each package has in the verified indexes, for `distill outdated`. Versions
 * are ordered by libsolv (the solver's own order), suites classified by their Release fields. */
#include "distill/source/updates.h"

#include <stdlib.h>
#include <string.h>
#include <solv/pool.h>
#include <solv/evr.h>

#include "distill/source/deb822.h"

#define VERSION_MAX 256 /* bytes of a Version: value (dpkg's longest are ~100) */

struct archive_versions {
        struct strmap newest; /* package name → struct archive_offer * */
};

int deb_version_compare(const char *a, const char *b)
{
        Pool *pool = pool_create();
        pool_setdisttype(pool, DISTTYPE_DEB);
        int c = pool_evrcmp_str(pool, a, b, EVRCMP_COMPARE);
        pool_free(pool);
        return c;
}

static bool ends_with_security(const char *s)
{
        static const char suffix[] = "-security";
        size_t n = s ? strlen(s) : 0;
        return n >= sizeof(suffix) - 1 && strcasecmp(s + n - (sizeof(suffix) - 1), suffix) == 0;
}

bool release_is_security(const char *label, const char *suite, const char *codename)
{
        return (label && strcasestr(label, "security")) || ends_with_security(suite) ||
               ends_with_security(codename);
}

static void offer_free(void *p)
{
        struct archive_offer *o = p;
        if (!o)
                return;
        free(o->version);
        free(o->suite);
        free(o);
}

void archive_versions_free(struct archive_versions *av)
{
        if (!av)
                return;
        strmap_clear(&av->newest, offer_free);
        free(av);
}

const struct archive_offer *archive_versions_newest(const struct archive_versions *av,
                                                    const char *name)
{
        return strmap_get(&av->newest, name);
}

/* Where a version is newer, it replaces the recorded one; where it is the same, a security
 * suite's name wins (the update is a security fix even when a point release carries it too). */
static void offer(struct archive_versions *av, const char *name, const char *version,
                  const char *suite, bool security)
{
        struct archive_offer *cur = strmap_get(&av->newest, name);
        if (cur) {
                int c = deb_version_compare(version, cur->version);
                if (c < 0 || (c == 0 && (cur->security || !security)))
                        return;
                free(cur->version);
                free(cur->suite);
        } else {
                cur = xcalloc(1, sizeof(*cur));
                strmap_put(&av->newest, name, cur);
        }
        cur->version = xstrdup(version);
        cur->suite = xstrdup(suite);
        cur->security = security;
}

static const struct deb822_format packages_format = {.error_code = DISTILL_EIO};

static int read_index(struct archive_versions *av, const struct apt_index *ix, const char *text,
                      size_t len, struct distill_error *err)
{
        const char *suite = ix->suite      ? ix->suite
                            : ix->codename ? ix->codename
                            : ix->source   ? ix->source->suite
                                           : "";
        bool security = release_is_security(ix->label, ix->suite, ix->codename);
        struct deb822_reader *rd = deb822_open(text, len, ix->packages_path, &packages_format);
        struct deb822_stanza st;
        int r;

        while ((r = deb822_next(rd, &st, err)) > 0) {
                const struct deb822_field *fp = deb822_get(&st, "Package");
                const struct deb822_field *fv = deb822_get(&st, "Version");
                if (!fp || !fv) {
                        r = distill_error_set(err, DISTILL_EIO,
                                              "%s:%u: a stanza without Package or Version",
                                              ix->packages_path, st.line);
                        break;
                }
                cleanup_free char *name = deb822_first_line(fp);
                cleanup_free char *version = deb822_first_line(fv);
                if (!*name || !*version || strlen(version) > VERSION_MAX) {
                        r = distill_error_set(err, DISTILL_EIO,
                                              "%s:%u: an empty Package, or a Version empty or "
                                              "longer than %d bytes",
                                              ix->packages_path, st.line, VERSION_MAX);
                        break;
                }
                offer(av, name, version, suite, security);
        }
        deb822_close(rd);
        return r < 0 ? r : 0;
}

int archive_versions_read(const struct apt_index *idx, size_t n, struct archive_versions **out,
                          struct distill_error *err)
{
        struct archive_versions *av = xcalloc(1, sizeof(*av));
        int r = 0;

        *out = NULL;
        for (size_t i = 0; i < n && r >= 0; i++) {
                char *text = NULL;
                size_t len = 0;
                int e = read_file(idx[i].packages_path, &text, &len);
                if (e < 0)
                        r = distill_error_errno(err, DISTILL_EIO, -e, "%s", idx[i].packages_path);
                else if (memchr(text, '\0', len))
                        r = distill_error_set(err, DISTILL_EIO, "%s: contains a NUL byte",
                                              idx[i].packages_path);
                else
                        r = read_index(av, &idx[i], text, len, err);
                free(text);
        }
        if (r < 0) {
                archive_versions_free(av);
                return r;
        }
        *out = av;
        return 0;
}
