/* rootfs: the files a package manager's maintainer scripts would have written (accounts,
 * nsswitch.conf, the CA bundle, dpkg metadata for scanners), the merged-/usr links, and the
 * image policy (docs/architecture.md: "Root filesystem policy", "usrmerge", "Links ld.so and
 * maintainer scripts expect", "Metadata scanners read"). Everything is built from the plan and the
 * package source, never from the build host's own /etc. */
#include "distill/image/rootfs.h"
#include "distill/input/rules.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "distill/core/imagens.h"

#define CA_DIR         "/usr/share/ca-certificates/mozilla/"
#define CA_BUNDLE_PATH "/etc/ssl/certs/ca-certificates.crt"
#define CA_PACKAGE     "ca-certificates"
/* Mozilla's store is ~200 KB; the caps only stop a hostile source from filling memory. */
#define CA_MAX_BUNDLE       (64u << 20)
#define COPYRIGHT_MAX       (16u << 20)
#define COPYRIGHT_MAX_LINKS 16
#define NOBODY_ID           65534u

/* Shells and package managers: an image that has one is not distroless. Matched against the
 * basename of every non-directory entry. */
static const char *const forbidden_names[] = {
    "sh",   "bash", "dash", "rbash", "busybox", "zsh", "ksh",      "csh", "tcsh", "fish",
    "mksh", "ash",  "posh", "yash",  "dpkg",    "apt", "aptitude", "su",  "sudo", "login",
};
static const char *const forbidden_prefixes[] = {"dpkg-", "apt-"};

bool rootfs_is_forbidden_name(const char *basename)
{
        for (size_t i = 0; i < sizeof(forbidden_names) / sizeof(forbidden_names[0]); i++)
                if (!strcmp(basename, forbidden_names[i]))
                        return true;
        for (size_t i = 0; i < sizeof(forbidden_prefixes) / sizeof(forbidden_prefixes[0]); i++)
                if (!strncmp(basename, forbidden_prefixes[i], strlen(forbidden_prefixes[i])))
                        return true;
        return false;
}

/* --- small helpers ---------------------------------------------------------------------- */

static struct plan_entry dir_entry(const char *path, unsigned mode, enum plan_reason_kind reason,
                                   const char *from, const char *detail)
{
        return (struct plan_entry){.path = (char *)path,
                                   .type = PLAN_DIR,
                                   .mode = mode,
                                   .reason = reason,
                                   .reason_from = (char *)from,
                                   .reason_detail = (char *)detail};
}

/* Stores bytes and replaces whatever the plan had at `path` with a root-owned file of them. */
static int put_generated_file(struct plan *plan, struct store *st, const char *path,
                              const void *data, size_t len, const struct plan_entry *proto,
                              struct distill_error *err)
{
        struct plan_entry e = *proto;
        e.path = (char *)path;
        e.type = PLAN_FILE;
        e.mode = proto->mode ? proto->mode : 0644;
        e.size = len;
        int r = store_put_mem(st, data, len, e.digest, err);
        if (r < 0)
                return distill_error_prefix(err, "storing %s: ", path);
        plan_put(plan, &e);
        return 0;
}

/* Appends what is left to read on fd to `out`, which may not grow past max bytes. */
static int append_fd(int fd, size_t max, struct strbuf *out)
{
        if (out->len > max)
                return -EFBIG;
        char *data;
        size_t len;
        int e = read_fd_capped(fd, max - out->len, &data, &len);
        if (e < 0)
                return e;
        strbuf_add(out, data, len);
        free(data);
        return 0;
}

/* Appends the bytes of a regular file of the source to `out`. */
static int append_source_file(struct source *src, const char *pkg_path, size_t max,
                              struct strbuf *out, struct distill_error *err)
{
        cleanup_close int fd = -1;
        int r = source_open_file(src, pkg_path, &fd, err);
        if (r < 0)
                return r;
        r = append_fd(fd, max, out);
        if (r == -EFBIG)
                return distill_error_set(err, DISTILL_EIO, "%s: %s: larger than %zu bytes",
                                         source_root(src), pkg_path, max);
        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, -r, "%s: reading %s", source_root(src),
                                           pkg_path);
        return 0;
}

/* --- policy: forbidden programs --------------------------------------------------------- */

static int check_forbidden(struct plan *plan, const struct manifest *m, struct distill_error *err)
{
        size_t n;
        struct plan_entry *const *ents = plan_sorted(plan, &n);
        for (size_t i = 0; i < n; i++) {
                const struct plan_entry *e = ents[i];
                if (e->type == PLAN_DIR || !rootfs_is_forbidden_name(path_basename(e->path)))
                        continue;
                /* debug: true — busybox's shell, and only under /busybox */
                if (m->debug && path_has_prefix(e->path, MANIFEST_DEBUG_DIR) && e->pkg &&
                    !strcmp(e->pkg, MANIFEST_DEBUG_PACKAGE))
                        continue;
                return distill_error_set(
                    err, DISTILL_EUSAGE,
                    "policy: %s (%s%s, reason %s%s%s%s%s) is a shell or package manager", e->path,
                    e->pkg ? "from package " : "not from a package", e->pkg ? e->pkg : "",
                    plan_reason_name(e->reason), e->reason_from ? " from " : "",
                    e->reason_from ? e->reason_from : "", e->reason_detail ? ": " : "",
                    e->reason_detail ? e->reason_detail : "");
        }
        return 0;
}

/* --- usrmerge --------------------------------------------------------------------------- */

static int add_usrmerge_link(struct plan *plan, const char *link, const char *target,
                             struct distill_error *err)
{
        const struct plan_entry *old = plan_get(plan, link);
        if (old && old->type != PLAN_DIR && old->type != PLAN_SYMLINK)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s (from %s) is a %s where the merged-/usr link %s -> "
                                         "%s belongs",
                                         link, old->pkg ? old->pkg : "no package",
                                         plan_type_name(old->type), link, target);
        cleanup_free char *canon = path_join("/", target);
        struct plan_entry e = {.path = (char *)link,
                               .type = PLAN_SYMLINK,
                               .mode = 0777,
                               .target = (char *)target,
                               .reason = PLAN_R_GENERATED,
                               .reason_detail = "merged /usr"};
        plan_put(plan, &e);
        /* a dangling top link would be odd in an image; the directory costs nothing */
        struct plan_entry d = dir_entry(canon, 0755, PLAN_R_GENERATED, link, "merged /usr");
        plan_add(plan, &d, NULL);
        return 0;
}

static int add_usrmerge_links(struct plan *plan, struct distill_error *err)
{
        size_t n;
        const struct usrmerge_top *tops = usrmerge_tops(&n);
        for (size_t i = 0; i < n; i++) {
                /* /bin, /sbin and /lib always; /lib64 and the other library dirs only where the
                 * image keeps something there (amd64's PT_INTERP /lib64/ld-linux-x86-64.so.2,
                 * canonicalised to /usr/lib64) */
                cleanup_free char *usr = xasprintf("/%s", tops[i].target);
                bool always = !strcmp(tops[i].path, "/bin") || !strcmp(tops[i].path, "/sbin") ||
                              !strcmp(tops[i].path, "/lib");
                if (!always && !plan_has_under(plan, usr))
                        continue;
                int r = add_usrmerge_link(plan, tops[i].path, tops[i].target, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- accounts and fixed directories ----------------------------------------------------- */

struct account {
        const char *name;
        unsigned uid;
        unsigned gid;
        char *home;
};

static int user_account(const struct manifest *m, struct account *a, struct distill_error *err)
{
        a->name = m->user.name ? m->user.name : "nonroot";
        a->uid = m->user.name ? m->user.uid : 1000;
        a->gid = m->user.name ? m->user.gid : 1000;
        if (a->uid == 0 || a->uid == NOBODY_ID || !strcmp(a->name, "root") ||
            !strcmp(a->name, "nobody"))
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "user %s (%u:%u) collides with the image's root or "
                                         "nobody account",
                                         a->name, a->uid, a->gid);
        a->home = rootfs_user_home(m);
        return 0;
}

char *rootfs_user_home(const struct manifest *m)
{
        return xasprintf("/home/%s", m->user.name ? m->user.name : "nonroot");
}

static char *passwd_text(const struct account *a)
{
        return xasprintf("root:x:0:0:root:/root:/sbin/nologin\n"
                         "%s:x:%u:%u::%s:/sbin/nologin\n"
                         "nobody:x:%u:%u:nobody:/nonexistent:/sbin/nologin\n",
                         a->name, a->uid, a->gid, a->home, NOBODY_ID, NOBODY_ID);
}

static char *group_text(const struct account *a)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "root:x:0:\n");
        /* a user whose primary group is root's or nogroup's joins that group */
        if (a->gid != 0 && a->gid != NOBODY_ID)
                strbuf_addf(&sb, "%s:x:%u:\n", a->name, a->gid);
        strbuf_addf(&sb, "nogroup:x:%u:\n", NOBODY_ID);
        return strbuf_detach(&sb);
}

/* Debian's /usr/share/libc-bin/nsswitch.conf without the databases no image uses; every
 * service here is built into glibc 2.36, so no libnss_*.so module is needed. */
static const char nsswitch_text[] = "# /etc/nsswitch.conf, written by distill\n"
                                    "\n"
                                    "passwd:         files\n"
                                    "group:          files\n"
                                    "shadow:         files\n"
                                    "\n"
                                    "hosts:          files dns\n"
                                    "networks:       files\n"
                                    "\n"
                                    "protocols:      files\n"
                                    "services:       files\n"
                                    "ethers:         files\n"
                                    "rpc:            files\n";

static int add_accounts(struct plan *plan, const struct account *a, struct store *st,
                        struct distill_error *err)
{
        cleanup_free char *passwd = passwd_text(a);
        cleanup_free char *group = group_text(a);
        cleanup_free char *detail =
            xasprintf("accounts root, %s (%u:%u), nobody", a->name, a->uid, a->gid);
        struct plan_entry proto = {
            .mode = 0644, .reason = PLAN_R_GENERATED, .reason_detail = detail};
        int r = put_generated_file(plan, st, "/etc/passwd", passwd, strlen(passwd), &proto, err);
        if (r == 0)
                r = put_generated_file(plan, st, "/etc/group", group, strlen(group), &proto, err);
        proto.reason_detail = "name services from files, hosts from files and DNS";
        if (r == 0)
                r = put_generated_file(plan, st, "/etc/nsswitch.conf", nsswitch_text,
                                       strlen(nsswitch_text), &proto, err);
        if (r < 0)
                return r;

        struct plan_entry d =
            dir_entry("/tmp", 01777, PLAN_R_GENERATED, NULL, "world-writable scratch directory");
        plan_put(plan, &d);
        d = dir_entry("/root", 0700, PLAN_R_GENERATED, NULL, "root's home");
        plan_put(plan, &d);
        d = dir_entry("/home", 0755, PLAN_R_GENERATED, NULL, "home directories");
        plan_put(plan, &d);
        /* empty mount points: runtimes mount proc and a /dev there, and a read-only root (the
         * check's sandbox, a read-only container) cannot make them itself */
        d = dir_entry("/proc", 0555, PLAN_R_GENERATED, NULL,
                      "mount point of the process file system");
        plan_put(plan, &d);
        d = dir_entry("/dev", 0755, PLAN_R_GENERATED, NULL, "mount point of the device directory");
        plan_put(plan, &d);
        d = dir_entry(a->home, 0700, PLAN_R_GENERATED, a->name, "the user's home");
        d.uid = a->uid;
        d.gid = a->gid;
        plan_put(plan, &d);
        return 0;
}

/* --- CA bundle -------------------------------------------------------------------------- */

static bool is_mozilla_crt(const char *path)
{
        size_t plen = strlen(CA_DIR), len = strlen(path);
        return !strncmp(path, CA_DIR, plen) && !strchr(path + plen, '/') && len > plen + 4 &&
               !strcmp(path + len - 4, ".crt");
}

/* As update-ca-certificates: the package's Mozilla certificates concatenated, each ending in a
 * newline. Only the package's own files: the build host's local CAs never enter an image. */
static int add_ca_bundle(struct plan *plan, struct source *src, struct store *st,
                         struct distill_error *err)
{
        struct source_pkg *pkg = source_find(src, CA_PACKAGE);
        if (!pkg)
                return distill_error_set(err, DISTILL_ERESOLVE,
                                         "the CA bundle needs package %s, which the source (%s) "
                                         "does not have",
                                         CA_PACKAGE, source_root(src));
        struct strvec crts = STRVEC_INIT;
        struct strbuf bundle = STRBUF_INIT;
        cleanup_free char *detail = NULL;
        int r = 0;
        for (size_t i = 0; i < pkg->files.n; i++)
                if (is_mozilla_crt(pkg->files.v[i]))
                        strvec_push(&crts, pkg->files.v[i]);
        strvec_sort_unique(&crts);
        if (crts.n == 0) {
                r = distill_error_set(err, DISTILL_ERESOLVE, "package %s has no %s*.crt",
                                      CA_PACKAGE, CA_DIR);
                goto out;
        }
        for (size_t i = 0; i < crts.n && r == 0; i++) {
                r = append_source_file(src, crts.v[i], CA_MAX_BUNDLE - bundle.len, &bundle, err);
                if (r == 0 && bundle.len && bundle.buf[bundle.len - 1] != '\n')
                        strbuf_addch(&bundle, '\n');
        }
        if (r < 0)
                goto out;

        detail = xasprintf("%zu certificates from %s*.crt", crts.n, CA_DIR);
        /* pkg makes ca-certificates count as kept; no pkg_path: dpkg does not list the bundle
         * (postinst writes it), so it stays out of the package's md5sums */
        struct plan_entry proto = {.mode = 0644,
                                   .pkg = CA_PACKAGE,
                                   .reason = PLAN_R_GENERATED,
                                   .reason_from = CA_PACKAGE,
                                   .reason_detail = detail};
        r = put_generated_file(plan, st, CA_BUNDLE_PATH, bundle.buf, bundle.len, &proto, err);
out:
        strvec_clear(&crts);
        strbuf_release(&bundle);
        return r;
}

/* --- dpkg metadata for kept packages ---------------------------------------------------- */

static void collect_kept(struct plan *plan, struct strmap *kept)
{
        size_t n;
        struct plan_entry *const *ents = plan_sorted(plan, &n);
        for (size_t i = 0; i < n; i++)
                if (ents[i]->pkg)
                        strmap_put(kept, ents[i]->pkg, (void *)1);
}

/* The bytes of /usr/share/doc/<name>/copyright as the package provides it. Debian packages of
 * one source often ship their doc directory as a symlink to a sibling's (libgcc-s1 →
 * gcc-12-base), so symlinks are followed inside the source. *found is false when there is none;
 * that is reported, not fatal. */
static int read_copyright(struct plan *plan, struct source *src, const struct source_pkg *pkg,
                          const char *path, struct strbuf *out, bool *found,
                          struct distill_error *err)
{
        cleanup_free char *docdir = xasprintf("/usr/share/doc/%s", pkg->name);
        *found = false;
        if (!strvec_contains(&pkg->files, path) && !strvec_contains(&pkg->files, docdir)) {
                plan_warn(plan, "package %s has no %s", pkg->name, path);
                return 0;
        }
        char *cur = xstrdup(path);
        int r = 0;
        for (int hops = 0;; hops++) {
                struct source_stat sst = {0};
                struct distill_error lerr = {0};
                if (hops > COPYRIGHT_MAX_LINKS) {
                        plan_warn(plan, "package %s: %s: too many symlinks", pkg->name, path);
                        break;
                }
                if (source_lstat(src, cur, &sst, &lerr) < 0) {
                        plan_warn(plan, "package %s has no readable copyright file: %s", pkg->name,
                                  lerr.msg);
                        break;
                }
                if (sst.type == SOURCE_REG) {
                        r = append_source_file(src, cur, COPYRIGHT_MAX, out, err);
                        *found = r == 0;
                        break;
                }
                if (sst.type != SOURCE_SYMLINK) {
                        plan_warn(plan, "package %s: %s is not a regular file", pkg->name, cur);
                        break;
                }
                cleanup_free char *dir = path_dirname(cur);
                cleanup_free char *joined = sst.link_target[0] == '/'
                                                ? xstrdup(sst.link_target)
                                                : path_join(dir, sst.link_target);
                free(sst.link_target);
                free(cur);
                cur = path_normalize(joined);
        }
        free(cur);
        return r;
}

static int add_copyright(struct plan *plan, struct source *src, struct store *st,
                         const struct source_pkg *pkg, struct distill_error *err)
{
        cleanup_free char *path = xasprintf("/usr/share/doc/%s/copyright", pkg->name);
        const struct plan_entry *old = plan_get(plan, path);
        if (old && old->type == PLAN_FILE)
                return 0; /* select already kept it with its own reason */

        struct strbuf bytes = STRBUF_INIT;
        bool found;
        int r = read_copyright(plan, src, pkg, path, &bytes, &found, err);
        if (r == 0 && found) {
                struct plan_entry proto = {.mode = 0644,
                                           .pkg = pkg->name,
                                           .pkg_path = path,
                                           .reason = PLAN_R_PKG_METADATA,
                                           .reason_from = pkg->name,
                                           .reason_detail = "licence of a kept package"};
                r = put_generated_file(plan, st, path, bytes.buf, bytes.len, &proto, err);
        }
        strbuf_release(&bytes);
        return r;
}

static int blob_md5(struct store *st, const char *digest, char md5[MD5_HEX_LEN + 1],
                    struct distill_error *err)
{
        cleanup_close int fd = -1;
        int r = store_open_blob(st, digest, &fd, err);
        if (r < 0)
                return r;
        r = md5_hex_fd(fd, md5);
        if (r < 0)
                return distill_error_errno(err, DISTILL_EIO, -r, "md5 of store blob %s", digest);
        return 0;
}

struct md5_line {
        const char *pkg_path;
        const char *digest;
};

static int cmp_md5_line(const void *a, const void *b)
{
        return strcmp(((const struct md5_line *)a)->pkg_path,
                      ((const struct md5_line *)b)->pkg_path);
}

/* dpkg's md5sums format ("MD5  path", path relative to /), listing only the package's regular
 * files that the image keeps, by the path dpkg knows them under (before usrmerge). */
static int md5sums_text(struct plan *plan, struct store *st, const char *name, struct strbuf *out,
                        struct distill_error *err)
{
        size_t n, k = 0;
        struct plan_entry *const *ents = plan_sorted(plan, &n);
        struct md5_line *lines = xcalloc(n + 1, sizeof(*lines));
        for (size_t i = 0; i < n; i++) {
                const struct plan_entry *e = ents[i];
                if (!e->pkg || strcmp(e->pkg, name) != 0 || !e->pkg_path)
                        continue;
                const char *digest = NULL;
                if (e->type == PLAN_FILE) {
                        digest = e->digest;
                } else if (e->type == PLAN_HARDLINK && e->target) {
                        /* dpkg lists every name of a hardlinked file */
                        const struct plan_entry *t = plan_get(plan, e->target);
                        if (t && t->type == PLAN_FILE)
                                digest = t->digest;
                }
                if (digest)
                        lines[k++] = (struct md5_line){e->pkg_path, digest};
        }
        qsort(lines, k, sizeof(*lines), cmp_md5_line);
        int r = 0;
        for (size_t i = 0; i < k && r == 0; i++) {
                char md5[MD5_HEX_LEN + 1];
                r = blob_md5(st, lines[i].digest, md5, err);
                if (r == 0)
                        strbuf_addf(out, "%s  %s\n", md5,
                                    lines[i].pkg_path + (lines[i].pkg_path[0] == '/'));
        }
        free(lines);
        return r;
}

static int add_package_metadata(struct plan *plan, struct source *src, struct store *st,
                                const struct plan_package *pp, struct distill_error *err)
{
        struct source_pkg *pkg = source_find(src, pp->name);
        if (!pkg)
                return distill_error_set(err, DISTILL_EINTERNAL,
                                         "package %s is in the plan but not in the source %s",
                                         pp->name, source_root(src));
        int r = add_copyright(plan, src, st, pkg, err);
        if (r < 0)
                return r;

        struct strbuf md5 = STRBUF_INIT;
        r = md5sums_text(plan, st, pkg->name, &md5, err);
        cleanup_free char *md5_path = xasprintf("/var/lib/dpkg/status.d/%s.md5sums", pkg->name);
        cleanup_free char *status_path = xasprintf("/var/lib/dpkg/status.d/%s", pkg->name);
        struct plan_entry proto = {.mode = 0644,
                                   .reason = PLAN_R_PKG_METADATA,
                                   .reason_from = pkg->name,
                                   .reason_detail = "md5sums of the kept files"};
        if (r == 0)
                r = put_generated_file(plan, st, md5_path, strbuf_str(&md5), md5.len, &proto, err);
        proto.reason_detail = "dpkg status stanza, for scanners";
        const char *stanza = pkg->stanza ? pkg->stanza : "";
        if (r == 0)
                r = put_generated_file(plan, st, status_path, stanza, strlen(stanza), &proto, err);
        strbuf_release(&md5);
        return r;
}

static int add_all_package_metadata(struct plan *plan, const struct manifest *m, struct source *src,
                                    struct store *st, struct distill_error *err)
{
        struct strmap kept = STRMAP_INIT;
        int r = 0;
        collect_kept(plan, &kept);
        /* a package kept whole is in the image even when files.exclude took all its files
         * (gcc-12-base is nothing but documentation): scanners see it, its copyright ships */
        for (size_t i = 0; i < m->packages.n; i++)
                if (m->package_keep[i] == MANIFEST_KEEP_ALL)
                        strmap_put(&kept, m->packages.v[i], NULL);
        for (size_t i = 0; i < plan->n_packages && r == 0; i++) {
                plan->packages[i].kept = strmap_has(&kept, plan->packages[i].name);
                if (plan->packages[i].kept)
                        r = add_package_metadata(plan, src, st, &plan->packages[i], err);
                else if (strvec_contains(&plan->requested, plan->packages[i].name))
                        plan_warn(plan,
                                  "packages: %s keeps no file in the image (nothing the closure "
                                  "reached is in it): drop it, or keep it whole with {name: %s, "
                                  "keep: all}",
                                  plan->packages[i].name, plan->packages[i].name);
        }
        strmap_clear(&kept, NULL);
        return r;
}

/* --- policy: modes and owners ----------------------------------------------------------- */

static void apply_modes_and_owners(struct plan *plan, const struct account *a)
{
        size_t n;
        struct plan_entry *const *ents = plan_sorted(plan, &n);
        for (size_t i = 0; i < n; i++) {
                struct plan_entry *e = ents[i];
                bool is_tmp = !strcmp(e->path, "/tmp");
                bool is_home = !strcmp(e->path, a->home);
                if (e->mode & 04000)
                        plan_warn(plan, "stripped setuid from %s", e->path);
                if (e->mode & 02000)
                        plan_warn(plan, "stripped setgid from %s", e->path);
                if ((e->mode & 01000) && !is_tmp)
                        plan_warn(plan, "stripped sticky bit from %s", e->path);
                e->mode &= is_tmp ? 01777u : 0777u;
                /* nothing writable by the app user outside its home and /tmp; a symlink's
                 * permission bits mean nothing and stay as the package has them */
                if (!is_tmp && e->type != PLAN_SYMLINK)
                        e->mode &= ~022u;
                e->uid = is_home ? a->uid : 0;
                e->gid = is_home ? a->gid : 0;
        }
}

/* --- parents ---------------------------------------------------------------------------- */

static int add_parents(struct plan *plan, struct distill_error *err)
{
        struct strvec missing = STRVEC_INIT; /* pairs: dir, child */
        struct strmap seen = STRMAP_INIT;
        size_t n;
        int r = 0;
        struct plan_entry *const *ents = plan_sorted(plan, &n);
        for (size_t i = 0; i < n && r == 0; i++) {
                char *child = xstrdup(ents[i]->path);
                while (strcmp(child, "/") != 0) {
                        char *dir = path_dirname(child);
                        if (!strcmp(dir, "/")) {
                                free(dir);
                                break;
                        }
                        const struct plan_entry *p = plan_get(plan, dir);
                        if (p && p->type != PLAN_DIR) {
                                r = distill_error_set(err, DISTILL_EUSAGE,
                                                      "%s: its parent %s is a %s in the image, "
                                                      "not a directory",
                                                      ents[i]->path, dir, plan_type_name(p->type));
                                free(dir);
                                break;
                        }
                        if (p || strmap_has(&seen, dir)) {
                                free(dir);
                                break;
                        }
                        strmap_put(&seen, dir, NULL);
                        strvec_push(&missing, dir);
                        strvec_push(&missing, child);
                        free(child);
                        child = dir;
                }
                free(child);
        }
        for (size_t i = 0; r == 0 && i + 1 < missing.n; i += 2) {
                struct plan_entry d =
                    dir_entry(missing.v[i], 0755, PLAN_R_PARENT, missing.v[i + 1], NULL);
                plan_add(plan, &d, NULL);
        }
        strvec_clear(&missing);
        strmap_clear(&seen, NULL);
        return r;
}

int rootfs_finalize(struct plan *plan, const struct manifest *m, struct source *src,
                    struct store *st, struct distill_error *err)
{
        struct account a = {0};
        int r = check_forbidden(plan, m, err);
        if (r == 0)
                r = user_account(m, &a, err);
        if (r == 0)
                r = add_usrmerge_links(plan, err);
        if (r == 0)
                r = add_accounts(plan, &a, st, err);
        if (r == 0 && strvec_contains(&plan->generate, RULE_GENERATE_CA_BUNDLE))
                r = add_ca_bundle(plan, src, st, err);
        if (r == 0)
                r = add_all_package_metadata(plan, m, src, st, err);
        if (r == 0)
                apply_modes_and_owners(plan, &a);
        if (r == 0)
                r = add_parents(plan, err);
        free(a.home);
        return r;
}
