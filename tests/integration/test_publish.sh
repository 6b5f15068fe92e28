#!/usr/bin/env bash
# Publishing: `distill publish OUT REF` and `build --push REF` send the image to Debian's
# docker-registry on 127.0.0.1 through skopeo: the digest printed is the manifest digest of the
# OCI build, skopeo pulls back the same manifest, a docker-archive publishes too, a two-
# architecture image index is published whole, and a failed push is exit 4 with skopeo's reason.
. "$(dirname "$0")/lib.sh"

port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/registry"
printf '%s\n' "version: 0.1" "log: {level: error}" \
  "storage: {filesystem: {rootdirectory: $WORK/registry}}" "http: {addr: 127.0.0.1:$port}" \
  >"$WORK/registry.yml"
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
registry=$!
trap 'kill $registry 2>/dev/null || true; cleanup_work' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
check "docker-registry answers on 127.0.0.1:$port" curl -sf "http://127.0.0.1:$port/v2/"
R=127.0.0.1:$port

# The SBOMs travel: the referrers tag's index lists both artifact manifests with their
# artifactType, each names the image as its subject, and the registry serves the very bytes of
# OUT/sbom.*.json. Read back over the distribution API (Python's urllib), not with distill.
referrers_ok() { # referrers_ok REPO SUBJECT_DIGEST SPDX_FILE CDX_FILE [EXTRA_DIGEST]
  $PY - "http://$R/v2/$1" "$2" "$3" "$4" "${5:-}" <<'PYEOF'
import hashlib, json, sys, urllib.request
base, subject, spdx, cdx, extra = sys.argv[1:6]
def get(path, accept=None):
    req = urllib.request.Request(base + path, headers={"Accept": accept} if accept else {})
    return urllib.request.urlopen(req).read()
index = json.loads(get("/manifests/sha256-" + subject.split(":")[1],
                       "application/vnd.oci.image.index.v1+json"))
digests = [d["digest"] for d in index["manifests"]]
assert len(digests) == len(set(digests)), digests
want = {"application/spdx+json": open(spdx, "rb").read(),
        "application/vnd.cyclonedx+json": open(cdx, "rb").read()}
ours = [d for d in index["manifests"] if d.get("artifactType") in want]
assert sorted(d["artifactType"] for d in ours) == sorted(want), index
for d in ours:
    raw = get("/manifests/" + d["digest"], "application/vnd.oci.image.manifest.v1+json")
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == d["digest"]
    m = json.loads(raw)
    assert m["subject"]["digest"] == subject and m["artifactType"] == d["artifactType"], m
    assert d["annotations"] == m["annotations"], (d, m)
    blob = get("/blobs/" + m["layers"][0]["digest"])
    assert blob == want[d["artifactType"]], d["artifactType"]
if extra:
    assert extra in digests, (extra, digests)
PYEOF
}

REF=localhost/hello:latest
"$DISTILL" build "$SRC/manifests/hello.yaml" -o "$WORK/oci" -q >/dev/null
built=$(manifest_digest "$WORK/oci" "$REF")
out=$("$DISTILL" publish "$WORK/oci" "$R/hello:1" --tls-verify=false)
check "publish prints REF@DIGEST, the OCI build's manifest digest ($out)" \
  test "$(sed -n 1p <<<"$out")" = "$R/hello:1@$built"
check "... then the referrers tag its SBOMs went under (the referrers tag schema)" \
  test "$(sed -n 2p <<<"$out")" = "referrers $R/hello:sha256-${built#sha256:}"
skopeo copy -q --src-tls-verify=false "docker://$R/hello:1" "oci:$WORK/pulled:x"
check "skopeo pulls back the same manifest" test "$(manifest_digest "$WORK/pulled" x)" = "$built"
check "... and the registry serves it by digest" \
  bash -c "skopeo inspect --raw --tls-verify=false 'docker://$R/hello@$built' >/dev/null"

"$DISTILL" build "$SRC/manifests/hello.yaml" --format docker-archive -o "$WORK/hello.tar" -q >/dev/null
"$DISTILL" publish "$WORK/hello.tar" "$R/hello:archive" --tls-verify=false --json >"$WORK/archive.json"
check "a docker-archive publishes too (--json names the digest)" $PY -c '
import json, subprocess, sys
j = json.load(open(sys.argv[1]))
raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + sys.argv[2]],
                     check=True, capture_output=True).stdout
import hashlib
assert j["digest"] == "sha256:" + hashlib.sha256(raw).hexdigest(), j' "$WORK/archive.json" "$R/hello:archive"

archived=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$WORK/archive.json")
check "a docker-archive's SBOMs (beside it) become referrers of the manifest skopeo pushed" \
  referrers_ok hello "$archived" "$WORK/hello.tar.spdx.json" "$WORK/hello.tar.cdx.json"

# build --push: the same digest, one step
"$DISTILL" build "$SRC/manifests/hello.yaml" -o "$WORK/pushed" --push "$R/hello:2" --tls-verify=false \
  >"$WORK/push.out" 2>/dev/null
check "build --push pushes what it built" grep -qx "pushed     $R/hello:2@$built" "$WORK/push.out"

check "the SBOMs are in the registry: referrers index, artifact manifests, the files' bytes" \
  referrers_ok hello "$built" "$WORK/oci/sbom.spdx.json" "$WORK/oci/sbom.cdx.json"

# another tool's referrer already under the tag stays; a second publish lists each once
$PY - "http://$R/v2/hello" "$built" <<'PYEOF'
import json, sys, urllib.request
base, subject = sys.argv[1:3]
tag = "/manifests/sha256-" + subject.split(":")[1]
h = {"Accept": "application/vnd.oci.image.index.v1+json"}
index = json.loads(urllib.request.urlopen(urllib.request.Request(base + tag, headers=h)).read())
raw = urllib.request.urlopen(urllib.request.Request(base + "/manifests/" + subject,
    headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})).read()
# a stand-in for a signature another tool pushed: any manifest the repository has will do
index["manifests"] = index["manifests"][:1] + [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": subject, "size": len(raw), "artifactType": "application/vnd.example.signature"}]
body = json.dumps(index).encode()
req = urllib.request.Request(base + tag, data=body, method="PUT",
                             headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
assert urllib.request.urlopen(req).status == 201
PYEOF
"$DISTILL" publish "$WORK/oci" "$R/hello:1" --tls-verify=false >/dev/null
check "a second publish keeps another tool's referrer and lists each SBOM once" \
  referrers_ok hello "$built" "$WORK/oci/sbom.spdx.json" "$WORK/oci/sbom.cdx.json" "$built"

# two architectures: the image index is published whole
sed -e 's/^arch: amd64$/arch: [amd64, arm64]/' -e "s|\.\./examples|$SRC/examples|" \
  "$SRC/manifests/hello-apt.yaml" >"$WORK/multi.yaml"
"$DISTILL" build "$WORK/multi.yaml" -o "$WORK/multi" -q >/dev/null
MREF=$(index_ref "$WORK/multi")
index=$(manifest_digest "$WORK/multi" "$MREF")
"$DISTILL" publish "$WORK/multi" "$R/multi:1" --tls-verify=false --json >"$WORK/multi.json"
check "a multi-architecture build publishes its image index whole" $PY -c '
import json, subprocess, sys
j = json.load(open(sys.argv[1]))
assert j["index"] and j["digest"] == sys.argv[3], j
raw = json.loads(subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                                 "docker://" + sys.argv[2]], check=True, capture_output=True).stdout)
archs = sorted(m["platform"]["architecture"] for m in raw["manifests"])
assert archs == ["amd64", "arm64"], raw' "$WORK/multi.json" "$R/multi:1" "$index"
check "... and skopeo picks arm64 from it" bash -c \
  "skopeo inspect --tls-verify=false --override-arch arm64 'docker://$R/multi:1' | grep -q '\"Architecture\": \"arm64\"'"
for a in amd64 arm64; do
  sub=$(manifest_digest "$WORK/multi" "$MREF-$a")
  sbom=$WORK/multi/sbom-$a
  [ -e "$sbom.spdx.json" ] || sbom=$WORK/multi/sbom
  check "$a: its SBOMs are under its own referrers tag" \
    referrers_ok multi "$sub" "$sbom.spdx.json" "$sbom.cdx.json"
done

# a registry that asks for credentials (htpasswd, HTTP Basic): distill reads them where skopeo
# does (REGISTRY_AUTH_FILE) for the image and the referrers tag alike; without them, exit 4
aport=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$PY -c 'import crypt; print("alice:" + crypt.crypt("s3cret", crypt.METHOD_BLOWFISH))' >"$WORK/htpasswd"
mkdir -p "$WORK/aregistry"
printf '%s\n' "version: 0.1" "log: {level: error}" \
  "storage: {filesystem: {rootdirectory: $WORK/aregistry}}" "http: {addr: 127.0.0.1:$aport}" \
  "auth: {htpasswd: {realm: distill-test, path: $WORK/htpasswd}}" >"$WORK/aregistry.yml"
docker-registry serve "$WORK/aregistry.yml" >"$WORK/aregistry.log" 2>&1 &
aregistry=$!
trap 'kill $registry $aregistry 2>/dev/null || true; cleanup_work' EXIT
for _ in $(seq 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$aport/v2/")" = 401 ] && break; sleep 0.1; done
printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$aport" "$(printf alice:s3cret | base64)" >"$WORK/auth.json"
rc=0
REGISTRY_AUTH_FILE=$WORK/auth.json "$DISTILL" publish "$WORK/oci" "127.0.0.1:$aport/hello:1" \
  --tls-verify=false >"$WORK/auth.out" 2>"$WORK/auth.err" || rc=$?
check "with credentials: published, SBOMs too (exit $rc)" \
  bash -c "[ $rc -eq 0 ] && grep -qx 'referrers 127.0.0.1:$aport/hello:sha256-${built#sha256:}' '$WORK/auth.out'"
check "... the referrers tag readable with the password" bash -c \
  "curl -sf -u alice:s3cret -H 'Accept: application/vnd.oci.image.index.v1+json' \
     'http://127.0.0.1:$aport/v2/hello/manifests/sha256-${built#sha256:}' | grep -q spdx"
rc=0
REGISTRY_AUTH_FILE=$WORK/nonexistent.json "$DISTILL" publish "$WORK/oci" "127.0.0.1:$aport/hello:2" \
  --tls-verify=false >/dev/null 2>"$WORK/noauth.err" || rc=$?
check "without credentials: exit 4 (got $rc), with the registry's reason" \
  bash -c "[ $rc -eq 4 ] && grep -qi 'unauthorized\|authentication required' '$WORK/noauth.err'"
kill "$aregistry"

# failures: a registry that is not there, a reference that is not one, a rootfs tree
kill "$registry"
wait "$registry" 2>/dev/null || true
rc=0
"$DISTILL" publish "$WORK/oci" "$R/hello:3" --tls-verify=false >/dev/null 2>"$WORK/fail.err" || rc=$?
check "a failed push is exit 4 (got $rc)" test "$rc" -eq 4
check "... with skopeo's reason" grep -q "connection refused" "$WORK/fail.err"
rc=0
"$DISTILL" publish "$WORK/oci" "Bad Ref" >/dev/null 2>"$WORK/bad.err" || rc=$?
check "a bad reference is exit 2 (got $rc)" test "$rc" -eq 2
"$DISTILL" build "$SRC/manifests/hello.yaml" --format rootfs -o "$WORK/rootfs" -q >/dev/null
rc=0
"$DISTILL" publish "$WORK/rootfs" "$R/hello:4" >/dev/null 2>"$WORK/rootfs.err" || rc=$?
check "a root filesystem tree is not published: exit 2 (got $rc)" test "$rc" -eq 2

finish
