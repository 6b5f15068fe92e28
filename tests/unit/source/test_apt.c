/* aptrepo against a real archive built at test time: two .debs from dpkg-deb, indexes from
 * dpkg-scanpackages (+ xz, gzip), Release signed by a throw-away gpg key, served by python's
 * http.server whose request log shows what distill asked for. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "distill/source/apt.h"
#include "fixture.h"

static struct {
        char *t;       /* scratch root */
        char *archive; /* what the server serves: one directory per suite */
        char *key_gpg, *key_asc, *other_gpg;
        char *log; /* http.server's request log */
        int port;
        pid_t server;
} W;

/* mkarchive.sh ARCHIVE SUITE GPGHOME DEBS [VALID_UNTIL]: ARCHIVE/SUITE/{pool,dists/SUITE}. */
static const char MKARCHIVE[] =
    "set -e\n"
    "A=$1; S=$2; H=$3; DEBS=$4; VU=$5\n"
    "R=$A/$S; D=$R/dists/$S\n"
    "mkdir -p $D/main/binary-amd64 $D/main/binary-all $R/pool/main/h $R/pool/main/w\n"
    "cp $DEBS/hello_1.0_amd64.deb $R/pool/main/h/\n"
    "cp $DEBS/world_1.0_all.deb $R/pool/main/w/\n"
    "cd $R\n"
    "dpkg-scanpackages pool/main/h > dists/$S/main/binary-amd64/Packages 2>/dev/null\n"
    "dpkg-scanpackages pool/main/w > dists/$S/main/binary-all/Packages 2>/dev/null\n"
    "for d in dists/$S/main/binary-amd64 dists/$S/main/binary-all; do\n"
    "  xz -k $d/Packages; gzip -9nk $d/Packages; done\n"
    "cd dists/$S\n"
    "{ echo 'Origin: distill-test'; echo \"Suite: $S\"; echo \"Codename: $S\";\n"
    "  echo \"Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')\";\n"
    "  if [ -n \"$VU\" ]; then echo \"Valid-Until: $VU\"; fi\n"
    "  echo 'Architectures: amd64 all'; echo 'Components: main'; echo 'SHA256:';\n"
    "  for f in main/binary-*/Packages*; do\n"
    "    echo \" $(sha256sum $f | cut -d' ' -f1) $(stat -c %s $f) $f\"; done; } > Release\n"
    "gpg --homedir $H --batch --yes --clearsign -o InRelease Release 2>/dev/null\n";

/* gencontents.py ARCH: a Contents index shaped as Debian's (PATH, blanks, SECTION/PKG[,…]):
 * thousands of other lines around the Python ones so that lines straddle libarchive's reads,
 * pypy's and python2's dist-packages, a Python line too long to keep, and (in Contents-all) a
 * last line without its newline. */
static const char GENCONTENTS[] =
    "import sys\n"
    "arch = sys.argv[1]\n"
    "out = []\n"
    "py = {'amd64': [('usr/lib/python3/dist-packages/numpy-1.24.2.egg-info/PKG-INFO', "
    "'python/python3-numpy'),\n"
    "                ('usr/lib/python3.11/dist-packages/_cffi_backend-1.15.1.dist-info/RECORD', "
    "'python/python3-cffi-backend')],\n"
    "      'all': [('usr/lib/python3/dist-packages/Flask-2.2.2.egg-info/PKG-INFO', "
    "'python/python3-flask'),\n"
    "              ('usr/lib/python3/dist-packages/Flask-2.2.2.egg-info/requires.txt', "
    "'python/python3-flask'),\n"
    "              ('usr/lib/python3/dist-packages/cryptography.egg-info/PKG-INFO', "
    "'python/python3-cryptography'),\n"
    "              ('usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info', "
    "'admin/python3-apt'),\n"
    "              ('usr/lib/python3/dist-packages/zope.interface-5.5.2.egg-info/PKG-INFO', "
    "'python/python3-zope.interface,non-free/python/python3-zope-compat'),\n"
    "              ('usr/lib/pypy3/dist-packages/Flask-2.2.2.dist-info/METADATA', "
    "'python/pypy3-flask'),\n"
    "              ('usr/lib/python2.7/dist-packages/Flask-1.0.egg-info', "
    "'python/python-flask'),\n"
    "              ('usr/lib/python3/dist-packages/huge-1.dist-info/' + 'x' * 70000, "
    "'python/python3-huge')]}[arch]\n"
    "for i in range(6000):\n"
    "    out.append('usr/share/doc/pkg%d/changelog.Debian.gz%s doc/pkg%d' % (i, ' ' * (i % 40), "
    "i))\n"
    "    if i % 700 == 0 and py:\n"
    "        p, l = py.pop(0)\n"
    "        out.append(p + ' ' * (60 - len(p) % 60) + l)\n"
    "for p, l in py:\n"
    "    out.append(p + '\\t' + l)\n"
    "text = '\\n'.join(out)\n"
    "if arch == 'all':\n"
    "    text += '\\nusr/lib/python3/dist-packages/last-1.0.dist-info/METADATA "
    "python/python3-last'\n"
    "else:\n"
    "    text += '\\n'\n"
    "sys.stdout.write(text)\n";

/* mkcontents.sh ARCHIVE SUITE GPGHOME T LAYOUT: Contents-amd64.gz and Contents-all.xz added to a
 * suite (LAYOUT comp: in main/, top: the suite's own; flat: ARCHIVE/SUITE is a flat repository),
 * Release re-signed listing them and, as Debian's does, their uncompressed forms, which are not
 * served (moved to T/plain/SUITE, for the tests' oracle). */
static const char MKCONTENTS[] =
    "set -e\n"
    "A=$1; S=$2; H=$3; T=$4; L=$5\n"
    "if [ $L = flat ]; then D=$A/$S; P=$D; else D=$A/$S/dists/$S; P=$D/main; fi\n"
    "[ $L = top ] && P=$D\n"
    "/usr/bin/python3.11 $T/gencontents.py amd64 > $P/Contents-amd64\n"
    "/usr/bin/python3.11 $T/gencontents.py all > $P/Contents-all\n"
    "gzip -9nk $P/Contents-amd64; xz -k $P/Contents-all\n"
    "cd $D\n"
    "{ echo 'Origin: distill-test'; echo \"Suite: $S\";\n"
    "  echo \"Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')\";\n"
    "  echo 'Architectures: amd64 all'; echo 'Components: main'; echo 'SHA256:';\n"
    "  for f in $(find . -name 'Packages*' -o -name 'Contents-*' | sed 's|^\\./||' | sort); do\n"
    "    echo \" $(sha256sum $f | cut -d' ' -f1) $(stat -c %s $f) $f\"; done; } > Release\n"
    "gpg --homedir $H --batch --yes --clearsign -o InRelease Release 2>/dev/null\n"
    "mkdir -p $T/plain/$S; mv $P/Contents-amd64 $P/Contents-all $T/plain/$S/\n";

static const char FLIP[] = "import sys\n"
                           "p = sys.argv[1]\n"
                           "b = bytearray(open(p, 'rb').read())\n"
                           "b[len(b) // 2] ^= 0x01\n"
                           "open(p, 'wb').write(b)\n";

static void make_deb(const char *name, const char *arch)
{
        assert_int_equal(fixture_sh("set -e; B=%s/build/%s; mkdir -p $B/DEBIAN $B/usr/share/%s; "
                                    "printf 'Package: %s\\nVersion: 1.0\\nArchitecture: %s\\n"
                                    "Maintainer: distill test <t@example.invalid>\\n"
                                    "Description: test package %s\\n' > $B/DEBIAN/control; "
                                    "echo %s > $B/usr/share/%s/%s.txt; mkdir -p %s/debs; "
                                    "dpkg-deb --root-owner-group -Zxz --build $B "
                                    "%s/debs/%s_1.0_%s.deb >/dev/null",
                                    W.t, name, name, name, arch, name, name, name, name, W.t, W.t,
                                    name, arch),
                         0);
}

static void make_suite(const char *suite, const char *gpghome, const char *valid_until)
{
        assert_int_equal(fixture_sh("sh %s/mkarchive.sh %s %s %s/%s %s/debs '%s'", W.t, W.archive,
                                    suite, W.t, gpghome, W.t, valid_until ? valid_until : ""),
                         0);
}

static void gen_key(const char *home, const char *uid)
{
        /* gpg's chatter goes to a log, shown when it fails */
        assert_int_equal(fixture_sh("mkdir -m700 -p %s/%s && gpg --homedir %s/%s --batch "
                                    "--pinentry-mode loopback --passphrase '' --quick-gen-key "
                                    "'%s' ed25519 sign never 2>%s/gpg.log || "
                                    "{ cat %s/gpg.log >&2; exit 1; }",
                                    W.t, home, W.t, home, uid, W.t, W.t),
                         0);
}

static int start_server(void)
{
        char *out = xasprintf("%s/server.out", W.t);
        W.log = xasprintf("%s/server.log", W.t);
        char *pidfile = xasprintf("%s/server.pid", W.t);
        int st = fixture_sh("/usr/bin/python3.11 -u -m http.server --bind 127.0.0.1 0 "
                            "--directory %s >%s 2>%s & echo $! > %s",
                            W.archive, out, W.log, pidfile);
        char *pid = NULL;
        size_t len;
        if (st == 0 && read_file(pidfile, &pid, &len) == 0)
                W.server = (pid_t)atoi(pid);
        free(pid);
        /* polled for up to a minute: a loaded machine may be slow to start python */
        for (int i = 0; i < 1200 && W.server > 0 && W.port == 0; i++) {
                char *text = NULL;
                /* (read_file leaves an empty file's buffer unterminated: check len) */
                if (read_file(out, &text, &len) == 0 && len > 0) {
                        const char *p = strstr(text, " port ");
                        if (p)
                                W.port = atoi(p + 6);
                }
                free(text);
                if (W.port == 0)
                        usleep(50000);
        }
        free(out);
        free(pidfile);
        return W.port > 0 ? 0 : -1;
}

static int group_setup(void **state)
{
        (void)state;
        /* the server is on loopback: no proxy from the environment may intercept it */
        const char *proxies[] = {"http_proxy",  "https_proxy", "HTTP_PROXY",
                                 "HTTPS_PROXY", "all_proxy",   "ALL_PROXY"};
        for (size_t i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
                unsetenv(proxies[i]);
        W.t = fixture_tmpdir();
        W.archive = xasprintf("%s/archive", W.t);
        W.key_gpg = xasprintf("%s/key.gpg", W.t);
        W.key_asc = xasprintf("%s/key.asc", W.t);
        W.other_gpg = xasprintf("%s/other.gpg", W.t);
        char *p = xasprintf("%s/mkarchive.sh", W.t);
        fixture_write(p, MKARCHIVE);
        free(p);
        p = xasprintf("%s/flip.py", W.t);
        fixture_write(p, FLIP);
        free(p);

        gen_key("gpg-good", "distill test <t@example.invalid>");
        gen_key("gpg-other", "someone else <o@example.invalid>");
        if (fixture_sh("gpg --homedir %s/gpg-good --export > %s && "
                       "gpg --homedir %s/gpg-good --export --armor > %s && "
                       "gpg --homedir %s/gpg-other --export > %s",
                       W.t, W.key_gpg, W.t, W.key_asc, W.t, W.other_gpg) != 0)
                return -1;
        make_deb("hello", "amd64");
        make_deb("world", "all");

        make_suite("good", "gpg-good", NULL);
        make_suite("asc", "gpg-good", NULL);
        make_suite("tamperxz", "gpg-good", NULL);
        fixture_sh("/usr/bin/python3.11 %s/flip.py "
                   "%s/tamperxz/dists/tamperxz/main/binary-amd64/Packages.xz",
                   W.t, W.archive);
        make_suite("otherkey", "gpg-other", NULL);
        make_suite("before", "gpg-good", NULL);
        fixture_sh("cd %s/before/dists/before && { printf 'Package: evil\\nVersion: 6.6.6\\n\\n'; "
                   "cat InRelease; } > x && mv x InRelease",
                   W.archive);
        make_suite("after", "gpg-good", NULL);
        fixture_sh("printf '\\nPackage: evil\\nVersion: 6.6.6\\n' >> "
                   "%s/after/dists/after/InRelease",
                   W.archive);
        make_suite("expired", "gpg-good", "Sat, 01 Jan 2000 00:00:00 UTC");
        /* a flat repository: Packages and InRelease next to the .debs */
        if (fixture_sh("set -e; F=%s/flat; mkdir -p $F; cp %s/debs/*.deb $F/; cd $F; "
                       "dpkg-scanpackages . > Packages 2>/dev/null; xz -k Packages; "
                       "{ echo 'Origin: flat'; echo 'SHA256:'; for f in Packages Packages.xz; do "
                       "echo \" $(sha256sum $f | cut -d' ' -f1) $(stat -c %%s $f) $f\"; done; } "
                       "> Release; gpg --homedir %s/gpg-good --batch --yes --clearsign "
                       "-o InRelease Release 2>/dev/null",
                       W.archive, W.t, W.t) != 0)
                return -1;
        /* Contents indexes: per component, the suite's own (older archives), a flat
         * repository's; one whose Contents-amd64.gz was altered after signing; one whose
         * Contents-amd64.gz was signed as it is but is a truncated gzip stream */
        p = xasprintf("%s/gencontents.py", W.t);
        fixture_write(p, GENCONTENTS);
        free(p);
        p = xasprintf("%s/mkcontents.sh", W.t);
        fixture_write(p, MKCONTENTS);
        free(p);
        make_suite("contents", "gpg-good", NULL);
        make_suite("legacy", "gpg-good", NULL);
        make_suite("tampercontents", "gpg-good", NULL);
        make_suite("truncated", "gpg-good", NULL);
        if (fixture_sh("set -e; cp -r %s/flat %s/flatc; for x in 'contents comp' 'legacy top' "
                       "'tampercontents comp' 'flatc flat'; do set -- $x; "
                       "sh %s/mkcontents.sh %s $1 %s/gpg-good %s $2; done",
                       W.archive, W.archive, W.t, W.archive, W.t, W.t) != 0)
                return -1;
        fixture_sh("/usr/bin/python3.11 %s/flip.py "
                   "%s/tampercontents/dists/tampercontents/main/Contents-amd64.gz",
                   W.t, W.archive);
        if (fixture_sh("set -e; D=%s/truncated/dists/truncated/main; "
                       "/usr/bin/python3.11 %s/gencontents.py amd64 | gzip -9n | head -c 5000 "
                       "> $D/Contents-amd64.gz; cd $D/..; sed -i '/^SHA256:/q' Release; "
                       "for f in main/binary-*/Packages* main/Contents-amd64.gz; do "
                       "echo \" $(sha256sum $f | cut -d' ' -f1) $(stat -c %%s $f) $f\"; done "
                       ">> Release; gpg --homedir %s/gpg-good --batch --yes --clearsign "
                       "-o InRelease Release 2>/dev/null",
                       W.archive, W.t, W.t) != 0)
                return -1;
        return start_server();
}

static int group_teardown(void **state)
{
        (void)state;
        if (W.server > 0)
                kill(W.server, SIGTERM);
        fixture_sh("gpgconf --homedir %s/gpg-good --kill gpg-agent 2>/dev/null; "
                   "gpgconf --homedir %s/gpg-other --kill gpg-agent 2>/dev/null",
                   W.t, W.t);
        fixture_cleanup(W.t);
        free(W.t);
        free(W.archive);
        free(W.key_gpg);
        free(W.key_asc);
        free(W.other_gpg);
        free(W.log);
        return 0;
}

/* ---------------------------------------------------------------------------------------- */

static bool ends_with_slash(const char *s)
{
        size_t n = strlen(s);
        return n > 0 && s[n - 1] == '/';
}

static void one_source(struct apt_config *cfg, const char *uri, const char *suite,
                       const char *keyring)
{
        memset(cfg, 0, sizeof(*cfg));
        cfg->check_valid_until = true;
        cfg->v = xcalloc(1, sizeof(*cfg->v));
        cfg->n = 1;
        struct apt_source_entry *e = &cfg->v[0];
        e->uri = xstrdup(uri);
        e->suite = xstrdup(suite);
        if (!ends_with_slash(suite))
                strvec_push(&e->components, "main");
        e->signed_by = keyring ? xstrdup(keyring) : NULL;
        e->check_valid_until = -1;
        e->origin = xstrdup("test:1");
}

static char *http_uri(const char *suite)
{
        return xasprintf("http://127.0.0.1:%d/%s", W.port, suite);
}

static void http_source(struct apt_config *cfg, const char *suite, const char *keyring)
{
        char *uri = http_uri(suite);
        one_source(cfg, uri, suite, keyring);
        free(uri);
}

static char *cache_dir(const char *name)
{
        return xasprintf("%s/cache-%s", W.t, name);
}

static int fetch(const struct apt_config *cfg, const char *cache, struct apt_index **v, size_t *n,
                 struct distill_error *err)
{
        struct apt_fetch_options opt = {
            .cache_dir = cache, .arch = "amd64", .now = (int64_t)time(NULL), .progress = false};
        return apt_fetch_indexes(cfg, &opt, v, n, err);
}

static size_t log_size(void)
{
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(read_file(W.log, &text, &len), 0);
        free(text);
        return len;
}

/* The request lines logged from offset on. */
static char *log_since(size_t off)
{
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(read_file(W.log, &text, &len), 0);
        char *tail = off < len ? xstrndup(text + off, len - off) : xstrdup("");
        free(text);
        return tail;
}

static int count_lines(const char *s)
{
        int n = 0;
        for (; *s; s++)
                n += *s == '\n';
        return n;
}

static int count_files(const char *dir)
{
        char *out = fixture_sh_out("find %s -type f 2>/dev/null | wc -l", dir);
        assert_non_null(out);
        int n = atoi(out);
        free(out);
        return n;
}

static char *file_text(const char *path)
{
        char *text = NULL;
        size_t len;
        assert_int_equal(read_file(path, &text, &len), 0);
        return text;
}

static char *sha256_of(const char *path)
{
        char *out = fixture_sh_out("sha256sum %s | cut -d' ' -f1 | tr -d '\\n'", path);
        assert_non_null(out);
        return out;
}

/* ---------------------------------------------------------------------------------------- */

static void test_good_fetch_then_warm(void **state)
{
        (void)state;
        struct apt_config cfg;
        http_source(&cfg, "good", W.key_gpg);
        char *cache = cache_dir("good");
        struct apt_index *v = NULL;
        size_t n = 0;
        struct distill_error err = {0};

        size_t before = log_size();
        int ret = fetch(&cfg, cache, &v, &n, &err);
        if (ret)
                fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(ret, 0);
        assert_int_equal(n, 2);
        assert_string_equal(v[0].component, "main");
        assert_string_equal(v[0].arch, "amd64");
        assert_string_equal(v[1].arch, "all");
        assert_ptr_equal(v[0].source, &cfg.v[0]);

        char *want_path = xasprintf("%s/good/dists/good/main/binary-amd64/Packages", W.archive);
        char *want = file_text(want_path);
        char *got = file_text(v[0].packages_path);
        assert_string_equal(got, want);
        assert_non_null(strstr(got, "Package: hello\n"));
        char *want_sha = sha256_of(want_path);
        assert_string_equal(v[0].sha256, want_sha);
        free(got);
        got = file_text(v[1].packages_path);
        assert_non_null(strstr(got, "Package: world\n"));
        free(got);

        /* the InRelease, then the .xz indexes (the best compression listed) */
        char *log = log_since(before);
        assert_int_equal(count_lines(log), 3);
        assert_non_null(strstr(log, "\"GET /good/dists/good/InRelease HTTP/1.1\" 200"));
        assert_non_null(strstr(log, "GET /good/dists/good/main/binary-amd64/Packages.xz "));
        assert_non_null(strstr(log, "GET /good/dists/good/main/binary-all/Packages.xz "));
        free(log);

        /* warm: exactly one conditional request, answered 304, no index request */
        struct apt_index *v2 = NULL;
        size_t n2 = 0;
        before = log_size();
        ret = fetch(&cfg, cache, &v2, &n2, &err);
        if (ret)
                fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(ret, 0);
        log = log_since(before);
        assert_int_equal(count_lines(log), 1);
        assert_non_null(strstr(log, "\"GET /good/dists/good/InRelease HTTP/1.1\" 304"));
        free(log);
        assert_int_equal(n2, 2);
        assert_string_equal(v2[0].sha256, want_sha);
        assert_string_equal(v2[0].packages_path, v[0].packages_path);

        apt_indexes_free(v, n);
        apt_indexes_free(v2, n2);
        apt_config_release(&cfg);
        free(want_path);
        free(want);
        free(want_sha);
        free(cache);
}

/* A failed fetch that must leave nothing under a final name, nor a temp file. */
static void expect_refused(const char *suite, const char *keyring, const char *needle)
{
        struct apt_config cfg;
        http_source(&cfg, suite, keyring);
        char *cache = cache_dir(suite);
        struct apt_index *v = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        int ret = fetch(&cfg, cache, &v, &n, &err);
        assert_int_equal(ret, -DISTILL_EINTEGRITY);
        assert_int_equal(err.code, DISTILL_EINTEGRITY);
        if (!strstr(err.msg, needle))
                fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
        assert_null(v);
        assert_int_equal(n, 0);
        char *out = fixture_sh_out("find %s -name 'InRelease*' -o -name '.tmp-*'", cache);
        assert_non_null(out);
        assert_string_equal(out, "");
        free(out);
        apt_config_release(&cfg);
        free(cache);
}

static void test_tampered_packages_xz(void **state)
{
        (void)state;
        /* same size, one bit flipped: only the hash can tell */
        char *orig =
            fixture_sh_out("grep binary-amd64/Packages.xz %s/tamperxz/dists/tamperxz/Release"
                           " | awk '{print $2}' | tr -d '\\n'",
                           W.archive);
        char *now = fixture_sh_out("stat -c %%s %s/tamperxz/dists/tamperxz/main/binary-amd64/"
                                   "Packages.xz | tr -d '\\n'",
                                   W.archive);
        assert_string_equal(orig, now);
        free(orig);
        free(now);

        struct apt_config cfg;
        http_source(&cfg, "tamperxz", W.key_gpg);
        char *cache = cache_dir("tamperxz");
        struct apt_index *v = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        assert_int_equal(fetch(&cfg, cache, &v, &n, &err), -DISTILL_EINTEGRITY);
        assert_non_null(strstr(err.msg, "binary-amd64/Packages.xz"));
        assert_non_null(strstr(err.msg, "SHA-256"));
        char *by_hash = xasprintf("%s/indexes/by-hash", cache);
        char *plain = xasprintf("%s/indexes/plain", cache);
        assert_int_equal(count_files(by_hash), 0);
        assert_int_equal(count_files(plain), 0);
        free(by_hash);
        free(plain);
        apt_config_release(&cfg);
        free(cache);
}

static void test_signed_by_other_key(void **state)
{
        (void)state;
        /* a valid signature, by a key that is not the source's Signed-By */
        expect_refused("otherkey", W.key_gpg, "not signed by a key of the keyring");
}

static void test_gpgv_alone_accepts_outside_bytes(void **state)
{
        (void)state;
        /* what makes the next two tests necessary: gpgv itself says yes */
        assert_int_equal(fixture_sh("mkdir -p %s/gv && gpgv --homedir %s/gv --keyring %s "
                                    "%s/before/dists/before/InRelease 2>/dev/null && "
                                    "gpgv --homedir %s/gv --keyring %s "
                                    "%s/after/dists/after/InRelease 2>/dev/null",
                                    W.t, W.t, W.key_gpg, W.archive, W.t, W.key_gpg, W.archive),
                         0);
}

static void test_stanza_before_signed_block(void **state)
{
        (void)state;
        expect_refused("before", W.key_gpg, "bytes outside the signed block");
}

static void test_stanza_after_signed_block(void **state)
{
        (void)state;
        expect_refused("after", W.key_gpg, "bytes outside the signed block");
}

static void test_expired_valid_until(void **state)
{
        (void)state;
        expect_refused("expired", W.key_gpg, "Valid-Until");

        /* apt's global Acquire::Check-Valid-Until "false" */
        struct apt_config cfg;
        http_source(&cfg, "expired", W.key_gpg);
        cfg.check_valid_until = false;
        char *cache = cache_dir("expired-global");
        struct apt_index *v = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        assert_int_equal(fetch(&cfg, cache, &v, &n, &err), 0);
        assert_int_equal(n, 2);
        apt_indexes_free(v, n);
        free(cache);

        /* the source's check-valid-until=no overrides a global "true" */
        cfg.check_valid_until = true;
        cfg.v[0].check_valid_until = 0;
        cache = cache_dir("expired-source");
        assert_int_equal(fetch(&cfg, cache, &v, &n, &err), 0);
        apt_indexes_free(v, n);
        free(cache);

        /* and a source's explicit "yes" overrides a global "false" */
        cfg.check_valid_until = false;
        cfg.v[0].check_valid_until = 1;
        cache = cache_dir("expired-source-yes");
        assert_int_equal(fetch(&cfg, cache, &v, &n, &err), -DISTILL_EINTEGRITY);
        free(cache);
        apt_config_release(&cfg);
}

static void test_armored_keyring(void **state)
{
        (void)state;
        struct apt_config cfg;
        http_source(&cfg, "asc", W.key_asc);
        char *cache = cache_dir("asc");
        struct apt_index *v = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        int ret = fetch(&cfg, cache, &v, &n, &err);
        if (ret)
                fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(ret, 0);
        assert_int_equal(n, 2);
        apt_indexes_free(v, n);
        apt_config_release(&cfg);
        free(cache);

        /* an armored keyring whose name does not say so is recognised by its content */
        char *renamed = xasprintf("%s/armored-key.gpg", W.t);
        assert_int_equal(fixture_sh("cp %s %s", W.key_asc, renamed), 0);
        struct strvec keyrings = STRVEC_INIT;
        strvec_push(&keyrings, renamed);
        char *inrelease = xasprintf("%s/good/dists/good/InRelease", W.archive);
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(apt_verify_inrelease(inrelease, &keyrings, &text, &len, &err), 0);
        assert_non_null(strstr(text, "Origin: distill-test\n"));
        assert_null(strstr(text, "BEGIN PGP"));
        assert_int_equal(strlen(text), len);
        free(text);
        strvec_clear(&keyrings);
        free(renamed);
        free(inrelease);
}

static void test_default_keyrings(void **state)
{
        (void)state;
        struct apt_config cfg;
        http_source(&cfg, "good", NULL); /* no Signed-By: apt's trusted keyrings */
        strvec_push(&cfg.default_keyrings, W.other_gpg);
        strvec_push(&cfg.default_keyrings, W.key_asc);
        char *cache = cache_dir("defaults");
        struct apt_index *v = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        assert_int_equal(fetch(&cfg, cache, &v, &n, &err), 0);
        apt_indexes_free(v, n);
        free(cache);

        strvec_clear(&cfg.default_keyrings);
        strvec_push(&cfg.default_keyrings, W.other_gpg);
        cache = cache_dir("defaults-wrong");
        assert_int_equal(fetch(&cfg, cache, &v, &n, &err), -DISTILL_EINTEGRITY);
        free(cache);

        strvec_clear(&cfg.default_keyrings);
        cache = cache_dir("defaults-none");
        assert_int_equal(fetch(&cfg, cache, &v, &n, &err), -DISTILL_EINTEGRITY);
        assert_non_null(strstr(err.msg, "no keyring"));
        free(cache);
        apt_config_release(&cfg);
}

static void test_flat_and_file_uri(void **state)
{
        (void)state;
        struct apt_config cfg;
        char *uri = http_uri("flat");
        one_source(&cfg, uri, "./", W.key_gpg);
        free(uri);
        char *cache = cache_dir("flat");
        struct apt_index *v = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        size_t before = log_size();
        struct apt_fetch_options opt = {
            .cache_dir = cache, .arch = "amd64", .now = (int64_t)time(NULL), .progress = true};
        int ret = apt_fetch_indexes(&cfg, &opt, &v, &n, &err);
        if (ret)
                fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(ret, 0);
        assert_int_equal(n, 1);
        assert_string_equal(v[0].component, "");
        char *text = file_text(v[0].packages_path);
        assert_non_null(strstr(text, "Package: hello\n"));
        assert_non_null(strstr(text, "Package: world\n"));
        free(text);
        char *log = log_since(before);
        assert_non_null(strstr(log, "GET /flat/InRelease HTTP/1.1\" 200"));
        assert_non_null(strstr(log, "GET /flat/Packages.xz HTTP/1.1\" 200"));
        free(log);
        apt_indexes_free(v, n);
        apt_config_release(&cfg);
        free(cache);

        /* file:// goes through libcurl too, with the same checks */
        uri = xasprintf("file://%s/good", W.archive);
        one_source(&cfg, uri, "good", W.key_gpg);
        free(uri);
        cache = cache_dir("file");
        ret = fetch(&cfg, cache, &v, &n, &err);
        if (ret)
                fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(ret, 0);
        assert_int_equal(n, 2);
        apt_indexes_free(v, n);
        apt_config_release(&cfg);
        free(cache);

        uri = xasprintf("file://%s/after", W.archive);
        one_source(&cfg, uri, "after", W.key_gpg);
        free(uri);
        cache = cache_dir("file-after");
        assert_int_equal(fetch(&cfg, cache, &v, &n, &err), -DISTILL_EINTEGRITY);
        apt_config_release(&cfg);
        free(cache);
}

static void test_missing_suite_is_io_error(void **state)
{
        (void)state;
        struct apt_config cfg;
        http_source(&cfg, "nosuchsuite", W.key_gpg);
        char *cache = cache_dir("missing");
        struct apt_index *v = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        assert_int_equal(fetch(&cfg, cache, &v, &n, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, "404"));
        apt_config_release(&cfg);
        free(cache);

        /* a component the suite does not have */
        http_source(&cfg, "good", W.key_gpg);
        strvec_clear(&cfg.v[0].components);
        strvec_push(&cfg.v[0].components, "contrib");
        cache = cache_dir("nocomponent");
        assert_int_equal(fetch(&cfg, cache, &v, &n, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "contrib/binary-amd64/Packages"));
        apt_config_release(&cfg);
        free(cache);
}

static void test_fetch_verified(void **state)
{
        (void)state;
        char *deb = xasprintf("%s/good/pool/main/h/hello_1.0_amd64.deb", W.archive);
        char *sha = sha256_of(deb);
        struct stat st;
        assert_int_equal(stat(deb, &st), 0);
        char *url = xasprintf("http://127.0.0.1:%d/good/pool/main/h/hello_1.0_amd64.deb", W.port);
        char *cache = cache_dir("debs");
        struct distill_error err = {0};
        char *path = NULL;

        size_t before = log_size();
        int ret = apt_fetch_verified(NULL, cache, url, sha, (uint64_t)st.st_size, &path, &err);
        if (ret)
                fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(ret, 0);
        char *want = xasprintf("%s/debs/%s", cache, sha);
        assert_string_equal(path, want);
        assert_int_equal(fixture_sh("cmp -s %s %s", deb, path), 0);
        char *log = log_since(before);
        assert_int_equal(count_lines(log), 1);
        free(log);
        free(path);
        path = NULL;

        /* cached: no request at all */
        before = log_size();
        assert_int_equal(
            apt_fetch_verified(NULL, cache, url, sha, (uint64_t)st.st_size, &path, &err), 0);
        assert_string_equal(path, want);
        assert_int_equal(log_size(), before);
        free(path);
        path = NULL;

        /* the cached file changed on disk */
        assert_int_equal(fixture_sh("/usr/bin/python3.11 %s/flip.py %s", W.t, want), 0);
        assert_int_equal(
            apt_fetch_verified(NULL, cache, url, sha, (uint64_t)st.st_size, &path, &err),
            -DISTILL_EINTEGRITY);
        assert_non_null(strstr(err.msg, "no longer matches"));
        assert_null(path);

        /* the server's bytes do not match what the index promised: nothing kept */
        char *cache2 = cache_dir("debs-wrong");
        char *dir2 = xasprintf("%s/debs", cache2);
        const char *wrong = "0000000000000000000000000000000000000000000000000000000000000000";
        assert_int_equal(
            apt_fetch_verified(NULL, cache2, url, wrong, (uint64_t)st.st_size, &path, &err),
            -DISTILL_EINTEGRITY);
        assert_int_equal(count_files(dir2), 0);
        /* a longer body than promised is cut off, and refused */
        assert_int_equal(
            apt_fetch_verified(NULL, cache2, url, sha, (uint64_t)st.st_size - 1, &path, &err),
            -DISTILL_EINTEGRITY);
        assert_int_equal(count_files(dir2), 0);
        assert_int_equal(apt_fetch_verified(NULL, cache2, url, "xyz", 1, &path, &err),
                         -DISTILL_EUSAGE);

        free(dir2);
        free(cache2);
        free(want);
        free(cache);
        free(url);
        free(sha);
        free(deb);
}

/* ---------------------------------------------------------------------------------------- */

static void test_config_fake_root(void **state)
{
        (void)state;
        char *root = xasprintf("%s/root", W.t);
        char *p;
        p = xasprintf("%s/etc/apt/sources.list", root);
        fixture_write(p, "# the main archive\n"
                         "\n"
                         "deb [ arch=amd64,arm64 signed-by=/usr/share/keyrings/a.gpg "
                         "check-valid-until=no ] http://a.example/debian/ bookworm main contrib "
                         "# trailing comment\n"
                         "deb-src http://a.example/debian bookworm main\n");
        free(p);
        p = xasprintf("%s/etc/apt/sources.list.d/b.list", root);
        fixture_write(p, "deb http://b.example/debian bookworm-updates main\n"
                         "deb http://b.example/flat ./\n");
        free(p);
        p = xasprintf("%s/etc/apt/sources.list.d/old.list.disabled", root);
        fixture_write(p, "deb [trusted=yes] http://never.example/ x main\n");
        free(p);

        /* the inline key, as deb822 continuation lines with " ." for empty lines */
        char *asc = file_text(W.key_asc);
        struct strbuf inline_key = STRBUF_INIT;
        char *rest = asc, *line;
        while ((line = strsep(&rest, "\n")) && (*line || rest))
                strbuf_addf(&inline_key, " %s\n", *line ? line : ".");
        free(asc);
        char *sources = xasprintf("Types: deb deb-src\n"
                                  "# a comment inside a stanza\n"
                                  "URIs: http://c.example/debian http://mirror.example/debian\n"
                                  "Suites: s1 s2\n"
                                  "Components: main non-free-firmware\n"
                                  "Architectures: amd64\n"
                                  "Signed-By: /etc/apt/keyrings/c.gpg\n"
                                  "Check-Valid-Until: yes\n"
                                  "\n"
                                  "Types: deb\n"
                                  "URIs: http://disabled.example/debian\n"
                                  "Suites: x\n"
                                  "Components: main\n"
                                  "Enabled: no\n"
                                  "\n"
                                  "Types: deb-src\n"
                                  "URIs: http://src.example/debian\n"
                                  "Suites: x\n"
                                  "Components: main\n"
                                  "\n"
                                  "Types: deb\n"
                                  "URIs: http://127.0.0.1:%d/good\n"
                                  "Suites: good\n"
                                  "Components: main\n"
                                  "Signed-By:\n"
                                  "%s",
                                  W.port, inline_key.buf);
        strbuf_release(&inline_key);
        p = xasprintf("%s/etc/apt/sources.list.d/c.sources", root);
        fixture_write(p, sources);
        free(p);
        free(sources);
        p = xasprintf("%s/etc/apt/trusted.gpg.d/z.asc", root);
        fixture_write(p, "x");
        free(p);
        p = xasprintf("%s/etc/apt/trusted.gpg.d/a.gpg", root);
        fixture_write(p, "x");
        free(p);
        p = xasprintf("%s/etc/apt/trusted.gpg.d/README", root);
        fixture_write(p, "x");
        free(p);

        struct apt_config cfg;
        struct distill_error err = {0};
        int ret = apt_config_from_host(root, &cfg, &err);
        if (ret)
                fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(ret, 0);
        assert_int_equal(cfg.n, 8);

        const struct apt_source_entry *e = &cfg.v[0];
        assert_string_equal(e->uri, "http://a.example/debian");
        assert_string_equal(e->suite, "bookworm");
        assert_int_equal(e->components.n, 2);
        assert_string_equal(e->components.v[1], "contrib");
        assert_int_equal(e->archs.n, 2);
        assert_string_equal(e->archs.v[1], "arm64");
        char *want = xasprintf("%s/usr/share/keyrings/a.gpg", root);
        assert_string_equal(e->signed_by, want); /* keyrings are inside the root too */
        free(want);
        assert_int_equal(e->check_valid_until, 0);
        want = xasprintf("%s/etc/apt/sources.list:3", root);
        assert_string_equal(e->origin, want);
        free(want);

        e = &cfg.v[1];
        assert_string_equal(e->uri, "http://b.example/debian");
        assert_string_equal(e->suite, "bookworm-updates");
        assert_null(e->signed_by);
        assert_int_equal(e->check_valid_until, -1);
        e = &cfg.v[2];
        assert_string_equal(e->suite, "./");
        assert_int_equal(e->components.n, 0);

        /* URIs × Suites, in order */
        const char *pairs[4][2] = {{"http://c.example/debian", "s1"},
                                   {"http://c.example/debian", "s2"},
                                   {"http://mirror.example/debian", "s1"},
                                   {"http://mirror.example/debian", "s2"}};
        for (int i = 0; i < 4; i++) {
                e = &cfg.v[3 + i];
                assert_string_equal(e->uri, pairs[i][0]);
                assert_string_equal(e->suite, pairs[i][1]);
                assert_int_equal(e->components.n, 2);
                assert_string_equal(e->components.v[1], "non-free-firmware");
                assert_int_equal(e->archs.n, 1);
                assert_int_equal(e->check_valid_until, 1);
                assert_non_null(strstr(e->signed_by, "/root/etc/apt/keyrings/c.gpg"));
                assert_non_null(strstr(e->origin, "c.sources:1"));
        }

        /* the inline key works as a keyring and goes away with the config */
        e = &cfg.v[7];
        assert_string_equal(e->suite, "good");
        assert_non_null(e->signed_by);
        assert_non_null(strstr(e->origin, "c.sources:21"));
        char *keyfile = xstrdup(e->signed_by);
        char *cache = cache_dir("inline");
        struct apt_index *v = NULL;
        size_t n = 0;
        struct apt_fetch_options opt = {.cache_dir = cache, .arch = "amd64", .now = time(NULL)};
        struct apt_config only = cfg;
        only.v = &cfg.v[7];
        only.n = 1;
        ret = apt_fetch_indexes(&only, &opt, &v, &n, &err);
        if (ret)
                fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(ret, 0);
        apt_indexes_free(v, n);
        free(cache);

        assert_int_equal(cfg.default_keyrings.n, 2);
        assert_non_null(strstr(cfg.default_keyrings.v[0], "/trusted.gpg.d/a.gpg"));
        assert_non_null(strstr(cfg.default_keyrings.v[1], "/trusted.gpg.d/z.asc"));
        assert_true(cfg.check_valid_until); /* apt-config is not run for another root */
        assert_null(cfg.http_proxy);

        apt_config_release(&cfg);
        assert_int_equal(access(keyfile, F_OK), -1);
        free(keyfile);
        free(root);
}

static void expect_config_error(const char *file, const char *content, int code, const char *needle)
{
        char *root = fixture_tmpdir();
        char *p = xasprintf("%s/etc/apt/%s", root, file);
        fixture_write(p, content);
        free(p);
        struct apt_config cfg;
        struct distill_error err = {0};
        assert_int_equal(apt_config_from_host(root, &cfg, &err), -code);
        if (!strstr(err.msg, needle))
                fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
        assert_int_equal(cfg.n, 0);
        assert_null(cfg.v);
        fixture_cleanup(root);
        free(root);
}

static void test_config_errors(void **state)
{
        (void)state;
        expect_config_error("sources.list", "# x\ndeb [trusted=yes] http://x.example/ s main\n",
                            DISTILL_EUSAGE, "sources.list:2: trusted=yes refused");
        expect_config_error("sources.list.d/x.sources",
                            "Types: deb\nURIs: http://x.example/\nSuites: s\nComponents: main\n"
                            "Trusted: yes\n",
                            DISTILL_EUSAGE, "x.sources:5: Trusted=yes refused");
        expect_config_error("sources.list.d/x.list",
                            "deb [allow-insecure=yes] http://x.example/ s main\n", DISTILL_EUSAGE,
                            "x.list:1: allow-insecure=yes refused");
        expect_config_error("sources.list", "deb http://x.example/\n", DISTILL_EUSAGE,
                            "sources.list:1: want");
        expect_config_error("sources.list", "deb http://x.example/ bookworm\n", DISTILL_EUSAGE,
                            "sources.list:1: suite \"bookworm\" needs at least one component");
        expect_config_error("sources.list", "deb [arch=amd64 http://x.example/ s main\n",
                            DISTILL_EUSAGE, "sources.list:1: unterminated");
        expect_config_error("sources.list", "rpm http://x.example/ s main\n", DISTILL_EUSAGE,
                            "unknown entry type");
        expect_config_error("sources.list.d/x.sources",
                            "Types: deb\nURIs: http://x.example/\nSuites: s\nComponents: main\n"
                            "Signed-By: 0123456789ABCDEF0123456789ABCDEF01234567\n",
                            DISTILL_EUSAGE, "x.sources:5: Signed-By");
        expect_config_error("sources.list.d/x.sources", "Types: deb\n  continued\nbroken line\n",
                            DISTILL_EUSAGE, "x.sources:3: expected 'Field: value'");
        expect_config_error("sources.list.d/x.sources", " leading\n", DISTILL_EUSAGE,
                            "x.sources:1: continuation line outside a field");
}

static void test_config_this_host(void **state)
{
        (void)state;
        struct apt_config cfg;
        struct distill_error err = {0};
        int ret = apt_config_from_host("/", &cfg, &err);
        if (ret)
                fprintf(stderr, "%s\n", err.msg);
        assert_int_equal(ret, 0);
        for (size_t i = 0; i < cfg.n; i++) {
                assert_non_null(cfg.v[i].uri);
                assert_non_null(cfg.v[i].suite);
                assert_non_null(cfg.v[i].origin);
        }
        /* the setting apt itself reports */
        char *dump = fixture_sh_out("apt-config dump | grep -i '^Acquire::Check-Valid-Until ' "
                                    "|| true");
        assert_non_null(dump);
        bool off = strstr(dump, "\"false\"") || strstr(dump, "\"no\"") || strstr(dump, "\"0\"");
        assert_int_equal(cfg.check_valid_until, !off);
        free(dump);
        /* the host's keyrings exist */
        for (size_t i = 0; i < cfg.default_keyrings.n; i++)
                assert_int_equal(access(cfg.default_keyrings.v[i], R_OK), 0);
        apt_config_release(&cfg);
}

static void test_verify_rejects_shapes(void **state)
{
        (void)state;
        struct strvec keyrings = STRVEC_INIT;
        strvec_push(&keyrings, W.key_gpg);
        char *good = xasprintf("%s/good/dists/good/InRelease", W.archive);
        char *bad = xasprintf("%s/shape-InRelease", W.t);
        struct distill_error err = {0};
        char *text = NULL;
        size_t len = 0;

        /* two signed blocks, concatenated */
        assert_int_equal(fixture_sh("cat %s %s > %s", good, good, bad), 0);
        assert_int_equal(apt_verify_inrelease(bad, &keyrings, &text, &len, &err),
                         -DISTILL_EINTEGRITY);
        /* an extra newline at the end is one too many */
        assert_int_equal(fixture_sh("cat %s > %s && echo >> %s", good, bad, bad), 0);
        assert_int_equal(apt_verify_inrelease(bad, &keyrings, &text, &len, &err),
                         -DISTILL_EINTEGRITY);
        assert_non_null(strstr(err.msg, "outside the signed block"));
        /* no trailing newline at all is fine */
        assert_int_equal(fixture_sh("head -c -1 %s > %s", good, bad), 0);
        assert_int_equal(apt_verify_inrelease(bad, &keyrings, &text, &len, &err), 0);
        free(text);
        text = NULL;
        /* a changed byte inside the signed text */
        assert_int_equal(
            fixture_sh("sed 's/Origin: distill-test/Origin: distill-tesT/' %s > %s", good, bad), 0);
        assert_int_equal(apt_verify_inrelease(bad, &keyrings, &text, &len, &err),
                         -DISTILL_EINTEGRITY);
        assert_non_null(strstr(err.msg, "bad signature"));
        /* a plain Release, not signed at all */
        char *release = xasprintf("%s/good/dists/good/Release", W.archive);
        assert_int_equal(apt_verify_inrelease(release, &keyrings, &text, &len, &err),
                         -DISTILL_EINTEGRITY);
        assert_null(text);
        free(release);
        free(good);
        free(bad);
        strvec_clear(&keyrings);
}

static void test_two_signatures(void **state)
{
        (void)state;
        /* Debian signs with two keys; a keyring holding one of them is enough (as apt) */
        char *both = xasprintf("%s/InRelease-two", W.t);
        assert_int_equal(
            fixture_sh(
                "set -e; H=%s/gpg-both; mkdir -m700 -p $H; for k in gpg-good gpg-other; "
                "do gpg --homedir %s/$k --batch --pinentry-mode loopback --passphrase '' "
                "--export-secret-keys | gpg --homedir $H --batch --import 2>/dev/null; done; "
                "for fpr in $(gpg --homedir $H --with-colons -K | awk -F: '/^fpr/{print "
                "$10}'); do U=\"$U -u $fpr\"; done; "
                "gpg --homedir $H --batch --yes $U --clearsign -o %s "
                "%s/good/dists/good/Release; gpgconf --homedir $H --kill gpg-agent",
                W.t, W.t, both, W.archive),
            0);
        assert_int_equal(fixture_sh("test $(grep -c . %s) -gt 10", both), 0);
        struct strvec keyrings = STRVEC_INIT;
        struct distill_error err = {0};
        char *text = NULL;
        size_t len = 0;
        strvec_push(&keyrings, W.key_gpg);
        assert_int_equal(apt_verify_inrelease(both, &keyrings, &text, &len, &err), 0);
        free(text);
        text = NULL;
        strvec_clear(&keyrings);
        strvec_push(&keyrings, W.other_gpg);
        assert_int_equal(apt_verify_inrelease(both, &keyrings, &text, &len, &err), 0);
        free(text);
        text = NULL;
        strvec_clear(&keyrings);
        /* a keyring with neither key: refused */
        char *third = xasprintf("%s/third.gpg", W.t);
        assert_int_equal(fixture_sh("mkdir -m700 -p %s/gpg-third && gpg --homedir %s/gpg-third "
                                    "--batch --pinentry-mode loopback --passphrase '' "
                                    "--quick-gen-key third ed25519 sign never 2>/dev/null && "
                                    "gpg --homedir %s/gpg-third --export > %s && "
                                    "gpgconf --homedir %s/gpg-third --kill gpg-agent",
                                    W.t, W.t, W.t, third, W.t),
                         0);
        strvec_push(&keyrings, third);
        assert_int_equal(apt_verify_inrelease(both, &keyrings, &text, &len, &err),
                         -DISTILL_EINTEGRITY);
        assert_non_null(strstr(err.msg, "not signed by a key of the keyring"));
        strvec_clear(&keyrings);
        free(third);
        free(both);
}

/* ---------------------------------------------------------------------------------------- */
/* Contents indexes                                                                           */

static int fetch_contents(const struct apt_config *cfg, const char *cache, char ***paths, size_t *n,
                          struct distill_error *err)
{
        struct apt_fetch_options opt = {
            .cache_dir = cache, .arch = "amd64", .now = (int64_t)time(NULL), .progress = false};
        return apt_fetch_python_contents(cfg, &opt, paths, n, err);
}

static void free_paths(char **paths, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);
}

/* What the reduced index must hold: grep's reading of the same rule over the uncompressed
 * index, lines longer than 64 KiB dropped, each ending with a newline. */
static void expect_reduced(const char *reduced, const char *suite, const char *which)
{
        char *want = fixture_sh_out(
            "{ cat %s/plain/%s/Contents-%s; echo; } | LC_ALL=C grep -E "
            "'^usr/lib/python3(\\.[0-9]+)?/dist-packages/[^/ \t]+\\.(dist|egg)-info([/ \t]|$)' "
            "| LC_ALL=C awk 'length($0) <= 65536'",
            W.t, suite, which);
        assert_non_null(want);
        char *got = file_text(reduced);
        assert_string_equal(got, want);
        /* every shape that must be in it, and nothing that must not */
        assert_true(count_lines(got) >= 2);
        assert_null(strstr(got, "pypy3"));
        assert_null(strstr(got, "python2.7"));
        assert_null(strstr(got, "huge-1"));
        assert_null(strstr(got, "usr/share/doc"));
        free(want);
        free(got);
}

static void test_contents_fetch_then_warm(void **state)
{
        (void)state;
        struct apt_config cfg;
        http_source(&cfg, "contents", W.key_gpg);
        char *cache = cache_dir("contents");
        char **paths = NULL;
        size_t n = 0;
        struct distill_error err = {0};

        size_t before = log_size();
        int ret = fetch_contents(&cfg, cache, &paths, &n, &err);
        if (ret)
                fail_msg("%s", err.msg);
        assert_int_equal(n, 2);
        expect_reduced(paths[0], "contents", "amd64");
        expect_reduced(paths[1], "contents", "all");
        char *text = file_text(paths[1]);
        assert_non_null(strstr(text, "Flask-2.2.2.egg-info/PKG-INFO"));
        assert_non_null(strstr(text, "python3-zope.interface,non-free/python/python3-zope-compat"));
        assert_non_null(strstr(text, "last-1.0.dist-info/METADATA python/python3-last\n"));
        free(text);
        /* keyed by the compressed file's SHA-256, the compressed download not kept */
        char *gz = xasprintf("%s/contents/dists/contents/main/Contents-amd64.gz", W.archive);
        char *sha = sha256_of(gz);
        char *want = xasprintf("%s/indexes/python-contents/%s", cache, sha);
        assert_string_equal(paths[0], want);
        free(gz);
        free(sha);
        free(want);
        char *by_hash = xasprintf("%s/indexes/by-hash", cache);
        assert_int_equal(count_files(by_hash), 0);
        free(by_hash);

        /* the InRelease, then the compressed indexes only (the plain ones are not served) */
        char *log = log_since(before);
        assert_int_equal(count_lines(log), 3);
        assert_non_null(strstr(log, "GET /contents/dists/contents/main/Contents-amd64.gz "));
        assert_non_null(strstr(log, "GET /contents/dists/contents/main/Contents-all.xz "));
        free(log);

        /* warm: the conditional InRelease request and nothing else */
        char **paths2 = NULL;
        size_t n2 = 0;
        before = log_size();
        ret = fetch_contents(&cfg, cache, &paths2, &n2, &err);
        if (ret)
                fail_msg("%s", err.msg);
        log = log_since(before);
        assert_int_equal(count_lines(log), 1);
        assert_non_null(strstr(log, "\"GET /contents/dists/contents/InRelease HTTP/1.1\" 304"));
        free(log);
        assert_int_equal(n2, 2);
        assert_string_equal(paths2[0], paths[0]);
        assert_string_equal(paths2[1], paths[1]);
        free_paths(paths2, n2);

        /* a source restricted to another architecture still gets Contents-all */
        strvec_push(&cfg.v[0].archs, "arm64");
        ret = fetch_contents(&cfg, cache, &paths2, &n2, &err);
        assert_int_equal(ret, 0);
        assert_int_equal(n2, 1);
        assert_string_equal(paths2[0], paths[1]);
        free_paths(paths2, n2);

        free_paths(paths, n);
        apt_config_release(&cfg);
        free(cache);
}

static void test_contents_legacy_and_flat(void **state)
{
        (void)state;
        struct apt_config cfg;
        http_source(&cfg, "legacy", W.key_gpg);
        char *cache = cache_dir("legacy");
        char **paths = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        size_t before = log_size();
        int ret = fetch_contents(&cfg, cache, &paths, &n, &err);
        if (ret)
                fail_msg("%s", err.msg);
        assert_int_equal(n, 2);
        expect_reduced(paths[0], "legacy", "amd64");
        expect_reduced(paths[1], "legacy", "all");
        char *log = log_since(before);
        assert_non_null(strstr(log, "GET /legacy/dists/legacy/Contents-amd64.gz "));
        free(log);
        free_paths(paths, n);
        apt_config_release(&cfg);
        free(cache);

        char *uri = http_uri("flatc");
        one_source(&cfg, uri, "./", W.key_gpg);
        free(uri);
        cache = cache_dir("flatc");
        before = log_size();
        ret = fetch_contents(&cfg, cache, &paths, &n, &err);
        if (ret)
                fail_msg("%s", err.msg);
        assert_int_equal(n, 2);
        expect_reduced(paths[0], "flatc", "amd64");
        expect_reduced(paths[1], "flatc", "all");
        log = log_since(before);
        assert_non_null(strstr(log, "GET /flatc/Contents-all.xz "));
        free(log);
        free_paths(paths, n);
        apt_config_release(&cfg);
        free(cache);
}

/* A refused Contents index leaves nothing under a final name, and no temp file. */
static void expect_contents_refused(const char *suite, const char *needle)
{
        struct apt_config cfg;
        http_source(&cfg, suite, W.key_gpg);
        char *cache = cache_dir(suite);
        char **paths = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        int ret = fetch_contents(&cfg, cache, &paths, &n, &err);
        if (ret != -DISTILL_EINTEGRITY)
                fail_msg("%s: %d (%s)", suite, ret, err.msg);
        if (!strstr(err.msg, needle))
                fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
        assert_null(paths);
        assert_int_equal(n, 0);
        char *dir = xasprintf("%s/indexes/python-contents", cache);
        assert_int_equal(count_files(dir), 0);
        free(dir);
        char *out = fixture_sh_out("find %s -name '.tmp-*'", cache);
        assert_string_equal(out, "");
        free(out);
        apt_config_release(&cfg);
        free(cache);
}

static void test_contents_integrity(void **state)
{
        (void)state;
        /* one bit flipped after signing: the hash check refuses it before it is read */
        expect_contents_refused("tampercontents", "SHA-256");
        char *cache = cache_dir("tampercontents");
        char *dir = xasprintf("%s/indexes/by-hash", cache);
        assert_int_equal(count_files(dir), 0);
        free(dir);
        free(cache);
        /* signed as it is, but cut short: decompression fails half-way, nothing is kept */
        expect_contents_refused("truncated", "Contents-amd64.gz");
}

static void test_contents_none_listed(void **state)
{
        (void)state;
        struct apt_config cfg;
        http_source(&cfg, "good", W.key_gpg);
        char *cache = cache_dir("nocontents");
        char **paths = NULL;
        size_t n = 0;
        struct distill_error err = {0};
        assert_int_equal(fetch_contents(&cfg, cache, &paths, &n, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "Contents-amd64 or Contents-all"));
        assert_non_null(strstr(err.msg, "test:1"));
        apt_config_release(&cfg);
        free(cache);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_good_fetch_then_warm),
            cmocka_unit_test(test_tampered_packages_xz),
            cmocka_unit_test(test_signed_by_other_key),
            cmocka_unit_test(test_gpgv_alone_accepts_outside_bytes),
            cmocka_unit_test(test_stanza_before_signed_block),
            cmocka_unit_test(test_stanza_after_signed_block),
            cmocka_unit_test(test_expired_valid_until),
            cmocka_unit_test(test_armored_keyring),
            cmocka_unit_test(test_default_keyrings),
            cmocka_unit_test(test_flat_and_file_uri),
            cmocka_unit_test(test_missing_suite_is_io_error),
            cmocka_unit_test(test_fetch_verified),
            cmocka_unit_test(test_config_fake_root),
            cmocka_unit_test(test_config_errors),
            cmocka_unit_test(test_config_this_host),
            cmocka_unit_test(test_verify_rejects_shapes),
            cmocka_unit_test(test_two_signatures),
            cmocka_unit_test(test_contents_fetch_then_warm),
            cmocka_unit_test(test_contents_legacy_and_flat),
            cmocka_unit_test(test_contents_integrity),
            cmocka_unit_test(test_contents_none_listed),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
