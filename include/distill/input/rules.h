/* Rules (docs/architecture.md, "Rules"): what no ELF header or import statement reveals, as data.
 * Every *.yaml file of manifests/rules/, the manifest's `rules:` directories and --rules DIR is
 * loaded, in that order, files sorted by name within a directory.
 *
 * File format:
 *   rules:
 *     - name: ssl-ca-bundle
 *       when: {file: "/usr/lib/${triplet}/libssl.so.*"}   # or: always | {module: M} |
 *                                     # {attribute: os.popen} | {env: LANG=C.UTF-8} |
 *                                     # {arch: amd64} | {python: true}
 *       add:
 *         packages: [ca-certificates, openssl]  # join the candidate set when the source has them
 *         paths: [/usr/lib/ssl/openssl.cnf]     # globs over candidate files, variables expanded
 *         modules: []                           # Python modules to keep
 *         ignore-in-functions: [doctest]        # not followed from function-level imports of
 *                                               # library code (python.imports: deep)
 *         ignore-computed-in: [encodings]       # computed imports of these modules (and their
 *                                               # submodules) are not narrowed by literals
 *         locales: [C.UTF-8]                    # glibc locales: the directory of
 *                                               # /usr/lib/locale setlocale() loads for the
 *                                               # name, the first of its candidates the
 *                                               # packages ship (C.UTF-8, then C.utf8)
 *         generate: [ca-bundle]                 # files distill writes (rootfs stage)
 *         env: {SSL_CERT_FILE: /etc/ssl/certs/ca-certificates.crt}
 *       reason: "..."                           # what `why` prints
 *       scope: package                          # core (default) | package: for one library,
 *                                               # dropped by --no-package-rules
 * Variables in paths and conditions: ${triplet} (x86_64-linux-gnu), ${arch} (amd64),
 * ${pyver} (3.11), ${ldso} (the PT_INTERP basename). */
#ifndef DISTILL_RULES_H
#define DISTILL_RULES_H

#include "distill/base/error.h"
#include "distill/base/digest.h"
#include "distill/base/util.h"
#include "distill/input/manifest.h"

enum rule_cond {
        RULE_WHEN_ALWAYS,
        RULE_WHEN_MODULE,    /* a Python module is kept */
        RULE_WHEN_ATTRIBUTE, /* an attribute is used (os.popen) */
        RULE_WHEN_FILE,      /* a file matching the glob is kept */
        RULE_WHEN_ENV,       /* the image env has KEY=VALUE (or KEY set, when no '=') */
        RULE_WHEN_ARCH,      /* the target architecture is this one */
        RULE_WHEN_PYTHON,    /* the image has a Python interpreter */
};

/* What a rule stands for: knowledge of the platform (the loader, the interpreter, glibc,
 * OpenSSL) or a patch for one library that no general mechanism reaches (--no-package-rules
 * drops those, to show what the mechanisms do alone). */
enum rule_scope { RULE_SCOPE_CORE, RULE_SCOPE_PACKAGE };

struct rule_when { /* a further condition (when: {env: …, file: …}: all must hold) */
        enum rule_cond cond;
        char *value;
};

struct rule {
        char *name;
        enum rule_scope scope; /* `scope: core` (default) | `scope: package` */
        char *origin;          /* "file:line:col" of the rule */
        enum rule_cond when;
        char *when_value;       /* NULL for always/python */
        struct rule_when *also; /* the mapping's other conditions, in file order */
        size_t n_also;
        struct strvec packages;
        struct strvec paths;
        struct strvec modules;
        struct strvec ignore_in_functions; /* modules that imports inside functions of library
                                            * code do not pull in (development tools) */
        struct strvec ignore_computed_in;  /* modules whose computed imports are not narrowed:
                                            * machinery whose names another mechanism follows */
        struct strvec locales;             /* glibc locale names (libclocale.h) */
        struct strvec generate;
        struct manifest_kv *env;
        size_t n_env;
        char *reason;
};

struct ruleset {
        struct rule *rules;
        size_t n;
        /* SHA-256 over each loaded file's name (without its directory, so that where distill is
         * installed does not matter) and bytes, in load order: the image records it
         * (io.distill.rules.digest), so that an edited rule explains a changed image */
        char digest[SHA256_HEX_LEN + 1];
};

/* Known generators for `generate:` */
#define RULE_GENERATE_CA_BUNDLE "ca-bundle"

/* Load every *.yaml of every dir. Errors are DISTILL_EUSAGE with file:line:col (unknown keys,
 * wrong types, unknown conditions or generators, duplicate rule names); DISTILL_EIO for a
 * directory that cannot be read. */
int rules_load(const struct strvec *dirs, struct ruleset *out, struct distill_error *err);
/* Removes (and releases) the rules of one scope. */
void rules_drop_scope(struct ruleset *set, enum rule_scope scope);
void rules_release(struct ruleset *rs);

/* The directory of the rules distill ships: $DISTILL_RULES_DIR when set; else beside the
 * program as installed (BINDIR/../share/distill/rules, wherever the prefix was moved); else,
 * for a program run from the build tree it was built in, the checkout's manifests/rules.
 * DISTILL_EIO naming where it looked when none exists. */
int rules_shipped_dir(char **out, struct distill_error *err);

struct rules_vars {
        const char *triplet;
        const char *arch;
        const char *pyver; /* may be NULL: then ${pyver} expands to nothing and rules using it on
                            * paths are skipped by the caller */
        const char *ldso;
};
/* Expand ${name} variables. Returns NULL (and sets err, DISTILL_EUSAGE naming the rule origin)
 * for an unknown variable or one whose value is NULL. */
char *rules_expand(const char *s, const struct rules_vars *vars, const char *origin,
                   struct distill_error *err);

#endif
