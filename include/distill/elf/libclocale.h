/* glibc's locale lookup: the directories setlocale() tries under the locale path for a locale
 * name, as glibc 2.31 to 2.36 do (locale/findlocale.c through intl/explodename.c and
 * intl/l10nflist.c). Which of them a release ships is a fact of its libc-bin: Debian 11 has
 * /usr/lib/locale/C.UTF-8, Debian 12 and 13 /usr/lib/locale/C.utf8; "C.UTF-8" finds either. */
#ifndef DISTILL_LIBCLOCALE_H
#define DISTILL_LIBCLOCALE_H

#include <stdbool.h>

#include "distill/base/util.h"

#define LIBC_LOCALE_DIR "/usr/lib/locale"

/* glibc's _nl_normalize_codeset: the letters (lower-cased) and digits of `codeset`, "iso"
 * before it when it has only digits ("UTF-8" → "utf8", "8859-1" → "iso88591"). */
char *libc_locale_normalize_codeset(const char *codeset, size_t len);

/* The directory names glibc tries for `name`, in its order — language[_territory][.codeset]
 * [@modifier] with every part but the language dropped in turn, the codeset as written and
 * normalised ("C.UTF-8" → C.UTF-8, C.utf8, C) — pushed to `out`. Nothing for a name that is
 * not libc_locale_name_valid (names.h). */
void libc_locale_dirs(const char *name, struct strvec *out);

#endif
