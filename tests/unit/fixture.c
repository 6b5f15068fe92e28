#include "fixture.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "distill/util.h"

/* Every test process and the tools it runs see the same environment whatever the caller's:
 * untranslated messages and C collation (readelf, ldconfig -p, ls, sort), UTC (tar -tv), and a
 * umask that leaves what it makes readable (dpkg-deb refuses a 0700 control directory; the
 * image user must read the trees made for it). */
__attribute__((constructor)) static void fixture_environment(void)
{
        setenv("LC_ALL", "C.UTF-8", 1);
        unsetenv("LANGUAGE");
        setenv("TZ", "UTC0", 1);
        umask(022);
}

char *fixture_tmpdir(void)
{
        const char *base = getenv("TMPDIR");
        char *templ = xasprintf("%s/distill-test-XXXXXX", base && *base ? base : "/tmp");
        /* the fixtures put paths into shell commands unquoted in places */
        if (strpbrk(templ, " \t\n'\"\\$`;&|<>*?()[]{}")) {
                fprintf(stderr,
                        "FATAL: TMPDIR=%s: the tests need a temporary directory whose "
                        "path has no spaces or shell characters\n",
                        base);
                abort();
        }
        if (!mkdtemp(templ)) {
                fprintf(stderr, "mkdtemp %s: %s\n", templ, strerror(errno));
                abort();
        }
        return templ;
}

void fixture_cleanup(const char *dir)
{
        if (dir)
                rm_rf(dir);
}

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vformat(const char *fmt, va_list ap)
{
        char *s;
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        return s;
}

int fixture_sh(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *cmd = vformat(fmt, ap);
        va_end(ap);
        int st = system(cmd);
        free(cmd);
        if (st == -1)
                return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *fixture_sh_out(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *cmd = vformat(fmt, ap);
        va_end(ap);
        FILE *p = popen(cmd, "r");
        free(cmd);
        if (!p)
                return NULL;
        struct strbuf sb = STRBUF_INIT;
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
                strbuf_add(&sb, buf, n);
        int st = pclose(p);
        if (st != 0) {
                strbuf_release(&sb);
                return NULL;
        }
        return strbuf_detach(&sb);
}

void fixture_write(const char *path, const char *content)
{
        char *dir = path_dirname(path);
        mkdir_p(dir, 0755);
        free(dir);
        FILE *f = fopen(path, "w");
        if (!f) {
                fprintf(stderr, "fixture_write %s: %s\n", path, strerror(errno));
                abort();
        }
        fputs(content, f);
        fclose(f);
}

const char *fixture_source_dir(void)
{
        const char *d = getenv("DISTILL_SOURCE_DIR");
        return d ? d : ".";
}

void fixture_require_root(void)
{
        if (geteuid() != 0) {
                fprintf(stderr, "FATAL: this test needs root (it uses chroot/unshare/runc); "
                                "run the suite as root\n");
                exit(1);
        }
}

void fixture_python_tree(const char *t)
{
        int st = fixture_sh(
            "set -e; T='%s'; mkdir -p $T/usr/bin $T/usr/lib/x86_64-linux-gnu $T/usr/lib64; "
            "cp /usr/bin/python3.11 $T/usr/bin/; ln -s /usr/bin/python3.11 $T/usr/bin/python3; "
            "for l in $(readelf -d /usr/bin/python3.11 | "
            "sed -n 's/.*Shared library: \\[\\(.*\\)\\]/\\1/p') ld-linux-x86-64.so.2; "
            "do cp -L /lib/x86_64-linux-gnu/$l $T/usr/lib/x86_64-linux-gnu/; done; "
            "ln -s usr/lib $T/lib; ln -s usr/lib64 $T/lib64; "
            "ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "
            "$T/usr/lib64/ld-linux-x86-64.so.2; "
            "tar -C /usr/lib --exclude=__pycache__ -cf - python3.11 | tar -C $T/usr/lib -xf -",
            t);
        if (st != 0) {
                fprintf(stderr, "fixture_python_tree %s failed (%d)\n", t, st);
                abort();
        }
}
