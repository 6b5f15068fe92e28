#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"
#include "distill/image/registry.h"
#include "fixture.h"

static void assert_param(const char *challenge, const char *key, const char *want)
{
        char *v = registry_challenge_param(challenge, key);
        if (!want) {
                assert_null(v);
                return;
        }
        assert_non_null(v);
        assert_string_equal(v, want);
        free(v);
}

/* RFC 7235 auth-params as registries send them: quoted with escapes, unquoted tokens, commas
 * with or without spaces; a missing or malformed parameter is NULL, never a guess. */
static void test_challenge_params(void **state)
{
        (void)state;
        const char *hub =
            "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
            "scope=\"repository:library/alpine:pull\"";
        assert_param(hub, "realm", "https://auth.docker.io/token");
        assert_param(hub, "service", "registry.docker.io");
        assert_param(hub, "scope", "repository:library/alpine:pull");
        assert_param(hub, "REALM", "https://auth.docker.io/token"); /* names are case-blind */
        assert_param(hub, "error", NULL);
        assert_param("Basic realm=distill-test", "realm", "distill-test");
        assert_param("Bearer realm=\"a\\\"b\", service=x", "realm", "a\"b");
        assert_param("Bearer realm=\"a\\\"b\", service=x", "service", "x");
        assert_param("Bearer realm=\"unterminated", "realm", NULL);
        assert_param("Bearer realm", "realm", NULL);
        assert_param("Bearer", "realm", NULL);
        assert_param("", "realm", NULL);
}

static void test_open_references(void **state)
{
        (void)state;
        struct distill_error err = {0};
        struct registry *reg = NULL;
        setenv("REGISTRY_AUTH_FILE", "/nonexistent/auth.json", 1);
        assert_int_equal(registry_open("127.0.0.1:5000/team/app:1.0", false, &reg, &err), 0);
        assert_string_equal(registry_name(reg), "127.0.0.1:5000/team/app");
        registry_free(reg);
        assert_int_equal(registry_open("alpine:3.19", true, &reg, &err), 0);
        assert_string_equal(registry_name(reg), "registry-1.docker.io/library/alpine");
        registry_free(reg);
        assert_int_equal(
            registry_open("localhost/app@sha256:" /* a digest, no tag */
                          "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
                          true, &reg, &err),
            0);
        assert_string_equal(registry_name(reg), "localhost/app");
        registry_free(reg);
}

/* A credentials file that is not JSON is the user's to fix: named with its position. */
static void test_bad_auth_file(void **state)
{
        (void)state;
        char *tmp = fixture_tmpdir();
        char *auth = path_join(tmp, "auth.json");
        fixture_write(auth, "{\"auths\": {\"127.0.0.1:5000\": {\"auth\": ");
        setenv("REGISTRY_AUTH_FILE", auth, 1);
        struct distill_error err = {0};
        struct registry *reg = (struct registry *)1;
        assert_int_equal(registry_open("127.0.0.1:5000/app:1", false, &reg, &err), -DISTILL_EUSAGE);
        assert_null(reg);
        assert_non_null(strstr(err.msg, auth));
        /* an entry whose auth is not base64 of user:password is skipped, not an error */
        fixture_write(auth, "{\"auths\": {\"127.0.0.1:5000\": {\"auth\": \"!!!!\"}}}");
        assert_int_equal(registry_open("127.0.0.1:5000/app:1", false, &reg, &err), 0);
        registry_free(reg);
        unsetenv("REGISTRY_AUTH_FILE");
        fixture_cleanup(tmp);
        free(auth);
        free(tmp);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_challenge_params),
            cmocka_unit_test(test_open_references),
            cmocka_unit_test(test_bad_auth_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
