#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "distill/base/error.h"
#include "distill/base/util.h"
#include "distill/base/wildmatch.h"

struct wildmatch_case {
        const char *pattern;
        const char *text;
        bool match;
};

static void check_cases(const struct wildmatch_case *cases, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (wildmatch(cases[i].pattern, cases[i].text) != cases[i].match)
                        fail_msg("wildmatch(\"%s\", \"%s\") should be %s", cases[i].pattern,
                                 cases[i].text, cases[i].match ? "true" : "false");
}

/* The cases git's own test suite checks with WM_PATHNAME, in its order and with its sections,
 * so that git and distill read a pattern the same way (malformed patterns included). */
static const struct wildmatch_case git_cases[] = {
    /* Basic wildmatch features */
    {"foo", "foo", true},
    {"bar", "foo", false},
    {"", "", true},
    {"???", "foo", true},
    {"??", "foo", false},
    {"*", "foo", true},
    {"f*", "foo", true},
    {"*f", "foo", false},
    {"*foo*", "foo", true},
    {"*ob*a*r*", "foobar", true},
    {"*ab", "aaaaaaabababab", true},
    {"foo\\*", "foo*", true},
    {"foo\\*bar", "foobar", false},
    {"f\\\\oo", "f\\oo", true},
    {"*[al]?", "ball", true},
    {"[ten]", "ten", false},
    {"**[!te]", "ten", true},
    {"**[!ten]", "ten", false},
    {"t[a-g]n", "ten", true},
    {"t[!a-g]n", "ten", false},
    {"t[!a-g]n", "ton", true},
    {"t[^a-g]n", "ton", true},
    {"a[]]b", "a]b", true},
    {"a[]-]b", "a-b", true},
    {"a[]-]b", "a]b", true},
    {"a[]-]b", "aab", false},
    {"a[]a-]b", "aab", true},
    {"]", "]", true},
    /* Extended slash-matching features */
    {"foo*bar", "foo/baz/bar", false},
    {"foo**bar", "foo/baz/bar", false},
    {"foo**bar", "foobazbar", true},
    {"foo/**/bar", "foo/baz/bar", true},
    {"foo/**/**/bar", "foo/baz/bar", true},
    {"foo/**/bar", "foo/b/a/z/bar", true},
    {"foo/**/**/bar", "foo/b/a/z/bar", true},
    {"foo/**/bar", "foo/bar", true},
    {"foo/**/**/bar", "foo/bar", true},
    {"foo?bar", "foo/bar", false},
    {"foo[/]bar", "foo/bar", false},
    {"foo[^a-z]bar", "foo/bar", false},
    {"f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo/bar", false},
    {"f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo-bar", true},
    {"**/foo", "foo", true},
    {"**/foo", "XXX/foo", true},
    {"**/foo", "bar/baz/foo", true},
    {"*/foo", "bar/baz/foo", false},
    {"**/bar*", "foo/bar/baz", false},
    {"**/bar/*", "deep/foo/bar/baz", true},
    {"**/bar/*", "deep/foo/bar/baz/", false},
    {"**/bar/**", "deep/foo/bar/baz/", true},
    {"**/bar/*", "deep/foo/bar", false},
    {"**/bar/**", "deep/foo/bar/", true},
    {"**/bar**", "foo/bar/baz", false},
    {"*/bar/**", "foo/bar/baz/x", true},
    {"*/bar/**", "deep/foo/bar/baz/x", false},
    {"**/bar/*/*", "deep/foo/bar/baz/x", true},
    /* Various additional tests */
    {"a[c-c]st", "acrt", false},
    {"a[c-c]rt", "acrt", true},
    {"[!]-]", "]", false},
    {"[!]-]", "a", true},
    {"\\", "", false},
    {"\\", "\\", false},
    {"*/\\", "XXX/\\", false},
    {"*/\\\\", "XXX/\\", true},
    {"foo", "foo", true},
    {"@foo", "@foo", true},
    {"@foo", "foo", false},
    {"\\[ab]", "[ab]", true},
    {"[[]ab]", "[ab]", true},
    {"[[:]ab]", "[ab]", true},
    {"[[::]ab]", "[ab]", false},
    {"[[:digit]ab]", "[ab]", true},
    {"[\\[:]ab]", "[ab]", true},
    {"\\??\\?b", "?a?b", true},
    {"\\a\\b\\c", "abc", true},
    {"", "foo", false},
    {"**/t[o]", "foo/bar/baz/to", true},
    /* Character class tests */
    {"[[:alpha:]][[:digit:]][[:upper:]]", "a1B", true},
    {"[[:digit:][:upper:][:space:]]", "a", false},
    {"[[:digit:][:upper:][:space:]]", "A", true},
    {"[[:digit:][:upper:][:space:]]", "1", true},
    {"[[:digit:][:upper:][:spaci:]]", "1", false},
    {"[[:digit:][:upper:][:space:]]", " ", true},
    {"[[:digit:][:upper:][:space:]]", ".", false},
    {"[[:digit:][:punct:][:space:]]", ".", true},
    {"[[:xdigit:]]", "5", true},
    {"[[:xdigit:]]", "f", true},
    {"[[:xdigit:]]", "D", true},
    {"[[:alnum:][:alpha:][:blank:][:cntrl:][:digit:][:graph:][:lower:][:print:][:punct:][:space:][:"
     "upper:][:xdigit:]]",
     "_", true},
    {"[^[:alnum:][:alpha:][:blank:][:cntrl:][:digit:][:lower:][:space:][:upper:][:xdigit:]]", ".",
     true},
    {"[a-c[:digit:]x-z]", "5", true},
    {"[a-c[:digit:]x-z]", "b", true},
    {"[a-c[:digit:]x-z]", "y", true},
    {"[a-c[:digit:]x-z]", "q", false},
    /* Additional tests, including some malformed wildmatch patterns */
    {"[\\\\-^]", "]", true},
    {"[\\\\-^]", "[", false},
    {"[\\-_]", "-", true},
    {"[\\]]", "]", true},
    {"[\\]]", "\\]", false},
    {"[\\]]", "\\", false},
    {"a[]b", "ab", false},
    {"a[]b", "a[]b", false},
    {"ab[", "ab[", false},
    {"[!", "ab", false},
    {"[-", "ab", false},
    {"[-]", "-", true},
    {"[a-", "-", false},
    {"[!a-", "-", false},
    {"[--A]", "-", true},
    {"[--A]", "5", true},
    {"[ --]", " ", true},
    {"[ --]", "$", true},
    {"[ --]", "-", true},
    {"[ --]", "0", false},
    {"[---]", "-", true},
    {"[------]", "-", true},
    {"[a-e-n]", "j", false},
    {"[a-e-n]", "-", true},
    {"[!------]", "a", true},
    {"[]-a]", "[", false},
    {"[]-a]", "^", true},
    {"[!]-a]", "^", false},
    {"[!]-a]", "[", true},
    {"[a^bc]", "^", true},
    {"[a-]b]", "-b]", true},
    {"[\\]", "\\", false},
    {"[\\\\]", "\\", true},
    {"[!\\\\]", "\\", false},
    {"[A-\\\\]", "G", true},
    {"b*a", "aaabbb", false},
    {"*ba*", "aabcaa", false},
    {"[,]", ",", true},
    {"[\\\\,]", ",", true},
    {"[\\\\,]", "\\", true},
    {"[,-.]", "-", true},
    {"[,-.]", "+", false},
    {"[,-.]", "-.]", false},
    {"[\\1-\\3]", "2", true},
    {"[\\1-\\3]", "3", true},
    {"[\\1-\\3]", "4", false},
    {"[[-\\]]", "\\", true},
    {"[[-\\]]", "[", true},
    {"[[-\\]]", "]", true},
    {"[[-\\]]", "-", false},
    /* Test recursion */
    {"-*-*-*-*-*-*-12-*-*-*-m-*-*-*", "-adobe-courier-bold-o-normal--12-120-75-75-m-70-iso8859-1",
     true},
    {"-*-*-*-*-*-*-12-*-*-*-m-*-*-*", "-adobe-courier-bold-o-normal--12-120-75-75-X-70-iso8859-1",
     false},
    {"-*-*-*-*-*-*-12-*-*-*-m-*-*-*", "-adobe-courier-bold-o-normal--12-120-75-75-/-70-iso8859-1",
     false},
    {"XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*",
     "XXX/adobe/courier/bold/o/normal//12/120/75/75/m/70/iso8859/1", true},
    {"XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*",
     "XXX/adobe/courier/bold/o/normal//12/120/75/75/X/70/iso8859/1", false},
    {"**/*a*b*g*n*t", "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txt", true},
    {"**/*a*b*g*n*t", "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txtz", false},
    {"*/*/*", "foo", false},
    {"*/*/*", "foo/bar", false},
    {"*/*/*", "foo/bba/arr", true},
    {"*/*/*", "foo/bb/aa/rr", false},
    {"**/**/**", "foo/bb/aa/rr", true},
    {"*X*i", "abcXdefXghi", true},
    {"*X*i", "ab/cXd/efXg/hi", false},
    {"*/*X*/*/*i", "ab/cXd/efXg/hi", true},
    {"**/*X*/**/*i", "ab/cXd/efXg/hi", true},
    /* Extra pathmatch tests */
    {"fo", "foo", false},
    {"foo/bar", "foo/bar", true},
    {"foo/*", "foo/bar", true},
    {"foo/*", "foo/bba/arr", false},
    {"foo/**", "foo/bba/arr", true},
    {"foo*", "foo/bba/arr", false},
    {"foo**", "foo/bba/arr", false},
    {"foo/*arr", "foo/bba/arr", false},
    {"foo/**arr", "foo/bba/arr", false},
    {"foo/*z", "foo/bba/arr", false},
    {"foo/**z", "foo/bba/arr", false},
    {"foo?bar", "foo/bar", false},
    {"foo[/]bar", "foo/bar", false},
    {"foo[^a-z]bar", "foo/bar", false},
    {"*Xg*i", "ab/cXd/efXg/hi", false},
    /* Extra case-sensitivity tests */
    {"[A-Z]", "a", false},
    {"[A-Z]", "A", true},
    {"[a-z]", "A", false},
    {"[a-z]", "a", true},
    {"[[:upper:]]", "a", false},
    {"[[:upper:]]", "A", true},
    {"[[:lower:]]", "A", false},
    {"[[:lower:]]", "a", true},
    {"[B-Za]", "A", false},
    {"[B-Za]", "a", true},
    {"[B-a]", "A", false},
    {"[B-a]", "a", true},
    {"[Z-y]", "z", false},
    {"[Z-y]", "Z", true},
};

static void test_git_cases(void **state)
{
        (void)state;
        check_cases(git_cases, sizeof(git_cases) / sizeof(git_cases[0]));
}

/* gitignore(5) "PATTERN FORMAT", written as the absolute image paths distill matches. */
static void test_gitignore_rules(void **state)
{
        (void)state;
        static const struct wildmatch_case cases[] = {
            /* a leading "**" then '/' matches in all directories */
            {"**/foo", "/foo", true},
            {"**/foo", "/a/b/foo", true},
            {"**/foo/bar", "/x/foo/bar", true},
            {"**/foo/bar", "/x/foo/baz/bar", false},
            /* '/' then a trailing "**" matches everything inside */
            {"/abc/**", "/abc/x", true},
            {"/abc/**", "/abc/x/y/z", true},
            {"/abc/**", "/abc/", true},
            {"/abc/**", "/abc", false},
            {"/abc/**", "/abcd/x", false},
            /* "**" between slashes matches zero or more directories */
            {"/a/**/b", "/a/b", true},
            {"/a/**/b", "/a/x/b", true},
            {"/a/**/b", "/a/x/y/b", true},
            {"/a/**/b", "/a/xb", false},
            /* other consecutive asterisks are a single '*' */
            {"/a/**b", "/a/xb", true},
            {"/a/**b", "/a/x/b", false},
            {"/a**/b", "/ax/b", true},
            {"/a**/b", "/a/x/b", false},
            {"/a/***/b", "/a/x/y/b", true},
            /* '*' and '?' and brackets never match '/' */
            {"/foo/*", "/foo/test.json", true},
            {"/foo/*", "/foo/bar/hello.c", false},
            {"/foo?bar", "/foo/bar", false},
            {"/foo[/]bar", "/foo/bar", false},
            {"/foo[!a]bar", "/foo/bar", false},
            /* a backslash escapes the next character */
            {"/a\\*b", "/a*b", true},
            {"/a\\*b", "/axb", false},
            {"/a\\[b]", "/a[b]", true},
        };
        check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* The globs distill's manifests and shipped rules use. */
static void test_distill_globs(void **state)
{
        (void)state;
        assert_true(wildmatch("/usr/share/doc/**", "/usr/share/doc/libc6/copyright"));
        assert_true(wildmatch("/usr/share/doc/**", "/usr/share/doc/x"));
        assert_false(wildmatch("/usr/share/doc/**", "/usr/share/docs/x"));
        assert_true(wildmatch("/usr/lib/*/libssl.so.*", "/usr/lib/x86_64-linux-gnu/libssl.so.3"));
        assert_false(wildmatch("/usr/lib/*/libssl.so.*", "/usr/lib/a/b/libssl.so.3"));
        assert_true(wildmatch("/usr/**/libssl.so.3", "/usr/lib/a/b/libssl.so.3"));
        assert_true(wildmatch("/usr/**/libssl.so.3", "/usr/libssl.so.3"));
        assert_true(wildmatch("/etc/ssl/[o]penssl.cn?", "/etc/ssl/openssl.cnf"));
        assert_false(wildmatch("/etc/ssl/[!o]penssl.cnf", "/etc/ssl/openssl.cnf"));
        assert_false(wildmatch("/a/*", "/a/b/c"));
        assert_true(wildmatch("/a/b", "/a/b"));
        assert_false(wildmatch("/a/b", "/a/bc"));
        assert_true(wildmatch("/usr/lib/locale/C.utf8/**", "/usr/lib/locale/C.utf8/LC_CTYPE"));
        assert_false(wildmatch("/usr/lib/locale/C.utf8/**", "/usr/lib/locale/C.utf8"));
        assert_true(wildmatch("/usr/share/zoneinfo/**", "/usr/share/zoneinfo/Europe/Paris"));
}

static void assert_refused(const char *pattern, const char *message)
{
        struct distill_error err = {0};
        assert_false(wildmatch(pattern, pattern));
        assert_int_equal(wildmatch_check(pattern, &err), -DISTILL_EUSAGE);
        assert_int_equal(err.code, DISTILL_EUSAGE);
        if (!strstr(err.msg, message))
                fail_msg("error for \"%s\" is \"%s\", which lacks \"%s\"", pattern, err.msg,
                         message);
}

/* git matches nothing with a malformed pattern; distill also says so where it is written. */
static void test_malformed_patterns(void **state)
{
        (void)state;
        assert_refused("/usr/lib/[abc", "\"[abc\" has no closing ']'");
        assert_refused("/a[]b", "\"[]b\" has no closing ']'");
        assert_refused("/a[!", "\"[!\" has no closing ']'");
        assert_refused("/a[b\\", "has no closing ']'");
        assert_refused("/a[[:alpha:]", "has no closing ']'");
        assert_refused("/a[[:alfa:]]", "unknown character class \"[:alfa:]\"");
        assert_refused("/a[[::]]", "unknown character class \"[::]\"");
        assert_refused("/a\\", "ends in a backslash");

        struct distill_error err = {0};
        static const char *const fine[] = {"/usr/share/doc/**",
                                           "/usr/lib/*/libssl.so.*",
                                           "/a[]]b",
                                           "/a[[:]ab]",
                                           "/a[[:digit]ab]",
                                           "/a\\[b",
                                           "/[[:alpha:][:digit:]]",
                                           "/a]b",
                                           "/a[\\]]",
                                           "**",
                                           ""};
        for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
                if (wildmatch_check(fine[i], &err) != 0)
                        fail_msg("\"%s\" refused: %s", fine[i], err.msg);
}

static char *repeat(const char *s, size_t times, const char *tail)
{
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < times; i++)
                strbuf_adds(&sb, s);
        strbuf_adds(&sb, tail);
        return strbuf_detach(&sb);
}

static double elapsed_since(const struct timespec *start)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Patterns that made a backtracking matcher take seconds to hours, or give up at a recursion
 * depth and answer wrongly. Each takes microseconds here; the bound is loose so a slow or busy
 * machine never fails it, and an exponential matcher still would, by orders of magnitude. */
static void test_pathological_patterns(void **state)
{
        (void)state;
        char *a40 = repeat("a", 40, "");
        char *a100 = repeat("a", 100, "");
        char *a1000 = repeat("a", 1000, "");
        char *star_a9_b = repeat("*a", 9, "*b");
        char *star_a30 = repeat("*a", 30, "");
        char *star_a30_b = repeat("*a", 30, "b");
        char *star_a1000 = repeat("*a", 1000, "");
        char *dirs100_x = repeat("**/", 100, "x");
        char *abs_dirs100_x = repeat("/**", 100, "/x");
        char *dirs_a100_x = repeat("a/", 100, "x");
        char *dirs_a100_y = repeat("a/", 100, "y");
        char *abs_a100_x = repeat("/a", 100, "/x");
        char *abs_a100_y = repeat("/a", 100, "/y");
        struct timespec start;

        clock_gettime(CLOCK_MONOTONIC, &start);
        assert_false(wildmatch(star_a9_b, a40));
        assert_true(wildmatch(star_a30, a100));
        assert_false(wildmatch(star_a30_b, a100));
        assert_true(wildmatch(star_a1000, a1000));
        assert_false(wildmatch(star_a1000, a100));
        assert_true(wildmatch(dirs100_x, dirs_a100_x));
        assert_false(wildmatch(dirs100_x, dirs_a100_y));
        assert_true(wildmatch(abs_dirs100_x, abs_a100_x));
        assert_false(wildmatch(abs_dirs100_x, abs_a100_y));
        assert_true(wildmatch(abs_dirs100_x, "/x"));
        double seconds = elapsed_since(&start);
        if (seconds >= 1.0)
                fail_msg("the pathological patterns took %.3f s", seconds);

        free(a40);
        free(a100);
        free(a1000);
        free(star_a9_b);
        free(star_a30);
        free(star_a30_b);
        free(star_a1000);
        free(dirs100_x);
        free(abs_dirs100_x);
        free(dirs_a100_x);
        free(dirs_a100_y);
        free(abs_a100_x);
        free(abs_a100_y);
}

/* The definition, with no pruning: every way each star could match is tried. Only for the
 * elements the cross-check below generates ('a', 'b', '/', '?' and runs of '*'). */
static bool exhaustive_match(const char *pattern, const char *p, const char *t)
{
        if (*p == '\0')
                return *t == '\0';
        if (*p != '*') {
                bool one = *t != '\0' && (*p == '?' ? *t != '/' : *p == *t);
                return one && exhaustive_match(pattern, p + 1, t + 1);
        }
        const char *end = p + strspn(p, "*");
        bool double_star =
            end - p >= 2 && (p == pattern || p[-1] == '/') && (*end == '\0' || *end == '/');
        if (!double_star) {
                for (const char *s = t;; s++) {
                        if (exhaustive_match(pattern, end, s))
                                return true;
                        if (*s == '\0' || *s == '/')
                                return false;
                }
        }
        if (*end == '\0')
                return true;
        if (exhaustive_match(pattern, end + 1, t))
                return true;
        for (const char *s = t; *s; s++)
                if (*s == '/' && exhaustive_match(pattern, end + 1, s + 1))
                        return true;
        return false;
}

/* The pruning must never change an answer: random short patterns and paths (a fixed seed, so
 * every run checks the same ones) against the exhaustive definition. */
static void test_pruning_agrees_with_exhaustive_search(void **state)
{
        (void)state;
        static const char *const elements[] = {"a", "b", "/", "?", "*", "**", "***"};
        static const char text_bytes[] = "ab/";
        uint64_t seed = 0x9e3779b97f4a7c15u;
        for (int i = 0; i < 200000; i++) {
                char pattern[64] = "", text[16] = "";
                seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
                uint64_t r = seed;
                size_t n_elements = r % 9, n_text = (r >> 4) % 12;
                r >>= 8;
                for (size_t k = 0; k < n_elements; k++, r /= 7)
                        strcat(pattern, elements[r % 7]);
                seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
                r = seed;
                for (size_t k = 0; k < n_text; k++, r /= 3)
                        text[k] = text_bytes[r % 3];
                if (wildmatch(pattern, text) != exhaustive_match(pattern, pattern, text))
                        fail_msg("wildmatch(\"%s\", \"%s\") should be %s", pattern, text,
                                 exhaustive_match(pattern, pattern, text) ? "true" : "false");
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_git_cases),
            cmocka_unit_test(test_gitignore_rules),
            cmocka_unit_test(test_distill_globs),
            cmocka_unit_test(test_malformed_patterns),
            cmocka_unit_test(test_pathological_patterns),
            cmocka_unit_test(test_pruning_agrees_with_exhaustive_search),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
