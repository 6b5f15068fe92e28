/* imageread: an OCI layout, a docker-archive or a rootfs tree read back as a root file system
 * (include/distill/check/imageread.h). */
#include "distill/check/imageread.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mman.h>
#include <sys/stat.h>

#include "distill/base/digest.h"

#define CHUNK          (64u << 10)
#define MAX_TREE_DEPTH 128

static void entry_free(void *p)
{
        struct imageread_entry *e = p;
        if (!e)
                return;
        free(e->path);
        free(e->target);
        free(e->host_path);
        free(e);
}

void imageread_free(struct imageread *img)
{
        if (!img)
                return;
        strmap_clear(&img->entries, entry_free);
        json_decref(img->config);
        json_decref(img->annotations);
        strvec_clear(&img->problems);
        if (img->spill_fd >= 0)
                close(img->spill_fd);
        free(img->source);
        free(img);
}

static void problem(struct imageread *img, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void problem(struct imageread *img, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        strvec_push_nodup(&img->problems, s);
}

/* An archive member's name as an image path: "./usr/bin" and "usr/bin" → "/usr/bin". */
static char *image_path_of(const char *name)
{
        cleanup_free char *abs = xasprintf("/%s", name);
        return path_normalize(abs);
}

static void put_entry(struct imageread *img, struct imageread_entry *e)
{
        entry_free(strmap_put(&img->entries, e->path, e));
}

/* A whiteout removes the named path and everything under it; an opaque one everything under
 * its directory. */
static void remove_tree(struct imageread *img, const char *path, bool keep_self)
{
        const char **keys = strmap_sorted_keys(&img->entries);
        size_t plen = strlen(path);
        for (size_t i = 0; keys[i]; i++) {
                if (!strmap_get(&img->entries, keys[i]))
                        continue;
                bool self = strcmp(keys[i], path) == 0;
                bool under = strncmp(keys[i], path, plen) == 0 &&
                             (keys[i][plen] == '/' || (plen == 1 && path[0] == '/'));
                if ((self && !keep_self) || (under && !self))
                        entry_free(strmap_put(&img->entries, keys[i], NULL));
        }
        free(keys);
}

/* Copies the archive's current entry data to the spill file. */
static int spill(struct imageread *img, struct archive *a, const char *what, off_t *offset,
                 uint64_t *size, struct distill_error *err)
{
        char buf[CHUNK];
        off_t at = lseek(img->spill_fd, 0, SEEK_END);
        if (at < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "temporary file");
        *offset = at;
        *size = 0;
        for (;;) {
                la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
                if (n == 0)
                        return 0;
                if (n < 0)
                        return distill_error_set(err, DISTILL_EINTEGRITY, "%s: %s", what,
                                                 archive_error_string(a));
                int e = write_all(img->spill_fd, buf, (size_t)n);
                if (e < 0)
                        return distill_error_errno(err, DISTILL_EIO, -e, "temporary file");
                *size += (uint64_t)n;
        }
}

static int apply_member(struct imageread *img, struct archive *a, struct archive_entry *ae,
                        const char *what, struct distill_error *err)
{
        const char *name = archive_entry_pathname(ae);
        if (!name || strlen(name) > 4096)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s: a member without a usable "
                                         "name",
                                         what);
        cleanup_free char *path = image_path_of(name);
        const char *base = path_basename(path);
        if (strncmp(base, ".wh.", 4) == 0) {
                cleanup_free char *dir = path_dirname(path);
                if (strcmp(base, ".wh..wh..opq") == 0) {
                        remove_tree(img, dir, true);
                } else {
                        cleanup_free char *victim = path_join(dir, base + 4);
                        remove_tree(img, victim, false);
                }
                return 0;
        }
        if (img->entries.n >= IMAGEREAD_MAX_ENTRIES)
                return distill_error_set(err, DISTILL_EINTEGRITY, "%s: more than %u entries", what,
                                         IMAGEREAD_MAX_ENTRIES);
        struct imageread_entry *e = xcalloc(1, sizeof(*e));
        e->path = xstrdup(path);
        e->mode = (unsigned)archive_entry_mode(ae);
        e->uid = (unsigned)archive_entry_uid(ae);
        e->gid = (unsigned)archive_entry_gid(ae);
        const char *hard = archive_entry_hardlink(ae);
        if (hard) {
                cleanup_free char *tp = image_path_of(hard);
                const struct imageread_entry *t = strmap_get(&img->entries, tp);
                if (!t || !S_ISREG(t->mode)) {
                        entry_free(e);
                        problem(img, "%s: hard link %s to %s, which is no file before it", what,
                                path, tp);
                        return 0;
                }
                e->mode = t->mode;
                e->size = t->size;
                e->offset = t->offset;
        } else if (S_ISLNK(e->mode)) {
                e->target = xstrdup(archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "");
        } else if (S_ISREG(e->mode)) {
                int r = spill(img, a, what, &e->offset, &e->size, err);
                if (r < 0) {
                        entry_free(e);
                        return r;
                }
        }
        /* a directory entry over an existing directory keeps what is under it */
        put_entry(img, e);
        return 0;
}

static struct archive *tar_reader(void)
{
        struct archive *a = archive_read_new();
        archive_read_support_filter_gzip(a);
        archive_read_support_filter_zstd(a);
        archive_read_support_filter_none(a);
        archive_read_support_format_tar(a);
        return a;
}

/* Every member of a tar (compressed or not) handed to fn, until fn fails or the archive does. */
static int each_member(const char *file, const char *what,
                       int (*fn)(struct archive *a, struct archive_entry *ae, void *ud,
                                 struct distill_error *err),
                       void *ud, struct distill_error *err)
{
        struct archive *a = tar_reader();
        struct archive_entry *ae;
        int r = 0;

        if (archive_read_open_filename(a, file, CHUNK) != ARCHIVE_OK) {
                r = distill_error_set(err, DISTILL_EINTEGRITY, "%s: %s", what,
                                      archive_error_string(a));
                goto out;
        }
        while (r >= 0) {
                int s = archive_read_next_header(a, &ae);
                if (s == ARCHIVE_EOF)
                        break;
                if (s != ARCHIVE_OK && s != ARCHIVE_WARN)
                        r = distill_error_set(err, DISTILL_EINTEGRITY, "%s: %s", what,
                                              archive_error_string(a));
                else
                        r = fn(a, ae, ud, err);
        }
out:
        archive_read_free(a);
        return r;
}

struct layer_walk {
        struct imageread *img;
        const char *what;
};

static int apply_one(struct archive *a, struct archive_entry *ae, void *ud,
                     struct distill_error *err)
{
        struct layer_walk *w = ud;
        return apply_member(w->img, a, ae, w->what, err);
}

/* One layer (compressed or not) applied over what is there. */
static int apply_layer(struct imageread *img, const char *file, const char *what,
                       struct distill_error *err)
{
        struct layer_walk w = {img, what};
        return each_member(file, what, apply_one, &w, err);
}

/* The SHA-256 of a file's uncompressed stream (a layer's diff_id). */
static int uncompressed_sha256(const char *file, char hex[SHA256_HEX_LEN + 1],
                               struct distill_error *err)
{
        struct archive *a = archive_read_new();
        struct archive_entry *ae;
        struct digest *d = digest_sha256();
        char buf[CHUNK];
        int r = 0;

        archive_read_support_filter_all(a);
        archive_read_support_format_raw(a);
        if (archive_read_open_filename(a, file, CHUNK) != ARCHIVE_OK ||
            archive_read_next_header(a, &ae) != ARCHIVE_OK) {
                r = distill_error_set(err, DISTILL_EINTEGRITY, "%s: %s", file,
                                      archive_error_string(a));
                goto out;
        }
        for (;;) {
                la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
                if (n == 0)
                        break;
                if (n < 0) {
                        r = distill_error_set(err, DISTILL_EINTEGRITY, "%s: %s", file,
                                              archive_error_string(a));
                        goto out;
                }
                digest_update(d, buf, (size_t)n);
        }
        digest_finish_hex(d, hex);
        d = NULL;
out:
        digest_free(d);
        archive_read_free(a);
        return r;
}

static int file_sha256(const char *file, char hex[SHA256_HEX_LEN + 1], uint64_t *size,
                       struct distill_error *err)
{
        cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot open %s", file);
        int e = sha256_hex_fd(fd, hex, size);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "cannot read %s", file);
        return 0;
}

static int load_json(const char *file, json_t **out, struct distill_error *err)
{
        cleanup_free char *data = NULL;
        size_t len;
        int e = read_file_capped(file, IMAGEREAD_MAX_JSON, &data, &len);
        if (e < 0)
                return distill_error_errno(err, DISTILL_EIO, -e, "cannot read %s", file);
        json_error_t je;
        *out = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!*out)
                return distill_error_set(err, DISTILL_EINTEGRITY, "%s:%d:%d: %s", file, je.line,
                                         je.column, je.text);
        return 0;
}

/* "sha256:<hex>" → the hex, or NULL for anything else. */
static const char *digest_hex(json_t *j)
{
        const char *s = json_string_value(j);
        if (!s || strncmp(s, "sha256:", 7) || !sha256_hex_valid(s + 7))
                return NULL;
        return s + 7;
}

/* A descriptor's blob: present, of its size and digest. *path gets the blob's file. */
static int check_blob(struct imageread *img, const char *out, json_t *desc, const char *what,
                      char **path, struct distill_error *err)
{
        const char *hex = digest_hex(json_object_get(desc, "digest"));
        *path = NULL;
        if (!hex)
                return distill_error_set(err, DISTILL_EINTEGRITY, "%s: %s has no sha256 digest",
                                         out, what);
        *path = xasprintf("%s/blobs/sha256/%s", out, hex);
        char got[SHA256_HEX_LEN + 1];
        uint64_t size;
        int r = file_sha256(*path, got, &size, err);
        if (r < 0)
                return r;
        if (strcmp(got, hex))
                problem(img, "%s: %s blob sha256:%s holds bytes of digest sha256:%s", out, what,
                        hex, got);
        json_t *js = json_object_get(desc, "size");
        if (!json_is_integer(js) || (uint64_t)json_integer_value(js) != size)
                problem(img, "%s: %s blob sha256:%s is %llu bytes, its descriptor says %lld", out,
                        what, hex, (unsigned long long)size,
                        json_is_integer(js) ? (long long)json_integer_value(js) : -1LL);
        return 0;
}

/* The config's rootfs.diff_ids[i] against the uncompressed layer. */
static int check_diff_id(struct imageread *img, const char *where, size_t i, const char *file,
                         struct distill_error *err)
{
        char got[SHA256_HEX_LEN + 1];
        int r = uncompressed_sha256(file, got, err);
        if (r < 0)
                return r;
        json_t *ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
        const char *want = digest_hex(json_array_get(ids, i));
        if (!want)
                problem(img, "%s: the config has no diff_id for layer %zu", where, i + 1);
        else if (strcmp(want, got))
                problem(img, "%s: layer %zu: diff_id is sha256:%s, the config says sha256:%s",
                        where, i + 1, got, want);
        return 0;
}

static int check_layer_count(struct imageread *img, const char *where, size_t n,
                             struct distill_error *err)
{
        if (n > IMAGEREAD_MAX_LAYERS)
                return distill_error_set(err, DISTILL_EINTEGRITY, "%s: more than %u layers", where,
                                         IMAGEREAD_MAX_LAYERS);
        json_t *ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
        if (json_array_size(ids) != n)
                problem(img, "%s: %zu layers, but the config lists %zu diff_ids", where, n,
                        json_array_size(ids));
        img->n_layers = n;
        return 0;
}

/* A layer that cannot be read (a corrupt blob) is one of the problems verify reports; the rest
 * of the image is still read. */
static int integrity_as_problem(struct imageread *img, int r, struct distill_error *err)
{
        if (r != -DISTILL_EINTEGRITY)
                return r;
        strvec_push(&img->problems, err->msg);
        *err = (struct distill_error){0};
        return 0;
}

static int read_oci(struct imageread *img, const char *out, struct distill_error *err)
{
        cleanup_free char *index_path = path_join(out, "index.json");
        cleanup_free char *mpath = NULL, *cpath = NULL;
        json_t *index = NULL, *manifest = NULL;
        int r = load_json(index_path, &index, err);
        if (r < 0)
                return r;
        json_t *desc = json_array_get(json_object_get(index, "manifests"), 0);
        /* an image index (several architectures): its first image */
        for (int depth = 0; r >= 0 && depth < 4; depth++) {
                free(mpath);
                r = check_blob(img, out, desc, "the manifest", &mpath, err);
                if (r < 0)
                        break;
                json_decref(manifest);
                manifest = NULL;
                r = load_json(mpath, &manifest, err);
                if (r < 0)
                        break;
                json_t *sub = json_object_get(manifest, "manifests");
                if (!json_is_array(sub))
                        break;
                desc = json_array_get(sub, 0);
        }
        if (r < 0)
                goto out;
        r = check_blob(img, out, json_object_get(manifest, "config"), "the config", &cpath, err);
        if (r < 0)
                goto out;
        r = load_json(cpath, &img->config, err);
        if (r < 0)
                goto out;
        img->annotations = json_incref(json_object_get(manifest, "annotations"));
        json_t *layers = json_object_get(manifest, "layers");
        r = check_layer_count(img, out, json_array_size(layers), err);
        for (size_t i = 0; r >= 0 && i < json_array_size(layers); i++) {
                cleanup_free char *what = xasprintf("layer %zu", i + 1);
                cleanup_free char *blob = NULL;
                r = check_blob(img, out, json_array_get(layers, i), what, &blob, err);
                if (r >= 0)
                        r = check_diff_id(img, out, i, blob, err);
                if (r >= 0)
                        r = apply_layer(img, blob, blob, err);
                r = integrity_as_problem(img, r, err);
        }
out:
        json_decref(index);
        json_decref(manifest);
        return r;
}

struct outer_walk {
        const char *tar, *dir;
        struct strmap *members;
        size_t n;
};

static int unpack_one(struct archive *a, struct archive_entry *ae, void *ud,
                      struct distill_error *err)
{
        struct outer_walk *w = ud;
        if (!S_ISREG(archive_entry_mode(ae)) || !archive_entry_pathname(ae))
                return 0;
        if (++w->n > 4 * IMAGEREAD_MAX_LAYERS + 16)
                return distill_error_set(err, DISTILL_EINTEGRITY, "%s: too many members", w->tar);
        char *file = xasprintf("%s/m%zu", w->dir, w->n);
        cleanup_close int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || archive_read_data_into_fd(a, fd) != ARCHIVE_OK) {
                int r = distill_error_set(err, DISTILL_EINTEGRITY, "%s: %s: %s", w->tar,
                                          archive_entry_pathname(ae),
                                          fd < 0 ? strerror(errno) : archive_error_string(a));
                free(file);
                return r;
        }
        cleanup_free char *name = image_path_of(archive_entry_pathname(ae));
        free(strmap_put(w->members, name + 1, file));
        return 0;
}

/* A docker-archive's members go to files in a private directory, named by their order (never by
 * the names the archive gives). */
static int unpack_outer(const char *tar, const char *dir, struct strmap *members,
                        struct distill_error *err)
{
        struct outer_walk w = {tar, dir, members, 0};
        return each_member(tar, tar, unpack_one, &w, err);
}

static int read_docker_archive(struct imageread *img, const char *tar, const char *dir,
                               struct distill_error *err)
{
        struct strmap members = STRMAP_INIT;
        json_t *manifest = NULL;
        cleanup_free char *cname = NULL;
        int r = unpack_outer(tar, dir, &members, err);
        if (r < 0)
                goto out;
        const char *mfile = strmap_get(&members, "manifest.json");
        if (!mfile) {
                r = distill_error_set(err, DISTILL_EUSAGE,
                                      "%s: no manifest.json: not a "
                                      "docker-archive",
                                      tar);
                goto out;
        }
        r = load_json(mfile, &manifest, err);
        if (r < 0)
                goto out;
        json_t *image = json_array_get(manifest, 0);
        const char *config = json_string_value(json_object_get(image, "Config"));
        cname = config ? image_path_of(config) : NULL;
        const char *cfile = cname ? strmap_get(&members, cname + 1) : NULL;
        if (!cfile) {
                r = distill_error_set(err, DISTILL_EINTEGRITY,
                                      "%s: manifest.json names no "
                                      "config the archive holds",
                                      tar);
                goto out;
        }
        r = load_json(cfile, &img->config, err);
        if (r < 0)
                goto out;
        /* the config is named by its digest */
        char got[SHA256_HEX_LEN + 1];
        r = file_sha256(cfile, got, NULL, err);
        if (r < 0)
                goto out;
        if (strncmp(cname + 1, got, SHA256_HEX_LEN) || strcmp(cname + 1 + SHA256_HEX_LEN, ".json"))
                problem(img, "%s: the config %s has digest sha256:%s", tar, cname + 1, got);
        json_t *layers = json_object_get(image, "Layers");
        r = check_layer_count(img, tar, json_array_size(layers), err);
        for (size_t i = 0; r >= 0 && i < json_array_size(layers); i++) {
                const char *name = json_string_value(json_array_get(layers, i));
                cleanup_free char *lname = name ? image_path_of(name) : NULL;
                const char *lfile = lname ? strmap_get(&members, lname + 1) : NULL;
                if (!lfile) {
                        r = distill_error_set(err, DISTILL_EINTEGRITY,
                                              "%s: layer %zu is not in the archive", tar, i + 1);
                        break;
                }
                cleanup_free char *what = xasprintf("%s: %s", tar, lname + 1);
                r = check_diff_id(img, tar, i, lfile, err);
                if (r >= 0)
                        r = apply_layer(img, lfile, what, err);
                r = integrity_as_problem(img, r, err);
        }
out:
        json_decref(manifest);
        strmap_clear(&members, free);
        return r;
}

static int walk_tree(struct imageread *img, int dirfd, const char *host, const char *path,
                     unsigned depth, struct distill_error *err)
{
        if (depth > MAX_TREE_DEPTH)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: nested deeper than %u", host,
                                         MAX_TREE_DEPTH);
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot read %s", host);
        }
        int r = 0;
        struct dirent *de;
        while (r >= 0 && (de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                struct stat sb;
                cleanup_free char *hp = path_join(host, de->d_name);
                if (fstatat(dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = distill_error_errno(err, DISTILL_EIO, errno, "cannot stat %s", hp);
                        break;
                }
                if (img->entries.n >= IMAGEREAD_MAX_ENTRIES) {
                        r = distill_error_set(err, DISTILL_EUSAGE, "%s: more than %u entries", host,
                                              IMAGEREAD_MAX_ENTRIES);
                        break;
                }
                struct imageread_entry *e = xcalloc(1, sizeof(*e));
                e->path = path_join(path, de->d_name);
                e->mode = sb.st_mode;
                e->uid = sb.st_uid;
                e->gid = sb.st_gid;
                if (S_ISREG(sb.st_mode)) {
                        e->size = (uint64_t)sb.st_size;
                        e->host_path = xstrdup(hp);
                } else if (S_ISLNK(sb.st_mode)) {
                        char buf[4097];
                        ssize_t n = readlinkat(dirfd, de->d_name, buf, sizeof(buf) - 1);
                        buf[n < 0 ? 0 : n] = '\0';
                        e->target = xstrdup(buf);
                }
                put_entry(img, e);
                if (S_ISDIR(sb.st_mode)) {
                        cleanup_close int sub = openat(
                            dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0)
                                r = distill_error_errno(err, DISTILL_EIO, errno, "cannot open %s",
                                                        hp);
                        else
                                r = walk_tree(img, sub, hp, e->path, depth + 1, err);
                }
        }
        closedir(d);
        return r;
}

/* OUT.mtree: the owners and modes of a rootfs written without root. */
static int apply_mtree(struct imageread *img, const char *file, struct distill_error *err)
{
        struct archive *a = archive_read_new();
        struct archive_entry *ae;
        int r = 0;

        archive_read_support_format_mtree(a);
        if (archive_read_open_filename(a, file, CHUNK) != ARCHIVE_OK) {
                r = distill_error_set(err, DISTILL_EINTEGRITY, "%s: %s", file,
                                      archive_error_string(a));
                goto out;
        }
        for (;;) {
                int s = archive_read_next_header(a, &ae);
                if (s == ARCHIVE_EOF)
                        break;
                if (s != ARCHIVE_OK && s != ARCHIVE_WARN) {
                        r = distill_error_set(err, DISTILL_EINTEGRITY, "%s: %s", file,
                                              archive_error_string(a));
                        goto out;
                }
                cleanup_free char *path = image_path_of(archive_entry_pathname(ae));
                struct imageread_entry *e = strmap_get(&img->entries, path);
                if (!e) {
                        problem(img, "%s: %s is listed but not in the tree", file, path);
                        continue;
                }
                if ((e->mode & S_IFMT) != (archive_entry_mode(ae) & S_IFMT))
                        problem(img, "%s: %s has another type in the tree", file, path);
                e->mode = (e->mode & S_IFMT) | (archive_entry_mode(ae) & 07777);
                e->uid = (unsigned)archive_entry_uid(ae);
                e->gid = (unsigned)archive_entry_gid(ae);
        }
out:
        archive_read_free(a);
        return r;
}

static int read_rootfs(struct imageread *img, const char *out, struct distill_error *err)
{
        cleanup_close int fd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot open %s", out);
        struct stat sb;
        if (fstat(fd, &sb) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot stat %s", out);
        struct imageread_entry *root = xcalloc(1, sizeof(*root));
        root->path = xstrdup("/");
        root->mode = sb.st_mode;
        root->uid = sb.st_uid;
        root->gid = sb.st_gid;
        put_entry(img, root);
        int r = walk_tree(img, fd, out, "/", 0, err);
        if (r < 0)
                return r;
        cleanup_free char *trimmed = xstrdup(out);
        size_t l = strlen(trimmed);
        while (l > 1 && trimmed[l - 1] == '/')
                trimmed[--l] = '\0';
        cleanup_free char *mtree = xasprintf("%s.mtree", trimmed);
        if (access(mtree, F_OK) == 0)
                return apply_mtree(img, mtree, err);
        return 0;
}

static int spill_open(struct imageread *img, struct distill_error *err)
{
        img->spill_fd = open(temp_base(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (img->spill_fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno,
                                           "cannot make a temporary file in %s", temp_base());
        return 0;
}

int imageread_open(const char *out, struct imageread **res, struct distill_error *err)
{
        struct imageread *img = xcalloc(1, sizeof(*img));
        struct stat sb;
        cleanup_free char *index = path_join(out, "index.json");
        int r;

        *res = NULL;
        img->spill_fd = -1;
        img->entries = (struct strmap)STRMAP_INIT;
        img->source = xstrdup(out);
        if (stat(out, &sb) < 0) {
                r = distill_error_errno(err, DISTILL_EUSAGE, errno, "%s", out);
                goto out;
        }
        if (S_ISDIR(sb.st_mode) && access(index, F_OK) == 0) {
                img->form = IMAGEREAD_OCI;
                r = spill_open(img, err);
                if (r >= 0)
                        r = read_oci(img, out, err);
        } else if (S_ISDIR(sb.st_mode)) {
                img->form = IMAGEREAD_ROOTFS;
                r = read_rootfs(img, out, err);
        } else if (S_ISREG(sb.st_mode)) {
                img->form = IMAGEREAD_DOCKER_ARCHIVE;
                char *dir = temp_dir_make("verify");
                if (!dir) {
                        r = distill_error_errno(err, DISTILL_EIO, errno,
                                                "cannot make a temporary directory");
                        goto out;
                }
                r = spill_open(img, err);
                if (r >= 0)
                        r = read_docker_archive(img, out, dir, err);
                rm_rf(dir);
                free(dir);
        } else {
                r = distill_error_set(err, DISTILL_EUSAGE,
                                      "%s: neither an OCI layout, a docker-archive nor a rootfs",
                                      out);
        }
        if (r >= 0 && !strmap_get(&img->entries, "/")) {
                struct imageread_entry *root = xcalloc(1, sizeof(*root));
                root->path = xstrdup("/");
                root->mode = S_IFDIR | 0755;
                put_entry(img, root);
        }
out:
        if (r < 0) {
                imageread_free(img);
                return r;
        }
        *res = img;
        return 0;
}

const struct imageread_entry *imageread_get(const struct imageread *img, const char *path)
{
        return strmap_get(&img->entries, path);
}

const char **imageread_paths(const struct imageread *img, size_t *n)
{
        const char **keys = strmap_sorted_keys(&img->entries);
        size_t k = 0;
        /* a whiteout leaves its key with no entry */
        for (size_t i = 0; keys[i]; i++)
                if (strmap_get(&img->entries, keys[i]))
                        keys[k++] = keys[i];
        keys[k] = NULL;
        *n = k;
        return keys;
}

int imageread_read(const struct imageread *img, const struct imageread_entry *e, size_t cap,
                   char **data, size_t *len, struct distill_error *err)
{
        *data = NULL;
        *len = 0;
        if (!S_ISREG(e->mode))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: not a regular file", e->path);
        if (e->host_path) {
                cleanup_close int fd = open(e->host_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return distill_error_errno(err, DISTILL_EIO, errno, "cannot open %s",
                                                   e->host_path);
                int x = read_fd_capped(fd, cap, data, len);
                if (x == -EFBIG)
                        return distill_error_set(err, DISTILL_EUSAGE, "%s: larger than %zu bytes",
                                                 e->path, cap);
                if (x < 0)
                        return distill_error_errno(err, DISTILL_EIO, -x, "cannot read %s",
                                                   e->host_path);
                return 0;
        }
        if (e->size > cap)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: larger than %zu bytes", e->path,
                                         cap);
        char *buf = xmalloc((size_t)e->size + 1);
        size_t got = 0;
        while (got < e->size) {
                ssize_t n =
                    pread(img->spill_fd, buf + got, (size_t)e->size - got, e->offset + (off_t)got);
                if (n <= 0) {
                        free(buf);
                        return distill_error_errno(err, DISTILL_EIO, n < 0 ? errno : EIO,
                                                   "reading %s from the temporary file", e->path);
                }
                got += (size_t)n;
        }
        buf[got] = '\0';
        *data = buf;
        *len = got;
        return 0;
}

int imageread_open_fd(const struct imageread *img, const struct imageread_entry *e, int *fd,
                      struct distill_error *err)
{
        *fd = -1;
        if (e->host_path) {
                *fd = open(e->host_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (*fd < 0)
                        return distill_error_errno(err, DISTILL_EIO, errno, "cannot open %s",
                                                   e->host_path);
                return 0;
        }
        cleanup_free char *data = NULL;
        size_t len;
        int r = imageread_read(img, e, (size_t)1 << 31, &data, &len, err);
        if (r < 0)
                return r;
        int m = memfd_create("distill-verify", MFD_CLOEXEC);
        if (m < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "memfd_create");
        int x = write_all(m, data, len);
        if (x < 0 || lseek(m, 0, SEEK_SET) < 0) {
                close(m);
                return distill_error_errno(err, DISTILL_EIO, x < 0 ? -x : errno, "memfd");
        }
        *fd = m;
        return 0;
}

int imageread_namespace(const struct imageread *img, struct imagens **out,
                        struct distill_error *err)
{
        size_t n;
        const char **paths = imageread_paths(img, &n);
        struct imagens *ns = imagens_new();
        int r = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                const struct imageread_entry *e = imageread_get(img, paths[i]);
                enum imagens_node_type t = S_ISDIR(e->mode)   ? IMAGENS_DIR
                                           : S_ISLNK(e->mode) ? IMAGENS_SYMLINK
                                                              : IMAGENS_FILE;
                if (!strcmp(e->path, "/"))
                        continue;
                r = imagens_add(ns, e->path, t, e->target, e->mode & 07777, e->size, NULL, e->path,
                                err);
        }
        free(paths);
        if (r < 0) {
                imagens_free(ns);
                return r;
        }
        *out = ns;
        return 0;
}

const char *imageread_config_string(const struct imageread *img, const char *key)
{
        return json_string_value(json_object_get(json_object_get(img->config, "config"), key));
}
