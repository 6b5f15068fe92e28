/* Tests for the TOML reader. The acceptance test is differential: every document below (valid
 * ones covering each construct of TOML 1.0, invalid ones breaking each rule), the TOML files this
 * system carries (pyproject.toml files, CPython's own tomllib test data when an interpreter ships
 * it) and a few hundred mutants of them are read by distill and by Python's tomllib
 * (tests/unit/convert/toml_oracle.py, run with /usr/bin/python3.11): both must produce the same
 * JSON, or both refuse. The only intended difference, integers outside 64 bits (tomllib takes
 * any size, the TOML specification asks for an error), is checked as such. Unit cases pin the
 * error messages and their positions, and the caps. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"
#include "distill/convert/toml.h"
#include "fixture.h"

#define PYTHON "/usr/bin/python3.11"

/* Valid TOML 1.0, every construct at least once. */
static const char *const valid_docs[] = {
    /* scalars and comments */
    "# a comment\n"
    "title = \"TOML Example\" # trailing comment\n"
    "int = 42\nneg = -17\npos = +99\nzero = 0\nmzero = -0\npzero = +0\n"
    "bool1 = true\nbool2 = false\n",
    "",
    "# only a comment",
    "\n\n   \t\n# c\n\n",
    "a = 1",
    "a=1\nb\t=\t2\n  c =3 \n",
    /* keys */
    "bare_key = 1\nbare-key = 2\n1234 = 3\n\"127.0.0.1\" = 4\n\"character encoding\" = 5\n"
    "\"ʎǝʞ\" = 6\n'key2' = 7\n'quoted \"value\"' = 8\n\"\" = 9\n",
    "name = \"Orange\"\nphysical.color = \"orange\"\nphysical.shape = \"round\"\n"
    "site.\"google.com\" = true\n",
    "fruit.name = \"banana\"\nfruit. color = \"yellow\"\nfruit . flavor = \"banana\"\n",
    "3.14159 = \"pi\"\n",
    "a.b = 1\n\"a.b\" = 2\n'a'.c = 3\n",
    "apple.type = \"fruit\"\norange.type = \"fruit\"\napple.skin = \"thin\"\n"
    "orange.skin = \"thick\"\napple.color = \"red\"\norange.color = \"orange\"\n",
    "true = 1\nfalse = 2\ninf = 3\nnan = 4\n",
    /* (a NUL in a key is valid too, but jansson cannot load the oracle's JSON of it: see
     * test_values_as_json) */
    /* basic strings */
    "str = \"I'm a string. \\\"You can quote me\\\". Name\\tJos\\u00E9\\nLocation\\tSF.\"\n",
    "e = \"\\b\\t\\n\\f\\r\\\"\\\\\"\nu = \"\\u00e9\\u20AC\\U0001F600\\U0010FFFF\\u0000\"\n",
    "tab = \"a\tb\"\nuni = \"日本語 ✓\"\n",
    /* multi-line basic strings */
    "str1 = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n",
    "str1 = \"The quick brown fox jumps over the lazy dog.\"\n"
    "str2 = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"\n"
    "str3 = \"\"\"\\\n       The quick brown \\\n       fox jumps over \\\n"
    "       the lazy dog.\\\n       \"\"\"\n",
    "s = \"\"\"a \\   \n   b\"\"\"\n",
    "str4 = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"\n"
    "str5 = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"\n"
    "str6 = \"\"\"Here are fifteen quotation marks: "
    "\"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\".\"\"\"\n"
    "str7 = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n",
    "seven = \"\"\"\"\"\"\"\n"
    "a = \"\"\"\"\"\"\nb = \"\"\"x\"\"\"\"\"\nc = \"\"\"\n\"\"\"\nd = \"\"\"\n\n\"\"\"\n",
    "crlf = \"\"\"\r\nline one\r\nline two\r\n\"\"\"\r\n",
    "esc = \"\"\"tab\\t \\u00e9 quote\\\" \"\"\"\n",
    /* literal strings */
    "winpath = 'C:\\Users\\nodejs\\templates'\nwinpath2 = '\\\\ServerX\\admin$\\system32\\'\n"
    "quoted = 'Tom \"Dubs\" Preston-Werner'\nregex = '<\\i\\c*\\s*>'\nempty = ''\n",
    "regex2 = '''I [dw]on't need \\d{2} apples'''\n"
    "lines = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n"
    "   is preserved.\n'''\n",
    "quot15 = '''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''\n"
    "apos15 = \"Here are fifteen apostrophes: '''''''''''''''\"\n"
    "str = ''''That,' she said, 'is still pointless.''''\n",
    "a = ''''''\nb = '''x'''''\nc = 'tab\there'\n",
    /* integers */
    "int1 = +99\nint2 = 42\nint3 = 0\nint4 = -17\nint5 = 1_000\nint6 = 5_349_221\n"
    "int7 = 53_49_221\nint8 = 1_2_3_4_5\n",
    "hex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\noct1 = 0o01234567\n"
    "oct2 = 0o755\nbin1 = 0b11010110\nh0 = 0x0\nb0 = 0b0\n",
    "max = 9223372036854775807\nmin = -9223372036854775808\nhmax = 0x7FFFFFFFFFFFFFFF\n"
    "omax = 0o777777777777777777777\nbmax = "
    "0b111111111111111111111111111111111111111111111111111111111111111\n",
    /* floats */
    "flt1 = +1.0\nflt2 = 3.1415\nflt3 = -0.01\nflt4 = 5e+22\nflt5 = 1e06\nflt6 = -2E-2\n"
    "flt7 = 6.626e-34\nflt8 = 224_617.445_991_228\nflt9 = -0.0\nflt10 = +0.0\nflt11 = 0e0\n"
    "flt12 = 1e-0\nflt13 = 0.1\nflt14 = 1.7976931348623157e308\nflt15 = 4.9e-324\n",
    "sf1 = inf\nsf2 = +inf\nsf3 = -inf\nsf4 = nan\nsf5 = +nan\nsf6 = -nan\nbig = 1e400\n"
    "nbig = -1e400\n",
    "f = 1_0.0_1e1_0\ng = 9_007_199_254_740_993.0\n",
    /* date-times */
    "odt1 = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00-07:00\n"
    "odt3 = 1979-05-27T00:32:00.999999-07:00\nodt4 = 1979-05-27 07:32:00Z\n"
    "odt5 = 1979-05-27t07:32:00z\nodt6 = 1979-05-27T07:32:00+00:00\nodt7 = "
    "1979-05-27T07:32:00-00:00\n"
    "odt8 = 1979-05-27T07:32:00.5+23:59\n",
    "ldt1 = 1979-05-27T07:32:00\nldt2 = 1979-05-27T00:32:00.999999\nldt3 = "
    "1979-05-27T00:32:00.1234567\n"
    "ldt4 = 1979-05-27T00:32:00.000\nldt5 = 1979-05-27T00:32:00.000001\n",
    "ld1 = 1979-05-27\nleap = 2000-02-29\nleap2 = 2024-02-29\nlast = 9999-12-31\nfirst = "
    "0001-01-01\n",
    "lt1 = 07:32:00\nlt2 = 00:32:00.999999\nlt3 = 23:59:59.5\nlt4 = 00:00:00\n",
    "d = [1979-05-27, 07:32:00, 1979-05-27T07:32:00Z, 1979-05-27 07:32:00]\n",
    "d = 1979-05-27 # a date and a comment\n",
    /* arrays */
    "integers = [ 1, 2, 3 ]\ncolors = [ \"red\", \"yellow\", \"green\" ]\n"
    "nested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]\n"
    "nested_mixed_array = [ [ 1, 2 ], [\"a\", \"b\", \"c\"] ]\n"
    "string_array = [ \"all\", 'strings', \"\"\"are the same\"\"\", '''type''' ]\n",
    "numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]\ncontributors = [\n  \"Foo Bar <foo@example.com>\",\n"
    "  { name = \"Baz Qux\", email = \"bazqux@example.com\", url = \"https://example.com/bazqux\" "
    "}\n]\n",
    "integers2 = [\n  1, 2, 3\n]\nintegers3 = [\n  1,\n  2, # this is ok\n]\n",
    "e = []\nee = [[]]\nc = [ # comment\n # more\n 1 # one\n , # sep\n 2 # two\n ] # end\n",
    "a = [[[[[[1]]]]], {}]\nb = [ { x = [ { y = 1 } ] } ]\n",
    /* tables */
    "[table]\n\n[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n[table-2]\nkey1 = \"another "
    "string\"\n"
    "key2 = 456\n",
    "[dog.\"tater.man\"]\ntype.name = \"pug\"\n",
    "[a.b.c]\n[ d.e.f ]\n[ g .  h  . i ]\n[ j . \"ʞ\" . 'l' ]\n",
    "[x.y.z.w]\n[x]\n",
    "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n\n[fruit.apple.texture]\n"
    "smooth = true\n",
    "[a.b.c]\nz = 9\n[a]\nb.d = 1\n",
    "top = 1\n[\"quoted table\"]\nx = 1\n['lit.table']\ny = 2\n[\"\"]\nz = 3\n",
    "[a]\nb = 1\n[a.c]\nd = 2\n[e]\n[a.f]\n",
    /* arrays of tables */
    "[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n[[products]]  # empty table within the "
    "array\n\n[[products]]\nname = \"Nail\"\nsku = 284758393\n\ncolor = \"gray\"\n",
    "[[fruits]]\nname = \"apple\"\n\n[fruits.physical]  # subtable\ncolor = \"red\"\n"
    "shape = \"round\"\n\n[[fruits.varieties]]  # nested array of tables\nname = \"red "
    "delicious\"\n\n"
    "[[fruits.varieties]]\nname = \"granny smith\"\n\n\n[[fruits]]\nname = \"banana\"\n\n"
    "[[fruits.varieties]]\nname = \"plantain\"\n",
    "points = [ { x = 1, y = 2, z = 3 },\n           { x = 7, y = 8, z = 9 },\n"
    "           { x = 2, y = 4, z = 8 } ]\n",
    "[[a]]\nb.c = 1\n[[a]]\nb.c = 2\n[a.d]\ne = 3\n",
    "[[a.b]]\nx = 1\n[[a.b]]\nx = 2\n[a.c]\ny = 3\n[[a.b]]\n",
    "[[ a ]]\n[[ a . b ]]\n",
    /* inline tables */
    "name = { first = \"Tom\", last = \"Preston-Werner\" }\npoint = { x = 1, y = 2 }\n"
    "animal = { type.name = \"pug\" }\n",
    "e = {}\nn = { a = { b = { c = {} } } }\nd = { a.b = 1, a.c = 2, x = [1, {y = 2}] }\n",
    "i = {a=1,b=\"x\" , c = true}\n",
    /* line endings and layout */
    "a = 1\r\nb = \"two\"\r\n[t]\r\nc = [\r\n 1,\r\n 2\r\n]\r\n",
    "[t]   # comment after a header\n  indented = 1\n\t[u]\n",
    /* what the files distill reads look like */
    "[build-system]\nrequires = [\"setuptools>=61\", \"wheel\"]\nbuild-backend = "
    "\"setuptools.build_meta\"\n\n[project]\nname = \"app\"\nversion = \"1.0\"\n"
    "requires-python = \">=3.9\"\ndependencies = [\n    \"flask>=2.2\",\n"
    "    \"requests[security] (>=2.8.1, ==2.8.*) ; python_version < \\\"2.7\\\"\",\n]\n"
    "[project.optional-dependencies]\ntest = [\"pytest\"]\n[project.scripts]\napp = \"app:main\"\n"
    "[tool.black]\nline-length = 100\n",
    "[[package]]\nname = \"click\"\nversion = \"8.1.3\"\ndescription = \"Composable command line "
    "interface toolkit\"\noptional = false\npython-versions = \">=3.7\"\nfiles = [\n"
    "    {file = \"click-8.1.3-py3-none-any.whl\", hash = \"sha256:bb4d\"},\n]\n\n"
    "[package.dependencies]\ncolorama = {version = \"*\", markers = \"platform_system == "
    "\\\"Windows\\\"\"}\n\n[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.9\"\n"
    "content-hash = \"abc\"\n",
    "version = 1\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"app\"\nversion = "
    "\"0.1.0\"\nsource = { editable = \".\" }\ndependencies = [\n    { name = \"flask\" },\n]\n\n"
    "[package.metadata]\nrequires-dist = [{ name = \"flask\", specifier = \">=3\" }]\n",
};

/* Invalid TOML 1.0: each breaks one rule. */
static const char *const invalid_docs[] = {
    /* redefinitions */
    "a = 1\na = 2\n",
    "name = \"Tom\"\nname = \"Pradyun\"\n",
    "spelling = \"favorite\"\n\"spelling\" = \"favourite\"\n",
    "[a]\nb = 1\n[a]\nc = 2\n",
    "[fruit]\napple = \"red\"\n[fruit.apple]\ntexture = \"smooth\"\n",
    "fruit.apple = 1\nfruit.apple.smooth = true\n",
    "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple]\n",
    "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.taste]\n",
    "a.b = 1\n[a]\n",
    "[a.b]\nx = 1\n[a]\nb.y = 2\n",
    "[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n",
    "[a]\nb.c = 1\n[x]\n[a.b]\n",
    "[product]\ntype = { name = \"Nail\" }\ntype.edible = false\n",
    "[product]\ntype.name = \"Nail\"\ntype = { edible = false }\n",
    "a = {}\n[a]\n",
    "a = {b = {}}\n[a.b.c]\n",
    "a = {}\na.b = 1\n",
    "a = { b = 1, b = 2 }\n",
    "a = { b = {x = 1}, b.y = 2 }\n",
    "a = { b = 1, b.c = 2 }\n",
    "a = []\n[[a]]\n",
    "a = [{}]\n[[a]]\n",
    "a = [{b = 1}]\n[a.c]\n",
    "[[a]]\n[a]\n",
    "[a]\n[[a]]\n",
    "a = 1\n[a]\n",
    "a = 1\n[[a]]\n",
    "[a]\nb = 1\n[a.b]\n",
    "[[a]]\nb = 1\n[a.b]\n",
    "[[a.b]]\n[a]\nb.c = 1\n",
    "[t]\nx.y = 1\n[t.x]\n",
    /* keys */
    "= 1\n",
    "a b = 1\n",
    "a. = 1\n",
    "a..b = 1\n",
    ".a = 1\n",
    "a = 1 b = 2\n",
    "a\n= 1\n",
    "\"\"\"key\"\"\" = 1\n",
    "'''key''' = 1\n",
    "a.\"b\nc\" = 1\n",
    "k@y = 1\n",
    "[]\n",
    "[a.]\n",
    "[.a]\n",
    "[a..b]\n",
    "[a] b = 1\n",
    "[a\n",
    "[[a]\n",
    "[[a] ]\n",
    "[ [a]]\n",
    "[a]]\n",
    /* values */
    "a =\n",
    "a = \n",
    "a = # no value\n",
    "a = b\n",
    "a = TRUE\n",
    "a = tru\n",
    "a = true false\n",
    "a = 1 2\n",
    /* strings */
    "a = \"unterminated\n",
    "a = \"unterminated",
    "a = 'unterminated\n",
    "a = \"\"\"unterminated\n",
    "a = '''unterminated\n",
    "a = \"\\x41\"\n",
    "a = \"\\e\"\n",
    "a = \"\\ \"\n",
    "a = \"\\uD800\"\n",
    "a = \"\\uDFFF\"\n",
    "a = \"\\U00110000\"\n",
    "a = \"\\u12\"\n",
    "a = \"\\U1234567\"\n",
    "a = \"\\uZZZZ\"\n",
    "a = \"\\\n",
    "a = \"a\x01"
    "b\"\n",
    "a = \"a\x7f\"\n",
    "a = 'a\x1f"
    "b'\n",
    "a = \"\"\"a\x0b"
    "b\"\"\"\n",
    "a = '''a\rb'''\n",
    "a = \"\"\"a \\ b\"\"\"\n",
    "a = '''''''''\n",
    "a = \"a\"b\"\n",
    /* comments and line endings */
    "# comment \x01\n",
    "# comment \x7f\n",
    "a = 1\rb = 2\n",
    "a = 1\r",
    /* integers */
    "a = 01\n",
    "a = 00\n",
    "a = +01\n",
    "a = 1__0\n",
    "a = _1\n",
    "a = 1_\n",
    "a = 0x\n",
    "a = 0xG\n",
    "a = 0X10\n",
    "a = +0x10\n",
    "a = -0o7\n",
    "a = 0o8\n",
    "a = 0b2\n",
    "a = 0x_1\n",
    "a = 0b1__0\n",
    "a = 1a\n",
    "a = --1\n",
    /* floats */
    "a = 1.\n",
    "a = .1\n",
    "a = 1.e5\n",
    "a = 1e\n",
    "a = 1e+\n",
    "a = 1e_5\n",
    "a = 1.0e\n",
    "a = 1._0\n",
    "a = 1_.0\n",
    "a = 01.5\n",
    "a = infinity\n",
    "a = Inf\n",
    "a = NaN\n",
    "a = -in\n",
    "a = 1.2.3\n",
    /* date-times */
    "a = 2021-02-29\n",
    "a = 2021-13-01\n",
    "a = 2021-04-31\n",
    "a = 2021-00-10\n",
    "a = 2021-01-00\n",
    "a = 0000-01-01\n",
    "a = 1979-05-27T07:32\n",
    "a = 07:32\n",
    "a = 24:00:00\n",
    "a = 07:60:00\n",
    "a = 07:32:60\n",
    "a = 1979-05-27T07:32:00+07\n",
    "a = 1979-05-27T07:32:00+24:00\n",
    "a = 1979-05-27T07:32:00.\n",
    "a = 1979-05-27T\n",
    "a = 1979-5-27\n",
    "a = 79-05-27\n",
    "a = 1979-05-27X07:32:00\n",
    "a = 1979-05-27T07:32:00Zx\n",
    /* arrays */
    "a = [1 2]\n",
    "a = [1,,2]\n",
    "a = [,]\n",
    "a = [1,\n",
    "a = [\n",
    "a = [1, # comment\x01\n2]\n",
    /* inline tables */
    "a = { b = 1, }\n",
    "a = { b = 1\n}\n",
    "a = {\nb = 1 }\n",
    "a = { b = 1 c = 2 }\n",
    "a = { , }\n",
    "a = { b }\n",
    "a = {",
    /* text */
    "a = \"\xff\"\n",
    "a = \"\xc0\xaf\"\n",
    "a = \"\xed\xa0\x80\"\n",
    "\xef\xbb\xbf"
    "a = 1\n",
    "a = 1\n\x01\n",
    /* TOML 1.1, not 1.0 */
    "a = { b = 1,\n c = 2 }\n",
    "a = 07:32\n",
    "a = \"\\e\"\n",
    "a = \"\\x20\"\n",
};

/* Invalid documents with a NUL byte, which C strings cannot carry. */
#define WITH_NUL(s)                                                                                \
        {                                                                                          \
                s, sizeof(s) - 1                                                                   \
        }
static const struct {
        const char *text;
        size_t len;
} nul_docs[] = {
    WITH_NUL("a = 1 # \0\n"), WITH_NUL("a = \"\"\"a\0b\"\"\"\n"),
    WITH_NUL("a = \"\0\"\n"), WITH_NUL("a = '\0'\n"),
    WITH_NUL("\0 = 1\n"),     WITH_NUL("a = 1\0\n"),
};

struct verdict {
        size_t n_ok, n_refused, n_range;
        size_t mismatches;
};

/* One document both ways; `expect` is 1 (valid), 0 (invalid) or -1 (whatever tomllib says). */
static void compare_one(const char *path, const char *oracle_line, int expect, struct verdict *v)
{
        struct distill_error err = {0};
        json_t *got = NULL;
        int r = toml_read_file(path, &got, &err);
        bool oracle_ok = strncmp(oracle_line, "OK ", 3) == 0;
        bool oracle_range = strcmp(oracle_line, "RANGE") == 0;
        if (expect >= 0 && (oracle_ok || oracle_range) != (expect == 1)) {
                print_error("%s: the oracle says \"%.200s\", the test expected it %s\n", path,
                            oracle_line, expect ? "valid" : "invalid");
                v->mismatches++;
        }
        if (oracle_ok) {
                json_error_t jerr;
                json_t *want = json_loads(oracle_line + 3, JSON_ALLOW_NUL, &jerr);
                if (!want) {
                        print_error("%s: cannot load the oracle's JSON: %s\n", path, jerr.text);
                        v->mismatches++;
                } else if (r < 0) {
                        print_error("%s: tomllib accepts it, distill refuses: %s\n", path, err.msg);
                        v->mismatches++;
                } else if (!json_equal(got, want)) {
                        char *a = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
                        char *b = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
                        print_error("%s: different values\n distill: %.2000s\n tomllib: %.2000s\n",
                                    path, a, b);
                        free(a);
                        free(b);
                        v->mismatches++;
                }
                json_decref(want);
                v->n_ok++;
        } else {
                const char *why = oracle_range ? "64-bit range" : "";
                if (r >= 0 || err.code != DISTILL_EUSAGE || !strstr(err.msg, why) ||
                    strncmp(err.msg, path, strlen(path)) != 0) {
                        print_error("%s: tomllib says \"%.200s\", distill %s: %s\n", path,
                                    oracle_line, r >= 0 ? "accepts it" : "refuses it",
                                    r >= 0 ? "" : err.msg);
                        v->mismatches++;
                }
                if (oracle_range)
                        v->n_range++;
                else
                        v->n_refused++;
        }
        json_decref(got);
}

/* Runs the oracle over paths[0..n) (in batches, for the command line's length) and compares. */
static void compare_all(char **paths, const int *expect, size_t n, struct verdict *v)
{
        for (size_t b = 0; b < n; b += 200) {
                size_t e = n - b < 200 ? n : b + 200;
                struct strbuf cmd = STRBUF_INIT;
                strbuf_addf(&cmd, "%s %s/tests/unit/convert/toml_oracle.py", PYTHON,
                            fixture_source_dir());
                for (size_t i = b; i < e; i++)
                        strbuf_addf(&cmd, " '%s'", paths[i]);
                char *out = fixture_sh_out("%s", cmd.buf);
                strbuf_release(&cmd);
                assert_non_null(out);
                char *line = out;
                for (size_t i = b; i < e; i++) {
                        char *nl = strchr(line, '\n');
                        assert_non_null(nl);
                        *nl = '\0';
                        compare_one(paths[i], line, expect ? expect[i] : -1, v);
                        line = nl + 1;
                }
                free(out);
        }
}

static void write_bytes(const char *path, const char *data, size_t len)
{
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        fclose(f);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_oracle_documents(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        size_t n = N(valid_docs) + N(invalid_docs) + N(nul_docs);
        char **paths = xcalloc(n, sizeof(*paths));
        int *expect = xcalloc(n, sizeof(*expect));
        for (size_t i = 0; i < n; i++) {
                bool valid = i < N(valid_docs);
                size_t k = i - N(valid_docs);
                paths[i] = xasprintf("%s/%s-%03zu.toml", dir, valid ? "valid" : "invalid", i);
                if (valid)
                        write_bytes(paths[i], valid_docs[i], strlen(valid_docs[i]));
                else if (k < N(invalid_docs))
                        write_bytes(paths[i], invalid_docs[k], strlen(invalid_docs[k]));
                else
                        write_bytes(paths[i], nul_docs[k - N(invalid_docs)].text,
                                    nul_docs[k - N(invalid_docs)].len);
                expect[i] = valid;
        }
        struct verdict v = {0};
        compare_all(paths, expect, n, &v);
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);
        free(expect);
        fixture_cleanup(dir);
        free(dir);
        print_message("documents: %zu accepted by both, %zu refused by both, %zu mismatches\n",
                      v.n_ok, v.n_refused + v.n_range, v.mismatches);
        assert_int_equal(v.mismatches, 0);
        assert_int_equal(v.n_ok, N(valid_docs));
}

/* The TOML this system carries: pyproject.toml files, lock files, and CPython's tomllib test
 * data (valid and invalid) when an installed interpreter ships its test suite. */
static void test_oracle_system_files(void **state)
{
        (void)state;
        char *list = fixture_sh_out(
            "find /usr /opt /root /srv /home -xdev \\( -name pyproject.toml -o -name poetry.lock "
            "-o -name uv.lock -o -path '*test_tomllib/data/*.toml' \\) -type f -size -1024k "
            "2>/dev/null | grep -v \"'\" | sort | head -600");
        assert_non_null(list);
        struct strvec paths = STRVEC_INIT;
        for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n"))
                strvec_push(&paths, line);
        free(list);
        struct verdict v = {0};
        compare_all(paths.v, NULL, paths.n, &v);
        print_message("system files: %zu (%zu accepted, %zu refused), %zu mismatches\n", paths.n,
                      v.n_ok, v.n_refused + v.n_range, v.mismatches);
        strvec_clear(&paths);
        assert_int_equal(v.mismatches, 0);
}

/* Mutants of the valid documents: bytes replaced, deleted or inserted, with the characters TOML's
 * grammar turns on. Both readers must still agree. */
static void test_oracle_mutants(void **state)
{
        (void)state;
        static const char alphabet[] = "[]{}\"'.,=#\n \t\\_-+:0159aexZTufn\x01\xc3\xa9";
        char *dir = fixture_tmpdir();
        size_t n = 1500;
        char **paths = xcalloc(n, sizeof(*paths));
        unsigned seed = 12345;
        for (size_t i = 0; i < n; i++) {
                const char *src = valid_docs[i % N(valid_docs)];
                size_t len = strlen(src);
                char *buf = xmalloc(len + 8);
                memcpy(buf, src, len);
                int edits = 1 + (int)(rand_r(&seed) % 3);
                for (int e = 0; e < edits; e++) {
                        size_t at = len ? (size_t)rand_r(&seed) % (len + 1) : 0;
                        char c = alphabet[(size_t)rand_r(&seed) % (sizeof(alphabet) - 1)];
                        switch (rand_r(&seed) % 3) {
                        case 0:
                                if (at < len)
                                        buf[at] = c;
                                break;
                        case 1:
                                if (at < len) {
                                        memmove(buf + at, buf + at + 1, len - at - 1);
                                        len--;
                                }
                                break;
                        default:
                                memmove(buf + at + 1, buf + at, len - at);
                                buf[at] = c;
                                len++;
                        }
                }
                paths[i] = xasprintf("%s/mutant-%03zu.toml", dir, i);
                write_bytes(paths[i], buf, len);
                free(buf);
        }
        struct verdict v = {0};
        compare_all(paths, NULL, n, &v);
        print_message("mutants: %zu accepted by both, %zu refused by both, %zu mismatches\n",
                      v.n_ok, v.n_refused + v.n_range, v.mismatches);
        for (size_t i = 0; i < n; i++)
                free(paths[i]);
        free(paths);
        fixture_cleanup(dir);
        free(dir);
        assert_int_equal(v.mismatches, 0);
}

/* ---- unit cases ---- */

static json_t *parse_ok(const char *text)
{
        struct distill_error err = {0};
        json_t *j = NULL;
        if (toml_parse("t.toml", text, strlen(text), &j, &err) < 0)
                fail_msg("refused: %s", err.msg);
        return j;
}

static void expect_error(const char *text, size_t len, const char *msg)
{
        struct distill_error err = {0};
        json_t *j = (json_t *)1;
        int r = toml_parse("t.toml", text, len, &j, &err);
        assert_int_equal(r, -DISTILL_EUSAGE);
        assert_null(j);
        if (strcmp(err.msg, msg) != 0)
                fail_msg("for %s\n got      %s\n expected %s", text, err.msg, msg);
}

#define EXPECT_ERROR(text, msg) expect_error(text, sizeof(text) - 1, msg)

static void test_values_as_json(void **state)
{
        (void)state;
        json_t *j = parse_ok("s = 'x'\ni = 0x10\nf = 1.5\nb = true\nd = 1979-05-27T07:32:00.5z\n"
                             "n = -nan\nt = { a.b = [1, \"2\"] }\n[[x]]\n[[x]]\ny = 1\n");
        char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
        assert_string_equal(text, "{\"b\":true,\"d\":\"1979-05-27T07:32:00.500000Z\",\"f\":1.5,"
                                  "\"i\":16,\"n\":\"nan\",\"s\":\"x\",\"t\":{\"a\":{\"b\":[1,"
                                  "\"2\"]}},\"x\":[{},{\"y\":1}]}");
        free(text);
        json_decref(j);
        /* a NUL inside a string and a key stays */
        j = parse_ok("\"a\\u0000b\" = \"c\\u0000d\"\n");
        json_t *v = json_object_getn(j, "a\0b", 3);
        assert_non_null(v);
        assert_int_equal(json_string_length(v), 3);
        assert_memory_equal(json_string_value(v), "c\0d", 3);
        json_decref(j);
}

static void test_error_positions(void **state)
{
        (void)state;
        EXPECT_ERROR("a = 1\na = 2\n", "t.toml:2:1: key a defined twice");
        EXPECT_ERROR("[a]\nb = 1\n[a]\n",
                     "t.toml:3:2: table [a] defined twice: it is already a table defined by a "
                     "header");
        EXPECT_ERROR("x.y = 1\n[x]\n", "t.toml:2:2: table [x] defined twice: it is already a "
                                       "table defined by dotted keys");
        EXPECT_ERROR("[ a . \"b c\" ]\n[a.'b c']\n",
                     "t.toml:2:4: table [a.\"b c\"] defined twice: it is already a table defined "
                     "by a header");
        EXPECT_ERROR("a = {}\na.b = 1\n",
                     "t.toml:2:1: dotted key cannot extend a: it is an inline table");
        EXPECT_ERROR("[a.b]\n[a]\nb.c = 1\n",
                     "t.toml:3:1: dotted key cannot extend b: it is a table defined by a header");
        EXPECT_ERROR("a = [1]\n[[a]]\n",
                     "t.toml:2:3: [[a]]: a is already an inline array, not an array of tables");
        EXPECT_ERROR("a = {b = {}}\n[a.b.c]\n",
                     "t.toml:2:2: a is already an inline table: a header cannot extend it");
        EXPECT_ERROR("a = { b = 1, b = 2 }\n", "t.toml:1:14: key b defined twice");
        EXPECT_ERROR("s = \"abc\n", "t.toml:1:5: unterminated string (it ends before the line)");
        EXPECT_ERROR("s = '''abc\n", "t.toml:1:5: unterminated string");
        EXPECT_ERROR("x = \"é\" y\n", "t.toml:1:9: expected the end of the line");
        EXPECT_ERROR("a = 01\n", "t.toml:1:6: expected the end of the line");
        EXPECT_ERROR("a = \"\\x41\"\n", "t.toml:1:6: invalid escape sequence in a string");
        EXPECT_ERROR("a = \"\\uD800\"\n",
                     "t.toml:1:6: \\u escape U+D800 is not a Unicode scalar value");
        EXPECT_ERROR("a = \"\tb\x01\"\n", "t.toml:1:8: control character U+0001 in a string");
        EXPECT_ERROR("a = 1\r\nb = \r\n", "t.toml:2:5: expected a value");
        EXPECT_ERROR("a = 1 # \x7f\n", "t.toml:1:9: control character U+007F in a comment");
        EXPECT_ERROR("a = \"\xff\"\n", "t.toml:1:6: not valid UTF-8");
        EXPECT_ERROR("a = 2021-02-29\n", "t.toml:1:5: invalid date");
        EXPECT_ERROR("a = 9223372036854775808\n", "t.toml:1:5: integer out of the 64-bit range");
        EXPECT_ERROR("a = 0x8000000000000000\n", "t.toml:1:5: integer out of the 64-bit range");
        EXPECT_ERROR("a = [1 2]\n", "t.toml:1:8: expected ',' or ']' after an array element");
        EXPECT_ERROR("a = {b = 1,}\n",
                     "t.toml:1:12: expected a key (letters, digits, '-', '_' or a quoted string)");
        EXPECT_ERROR("a = {b = 1\n}\n",
                     "t.toml:1:11: expected ',' or '}' after a value of an inline table (which "
                     "fits on one line)");
        EXPECT_ERROR("[a\n", "t.toml:1:3: expected ']' to close the table header");
        EXPECT_ERROR("[[a]\n", "t.toml:1:4: expected ']]' to close the table header");
        EXPECT_ERROR("a b = 1\n", "t.toml:1:3: expected '=' after a key");
        EXPECT_ERROR("= 1\n", "t.toml:1:1: expected a key, a [table] header or a comment");
        EXPECT_ERROR("a = \"\"\"x \\ y\"\"\"\n",
                     "t.toml:1:10: a backslash followed by blanks must end the line");
}

static void test_caps(void **state)
{
        (void)state;
        struct strbuf sb = STRBUF_INIT;
        /* nesting: 64 deep is fine, 65 is not; 100000 deep is refused, not a stack overflow */
        strbuf_adds(&sb, "a = ");
        for (int i = 0; i < TOML_MAX_NESTING; i++)
                strbuf_addch(&sb, '[');
        for (int i = 0; i < TOML_MAX_NESTING; i++)
                strbuf_addch(&sb, ']');
        json_decref(parse_ok(sb.buf));
        strbuf_reset(&sb);
        strbuf_adds(&sb, "a = ");
        for (int i = 0; i < 100000; i++)
                strbuf_adds(&sb, i % 2 ? "[" : "{b=");
        expect_error(sb.buf, sb.len,
                     "t.toml:1:133: arrays and inline tables nested more than 64 deep");
        /* key parts */
        strbuf_reset(&sb);
        for (int i = 0; i < TOML_MAX_KEY_PARTS; i++)
                strbuf_adds(&sb, i ? ".k" : "k");
        strbuf_adds(&sb, " = 1\n");
        json_decref(parse_ok(sb.buf));
        strbuf_reset(&sb);
        strbuf_adds(&sb, "[");
        for (int i = 0; i < 10000; i++)
                strbuf_adds(&sb, i ? ".k" : "k");
        strbuf_adds(&sb, "]\n");
        expect_error(sb.buf, sb.len, "t.toml:1:130: a key of more than 64 parts");
        /* values */
        strbuf_reset(&sb);
        strbuf_adds(&sb, "a = [");
        for (int i = 0; i < TOML_MAX_VALUES; i++)
                strbuf_adds(&sb, "0,");
        strbuf_adds(&sb, "]\n");
        struct distill_error err = {0};
        json_t *j = NULL;
        assert_int_equal(toml_parse("t.toml", sb.buf, sb.len, &j, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "more than 2000000 values"));
        strbuf_release(&sb);
        /* size, through the file reader */
        char *dir = fixture_tmpdir();
        char *path = path_join(dir, "big.toml");
        assert_int_equal(fixture_sh("truncate -s %u '%s'", TOML_MAX_SIZE + 1, path), 0);
        assert_int_equal(toml_read_file(path, &j, &err), -DISTILL_EUSAGE);
        assert_non_null(strstr(err.msg, "larger than"));
        free(path);
        path = path_join(dir, "absent.toml");
        assert_int_equal(toml_read_file(path, &j, &err), -DISTILL_EIO);
        free(path);
        fixture_cleanup(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_values_as_json),
            cmocka_unit_test(test_error_positions),
            cmocka_unit_test(test_caps),
            cmocka_unit_test(test_oracle_documents),
            cmocka_unit_test(test_oracle_system_files),
            cmocka_unit_test(test_oracle_mutants),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
