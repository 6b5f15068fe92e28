#!/usr/bin/env bash
# distill lock --update and lock --check against a signed archive made here (as
# test_apt_local.sh makes one): suites `test` and `test-security`, .debs built with dpkg-deb
# (libc copied from the host; hello-c, which links libgreet1, compiled here), each suite's
# InRelease signed with a throw-away key and served by python's http.server. A newer libgreet1
# in test-security: lock --check still passes (the locked version is still served), lock --update
# base-files leaves it, lock --update takes it and says old → new, and the rebuild --locked
# changes the runtime layer only. Then: a manifest that gained a package, another architecture,
# an archive that dropped the locked version (lock --check names it, exit 3), an index offering a
# lower version (--update reports the downgrade, does not take it, exit 3, the lock unchanged),
# and a stale or wrongly signed InRelease (exit 5, as builds refuse them).
. "$(dirname "$0")/lib.sh"

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset DISTILL_CACHE

T=x86_64-linux-gnu
A=$WORK/archive
B=$WORK/pkgs
export GNUPGHOME=$WORK/gnupg
OTHERHOME=$WORK/gnupg-other
KEYRING=$WORK/key.gpg
REF=localhost/lock-update:test
SERVER_PID=

cleanup_all() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  gpgconf --homedir "$GNUPGHOME" --kill gpg-agent 2>/dev/null || true
  gpgconf --homedir "$OTHERHOME" --kill gpg-agent 2>/dev/null || true
  cleanup_work
}
trap cleanup_all EXIT

# ---- the packages ------------------------------------------------------------------------------

# control NAME VERSION PRIORITY DEPENDS
control() {
  mkdir -p "$B/$1-$2/DEBIAN"
  {
    echo "Package: $1"
    echo "Version: $2"
    echo "Architecture: amd64"
    echo "Maintainer: distill tests <tests@example.invalid>"
    echo "Priority: $3"
    echo "Section: misc"
    [ -n "$4" ] && echo "Depends: $4"
    echo "Description: $1 for test_lock_update.sh"
    echo " Built for a local archive."
  } >"$B/$1-$2/DEBIAN/control"
}

# deb NAME VERSION POOLDIR: builds $B/NAME-VERSION into the archive's pool
deb() {
  mkdir -p "$A/pool/$3"
  dpkg-deb --root-owner-group -Zxz --build "$B/$1-$2" "$A/pool/$3/${1}_${2}_amd64.deb" >/dev/null
}

control libc6 1.0 required libgcc-s1
mkdir -p "$B/libc6-1.0/lib/$T" "$B/libc6-1.0/lib64"
cp -L "/lib/$T/libc.so.6" "$B/libc6-1.0/lib/$T/"
cp -L /lib64/ld-linux-x86-64.so.2 "$B/libc6-1.0/lib/$T/ld-linux-x86-64.so.2"
ln -s "/lib/$T/ld-linux-x86-64.so.2" "$B/libc6-1.0/lib64/ld-linux-x86-64.so.2"
control libgcc-s1 1.0 optional libc6
mkdir -p "$B/libgcc-s1-1.0/lib/$T"
cp -L "/lib/$T/libgcc_s.so.1" "$B/libgcc-s1-1.0/lib/$T/"
control libc-bin 1.0 required libc6
mkdir -p "$B/libc-bin-1.0/usr/lib/locale" "$B/libc-bin-1.0/etc"
cp -r /usr/lib/locale/C.utf8 "$B/libc-bin-1.0/usr/lib/locale/"
printf 'include /etc/ld.so.conf.d/*.conf\n' >"$B/libc-bin-1.0/etc/ld.so.conf"
control base-files 1.0 required ""
mkdir -p "$B/base-files-1.0/etc"
echo "12.99" >"$B/base-files-1.0/etc/debian_version"
printf 'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n' >"$B/base-files-1.0/etc/os-release"
control extra-tool 1.0 optional libc6
mkdir -p "$B/extra-tool-1.0/usr/share/extra-tool"
echo extra >"$B/extra-tool-1.0/usr/share/extra-tool/data"

mkdir -p "$WORK/src"
# greet_lib VERSION MESSAGE: libgreet1 VERSION, whose greet() says MESSAGE
greet_lib() {
  control libgreet1 "$1" optional libc6
  mkdir -p "$B/libgreet1-$1/usr/lib/$T"
  printf '#include <stdio.h>\nvoid greet(void) { puts("%s"); }\n' "$2" >"$WORK/src/greet-$1.c"
  cc -O2 -shared -fPIC -Wl,-soname,libgreet.so.1 -o "$B/libgreet1-$1/usr/lib/$T/libgreet.so.1" \
    "$WORK/src/greet-$1.c"
}
greet_lib 1.0 "hello, from libgreet 1.0"
control hello-c 1.0 optional "libc6, libgreet1 (>= 1.0)"
mkdir -p "$B/hello-c-1.0/usr/bin"
printf 'void greet(void);\nint main(void) { greet(); return 0; }\n' >"$WORK/src/hello.c"
cc -O2 -o "$B/hello-c-1.0/usr/bin/hello-c" "$WORK/src/hello.c" -L"$B/libgreet1-1.0/usr/lib/$T" -l:libgreet.so.1

for p in libc6 libgcc-s1 libc-bin base-files extra-tool libgreet1 hello-c; do deb "$p" 1.0 main; done
# the security suite starts with a package nobody asks for
control sec-notes 1.0 optional ""
mkdir -p "$B/sec-notes-1.0/usr/share/doc/sec-notes"
echo notes >"$B/sec-notes-1.0/usr/share/doc/sec-notes/README"
deb sec-notes 1.0 security

# ---- indexes, signatures, the server -----------------------------------------------------------

mkdir -p "$GNUPGHOME" "$OTHERHOME"
chmod 700 "$GNUPGHOME" "$OTHERHOME"
quiet_gpg() {
  gpg "$@" 2>"$WORK/gpg.log" || { cat "$WORK/gpg.log" >&2; echo "FATAL: gpg $*" >&2; exit 1; }
}
quiet_gpg --batch --pinentry-mode loopback --passphrase '' \
  --quick-gen-key 'distill test <t@example.invalid>' ed25519 sign never
quiet_gpg --batch --homedir "$OTHERHOME" --pinentry-mode loopback --passphrase '' \
  --quick-gen-key 'someone else <o@example.invalid>' ed25519 sign never
gpg --export >"$KEYRING"

# Each publication's InRelease is dated after the last, so http.server answers the
# conditional request with the new bytes rather than 304.
STAMP=$(date +%s)
# publish SUITE POOLDIR [HOMEDIR [EXTRA_RELEASE_LINE]]: the suite's index of the .debs under
# pool/POOLDIR, its Release, its InRelease signed with HOMEDIR's key (ours by default)
publish() {
  local suite=$1 pooldir=$2 home=${3:-$GNUPGHOME} extra=${4:-}
  local d=$A/dists/$suite
  rm -rf "$d"
  mkdir -p "$d/main/binary-amd64"
  (cd "$A" && dpkg-scanpackages --arch amd64 "pool/$pooldir" 2>/dev/null >"dists/$suite/main/binary-amd64/Packages")
  xz -k "$d/main/binary-amd64/Packages"
  apt-ftparchive -o APT::FTPArchive::Release::Origin=distill-test \
    -o APT::FTPArchive::Release::Label=distill-test \
    -o APT::FTPArchive::Release::Suite="$suite" -o APT::FTPArchive::Release::Codename="$suite" \
    -o APT::FTPArchive::Release::Architectures=amd64 \
    -o APT::FTPArchive::Release::Components=main release "$d" >"$WORK/Release"
  if [ -n "$extra" ]; then
    sed -i "/^Date: /a $extra" "$WORK/Release"
  fi
  mv "$WORK/Release" "$d/Release"
  gpg --batch --homedir "$home" --yes --clearsign -o "$d/InRelease" "$d/Release" 2>/dev/null
  STAMP=$((STAMP + 10))
  touch -d "@$STAMP" "$d/InRelease"
}
publish test main
publish test-security security

$PY -u -m http.server --bind 127.0.0.1 0 --directory "$A" >"$WORK/server.out" 2>"$WORK/server.log" &
SERVER_PID=$!
PORT=
for _ in $(seq 1200); do
  PORT=$(sed -n 's/.* port \([0-9][0-9]*\) .*/\1/p' "$WORK/server.out" 2>/dev/null | head -n1)
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "FATAL: http.server died" >&2; exit 1; }
  sleep 0.05
done
[ -n "$PORT" ] || { echo "FATAL: http.server did not start" >&2; exit 1; }

# ---- the manifest and the first lock -----------------------------------------------------------

M=$WORK/proj
mkdir -p "$M"
echo "greetings" >"$M/greeting.txt"
# manifest FILE PACKAGES [ARCH]
manifest() {
  cat >"$1" <<YAML
version: 1
arch: ${3:-amd64}
source:
  apt:
    sources:
      - uri: "http://127.0.0.1:$PORT"
        suites: [test, test-security]
        components: [main]
        signed-by: $KEYRING
    cache: $WORK/cache
packages: [$2]
binaries: [/usr/bin/hello-c]
files:
  add: [{from: greeting.txt, to: /etc/greeting}]
image:
  ref: $REF
  entrypoint: [/usr/bin/hello-c]
YAML
}
manifest "$M/m.yaml" hello-c
LOCK=$M/distill.lock

# run NAME ARGS...: distill ARGS, stdout in NAME.out, stderr in NAME.err, the status in CODE
run() {
  local name=$1
  shift
  set +e
  "$DISTILL" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  CODE=$?
  set -e
  echo "--- distill $* → $CODE"
  cat "$WORK/$name.out" "$WORK/$name.err"
}
locked_version() { # locked_version PKG → its version in the lock (amd64)
  $PY -c 'import json,sys; print(*[e["version"] for e in json.load(open(sys.argv[1]))["architectures"]["amd64"] if e["name"] == sys.argv[2]])' "$LOCK" "$1"
}
layer_digests() { # layer_digests JSON → one digest per line, runtime then app
  $PY -c 'import json,sys; [print(l["digest"]) for l in json.load(open(sys.argv[1]))["layers"]]' "$1"
}

run lock0 lock "$M/m.yaml" -q
check "distill lock succeeds (exit $CODE)" test "$CODE" -eq 0
check "the lock pins libgreet1 1.0" test "$(locked_version libgreet1)" = "1.0"
run check0 lock --check "$M/m.yaml" -q
check "lock --check passes on a fresh lock (exit $CODE)" test "$CODE" -eq 0
run build1 build "$M/m.yaml" --locked -o "$WORK/out1" --json -q
check "build --locked succeeds (exit $CODE)" test "$CODE" -eq 0
layer_digests "$WORK/build1.out" >"$WORK/out1.layers"
check "split: a runtime and an app layer" test "$(wc -l <"$WORK/out1.layers")" -eq 2

# ---- a security update of a kept library -------------------------------------------------------

greet_lib 1.0+sec1 "hello, from the patched libgreet"
deb libgreet1 1.0+sec1 security
publish test-security security
cp "$LOCK" "$WORK/lock.before"

run check1 lock --check "$M/m.yaml" -q
check "lock --check still passes: the locked 1.0 is still served (exit $CODE)" test "$CODE" -eq 0

run upd-other lock --update "$M/m.yaml" base-files -q
check "lock --update base-files succeeds (exit $CODE)" test "$CODE" -eq 0
check "... and leaves libgreet1 at 1.0" test "$(locked_version libgreet1)" = "1.0"
check "... saying nothing of it" bash -c "! grep -q libgreet1 '$WORK/upd-other.out'"
check "... the lock's content unchanged" cmp -s "$LOCK" "$WORK/lock.before"

run upd-unknown lock --update "$M/m.yaml" no-such-pkg -q
check "lock --update of a package the lock does not pin: exit 2 (got $CODE)" test "$CODE" -eq 2
check "... naming it" grep -q no-such-pkg "$WORK/upd-unknown.err"

run upd lock --update "$M/m.yaml" -q
check "lock --update succeeds (exit $CODE)" test "$CODE" -eq 0
check "... and says old → new for libgreet1" grep -qxF "amd64: libgreet1 1.0 → 1.0+sec1" "$WORK/upd.out"
check "... and nothing else changed" test "$(grep -c '→' "$WORK/upd.out")" -eq 1
check "the lock now pins libgreet1 1.0+sec1" test "$(locked_version libgreet1)" = "1.0+sec1"
check "... from the security suite's pool" grep -q 'pool/security/libgreet1_1.0+sec1_amd64.deb' "$LOCK"
check "no temporary left beside the lock" test -z "$(find "$M" -name '.*' -type f)"
run check2 lock --check "$M/m.yaml" -q
check "lock --check passes on the updated lock (exit $CODE)" test "$CODE" -eq 0
run upd-again lock --update "$M/m.yaml" -q
check "a second lock --update changes nothing" test "$(grep -c '→' "$WORK/upd-again.out" || true)" -eq 0

run build2 build "$M/m.yaml" --locked -o "$WORK/out2" --json -q
check "the rebuild --locked succeeds (exit $CODE)" test "$CODE" -eq 0
layer_digests "$WORK/build2.out" >"$WORK/out2.layers"
check "the rebuild changes the runtime layer" \
  test "$(sed -n 1p "$WORK/out1.layers")" != "$(sed -n 1p "$WORK/out2.layers")"
check "... and leaves the app layer identical" \
  test "$(sed -n 2p "$WORK/out1.layers")" = "$(sed -n 2p "$WORK/out2.layers")"
unpack "$WORK/out2" "$REF" "$WORK/bundle"
run_bundle "$WORK/bundle" >"$WORK/run.out" 2>&1 || true
cat "$WORK/run.out"
check "the rebuilt image runs the patched library" \
  test "$(cat "$WORK/run.out")" = "hello, from the patched libgreet"

# ---- report A B: why the two images differ -------------------------------------------------------

run diff report "$WORK/out1" "$WORK/out2"
check "report A B succeeds (exit $CODE)" test "$CODE" -eq 0
cat "$WORK/diff.out"
check "... and its first section is the package version change, old → new" \
  bash -c "grep -v '^[AB]  ' '$WORK/diff.out' | head -2 | tr '\n' '|' |
           grep -qxF 'package versions changed: 1|  libgreet1  1.0 → 1.0+sec1|'"
lock_a=$(sha256sum <"$WORK/lock.before" | cut -d' ' -f1)
lock_b=$(sha256sum <"$LOCK" | cut -d' ' -f1)
check "... naming both lockfiles by their SHA-256 (sha256sum of each)" \
  grep -qxF "  lockfile         sha256:$lock_a → sha256:$lock_b" "$WORK/diff.out"
check "... and the rules as the same" grep -q '^  rules            same: sha256:' "$WORK/diff.out"
run diffj report --json "$WORK/out1" "$WORK/out2"
check "report --json A B: the version change, the changed library file, nothing added or removed" \
  $PY - "$WORK/diffj.out" "$WORK/out1/plan.json" "$WORK/out2/plan.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
a, b = (json.load(open(p)) for p in sys.argv[2:4])
assert d["packages"] == {"changed": [{"name": "libgreet1", "from": "1.0", "to": "1.0+sec1"}],
                         "added": [], "removed": []}, d["packages"]
# the files whose digests differ, computed from the two plans independently
fa = {e["path"]: e for e in a["entries"] if e["type"] == "file"}
fb = {e["path"]: e for e in b["entries"] if e["type"] == "file"}
changed = sorted(p for p in fa.keys() & fb.keys() if fa[p]["digest"] != fb[p]["digest"])
assert sorted(c["path"] for c in d["files"]["changed"]) == changed, (d["files"], changed)
assert any("libgreet" in p for p in changed), changed
assert d["files"]["added"] == [] and d["files"]["removed"] == [], d["files"]
assert not d["identical"]
PYEOF
run build2b build "$M/m.yaml" --locked -o "$WORK/out2b" --json -q
check "a rebuild from the unchanged lock gives the same image digest" \
  test "$(manifest_digest "$WORK/out2" "$REF")" = "$(manifest_digest "$WORK/out2b" "$REF")"
run same report "$WORK/out2" "$WORK/out2b"
check "... and report A B calls the two identical" grep -qxF "identical: the same files with the same contents" "$WORK/same.out"

# ---- lock --check: the manifest changed --------------------------------------------------------

manifest "$M/gained.yaml" "hello-c, extra-tool"
run gained lock --check "$M/gained.yaml" -o "$LOCK" -q
check "a manifest that gained a package: lock --check exit 3 (got $CODE)" test "$CODE" -eq 3
check "... naming the package" grep -q "extra-tool is needed by the manifest but not locked" "$WORK/gained.err"
manifest "$M/arches.yaml" hello-c "[amd64, arm64]"
run arches lock --check "$M/arches.yaml" -o "$LOCK" -q
check "a manifest with another architecture: lock --check exit 3 (got $CODE)" test "$CODE" -eq 3
check "... naming it" grep -q "arm64: no packages locked" "$WORK/arches.err"

# ---- the archive changed under the lock --------------------------------------------------------

cp "$LOCK" "$WORK/lock.updated"
mv "$A/pool/security/libgreet1_1.0+sec1_amd64.deb" "$WORK/"
publish test-security security
run dropped lock --check "$M/m.yaml" -q
check "an archive that dropped the locked version: lock --check exit 3 (got $CODE)" test "$CODE" -eq 3
check "... naming the package and the version" \
  grep -q "libgreet1 1.0+sec1 is no longer served by the archive" "$WORK/dropped.err"

# a lower version than the lock (1.0+sec0 < 1.0+sec1): a rollback, never taken
greet_lib 1.0+sec0 "hello, from a rolled-back libgreet"
deb libgreet1 1.0+sec0 security
publish test-security security
run down lock --update "$M/m.yaml" -q
check "an index offering a lower version: lock --update fails, exit 3 (got $CODE)" test "$CODE" -eq 3
check "... reporting the downgrade" \
  grep -q "libgreet1: the archive offers 1.0+sec0, lower than the locked 1.0+sec1 (a downgrade): not taken" "$WORK/down.err"
check "... saying the locked version is no longer served" \
  grep -q "libgreet1 1.0+sec1 is no longer served" "$WORK/down.err"
check "... and the lock unchanged" cmp -s "$LOCK" "$WORK/lock.updated"
run down-named lock --update "$M/m.yaml" libgreet1 -q
check "named, the downgrade is not taken either (exit $CODE)" test "$CODE" -eq 3
check "... the lock unchanged" cmp -s "$LOCK" "$WORK/lock.updated"

# ---- indexes refused as builds refuse them -----------------------------------------------------

mv "$WORK/libgreet1_1.0+sec1_amd64.deb" "$A/pool/security/"
rm "$A/pool/security/libgreet1_1.0+sec0_amd64.deb"
publish test-security security "$GNUPGHOME" "Valid-Until: $(date -u -R -d '-1 day')"
# this host's apt.conf.d may switch Valid-Until checks off (as distill honours): apt's defaults
mkdir -p "$WORK/apt-parts"
printf 'Dir::Etc::parts "%s";\nAcquire::Check-Valid-Until "true";\n' "$WORK/apt-parts" >"$WORK/apt.conf"
export APT_CONFIG=$WORK/apt.conf
run stale lock --update "$M/m.yaml" -q
check "a stale Valid-Until: lock --update exit 5 (got $CODE)" test "$CODE" -eq 5
check "... the lock unchanged" cmp -s "$LOCK" "$WORK/lock.updated"
run stale-check lock --check "$M/m.yaml" -q
check "... and lock --check exit 5 (got $CODE)" test "$CODE" -eq 5
check "... naming Valid-Until" grep -q "Valid-Until" "$WORK/stale-check.err"
unset APT_CONFIG
publish test-security security "$OTHERHOME"
run badsig lock --update "$M/m.yaml" -q
check "an InRelease signed by another key: lock --update exit 5 (got $CODE)" test "$CODE" -eq 5
check "... naming the InRelease" grep -q InRelease "$WORK/badsig.err"
check "... the lock unchanged" cmp -s "$LOCK" "$WORK/lock.updated"
publish test-security security
run check3 lock --check "$M/m.yaml" -q
check "the archive restored: lock --check passes again (exit $CODE)" test "$CODE" -eq 0
finish
