#!/usr/bin/env bash
# Bad input: each case gives its exact exit code (README, "Command line"), a message naming file:line:col or the
# culprit, and leaves no OUT and no temporary sibling behind.
. "$(dirname "$0")/lib.sh"

M=$WORK/m
mkdir -p "$M/app" "$WORK/outs"
echo 'print("hi")' >"$M/app/main.py"

# expect_fail NAME CODE PATTERN MANIFEST [extra args]
expect_fail() {
  local name=$1 code=$2 pattern=$3 manifest=$4; shift 4
  local out="$WORK/outs/$name"
  set +e
  "$DISTILL" build "$manifest" -o "$out" "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr"
  local got=$?
  set -e
  local msg; msg=$(cat "$WORK/$name.stderr")
  check "$name: exit $code (got $got): $msg" test "$got" -eq "$code"
  check "$name: message names '$pattern'" grep -qF -- "$pattern" "$WORK/$name.stderr"
  if [ "$name" != existing-out ]; then
    check "$name: no OUT left" test ! -e "$out"
  fi
  check "$name: no temporary left" test -z "$(find "$WORK/outs" -maxdepth 1 -name '.*distill-*' -print -quit)"
}

base() { # a valid manifest body with one line changed by the caller
  cat <<YAML
version: 1
source: {sysroot: /}
packages: [python3.11-minimal, libpython3.11-stdlib]
python:
  interpreter: /usr/bin/python3.11
  app: [{from: ./app, to: /app}]
  entrypoint: /app/main.py
image:
  ref: localhost/bad:latest
YAML
}

printf 'version: 1\npackages: [a, b\nimage: {}\n' >"$M/malformed.yaml"
expect_fail malformed-yaml 2 "$M/malformed.yaml:3:" "$M/malformed.yaml"

base | sed 's/^image:/imagee:/' >"$M/unknown-key.yaml"
expect_fail unknown-key 2 "$M/unknown-key.yaml:8:1" "$M/unknown-key.yaml"

base | sed 's|ref: localhost/bad:latest|ref: Localhost/UPPER:la:test|' >"$M/bad-ref.yaml"
expect_fail bad-ref 2 "$M/bad-ref.yaml:9:8" "$M/bad-ref.yaml"

base | sed 's/^packages: \[/packages: [no-such-package-distill, /' >"$M/no-package.yaml"
expect_fail missing-package 3 "no-such-package-distill" "$M/no-package.yaml"

base | sed 's|from: ./app|from: ./nope|' >"$M/no-app.yaml"
expect_fail missing-app-dir 2 "$M/no-app.yaml:6:" "$M/no-app.yaml"

base >"$M/good.yaml"
mkdir -p "$WORK/outs/existing-out"
echo keep >"$WORK/outs/existing-out/marker"
expect_fail existing-out 2 "--force" "$M/good.yaml"
check "existing OUT untouched" test "$(cat "$WORK/outs/existing-out/marker")" = keep

# A sysroot whose only package ships an ELF object with a NEEDED nothing provides.
R=$WORK/sysroot
mkdir -p "$R/var/lib/dpkg/info" "$R/usr/lib" "$WORK/cc"
echo 'int missing_fn(void) { return 1; }' >"$WORK/cc/m.c"
echo 'int missing_fn(void); int needy(void) { return missing_fn(); }' >"$WORK/cc/n.c"
cc -shared -fPIC -Wl,-soname,libmissing.so.1 -o "$WORK/cc/libmissing.so" "$WORK/cc/m.c"
cc -shared -fPIC -o "$R/usr/lib/libneedy.so" "$WORK/cc/n.c" -L"$WORK/cc" -lmissing
cat >"$R/var/lib/dpkg/status" <<'ST'
Package: needy
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 20
Maintainer: distill tests <tests@example.invalid>
Architecture: amd64
Version: 1.0
Description: an object with a NEEDED nobody provides

ST
printf '/.\n/usr\n/usr/lib\n/usr/lib/libneedy.so\n' >"$R/var/lib/dpkg/info/needy.list"
cat >"$M/needy.yaml" <<YAML
version: 1
source: {sysroot: $R}
packages: [needy]
binaries: [/usr/lib/libneedy.so]
rules: []
image:
  ref: localhost/needy:latest
YAML
expect_fail missing-needed 3 "libmissing.so.1" "$M/needy.yaml"
finish
