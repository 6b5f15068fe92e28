/* Which locales an image needs, as the code that reads locale data names them: gettext's
 * candidate languages for a locale name, and the language of a CLDR or POSIX locale identifier
 * (babel's locale-data files are named by CLDR identifiers: de.dat, de_AT.dat, zh_Hant_HK.dat,
 * root.dat). */
#ifndef DISTILL_PYLOCALE_H
#define DISTILL_PYLOCALE_H

#include <stdbool.h>

#include "distill/base/util.h"

/* gettext's candidate languages for one locale name (gettext._expand_lang without the alias
 * table): de_DE.UTF-8@euro → de_DE.UTF-8@euro, de_DE.UTF-8, de_DE@euro, de_DE, de.UTF-8, … de;
 * none for C and POSIX. Appended to out, without repeats. */
void pylocale_expand_gettext(const char *locale, struct strvec *out);

/* The language of a locale identifier — CLDR ("de", "de_AT", "zh_Hant_HK", "es_419",
 * "en_US_POSIX", "pt-BR") or POSIX ("de_DE.UTF-8@euro") —, or NULL for a string that is not
 * one. The C and POSIX locales are CLDR's en_US_POSIX: "en". Caller frees. */
char *pylocale_language(const char *id);

/* Whether a directory's file names are locale identifiers (with an extension): at least
 * PYLOCALE_DIR_MIN names, nine in ten of them stems that pylocale_language accepts, or "root"
 * (CLDR's root locale). */
#define PYLOCALE_DIR_MIN 20
bool pylocale_is_locale_dir(const struct strvec *names);

/* The locale a data file's name stands for: its name up to the first dot ("de_AT.dat" →
 * "de_AT"). Caller frees. */
char *pylocale_file_locale(const char *name);

#endif
