/* libFuzzer target: the Python tokenizer and recogniser (imports, calls, literals, scopes and
 * the names they use) on arbitrary bytes, and the reachability of its defs over what it found.
 * The first byte picks the grammar (its low bit: 3.11's f-strings or PEP 701's), so that both
 * tokenizers see every input the corpus grows. Any crash, leak or undefined behaviour is a
 * finding. */
#include <stddef.h>
#include <stdint.h>

#include "distill/python/pyimports.h"
#include "distill/python/pyreach.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size == 0)
                return 0;
        enum py_grammar grammar = data[0] & 1 ? PY_GRAMMAR_3_12 : PY_GRAMMAR_3_11;
        data++;
        size--;
        struct py_scan scan;
        struct distill_error err = {0};
        if (pyimports_scan((const char *)data, size, "fuzz.py", grammar, &scan, &err) != 0)
                return 0;
        struct pyreach *pr = pyreach_new();
        size_t h = pyreach_add_module(pr, "fuzz", &scan, PYREACH_REACHABLE);
        int scope;
        for (size_t m; pyreach_next(pr, &m, &scope);) {
                const size_t *idx;
                size_t n;
                for (int k = 0; k < PYREACH_N_ITEMS; k++)
                        pyreach_items(pr, m, scope, (enum pyreach_items)k, &idx, &n);
        }
        /* every name it uses as if used from elsewhere: wakes whatever waits */
        const struct py_scan *s = pyreach_scan(pr, h);
        for (size_t i = 0; i < s->n_refs; i++)
                pyreach_use(pr, s->refs[i].name);
        pyreach_reflective(pr, "fuzz");
        pyreach_from(pr, "fuzz", "*");
        for (size_t m; pyreach_next(pr, &m, &scope);)
                ;
        pyreach_free(pr);
        return 0;
}
