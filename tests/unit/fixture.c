#include "fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "distill/base/util.h"
#include "distill/elf/ldso.h"

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

/* Trees of host files as image namespaces, for the resolvers' tests. */

static int add_tree_dir(struct imagens *ns, const char *host, const char *image, int depth,
                        struct distill_error *err)
{
        if (depth > 64)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: directory tree too deep", host);
        DIR *d = opendir(host);
        if (!d)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s: opendir", host);
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                cleanup_free char *hp = path_join(host, de->d_name);
                cleanup_free char *ip = path_join(image, de->d_name);
                struct stat st;
                if (lstat(hp, &st) < 0) {
                        r = distill_error_errno(err, DISTILL_EIO, errno, "%s: lstat", hp);
                        break;
                }
                unsigned mode = st.st_mode & 07777;
                if (S_ISDIR(st.st_mode)) {
                        r = imagens_add(ns, ip, IMAGENS_DIR, NULL, mode, 0, NULL, hp, err);
                        if (r == 0)
                                r = add_tree_dir(ns, hp, ip, depth + 1, err);
                } else if (S_ISREG(st.st_mode)) {
                        r = imagens_add(ns, ip, IMAGENS_FILE, NULL, mode, (uint64_t)st.st_size, NULL,
                                        hp, err);
                } else if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n = readlink(hp, target, sizeof(target) - 1);
                        if (n < 0) {
                                r = distill_error_errno(err, DISTILL_EIO, errno, "%s: readlink",
                                                        hp);
                                break;
                        }
                        target[n] = '\0';
                        r = imagens_add(ns, ip, IMAGENS_SYMLINK, target, 0777, (uint64_t)n, NULL, hp,
                                        err);
                }
                /* Devices, FIFOs and sockets never enter an image. */
                if (r < 0)
                        break;
        }
        closedir(d);
        return r;
}

int fixture_imagens_add_tree(struct imagens *ns, const char *host_dir, struct distill_error *err)
{
        struct stat st;
        if (lstat(host_dir, &st) < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "%s", host_dir);
        if (!S_ISDIR(st.st_mode))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: not a directory", host_dir);
        return add_tree_dir(ns, host_dir, "/", 0, err);
}

int fixture_ldso_load_host(void *ud, const struct imagens_node *node, struct elf_info *info,
                           struct distill_error *err)
{
        (void)ud;
        if (!node->src_path)
                return distill_error_set(err, DISTILL_EINTERNAL, "%s: no source for its bytes",
                                         node->path);
        int fd = open(node->src_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return distill_error_errno(err, DISTILL_EIO, errno, "cannot open %s",
                                           node->src_path);
        int r = elf_read_fd(fd, node->path, info, err);
        close(fd);
        return r;
}
