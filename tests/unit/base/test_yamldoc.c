/* yamldoc: the scalar writer, checked by reading its text back with libyaml (yamldoc_load) and
 * with PyYAML, whose YAML 1.1 resolver turns plain yes, 1e3 or null into other types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"
#include "distill/base/yamldoc.h"
#include "fixture.h"

static const char *const tricky[] = {"hello",       "/usr/bin/python3.11",
                                     "yes",         "No",
                                     "on",          "null",
                                     "~",           "",
                                     "8080",        "3.11",
                                     "-1",          ".5",
                                     "1e3",         "0x1F",
                                     "a: b",        "#comment",
                                     "- item",      "key: value # x",
                                     "it's",        "say \"hi\"",
                                     "multi\nline", "tab\there",
                                     " leading",    "trailing ",
                                     "[a]",         "{b}",
                                     "*alias",      "&anchor",
                                     "!tag",        "%directive",
                                     "@at",         "`tick",
                                     "héllo",       "C.UTF-8",
                                     "--port=8080", "a,b",
                                     "?",           ":",
                                     "-",           "|",
                                     ">",           "PATH=/venv/bin:$PATH",
                                     "${HOME}",     "\\backslash",
                                     NULL};

static void test_reads_back_with_libyaml(void **state)
{
        (void)state;
        for (size_t i = 0; tricky[i]; i++) {
                char *text = yaml_scalar_text(tricky[i]);
                assert_non_null(text);
                assert_null(strchr(text, '\n'));
                char *doc = xasprintf("key: %s\n", text);
                struct yamldoc d = {0};
                struct distill_error err = {0};
                if (yamldoc_load(&d, "t.yaml", "test", doc, strlen(doc), &err) < 0)
                        fail_msg("%s → %s: %s", tricky[i], text, err.msg);
                yaml_node_t *root = yamldoc_root(&d);
                yaml_node_pair_t *pair = root->data.mapping.pairs.start;
                yaml_node_t *v = yamldoc_node(&d, pair->value);
                assert_string_equal(yaml_scalar(v), tricky[i]);
                /* a reader that resolves plain scalars must still see a string */
                if (!*tricky[i])
                        assert_int_not_equal(v->data.scalar.style, YAML_PLAIN_SCALAR_STYLE);
                yamldoc_release(&d);
                free(doc);
                free(text);
        }
}

static void test_plain_when_unambiguous(void **state)
{
        (void)state;
        char *a = yaml_scalar_text("python3-flask");
        assert_string_equal(a, "python3-flask");
        char *b = yaml_scalar_text("yes");
        assert_string_equal(b, "\"yes\"");
        char *c = yaml_scalar_text("8080");
        assert_string_equal(c, "\"8080\"");
        char *d = yaml_scalar_text("multi\nline");
        assert_string_equal(d, "\"multi\\nline\"");
        free(a);
        free(b);
        free(c);
        free(d);
}

static void test_reads_back_with_pyyaml(void **state)
{
        (void)state;
        char *dir = fixture_tmpdir();
        struct strbuf doc = STRBUF_INIT;
        for (size_t i = 0; tricky[i]; i++) {
                char *text = yaml_scalar_text(tricky[i]);
                strbuf_addf(&doc, "- %s\n", text);
                free(text);
        }
        char *path = path_join(dir, "list.yaml");
        fixture_write(path, strbuf_str(&doc));
        /* PyYAML prints each item back as JSON (a str, or the type it resolved) */
        char *out =
            fixture_sh_out("/usr/bin/python3.11 -c 'import json, sys, yaml\n"
                           "for v in yaml.safe_load(open(sys.argv[1])): print(json.dumps(v))' '%s'",
                           path);
        assert_non_null(out);
        char *line = out;
        for (size_t i = 0; tricky[i]; i++) {
                char *nl = strchr(line, '\n');
                assert_non_null(nl);
                *nl = '\0';
                char *want = NULL;
                /* json.dumps of the same string, as Python writes it */
                struct strbuf w = STRBUF_INIT;
                strbuf_addch(&w, '"');
                for (const unsigned char *p = (const unsigned char *)tricky[i]; *p; p++) {
                        if (*p == '"' || *p == '\\')
                                strbuf_addf(&w, "\\%c", *p);
                        else if (*p == '\n')
                                strbuf_adds(&w, "\\n");
                        else if (*p == '\t')
                                strbuf_adds(&w, "\\t");
                        else if (*p >= 0x80)
                                break;
                        else
                                strbuf_addch(&w, (char)*p);
                }
                strbuf_addch(&w, '"');
                want = strbuf_detach(&w);
                if (!strchr(tricky[i], '\xc3'))
                        assert_string_equal(line, want);
                else
                        assert_true(line[0] == '"');
                free(want);
                line = nl + 1;
        }
        free(out);
        free(path);
        strbuf_release(&doc);
        fixture_cleanup(dir);
        free(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reads_back_with_libyaml),
            cmocka_unit_test(test_plain_when_unambiguous),
            cmocka_unit_test(test_reads_back_with_pyyaml),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
