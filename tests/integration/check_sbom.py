"""Checks distill's SBOMs of an image against the unpacked image and against Trivy.

usage: check_sbom.py SPDX CDX ROOTFS TRIVY_CDX

What the SPDX 2.3 schema cannot say: every file has SHA1 and SHA256 checksums equal to the
bytes in ROOTFS, names './'-relative; each package's verification code is recomputed here
(SPDX 2.3 §7.9) from the SHA1 values of the files it CONTAINS; every kept regular file of the
image is listed once. Then scanner agreement: the Debian packages Trivy finds (name, version
with epoch) are exactly those the SBOM lists, the OS Trivy detects is the SBOM's Debian release,
and every language package Trivy reports is in the SBOM under the same name and version.
Prints one line per problem and exits 1 when there is any.
"""
import hashlib
import json
import os
import sys
from urllib.parse import parse_qs, urlsplit

spdx_path, cdx_path, rootfs, trivy_path = sys.argv[1:]
spdx = json.load(open(spdx_path))
cdx = json.load(open(cdx_path))
trivy = json.load(open(trivy_path))
problems = []


def digest(path, algo):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- SPDX: files and verification codes ------------------------------------------------------
files = {f["SPDXID"]: f for f in spdx["files"]}
listed = set()
for f in spdx["files"]:
    name = f["fileName"]
    if not name.startswith("./"):
        problems.append("file name not ./-relative: %s" % name)
        continue
    sums = {c["algorithm"]: c["checksumValue"] for c in f["checksums"]}
    host = os.path.join(rootfs, name[2:])
    if "SHA1" not in sums:
        problems.append("%s: no SHA1" % name)
    elif sums["SHA1"] != digest(host, "sha1"):
        problems.append("%s: SHA1 differs from the image's bytes" % name)
    if sums.get("SHA256") != digest(host, "sha256"):
        problems.append("%s: SHA256 differs from the image's bytes" % name)
    if name in listed:
        problems.append("%s listed twice" % name)
    listed.add(name)

in_image = set()
for dirpath, dirnames, filenames in os.walk(rootfs):
    for n in filenames:
        p = os.path.join(dirpath, n)
        if os.path.isfile(p) and not os.path.islink(p):
            in_image.add("./" + os.path.relpath(p, rootfs))
# hardlinks are listed once, under the first name
for name in sorted(in_image - listed):
    st = os.stat(os.path.join(rootfs, name[2:]))
    if st.st_nlink == 1:
        problems.append("%s is in the image but not in the SBOM" % name)
for name in sorted(listed - in_image):
    problems.append("%s is in the SBOM but not in the image" % name)

contains = {}
for r in spdx["relationships"]:
    if r["relationshipType"] == "CONTAINS" and r["relatedSpdxElement"] in files:
        contains.setdefault(r["spdxElementId"], []).append(files[r["relatedSpdxElement"]])
for p in spdx["packages"]:
    mine = contains.get(p["SPDXID"], [])
    if p.get("filesAnalyzed", True):
        sha1s = sorted(c["checksumValue"] for f in mine for c in f["checksums"]
                       if c["algorithm"] == "SHA1")
        want = hashlib.sha1("".join(sha1s).encode()).hexdigest()
        got = p.get("packageVerificationCode", {}).get("packageVerificationCodeValue")
        if got != want or not mine:
            problems.append("%s: verification code %s, recomputed %s over %d files"
                            % (p["name"], got, want, len(mine)))
    elif mine:
        problems.append("%s: filesAnalyzed false but CONTAINS files" % p["name"])

# ---- scanner agreement ------------------------------------------------------------------------
def purl_type(purl):
    return purl.split(":", 1)[1].split("/", 1)[0] if purl else None


sbom_debs = {(c["name"], c["version"]) for c in cdx["components"] if purl_type(c.get("purl")) == "deb"}
spdx_debs = set()
for p in spdx["packages"]:
    for ref in p.get("externalRefs", []):
        if ref["referenceType"] == "purl" and purl_type(ref["referenceLocator"]) == "deb":
            spdx_debs.add((p["name"], p["versionInfo"]))
if spdx_debs != sbom_debs:
    problems.append("SPDX and CycloneDX list different Debian packages: %s"
                    % sorted(spdx_debs ^ sbom_debs))

sbom_py = set()
def walk(components):
    for c in components:
        if purl_type(c.get("purl")) == "pypi":
            sbom_py.add((c["name"], c["version"]))
        walk(c.get("components", []))
walk(cdx["components"])
sbom_os = [c for c in cdx["components"] if c["type"] == "operating-system"]

trivy_debs, trivy_lang, trivy_os = set(), set(), []
for c in trivy.get("components", []):
    if c.get("type") == "operating-system":
        trivy_os.append((c["name"], c.get("version", "")))
        continue
    purl = c.get("purl")
    if purl_type(purl) == "deb":
        q = parse_qs(urlsplit(purl).query)
        epoch = q.get("epoch", [None])[0]
        trivy_debs.add((c["name"], ("%s:" % epoch if epoch else "") + c["version"]))
    elif purl:
        trivy_lang.add((purl_type(purl), c["name"], c["version"]))

for name, version in sorted(trivy_debs - sbom_debs):
    problems.append("Trivy finds Debian package %s %s, the SBOM does not list it" % (name, version))
for name, version in sorted(sbom_debs - trivy_debs):
    problems.append("the SBOM lists Debian package %s %s, Trivy does not find it" % (name, version))
if len(sbom_os) != 1 or len(trivy_os) != 1:
    problems.append("operating system: SBOM %s, Trivy %s" % (sbom_os, trivy_os))
else:
    release = sbom_os[0]["version"]
    name, version = trivy_os[0]
    if name != "debian" or not (version == release or version.startswith(release + ".")):
        problems.append("Trivy detects %s %s, the SBOM says debian %s" % (name, version, release))
for kind, name, version in sorted(trivy_lang):
    if kind != "pypi" or (name, version) not in sbom_py:
        problems.append("Trivy reports %s package %s %s, the SBOM does not" % (kind, name, version))

for p in problems:
    print(p)
print("%d files, %d Debian packages, %d Python distributions; Trivy: %d Debian, %d language"
      % (len(listed), len(sbom_debs), len(sbom_py), len(trivy_debs), len(trivy_lang)),
      file=sys.stderr)
sys.exit(1 if problems else 0)
