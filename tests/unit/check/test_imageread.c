/* imageread: an OCI layout (two layers, the second with a whiteout and a hard link) and a
 * docker-archive made at test time by Python's tarfile, gzip and hashlib — the layout as the
 * image-spec describes it, independent of distill's writer — and a rootfs tree with an mtree
 * file; then the same layout with a flipped byte and a wrong diff_id. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "distill/check/imageread.h"
#include "fixture.h"

/* make_image.py DIR FORM: DIR/oci (a layout) or DIR/image.tar */
static const char make_image[] =
    "import gzip, hashlib, io, json, os, sys, tarfile\n"
    "d, form = sys.argv[1], sys.argv[2]\n"
    "def layer(members):\n"
    "    b = io.BytesIO()\n"
    "    with tarfile.open(fileobj=b, mode='w', format=tarfile.PAX_FORMAT) as t:\n"
    "        for name, kind, mode, uid, data in members:\n"
    "            i = tarfile.TarInfo(name); i.mode = mode; i.uid = i.gid = uid\n"
    "            if kind == 'dir': i.type = tarfile.DIRTYPE; t.addfile(i)\n"
    "            elif kind == 'link': i.type = tarfile.SYMTYPE; i.linkname = data; t.addfile(i)\n"
    "            elif kind == 'hard': i.type = tarfile.LNKTYPE; i.linkname = data; t.addfile(i)\n"
    "            else: i.size = len(data); t.addfile(i, io.BytesIO(data))\n"
    "    return b.getvalue()\n"
    "l1 = layer([('usr', 'dir', 0o755, 0, None), ('usr/bin', 'dir', 0o755, 0, None),\n"
    "            ('usr/bin/prog', 'file', 0o4755, 0, b'#!/usr/bin/interp\\n'),\n"
    "            ('bin', 'link', 0o777, 0, 'usr/bin'), ('gone', 'dir', 0o755, 0, None),\n"
    "            ('gone/a', 'file', 0o644, 0, b'a')])\n"
    "l2 = layer([('.wh.gone', 'file', 0o644, 0, b''), ('usr/bin/hard', 'hard', 0, 0, "
    "'usr/bin/prog'),\n"
    "            ('home', 'dir', 0o755, 0, None), ('home/u', 'dir', 0o700, 1000, None)])\n"
    "h = lambda b: hashlib.sha256(b).hexdigest()\n"
    "config = json.dumps({'architecture': 'amd64', 'os': 'linux', 'config': {'User': "
    "'1000:1000'},\n"
    "                     'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + h(l1), 'sha256:' + "
    "h(l2)]}}).encode()\n"
    "if form == 'oci':\n"
    "    o = os.path.join(d, 'oci'); blobs = os.path.join(o, 'blobs', 'sha256'); "
    "os.makedirs(blobs)\n"
    "    def put(b):\n"
    "        open(os.path.join(blobs, h(b)), 'wb').write(b)\n"
    "        return {'digest': 'sha256:' + h(b), 'size': len(b)}\n"
    "    gz = [gzip.compress(l, mtime=0) for l in (l1, l2)]\n"
    "    m = json.dumps({'schemaVersion': 2, 'config': put(config), 'layers': [put(g) for g in "
    "gz]}).encode()\n"
    "    json.dump({'schemaVersion': 2, 'manifests': [put(m)]}, open(os.path.join(o, "
    "'index.json'), 'w'))\n"
    "    open(os.path.join(o, 'oci-layout'), 'w').write('{\"imageLayoutVersion\": \"1.0.0\"}')\n"
    "else:\n"
    "    with tarfile.open(os.path.join(d, 'image.tar'), 'w') as t:\n"
    "        def add(name, b):\n"
    "            i = tarfile.TarInfo(name); i.size = len(b); t.addfile(i, io.BytesIO(b))\n"
    "        add(h(config) + '.json', config)\n"
    "        add(h(l1) + '/layer.tar', l1); add(h(l2) + '/layer.tar', l2)\n"
    "        add('manifest.json', json.dumps([{'Config': h(config) + '.json',\n"
    "            'Layers': [h(l1) + '/layer.tar', h(l2) + '/layer.tar']}]).encode())\n";

static char *make(const char *dir, const char *form)
{
        char *script = path_join(dir, "make_image.py");
        fixture_write(script, make_image);
        assert_int_equal(fixture_sh("/usr/bin/python3.11 %s %s %s", script, dir, form), 0);
        free(script);
        return path_join(dir, strcmp(form, "oci") ? "image.tar" : "oci");
}

static void expect_layers_applied(const struct imageread *img)
{
        const struct imageread_entry *prog = imageread_get(img, "/usr/bin/prog");
        assert_non_null(prog);
        assert_true(S_ISREG(prog->mode));
        assert_int_equal(prog->mode & 07777, 04755);
        char *data;
        size_t len;
        struct distill_error err = {0};
        assert_int_equal(imageread_read(img, prog, 1024, &data, &len, &err), 0);
        assert_string_equal(data, "#!/usr/bin/interp\n");
        free(data);
        /* the hard link has the file's bytes */
        const struct imageread_entry *hard = imageread_get(img, "/usr/bin/hard");
        assert_non_null(hard);
        assert_int_equal(imageread_read(img, hard, 1024, &data, &len, &err), 0);
        assert_string_equal(data, "#!/usr/bin/interp\n");
        free(data);
        assert_int_equal(imageread_read(img, prog, 4, &data, &len, &err), -DISTILL_EUSAGE);
        /* the whiteout removed /gone and what was under it */
        assert_null(imageread_get(img, "/gone"));
        assert_null(imageread_get(img, "/gone/a"));
        const struct imageread_entry *bin = imageread_get(img, "/bin");
        assert_true(S_ISLNK(bin->mode));
        assert_string_equal(bin->target, "usr/bin");
        assert_int_equal(imageread_get(img, "/home/u")->uid, 1000);
        size_t n;
        const char **paths = imageread_paths(img, &n);
        assert_int_equal(n, 8); /* / /bin /home /home/u /usr /usr/bin /usr/bin/hard /usr/bin/prog */
        assert_string_equal(paths[0], "/");
        assert_string_equal(paths[n - 1], "/usr/bin/prog");
        free(paths);
        /* links resolve through the namespace */
        struct imagens *ns;
        assert_int_equal(imageread_namespace(img, &ns, &err), 0);
        struct imagens_resolved res = {0};
        assert_int_equal(imagens_resolve(ns, "/bin/prog", true, &res, &err), 0);
        assert_string_equal(res.node->path, "/usr/bin/prog");
        imagens_resolved_release(&res);
        imagens_free(ns);
        assert_string_equal(imageread_config_string(img, "User"), "1000:1000");
}

static void test_oci(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *oci = make(dir, "oci");
        struct imageread *img;
        struct distill_error err = {0};
        assert_int_equal(imageread_open(oci, &img, &err), 0);
        assert_int_equal(img->form, IMAGEREAD_OCI);
        assert_int_equal(img->n_layers, 2);
        for (size_t i = 0; i < img->problems.n; i++)
                print_error("%s\n", img->problems.v[i]);
        assert_int_equal(img->problems.n, 0);
        expect_layers_applied(img);
        imageread_free(img);

        /* a flipped byte in the first layer's blob: a problem, and the layer is not read */
        assert_int_equal(
            fixture_sh("/usr/bin/python3.11 -c 'import json, sys; o=sys.argv[1]; "
                       "b=lambda d: o+\"/blobs/sha256/\"+d.split(\":\")[1]; "
                       "i=json.load(open(o+\"/index.json\")); "
                       "m=json.load(open(b(i[\"manifests\"][0][\"digest\"]))); "
                       "p=b(m[\"layers\"][0][\"digest\"]); x=bytearray(open(p,\"rb\").read()); "
                       "x[20]^=0xff; open(p,\"wb\").write(x)' %s",
                       oci),
            0);
        assert_int_equal(imageread_open(oci, &img, &err), 0);
        assert_true(img->problems.n >= 1);
        assert_non_null(strstr(img->problems.v[0], "holds bytes of digest"));
        imageread_free(img);
        free(oci);
        fixture_cleanup(dir);
        free(dir);
}

static void test_docker_archive(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        char *tar = make(dir, "docker-archive");
        struct imageread *img;
        struct distill_error err = {0};
        assert_int_equal(imageread_open(tar, &img, &err), 0);
        assert_int_equal(img->form, IMAGEREAD_DOCKER_ARCHIVE);
        assert_int_equal(img->problems.n, 0);
        expect_layers_applied(img);
        imageread_free(img);
        free(tar);
        fixture_cleanup(dir);
        free(dir);
}

static void test_rootfs_mtree(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        assert_int_equal(fixture_sh("cd %s && mkdir -p r/etc r/home/u && echo hi >r/etc/f && "
                                    "ln -s etc/f r/l && chmod 0600 r/etc/f",
                                    dir),
                         0);
        char *mtree = xasprintf("%s/r.mtree", dir);
        fixture_write(mtree, "#mtree\n"
                             "./etc/f type=file mode=0644 uid=0 gid=0\n"
                             "./home/u type=dir mode=0700 uid=1000 gid=1000\n");
        char *root = xasprintf("%s/r/", dir);
        struct imageread *img;
        struct distill_error err = {0};
        assert_int_equal(imageread_open(root, &img, &err), 0);
        assert_int_equal(img->form, IMAGEREAD_ROOTFS);
        assert_null(img->config);
        const struct imageread_entry *f = imageread_get(img, "/etc/f");
        assert_int_equal(f->mode & 07777, 0644); /* the mtree's, not the tree's 0600 */
        const struct imageread_entry *u = imageread_get(img, "/home/u");
        assert_int_equal(u->uid, 1000);
        assert_string_equal(imageread_get(img, "/l")->target, "etc/f");
        char *data;
        size_t len;
        assert_int_equal(imageread_read(img, f, 100, &data, &len, &err), 0);
        assert_string_equal(data, "hi\n");
        free(data);
        imageread_free(img);
        free(root);
        free(mtree);
        fixture_cleanup(dir);
        free(dir);
}

static void test_not_an_image(void **state)
{
        (void)state;
        struct imageread *img;
        struct distill_error err = {0};
        assert_int_equal(imageread_open("/nonexistent/x", &img, &err), -DISTILL_EUSAGE);
        char *dir = fixture_tmpdir();
        char *junk = path_join(dir, "junk");
        fixture_write(junk, "not a tar at all, not even close to one\n");
        assert_true(imageread_open(junk, &img, &err) < 0);
        free(junk);
        fixture_cleanup(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_oci),
            cmocka_unit_test(test_docker_archive),
            cmocka_unit_test(test_rootfs_mtree),
            cmocka_unit_test(test_not_an_image),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
