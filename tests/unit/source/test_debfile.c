#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "distill/base/util.h"
#include "distill/core/store.h"
#include "distill/source/debfile.h"
#include "fixture.h"

/* ---------------------------------------------------------------------------------------------
 * Helpers */

struct ctx {
        char *tmp;
        char *store_dir;
        struct store *st;
};

static int setup(void **state)
{
        struct ctx *c = xcalloc(1, sizeof(*c));
        struct distill_error err = {0};
        c->tmp = fixture_tmpdir();
        c->store_dir = path_join(c->tmp, "store");
        if (store_open(c->store_dir, &c->st, &err) < 0)
                return -1;
        *state = c;
        return 0;
}

static int teardown(void **state)
{
        struct ctx *c = *state;
        store_free(c->st);
        fixture_cleanup(c->tmp);
        free(c->store_dir);
        free(c->tmp);
        free(c);
        return 0;
}

static char *sha256sum_of(const char *path)
{
        char *out = fixture_sh_out("sha256sum '%s' | cut -c1-64", path);
        assert_non_null(out);
        out[strcspn(out, "\n")] = '\0';
        assert_int_equal(strlen(out), 64);
        return out;
}

/* The store's directory listing (names, sorted), to prove a refused read left nothing behind. */
static char *store_listing(const struct ctx *c)
{
        char *out = fixture_sh_out("ls -A '%s' | LC_ALL=C sort", c->store_dir);
        assert_non_null(out);
        return out;
}

static const struct deb_member *find_member(const struct deb_index *idx, const char *path)
{
        for (size_t i = 0; i < idx->n_members; i++)
                if (strcmp(idx->members[i].path, path) == 0)
                        return &idx->members[i];
        return NULL;
}

static bool has_warning(const struct deb_index *idx, const char *text)
{
        for (size_t i = 0; i < idx->warnings.n; i++)
                if (strstr(idx->warnings.v[i], text))
                        return true;
        return false;
}

static const char POSTINST[] =
    "#!/bin/sh\n"
    "set -e\n"
    "# update-alternatives --install /not/this comment 1 2\n"
    "if [ \"$1\" = configure ]; then\n"
    "  update-alternatives --install /usr/bin/tool tool /usr/bin/tool.real 50 \\\n"
    "      --slave /usr/share/man/man1/tool.1.gz tool.1.gz \\\n"
    "              /usr/share/man/man1/tool.real.1.gz\n"
    "  update-alternatives --quiet --install '/usr/lib/libx.so.3' \"libx.so.3\" \\\n"
    "      /usr/lib/x/libx.so.3 -5 >/dev/null 2>&1 || true\n"
    "  update-alternatives --install /usr/bin/v v \"$DIR/v\" 10\n"
    "fi\n"
    "exit 0\n";

/* A package built by dpkg-deb: directories, an executable, a hardlink to it, a symlink, a setuid
 * file, an empty directory, a postinst with alternatives. `compress` is dpkg-deb's -Z value. */
static char *build_normal_deb(const struct ctx *c, const char *compress)
{
        cleanup_free char *root = xasprintf("%s/pkg-%s", c->tmp, compress);
        char *deb = xasprintf("%s/normal-%s.deb", c->tmp, compress);
        cleanup_free char *p = NULL;

        p = xasprintf("%s/DEBIAN/control", root);
        fixture_write(p, "Package: distill-test\nVersion: 1:1.0-1\nArchitecture: amd64\n"
                         "Maintainer: Test <t@example.org>\nDescription: test package\n"
                         " with a continuation line\n");
        free(p);
        p = xasprintf("%s/DEBIAN/postinst", root);
        fixture_write(p, POSTINST);
        free(p);
        p = xasprintf("%s/usr/bin/tool.real", root);
        fixture_write(p, "#!/bin/sh\necho tool\n");
        free(p);
        p = xasprintf("%s/usr/bin/suid", root);
        fixture_write(p, "setuid program\n");
        free(p);
        p = xasprintf("%s/usr/share/doc/distill-test/README", root);
        fixture_write(p, "read me\n");
        free(p);
        p = xasprintf("%s/usr/share/doc/distill-test/empty", root);
        fixture_write(p, "");
        assert_int_equal(fixture_sh("cd '%s' && chmod 0755 DEBIAN/postinst usr/bin/tool.real && "
                                    "chmod 04755 usr/bin/suid && "
                                    "ln usr/bin/tool.real usr/bin/tool.hard && "
                                    "ln -s tool.real usr/bin/tool && mkdir -p usr/lib/empty && "
                                    "chmod 0700 usr/lib/empty",
                                    root),
                         0);
        assert_int_equal(fixture_sh("dpkg-deb --root-owner-group -Z%s --build '%s' '%s' "
                                    ">/dev/null 2>&1",
                                    compress, root, deb),
                         0);
        return deb;
}

/* ---------------------------------------------------------------------------------------------
 * Reading a normal package */

static void check_normal_index(const struct ctx *c, const struct deb_index *idx,
                               const char *compress)
{
        cleanup_free char *root = xasprintf("%s/pkg-%s", c->tmp, compress);
        static const char *const expect[] = {
            "/usr",
            "/usr/bin",
            "/usr/bin/suid",
            "/usr/bin/tool",
            "/usr/bin/tool.hard",
            "/usr/bin/tool.real",
            "/usr/lib",
            "/usr/lib/empty",
            "/usr/share",
            "/usr/share/doc",
            "/usr/share/doc/distill-test",
            "/usr/share/doc/distill-test/README",
            "/usr/share/doc/distill-test/empty",
        };
        assert_int_equal(idx->n_members, sizeof(expect) / sizeof(expect[0]));
        for (size_t i = 0; i < idx->n_members; i++)
                assert_string_equal(idx->members[i].path, expect[i]);

        assert_string_equal(idx->package, "distill-test");
        assert_string_equal(idx->version, "1:1.0-1");
        assert_string_equal(idx->arch, "amd64");
        assert_non_null(strstr(idx->control, "Package: distill-test\n"));
        assert_non_null(strstr(idx->control, " with a continuation line\n"));
        assert_int_equal(idx->control[strlen(idx->control) - 1], '\n');

        const struct deb_member *m = find_member(idx, "/usr/lib/empty");
        assert_int_equal(m->type, SOURCE_DIR);
        assert_int_equal(m->mode, 0700);

        m = find_member(idx, "/usr/bin/tool");
        assert_int_equal(m->type, SOURCE_SYMLINK);
        assert_string_equal(m->link_target, "tool.real");
        assert_null(m->hardlink_of);

        /* Regular files: digest as sha256sum computes it, the blob in the store, byte-equal. */
        static const char *const files[] = {"/usr/bin/tool.real", "/usr/bin/suid",
                                            "/usr/share/doc/distill-test/README",
                                            "/usr/share/doc/distill-test/empty"};
        for (size_t i = 0; i < 4; i++) {
                cleanup_free char *f = xasprintf("%s%s", root, files[i]);
                cleanup_free char *want = sha256sum_of(f);
                struct stat sb;
                assert_int_equal(stat(f, &sb), 0);
                m = find_member(idx, files[i]);
                assert_non_null(m);
                assert_int_equal(m->type, SOURCE_REG);
                assert_string_equal(m->digest, want);
                assert_int_equal(m->size, (uint64_t)sb.st_size);
                assert_null(m->link_target);
                cleanup_free char *blob = store_blob_path(c->st, m->digest);
                assert_int_equal(fixture_sh("cmp -s '%s' '%s'", blob, f), 0);
        }
        m = find_member(idx, "/usr/bin/tool.real");
        assert_int_equal(m->mode, 0755);
        /* tar lists the first name of a hardlinked pair in full; which one is first is tar's
         * choice, so accept either direction but require one to point at the other. */
        const struct deb_member *h = find_member(idx, "/usr/bin/tool.hard");
        assert_int_equal(h->type, SOURCE_REG);
        assert_string_equal(h->digest, m->digest);
        assert_int_equal(h->size, m->size);
        assert_true((h->hardlink_of && strcmp(h->hardlink_of, "/usr/bin/tool.real") == 0 &&
                     !m->hardlink_of) ||
                    (m->hardlink_of && strcmp(m->hardlink_of, "/usr/bin/tool.hard") == 0 &&
                     !h->hardlink_of));

        m = find_member(idx, "/usr/bin/suid");
        assert_int_equal(m->mode, 0755);
        assert_true(has_warning(idx, "stripped setuid from /usr/bin/suid"));
        assert_false(has_warning(idx, "setgid"));

        /* Alternatives: the first two commands; the third uses $DIR and is reported. */
        assert_int_equal(idx->n_alts, 2);
        const struct deb_alternative *a = &idx->alts[0];
        assert_string_equal(a->link, "/usr/bin/tool");
        assert_string_equal(a->name, "tool");
        assert_string_equal(a->path, "/usr/bin/tool.real");
        assert_int_equal(a->priority, 50);
        assert_int_equal(a->slave_links.n, 1);
        assert_string_equal(a->slave_links.v[0], "/usr/share/man/man1/tool.1.gz");
        assert_string_equal(a->slave_names.v[0], "tool.1.gz");
        assert_string_equal(a->slave_paths.v[0], "/usr/share/man/man1/tool.real.1.gz");
        a = &idx->alts[1];
        assert_string_equal(a->link, "/usr/lib/libx.so.3");
        assert_string_equal(a->name, "libx.so.3");
        assert_string_equal(a->path, "/usr/lib/x/libx.so.3");
        assert_int_equal(a->priority, -5);
        assert_int_equal(a->slave_links.n, 0);
        assert_true(has_warning(idx, "postinst:10: update-alternatives --install uses shell "
                                     "variables"));
}

static void read_normal(void **state, const char *compress, const char *member)
{
        struct ctx *c = *state;
        struct distill_error err = {0};
        struct deb_index idx;
        cleanup_free char *deb = build_normal_deb(c, compress);
        cleanup_free char *members = fixture_sh_out("ar t '%s' | tr '\\n' ' '", deb);
        /* dpkg-deb picks the control member's compression itself; only data.tar's is checked. */
        assert_non_null(strstr(members, member));

        int ret = debfile_read(deb, "normal.deb", c->st, &idx, &err);
        if (ret < 0)
                fail_msg("%s", err.msg);
        check_normal_index(c, &idx, compress);
        deb_index_release(&idx);
}

static void test_read_normal_xz(void **state)
{
        read_normal(state, "xz", "data.tar.xz");
}

static void test_read_normal_gzip(void **state)
{
        read_normal(state, "gzip", "data.tar.gz");
}

static void test_read_normal_zstd(void **state)
{
        read_normal(state, "zstd", "data.tar.zst");
}

static void test_read_normal_none(void **state)
{
        read_normal(state, "none", "data.tar ");
}

static void test_index_round_trip(void **state)
{
        struct ctx *c = *state;
        struct distill_error err = {0};
        struct deb_index idx, back;
        cleanup_free char *deb = build_normal_deb(c, "xz");
        cleanup_free char *json = path_join(c->tmp, "index.json");

        assert_int_equal(debfile_read(deb, "normal.deb", c->st, &idx, &err), 0);
        if (deb_index_save(&idx, json, &err) < 0)
                fail_msg("%s", err.msg);
        if (deb_index_load(json, c->st, &back, &err) < 0)
                fail_msg("%s", err.msg);
        check_normal_index(c, &back, "xz");
        assert_string_equal(back.control, idx.control);
        assert_int_equal(back.warnings.n, idx.warnings.n);
        for (size_t i = 0; i < idx.n_members; i++) {
                const struct deb_member *a = &idx.members[i], *b = &back.members[i];
                assert_string_equal(a->path, b->path);
                assert_int_equal(a->type, b->type);
                assert_int_equal(a->mode, b->mode);
                assert_int_equal(a->size, b->size);
                assert_string_equal(a->digest, b->digest);
                assert_true((!a->link_target && !b->link_target) ||
                            strcmp(a->link_target, b->link_target) == 0);
                assert_true((!a->hardlink_of && !b->hardlink_of) ||
                            strcmp(a->hardlink_of, b->hardlink_of) == 0);
        }
        deb_index_release(&back);

        /* A blob the index names has gone from the store. */
        const struct deb_member *m = find_member(&idx, "/usr/share/doc/distill-test/README");
        cleanup_free char *blob = store_blob_path(c->st, m->digest);
        assert_int_equal(unlink(blob), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(deb_index_load(json, c->st, &back, &err), -DISTILL_EINTEGRITY);
        assert_non_null(strstr(err.msg, m->digest));
        assert_int_equal(back.n_members, 0);
        assert_null(back.control);

        /* A damaged index file. */
        fixture_write(json, "{\"format\": 1, \"members\": [");
        assert_int_equal(deb_index_load(json, c->st, &back, &err), -DISTILL_EINTEGRITY);
        fixture_write(json, "{\"format\": 1}");
        assert_int_equal(deb_index_load(json, c->st, &back, &err), -DISTILL_EINTEGRITY);
        cleanup_free char *missing = path_join(c->tmp, "missing.json");
        assert_int_equal(deb_index_load(missing, c->st, &back, &err), -DISTILL_EIO);
        deb_index_release(&idx);
}

/* ---------------------------------------------------------------------------------------------
 * Crafted (hostile) packages: tars written by Python's tarfile, assembled with `ar rc`. */

static const char MKTAR_PY[] =
    "import io, sys, tarfile\n"
    "out, kind = sys.argv[1], sys.argv[2]\n"
    "tf = tarfile.open(out, 'w', format=tarfile.GNU_FORMAT)\n"
    "def add(name, type=tarfile.REGTYPE, data=b'', mode=0o644, link=''):\n"
    "    ti = tarfile.TarInfo(name)\n"
    "    ti.type, ti.mode, ti.linkname, ti.uname, ti.gname = type, mode, link, 'root', 'root'\n"
    "    ti.size = len(data) if type == tarfile.REGTYPE else 0\n"
    "    tf.addfile(ti, io.BytesIO(data) if type == tarfile.REGTYPE else None)\n"
    "if kind == 'control':\n"
    "    add('./', tarfile.DIRTYPE, mode=0o755)\n"
    "    add('./control', data=b'Package: crafted\\nVersion: 1.0\\nArchitecture: all\\n"
    "Description: x\\n')\n"
    "    tf.close(); sys.exit(0)\n"
    "add('./', tarfile.DIRTYPE, mode=0o755)\n"
    "add('./usr/', tarfile.DIRTYPE, mode=0o755)\n"
    "add('./usr/bin/', tarfile.DIRTYPE, mode=0o755)\n"
    "# a file unique to this kind, before the bad entry: it must not reach the store\n"
    "add('./usr/bin/ok', data=b'crafted ' + kind.encode() + b'\\n', mode=0o755)\n"
    "if kind == 'dotdot': add('./usr/../../etc/passwd', data=b'x')\n"
    "elif kind == 'absolute': add('/etc/passwd', data=b'x')\n"
    "elif kind == 'symlink-escape': add('./usr/bin/evil', tarfile.SYMTYPE,"
    " link='../../../../etc/passwd', mode=0o777)\n"
    "elif kind == 'symlink-abs-escape': add('./usr/bin/evil', tarfile.SYMTYPE,"
    " link='/usr/../../etc', mode=0o777)\n"
    "elif kind == 'hardlink-missing': add('./usr/bin/h', tarfile.LNKTYPE,"
    " link='./usr/bin/nothere')\n"
    "elif kind == 'hardlink-later':\n"
    "    add('./usr/bin/h', tarfile.LNKTYPE, link='./usr/bin/later')\n"
    "    add('./usr/bin/later', data=b'later')\n"
    "elif kind == 'hardlink-dir': add('./usr/bin/h', tarfile.LNKTYPE, link='./usr/bin/')\n"
    "elif kind == 'duplicate': add('./usr/bin/ok', data=b'second')\n"
    "elif kind == 'whiteout': add('./usr/bin/.wh.ok', data=b'')\n"
    "elif kind == 'control-char': add('./usr/bin/a\\x01b', data=b'')\n"
    "elif kind == 'below-symlink':\n"
    "    add('./usr/lib', tarfile.SYMTYPE, link='bin', mode=0o777)\n"
    "    add('./usr/lib/x', data=b'x')\n"
    "elif kind == 'long-path': add('./' + 'a/' * 2100 + 'f', data=b'')\n"
    "elif kind == 'root-file': add('.', data=b'')\n"
    "elif kind == 'good':\n"
    "    add('./usr/', tarfile.DIRTYPE, mode=0o755)\n"
    "    add('./usr/bin/abs', tarfile.SYMTYPE, link='/etc/passwd', mode=0o777)\n"
    "    add('./usr/bin/up', tarfile.SYMTYPE, link='../../etc/x', mode=0o777)\n"
    "    add('./usr/bin/hard', tarfile.LNKTYPE, link='./usr/bin/ok', mode=0o755)\n"
    "    add('./dev/', tarfile.DIRTYPE, mode=0o755)\n"
    "    add('./dev/null', tarfile.CHRTYPE, mode=0o666)\n"
    "    add('./run/', tarfile.DIRTYPE, mode=0o755)\n"
    "    add('./run/fifo', tarfile.FIFOTYPE, mode=0o644)\n"
    "    add('./tmp/', tarfile.DIRTYPE, mode=0o1777)\n"
    "    add('./usr/bin/sg', data=b'sg', mode=0o2755)\n"
    "else: sys.exit('unknown kind ' + kind)\n"
    "tf.close()\n";

/* Write data.tar for `kind`, compress it with `compress` (xz, gzip, zstd or none) and assemble
 * DIR/KIND.deb with ar. `binary` is debian-binary's content. */
static char *craft_deb(const struct ctx *c, const char *kind, const char *compress,
                       const char *binary)
{
        cleanup_free char *dir = xasprintf("%s/craft-%s-%s", c->tmp, kind, compress);
        cleanup_free char *py = path_join(c->tmp, "mktar.py");
        if (access(py, F_OK) != 0)
                fixture_write(py, MKTAR_PY);
        const char *ext = strcmp(compress, "xz") == 0     ? ".xz"
                          : strcmp(compress, "gzip") == 0 ? ".gz"
                          : strcmp(compress, "zstd") == 0 ? ".zst"
                                                          : "";
        const char *cmd = strcmp(compress, "xz") == 0     ? "xz"
                          : strcmp(compress, "gzip") == 0 ? "gzip -n"
                          : strcmp(compress, "zstd") == 0 ? "zstd -q --rm"
                                                          : "true";
        char *deb = xasprintf("%s/%s.deb", dir, kind);
        assert_int_equal(fixture_sh("mkdir -p '%s' && cd '%s' && printf '%s' > debian-binary && "
                                    "/usr/bin/python3.11 '%s' control.tar control && "
                                    "gzip -n control.tar && "
                                    "/usr/bin/python3.11 '%s' data.tar '%s' && %s data.tar && "
                                    "ar rc '%s' debian-binary control.tar.gz data.tar%s",
                                    dir, dir, binary, py, py, kind, cmd, deb, ext),
                         0);
        return deb;
}

/* A refused read: DISTILL_EINTEGRITY, the message names the .deb and `needle` (the member or
 * entry), the index is empty and the store's listing is unchanged. */
static void expect_refused(const struct ctx *c, const char *deb, const char *needle)
{
        struct distill_error err = {0};
        struct deb_index idx;
        cleanup_free char *before = store_listing(c);
        int ret = debfile_read(deb, "crafted.deb", c->st, &idx, &err);
        cleanup_free char *after = store_listing(c);
        if (ret != -DISTILL_EINTEGRITY)
                fail_msg("%s: expected DISTILL_EINTEGRITY, got %d (%s)", deb, ret, err.msg);
        assert_int_equal(err.code, DISTILL_EINTEGRITY);
        if (!strstr(err.msg, "crafted.deb") || !strstr(err.msg, needle))
                fail_msg("message '%s' does not name crafted.deb and '%s'", err.msg, needle);
        assert_string_equal(before, after);
        assert_int_equal(idx.n_members, 0);
        assert_null(idx.members);
        assert_null(idx.control);
        assert_int_equal(idx.warnings.n, 0);
}

static void refuse_kind(void **state, const char *kind, const char *needle)
{
        struct ctx *c = *state;
        cleanup_free char *deb = craft_deb(c, kind, "xz", "2.0\\n");
        expect_refused(c, deb, needle);
}

static void test_refuse_dotdot(void **state)
{
        refuse_kind(state, "dotdot", "data.tar.xz: './usr/../../etc/passwd'");
}

static void test_refuse_absolute(void **state)
{
        refuse_kind(state, "absolute", "'/etc/passwd': absolute name");
}

static void test_refuse_symlink_escape(void **state)
{
        refuse_kind(state, "symlink-escape", "symlink to ../../../../etc/passwd leaves the image");
        refuse_kind(state, "symlink-abs-escape", "'./usr/bin/evil'");
}

static void test_refuse_hardlinks(void **state)
{
        refuse_kind(state, "hardlink-missing", "hardlink to /usr/bin/nothere");
        refuse_kind(state, "hardlink-later", "hardlink to /usr/bin/later");
        refuse_kind(state, "hardlink-dir", "not an earlier regular file");
}

static void test_refuse_duplicate(void **state)
{
        refuse_kind(state, "duplicate", "duplicate path /usr/bin/ok");
}

static void test_refuse_bad_names(void **state)
{
        refuse_kind(state, "whiteout", "whiteout");
        refuse_kind(state, "control-char", "'./usr/bin/a\\x01b': control character");
        refuse_kind(state, "below-symlink", "below /usr/lib, which is not a directory");
        refuse_kind(state, "long-path", "longer than 4096");
        refuse_kind(state, "root-file", "image root is not a directory");
}

static void test_refuse_bad_debian_binary(void **state)
{
        struct ctx *c = *state;
        cleanup_free char *deb = craft_deb(c, "good", "xz", "3.0\\n");
        expect_refused(c, deb, "debian-binary: unsupported format version '3.0\\x0a'");
}

static void test_refuse_truncated(void **state)
{
        struct ctx *c = *state;
        cleanup_free char *deb = build_normal_deb(c, "xz");
        cleanup_free char *cut = path_join(c->tmp, "cut.deb");
        assert_int_equal(
            fixture_sh("head -c $(($(stat -c %%s '%s') - 100)) '%s' > '%s'", deb, deb, cut), 0);
        expect_refused(c, cut, "data.tar.xz");
        assert_int_equal(
            fixture_sh("head -c $(($(stat -c %%s '%s') / 2)) '%s' > '%s'", deb, deb, cut), 0);
        expect_refused(c, cut, "crafted.deb");
        /* Cut inside the ar header area: only debian-binary is complete. */
        assert_int_equal(fixture_sh("head -c 80 '%s' > '%s'", deb, cut), 0);
        expect_refused(c, cut, "crafted.deb");
}

static void test_refuse_missing_and_misordered_members(void **state)
{
        struct ctx *c = *state;
        /* crafting the good .deb leaves its members in craft-good-xz, re-packed below */
        free(craft_deb(c, "good", "xz", "2.0\\n"));
        cleanup_free char *dir = path_join(c->tmp, "craft-good-xz");
        cleanup_free char *deb = path_join(c->tmp, "bad-order.deb");

        assert_int_equal(fixture_sh("cd '%s' && rm -f '%s' && ar rc '%s' debian-binary "
                                    "control.tar.gz",
                                    dir, deb, deb),
                         0);
        expect_refused(c, deb, "data.tar: missing member");
        assert_int_equal(fixture_sh("cd '%s' && rm -f '%s' && ar rc '%s' debian-binary "
                                    "data.tar.xz control.tar.gz",
                                    dir, deb, deb),
                         0);
        expect_refused(c, deb, "data.tar.xz: unexpected member (expected control.tar)");
        assert_int_equal(fixture_sh("cd '%s' && rm -f '%s' && ar rc '%s' control.tar.gz "
                                    "debian-binary data.tar.xz",
                                    dir, deb, deb),
                         0);
        expect_refused(c, deb, "first member is not debian-binary");
        assert_int_equal(
            fixture_sh("cd '%s' && rm -f '%s' && printf 'garbage' > '%s'", dir, deb, deb), 0);
        expect_refused(c, deb, "crafted.deb: ar archive");
        /* "_"-members are ignored. */
        assert_int_equal(fixture_sh("cd '%s' && rm -f '%s' && echo x > _extra && ar rc '%s' "
                                    "debian-binary _extra control.tar.gz data.tar.xz",
                                    dir, deb, deb),
                         0);
        struct distill_error err = {0};
        struct deb_index idx;
        if (debfile_read(deb, "crafted.deb", c->st, &idx, &err) < 0)
                fail_msg("%s", err.msg);
        assert_non_null(find_member(&idx, "/usr/bin/ok"));
        deb_index_release(&idx);
}

/* The accepted crafted package, in every compression: devices and FIFOs dropped with a warning,
 * setgid and sticky bits stripped with a warning each, links inside the root kept. */
static void read_good(void **state, const char *compress)
{
        struct ctx *c = *state;
        struct distill_error err = {0};
        struct deb_index idx;
        cleanup_free char *deb = craft_deb(c, "good", compress, "2.0\\n");
        if (debfile_read(deb, "good.deb", c->st, &idx, &err) < 0)
                fail_msg("%s: %s", compress, err.msg);
        static const char *const expect[] = {
            "/dev",         "/run",          "/tmp",        "/usr",        "/usr/bin",
            "/usr/bin/abs", "/usr/bin/hard", "/usr/bin/ok", "/usr/bin/sg", "/usr/bin/up"};
        assert_int_equal(idx.n_members, sizeof(expect) / sizeof(expect[0]));
        for (size_t i = 0; i < idx.n_members; i++)
                assert_string_equal(idx.members[i].path, expect[i]);
        assert_string_equal(idx.package, "crafted");
        assert_string_equal(idx.arch, "all");
        assert_true(has_warning(&idx, "dropped character device /dev/null"));
        assert_true(has_warning(&idx, "dropped FIFO /run/fifo"));
        assert_true(has_warning(&idx, "stripped setgid from /usr/bin/sg"));
        assert_true(has_warning(&idx, "stripped sticky bit from /tmp"));
        assert_int_equal(find_member(&idx, "/tmp")->mode, 0777);
        assert_int_equal(find_member(&idx, "/usr/bin/sg")->mode, 0755);
        assert_string_equal(find_member(&idx, "/usr/bin/abs")->link_target, "/etc/passwd");
        const struct deb_member *ok = find_member(&idx, "/usr/bin/ok");
        const struct deb_member *hard = find_member(&idx, "/usr/bin/hard");
        assert_string_equal(hard->hardlink_of, "/usr/bin/ok");
        assert_string_equal(hard->digest, ok->digest);
        char want[SHA256_HEX_LEN + 1];
        sha256_hex("crafted good\n", 13, want);
        assert_string_equal(ok->digest, want);
        assert_int_equal(ok->size, 13);
        assert_true(store_has_blob(c->st, want));
        assert_int_equal(idx.n_alts, 0);
        deb_index_release(&idx);
}

static void test_good_xz(void **state)
{
        read_good(state, "xz");
}

static void test_good_gzip(void **state)
{
        read_good(state, "gzip");
}

static void test_good_zstd(void **state)
{
        read_good(state, "zstd");
}

static void test_good_plain(void **state)
{
        read_good(state, "none");
}

static void test_refuse_in_other_compressions(void **state)
{
        struct ctx *c = *state;
        cleanup_free char *gz = craft_deb(c, "symlink-escape", "gzip", "2.0\\n");
        expect_refused(c, gz, "data.tar.gz: './usr/bin/evil'");
        cleanup_free char *plain = craft_deb(c, "duplicate", "none", "2.0\\n");
        expect_refused(c, plain, "data.tar: './usr/bin/ok'");
        cleanup_free char *zst = craft_deb(c, "dotdot", "zstd", "2.0\\n");
        expect_refused(c, zst, "data.tar.zst");
}

/* ---------------------------------------------------------------------------------------------
 * A real Debian package against dpkg-deb's own listing */

/* scripts/setup keeps zlib1g's .deb in apt's cache */
static char *real_deb(void)
{
        char *p = fixture_sh_out("ls /var/cache/apt/archives/zlib1g_*_amd64.deb 2>/dev/null | "
                                 "head -n1");
        if (!p || !*p)
                fail_msg("no zlib1g .deb in /var/cache/apt/archives: run scripts/setup");
        p[strcspn(p, "\n")] = '\0';
        return p;
}

static unsigned parse_perm(const char *s)
{
        unsigned perm = 0;
        for (int i = 0; i < 9; i++)
                if (s[1 + i] != '-' && s[1 + i] != 'S' && s[1 + i] != 'T')
                        perm |= 1u << (8 - i);
        return perm;
}

static void test_real_deb_matches_dpkg(void **state)
{
        struct ctx *c = *state;
        struct distill_error err = {0};
        struct deb_index idx;
        cleanup_free char *deb = real_deb();
        if (debfile_read(deb, deb, c->st, &idx, &err) < 0)
                fail_msg("%s", err.msg);
        cleanup_free char *listing = fixture_sh_out("dpkg-deb -c '%s'", deb);
        assert_non_null(listing);

        size_t n = 0, n_reg = 0;
        for (char *line = strtok(listing, "\n"); line; line = strtok(NULL, "\n")) {
                char perms[16], owner[64], date[16], time[16];
                unsigned long long size;
                int off = 0;
                assert_int_equal(sscanf(line, "%15s %63s %llu %15s %15s %n", perms, owner, &size,
                                        date, time, &off),
                                 5);
                char *name = line + off;
                char *arrow = strstr(name, " -> ");
                char *hard = strstr(name, " link to ");
                if (arrow)
                        *arrow = '\0';
                if (hard)
                        *hard = '\0';
                cleanup_free char *path = xasprintf("/%s", name + 2); /* strip "./" */
                size_t len = strlen(path);
                if (len > 1 && path[len - 1] == '/')
                        path[len - 1] = '\0';
                if (strcmp(path, "/") == 0)
                        continue;
                n++;
                const struct deb_member *m = find_member(&idx, path);
                if (!m)
                        fail_msg("%s missing from the index", path);
                assert_int_equal(m->mode, parse_perm(perms));
                switch (perms[0]) {
                case 'd':
                        assert_int_equal(m->type, SOURCE_DIR);
                        break;
                case 'l':
                        assert_int_equal(m->type, SOURCE_SYMLINK);
                        assert_string_equal(m->link_target, arrow + 4);
                        break;
                case 'h':
                        assert_int_equal(m->type, SOURCE_REG);
                        assert_non_null(m->hardlink_of);
                        break;
                default:
                        assert_int_equal(perms[0], '-');
                        assert_int_equal(m->type, SOURCE_REG);
                        assert_int_equal(m->size, size);
                        assert_null(m->hardlink_of);
                        n_reg++;
                        /* The bytes, as tar extracts them. */
                        cleanup_free char *want = fixture_sh_out(
                            "dpkg-deb --fsys-tarfile '%s' | tar -xO './%s' | sha256sum | "
                            "cut -c1-64",
                            deb, path + 1);
                        assert_non_null(want);
                        want[strcspn(want, "\n")] = '\0';
                        assert_string_equal(m->digest, want);
                }
        }
        assert_int_equal(n, idx.n_members);
        assert_true(n_reg > 0);
        cleanup_free char *pkg = fixture_sh_out("dpkg-deb -f '%s' Package", deb);
        pkg[strcspn(pkg, "\n")] = '\0';
        assert_string_equal(idx.package, pkg);
        cleanup_free char *ctl = fixture_sh_out("dpkg-deb -f '%s'", deb);
        assert_string_equal(idx.control, ctl);
        deb_index_release(&idx);
}

/* ---------------------------------------------------------------------------------------------
 * update-alternatives parsing */

static void parse(const char *script, struct deb_alternative **alts, size_t *n,
                  struct strvec *warnings)
{
        struct distill_error err = {0};
        if (debfile_parse_alternatives(script, strlen(script), "postinst", alts, n, warnings,
                                       &err) < 0)
                fail_msg("%s", err.msg);
}

static void free_alts(struct deb_alternative *alts, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(alts[i].link);
                free(alts[i].name);
                free(alts[i].path);
                strvec_clear(&alts[i].slave_links);
                strvec_clear(&alts[i].slave_names);
                strvec_clear(&alts[i].slave_paths);
        }
        free(alts);
}

/* libblas3's and libopenblas0-pthread's postinst (bookworm), verbatim. */
static void test_alternatives_real_scripts(void **state)
{
        (void)state;
        struct deb_alternative *alts;
        size_t n;
        struct strvec w = STRVEC_INIT;
        parse("#!/bin/sh\n\nset -e\n\n"
              "update-alternatives --install /usr/lib/x86_64-linux-gnu/libblas.so.3 \\\n"
              "                    libblas.so.3-x86_64-linux-gnu "
              "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3 10\n\n\n\nexit 0\n",
              &alts, &n, &w);
        assert_int_equal(n, 1);
        assert_string_equal(alts[0].link, "/usr/lib/x86_64-linux-gnu/libblas.so.3");
        assert_string_equal(alts[0].name, "libblas.so.3-x86_64-linux-gnu");
        assert_string_equal(alts[0].path, "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3");
        assert_int_equal(alts[0].priority, 10);
        assert_int_equal(w.n, 0);
        free_alts(alts, n);

        parse("#! /bin/sh\nset -e\n\n"
              "update-alternatives --install /usr/lib/x86_64-linux-gnu/libblas.so.3 \\\n"
              "                    libblas.so.3-x86_64-linux-gnu \\\n"
              "\t            /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 100\n\n"
              "update-alternatives --install /usr/lib/x86_64-linux-gnu/liblapack.so.3 \\\n"
              "                    liblapack.so.3-x86_64-linux-gnu \\\n"
              "\t            /usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3 100\n\n"
              "exit 0\n",
              &alts, &n, &w);
        assert_int_equal(n, 2);
        assert_string_equal(alts[0].path,
                            "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3");
        assert_string_equal(alts[1].name, "liblapack.so.3-x86_64-linux-gnu");
        assert_int_equal(alts[1].priority, 100);
        assert_int_equal(w.n, 0);
        free_alts(alts, n);
        strvec_clear(&w);
}

static void test_alternatives_shell_syntax(void **state)
{
        (void)state;
        struct deb_alternative *alts;
        size_t n;
        struct strvec w = STRVEC_INIT;
        parse("case \"$1\" in\n"
              "configure) update-alternatives --install /usr/bin/a a /usr/bin/a1 1 \\\n"
              "   --slave /usr/bin/b b /usr/bin/b1 --slave \"/usr/share/man/man1/a.1.gz\" "
              "'a.1.gz' /usr/share/man/man1/a1.1.gz ;;\n"
              "esac\n"
              "# update-alternatives --install /c c /c1 1 \\\n"
              "cat <<EOF\n"
              "update-alternatives --install /heredoc h /h1 1\n"
              "EOF\n"
              "update-alternatives --remove a /usr/bin/a0\n"
              "update-alternatives --install /usr/bin/x x `which x` 5\n"
              "update-alternatives --install /usr/bin/y y /usr/bin/y1 notanumber\n"
              "update-alternatives --install /usr/bin/z z\n"
              "[ -x /usr/bin/q ] && /usr/bin/update-alternatives --install /usr/bin/q q "
              "/usr/bin/q\\ 1 7 >/dev/null 2>&1; echo done\n"
              "update-alternatives --install /usr/bin/u u '/usr/bin/unterminated 3\n",
              &alts, &n, &w);
        assert_int_equal(n, 2);
        assert_string_equal(alts[0].link, "/usr/bin/a");
        assert_int_equal(alts[0].slave_links.n, 2);
        assert_string_equal(alts[0].slave_links.v[1], "/usr/share/man/man1/a.1.gz");
        assert_string_equal(alts[0].slave_names.v[1], "a.1.gz");
        assert_string_equal(alts[0].slave_paths.v[0], "/usr/bin/b1");
        assert_string_equal(alts[1].path, "/usr/bin/q 1");
        assert_int_equal(alts[1].priority, 7);
        /* `which x` (shell substitution), the bad priority, the missing arguments and the
         * unterminated quote are each reported. */
        assert_int_equal(w.n, 4);
        assert_non_null(strstr(w.v[0], "postinst:10: update-alternatives --install uses shell"));
        assert_non_null(strstr(w.v[1], "postinst:11: update-alternatives: invalid --install "
                                       "PRIORITY"));
        assert_non_null(strstr(w.v[2], "postinst:12:"));
        assert_non_null(strstr(w.v[3], "unterminated quote"));
        free_alts(alts, n);
        strvec_clear(&w);

        /* Scripts are input: a NUL byte is refused. */
        struct distill_error err = {0};
        assert_int_equal(debfile_parse_alternatives("a\0b", 3, "postinst", &alts, &n, &w, &err),
                         -DISTILL_EINTEGRITY);
        assert_non_null(strstr(err.msg, "postinst"));
}

/* Command substitutions with quotes inside (systemd-timesyncd's postinst) must not derail the
 * lexer; an --install whose arguments come from a substitution (xz-utils') is reported. */
static void test_alternatives_substitutions(void **state)
{
        (void)state;
        struct deb_alternative *alts;
        size_t n;
        struct strvec w = STRVEC_INIT;
        parse("md5=\"$(md5sum ${f} | sed -e 's/ .*//')\"\n"
              "old=\"$(dpkg-query -W -f='${Conffiles}' $pkg | \\\n"
              "        sed -n -e \"\\' ${f} ' { s/ obsolete$//; s/.* //; p }\")\"\n"
              "x=`echo 'a)' \"b\"`\n"
              "update-alternatives --install /usr/bin/lzma lzma /usr/bin/xz 20 $(\n"
              "\tslave /usr/bin unlzma unxz\n"
              "\tfor u in cat more; do slave /usr/bin lz$u xz$u; done\n"
              ")\n"
              "update-alternatives --install /usr/bin/after after /usr/bin/after.real 3\n",
              &alts, &n, &w);
        assert_int_equal(n, 1);
        assert_string_equal(alts[0].link, "/usr/bin/after");
        assert_int_equal(alts[0].priority, 3);
        assert_int_equal(w.n, 1);
        assert_non_null(strstr(w.v[0], "postinst:5: update-alternatives --install uses shell"));
        free_alts(alts, n);
        strvec_clear(&w);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_read_normal_xz, setup, teardown),
            cmocka_unit_test_setup_teardown(test_read_normal_gzip, setup, teardown),
            cmocka_unit_test_setup_teardown(test_read_normal_zstd, setup, teardown),
            cmocka_unit_test_setup_teardown(test_read_normal_none, setup, teardown),
            cmocka_unit_test_setup_teardown(test_index_round_trip, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuse_dotdot, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuse_absolute, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuse_symlink_escape, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuse_hardlinks, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuse_duplicate, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuse_bad_names, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuse_bad_debian_binary, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuse_truncated, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuse_missing_and_misordered_members, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_good_xz, setup, teardown),
            cmocka_unit_test_setup_teardown(test_good_gzip, setup, teardown),
            cmocka_unit_test_setup_teardown(test_good_zstd, setup, teardown),
            cmocka_unit_test_setup_teardown(test_good_plain, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuse_in_other_compressions, setup, teardown),
            cmocka_unit_test_setup_teardown(test_real_deb_matches_dpkg, setup, teardown),
            cmocka_unit_test(test_alternatives_real_scripts),
            cmocka_unit_test(test_alternatives_shell_syntax),
            cmocka_unit_test(test_alternatives_substitutions),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
