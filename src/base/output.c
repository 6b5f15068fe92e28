#include "distill/base/output.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"

void output_clean(FILE *out, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p < 0x20 || *p == 0x7f)
                        fprintf(out, "\\x%02x", *p);
                else
                        fputc(*p, out);
        }
}

void output_cleanf(FILE *out, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;

        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                abort(); /* like xasprintf: out of memory */
        /* a line's own final newline is the only one allowed through */
        bool eol = n > 0 && s[n - 1] == '\n';
        if (eol)
                s[n - 1] = '\0';
        output_clean(out, s);
        if (eol)
                fputc('\n', out);
        free(s);
}

json_t *json_string_lossy(const char *s)
{
        if (!s)
                return json_null();
        json_t *j = json_string(s);
        if (j)
                return j;
        cleanup_free char *copy = xstrdup(s);
        for (char *p = copy; *p; p++)
                if ((unsigned char)*p >= 0x80)
                        *p = '?';
        j = json_string(copy);
        return j ? j : json_null();
}

int output_json(json_t *root, FILE *out, struct distill_error *err)
{
        int r = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(root);
        if (r < 0 || fputc('\n', out) == EOF)
                return distill_error_set(err, DISTILL_EIO, "writing JSON output failed");
        return 0;
}

void output_human_bytes(uint64_t bytes, char buf[16])
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
        double v = (double)bytes;
        size_t u = 0;
        while (v >= 999.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1000.0;
                u++;
        }
        if (u == 0)
                snprintf(buf, 16, "%" PRIu64 " B", bytes);
        else
                snprintf(buf, 16, "%.1f %s", v, units[u]);
}
