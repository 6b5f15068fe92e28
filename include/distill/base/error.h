/* Error model (docs/architecture.md): library code never exits; it returns a negative error
 * kind and fills a struct distill_error whose message names the input and the position. The
 * process exit code comes from the kind (distill_exit_status).
 *
 * Low-level helpers (util's file functions, digest's fd readers, callbacks) return -errno
 * instead; callers turn that into a kind with distill_error_errno. The kinds lie far above
 * every errno value, so an -errno that slips through never compares equal to a kind and is
 * caught at the top as the internal error it is, instead of leaving with a wrong exit code. */
#ifndef DISTILL_ERROR_H
#define DISTILL_ERROR_H

#define DISTILL_KIND_BASE 4096 /* errno values stay below it */

enum distill_status {
        DISTILL_OK = 0,
        DISTILL_EINTERNAL = DISTILL_KIND_BASE + 1,  /* a bug or an allocation failure */
        DISTILL_EUSAGE = DISTILL_KIND_BASE + 2,     /* bad command line, invalid manifest or
                                                     * rules, OUT exists */
        DISTILL_ERESOLVE = DISTILL_KIND_BASE + 3,   /* a package, library or module was not
                                                     * found */
        DISTILL_EIO = DISTILL_KIND_BASE + 4,        /* I/O or network */
        DISTILL_EINTEGRITY = DISTILL_KIND_BASE + 5, /* hash or signature mismatch, hostile
                                                     * archive */
        DISTILL_EVERIFY = DISTILL_KIND_BASE + 6,    /* `verify` found problems */
        DISTILL_EOUTDATED = DISTILL_KIND_BASE + 7,  /* `outdated --exit-code`: a package kept
                                                     * in the image has a newer version */
        DISTILL_KIND_LAST = DISTILL_EOUTDATED,
};

struct distill_error {
        int code; /* enum distill_status, 0 when no error was set */
        char msg[4096];
};

/* Fill the error. Callers use the macros below, which also yield -code. */
void distill_error_format(struct distill_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like distill_error_format, appending ": strerror(errnum)". */
void distill_error_format_errno(struct distill_error *err, int code, int errnum, const char *fmt,
                                ...) __attribute__((format(printf, 4, 5)));

/* Set the error and yield -code, so callers can write `return distill_error_set(err, ...)`.
 * Macros, so that the negative result is visible where the error is returned: a variadic
 * function is never inlined, and a compiler that cannot see a failure path return < 0 warns
 * that outputs that path leaves unset may be used. `code` is evaluated once, first. */
#define distill_error_set(err, code, ...)                                                          \
        __extension__({                                                                            \
                const int distill_code_ = (code);                                                  \
                distill_error_format((err), distill_code_, __VA_ARGS__);                           \
                -distill_code_;                                                                    \
        })
#define distill_error_errno(err, code, errnum, ...)                                                \
        __extension__({                                                                            \
                const int distill_code_ = (code);                                                  \
                distill_error_format_errno((err), distill_code_, (errnum), __VA_ARGS__);           \
                -distill_code_;                                                                    \
        })
/* Prefix context to an error already set ("building /app: " + msg); returns -err->code. */
int distill_error_prefix(struct distill_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The process exit code of a kind: DISTILL_EUSAGE → 2. */
int distill_kind_exit_code(int kind);
/* The process exit code (0, or 1 to 7 as the README lists them) for a result r of library code
 * and its error: a failure whose return value is not the kind its message was set with (an
 * -errno that leaked, or no message at all) is an internal error, said so in err. */
int distill_exit_status(int r, struct distill_error *err);

#endif
