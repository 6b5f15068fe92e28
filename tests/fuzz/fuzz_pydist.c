/* libFuzzer target: pydist's readers on arbitrary bytes — as a Contents index (and each line
 * alone through the line and path grammar), and as a dpkg file list. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/names.h"
#include "distill/convert/pydist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void lookup_all(const struct pydist_index *idx)
{
        static const char *const names[] = {"flask", "foo", "x", "zope-interface"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                size_t n;
                const struct pydist_entry *e = pydist_lookup(idx, names[i], &n);
                for (size_t k = 0; k < n; k++)
                        if (!e[k].name || !e[k].package || !e[k].path)
                                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *text = (const char *)data;
        struct distill_error err = {0};

        struct pydist_index *idx = pydist_index_new();
        pydist_index_add_contents(idx, text, size, "fuzz", &err);
        lookup_all(idx);
        pydist_index_free(idx);

        idx = pydist_index_new();
        pydist_index_add_list(idx, "python3-fuzz", text, size, -1, "fuzz.list", &err);
        lookup_all(idx);
        pydist_index_free(idx);

        /* the first line alone, whatever it holds */
        const char *nl = memchr(text, '\n', size);
        size_t len = nl ? (size_t)(nl - text) : size;
        char *path = NULL;
        struct strvec pkgs = STRVEC_INIT;
        if (pydist_parse_contents_line(text, len, &path, &pkgs) == 1 && pkgs.n == 0)
                abort();
        free(path);
        strvec_clear(&pkgs);
        char *name, *version, *info;
        if (pydist_parse_path(text, len, &name, &version, &info) == 1) {
                if (!name || !info || name[0] == '\0')
                        abort();
                free(name);
                free(version);
                free(info);
        }
        char *norm = pep503_normalize(text, len);
        free(norm);
        return 0;
}
