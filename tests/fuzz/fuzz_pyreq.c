/* libFuzzer target: the Python requirement readers on arbitrary bytes — a PEP 508 line as
 * packaging and as pip take it, a marker evaluated for a target, a PEP 440 version and a
 * specifier set (the first line against the rest), and the whole input as a requirements.txt
 * (read through a memfd, so that its includes resolve to nothing). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "distill/convert/pep440.h"
#include "distill/convert/pyreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void requirement(const char *text)
{
        struct pyreq r;
        struct distill_error err;
        if (pyreq_parse_line(text, "fuzz:1", &r, &err) == 0) {
                struct pyreq_env env;
                pyreq_env_init(&env, "3.11.2", "arm64");
                bool result;
                if (r.marker)
                        pyreq_marker_eval(r.marker, &env, "tests", &result, &err);
                pyreq_release(&r);
        }
        if (pyreq_parse_pip_arg(text, NULL, false, &r, &err) == 0)
                pyreq_release(&r);
        if (pyreq_parse_pip_arg(text, NULL, true, &r, &err) == 0)
                pyreq_release(&r);
}

static void versions(const char *text)
{
        struct pep440_version *v = malloc(sizeof(*v)), *w = malloc(sizeof(*w));
        struct distill_error err;
        if (v && w && pep440_parse(text, v, &err) == 0) {
                free(pep440_normalize(v));
                if (pep440_parse("1.0.post1.dev2+abc.3", w, &err) == 0)
                        pep440_compare(v, w);
        }
        free(v);
        free(w);
        struct pep440_specset set;
        if (pep440_specset_parse(text, &set, &err) == 0)
                pep440_specset_release(&set);
        const char *nl = strchr(text, '\n');
        if (nl) {
                char *version = strndup(text, (size_t)(nl - text));
                bool ok;
                if (version)
                        pep440_satisfies(version, nl + 1, &ok, &err);
                free(version);
        }
}

static void requirements_file(const uint8_t *data, size_t size)
{
        static int fd = -1;
        if (fd < 0)
                fd = memfd_create("fuzz-requirements", 0);
        if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
                return;
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        struct pyreq_list l;
        struct distill_error err;
        if (pyreq_read_file(path, &l, &err) == 0)
                pyreq_list_release(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        requirement(text);
        struct pyreq_env env;
        pyreq_env_init(&env, "3.9.2", "amd64");
        bool result;
        struct distill_error err;
        pyreq_marker_eval(text, &env, NULL, &result, &err);
        versions(text);
        requirements_file(data, size);
        free(text);
        return 0;
}
