/* The deb822 reader: the syntax of deb822(5) case by case, every cap, and two oracles over this
 * host's own files: dpkg-query for the dpkg status file and grep-dctrl (dctrl-tools) for the apt
 * lists' Packages indexes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"
#include "distill/source/deb822.h"
#include "fixture.h"

static const struct deb822_format plain = {.error_code = DISTILL_EIO};
static const struct deb822_format with_comments = {.error_code = DISTILL_EUSAGE, .comments = true};

/* Every stanza of text, each as "Name=first line|…" lines joined by ';', stanzas by '\n'. */
static char *stanzas_of(const char *text, size_t len, const struct deb822_format *fmt)
{
        struct deb822_reader *rd = deb822_open(text, len, "t", fmt);
        struct strbuf sb = STRBUF_INIT;
        struct deb822_stanza st;
        struct distill_error err = {0};
        int r;
        strbuf_adds(&sb, "");
        while ((r = deb822_next(rd, &st, &err)) > 0) {
                for (size_t i = 0; i < st.n; i++) {
                        struct strvec lines = STRVEC_INIT;
                        deb822_lines(&st.fields[i], 0, &lines);
                        strbuf_addf(&sb, "%s%.*s=", i ? ";" : "", (int)st.fields[i].name_len,
                                    st.fields[i].name);
                        for (size_t j = 0; j < lines.n; j++)
                                strbuf_addf(&sb, "%s%s", j ? "|" : "", lines.v[j]);
                        strvec_clear(&lines);
                }
                strbuf_addch(&sb, '\n');
        }
        deb822_close(rd);
        if (r < 0)
                fail_msg("unexpected error: %s", err.msg);
        return strbuf_detach(&sb);
}

static void expect_stanzas(const char *text, const struct deb822_format *fmt, const char *want)
{
        char *got = stanzas_of(text, strlen(text), fmt);
        if (strcmp(got, want) != 0)
                fail_msg("got\n%s\nwant\n%s", got, want);
        free(got);
}

/* The error reading text must carry code and contain `want`. */
static void expect_error_n(const char *text, size_t len, const struct deb822_format *fmt,
                           const char *want)
{
        struct deb822_reader *rd = deb822_open(text, len, "t", fmt);
        struct deb822_stanza st;
        struct distill_error err = {0};
        int r;
        while ((r = deb822_next(rd, &st, &err)) > 0)
                ;
        deb822_close(rd);
        if (r == 0)
                fail_msg("accepted, wanted \"%s\"", want);
        assert_int_equal(r, -fmt->error_code);
        assert_int_equal(err.code, fmt->error_code);
        if (!strstr(err.msg, want))
                fail_msg("error \"%s\" lacks \"%s\"", err.msg, want);
}

static void expect_error(const char *text, const char *want)
{
        expect_error_n(text, strlen(text), &plain, want);
}

static void test_fields_and_stanzas(void **state)
{
        (void)state;
        expect_stanzas("Package: a\nVersion: 1\n\nPackage: b\n\n\n\nPackage: c\n", &plain,
                       "Package=a;Version=1\nPackage=b\nPackage=c\n");
        /* blanks around the value are no part of it; inside it they are */
        expect_stanzas("A:x\nB: \t two  words \t\nC:\n", &plain, "A=x;B=two  words;C=\n");
        /* leading blank lines, and a colon inside the value */
        expect_stanzas("\n\nURIs: http://x.example/debian\n", &plain,
                       "URIs=http://x.example/debian\n");

        const char *text = "\nPackage: a\nDepends: b,\n c\n\nPackage: d\n";
        struct deb822_reader *rd = deb822_open(text, strlen(text), "t", &plain);
        struct deb822_stanza st;
        struct distill_error err = {0};
        assert_int_equal(deb822_next(rd, &st, &err), 1);
        assert_int_equal(st.n, 2);
        assert_int_equal(st.line, 2);
        assert_int_equal(st.fields[0].line, 2);
        assert_int_equal(st.fields[1].line, 3);
        assert_int_equal(st.fields[0].n_lines, 1);
        assert_int_equal(st.fields[1].n_lines, 2);
        /* raw text: the stanza from its first field, each field with its line ends */
        assert_int_equal(st.raw_len, strlen("Package: a\nDepends: b,\n c\n"));
        assert_memory_equal(st.raw, "Package: a\nDepends: b,\n c\n", st.raw_len);
        assert_int_equal(st.fields[1].raw_len, strlen("Depends: b,\n c\n"));
        assert_memory_equal(st.fields[1].raw, "Depends: b,\n c\n", st.fields[1].raw_len);
        assert_int_equal(deb822_next(rd, &st, &err), 1);
        assert_int_equal(st.line, 6);
        assert_int_equal(deb822_next(rd, &st, &err), 0);
        assert_int_equal(deb822_next(rd, &st, &err), 0);
        deb822_close(rd);
}

static void test_continuation_lines(void **state)
{
        (void)state;
        const char *text = "Description: short\n  long one  \n\tsecond\tline\nX: y\n";
        struct deb822_reader *rd = deb822_open(text, strlen(text), "t", &plain);
        struct deb822_stanza st;
        struct distill_error err = {0};
        assert_int_equal(deb822_next(rd, &st, &err), 1);
        const struct deb822_field *f = deb822_get(&st, "Description");
        assert_non_null(f);
        assert_int_equal(f->n_lines, 3);
        char *s = deb822_first_line(f);
        assert_string_equal(s, "short");
        free(s);
        s = deb822_folded(f);
        assert_string_equal(s, "short long one second line");
        free(s);
        struct deb822_line l = DEB822_LINE_INIT;
        const char *want[] = {"short", "long one", "second\tline"};
        for (unsigned i = 0; i < 3; i++) {
                assert_true(deb822_next_line(f, &l));
                assert_int_equal(l.len, strlen(want[i]));
                assert_memory_equal(l.s, want[i], l.len);
                assert_int_equal(l.line, 1 + i);
        }
        assert_false(deb822_next_line(f, &l));
        deb822_close(rd);

        /* a value that starts on the next line (SHA256 lists, inline keys) */
        expect_stanzas("SHA256:\n abc 1 main/x\n def 2 main/y\n", &plain,
                       "SHA256=|abc 1 main/x|def 2 main/y\n");
        expect_error(" leading\n", "t:1: continuation line outside a field");
        expect_error("A: 1\n\n continued\n", "t:3: continuation line outside a field");
}

static void test_empty_line_continuation(void **state)
{
        (void)state;
        const char *text = "Description: x\n para one\n .\n para two\n";
        struct deb822_reader *rd = deb822_open(text, strlen(text), "t", &plain);
        struct deb822_stanza st;
        struct distill_error err = {0};
        assert_int_equal(deb822_next(rd, &st, &err), 1);
        struct strvec lines = STRVEC_INIT;
        deb822_lines(&st.fields[0], DEB822_DOT_IS_EMPTY, &lines);
        assert_int_equal(lines.n, 4);
        assert_string_equal(lines.v[2], "");
        strvec_clear(&lines);
        deb822_lines(&st.fields[0], 0, &lines); /* verbatim unless asked */
        assert_string_equal(lines.v[2], ".");
        strvec_clear(&lines);
        deb822_close(rd);
        /* only a continuation line is the escaped empty line */
        text = "A: .\n";
        rd = deb822_open(text, strlen(text), "t", &plain);
        assert_int_equal(deb822_next(rd, &st, &err), 1);
        deb822_lines(&st.fields[0], DEB822_DOT_IS_EMPTY, &lines);
        assert_string_equal(lines.v[0], ".");
        strvec_clear(&lines);
        deb822_close(rd);
}

static void test_comments(void **state)
{
        (void)state;
        /* where allowed: anywhere, even between continuation lines, ending nothing */
        const char *text = "# head\nTypes: deb\n# inside\nURIs: a\n# between\n b\n#\nSuites: s\n";
        expect_stanzas(text, &with_comments, "Types=deb;URIs=a|b;Suites=s\n");
        struct deb822_reader *rd = deb822_open(text, strlen(text), "t", &with_comments);
        struct deb822_stanza st;
        struct distill_error err = {0};
        assert_int_equal(deb822_next(rd, &st, &err), 1);
        assert_int_equal(st.line, 2);
        const struct deb822_field *f = deb822_get(&st, "URIs");
        struct deb822_line l = DEB822_LINE_INIT;
        assert_true(deb822_next_line(f, &l));
        assert_int_equal(l.line, 4);
        assert_true(deb822_next_line(f, &l));
        assert_int_equal(l.line, 6); /* the comment line counted, not returned */
        assert_memory_equal(l.s, "b", 1);
        assert_false(deb822_next_line(f, &l));
        char *folded = deb822_folded(f);
        assert_string_equal(folded, "a b");
        free(folded);
        deb822_close(rd);
        /* a comment-only stanza is none; an indented '#' is a continuation line */
        expect_stanzas("# a\n\n# b\n", &with_comments, "");
        expect_stanzas("A: 1\n #x\n", &with_comments, "A=1|#x\n");
        /* where not allowed: refused, whether or not it looks like a field */
        expect_error("A: 1\n# note\n", "t:2: comment line");
        expect_error("#A: 1\n", "t:1: comment line");
}

static void test_crlf(void **state)
{
        (void)state;
        const char *text = "A: 1\r\nB: x \r\n y\r\n\r\nC: 3\r\n";
        expect_stanzas(text, &plain, "A=1;B=x|y\nC=3\n");
        struct deb822_reader *rd = deb822_open(text, strlen(text), "t", &plain);
        struct deb822_stanza st;
        struct distill_error err = {0};
        assert_int_equal(deb822_next(rd, &st, &err), 1);
        char *s = deb822_folded(&st.fields[1]);
        assert_string_equal(s, "x y");
        free(s);
        /* raw text is kept as it is */
        assert_int_equal(st.fields[0].raw_len, 6);
        assert_memory_equal(st.fields[0].raw, "A: 1\r\n", 6);
        deb822_close(rd);
}

static void test_blank_separator_lines(void **state)
{
        (void)state;
        expect_stanzas("A: 1\n \t \nB: 2\n \nC: 3\n\t\n", &plain, "A=1\nB=2\nC=3\n");
        /* so a whitespace-only line cannot continue a field */
        expect_error("A: 1\n  \n more\n", "t:3: continuation line outside a field");
}

static void test_case_insensitive_lookup(void **state)
{
        (void)state;
        const char *text = "Package: a\nMULTI-ARCH: same\n";
        struct deb822_reader *rd = deb822_open(text, strlen(text), "t", &plain);
        struct deb822_stanza st;
        struct distill_error err = {0};
        assert_int_equal(deb822_next(rd, &st, &err), 1);
        assert_ptr_equal(deb822_get(&st, "package"), &st.fields[0]);
        assert_ptr_equal(deb822_get(&st, "Multi-Arch"), &st.fields[1]);
        assert_null(deb822_get(&st, "Pack"));
        assert_null(deb822_get(&st, "Packages"));
        assert_true(deb822_field_is(&st.fields[0], "PACKAGE"));
        assert_false(deb822_field_is(&st.fields[0], "Packag"));
        deb822_close(rd);
}

static void test_duplicate_fields(void **state)
{
        (void)state;
        expect_error("Package: a\nVersion: 1\nversion: 2\n", "t:3: duplicate field version");
        /* the same name in another stanza is no duplicate */
        expect_stanzas("A: 1\n\nA: 2\n", &plain, "A=1\nA=2\n");
        /* names alike in their hash still differ */
        expect_stanzas("Ab: 1\nBa: 2\nA: 3\nB: 4\n", &plain, "Ab=1;Ba=2;A=3;B=4\n");
}

static void test_malformed_lines(void **state)
{
        (void)state;
        expect_error("Package: a\nbogus line\n", "t:2: expected 'Field: value'");
        expect_error(": value\n", "t:1: empty field name");
        expect_error("A b: c\n", "t:1: invalid character in field name");
        expect_error("A\x01: c\n", "t:1: invalid character in field name");
        expect_error("\xc3\xa9: c\n", "t:1: invalid character in field name");
        expect_error("-A: c\n", "t:1: field name starts with '-'");
        /* what deb822(5) allows in a name */
        expect_stanzas("!;~A-1.x_: v\n", &plain, "!;~A-1.x_=v\n");
}

static void test_nul_bytes(void **state)
{
        (void)state;
        expect_error_n("A: 1\0\n", 6, &plain, "t: contains a NUL byte");
        expect_error_n("A: 1\n\nB: 2\n\0", 12, &with_comments, "t: contains a NUL byte");
}

static void test_caps(void **state)
{
        (void)state;
        /* an over-long line */
        size_t n = DEB822_MAX_LINE + 1;
        char *longline = xmalloc(n + 2);
        memset(longline, 'x', n);
        memcpy(longline, "Provides: ", 10);
        longline[n] = '\n';
        longline[n + 1] = '\0';
        expect_error(longline, "t:1: line longer than");
        longline[n - 1] = '\0'; /* exactly the cap */
        char *ok = stanzas_of(longline, n - 1, &plain);
        free(ok);
        free(longline);

        /* too many fields */
        struct strbuf sb = STRBUF_INIT;
        for (int i = 0; i < DEB822_MAX_FIELDS; i++)
                strbuf_addf(&sb, "F%d: v\n", i);
        char *fine = stanzas_of(sb.buf, sb.len, &plain);
        free(fine);
        strbuf_adds(&sb, "One-More: v\n");
        expect_error(sb.buf, "t:257: more than 256 fields in one stanza");
        strbuf_release(&sb);

        /* a stanza larger than the format allows */
        const struct deb822_format small = {.error_code = DISTILL_EINTEGRITY, .max_stanza = 16};
        expect_error_n("A: 1\n\nB: 0123456789\nC: 1\n", 25, &small,
                       "t:3: stanza larger than 16 bytes");

        /* too many stanzas */
        for (unsigned i = 0; i <= DEB822_MAX_STANZAS; i++)
                strbuf_adds(&sb, "A: 1\n\n");
        expect_error(sb.buf, "more than 1048576 stanzas");
        strbuf_release(&sb);
}

static void test_truncated_and_empty_input(void **state)
{
        (void)state;
        /* no final newline: the last line still counts */
        const char *text = "A: 1\nB: 2\n more";
        struct deb822_reader *rd = deb822_open(text, strlen(text), "t", &plain);
        struct deb822_stanza st;
        struct distill_error err = {0};
        assert_int_equal(deb822_next(rd, &st, &err), 1);
        assert_int_equal(st.fields[1].raw_len, strlen("B: 2\n more"));
        char *s = deb822_folded(&st.fields[1]);
        assert_string_equal(s, "2 more");
        free(s);
        assert_int_equal(deb822_next(rd, &st, &err), 0);
        deb822_close(rd);
        expect_stanzas("A:", &plain, "A=\n");
        expect_error("A: 1\nB", "t:2: expected 'Field: value'");

        expect_stanzas("", &plain, "");
        expect_stanzas("\n\n \n\t\r\n", &plain, "");
        rd = deb822_open(NULL, 0, "t", &plain);
        assert_int_equal(deb822_next(rd, &st, &err), 0);
        deb822_close(rd);
}

/* --- oracles ------------------------------------------------------------------------------- */

/* Whitespace runs made one space, none around: how a folded value compares. */
static char *squeeze(const char *s)
{
        struct strbuf sb = STRBUF_INIT;
        strbuf_adds(&sb, "");
        bool space = false;
        for (; *s; s++) {
                if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
                        space = sb.len > 0;
                        continue;
                }
                if (space)
                        strbuf_addch(&sb, ' ');
                space = false;
                strbuf_addch(&sb, *s);
        }
        return strbuf_detach(&sb);
}

static char *folded_or_empty(const struct deb822_stanza *st, const char *name)
{
        const struct deb822_field *f = deb822_get(st, name);
        return f ? deb822_folded(f) : xstrdup("");
}

static void compare_lines(const char *what, struct strvec *got, struct strvec *want)
{
        strvec_sort(got);
        strvec_sort(want);
        for (size_t i = 0; i < got->n && i < want->n; i++)
                if (strcmp(got->v[i], want->v[i]) != 0)
                        fail_msg("%s: parsed \"%s\", the oracle says \"%s\"", what, got->v[i],
                                 want->v[i]);
        if (got->n != want->n)
                fail_msg("%s: %zu stanzas parsed, the oracle has %zu", what, got->n, want->n);
}

static void split_lines(char *text, struct strvec *out)
{
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                strvec_push(out, l);
}

/* Every installed package of this host's status file, as dpkg-query reports it. */
static void test_oracle_dpkg_status(void **state)
{
        (void)state;
        char *data = NULL;
        size_t len = 0;
        assert_int_equal(read_file("/var/lib/dpkg/status", &data, &len), 0);
        struct deb822_reader *rd = deb822_open(data, len, "/var/lib/dpkg/status", &plain);
        struct deb822_stanza st;
        struct distill_error err = {0};
        struct strvec got = STRVEC_INIT, want = STRVEC_INIT;
        int r;
        while ((r = deb822_next(rd, &st, &err)) > 0) {
                char *status = folded_or_empty(&st, "Status");
                if (strcmp(status, "install ok installed") == 0 ||
                    strcmp(status, "hold ok installed") == 0) {
                        char *p = folded_or_empty(&st, "Package");
                        char *v = folded_or_empty(&st, "Version");
                        char *a = folded_or_empty(&st, "Architecture");
                        char *d = folded_or_empty(&st, "Depends");
                        strvec_push_nodup(&got, xasprintf("%s\t%s\t%s\t%s", p, v, a, d));
                        free(p);
                        free(v);
                        free(a);
                        free(d);
                }
                free(status);
        }
        if (r < 0)
                fail_msg("%s", err.msg);
        deb822_close(rd);
        free(data);

        char *out = fixture_sh_out(
            "dpkg-query -W -f='${Status}\\t${Package}\\t${Version}\\t${Architecture}\\t"
            "${Depends}\\n' | grep -E '^(install|hold) ok installed' | cut -f2-");
        assert_non_null(out);
        split_lines(out, &want);
        free(out);
        assert_true(want.n > 100);
        compare_lines("/var/lib/dpkg/status", &got, &want);
        strvec_clear(&got);
        strvec_clear(&want);
}

/* grep-dctrl's blocks (stanzas) of `-n` output: one line per value line, a blank line after. */
static void split_blocks(char *text, struct strvec *out)
{
        for (char *p = text; *p;) {
                char *end = strstr(p, "\n\n");
                size_t n = end ? (size_t)(end - p) : strlen(p);
                strvec_push_nodup(out, xstrndup(p, n));
                p += n;
                while (*p == '\n')
                        p++;
        }
}

/* One Packages index against grep-dctrl: Package, Version, Architecture and Depends of every
 * stanza, in order. */
static void check_packages_index(const char *path)
{
        char *data = fixture_sh_out("/usr/lib/apt/apt-helper cat-file '%s'", path);
        if (!data || !*data)
                fail_msg("%s: apt-helper cat-file read nothing", path);
        char *pva = fixture_sh_out("/usr/lib/apt/apt-helper cat-file '%s' | grep-dctrl -n -s "
                                   "Package,Version,Architecture -F Package -r .",
                                   path);
        char *pd = fixture_sh_out("/usr/lib/apt/apt-helper cat-file '%s' | grep-dctrl -n -s "
                                  "Package,Depends -F Package -r .",
                                  path);
        if (!pva || !pd)
                fail_msg("grep-dctrl failed on %s (scripts/setup installs dctrl-tools)", path);
        struct strvec blocks_pva = STRVEC_INIT, blocks_pd = STRVEC_INIT;
        split_blocks(pva, &blocks_pva);
        split_blocks(pd, &blocks_pd);
        assert_int_equal(blocks_pva.n, blocks_pd.n);

        struct deb822_reader *rd = deb822_open(data, strlen(data), path, &plain);
        struct deb822_stanza st;
        struct distill_error err = {0};
        size_t i = 0;
        int r;
        while ((r = deb822_next(rd, &st, &err)) > 0) {
                if (i >= blocks_pva.n)
                        fail_msg("%s:%u: a stanza grep-dctrl does not have", path, st.line);
                char *p = folded_or_empty(&st, "Package");
                char *v = folded_or_empty(&st, "Version");
                char *a = folded_or_empty(&st, "Architecture");
                char *got = xasprintf("%s\n%s\n%s", p, v, a);
                if (strcmp(got, blocks_pva.v[i]) != 0)
                        fail_msg("%s:%u: parsed \"%s\", grep-dctrl says \"%s\"", path, st.line, got,
                                 blocks_pva.v[i]);
                free(got);
                /* the block is the Package line, then the Depends value's lines if any */
                char *depends_text = strchr(blocks_pd.v[i], '\n');
                char *want_depends = squeeze(depends_text ? depends_text : "");
                char *d = folded_or_empty(&st, "Depends");
                if (strncmp(blocks_pd.v[i], p, strlen(p)) != 0 || strcmp(d, want_depends) != 0)
                        fail_msg("%s:%u: Depends \"%s\", grep-dctrl says \"%s\"", path, st.line, d,
                                 want_depends);
                free(want_depends);
                free(d);
                free(p);
                free(v);
                free(a);
                i++;
        }
        if (r < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(i, blocks_pva.n);
        deb822_close(rd);
        strvec_clear(&blocks_pva);
        strvec_clear(&blocks_pd);
        free(pva);
        free(pd);
        free(data);
}

static void test_oracle_grep_dctrl(void **state)
{
        (void)state;
        char *listing = fixture_sh_out("ls -1 /var/lib/apt/lists/*_Packages "
                                       "/var/lib/apt/lists/*_Packages.* 2>/dev/null; true");
        assert_non_null(listing);
        struct strvec paths = STRVEC_INIT;
        split_lines(listing, &paths);
        free(listing);
        if (paths.n == 0)
                fail_msg("no Packages indexes in /var/lib/apt/lists: scripts/setup must run "
                         "apt-get update");
        for (size_t i = 0; i < paths.n; i++)
                check_packages_index(paths.v[i]);
        strvec_clear(&paths);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fields_and_stanzas),
            cmocka_unit_test(test_continuation_lines),
            cmocka_unit_test(test_empty_line_continuation),
            cmocka_unit_test(test_comments),
            cmocka_unit_test(test_crlf),
            cmocka_unit_test(test_blank_separator_lines),
            cmocka_unit_test(test_case_insensitive_lookup),
            cmocka_unit_test(test_duplicate_fields),
            cmocka_unit_test(test_malformed_lines),
            cmocka_unit_test(test_nul_bytes),
            cmocka_unit_test(test_caps),
            cmocka_unit_test(test_truncated_and_empty_input),
            cmocka_unit_test(test_oracle_dpkg_status),
            cmocka_unit_test(test_oracle_grep_dctrl),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
