/* Debian archives (docs/architecture.md, "Package sources"): which sources to read (the host's apt
 * configuration or the manifest's list), and their verified indexes — InRelease fetched with
 * libcurl, checked by gpgv against exactly the source's Signed-By keyring, refused when any byte
 * lies outside the signed block, Valid-Until honoured unless apt's configuration disables it,
 * every Packages and Contents index checked against the SHA-256 the verified InRelease lists.
 * Indexes are cached by hash; a warm run sends one conditional InRelease request per suite. */
#ifndef DISTILL_APT_H
#define DISTILL_APT_H

#include <stdbool.h>
#include <stdint.h>
#include "distill/base/digest.h"
#include "distill/base/error.h"
#include "distill/base/util.h"

struct apt_source_entry {
        char *uri;                /* "http://deb.example/debian" (no trailing slash) */
        char *suite;              /* "bookworm"; a suite ending in "/" is a flat repository */
        struct strvec components; /* "main", … (empty for a flat repository) */
        struct strvec archs;      /* Architectures: restriction, empty = any */
        char *signed_by;          /* keyring file (armored or binary) or NULL: apt's defaults */
        int check_valid_until;    /* -1 unset (apt's global setting), 0 no, 1 yes */
        char *origin;             /* "FILE:LINE" where it was declared */
};

struct apt_config {
        struct apt_source_entry *v;
        size_t n;
        char *http_proxy;       /* Acquire::http::Proxy, NULL for none */
        char *https_proxy;      /* Acquire::https::Proxy */
        bool check_valid_until; /* Acquire::Check-Valid-Until (default true) */
        /* /etc/apt/trusted.gpg, and the .gpg/.asc files of trusted.gpg.d */
        struct strvec default_keyrings;
        /* Files the config owns (inline deb822 Signed-By keys written out for gpgv), each alone
         * in a directory of its own; apt_config_release removes both. Stays empty (zero) when a
         * caller fills the config by hand. */
        struct strvec temp_files;
};

/* The host's configuration under `root` ("/"): deb822 *.sources and one-line *.list files in
 * etc/apt/sources.list(.d), options in brackets ([arch=… signed-by=… check-valid-until=…]),
 * `deb` lines only (deb-src ignored); settings from `apt-config dump` (run only when root is
 * "/"; otherwise read from etc/apt/apt.conf(.d) is not attempted and defaults apply). Errors
 * name FILE:LINE. */
int apt_config_from_host(const char *root, struct apt_config *out, struct distill_error *err);
/* Drops the source entries, keeping the settings (proxies, Check-Valid-Until, keyrings). */
void apt_config_clear_sources(struct apt_config *cfg);
void apt_config_release(struct apt_config *cfg);

struct apt_index {
        const struct apt_source_entry *source; /* points into the apt_config */
        char *component;                       /* "main", or "" for a flat repository */
        char *arch;                            /* "amd64" or "all" */
        char *packages_path;             /* verified, decompressed Packages file in the cache */
        char sha256[SHA256_HEX_LEN + 1]; /* of the decompressed Packages text */
        /* the verified Release's Label, Suite and Codename ("Debian-Security",
         * "bookworm-security", "bookworm-security"), NULL where it has none */
        char *label, *suite, *codename;
};

struct apt_fetch_options {
        const char *cache_dir; /* e.g. ~/.cache/distill; indexes under CACHE/indexes */
        const char *arch;      /* target architecture: indexes for it and for "all" */
        int64_t now;           /* seconds since the epoch, for Valid-Until */
        bool progress;         /* progress lines on stderr (a bar on a TTY) */
};

/* Fetch and verify every index of every source. Errors: DISTILL_EINTEGRITY (bad signature,
 * bytes outside the signed block, expired Valid-Until, hash mismatch), DISTILL_EIO (network,
 * HTTP errors), DISTILL_EUSAGE (malformed InRelease). Nothing unverified is left in the cache
 * under a final name. */
int apt_fetch_indexes(const struct apt_config *cfg, const struct apt_fetch_options *opt,
                      struct apt_index **out, size_t *n_out, struct distill_error *err);
void apt_indexes_free(struct apt_index *v, size_t n);

/* Which files the archive's packages install, reduced to what tells which package ships a
 * Python distribution. For each source: COMPONENT/Contents-ARCH and COMPONENT/Contents-all (pure
 * Python packages are Architecture: all and appear only in the latter), or, where no component
 * has one, the suite's own Contents-ARCH/-all (older archives' layout); for a flat repository the
 * Contents-ARCH/-all next to its Packages when its Release lists them. Each is checked against
 * the SHA-256 the verified InRelease lists, exactly as a Packages index, decompressed as it is
 * read and reduced on the way to the lines whose path is a *.dist-info or *.egg-info entry (or a
 * file in one) directly in usr/lib/python3/dist-packages or usr/lib/python3.N/dist-packages
 * (py_dist_info_prefix): "PATH   SECTION/PKG[,SECTION/PKG…]" lines as the index has them. The
 * reduced text is cached as CACHE/indexes/python-contents/<SHA-256 of the compressed file>
 * (written to a temp file, renamed when complete); the compressed download is not kept. A warm
 * run sends the conditional InRelease request of each source and nothing else. *paths gets the
 * reduced files, each once (free each and the array). Errors as apt_fetch_indexes, and
 * DISTILL_EUSAGE when no source lists any Contents index. */
int apt_fetch_python_contents(const struct apt_config *cfg, const struct apt_fetch_options *opt,
                              char ***paths, size_t *n, struct distill_error *err);

/* Download URL to the content-addressed cache CACHE/debs/<sha256> (temp file, SHA-256 and size
 * check, rename); a cached file whose hash matches is used without any request, one whose hash
 * no longer matches is DISTILL_EINTEGRITY. *path gets the cached file. */
int apt_fetch_verified(const struct apt_config *cfg, const char *cache_dir, const char *url,
                       const char *sha256, uint64_t size, char **path, struct distill_error *err);

/* The verified plaintext of an InRelease (for tests and callers that fetched it themselves):
 * gpgv --keyring KEYRING --output - ; refuses any byte outside the signed block. */
int apt_verify_inrelease(const char *inrelease_path, const struct strvec *keyrings,
                         char **plaintext, size_t *len, struct distill_error *err);

#endif
