#include "distill/base/names.h"

#include <string.h>

#include "distill/base/util.h"

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || is_digit(c);
}

static bool is_alnum(char c)
{
        return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* Every byte of [s, end) is alphanumeric or one of `extra`. */
static bool all_alnum_or(const char *s, const char *end, const char *extra)
{
        for (; s < end; s++)
                if (!is_alnum(*s) && !strchr(extra, *s))
                        return false;
        return true;
}

bool deb_package_name_valid(const char *s)
{
        size_t n = strlen(s);
        if (n < 2 || n > NAMES_DEB_MAX || !is_lower_alnum(s[0]))
                return false;
        for (; *s; s++)
                if (!is_lower_alnum(*s) && *s != '+' && *s != '-' && *s != '.')
                        return false;
        return true;
}

bool deb_version_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > NAMES_DEB_MAX)
                return false;
        const char *upstream = s;
        const char *colon = strchr(s, ':');
        if (colon) {
                if (colon == s)
                        return false;
                for (const char *p = s; p < colon; p++)
                        if (!is_digit(*p))
                                return false;
                upstream = colon + 1;
        }
        const char *dash = strrchr(upstream, '-');
        const char *upstream_end = dash ? dash : s + n;
        if (upstream_end == upstream || !is_digit(upstream[0]) ||
            !all_alnum_or(upstream, upstream_end, ".+~-"))
                return false;
        return !dash || (dash[1] && all_alnum_or(dash + 1, s + n, "+.~"));
}

bool deb_arch_name_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > NAMES_ARCH_MAX || !is_lower_alnum(s[0]))
                return false;
        for (; *s; s++)
                if (!is_lower_alnum(*s) && *s != '-')
                        return false;
        return true;
}

static bool is_identifier_byte(char c)
{
        return is_alnum(c) || c == '_' || (unsigned char)c >= 0x80;
}

bool py_module_name_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > NAMES_MODULE_MAX)
                return false;
        bool at_start = true;
        for (; *s; s++) {
                if (*s == '.') {
                        if (at_start)
                                return false;
                        at_start = true;
                        continue;
                }
                if (at_start ? is_digit(*s) || !is_identifier_byte(*s)
                             : !is_identifier_byte(*s) && *s != '-')
                        return false;
                at_start = false;
        }
        return !at_start;
}

bool env_var_name_valid(const char *s, size_t n)
{
        if (n == 0 || is_digit(s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && s[i] != '_')
                        return false;
        return true;
}

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
        size_t k = strlen(suffix);
        return n > k && memcmp(s + n - k, suffix, k) == 0;
}

size_t py_dist_info_prefix(const char *s, size_t n, size_t *base_off)
{
        static const char lib[] = "usr/lib/python3", dist[] = "/dist-packages/";
        size_t i = sizeof(lib) - 1;
        if (n < i || memcmp(s, lib, i) != 0)
                return 0;
        if (i < n && s[i] == '.') { /* python3.N */
                size_t digits = ++i;
                while (i < n && is_digit(s[i]))
                        i++;
                if (i == digits)
                        return 0;
        }
        if (n - i < sizeof(dist) - 1 || memcmp(s + i, dist, sizeof(dist) - 1) != 0)
                return 0;
        i += sizeof(dist) - 1;
        size_t base = i;
        while (i < n && s[i] != '/' && s[i] != ' ' && s[i] != '\t')
                i++;
        if (!has_suffix(s + base, i - base, ".dist-info") &&
            !has_suffix(s + base, i - base, ".egg-info"))
                return 0;
        if (base_off)
                *base_off = base;
        return i;
}

bool libc_locale_name_valid(const char *s)
{
        size_t n = strnlen(s, NAMES_LOCALE_MAX + 1);
        return n > 0 && n <= NAMES_LOCALE_MAX && !strchr(s, '/') && strcmp(s, ".") != 0 &&
               strcmp(s, "..") != 0 && strcmp(s, "C") != 0 && strcmp(s, "POSIX") != 0;
}

char *pep503_normalize(const char *s, size_t n)
{
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '-' || s[i] == '_' || s[i] == '.') {
                        while (i + 1 < n && (s[i + 1] == '-' || s[i + 1] == '_' || s[i + 1] == '.'))
                                i++;
                        strbuf_addch(&sb, '-');
                } else {
                        char c = s[i];
                        strbuf_addch(&sb, c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
                }
        }
        return strbuf_detach(&sb);
}
