#!/usr/bin/env bash
# distill verify: hello built once in each output form verifies clean; then copies broken one
# way each (a new top layer written by oci_add_layer.py, a flipped byte, a changed tree) report
# exactly that problem, and exit 6. Structure tests (container-structure-test files) run against
# the images: manifests/tests/*.yaml pass, a failing test is reported.
. "$(dirname "$0")/lib.sh"

M=$SRC/manifests/hello.yaml
"$DISTILL" build "$M" -o "$WORK/oci" -q >/dev/null
"$DISTILL" build "$M" -o "$WORK/image.tar" --format docker-archive -q >/dev/null
"$DISTILL" build "$M" -o "$WORK/rootfs" --format rootfs -q >/dev/null

for form in oci image.tar rootfs; do
  if "$DISTILL" verify "$WORK/$form" >"$WORK/clean.out" 2>&1; then
    ok "the $form form verifies clean"
  else
    cat "$WORK/clean.out"; fail "the $form form verifies clean"
  fi
done
"$DISTILL" verify --json "$WORK/oci" >"$WORK/clean.json"
check "--json says ok, with the notes (os.py's guarded nt import)" $PY -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] and r["form"] == "oci" and r["problems"] == [], r
assert any("import nt" in n["message"] for n in r["notes"]), r["notes"]' "$WORK/clean.json"

# expect NAME DIR PATTERN [ALSO]: verify DIR exits 6, some problem line matches PATTERN and every
# problem line matches PATTERN or ALSO (what the same break necessarily implies)
expect() {
  local name=$1 dir=$2 pattern=$3 also=${4:-^$}
  local rc=0
  "$DISTILL" verify "$dir" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  grep -v '^note: ' "$WORK/$name.out" | grep -v ': ok$' >"$WORK/$name.problems" || true
  if [ "$rc" -eq 6 ] && grep -Eq "$pattern" "$WORK/$name.problems" &&
     ! grep -Ev "$pattern|$also" "$WORK/$name.problems" >/dev/null; then
    ok "$name: reported ($(head -1 "$WORK/$name.problems"))"
  else
    echo "exit $rc"; cat "$WORK/$name.problems" "$WORK/$name.err"
    fail "$name: expected exit 6 and only /$pattern/"
  fi
}

# broken NAME SPEC...: a copy of the OCI image with a new top layer
broken() {
  local name=$1; shift
  cp -a "$WORK/oci" "$WORK/$name"
  $PY "$HERE/oci_add_layer.py" "$WORK/$name" "$@"
}

cp /bin/dash "$WORK/dash"
printf 'x\n' >"$WORK/x"
broken shell usr/bin/sh="$WORK/dash":755
expect shell "$WORK/shell" '^shell: /usr/bin/sh: a shell or package manager$'

broken setuid app/main.py=-4755
expect setuid "$WORK/setuid" '^mode: /app/main.py: setuid$'

broken world app/data="$WORK/x":666
expect world-writable "$WORK/world" '^mode: /app/data: world-writable \(mode 0666\)$'

broken chown app/main.py=-444:1000
expect chown "$WORK/chown" '^owner: /app/main.py: owned by 1000:1000, not root$'

broken writable app/main.py=-644:1000
expect writable "$WORK/writable" '^writable: /app/main.py: writable by the image user 1000:1000$' \
  '^owner: /app/main.py: owned by 1000:1000'

grep -v "^nonroot:" "$WORK/rootfs/etc/passwd" >"$WORK/passwd.txt"
broken passwd etc/passwd="$WORK/passwd.txt":644
expect passwd "$WORK/passwd" '^user: the config.s user 1000 is not in /etc/passwd$'

broken script app/main.py=whiteout
expect entrypoint-script "$WORK/script" \
  '^entrypoint: /usr/bin/python3.11: the script /app/main.py is not in the image$'

broken interp usr/lib64/ld-linux-x86-64.so.2=whiteout
expect interpreter "$WORK/interp" \
  '^entrypoint: /usr/bin/python3.11: its interpreter /lib64/ld-linux-x86-64.so.2 is not in the image$' \
  '^elf: .*: NEEDED /lib64/ld-linux-x86-64.so.2 '

broken needed usr/lib/x86_64-linux-gnu/libexpat.so.1=whiteout
expect needed "$WORK/needed" \
  '^elf: /usr/bin/python3.11: NEEDED libexpat.so.1 \(of /usr/bin/python3.11\) not found by the ld.so rules$'

broken module usr/lib/python3.11/encodings/aliases.py=whiteout
expect module "$WORK/module" \
  '^python: /usr/lib/python3.11/encodings/__init__.py:[0-9]+: import encodings.aliases: no such module in the image$' \
  '^md5sums: /usr/lib/python3.11/encodings/aliases.py: listed in '

cp "$WORK/rootfs/usr/lib/python3.11/os.py" "$WORK/os.py"
echo '# edited' >>"$WORK/os.py"
broken md5 usr/lib/python3.11/os.py="$WORK/os.py":644
expect md5sums "$WORK/md5" '^md5sums: /usr/lib/python3.11/os.py: md5 [0-9a-f]{32}, /var/lib/dpkg/status.d/libpython3.11-minimal.md5sums says [0-9a-f]{32}$'

# a flipped byte in the largest layer blob: its digest no longer matches, and gzip's CRC fails
cp -a "$WORK/oci" "$WORK/blob"
big=$(ls -S "$WORK/blob/blobs/sha256" | head -1)
$PY -c 'import sys; f=open(sys.argv[1],"r+b"); f.seek(1000); b=f.read(1); f.seek(1000); f.write(bytes([b[0]^0xff]))' "$WORK/blob/blobs/sha256/$big"
expect layer-blob "$WORK/blob" "^digest: .*layer 1 blob sha256:$big holds bytes of digest sha256:" \
  '^digest: |^(elf|python|md5sums|entrypoint|owner|user): '

# docker-archive: a layer.tar edited in place no longer has the config's diff_id
mkdir "$WORK/da"
tar -C "$WORK/da" -xf "$WORK/image.tar"
small=$(ls -S "$WORK"/da/*/layer.tar | tail -1)
printf 'y\n' >"$WORK/y"
$PY -c 'import sys, tarfile; t=tarfile.open(sys.argv[1], "a"); t.add(sys.argv[2], "app/y"); t.close()' "$small" "$WORK/y"
(cd "$WORK/da" && tar -cf "$WORK/da.tar" .)
expect diff-id "$WORK/da.tar" '^digest: .*: layer [0-9]+: diff_id is sha256:[0-9a-f]{64}, the config says sha256:[0-9a-f]{64}$'

# rootfs: changed in the tree itself
cp -a "$WORK/rootfs" "$WORK/rootfs-sh"
cp /bin/dash "$WORK/rootfs-sh/usr/bin/bash"
expect rootfs-shell "$WORK/rootfs-sh" '^shell: /usr/bin/bash: a shell or package manager$'
cp -a "$WORK/rootfs" "$WORK/rootfs-suid"
chmod g+s "$WORK/rootfs-suid/usr/bin/python3.11"
expect rootfs-setgid "$WORK/rootfs-suid" '^mode: /usr/bin/python3.11: setgid$'

# structure tests: the example for hello passes in every form that has a config
for form in oci image.tar; do
  if "$DISTILL" verify "$WORK/$form" --tests "$SRC/manifests/tests/hello.yaml" >"$WORK/st.out" 2>&1; then
    ok "manifests/tests/hello.yaml passes on the $form form ($(grep -c 'passed$' "$WORK/st.out") tests)"
  else
    cat "$WORK/st.out"; fail "manifests/tests/hello.yaml passes on the $form form"
  fi
done
cat >"$WORK/failing.yaml" <<'YAML'
schemaVersion: 2.0.0
fileExistenceTests:
  - name: no shell
    path: /bin/sh
    shouldExist: true
fileContentTests:
  - name: greeting
    path: /app/main.py
    expectedContents: ['Goodbye']
metadataTest:
  user: "0:0"
commandTests:
  - name: says goodbye
    command: /usr/bin/python3.11
    args: [/app/main.py]
    expectedOutput: ['^Goodbye']
YAML
rc=0
"$DISTILL" verify "$WORK/oci" --tests "$WORK/failing.yaml" >"$WORK/fail.out" 2>&1 || rc=$?
grep '^tests: ' "$WORK/fail.out" >"$WORK/fail.problems" || true
check "failing structure tests: exit 6 (got $rc)" test "$rc" -eq 6
check "each failing structure test is reported" diff -u - "$WORK/fail.problems" <<'TXT'
tests: no shell: /bin/sh does not exist
tests: greeting: /app/main.py does not match 'Goodbye'
tests: metadataTest: the user is '1000:1000', not '0:0'
tests: says goodbye: stdout does not match '^Goodbye'
TXT
printf 'schemaVersion: 2.0.0\nfileExistenceTests:\n  - name: x\n    pth: /x\n' >"$WORK/bad.yaml"
rc=0
"$DISTILL" verify "$WORK/oci" --tests "$WORK/bad.yaml" 2>"$WORK/bad.err" || rc=$?
check "a malformed test file is a usage error naming file:line:col (exit $rc)" \
  grep -q "bad.yaml:4:5: fileExistenceTests: unknown key 'pth'" "$WORK/bad.err"

finish
