/* verify: `distill verify OUT` — an image distill wrote (OCI layout, docker-archive or rootfs
 * tree), read back (check/imageread) and proved sound after the fact: no shell or package
 * manager (but the debug variant's /busybox), no setuid/setgid, device or world-writable file
 * outside /tmp, nothing but the home and /tmp writable by the image user, every file root-owned
 * but the home, the config's user in /etc/passwd, the entrypoint and its interpreter present and
 * executable, every ELF object's NEEDED found by the ld.so rules (elf/ldso), every Python
 * module's unguarded module-level imports found (python/pyimports; imports under an `if` or an
 * `except ImportError` are notes, not problems), status.d md5sums matching, and the config's
 * diff_ids and the layer digests matching the blobs. */
#ifndef DISTILL_VERIFY_H
#define DISTILL_VERIFY_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include "distill/base/error.h"
#include "distill/base/util.h"
#include "distill/check/imageread.h"

/* One finding: the check that made it ("shell", "mode", "writable", "owner", "user",
 * "entrypoint", "elf", "python", "md5sums", "digest", "tests") and one line saying what. */
struct verify_finding {
        char *check;
        char *message;
};

struct verify_report {
        struct verify_finding *problems;
        size_t n_problems;
        struct verify_finding *notes; /* informational: guarded imports not in the image, … */
        size_t n_notes;
};

void verify_add(struct verify_finding **v, size_t *n, const char *check, char *message);
/* The same with a printf-formatted message. */
void verify_addv(struct verify_finding **v, size_t *n, const char *check, const char *fmt,
                 va_list ap) __attribute__((format(printf, 4, 0)));
void verify_report_release(struct verify_report *rep);

/* Every check over an image already read (its reading problems included). Returns 0 whatever
 * was found (the findings are in rep), negative only when the checks could not run. */
int verify_image(const struct imageread *img, struct verify_report *rep, struct distill_error *err);

/* An /etc/passwd's entry for a user name or number: its ids and home (caller frees). */
bool verify_passwd_lookup(const char *passwd, const char *user, unsigned *uid, unsigned *gid,
                          char **home);
/* A rootfs has no config: its user is the last account that is neither root nor nobody
 * ("root" when there is none). Caller frees. */
char *verify_default_user(const char *passwd);

struct verify_options {
        const char *out;
        bool json;
        const char *tests; /* --tests FILE: container-structure-test YAML, or NULL */
};

/* `distill verify`: the report on `to` (a line per problem, "check: message", then the notes as
 * "note: check: message"; or one JSON object), DISTILL_EVERIFY when there is a problem. */
int verify_run(const struct verify_options *o, FILE *to, struct distill_error *err);

#endif
