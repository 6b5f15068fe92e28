/* Tests for the requirements of pyproject.toml, poetry.lock and uv.lock, on fixtures shaped like
 * what Poetry 1.x/2.x and uv write. Every requirement and specifier produced is checked with
 * Python's `packaging` (Debian's python3-packaging, the library pip vendors) as the PEP 508 /
 * PEP 440 oracle: it must parse, and the Poetry ranges must admit exactly the versions Poetry's
 * documentation says. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"
#include "distill/convert/pyproject.h"
#include "fixture.h"

#define PYTHON "/usr/bin/python3.11"

/* "requirement <TAB> origin" lines, then "note: ..." lines, then "python: X" */
static char *format_reqs(const struct pyproject_reqs *r)
{
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < r->n; i++)
                strbuf_addf(&sb, "%s\t%s\n", r->v[i].requirement, r->v[i].origin);
        for (size_t i = 0; i < r->notes.n; i++)
                strbuf_addf(&sb, "note: %s\n", r->notes.v[i]);
        strbuf_addf(&sb, "python: %s\n", r->requires_python ? r->requires_python : "-");
        return strbuf_detach(&sb);
}

/* Every requirement parses as PEP 508 for `packaging`. */
static void check_pep508(const struct pyproject_reqs *r)
{
        char *dir = fixture_tmpdir();
        char *list = path_join(dir, "reqs");
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < r->n; i++)
                strbuf_addf(&sb, "%s\n", r->v[i].requirement);
        fixture_write(list, sb.buf ? sb.buf : "");
        strbuf_release(&sb);
        char *out =
            fixture_sh_out("%s -c 'import sys\nfrom packaging.requirements import Requirement\n"
                           "for l in open(sys.argv[1]):\n"
                           "  try: Requirement(l.strip())\n"
                           "  except Exception as e: print(repr(l), e)' '%s'",
                           PYTHON, list);
        assert_non_null(out);
        if (*out)
                fail_msg("packaging refuses: %s", out);
        free(out);
        free(list);
        fixture_cleanup(dir);
        free(dir);
}

typedef int (*reader_fn)(const char *, struct pyproject_reqs *, struct distill_error *);

/* Writes FILES ("name", "content", ... NULL) into a fresh directory, reads the first with
 * READER and compares the formatted result, with the directory written as "D". */
static void expect_read(reader_fn reader, const char *expected, ...)
{
        char *dir = fixture_tmpdir();
        va_list ap;
        va_start(ap, expected);
        char *first = NULL;
        for (const char *name; (name = va_arg(ap, const char *));) {
                char *path = path_join(dir, name);
                fixture_write(path, va_arg(ap, const char *));
                if (!first)
                        first = xstrdup(path);
                free(path);
        }
        va_end(ap);
        struct pyproject_reqs r;
        struct distill_error err = {0};
        if (reader(first, &r, &err) < 0)
                fail_msg("refused: %s", err.msg);
        char *got = format_reqs(&r);
        /* the directory is random: name it D */
        struct strbuf norm = STRBUF_INIT;
        size_t dl = strlen(dir);
        for (const char *p = got; *p;)
                if (strncmp(p, dir, dl) == 0) {
                        strbuf_addch(&norm, 'D');
                        p += dl;
                } else {
                        strbuf_addch(&norm, *p++);
                }
        if (strcmp(norm.buf, expected) != 0)
                fail_msg("got:\n%s\nexpected:\n%s", norm.buf, expected);
        check_pep508(&r);
        strbuf_release(&norm);
        free(got);
        pyproject_reqs_release(&r);
        free(first);
        fixture_cleanup(dir);
        free(dir);
}

static void expect_refusal(reader_fn reader, const char *content, int kind, const char *msg)
{
        char *dir = fixture_tmpdir();
        char *path = path_join(dir, "f.toml");
        fixture_write(path, content);
        struct pyproject_reqs r;
        struct distill_error err = {0};
        assert_int_equal(reader(path, &r, &err), -kind);
        assert_null(r.v);
        char *want = xasprintf("%s%s", path, msg);
        if (strcmp(err.msg, want) != 0)
                fail_msg("got %s\nexpected %s", err.msg, want);
        free(want);
        free(path);
        fixture_cleanup(dir);
        free(dir);
}

static void test_poetry_constraints(void **state)
{
        (void)state;
        /* Poetry's documentation (dependency-specification), table by table */
        static const char *const cases[][2] = {
            {"^1.2.3", ">=1.2.3,<2.0.0"},
            {"^1.2", ">=1.2.0,<2.0.0"},
            {"^1", ">=1.0.0,<2.0.0"},
            {"^0.2.3", ">=0.2.3,<0.3.0"},
            {"^0.0.3", ">=0.0.3,<0.0.4"},
            {"^0.0", ">=0.0.0,<0.1.0"},
            {"^0", ">=0.0.0,<1.0.0"},
            {"~1.2.3", ">=1.2.3,<1.3.0"},
            {"~1.2", ">=1.2.0,<1.3.0"},
            {"~1", ">=1.0.0,<2.0.0"},
            {"*", ""},
            {"1.*", ">=1.0.0,<2.0.0"},
            {"1.2.*", ">=1.2.0,<1.3.0"},
            {">= 1.2.0", ">=1.2.0"},
            {"> 1", ">1"},
            {"< 2", "<2"},
            {"!= 1.2.3", "!=1.2.3"},
            {">= 1.2, < 1.5", ">=1.2,<1.5"},
            {">=1.2 <1.5", ">=1.2,<1.5"},
            {"1.2.3", "==1.2.3"},
            {"==1.2.3", "==1.2.3"},
            {"=1.2.3", "==1.2.3"},
            {"~=1.2", "~=1.2"},
            {"!=1.2.*", "!=1.2.*"},
            {"^2.28.1", ">=2.28.1,<3.0.0"},
            {"^1.2.3rc1", ">=1.2.3rc1,<2.0.0"},
            {"^1.2.3.4", ">=1.2.3.4,<2.0.0"},
            {"", ""},
        };
        struct strbuf specs = STRBUF_INIT;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *out;
                const char *why;
                if (poetry_constraint_pep440(cases[i][0], &out, &why) < 0)
                        fail_msg("\"%s\" refused: %s", cases[i][0], why);
                if (strcmp(out, cases[i][1]) != 0)
                        fail_msg("\"%s\": got \"%s\", expected \"%s\"", cases[i][0], out,
                                 cases[i][1]);
                strbuf_addf(&specs, "%s\n", out);
                free(out);
        }
        static const char *const refused[] = {"^1.2 || ^2.0", "^1 | ^2", "^",  ">=",   "abc",
                                              ">=1.*",        "1.*.2",   "^x", "1.2\n"};
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                char *out = (char *)1;
                const char *why = NULL;
                if (poetry_constraint_pep440(refused[i], &out, &why) == 0)
                        fail_msg("\"%s\" accepted as \"%s\"", refused[i], out);
                assert_null(out);
                assert_non_null(why);
        }
        /* packaging parses each and admits the versions the documentation's ranges do */
        char *dir = fixture_tmpdir();
        char *path = path_join(dir, "specs");
        fixture_write(path, specs.buf);
        strbuf_release(&specs);
        char *out = fixture_sh_out(
            "%s -c 'import sys\nfrom packaging.specifiers import SpecifierSet\n"
            "s=[SpecifierSet(l.strip()) for l in open(sys.argv[1])]\n"
            "print(\"1.9.9\" in s[0], \"2.0.0\" in s[0], \"1.2.2\" in s[0], \"0.2.9\" in s[3], "
            "\"0.3.0\" in s[3], \"0.0.3\" in s[4], \"0.0.4\" in s[4], \"1.2.99\" in s[7], "
            "\"1.3\" in s[7], \"1.99\" in s[11], \"1.3.0\" in s[12], \"7\" in s[10])' '%s'",
            PYTHON, path);
        assert_non_null(out);
        assert_string_equal(out, "True False False True False True False True False True "
                                 "False True\n");
        free(out);
        free(path);
        fixture_cleanup(dir);
        free(dir);
}

static void test_pyproject_pep621(void **state)
{
        (void)state;
        expect_read(
            pyproject_read,
            "flask>=2.2\tD/pyproject.toml: project.dependencies[0]\n"
            "requests[security]==2.28.1\tD/pyproject.toml: project.dependencies[1]\n"
            "importlib-metadata>=4; python_version < \"3.10\"\tD/pyproject.toml: "
            "project.dependencies[2]\n"
            "note: D/pyproject.toml: tool.poetry.dependencies not read: "
            "project.dependencies declares the requirements\n"
            "note: D/pyproject.toml: project.optional-dependencies skipped (extras test, "
            "docs): installed only when asked for\n"
            "note: D/pyproject.toml: dependency-groups skipped: not installed with the "
            "project\n"
            "python: >=3.9\n",
            "pyproject.toml",
            "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = "
            "\"hatchling.build\"\n\n"
            "[project]\nname = \"app\"\nversion = \"1.0.0\"\n"
            "requires-python = \">=3.9\"\n"
            "dependencies = [\n  \"flask>=2.2\",\n  'requests[security]==2.28.1',  # pinned\n"
            "  \"importlib-metadata>=4; python_version < \\\"3.10\\\"\",\n]\n"
            "[project.optional-dependencies]\ntest = [\"pytest>=7\"]\ndocs = [\"sphinx\"]\n"
            "[dependency-groups]\ndev = [\"ruff\"]\n"
            "[tool.poetry.dependencies]\npython = \"^3.9\"\nflask = \"^2\"\n",
            NULL);
        /* dynamic dependencies, nothing declared */
        expect_read(pyproject_read,
                    "note: D/pyproject.toml: project.dependencies is dynamic (the build backend "
                    "computes it): not read\n"
                    "note: D/pyproject.toml: declares no dependencies ([project] or "
                    "[tool.poetry])\n"
                    "python: -\n",
                    "pyproject.toml",
                    "[project]\nname = \"app\"\ndynamic = [\"version\", \"dependencies\"]\n", NULL);
}

static void test_pyproject_poetry(void **state)
{
        (void)state;
        expect_read(
            pyproject_read,
            "flask>=2.2.0,<3.0.0\tD/pyproject.toml: tool.poetry.dependencies.flask\n"
            "requests[socks,security]>=2.28.0,<2.29.0\tD/pyproject.toml: "
            "tool.poetry.dependencies.requests\n"
            "pendulum>=2.1.0,<3.0.0; (python_full_version >= \"3.9.0\" and python_full_version < "
            "\"4.0.0\") and (sys_platform == \"linux\") and (implementation_name == "
            "'cpython')\tD/pyproject.toml: tool.poetry.dependencies.pendulum\n"
            "Django>=3.2.0,<3.3.0\tD/pyproject.toml: tool.poetry.dependencies.Django\n"
            "numpy<=1.9; (python_version >= \"3.6\" and python_version < \"3.8\")\t"
            "D/pyproject.toml: tool.poetry.dependencies.numpy[0]\n"
            "numpy>=2.0.0,<3.0.0; (python_version >= \"3.8\")\tD/pyproject.toml: "
            "tool.poetry.dependencies.numpy[1]\n"
            "anyver\tD/pyproject.toml: tool.poetry.dependencies.anyver\n"
            "either\tD/pyproject.toml: tool.poetry.dependencies.either\n"
            "note: D/pyproject.toml: tool.poetry.dependencies.either: version \"^1 || ^2\": an "
            "alternative (||) has no single PEP 440 form; taken without a version\n"
            "note: D/pyproject.toml: tool.poetry.dependencies.mylib is a git dependency: not a "
            "package index's, not mapped to a Debian package\n"
            "note: D/pyproject.toml: tool.poetry.dependencies.local is a path dependency: not a "
            "package index's, not mapped to a Debian package\n"
            "note: D/pyproject.toml: tool.poetry.dependencies.wheel-url is a url dependency: not "
            "a package index's, not mapped to a Debian package\n"
            "note: D/pyproject.toml: tool.poetry.dependencies.psycopg2 is optional (installed "
            "only with the project's extras: pgsql, all): skipped\n"
            "note: D/pyproject.toml: tool.poetry.dev-dependencies skipped: development "
            "dependencies are not installed in the image\n"
            "note: D/pyproject.toml: tool.poetry.group.dev skipped: only the main group is "
            "installed\n"
            "note: D/pyproject.toml: tool.poetry.group.docs skipped: only the main group is "
            "installed\n"
            "python: >=3.9.0,<4.0.0\n",
            "pyproject.toml",
            "[tool.poetry]\nname = \"app\"\nversion = \"0.1.0\"\ndescription = \"\"\n"
            "authors = [\"A <a@example.com>\"]\n\n"
            "[tool.poetry.dependencies]\npython = \"^3.9\"\nflask = \"^2.2\"\n"
            "requests = { version = \"~2.28\", extras = [\"socks\", \"security\"] }\n"
            "pendulum = { version = \"^2.1\", python = \"^3.9\", platform = \"linux\", markers = "
            "\"implementation_name == 'cpython'\" }\n"
            "Django = \"3.2.*\"\n"
            "numpy = [\n  { version = \"<=1.9\", python = \">=3.6,<3.8\" },\n"
            "  { version = \"^2.0\", python = \">=3.8\" },\n]\n"
            "anyver = \"*\"\neither = \"^1 || ^2\"\n"
            "mylib = { git = \"https://github.com/x/mylib.git\", branch = \"main\" }\n"
            "local = { path = \"../local\", develop = true }\n"
            "wheel-url = { url = \"https://example.com/w-1.0-py3-none-any.whl\" }\n"
            "psycopg2 = { version = \"^2.9\", optional = true }\n\n"
            "[tool.poetry.extras]\npgsql = [\"psycopg2\"]\nall = [\"psycopg2\", \"x\"]\n\n"
            "[tool.poetry.dev-dependencies]\nblack = \"*\"\n"
            "[tool.poetry.group.dev.dependencies]\npytest = \"^7\"\n"
            "[tool.poetry.group.docs]\noptional = true\n[tool.poetry.group.docs.dependencies]\n"
            "mkdocs = \"*\"\n",
            NULL);
}

static void test_pyproject_errors(void **state)
{
        (void)state;
        expect_refusal(pyproject_read, "[project]\ndependencies = [\"a\",\n\"b\" \"c\"]\n",
                       DISTILL_EUSAGE, ":3:5: expected ',' or ']' after an array element");
        expect_refusal(pyproject_read, "[project]\ndependencies = \"flask\"\n", DISTILL_EUSAGE,
                       ": project.dependencies must be an array of strings");
        expect_refusal(pyproject_read, "[project]\ndependencies = [\"ok\", 3]\n", DISTILL_EUSAGE,
                       ": project.dependencies[1] must be a PEP 508 requirement string");
        expect_refusal(pyproject_read, "[project]\ndependencies = [\"a\\nb\"]\n", DISTILL_EUSAGE,
                       ": project.dependencies[0] must be a PEP 508 requirement string");
        expect_refusal(pyproject_read, "[tool.poetry.dependencies]\n\"bad name!\" = \"1\"\n",
                       DISTILL_EUSAGE,
                       ": tool.poetry.dependencies.bad name! must be named by a distribution "
                       "name");
        expect_refusal(pyproject_read, "[tool.poetry.dependencies]\nx = 1\n", DISTILL_EUSAGE,
                       ": tool.poetry.dependencies.x must be a version string, a table or a list");
        expect_refusal(uv_lock_read,
                       "version = 1\n[[package]]\nname = \"flask\"\nversion = \"3.0.0\"\n"
                       "source = { registry = \"https://pypi.org/simple\" }\n",
                       DISTILL_EUSAGE,
                       ": no root project (a package whose source is { editable = \".\" } or { "
                       "virtual = \".\" })");
        expect_refusal(poetry_lock_read, "[[package]]\nname = \"-x\"\nversion = \"1\"\n",
                       DISTILL_EUSAGE,
                       ": package[0] needs a distribution name and a PEP 440 version");
        expect_refusal(poetry_lock_read, "package = 1\n", DISTILL_EUSAGE,
                       ": package must be an array of tables");
        struct pyproject_reqs r;
        struct distill_error err = {0};
        assert_int_equal(uv_lock_read("/nonexistent/uv.lock", &r, &err), -DISTILL_EIO);
}

/* poetry.lock as Poetry 1.x writes it: category = "main" | "dev". */
static const char poetry_lock_1x[] =
    "# This file is automatically @generated by Poetry 1.4.2 and should not be changed by hand.\n"
    "\n[[package]]\nname = \"click\"\nversion = \"8.1.3\"\n"
    "description = \"Composable command line interface toolkit\"\ncategory = \"main\"\n"
    "optional = false\npython-versions = \">=3.7\"\nfiles = [\n"
    "    {file = \"click-8.1.3-py3-none-any.whl\", hash = "
    "\"sha256:bb4d8133cb15a609f44e8213d9b391b0809795062913b383c62be0ee95b1db48\"},\n"
    "    {file = \"click-8.1.3.tar.gz\", hash = "
    "\"sha256:7682dc8afb30297001674575ea00d1814d808d6a36af415a82bd481d37ba7b8e\"},\n]\n\n"
    "[package.dependencies]\ncolorama = {version = \"*\", markers = \"platform_system == "
    "\\\"Windows\\\"\"}\n\n"
    "[[package]]\nname = \"flask\"\nversion = \"2.2.3\"\ndescription = \"A simple framework\"\n"
    "category = \"main\"\noptional = false\npython-versions = \">=3.7\"\nfiles = []\n\n"
    "[package.dependencies]\nclick = \">=8.0\"\nitsdangerous = \">=2.0\"\n\n"
    "[package.extras]\nasync = [\"asgiref (>=3.2)\"]\ndotenv = [\"python-dotenv\"]\n\n"
    "[[package]]\nname = \"itsdangerous\"\nversion = \"2.1.2\"\ndescription = \"\"\n"
    "category = \"main\"\noptional = false\npython-versions = \">=3.7\"\nfiles = []\n\n"
    "[[package]]\nname = \"pytest\"\nversion = \"7.2.2\"\ndescription = \"\"\n"
    "category = \"dev\"\noptional = false\npython-versions = \">=3.7\"\nfiles = []\n\n"
    "[[package]]\nname = \"mylib\"\nversion = \"0.3.0\"\ndescription = \"\"\n"
    "category = \"main\"\noptional = false\npython-versions = \"*\"\nfiles = []\ndevelop = true\n\n"
    "[package.source]\ntype = \"directory\"\nurl = \"../mylib\"\n\n"
    "[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.9\"\n"
    "content-hash = \"0123456789abcdef\"\n";

static void test_poetry_lock(void **state)
{
        (void)state;
        expect_read(poetry_lock_read,
                    "click==8.1.3\tD/poetry.lock: package click 8.1.3\n"
                    "flask==2.2.3\tD/poetry.lock: package flask 2.2.3\n"
                    "itsdangerous==2.1.2\tD/poetry.lock: package itsdangerous 2.1.2\n"
                    "note: D/poetry.lock: mylib comes from its own source, not a package index: "
                    "not mapped\n"
                    "python: >=3.9.0,<4.0.0\n",
                    "poetry.lock", poetry_lock_1x, NULL);
        /* Poetry 2.x (lock-version 2.1): groups and markers, a string or one per group */
        expect_read(poetry_lock_read,
                    "colorama==0.4.6; platform_system == \"Windows\"\tD/poetry.lock: package "
                    "colorama 0.4.6\n"
                    "flask==3.1.0\tD/poetry.lock: package flask 3.1.0\n"
                    "tomli==2.2.1; python_version < \"3.11\"\tD/poetry.lock: package tomli 2.2.1\n"
                    "python: >=3.9,<4.0\n",
                    "poetry.lock",
                    "[[package]]\nname = \"colorama\"\nversion = \"0.4.6\"\ndescription = \"\"\n"
                    "optional = false\npython-versions = \"*\"\ngroups = [\"main\", \"dev\"]\n"
                    "markers = \"platform_system == \\\"Windows\\\"\"\nfiles = []\n\n"
                    "[[package]]\nname = \"flask\"\nversion = \"3.1.0\"\ndescription = \"\"\n"
                    "optional = false\npython-versions = \">=3.9\"\ngroups = [\"main\"]\nfiles = "
                    "[]\n\n"
                    "[[package]]\nname = \"pytest\"\nversion = \"8.3.4\"\ndescription = \"\"\n"
                    "optional = false\npython-versions = \">=3.8\"\ngroups = [\"dev\"]\nfiles = "
                    "[]\n\n"
                    "[[package]]\nname = \"tomli\"\nversion = \"2.2.1\"\ndescription = \"\"\n"
                    "optional = false\npython-versions = \">=3.8\"\ngroups = [\"main\", \"dev\"]\n"
                    "markers = {main = \"python_version < \\\"3.11\\\"\", dev = "
                    "\"python_full_version <= \\\"3.11.0a6\\\"\"}\nfiles = []\n\n"
                    "[metadata]\nlock-version = \"2.1\"\npython-versions = \">=3.9,<4.0\"\n"
                    "content-hash = \"ab\"\n",
                    NULL);
}

/* lock-version 2.0 records no groups: the closure of the pyproject.toml beside it. */
static void test_poetry_lock_closure(void **state)
{
        (void)state;
        static const char lock[] =
            "[[package]]\nname = \"certifi\"\nversion = \"2023.5.7\"\ndescription = \"\"\n"
            "optional = false\npython-versions = \">=3.6\"\nfiles = []\n\n"
            "[[package]]\nname = \"colorama\"\nversion = \"0.4.6\"\ndescription = \"\"\n"
            "optional = false\npython-versions = \"*\"\nfiles = []\n\n"
            "[[package]]\nname = \"click\"\nversion = \"8.1.3\"\ndescription = \"\"\n"
            "optional = false\npython-versions = \">=3.7\"\nfiles = []\n\n"
            "[package.dependencies]\ncolorama = {version = \"*\", markers = \"platform_system == "
            "\\\"Windows\\\"\"}\n\n"
            "[[package]]\nname = \"iniconfig\"\nversion = \"2.0.0\"\ndescription = \"\"\n"
            "optional = false\npython-versions = \">=3.7\"\nfiles = []\n\n"
            "[[package]]\nname = \"PySocks\"\nversion = \"1.7.1\"\ndescription = \"\"\n"
            "optional = true\npython-versions = \"*\"\nfiles = []\n\n"
            "[[package]]\nname = \"pytest\"\nversion = \"7.3.1\"\ndescription = \"\"\n"
            "optional = false\npython-versions = \">=3.7\"\nfiles = []\n\n"
            "[package.dependencies]\ncolorama = {version = \"*\", markers = \"sys_platform == "
            "\\\"win32\\\"\"}\niniconfig = \"*\"\n\n"
            "[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\ndescription = \"\"\n"
            "optional = false\npython-versions = \">=3.7\"\nfiles = []\n\n"
            "[package.dependencies]\ncertifi = \">=2017.4.17\"\n"
            "PySocks = {version = \">=1.5.6,<1.5.7 || >1.5.7\", optional = true}\n\n"
            "[package.extras]\nsocks = [\"PySocks (>=1.5.6,!=1.5.7)\"]\n"
            "use-chardet-on-py3 = [\"chardet (>=3.0.2,<6)\"]\n\n"
            "[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.9\"\n"
            "content-hash = \"cd\"\n";
        static const char pyproject[] =
            "[tool.poetry]\nname = \"app\"\nversion = \"1.0\"\n"
            "[tool.poetry.dependencies]\npython = \"^3.9\"\nclick = \"^8.1\"\n"
            "requests = { version = \"^2.31\", extras = [\"socks\"] }\n"
            "[tool.poetry.group.dev.dependencies]\npytest = \"^7.3\"\n";
        expect_read(poetry_lock_read,
                    "certifi==2023.5.7\tD/poetry.lock: package certifi 2023.5.7\n"
                    "colorama==0.4.6; platform_system == \"Windows\"\tD/poetry.lock: package "
                    "colorama 0.4.6\n"
                    "click==8.1.3\tD/poetry.lock: package click 8.1.3\n"
                    "PySocks==1.7.1\tD/poetry.lock: package PySocks 1.7.1\n"
                    "requests==2.31.0\tD/poetry.lock: package requests 2.31.0\n"
                    "python: >=3.9.0,<4.0.0\n",
                    "poetry.lock", lock, "pyproject.toml", pyproject, NULL);
        /* without the pyproject.toml: everything, said so */
        expect_read(poetry_lock_read,
                    "certifi==2023.5.7\tD/poetry.lock: package certifi 2023.5.7\n"
                    "colorama==0.4.6\tD/poetry.lock: package colorama 0.4.6\n"
                    "click==8.1.3\tD/poetry.lock: package click 8.1.3\n"
                    "iniconfig==2.0.0\tD/poetry.lock: package iniconfig 2.0.0\n"
                    "PySocks==1.7.1\tD/poetry.lock: package PySocks 1.7.1\n"
                    "pytest==7.3.1\tD/poetry.lock: package pytest 7.3.1\n"
                    "requests==2.31.0\tD/poetry.lock: package requests 2.31.0\n"
                    "note: D/poetry.lock: the lock names no groups (lock-version 2.0) and there is "
                    "no D/pyproject.toml to start from: every package taken, development ones "
                    "included\n"
                    "python: >=3.9.0,<4.0.0\n",
                    "poetry.lock", lock, NULL);
}

/* uv.lock as uv 0.5 writes it. */
static const char uv_lock[] =
    "version = 1\nrequires-python = \">=3.11\"\n\n"
    "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n"
    "dependencies = [\n    { name = \"flask\" },\n    { name = \"requests\", extra = [\"socks\"] "
    "},\n"
    "    { name = \"uvloop\", marker = \"sys_platform != 'win32'\" },\n"
    "    { name = \"mylib\" },\n]\n\n"
    "[package.optional-dependencies]\nfast = [\n    { name = \"orjson\" },\n]\n\n"
    "[package.dev-dependencies]\ndev = [\n    { name = \"pytest\" },\n]\n\n"
    "[package.metadata]\nrequires-dist = [\n    { name = \"flask\", specifier = \">=3\" },\n"
    "    { name = \"orjson\", marker = \"extra == 'fast'\" },\n]\n\n"
    "[package.metadata.requires-dev]\ndev = [{ name = \"pytest\", specifier = \">=8\" }]\n\n"
    "[[package]]\nname = \"blinker\"\nversion = \"1.9.0\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n"
    "sdist = { url = \"https://files.pythonhosted.org/b/blinker-1.9.0.tar.gz\", hash = "
    "\"sha256:b4ce\", size = 22460 }\n"
    "wheels = [\n    { url = \"https://files.pythonhosted.org/b/blinker-1.9.0-py3-none-any.whl\", "
    "hash = \"sha256:ba0e\", size = 8458 },\n]\n\n"
    "[[package]]\nname = \"click\"\nversion = \"8.1.8\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n"
    "dependencies = [\n    { name = \"colorama\", marker = \"sys_platform == 'win32'\" },\n]\n\n"
    "[[package]]\nname = \"colorama\"\nversion = \"0.4.6\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n\n"
    "[[package]]\nname = \"flask\"\nversion = \"3.1.0\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n"
    "dependencies = [\n    { name = \"blinker\" },\n    { name = \"click\" },\n"
    "    { name = \"werkzeug\" },\n]\n\n"
    "[[package]]\nname = \"iniconfig\"\nversion = \"2.0.0\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n\n"
    "[[package]]\nname = \"mylib\"\nversion = \"0.2.0\"\n"
    "source = { git = \"https://github.com/x/mylib?rev=v0.2#0123abcd\" }\n"
    "dependencies = [\n    { name = \"pyyaml\" },\n]\n\n"
    "[[package]]\nname = \"orjson\"\nversion = \"3.10.12\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n\n"
    "[[package]]\nname = \"pysocks\"\nversion = \"1.7.1\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n\n"
    "[[package]]\nname = \"pytest\"\nversion = \"8.3.4\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n"
    "dependencies = [\n    { name = \"colorama\", marker = \"sys_platform == 'win32'\" },\n"
    "    { name = \"iniconfig\" },\n]\n\n"
    "[[package]]\nname = \"pyyaml\"\nversion = \"5.4.1\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n"
    "resolution-markers = [\"python_full_version < '3.12'\"]\n\n"
    "[[package]]\nname = \"pyyaml\"\nversion = \"6.0.2\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n"
    "resolution-markers = [\"python_full_version >= '3.12'\"]\n\n"
    "[[package]]\nname = \"requests\"\nversion = \"2.32.3\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n\n"
    "[package.optional-dependencies]\nsocks = [\n    { name = \"pysocks\" },\n]\n"
    "use-chardet-on-py3 = [\n    { name = \"chardet\" },\n]\n\n"
    "[[package]]\nname = \"uvloop\"\nversion = \"0.21.0\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n"
    "dependencies = [\n    { name = \"click\", marker = \"platform_machine == 'x86_64'\" },\n"
    "    { name = \"pyyaml\", version = \"6.0.2\", marker = \"python_full_version >= '3.12'\" },\n"
    "]\n\n"
    "[[package]]\nname = \"werkzeug\"\nversion = \"3.1.3\"\n"
    "source = { registry = \"https://pypi.org/simple\" }\n";

static void test_uv_lock(void **state)
{
        (void)state;
        expect_read(uv_lock_read,
                    "blinker==1.9.0\tD/uv.lock: package blinker 1.9.0\n"
                    "click==8.1.8\tD/uv.lock: package click 8.1.8\n"
                    "colorama==0.4.6; sys_platform == 'win32'\tD/uv.lock: package colorama 0.4.6\n"
                    "flask==3.1.0\tD/uv.lock: package flask 3.1.0\n"
                    "pysocks==1.7.1\tD/uv.lock: package pysocks 1.7.1\n"
                    "pyyaml==5.4.1\tD/uv.lock: package pyyaml 5.4.1\n"
                    "pyyaml==6.0.2\tD/uv.lock: package pyyaml 6.0.2\n"
                    "requests==2.32.3\tD/uv.lock: package requests 2.32.3\n"
                    "uvloop==0.21.0; sys_platform != 'win32'\tD/uv.lock: package uvloop 0.21.0\n"
                    "werkzeug==3.1.3\tD/uv.lock: package werkzeug 3.1.3\n"
                    "note: D/uv.lock: the dev-dependencies of app skipped\n"
                    "note: D/uv.lock: the optional-dependencies of app skipped: installed only "
                    "with its extras\n"
                    "note: D/uv.lock: mylib comes from its own source, not a package index: not "
                    "mapped\n"
                    "python: >=3.11\n",
                    "uv.lock", uv_lock, NULL);
        /* conditions: one path's joined with "and", several paths' with "or" */
        expect_read(uv_lock_read,
                    "a==1; (sys_platform == 'linux') or (platform_machine == 'x86_64')\tD/uv.lock: "
                    "package a 1\n"
                    "b==1; (platform_machine == 'x86_64') or ((python_version < '3.12') and "
                    "(sys_platform == 'linux'))\tD/uv.lock: package b 1\n"
                    "c==1\tD/uv.lock: package c 1\n"
                    "note: D/uv.lock: root needs missing, which the lock does not list\n"
                    "python: -\n",
                    "uv.lock",
                    "version = 1\n[[package]]\nname = \"root\"\nversion = \"0\"\nsource = { "
                    "virtual = \".\" }\ndependencies = [{ name = \"a\", marker = \"sys_platform "
                    "== 'linux'\" }, { name = \"b\", marker = \"platform_machine == 'x86_64'\" }, "
                    "{ name = \"c\" }, { name = \"missing\" }]\n"
                    "[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { registry = \"r\" }\n"
                    "dependencies = [{ name = \"b\", marker = \"python_version < '3.12'\" }, { "
                    "name = \"c\", marker = \"os_name == 'nt'\" }]\n"
                    "[[package]]\nname = \"b\"\nversion = \"1\"\nsource = { registry = \"r\" }\n"
                    "dependencies = [{ name = \"a\" }]\n"
                    "[[package]]\nname = \"c\"\nversion = \"1\"\nsource = { registry = \"r\" }\n",
                    NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_poetry_constraints),
            cmocka_unit_test(test_pyproject_pep621),
            cmocka_unit_test(test_pyproject_poetry),
            cmocka_unit_test(test_pyproject_errors),
            cmocka_unit_test(test_poetry_lock),
            cmocka_unit_test(test_poetry_lock_closure),
            cmocka_unit_test(test_uv_lock),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
