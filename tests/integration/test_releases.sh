#!/usr/bin/env bash
# The same standard-library app (tests/data/releases-app: a data file read through __file__,
# json, sqlite3, datetime, hashlib, ssl with the release's libssl, the C.UTF-8 locale) built from
# deb.debian.org for Debian 11, 12 and 13 with each release's own interpreter (3.9, 3.11, 3.13)
# runs under runc and prints what the host's python3.11 prints for it. What each interpreter
# imports at start comes from its own probe (3.9 freezes no site); the locale directory is the
# one that release's libc-bin ships (C.UTF-8 on 11, C.utf8 on 12 and 13); the .pyc files carry
# the magic number of the image's own interpreter. A release that has left deb.debian.org for
# archive.debian.org fails the test, saying so.
. "$(dirname "$0")/lib.sh"

MIRROR=${DISTILL_DEBIAN_MIRROR:-http://deb.debian.org/debian} # the archive, for a moved release
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
APP=$SRC/tests/data/releases-app
export DISTILL_CACHE=$WORK/cache

# the expected output: the host's interpreter on the same app, as the image runs it
env -i LANG=C.UTF-8 PATH=/usr/bin:/bin HOME=/nonexistent "$PY" "$APP/main.py" >"$WORK/expected.out"
cat "$WORK/expected.out"

# on_mirror RELEASE SUITE: the suite's InRelease is on the mirror; otherwise a failure naming
# where it went
on_mirror() {
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' "$MIRROR/dists/$2/InRelease" 2>"$WORK/curl.err") || true
  case $code in
    200) return 0 ;;
    404) fail "Debian $1 ($2) has moved off ${MIRROR%/debian} to archive.debian.org: $MIRROR/dists/$2/InRelease is 404; point DISTILL_DEBIAN_MIRROR at http://archive.debian.org/debian" ;;
    *) fail "Debian $1 ($2): $MIRROR/dists/$2/InRelease unreachable (HTTP $code): $(cat "$WORK/curl.err")" ;;
  esac
  return 1
}

# layer_bytes OUT REF → the compressed size of the image's layers
layer_bytes() {
  $PY - "$1" "$2" <<'PYEOF'
import json, sys
out, ref = sys.argv[1:]
idx = json.load(open(out + "/index.json"))
m = next(m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == ref)
man = json.load(open(out + "/blobs/sha256/" + m["digest"].split(":")[1]))
print(sum(l["size"] for l in man["layers"]))
PYEOF
}

# set_args BUNDLE ARG...: the bundle's process runs ARG... instead of its entrypoint
set_args() {
  local bundle=$1
  shift
  $PY - "$bundle/config.json" "$@" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = sys.argv[2:]
json.dump(c, open(sys.argv[1], "w"))
PYEOF
}

# NUMBER SUITE PYTHON LOCALE-DIRECTORY, one release a line
RELEASES=${DISTILL_TEST_RELEASES:-"11 bullseye 3.9 C.UTF-8
12 bookworm 3.11 C.utf8
13 trixie 3.13 C.utf8"}
while read -r rel <&3; do
  read -r num suite ver locale <<<"$rel"
  on_mirror "$num" "$suite" || continue
  M=$WORK/$suite.yaml
  cat >"$M" <<EOF
version: 1
source: {apt: {sources: [{uri: "$MIRROR", suites: [$suite], components: [main],
                          signed-by: $KEYRING}]}}
arch: amd64
packages: [python$ver-minimal, libpython$ver-stdlib]
python:
  interpreter: /usr/bin/python$ver
  app: [{from: $APP, to: /app}]
  entrypoint: /app/main.py
image:
  ref: localhost/releases-$suite:latest
EOF
  OUT=$WORK/$suite-oci
  REF=localhost/releases-$suite:latest
  start=$(date +%s.%N)
  set +e
  "$DISTILL" build "$M" -o "$OUT" >"$WORK/$suite.build" 2>&1
  rc=$?
  set -e
  secs=$($PY -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$start" "$(date +%s.%N)")
  if [ "$rc" -ne 0 ]; then
    cat "$WORK/$suite.build"
    if grep -q "$suite/InRelease.*404" "$WORK/$suite.build"; then
      fail "Debian $num ($suite) has moved off ${MIRROR%/debian} to archive.debian.org (its InRelease is 404)"
    else
      fail "Debian $num ($suite): the build failed (exit $rc)"
    fi
    continue
  fi
  grep '^warning' "$WORK/$suite.build" || true
  check "Debian $num: no rule matches nothing" bash -c "! grep -q '^warning: rule' '$WORK/$suite.build'"
  unpack "$OUT" "$REF" "$WORK/$suite-bundle"
  R=$WORK/$suite-bundle/rootfs
  run_bundle "$WORK/$suite-bundle" >"$WORK/$suite.out" 2>"$WORK/$suite.err" || true
  cat "$WORK/$suite.out" "$WORK/$suite.err"
  if diff -u "$WORK/expected.out" "$WORK/$suite.out"; then
    ok "Debian $num (python$ver): the app prints what the host's python3.11 prints"
  else
    fail "Debian $num (python$ver): the app's output differs from the host's (- host, + image)"
  fi
  check "Debian $num: nothing on stderr" test ! -s "$WORK/$suite.err"
  check "Debian $num: the locale directory is libc-bin's $locale" \
    bash -c "test -f '$R/usr/lib/locale/$locale/LC_CTYPE' && [ \$(ls '$R/usr/lib/locale') = '$locale' ]"
  check "Debian $num: the start-up modules this interpreter does not freeze are seeds from its probe" \
    $PY - "$OUT/plan.json" "$ver" <<'PYEOF'
import json, sys
plan, ver = sys.argv[1:]
why = {e["path"]: e.get("reason", {}) for e in json.load(open(plan))["entries"]}
seeded = sorted(p for p, r in why.items()
                if r.get("kind") == "seed" and "imports it at start-up" in r.get("detail", ""))
print("\n".join(seeded))
# (a module the app imports itself, os, keeps the reason of that import)
need = ["/usr/lib/python%s/encodings/__init__.py" % ver]
if ver == "3.9":  # 3.11 and later freeze these
    need += ["/usr/lib/python3.9/%s.py" % m for m in ("site", "codecs", "io", "abc", "stat", "posixpath", "genericpath", "_sitebuiltins")]
missing = [p for p in need if p not in seeded]
assert not missing, missing
if ver != "3.9":
    assert "/usr/lib/python%s/site.py" % ver not in why, "a frozen site.py was kept"
PYEOF

  # the image's own interpreter says which magic number its .pyc files must carry
  cp -a "$WORK/$suite-bundle" "$WORK/$suite-magic"
  set_args "$WORK/$suite-magic" "/usr/bin/python$ver" -c \
    "import _frozen_importlib_external as e, sys; print(e.MAGIC_NUMBER.hex(), sys.implementation.cache_tag)"
  run_bundle "$WORK/$suite-magic" >"$WORK/$suite.magic" 2>&1 || true
  cat "$WORK/$suite.magic"
  check "Debian $num: every .pyc is unchecked-hash with python$ver's own magic number" \
    $PY - "$R" "$WORK/$suite.magic" "$ver" <<'PYEOF'
import os, sys
root, magic_file, ver = sys.argv[1:]
magic, tag = open(magic_file).read().split()
assert tag == "cpython-" + ver.replace(".", ""), tag
# the magic numbers CPython's Lib/importlib/_bootstrap_external.py gives these versions
assert magic == {"3.9": "610d0d0a", "3.11": "a70d0d0a", "3.13": "f30d0d0a"}[ver], magic
n, bad = 0, []
for d, _, files in os.walk(root):
    for f in files:
        if f.endswith(".pyc"):
            n += 1
            head = open(os.path.join(d, f), "rb").read(8)
            if head[:4].hex() != magic or int.from_bytes(head[4:8], "little") != 1 or "." + tag + "." not in f:
                bad.append(f)
print("%d .pyc files" % n)
assert n > 30 and not bad, bad[:10]
PYEOF
  cp -a "$WORK/$suite-bundle" "$WORK/$suite-verbose"
  set_args "$WORK/$suite-verbose" "/usr/bin/python$ver" -v /app/main.py
  run_bundle "$WORK/$suite-verbose" >/dev/null 2>"$WORK/$suite.verbose" || true
  # -v says "code object from '….pyc'" for bytecode it used, "code object from ….py" (no
  # quotes) for source it had to compile
  check "Debian $num: python$ver loads the standard library from those .pyc (none stale or refused)" \
    bash -c "grep -q \"code object from '/usr/lib/python$ver/json/__pycache__/__init__.cpython-${ver/./}.pyc'\" '$WORK/$suite.verbose' &&
             ! grep -Eq 'bad magic number|stale|code object from /usr/lib/' '$WORK/$suite.verbose'"

  # 3.9's marshal writes frozensets in hash order: its .pyc are compiled with PYTHONHASHSEED=0
  "$DISTILL" build "$M" -o "$OUT.again" -q >/dev/null 2>&1
  check "Debian $num: a second build gives the same digest" \
    test "$(manifest_digest "$OUT" "$REF")" = "$(manifest_digest "$OUT.again" "$REF")"

  bytes=$(layer_bytes "$OUT" "$REF")
  ok "Debian $num (python$ver): built in ${secs}s (cold cache), layers $bytes bytes gzip, $(find "$R" -type f | wc -l) files, $(du -sb "$R" | cut -f1) bytes unpacked"
done 3<<<"$RELEASES"
finish
