#!/usr/bin/env bash
# The hello image end to end: build, unpack with umoci, run with runc as UID 1000, then check the
# rootfs policy, the dpkg metadata, the OCI layout with oci-image-tool and skopeo, and the
# candidate package set against apt-get's own resolution.
. "$(dirname "$0")/lib.sh"

REF=localhost/hello:latest
OUT=$WORK/hello-oci
"$DISTILL" build "$SRC/manifests/hello.yaml" -o "$OUT" -q >"$WORK/build.out"
check "build writes an OCI layout with plan.json" test -f "$OUT/index.json" -a -f "$OUT/plan.json"

unpack "$OUT" "$REF" "$WORK/bundle"
user=$($PY -c 'import json,sys; u=json.load(open(sys.argv[1]))["process"]["user"]; print("%d:%d" % (u["uid"], u["gid"]))' "$WORK/bundle/config.json")
check "umoci's bundle config (from the image config) says user 1000:1000 (got $user)" test "$user" = "1000:1000"

run_bundle "$WORK/bundle" >"$WORK/run.out" 2>"$WORK/run.err" || true
cat "$WORK/run.out" "$WORK/run.err"
want="Hello from distill: Python $($PY -c 'import sys; print(sys.version.split()[0])'), uid=1000 gid=1000"
check "the app's output appears, printed as uid/gid 1000" test "$(cat "$WORK/run.out")" = "$want"
check "nothing on stderr (no prefix warnings)" test ! -s "$WORK/run.err"

check "rootfs policy" $PY "$HERE/check_rootfs.py" "$WORK/bundle/rootfs" nonroot 1000 1000
check "dpkg metadata and CA bundle" $PY "$HERE/check_metadata.py" "$WORK/bundle/rootfs" "$OUT/plan.json"

check "oci-image-tool validate --type image" \
  oci-image-tool validate --type image --ref "name=$REF" "$OUT"
skopeo inspect --config "oci:$OUT:$REF" >"$WORK/config.json"
check "skopeo shows User 1000:1000 and the entrypoint" $PY - "$WORK/config.json" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))["config"]
assert c["User"] == "1000:1000", c
assert c["Entrypoint"] == ["/usr/bin/python3.11", "/app/main.py"], c
assert "LANG=C.UTF-8" in c["Env"], c
PYEOF

# The candidate set must be exactly what apt would install for the same request: the manifest's
# packages plus the packages the rules added, as plan.json records them.
mapfile -t request < <($PY -c 'import json,sys; p=json.load(open(sys.argv[1])); print("\n".join(p["requested"] + p["rule_packages"]))' "$OUT/plan.json")
apt_sim "${request[@]}" \
  | awk '/^Inst /{print $2}' | sed 's/:.*//' | sort -u >"$WORK/apt.set"
$PY -c 'import json,sys; print("\n".join(sorted(p["name"] for p in json.load(open(sys.argv[1]))["packages"])))' "$OUT/plan.json" | sort -u >"$WORK/distill.set"
if diff -u "$WORK/apt.set" "$WORK/distill.set"; then
  ok "candidate set equals apt-get -s for ${request[*]} ($(wc -l <"$WORK/apt.set") packages)"
else
  fail "candidate set differs from apt-get -s (- apt, + distill)"
fi

finish
