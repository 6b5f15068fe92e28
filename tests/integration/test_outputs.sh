#!/usr/bin/env bash
# Output forms: --format docker-archive (what `docker load` reads: skopeo reads it, gives the OCI
# build's config digest, and the file is the same bytes twice) and --format rootfs (a directory
# tree with the image's owners and modes as root; as another user, modes kept and the owners in
# OUT.mtree). Several architectures are refused for both.
. "$(dirname "$0")/lib.sh"

REF=localhost/hello:latest
"$DISTILL" build "$SRC/manifests/hello.yaml" -o "$WORK/oci" -q >/dev/null
"$DISTILL" build "$SRC/manifests/hello.yaml" --format docker-archive -o "$WORK/hello.tar" -q >/dev/null
check "docker-archive: one tar file" test -f "$WORK/hello.tar"
skopeo inspect "docker-archive:$WORK/hello.tar" >"$WORK/inspect.json"
check "skopeo inspects it: amd64, the runtime and app layers, the image's env" $PY -c '
import json, sys
i = json.load(open(sys.argv[1]))
assert i["Architecture"] == "amd64" and len(i["Layers"]) == 2, i  # runtime and app
assert "LANG=C.UTF-8" in i["Env"], i' "$WORK/inspect.json"
skopeo copy -q "docker-archive:$WORK/hello.tar" "oci:$WORK/copied:x"
config_of() { # config_of OCI_DIR REF
  skopeo inspect --raw "oci:$1:$2" | $PY -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])'
}
check "skopeo copy docker-archive: → oci: gives the OCI build's config digest" \
  test "$(config_of "$WORK/copied" x)" = "$(config_of "$WORK/oci" "$REF")"
check "manifest.json names the reference, the config and the layer; repositories the tag" $PY -c '
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))
assert m[0]["RepoTags"] == ["localhost/hello:latest"], m
assert t.getmember(m[0]["Config"]).isfile() and t.getmember(m[0]["Layers"][0]).isfile(), m
r = json.load(t.extractfile("repositories"))
assert list(r) == ["localhost/hello"] and list(r["localhost/hello"]) == ["latest"], r' "$WORK/hello.tar"
"$DISTILL" build "$SRC/manifests/hello.yaml" --format docker-archive -o "$WORK/hello.tar" --force -q >/dev/null
"$DISTILL" build "$SRC/manifests/hello.yaml" --format docker-archive -o "$WORK/again.tar" -q >/dev/null
check "docker-archive is reproducible (two builds, the same bytes) and --force replaces it" \
  cmp "$WORK/hello.tar" "$WORK/again.tar"

# Debian's podman loads the archive and runs it (runc; podman's default rlimits are refused here)
PODMAN=(podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" --storage-driver vfs
  --runtime runc --cgroup-manager cgroupfs --events-backend file)
"${PODMAN[@]}" load -q -i "$WORK/hello.tar" >"$WORK/podman-load.out" 2>&1 || true
check "podman loads the docker-archive as $REF" grep -q "Loaded image.*$REF" "$WORK/podman-load.out"
"${PODMAN[@]}" run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 "$REF" \
  >"$WORK/podman-run.out" 2>&1 || true
cat "$WORK/podman-run.out"
check "... and runs it: the app's output, as UID 1000" \
  grep -q "^Hello from distill: .*uid=1000 gid=1000$" "$WORK/podman-run.out"

# several architectures: refused before anything is fetched
sed -e 's/^arch: amd64$/arch: [amd64, arm64]/' -e "s|\.\./examples|$SRC/examples|" \
  "$SRC/manifests/hello-apt.yaml" >"$WORK/multi.yaml"
rc=0
"$DISTILL" build "$WORK/multi.yaml" --format docker-archive -o "$WORK/multi.tar" -q \
  >/dev/null 2>"$WORK/multi.err" || rc=$?
check "docker-archive of several architectures is refused: exit 2 (got $rc)" test "$rc" -eq 2
check "... saying why" grep -q "holds one image" "$WORK/multi.err"
check "... and writes nothing" test ! -e "$WORK/multi.tar"

# rootfs as root: owners and modes as the image has them, and the app runs from it
"$DISTILL" build "$SRC/manifests/hello.yaml" --format rootfs -o "$WORK/rootfs" -q >/dev/null
check "rootfs: the home is 0700 and the user's, /tmp 1777, the rest root's" $PY -c '
import os, stat, sys
r = sys.argv[1]
h = os.lstat(r + "/home/nonroot")
assert (h.st_uid, h.st_gid, stat.S_IMODE(h.st_mode)) == (1000, 1000, 0o700), h
t = os.lstat(r + "/tmp")
assert stat.S_IMODE(t.st_mode) == 0o1777 and t.st_uid == 0, t
assert os.readlink(r + "/bin") == "usr/bin"
for d, dirs, files in os.walk(r):
    for f in files + dirs:
        p = os.path.join(d, f)
        if not p.startswith(r + "/home/"):
            assert os.lstat(p).st_uid == 0, p
assert os.lstat(r + "/app/main.py").st_mtime == 0 and os.lstat(r).st_mtime == 0' "$WORK/rootfs"
check "rootfs: no OUT.mtree when the owners are on the files" test ! -e "$WORK/rootfs.mtree"
out=$(chroot --userspec=1000:1000 "$WORK/rootfs" /usr/bin/python3.11 /app/main.py 2>&1 || true)
check "rootfs: the app runs from the tree as UID 1000 ($out)" bash -c "[[ '$out' == 'Hello from distill'* ]]"
check "rootfs: the same files as the OCI layer" $PY -c '
import json, os, sys
plan = {e["path"] for e in json.load(open(sys.argv[1]))["entries"]} | {"/"}
tree = {"/"}
for d, dirs, files in os.walk(sys.argv[2]):
    for f in dirs + files:
        tree.add(os.path.join(d, f)[len(sys.argv[2]):])
assert plan == tree, (sorted(plan - tree)[:10], sorted(tree - plan)[:10])' "$WORK/oci/plan.json" "$WORK/rootfs"

# rootfs as a user who cannot set owners: modes kept, owners in OUT.mtree
# UID 1000 may not reach the checkout (a clone under a 0700 directory): the program, its rules,
# the manifest and the app are copied where it can
chmod 0777 "$SHARED"
mkdir -p "$SHARED/src"
cp "$DISTILL" "$SHARED/distill"
cp -a "$SRC/manifests" "$SRC/examples" "$SHARED/src/"
chmod -R a+rX "$SHARED/src" "$SHARED/distill"
setpriv --reuid=1000 --regid=1000 --clear-groups env HOME="$SHARED" \
  DISTILL_RULES_DIR="$SHARED/src/manifests/rules" \
  "$SHARED/distill" build "$SHARED/src/manifests/hello.yaml" --format rootfs -o "$SHARED/userfs" \
  -q >/dev/null
check "rootfs as UID 1000: the tree, with OUT.mtree beside it" test -d "$SHARED/userfs" -a -f "$SHARED/userfs.mtree"
check "OUT.mtree (read by libarchive) lists every entry with the image's owner and mode" $PY - "$SHARED/userfs.mtree" "$WORK/rootfs" <<'PYEOF'
import os, stat, subprocess, sys
# bsdtar is not installed: parse the keywords libarchive wrote (path, then key=value)
spec = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    words = line.split()
    spec[words[0][1:] or "/"] = dict(w.split("=", 1) for w in words[1:])
root = sys.argv[2]
for path, kv in spec.items():
    st = os.lstat(root + path)
    assert int(kv["uid"]) == st.st_uid and int(kv["gid"]) == st.st_gid, (path, kv, st)
    assert int(kv["mode"], 8) == stat.S_IMODE(st.st_mode), (path, kv, oct(st.st_mode))
count = sum(1 for d, ds, fs in os.walk(root) for _ in ds + fs)  # the root is implicit
assert len(spec) == count, (len(spec), count)
PYEOF
check "... and the tree keeps the modes" $PY -c '
import os, stat, sys
assert stat.S_IMODE(os.lstat(sys.argv[1] + "/home/nonroot").st_mode) == 0o700
assert stat.S_IMODE(os.lstat(sys.argv[1] + "/tmp").st_mode) == 0o1777' "$SHARED/userfs"

finish
