#include "distill/base/error.h"
#include "distill/base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void distill_error_format(struct distill_error *err, int code, const char *fmt, ...)
{
        va_list ap;

        if (err) {
                err->code = code;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
        }
}

void distill_error_format_errno(struct distill_error *err, int code, int errnum, const char *fmt,
                                ...)
{
        va_list ap;
        size_t len;

        if (err) {
                err->code = code;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
                len = strlen(err->msg);
                snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(errnum));
        }
}

int distill_error_prefix(struct distill_error *err, const char *fmt, ...)
{
        struct strbuf sb = STRBUF_INIT;
        char prefix[1024];
        va_list ap;

        if (!err)
                return -DISTILL_EINTERNAL;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        strbuf_adds(&sb, prefix);
        strbuf_adds(&sb, err->msg);
        size_t n = sb.len < sizeof(err->msg) - 1 ? sb.len : sizeof(err->msg) - 1;
        memcpy(err->msg, sb.buf, n);
        err->msg[n] = '\0';
        strbuf_release(&sb);
        return -err->code;
}

int distill_kind_exit_code(int kind)
{
        return kind > DISTILL_KIND_BASE && kind <= DISTILL_KIND_LAST ? kind - DISTILL_KIND_BASE : 1;
}

int distill_exit_status(int r, struct distill_error *err)
{
        if (r >= 0)
                return 0;
        if (err->code <= DISTILL_KIND_BASE || err->code > DISTILL_KIND_LAST || r != -err->code) {
                char was[sizeof(err->msg)];
                memcpy(was, err->code ? err->msg : "(none)",
                       err->code ? sizeof(was) : sizeof("(none)"));
                was[sizeof(was) - 1] = '\0';
                distill_error_format(err, DISTILL_EINTERNAL,
                                     "internal error: a failure returned %d without its message "
                                     "(last message: %.2000s)",
                                     r, was);
        }
        return distill_kind_exit_code(err->code);
}
