#!/usr/bin/env bash
# The apt source with the host's apt configuration: hello builds from Debian's archives (signed
# indexes, hash-checked .debs), runs under runc as UID 1000, and its candidate set is apt's own.
# Then `distill lock` and `build --locked` twice with the sources pointed at a closed port give
# the same digest: no network, no solver.
. "$(dirname "$0")/lib.sh"

export DISTILL_CACHE=$WORK/cache
REF=localhost/hello-apt:latest
"$DISTILL" build "$SRC/manifests/hello-apt.yaml" -o "$WORK/out" -q >/dev/null
unpack "$WORK/out" "$REF" "$WORK/bundle"
run_bundle "$WORK/bundle" >"$WORK/run.out" 2>"$WORK/run.err" || true
cat "$WORK/run.out" "$WORK/run.err"
check "hello from the archive runs as UID 1000" grep -q "uid=1000 gid=1000" "$WORK/run.out"
check "nothing on stderr" test ! -s "$WORK/run.err"
check "rootfs policy" $PY "$HERE/check_rootfs.py" "$WORK/bundle/rootfs" nonroot 1000 1000 archive

mapfile -t request < <($PY -c 'import json,sys; p=json.load(open(sys.argv[1])); print("\n".join(p["requested"] + p["rule_packages"]))' "$WORK/out/plan.json")
apt_sim "${request[@]}" \
  | awk '/^Inst /{print $2}' | sed 's/:.*//' | sort -u >"$WORK/apt.set"
$PY -c 'import json,sys; print("\n".join(sorted(p["name"] for p in json.load(open(sys.argv[1]))["packages"])))' "$WORK/out/plan.json" | sort -u >"$WORK/distill.set"
if diff -u "$WORK/apt.set" "$WORK/distill.set"; then
  ok "candidate set equals apt-get -s ($(wc -l <"$WORK/apt.set") packages)"
else
  fail "candidate set differs from apt-get -s (- apt, + distill)"
fi

# a warm rebuild decompresses nothing: every .deb index comes from the cache
before=$(find "$DISTILL_CACHE" -type f | wc -l)
"$DISTILL" build "$SRC/manifests/hello-apt.yaml" -o "$WORK/out2" -q >/dev/null
check "a warm rebuild gives the same digest" \
  test "$(manifest_digest "$WORK/out" "$REF")" = "$(manifest_digest "$WORK/out2" "$REF")"
check "a warm rebuild adds nothing to the cache" test "$(find "$DISTILL_CACHE" -type f | wc -l)" -eq "$before"

"$DISTILL" lock "$SRC/manifests/hello-apt.yaml" -o "$WORK/distill.lock" -q >/dev/null
check "the lock pins every candidate with its hash" $PY - "$WORK/distill.lock" "$WORK/out/plan.json" <<'PYEOF'
import json, sys
lock = json.load(open(sys.argv[1]))["architectures"]["amd64"]
plan = json.load(open(sys.argv[2]))
assert sorted(e["name"] for e in lock) == sorted(p["name"] for p in plan["packages"])
assert all(len(e["sha256"]) == 64 and e["size"] > 0 and e["filename"].endswith(".deb") for e in lock)
PYEOF
# the same manifest, its sources pointed at a port where nothing listens
sed -e 's|source: {apt: {sources: host}}|source: {apt: {sources: [{uri: "http://127.0.0.1:9/debian", suites: [bookworm], components: [main]}]}}|' \
    -e "s|../examples/hello|$SRC/examples/hello|" "$SRC/manifests/hello-apt.yaml" >"$WORK/offline.yaml"
rm -rf "$DISTILL_CACHE/indexes"
"$DISTILL" build "$WORK/offline.yaml" --locked="$WORK/distill.lock" -o "$WORK/l1" -q >/dev/null
"$DISTILL" build "$WORK/offline.yaml" --locked="$WORK/distill.lock" -o "$WORK/l2" -q >/dev/null
check "build --locked twice, offline and without indexes: the same digest" \
  test "$(manifest_digest "$WORK/l1" "$REF")" = "$(manifest_digest "$WORK/l2" "$REF")"
# the locked build's manifest records the lock's digest (io.distill.lock.digest), so only its
# config and layers can equal the online build's; the annotation is the one difference
check "and the online build's config and layers, the lock's digest annotated" $PY - \
  "$WORK/l1" "$WORK/out" "$REF" "$(sha256sum "$WORK/distill.lock" | cut -d' ' -f1)" <<'PYEOF'
import json, sys
def manifest(out, ref):
    idx = json.load(open(out + "/index.json"))
    d = next(m["digest"] for m in idx["manifests"]
             if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref)
    return json.load(open(out + "/blobs/sha256/" + d.split(":")[1]))
locked, online = manifest(sys.argv[1], sys.argv[3]), manifest(sys.argv[2], sys.argv[3])
assert locked["config"] == online["config"] and locked["layers"] == online["layers"], (locked, online)
ann = dict(locked.get("annotations", {}))
assert ann.pop("io.distill.lock.digest") == "sha256:" + sys.argv[4], locked
assert ann == online.get("annotations", {}), (ann, online)
PYEOF

# OR groups and virtual packages from the real archive, one of them reaching libblas.so.3
# through an update-alternatives link recreated from libblas3's postinst.
"$DISTILL" build "$SRC/manifests/lapack-apt.yaml" -o "$WORK/lapack" -q >/dev/null
mapfile -t request < <($PY -c 'import json,sys; p=json.load(open(sys.argv[1])); print("\n".join(p["requested"] + p["rule_packages"]))' "$WORK/lapack/plan.json")
apt_sim "${request[@]}" \
  | awk '/^Inst /{print $2}' | sed 's/:.*//' | sort -u >"$WORK/lapack-apt.set"
$PY -c 'import json,sys; print("\n".join(sorted(p["name"] for p in json.load(open(sys.argv[1]))["packages"])))' "$WORK/lapack/plan.json" | sort -u >"$WORK/lapack-distill.set"
if diff -u "$WORK/lapack-apt.set" "$WORK/lapack-distill.set"; then
  ok "lapack: candidate set equals apt-get -s ($(wc -l <"$WORK/lapack-apt.set") packages)"
else
  fail "lapack: candidate set differs from apt-get -s (- apt, + distill)"
fi
unpack "$WORK/lapack" localhost/lapack:latest "$WORK/lapackbundle"
L=$WORK/lapackbundle/rootfs
check "libblas.so.3 is the alternatives link to blas/libblas.so.3" \
  test "$(readlink "$L/usr/lib/x86_64-linux-gnu/libblas.so.3")" = /usr/lib/x86_64-linux-gnu/blas/libblas.so.3
chroot "$L" /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 --list /usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3 >"$WORK/lapack.ldd" 2>&1 || true
cat "$WORK/lapack.ldd"
check "the image's own loader resolves liblapack.so.3's libblas.so.3 inside the image" \
  grep -q "libblas.so.3 => /lib/x86_64-linux-gnu/libblas.so.3" "$WORK/lapack.ldd"
check "and nothing is missing" bash -c "! grep -q 'not found' '$WORK/lapack.ldd'"

# The same manifest for arm64, on this amd64 host without emulation for the build itself.
"$DISTILL" build "$SRC/manifests/hello-apt.yaml" --arch arm64 -o "$WORK/arm" -q >/dev/null
unpack "$WORK/arm" "$REF" "$WORK/armbundle"
check "every ELF of the arm64 image is AArch64 with the arm64 loader, and there is no /lib64" \
  $PY - "$WORK/armbundle/rootfs" <<'PYEOF'
import os, struct, sys
root, bad, n = sys.argv[1], [], 0
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        if os.path.islink(p):
            continue
        with open(p, "rb") as fh:
            head = fh.read(64)
        if head[:4] != b"\x7fELF":
            continue
        n += 1
        machine = struct.unpack_from("<H", head, 18)[0]
        if machine != 183:
            bad.append("%s: e_machine %d" % (p, machine))
        data = open(p, "rb").read()
        if b"/lib64/ld-linux-x86-64.so.2" in data:
            bad.append("%s names the amd64 loader" % p)
py = open(os.path.join(root, "usr/bin/python3.11"), "rb").read()
if b"/lib/ld-linux-aarch64.so.1\0" not in py:
    bad.append("python3.11 has no arm64 PT_INTERP")
if os.path.lexists(os.path.join(root, "lib64")):
    bad.append("/lib64 exists")
print("%d ELF objects" % n)
for b in bad[:20]:
    print(b)
sys.exit(1 if bad or n < 5 else 0)
PYEOF
cp -a "$WORK/armbundle/rootfs" "$WORK/armcopy"
cp /usr/bin/qemu-aarch64-static "$WORK/armcopy/"
chroot --userspec=1000:1000 "$WORK/armcopy" /qemu-aarch64-static /usr/bin/python3.11 /app/main.py \
  >"$WORK/arm.out" 2>&1 || true
cat "$WORK/arm.out"
check "the arm64 image's python prints the app's output under qemu, as UID 1000" \
  test "$(cat "$WORK/arm.out")" = "$(cat "$WORK/run.out")"
# The proving run of a foreign image: the same build with a check, run under qemu-user
"$DISTILL" build "$SRC/manifests/hello-apt.yaml" --arch arm64 -o "$WORK/armcheck" -q \
  --check-run '["/usr/bin/python3.11", "-c", "import os; print(os.uname().machine)"]' >/dev/null
check "an arm64 image proves its check under qemu-user and keeps its digest" \
  test "$(cat "$WORK/armcheck/index.json")" = "$(cat "$WORK/arm/index.json")"
set +e
"$DISTILL" build "$SRC/manifests/hello-apt.yaml" --arch arm64 -o "$WORK/armfail" -q \
  --check-run '["/usr/bin/python3.11", "-c", "import os, sys; sys.exit(os.uname().machine)"]' \
  >/dev/null 2>"$WORK/armfail.err"
rc=$?
set -e
check "... and the check really ran as aarch64: a failing one says so, exit 6 (got $rc)" \
  bash -c "[ $rc -eq 6 ] && grep -qx aarch64 '$WORK/armfail.err'"
# arm64's own ldconfig (static, from the libc-bin .deb the build fetched) under qemu
lockarm=$WORK/arm.lock
"$DISTILL" lock "$SRC/manifests/hello-apt.yaml" --arch arm64 -o "$lockarm" -q >/dev/null
libcbin_sha=$($PY -c 'import json,sys; print(next(e["sha256"] for e in json.load(open(sys.argv[1]))["architectures"]["arm64"] if e["name"]=="libc-bin"))' "$lockarm")
mkdir -p "$WORK/libcbin"
dpkg-deb -x "$DISTILL_CACHE/debs/$libcbin_sha" "$WORK/libcbin"
rm -f "$WORK/armcopy/etc/ld.so.cache" "$WORK/armcopy/qemu-aarch64-static"
qemu-aarch64-static "$WORK/libcbin/sbin/ldconfig" -r "$WORK/armcopy" -X
qemu-aarch64-static "$WORK/libcbin/sbin/ldconfig" -C "$WORK/armbundle/rootfs/etc/ld.so.cache" -p \
  | tail -n +2 | grep -v '^Cache generated by' >"$WORK/arm-ours.txt"
qemu-aarch64-static "$WORK/libcbin/sbin/ldconfig" -C "$WORK/armcopy/etc/ld.so.cache" -p \
  | tail -n +2 | grep -v '^Cache generated by' >"$WORK/arm-theirs.txt"
if diff -u "$WORK/arm-theirs.txt" "$WORK/arm-ours.txt"; then
  ok "the arm64 ld.so.cache lists what arm64's own ldconfig -r writes ($(wc -l <"$WORK/arm-ours.txt") entries)"
else
  fail "the arm64 ld.so.cache differs from arm64's ldconfig -r (- ldconfig, + distill)"
fi

# arch: [amd64, arm64]: an image index under REF, each architecture's manifest under REF-ARCH,
# the same manifests the single-architecture builds wrote.
sed -e 's/^arch: amd64$/arch: [amd64, arm64]/' -e "s|../examples/hello|$SRC/examples/hello|" \
  "$SRC/manifests/hello-apt.yaml" >"$WORK/multi.yaml"
"$DISTILL" build "$WORK/multi.yaml" -o "$WORK/multi" -q >/dev/null
check "index.json: the image index under REF, the manifests under REF-amd64 and REF-arm64" \
  $PY - "$WORK/multi" "$REF" "$(manifest_digest "$WORK/out" "$REF")" "$(manifest_digest "$WORK/arm" "$REF")" <<'PYEOF'
import json, sys
out, ref, amd, arm = sys.argv[1:]
top = json.load(open(out + "/index.json"))["manifests"]
# (the last entry, with no name, is the index of the images' SBOM referrers)
names = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in top if "annotations" in m}
assert names[ref]["mediaType"] == "application/vnd.oci.image.index.v1+json", names
assert names[ref + "-amd64"]["digest"] == amd and names[ref + "-arm64"]["digest"] == arm, names
inner = json.load(open(out + "/blobs/sha256/" + names[ref]["digest"].split(":")[1]))
plats = {m["platform"]["architecture"]: m["digest"] for m in inner["manifests"]}
assert plats == {"amd64": amd, "arm64": arm}, plats
PYEOF
check "skopeo picks arm64 from the index" \
  bash -c "skopeo inspect --override-arch arm64 'oci:$WORK/multi:$REF' | grep -q '\"Architecture\": \"arm64\"'"
check "umoci unpacks the amd64 manifest by its REF-amd64 name" \
  umoci unpack --image "$WORK/multi:$REF-amd64" "$WORK/multibundle"

# a cached .deb whose bytes changed is refused with exit 5
deb=$DISTILL_CACHE/debs/$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["architectures"]["amd64"][0]["sha256"])' "$WORK/distill.lock")
printf 'X' | dd of="$deb" bs=1 seek=100 conv=notrunc 2>/dev/null
rm -rf "$DISTILL_CACHE/debindex"
set +e
"$DISTILL" build "$WORK/offline.yaml" --locked="$WORK/distill.lock" -o "$WORK/l3" -q 2>"$WORK/l3.err"
code=$?
set -e
cat "$WORK/l3.err"
check "a tampered cached .deb is exit 5 (got $code)" test "$code" -eq 5
check "and leaves no output" test ! -e "$WORK/l3"
finish
