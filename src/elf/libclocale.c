/* glibc's locale lookup (libclocale.h): _nl_explode_name splits a name into its parts, and
 * _nl_make_l10nflist lists the combinations from the most specific to the language alone. */
#include "distill/elf/libclocale.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/names.h"

/* the mask bits of intl/loadinfo.h, whose order is the order of the combinations */
enum {
        XPG_NORM_CODESET = 1,
        XPG_CODESET = 2,
        XPG_TERRITORY = 4,
        XPG_MODIFIER = 8,
};

char *libc_locale_normalize_codeset(const char *codeset, size_t len)
{
        struct strbuf sb = STRBUF_INIT;
        bool only_digits = true;

        for (size_t i = 0; i < len; i++)
                if (isalpha((unsigned char)codeset[i]))
                        only_digits = false;
        if (only_digits)
                strbuf_adds(&sb, "iso");
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)codeset[i];
                if (isalpha(c))
                        strbuf_addch(&sb, (char)tolower(c));
                else if (isdigit(c))
                        strbuf_addch(&sb, (char)c);
        }
        return strbuf_detach(&sb);
}

struct locale_parts {
        const char *language, *territory, *codeset, *modifier;
        size_t language_len, territory_len, codeset_len;
        char *normalized;
        unsigned mask;
};

/* language[_territory][.codeset][@modifier], as _nl_explode_name reads it: a separator sets
 * its part's bit even when the part is empty, the normalised codeset counts when it differs,
 * and a name with no language is taken whole. */
static void explode(const char *name, struct locale_parts *p)
{
        const char *s = name + strcspn(name, "_.@");

        memset(p, 0, sizeof(*p));
        p->language = name;
        p->language_len = (size_t)(s - name);
        if (p->language_len == 0) {
                p->language_len = strlen(name);
                return;
        }
        if (*s == '_') {
                p->territory = ++s;
                s += strcspn(s, ".@");
                p->territory_len = (size_t)(s - p->territory);
                p->mask |= XPG_TERRITORY;
        }
        if (*s == '.') {
                p->codeset = ++s;
                s += strcspn(s, "@");
                p->codeset_len = (size_t)(s - p->codeset);
                p->mask |= XPG_CODESET;
                if (p->codeset_len) {
                        p->normalized = libc_locale_normalize_codeset(p->codeset, p->codeset_len);
                        if (strlen(p->normalized) != p->codeset_len ||
                            memcmp(p->normalized, p->codeset, p->codeset_len) != 0)
                                p->mask |= XPG_NORM_CODESET;
                }
        }
        if (*s == '@') {
                p->modifier = s + 1;
                p->mask |= XPG_MODIFIER;
        }
}

void libc_locale_dirs(const char *name, struct strvec *out)
{
        struct locale_parts p;

        if (!libc_locale_name_valid(name))
                return;
        explode(name, &p);
        for (int cnt = (int)p.mask; cnt >= 0; cnt--) {
                if ((cnt & ~(int)p.mask) != 0 || ((cnt & XPG_CODESET) && (cnt & XPG_NORM_CODESET)))
                        continue;
                struct strbuf sb = STRBUF_INIT;
                strbuf_add(&sb, p.language, p.language_len);
                if (cnt & XPG_TERRITORY) {
                        strbuf_addch(&sb, '_');
                        strbuf_add(&sb, p.territory, p.territory_len);
                }
                if (cnt & XPG_CODESET) {
                        strbuf_addch(&sb, '.');
                        strbuf_add(&sb, p.codeset, p.codeset_len);
                }
                if (cnt & XPG_NORM_CODESET) {
                        strbuf_addch(&sb, '.');
                        strbuf_adds(&sb, p.normalized);
                }
                if (cnt & XPG_MODIFIER) {
                        strbuf_addch(&sb, '@');
                        strbuf_adds(&sb, p.modifier);
                }
                if (!strvec_contains(out, strbuf_str(&sb)))
                        strvec_push_nodup(out, strbuf_detach(&sb));
                else
                        strbuf_release(&sb);
        }
        free(p.normalized);
}
