/* Locale names: gettext's expansion and the language of CLDR and POSIX identifiers. */
#include "distill/python/pylocale.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void pylocale_expand_gettext(const char *locale, struct strvec *out)
{
        if (!strcmp(locale, "C") || !strncmp(locale, "C.", 2) || !strcmp(locale, "POSIX"))
                return;
        size_t lang = strcspn(locale, "_.@"), terr = 0, cs = 0, mod = 0;
        const char *p = locale + lang;
        if (*p == '_') {
                terr = 1 + strcspn(p + 1, ".@");
                p += terr;
        }
        if (*p == '.') {
                cs = 1 + strcspn(p + 1, "@");
                p += cs;
        }
        if (*p == '@')
                mod = strlen(p);
        const char *t = locale + lang, *c = t + terr, *m = c + cs;
        for (int mask = 7; mask >= 0; mask--) {
                if (((mask & 4) && !terr) || ((mask & 2) && !cs) || ((mask & 1) && !mod))
                        continue;
                char *v =
                    xasprintf("%.*s%.*s%.*s%.*s", (int)lang, locale, (mask & 4) ? (int)terr : 0, t,
                              (mask & 2) ? (int)cs : 0, c, (mask & 1) ? (int)mod : 0, m);
                if (strvec_contains(out, v))
                        free(v);
                else
                        strvec_push_nodup(out, v);
        }
}

/* One subtag after the language: a script (Latn), a region (DE, 419) or a variant (POSIX,
 * VALENCIA, 1901): two to eight letters or digits. */
static bool is_subtag(const char *s, size_t n)
{
        if (n < 2 || n > 8)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]))
                        return false;
        return true;
}

char *pylocale_language(const char *id)
{
        if (!strcmp(id, "C") || !strncmp(id, "C.", 2) || !strcmp(id, "POSIX"))
                return xstrdup("en");
        size_t lang = 0;
        while (id[lang] >= 'a' && id[lang] <= 'z')
                lang++;
        if (lang < 2 || lang > 3)
                return NULL;
        /* subtags up to a POSIX charset or modifier: de_DE.UTF-8@euro */
        size_t end = lang + strcspn(id + lang, ".@");
        if (id[end] == '.' && !id[end + 1])
                return NULL;
        for (size_t i = lang; i < end;) {
                if (id[i] != '_' && id[i] != '-')
                        return NULL;
                size_t n = strcspn(id + i + 1, "_-.@");
                if (!is_subtag(id + i + 1, n))
                        return NULL;
                i += 1 + n;
        }
        return xstrndup(id, lang);
}

char *pylocale_file_locale(const char *name)
{
        return xstrndup(name, strcspn(name, "."));
}

bool pylocale_is_locale_dir(const struct strvec *names)
{
        size_t named = 0;
        if (names->n < PYLOCALE_DIR_MIN)
                return false;
        for (size_t i = 0; i < names->n; i++) {
                cleanup_free char *stem = pylocale_file_locale(names->v[i]);
                cleanup_free char *lang = pylocale_language(stem);
                if (!strcmp(stem, "root") || (lang && strcmp(stem, "C") && strcmp(stem, "POSIX")))
                        named++;
        }
        return named * 10 >= names->n * 9;
}
