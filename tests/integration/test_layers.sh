#!/usr/bin/env bash
# Split layers and the blob cache: the runtime layer (package files and what is generated for
# them) and the app layer (python.app, site-packages, files.add and their .pyc). An app edit
# changes only the app layer's digest, and the runtime blob is taken from the cache, not
# compressed again; image.layers: single keeps one layer; umoci unpacks and runc runs the result.
. "$(dirname "$0")/lib.sh"

export DISTILL_CACHE=$WORK/cache # a cache of the test's own: the first build is a miss
cp -a "$SRC/examples/stdlib-app" "$WORK/app"
sed -e "s|\.\./examples/stdlib-app|$WORK/app|" "$SRC/manifests/stdlib-app.yaml" >"$WORK/m.yaml"
REF=$(sed -n 's/^  ref: //p' "$WORK/m.yaml")

layers() { # layers JSON → "digest cached" per line
  $PY -c 'import json,sys; [print(l["digest"], json.dumps(l["cached"])) for l in json.load(open(sys.argv[1]))["layers"]]' "$1"
}
"$DISTILL" build "$WORK/m.yaml" -o "$WORK/a" --json -q >"$WORK/a.json"
layers "$WORK/a.json" >"$WORK/a.layers"
cat "$WORK/a.layers"
check "split: two layers, runtime then app, neither from the cache on a first build" \
  test "$(awk '{print $2}' "$WORK/a.layers" | tr '\n' ' ')" = "false false "
check "the app layer holds the app and its .pyc, the runtime layer the rest" $PY - "$WORK/a" "$REF" <<'PYEOF'
import gzip, io, json, os, sys, tarfile
out, ref = sys.argv[1:]
blob = lambda d: open(os.path.join(out, "blobs", "sha256", d.split(":")[1]), "rb").read()
idx = json.load(open(os.path.join(out, "index.json")))
m = json.loads(blob(idx["manifests"][0]["digest"]))
names = [[x.name for x in tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(l["digest"])))).getmembers()]
         for l in m["layers"]]
runtime, app = names
assert "app/main.py" in app and "usr/bin/python3.11" in runtime, (app[:5], runtime[:5])
assert not [n for n in app if n != "app" and not n.startswith("app/")], app
assert not [n for n in runtime if n == "app" or n.startswith("app/")], runtime
assert any(n.startswith("app/") and n.endswith(".pyc") for n in app) or \
    all(not n.endswith(".py") or n == "app/main.py" for n in app), app
PYEOF

echo "# edited" >>"$WORK/app/main.py"
"$DISTILL" build "$WORK/m.yaml" -o "$WORK/b" --json -q >"$WORK/b.json"
layers "$WORK/b.json" >"$WORK/b.layers"
cat "$WORK/b.layers"
check "after an app edit the runtime layer's digest is unchanged" \
  test "$(sed -n 1p "$WORK/a.layers" | cut -d' ' -f1)" = "$(sed -n 1p "$WORK/b.layers" | cut -d' ' -f1)"
check "... and its blob came from the cache (not compressed again)" \
  test "$(sed -n 1p "$WORK/b.layers" | cut -d' ' -f2)" = "true"
check "... while the app layer changed" \
  test "$(sed -n 2p "$WORK/a.layers" | cut -d' ' -f1)" != "$(sed -n 2p "$WORK/b.layers" | cut -d' ' -f1)"
check "every layer's headers and diff_id hold" $PY "$HERE/check_layer.py" "$WORK/b" "$REF" 0 1000
unpack "$WORK/b" "$REF" "$WORK/bundle"
run_bundle "$WORK/bundle" >"$WORK/run.out" 2>&1 || true
tail -3 "$WORK/run.out"
check "umoci unpacks the two layers and runc runs the app" grep -q "round-trip ok=True" "$WORK/run.out"

# a cached blob that no longer hashes to its digest is not used
blobdir=$(dirname "$(find "$DISTILL_CACHE/layers" -path '*/blobs/*' -type f | head -1)")
for f in "$blobdir"/*; do printf 'x' >>"$f"; done
"$DISTILL" build "$WORK/m.yaml" -o "$WORK/c" --json -q >"$WORK/c.json"
layers "$WORK/c.json" >"$WORK/c.layers"
check "a damaged cache entry is compressed again, to the same digest" \
  test "$(cut -d' ' -f1 "$WORK/c.layers")" = "$(cut -d' ' -f1 "$WORK/b.layers")"
check "... and not reported as cached" test "$(awk '{print $2}' "$WORK/c.layers" | sort -u)" = "false"

printf 'image:\n  layers: single\n' >>"$WORK/m.yaml"
sed -i '0,/^image:$/!{/^image:$/d}' "$WORK/m.yaml"
"$DISTILL" build "$WORK/m.yaml" -o "$WORK/single" --json -q >"$WORK/single.json" 2>"$WORK/single.err" || cat "$WORK/single.err"
check "image.layers: single gives one layer" test "$(layers "$WORK/single.json" | wc -l)" -eq 1

# image.compression: zstd
sed -e 's/^  layers: single$/  compression: zstd/' "$WORK/m.yaml" >"$WORK/z.yaml"
DISTILL_THREADS=1 DISTILL_CACHE=$WORK/zcache1 "$DISTILL" build "$WORK/z.yaml" -o "$WORK/z1" -q >/dev/null
DISTILL_THREADS=7 DISTILL_CACHE=$WORK/zcache2 "$DISTILL" build "$WORK/z.yaml" -o "$WORK/z2" -q >/dev/null
check "zstd: the same digest from two builds with two caches on 1 and 7 threads (deterministic)" \
  test "$(manifest_digest "$WORK/z1" "$REF")" = "$(manifest_digest "$WORK/z2" "$REF")"
check "zstd: the layers are tar+zstd, zstd -t passes and each decompresses to its diff_id" $PY - "$WORK/z1" "$REF" <<'PYEOF'
import hashlib, json, os, subprocess, sys
out, ref = sys.argv[1:]
path = lambda d: os.path.join(out, "blobs", "sha256", d.split(":")[1])
idx = json.load(open(os.path.join(out, "index.json")))
m = json.load(open(path(idx["manifests"][0]["digest"])))
config = json.load(open(path(m["config"]["digest"])))
for layer, diff_id in zip(m["layers"], config["rootfs"]["diff_ids"]):
    assert layer["mediaType"] == "application/vnd.oci.image.layer.v1.tar+zstd", layer
    raw = subprocess.run(["zstd", "-d", "-c", path(layer["digest"])], check=True,
                         capture_output=True).stdout
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == diff_id, layer
PYEOF
check "zstd: skopeo copies the image" skopeo copy -q "oci:$WORK/z1:$REF" "dir:$WORK/zdir"
rc=0
"$DISTILL" build "$WORK/z.yaml" --format docker-archive -o "$WORK/z.tar" -q >/dev/null 2>"$WORK/z.err" || rc=$?
check "zstd into a docker-archive is refused: exit 2 (got $rc)" test "$rc" -eq 2
check "... saying why" grep -q "docker-archive (the format has no zstd layers)" "$WORK/z.err"

# ---- gzip in parallel, deterministic chunks (image/pgzip) ------------------------------------------
# The same bytes on 1, 2 and 7 threads; every consumer decodes the multi-member stream back to the
# diff_id: gzip -t, Python's gzip, Go's compress/gzip (what containerd and umoci use), and umoci
# unpack + runc run (above, on the default thread count).
for t in 1 2 7; do
  DISTILL_THREADS=$t DISTILL_CACHE=$WORK/cache-t$t "$DISTILL" build "$WORK/m.yaml" -o "$WORK/t$t" --json -q >"$WORK/t$t.json"
done
check "DISTILL_THREADS 1, 2 and 7 give the same manifest digest" \
  test "$(manifest_digest "$WORK/t1" "$REF")" = "$(manifest_digest "$WORK/t2" "$REF")" -a \
       "$(manifest_digest "$WORK/t1" "$REF")" = "$(manifest_digest "$WORK/t7" "$REF")"
cat >"$WORK/gunzip.go" <<'GOEOF'
package main

import (
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
)

func main() {
	r, err := gzip.NewReader(os.Stdin)
	if err != nil {
		panic(err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		panic(err)
	}
	fmt.Printf("sha256:%x\n", h.Sum(nil))
}
GOEOF
(cd "$WORK" && GOCACHE=$WORK/gocache GO111MODULE=off go build -o gunzip gunzip.go)
check "each layer decodes to its diff_id with gzip -t, Python's gzip and Go's compress/gzip" \
  $PY - "$WORK/t2" "$WORK/gunzip" <<'PYEOF'
import gzip, hashlib, json, os, subprocess, sys
out, gunzip = sys.argv[1:]
path = lambda d: os.path.join(out, "blobs", "sha256", d.split(":")[1])
m = json.load(open(path(json.load(open(os.path.join(out, "index.json")))["manifests"][0]["digest"])))
config = json.load(open(path(m["config"]["digest"])))
for layer, diff_id in zip(m["layers"], config["rootfs"]["diff_ids"]):
    subprocess.run(["gzip", "-t", path(layer["digest"])], check=True)
    assert "sha256:" + hashlib.sha256(gzip.open(path(layer["digest"])).read()).hexdigest() == diff_id
    go = subprocess.run([gunzip], stdin=open(path(layer["digest"]), "rb"), check=True,
                        capture_output=True, text=True).stdout.strip()
    assert go == diff_id, (go, diff_id)
PYEOF
check "the runtime blob is no larger than gzip -6 of the same tar" $PY - "$WORK/t2" <<'PYEOF'
import gzip, json, os, subprocess, sys
out = sys.argv[1]
path = lambda d: os.path.join(out, "blobs", "sha256", d.split(":")[1])
m = json.load(open(path(json.load(open(os.path.join(out, "index.json")))["manifests"][0]["digest"])))
blob = path(m["layers"][0]["digest"])
tar = gzip.open(blob).read()
ref = len(subprocess.run(["gzip", "-6", "-n", "-c"], input=tar, capture_output=True, check=True).stdout)
assert os.path.getsize(blob) <= ref * 1.01, (os.path.getsize(blob), ref)
print("blob", os.path.getsize(blob), "gzip -6", ref)
PYEOF

finish
