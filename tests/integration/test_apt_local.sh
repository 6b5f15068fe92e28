#!/usr/bin/env bash
# The apt source against a Debian archive made here: .debs built with dpkg-deb (libc copied from
# the host, a C program compiled here, our own base-files), indexes from dpkg-scanpackages, a
# Release from apt-ftparchive signed with a throw-away gpg key, served over HTTP by python's
# http.server, whose request log shows exactly what distill asked for. The image runs under runc;
# a warm rebuild asks for the InRelease only; every tampered byte (index, .deb, signature, text
# outside the signed block) is exit 5 with no output and nothing tampered left in the cache; a
# package the archive lacks is exit 3.
. "$(dirname "$0")/lib.sh"

# the server is on loopback: no proxy from the environment may intercept it
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset DISTILL_CACHE

T=x86_64-linux-gnu
A=$WORK/archive          # what the server serves
B=$WORK/pkgs             # one dpkg-deb tree per package
LOG=$WORK/server.log     # http.server's request log: one line per request
export GNUPGHOME=$WORK/gnupg
OTHERHOME=$WORK/gnupg-other
KEYRING=$WORK/key.gpg
REF=localhost/local-archive:test
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

# control NAME PRIORITY DEPENDS DESCRIPTION → the tree's DEBIAN/control
control() {
  mkdir -p "$B/$1/DEBIAN"
  {
    echo "Package: $1"
    echo "Version: 1.0"
    echo "Architecture: amd64"
    echo "Maintainer: distill tests <tests@example.invalid>"
    echo "Priority: $2"
    echo "Section: misc"
    [ -n "$3" ] && echo "Depends: $3"
    echo "Description: $4"
    echo " Built by test_apt_local.sh for a local archive."
  } >"$B/$1/DEBIAN/control"
}

control libc6 required libgcc-s1 "GNU C Library: shared libraries (the host's)"
mkdir -p "$B/libc6/lib/$T" "$B/libc6/lib64"
cp -L "/lib/$T/libc.so.6" "$B/libc6/lib/$T/"
cp -L /lib64/ld-linux-x86-64.so.2 "$B/libc6/lib/$T/ld-linux-x86-64.so.2"
ln -s "/lib/$T/ld-linux-x86-64.so.2" "$B/libc6/lib64/ld-linux-x86-64.so.2"

control libgcc-s1 optional libc6 "GCC support library (the host's)"
mkdir -p "$B/libgcc-s1/lib/$T"
cp -L "/lib/$T/libgcc_s.so.1" "$B/libgcc-s1/lib/$T/"

control libc-bin required libc6 "GNU C Library: binaries (the C.UTF-8 locale and ld.so.conf)"
mkdir -p "$B/libc-bin/usr/lib/locale" "$B/libc-bin/etc/ld.so.conf.d"
cp -r /usr/lib/locale/C.utf8 "$B/libc-bin/usr/lib/locale/"
printf 'include /etc/ld.so.conf.d/*.conf\n' >"$B/libc-bin/etc/ld.so.conf"

control base-files required "" "Debian base system miscellaneous files (a test release)"
mkdir -p "$B/base-files/etc"
echo "12.99" >"$B/base-files/etc/debian_version"
printf 'PRETTY_NAME="Debian GNU/Linux 12.99 (test)"\nNAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n' \
  >"$B/base-files/etc/os-release"

control hello-c optional libc6 "a C program that greets from a local archive"
mkdir -p "$B/hello-c/usr/bin" "$B/hello-c/usr/share/doc/hello-c" "$WORK/src"
cat >"$WORK/src/hello.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int main(void)
{
        printf("hello from a local archive, uid=%d\n", (int)getuid());
        return 0;
}
C
cc -O2 -o "$B/hello-c/usr/bin/hello-c" "$WORK/src/hello.c"
echo "public domain test program" >"$B/hello-c/usr/share/doc/hello-c/copyright"

for p in libc6 libgcc-s1 libc-bin base-files hello-c; do
  mkdir -p "$A/pool/main/${p:0:1}/$p"
  dpkg-deb --root-owner-group -Zxz --build "$B/$p" "$A/pool/main/${p:0:1}/$p/${p}_1.0_amd64.deb" >/dev/null
done
HELLO_DEB=$A/pool/main/h/hello-c/hello-c_1.0_amd64.deb

# ---- indexes, Release, signature ---------------------------------------------------------------

D=$A/dists/test
mkdir -p "$D/main/binary-amd64"
(cd "$A" && dpkg-scanpackages --arch amd64 pool 2>/dev/null >dists/test/main/binary-amd64/Packages)
xz -k "$D/main/binary-amd64/Packages"
gzip -9nk "$D/main/binary-amd64/Packages"
apt-ftparchive \
  -o APT::FTPArchive::Release::Origin=distill-test \
  -o APT::FTPArchive::Release::Suite=test \
  -o APT::FTPArchive::Release::Codename=test \
  -o APT::FTPArchive::Release::Architectures=amd64 \
  -o APT::FTPArchive::Release::Components=main \
  release "$D" >"$WORK/Release"
mv "$WORK/Release" "$D/Release"

mkdir -p "$GNUPGHOME" "$OTHERHOME"
chmod 700 "$GNUPGHOME" "$OTHERHOME"
quiet_gpg() { # gpg's chatter goes to a log, shown when it fails
  gpg "$@" 2>"$WORK/gpg.log" || { cat "$WORK/gpg.log" >&2; echo "FATAL: gpg $*" >&2; exit 1; }
}
quiet_gpg --batch --pinentry-mode loopback --passphrase '' \
  --quick-gen-key 'distill test <t@example.invalid>' ed25519 sign never
quiet_gpg --batch --homedir "$OTHERHOME" --pinentry-mode loopback --passphrase '' \
  --quick-gen-key 'someone else <o@example.invalid>' ed25519 sign never
quiet_gpg --batch --yes --clearsign -o "$D/InRelease" "$D/Release"
gpg --export >"$KEYRING"
GOOD_INRELEASE=$WORK/InRelease.good
cp -p "$D/InRelease" "$GOOD_INRELEASE"
echo "--- the archive's Release:"
cat "$D/Release"

check "the Release lists the SHA-256 and size of Packages, Packages.xz and Packages.gz" "$PY" - "$D" <<'PYEOF'
import hashlib, os, sys
d = sys.argv[1]
text = open(os.path.join(d, "Release")).read()
fields = text.split("\nSHA256:\n", 1)[1].split("\n")
listed = {}
for line in fields:
    if not line.startswith(" "):
        break
    h, size, name = line.split()
    listed[name] = (h, int(size))
for name in ("main/binary-amd64/Packages", "main/binary-amd64/Packages.xz", "main/binary-amd64/Packages.gz"):
    data = open(os.path.join(d, name), "rb").read()
    assert listed[name] == (hashlib.sha256(data).hexdigest(), len(data)), name
for key in ("Date: ", "Suite: test", "Codename: test", "Architectures: amd64", "Components: main"):
    assert ("\n" + key) in ("\n" + text), key
PYEOF

# ---- the server --------------------------------------------------------------------------------

# port 0: the kernel picks a free port and http.server says which (no race with another
# process taking a port chosen beforehand); polled for up to a minute on a loaded machine
$PY -u -m http.server --bind 127.0.0.1 0 --directory "$A" >"$WORK/server.out" 2>"$LOG" &
SERVER_PID=$!
PORT=
for _ in $(seq 1200); do
  PORT=$(sed -n 's/.* port \([0-9][0-9]*\) .*/\1/p' "$WORK/server.out" 2>/dev/null | head -n1)
  [ -n "$PORT" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOG"; echo "FATAL: http.server died" >&2; exit 1; }
  sleep 0.05
done
[ -n "$PORT" ] || { echo "FATAL: http.server did not start" >&2; exit 1; }

# manifest FILE CACHE PACKAGE
manifest() {
  cat >"$1" <<YAML
version: 1
source:
  apt:
    sources:
      - uri: "http://127.0.0.1:$PORT"
        suites: [test]
        components: [main]
        signed-by: $KEYRING
    cache: $2
packages: [$3]
binaries: [/usr/bin/hello-c]
image:
  ref: $REF
  entrypoint: [/usr/bin/hello-c]
YAML
}

log_lines() { wc -l <"$LOG"; }

# build NAME MANIFEST → runs distill build into $WORK/NAME; sets CODE, the stderr is in NAME.err
build() {
  set +e
  "$DISTILL" build "$2" -o "$WORK/$1" -q >"$WORK/$1.out" 2>"$WORK/$1.err"
  CODE=$?
  set -e
}

# ---- 1. a cold build -----------------------------------------------------------------------------

CACHE=$WORK/cache
manifest "$WORK/m.yaml" "$CACHE" hello-c
build out "$WORK/m.yaml"
cat "$WORK/out.err"
check "distill build from the local archive succeeds (exit $CODE)" test "$CODE" -eq 0
[ "$CODE" -eq 0 ] || { finish; exit 1; }
echo "--- requests of the cold build:"
cat "$LOG"
unpack "$WORK/out" "$REF" "$WORK/bundle"
run_bundle "$WORK/bundle" >"$WORK/run.out" 2>&1 || true
cat "$WORK/run.out"
check "the program from the archive runs under runc as UID 1000" \
  test "$(cat "$WORK/run.out")" = "hello from a local archive, uid=1000"
check "/etc/debian_version is the archive's base-files (12.99), not the host's" \
  test "$(cat "$WORK/bundle/rootfs/etc/debian_version")" = "12.99"
# http.server's log line: ADDR - - [DATE TIME] "GET PATH HTTP/1.1" STATUS -
requested_debs() { awk '$6 == "\"GET" && $7 ~ /\.deb$/ {print $7}' "$1" | sort | tr '\n' ' '; }
check "each of the five .debs was requested from the server exactly once" \
  test "$(requested_debs "$LOG")" = "$(cd "$A" && find pool -name '*.deb' -printf '/%p\n' | sort | tr '\n' ' ')"

# ---- 2. a warm rebuild ---------------------------------------------------------------------------

before=$(log_lines)
build out2 "$WORK/m.yaml"
cat "$WORK/out2.err"
check "the warm rebuild succeeds (exit $CODE)" test "$CODE" -eq 0
tail -n +"$((before + 1))" "$LOG" >"$WORK/warm.log"
echo "--- requests of the warm rebuild:"
cat "$WORK/warm.log"
check "the warm rebuild makes exactly one request" test "$(wc -l <"$WORK/warm.log")" -eq 1
check "and that request is the InRelease (no Packages index, no .deb)" \
  grep -q '"GET /dists/test/InRelease HTTP' "$WORK/warm.log"
check "the warm rebuild gives the same manifest digest" \
  test "$(manifest_digest "$WORK/out" "$REF")" = "$(manifest_digest "$WORK/out2" "$REF")"

# ---- 3. tampering --------------------------------------------------------------------------------

flip() { # flip FILE: one byte in the middle, the size unchanged
  $PY - "$1" <<'PYEOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x01
open(p, "wb").write(b)
PYEOF
}

# refused NAME CACHE TAMPERED_FILE WHAT MESSAGE_WORD: build NAME with the cache CACHE and check
# it is exit 5, names MESSAGE_WORD, leaves no output, no temporary and no cache entry with
# the tampered file's bytes
refused() {
  local name=$1 cache=$2 tampered=$3 what=$4 word=$5
  manifest "$WORK/$name.yaml" "$cache" hello-c
  build "$name" "$WORK/$name.yaml"
  echo "--- $what:"
  cat "$WORK/$name.err"
  check "$what: exit 5 (got $CODE)" test "$CODE" -eq 5
  check "$what: the message names $word" grep -qF "$word" "$WORK/$name.err"
  check "$what: no output" test ! -e "$WORK/$name"
  check "$what: no .$name.distill-* temporary beside the output" \
    test -z "$(find "$WORK" -maxdepth 1 -name ".$name.distill-*")"
  local bad
  bad=$(sha256sum "$tampered" | cut -d' ' -f1)
  check "$what: nothing in the cache has the tampered bytes" \
    test -z "$(find "$cache" -type f -exec sha256sum {} + 2>/dev/null | awk -v h="$bad" '$1 == h')"
}

# (a) an index whose bytes changed but whose size did not; a fresh cache holds no good copy
XZ=$D/main/binary-amd64/Packages.xz
cp -p "$XZ" "$WORK/Packages.xz.good"
flip "$XZ"
refused bad-index "$WORK/cache-a" "$XZ" "a tampered Packages.xz (same size)" Packages
cp -p "$WORK/Packages.xz.good" "$XZ"

# (b) a .deb whose bytes changed but whose size did not
cp -p "$HELLO_DEB" "$WORK/hello-c.deb.good"
flip "$HELLO_DEB"
refused bad-deb "$WORK/cache-b" "$HELLO_DEB" "a tampered hello-c .deb (same size)" hello-c
cp -p "$WORK/hello-c.deb.good" "$HELLO_DEB"

# The InRelease cases use the warm cache: a cached good InRelease must not stand in for the
# served one. Each bad InRelease is dated after the good one, so the server answers the
# conditional request with the new bytes rather than 304.
good_mtime=$(stat -c %Y "$GOOD_INRELEASE")
serve_inrelease() { # serve_inrelease FILE: FILE becomes the served InRelease, newer than the good one
  cp "$1" "$D/InRelease"
  touch -d "@$((good_mtime + 10))" "$D/InRelease"
}

# (c) a valid signature by a key that is not the Signed-By key
gpg --batch --homedir "$OTHERHOME" --yes --clearsign -o "$WORK/InRelease.other" "$D/Release" 2>/dev/null
serve_inrelease "$WORK/InRelease.other"
refused other-key "$CACHE" "$D/InRelease" "an InRelease signed by another key than Signed-By" InRelease
cp -p "$GOOD_INRELEASE" "$D/InRelease"

# (d) a stanza before the signed block (gpgv alone accepts it)
{ printf 'Origin: evil\n\n'; cat "$GOOD_INRELEASE"; } >"$WORK/InRelease.before"
serve_inrelease "$WORK/InRelease.before"
refused before-block "$CACHE" "$D/InRelease" "an InRelease with a stanza before the signed block" InRelease
cp -p "$GOOD_INRELEASE" "$D/InRelease"

# (e) a stanza after the signed block
{ cat "$GOOD_INRELEASE"; printf '\nOrigin: evil\n'; } >"$WORK/InRelease.after"
serve_inrelease "$WORK/InRelease.after"
refused after-block "$CACHE" "$D/InRelease" "an InRelease with a stanza after the signed block" InRelease
cp -p "$GOOD_INRELEASE" "$D/InRelease"

# the restored archive builds again, from the cache the refused builds left alone
build out3 "$WORK/m.yaml"
cat "$WORK/out3.err"
check "after the refusals, the restored archive builds the same digest (exit $CODE)" \
  test "$CODE" -eq 0 -a "$(manifest_digest "$WORK/out" "$REF" 2>/dev/null)" = "$(manifest_digest "$WORK/out3" "$REF" 2>/dev/null || true)"

# ---- 4. a package the archive lacks --------------------------------------------------------------

manifest "$WORK/missing.yaml" "$CACHE" "hello-c, no-such-package"
build missing "$WORK/missing.yaml"
echo "--- a package the archive lacks:"
cat "$WORK/missing.err"
check "a package the archive lacks is exit 3 (got $CODE)" test "$CODE" -eq 3
# libsolv's solver_problem2str: "package X does not exist" for a name no repository has
check "with libsolv's problem text naming it" \
  grep -qE 'package no-such-package does not exist|nothing provides (requested )?no-such-package' "$WORK/missing.err"
check "and no output" test ! -e "$WORK/missing"
finish
