/* The image's software bill of materials, from the final plan and the staging store: SPDX 2.3
 * JSON and CycloneDX 1.5 JSON (docs/architecture.md, "SBOM").
 *
 * One package per kept Debian package (version, architecture, source package, purl
 * pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-N with N the image's os-release
 * VERSION_ID, the licence of a machine-readable (DEP-5) copyright file); a Python distribution
 * (*.dist-info/METADATA, *.egg-info[/PKG-INFO]) inside the Debian package that ships it, one no
 * package owns on its own (pkg:pypi/NAME@VERSION). SPDX lists every kept regular file with SHA-1
 * and SHA-256, `./`-relative, under the package that ships it (the image's own package for the
 * app and generated files), each package's verification code (SPDX 2.3 §7.9), and CONTAINS and
 * DEPENDS_ON relationships (a kept file of A is there because of a file of B: B DEPENDS_ON A).
 * Reproducible: `created` from the build's epoch, the SPDX namespace and the CycloneDX
 * serialNumber from a UUID (version 5) of the image manifest's digest. */
#ifndef DISTILL_SBOM_H
#define DISTILL_SBOM_H

#include <stdint.h>

#include "distill/base/digest.h"
#include "distill/base/error.h"
#include "distill/core/plan.h"
#include "distill/core/store.h"

#define SBOM_SPDX_MEDIA_TYPE      "application/spdx+json"
#define SBOM_CYCLONEDX_MEDIA_TYPE "application/vnd.cyclonedx+json"

struct sbom_image {
        const char *ref;             /* "localhost/app:latest" */
        const char *manifest_digest; /* hex SHA-256 of the image manifest */
        int64_t created;             /* SOURCE_DATE_EPOCH */
};

struct sbom_docs {
        char *spdx; /* SPDX 2.3 JSON text */
        char *cdx;  /* CycloneDX 1.5 JSON text */
};

/* Both documents for the image the plan describes; file contents come from the store. Errors:
 * DISTILL_EIO (a blob cannot be read), DISTILL_EUSAGE (a name or version is not UTF-8). */
int sbom_make(struct plan *plan, const struct store *st, const struct sbom_image *img,
              struct sbom_docs *out, struct distill_error *err);
void sbom_docs_release(struct sbom_docs *d);

/* Both documents written to spdx_path and cdx_path (atomically). */
int sbom_write(const struct sbom_docs *d, const char *spdx_path, const char *cdx_path,
               struct distill_error *err);

/* "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx": RFC 9562 version 5 UUID of `name` in the URL
 * namespace (Python's uuid.uuid5(uuid.NAMESPACE_URL, name)). */
void sbom_uuid5(const char *name, char out[37]);

/* A DEP-5 licence short name ("GPL-2+", "Expat", "BSD-3-clause") as an SPDX licence ID
 * ("GPL-2.0-or-later", "MIT", "BSD-3-Clause"); NULL when it has none (a LicenseRef then). */
const char *sbom_spdx_license_id(const char *dep5, char *buf, size_t bufsize);

/* The licence expression of a machine-readable copyright file: the License fields of its Files
 * paragraphs, each as SPDX (names without an SPDX ID become LicenseRef-PREFIX-NAME), joined with
 * AND. NULL when the file is not machine-readable or names no licence. Caller frees;
 * `refs` (optional) gets each LicenseRef used followed by the DEP-5 text it stands for. */
char *sbom_dep5_license(const char *text, size_t len, const char *display, const char *prefix,
                        struct strvec *refs);

#endif
