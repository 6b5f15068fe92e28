/* What pip leaves of a wheel in site-packages, and the pip command that installs one for the
 * image. The WHEEL file is "Key: value" lines (the email header format the wheel spec names,
 * without folded values in practice); RECORD is CSV as Python's csv module writes it. */
#include "distill/python/wheel.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "distill/base/arch.h"

void wheel_info_release(struct wheel_info *w)
{
        if (!w)
                return;
        free(w->wheel_version);
        strvec_clear(&w->tags);
        memset(w, 0, sizeof(*w));
}

static bool is_tag_char(unsigned char c)
{
        return isalnum(c) || c == '_' || c == '.';
}

/* INTERPRETER-ABI-PLATFORM, each part non-empty and of the characters tags use. */
static bool tag_is_valid(const char *tag)
{
        int parts = 1;
        size_t run = 0;
        for (const char *p = tag; *p; p++) {
                if (*p == '-') {
                        if (run == 0)
                                return false;
                        parts++;
                        run = 0;
                } else if (is_tag_char((unsigned char)*p)) {
                        run++;
                } else {
                        return false;
                }
        }
        return parts == 3 && run > 0;
}

static char *trimmed(const char *s, size_t n)
{
        while (n && (*s == ' ' || *s == '\t')) {
                s++;
                n--;
        }
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                n--;
        return xstrndup(s, n);
}

static int bad_line(struct distill_error *err, const char *name, size_t line, const char *what)
{
        return distill_error_set(err, DISTILL_EINTEGRITY, "%s:%zu: %s", name, line, what);
}

static int wheel_header(struct wheel_info *out, const char *key, size_t key_len, char *value,
                        const char *name, size_t line, struct distill_error *err)
{
        if (key_len == 3 && strncasecmp(key, "Tag", 3) == 0) {
                if (!tag_is_valid(value)) {
                        free(value);
                        return bad_line(err, name, line,
                                        "Tag is not INTERPRETER-ABI-PLATFORM "
                                        "(cp311-cp311-manylinux_2_17_x86_64)");
                }
                if (out->tags.n >= WHEEL_MAX_TAGS) {
                        free(value);
                        return bad_line(err, name, line, "too many Tag lines");
                }
                strvec_push_nodup(&out->tags, value);
                return 0;
        }
        if (key_len == 13 && strncasecmp(key, "Wheel-Version", 13) == 0) {
                free(out->wheel_version);
                out->wheel_version = value;
                return 0;
        }
        if (key_len == 15 && strncasecmp(key, "Root-Is-Purelib", 15) == 0)
                out->root_is_purelib = strcasecmp(value, "true") == 0;
        free(value);
        return 0;
}

int wheel_parse(const char *text, size_t len, const char *name, struct wheel_info *out,
                struct distill_error *err)
{
        memset(out, 0, sizeof(*out));
        if (len > WHEEL_MAX_FILE_SIZE)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s: larger than %zu bytes for a WHEEL file", name,
                                         WHEEL_MAX_FILE_SIZE);
        if (memchr(text, '\0', len))
                return distill_error_set(err, DISTILL_EINTEGRITY, "%s: a NUL byte in a WHEEL file",
                                         name);
        const char *p = text, *end = text + len;
        bool seen_header = false;
        for (size_t line = 1; p < end; line++) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
                const char *s = p;
                p = eol ? eol + 1 : end;
                if (n > WHEEL_MAX_LINE) {
                        wheel_info_release(out);
                        return bad_line(err, name, line, "line too long");
                }
                if (n && s[n - 1] == '\r')
                        n--;
                if (n == 0)
                        break; /* the end of the headers: a WHEEL file has no body */
                if (*s == ' ' || *s == '\t') {
                        /* a folded value continues a header; none of those read here folds */
                        if (seen_header)
                                continue;
                        wheel_info_release(out);
                        return bad_line(err, name, line, "continuation line before any header");
                }
                const char *colon = memchr(s, ':', n);
                if (!colon || colon == s) {
                        wheel_info_release(out);
                        return bad_line(err, name, line, "expected \"Key: value\"");
                }
                seen_header = true;
                char *value = trimmed(colon + 1, n - (size_t)(colon + 1 - s));
                int r = wheel_header(out, s, (size_t)(colon - s), value, name, line, err);
                if (r < 0) {
                        wheel_info_release(out);
                        return r;
                }
        }
        return 0;
}

const char *wheel_musllinux_tag(const struct wheel_info *w)
{
        for (size_t i = 0; i < w->tags.n; i++) {
                const char *platform = strrchr(w->tags.v[i], '-');
                /* a compressed set "musllinux_1_1_x86_64.musllinux_1_2_x86_64" */
                for (const char *p = platform ? platform + 1 : ""; *p;) {
                        if (strncmp(p, "musllinux_", 10) == 0)
                                return w->tags.v[i];
                        const char *dot = strchr(p, '.');
                        p = dot ? dot + 1 : "";
                }
        }
        return NULL;
}

int wheel_dist_info_name(const char *dirname, char **dist, char **version)
{
        static const char suffix[] = ".dist-info";
        size_t n = strlen(dirname), sl = sizeof(suffix) - 1;

        *dist = *version = NULL;
        if (n <= sl || strcmp(dirname + n - sl, suffix) != 0)
                return -1;
        /* the name's own dashes are escaped to "_" (PEP 427), so the last one splits */
        const char *dash = memrchr(dirname, '-', n - sl);
        if (!dash || dash == dirname || dash + 1 == dirname + n - sl)
                return -1;
        *dist = xstrndup(dirname, (size_t)(dash - dirname));
        *version = xstrndup(dash + 1, (size_t)(dirname + n - sl - dash - 1));
        return 0;
}

/* The first CSV field of the row at [s, s + n): quoted ("a ""b"", c") or plain. 0 and *field,
 * or -1 for an unterminated quote or text after the closing one. */
static int csv_first_field(const char *s, size_t n, struct strbuf *field)
{
        strbuf_reset(field);
        if (n == 0 || *s != '"') {
                const char *comma = memchr(s, ',', n);
                strbuf_add(field, s, comma ? (size_t)(comma - s) : n);
                return 0;
        }
        for (size_t i = 1; i < n; i++) {
                if (s[i] != '"') {
                        strbuf_addch(field, s[i]);
                        continue;
                }
                if (i + 1 < n && s[i + 1] == '"') {
                        strbuf_addch(field, '"');
                        i++;
                        continue;
                }
                return i + 1 == n || s[i + 1] == ',' ? 0 : -1;
        }
        return -1;
}

int wheel_record_lists(const char *text, size_t len, const char *name, const char *relpath,
                       struct distill_error *err)
{
        struct strbuf field = STRBUF_INIT;
        const char *p = text, *end = text + len;
        int r = 0;

        if (len > WHEEL_MAX_RECORD)
                return distill_error_set(err, DISTILL_EINTEGRITY,
                                         "%s: larger than %zu bytes for a RECORD file", name,
                                         WHEEL_MAX_RECORD);
        for (size_t line = 1; p < end && r == 0; line++) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
                const char *s = p;
                p = eol ? eol + 1 : end;
                if (n && s[n - 1] == '\r')
                        n--;
                if (n == 0)
                        continue;
                if (n > WHEEL_MAX_LINE || memchr(s, '\0', n) || csv_first_field(s, n, &field) < 0)
                        r = bad_line(err, name, line, "not a RECORD row (\"path,hash,size\")");
                else if (strcmp(strbuf_str(&field), relpath) == 0)
                        r = 1;
        }
        strbuf_release(&field);
        return r;
}

/* "3.11" → its two numbers; false unless exactly MAJOR.MINOR of 1 to 3 digits each. */
static bool major_minor(const char *v, unsigned *major, unsigned *minor)
{
        size_t a = v ? strspn(v, "0123456789") : 0;
        if (a == 0 || a > 3 || v[a] != '.')
                return false;
        size_t b = strspn(v + a + 1, "0123456789");
        if (b == 0 || b > 3 || v[a + 1 + b] != '\0')
                return false;
        *major = (unsigned)strtoul(v, NULL, 10);
        *minor = (unsigned)strtoul(v + a + 1, NULL, 10);
        return true;
}

/* An argument as a POSIX shell reads it back: as is when it holds only characters no shell
 * treats specially, else in single quotes ('\'' for a quote inside). */
static void add_shell_word(struct strbuf *sb, const char *word)
{
        static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_-+=.,/:@%";
        strbuf_addch(sb, ' ');
        if (*word && word[strspn(word, safe)] == '\0') {
                strbuf_adds(sb, word);
                return;
        }
        strbuf_addch(sb, '\'');
        for (const char *p = word; *p; p++) {
                if (*p == '\'')
                        strbuf_adds(sb, "'\\''");
                else
                        strbuf_addch(sb, *p);
        }
        strbuf_addch(sb, '\'');
}

/* pip's --platform names exactly the tags it accepts: unlike the interpreter's own tag list,
 * it does not widen manylinux_2_36 to the older glibc versions a wheel may be built for
 * (pip/_internal/utils/compatibility_tags.py widens only the legacy manylinux2014/2010 names).
 * So every tag packaging's _manylinux.platform_tags gives a glibc 2.MINOR system is named, newest
 * first: manylinux_2_M down to 2.17 (2.5 on x86, which had manylinux1), each legacy alias beside
 * its glibc version. */
static void add_manylinux_platforms(struct strbuf *sb, unsigned libc_major, unsigned libc_minor,
                                    const char *arch)
{
        static const struct {
                unsigned minor;
                const char *name;
        } legacy[] = {{17, "manylinux2014"}, {12, "manylinux2010"}, {5, "manylinux1"}};
        bool x86 = strcmp(arch, "x86_64") == 0 || strcmp(arch, "i686") == 0;
        unsigned floor = x86 ? 5 : 17;

        if (libc_major != 2 || libc_minor < floor) {
                /* a glibc packaging has no tag list for: the one tag it names */
                cleanup_free char *tag =
                    xasprintf("manylinux_%u_%u_%s", libc_major, libc_minor, arch);
                add_shell_word(sb, "--platform");
                add_shell_word(sb, tag);
                return;
        }
        for (unsigned m = libc_minor + 1; m-- > floor;) {
                cleanup_free char *tag = xasprintf("manylinux_2_%u_%s", m, arch);
                add_shell_word(sb, "--platform");
                add_shell_word(sb, tag);
                for (size_t i = 0; i < sizeof(legacy) / sizeof(*legacy); i++) {
                        if (legacy[i].minor != m)
                                continue;
                        cleanup_free char *alias = xasprintf("%s_%s", legacy[i].name, arch);
                        add_shell_word(sb, "--platform");
                        add_shell_word(sb, alias);
                }
        }
}

char *wheel_pip_target_command(const char *target_dir, const char *python_version,
                               const char *glibc_version, const char *debian_arch,
                               const char *const *requirements, size_t n)
{
        unsigned py_major, py_minor, libc_major, libc_minor;
        const struct arch_info *ai = arch_lookup(debian_arch);

        if (!target_dir || !major_minor(python_version, &py_major, &py_minor) ||
            !major_minor(glibc_version, &libc_major, &libc_minor) || !ai || !ai->manylinux || !ai->uname)
                return NULL;
        struct strbuf sb = STRBUF_INIT;
        cleanup_free char *abi = xasprintf("cp%u%u", py_major, py_minor);
        strbuf_adds(&sb, "pip install");
        add_shell_word(&sb, "--target");
        add_shell_word(&sb, target_dir);
        add_shell_word(&sb, "--only-binary=:all:");
        add_shell_word(&sb, "--python-version");
        add_shell_word(&sb, python_version);
        add_shell_word(&sb, "--implementation");
        add_shell_word(&sb, "cp");
        add_shell_word(&sb, "--abi");
        add_shell_word(&sb, abi);
        add_manylinux_platforms(&sb, libc_major, libc_minor, ai->uname);
        for (size_t i = 0; i < n; i++)
                add_shell_word(&sb, requirements[i]);
        return strbuf_detach(&sb);
}
