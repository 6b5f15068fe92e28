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

REF=localhost/hello:latest
"$DISTILL" build "$SRC/manifests/hello.yaml" -o "$WORK/oci" -q >/dev/null
built=$(manifest_digest "$WORK/oci" "$REF")
out=$("$DISTILL" publish "$WORK/oci" "$R/hello:1" --tls-verify=false)
check "publish prints REF@DIGEST, the OCI build's manifest digest ($out)" test "$out" = "$R/hello:1@$built"
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

# build --push: the same digest, one step
"$DISTILL" build "$SRC/manifests/hello.yaml" -o "$WORK/pushed" --push "$R/hello:2" --tls-verify=false \
  >"$WORK/push.out" 2>/dev/null
check "build --push pushes what it built" grep -qx "pushed     $R/hello:2@$built" "$WORK/push.out"

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
