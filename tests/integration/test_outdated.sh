#!/usr/bin/env bash
# distill outdated against a signed archive made here (as test_apt_local.sh makes one): a suite
# "test" and a security suite "test-security" (Label: Debian-Security), both signed with a
# throw-away key and served by python's http.server. A program linked to libgreet1 is built;
# then the archive changes under it: greet-data (a candidate package no file of which is kept)
# gets 1.1, libgreet1 (kept) gets a security fix, libc6 (kept) is replaced by an older version.
# `outdated` lists the first apart (no exit 7), the second as a security update with both
# versions (exit 7 under --exit-code), the third as a downgrade; after a rebuild it lists
# nothing and exits 0. A stale (Valid-Until) or wrongly signed index is refused (exit 5). The
# manifest's annotations record distill's version, the rules' digest and the lock's.
. "$(dirname "$0")/lib.sh"

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset DISTILL_CACHE SOURCE_DATE_EPOCH

T=x86_64-linux-gnu
A=$WORK/archive
B=$WORK/pkgs
LOG=$WORK/server.log
export GNUPGHOME=$WORK/gnupg
OTHERHOME=$WORK/gnupg-other
KEYRING=$WORK/key.gpg
REF=localhost/outdated:test
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

# control NAME VERSION PRIORITY DEPENDS → the tree's DEBIAN/control
control() {
  mkdir -p "$B/$1/DEBIAN"
  {
    echo "Package: $1"
    echo "Version: $2"
    echo "Architecture: amd64"
    echo "Maintainer: distill tests <tests@example.invalid>"
    echo "Priority: $3"
    echo "Section: misc"
    [ -n "$4" ] && echo "Depends: $4"
    echo "Description: $1 for test_outdated.sh"
    echo " Built for a local archive."
  } >"$B/$1/DEBIAN/control"
}

# deb NAME VERSION SUITE: the tree as NAME_VERSION_amd64.deb in the pool of SUITE
deb() {
  sed -i "s/^Version: .*/Version: $2/" "$B/$1/DEBIAN/control"
  mkdir -p "$A/pool/$3/${1:0:1}/$1"
  dpkg-deb --root-owner-group -Zxz --build "$B/$1" "$A/pool/$3/${1:0:1}/$1/${1}_$2_amd64.deb" >/dev/null
}

control libc6 1.0 required libgcc-s1
mkdir -p "$B/libc6/lib/$T" "$B/libc6/lib64"
cp -L "/lib/$T/libc.so.6" "$B/libc6/lib/$T/"
cp -L /lib64/ld-linux-x86-64.so.2 "$B/libc6/lib/$T/ld-linux-x86-64.so.2"
ln -s "/lib/$T/ld-linux-x86-64.so.2" "$B/libc6/lib64/ld-linux-x86-64.so.2"

control libgcc-s1 1.0 optional libc6
mkdir -p "$B/libgcc-s1/lib/$T"
cp -L "/lib/$T/libgcc_s.so.1" "$B/libgcc-s1/lib/$T/"

control libc-bin 1.0 required libc6
mkdir -p "$B/libc-bin/usr/lib/locale" "$B/libc-bin/etc/ld.so.conf.d"
cp -r /usr/lib/locale/C.utf8 "$B/libc-bin/usr/lib/locale/"
printf 'include /etc/ld.so.conf.d/*.conf\n' >"$B/libc-bin/etc/ld.so.conf"

control base-files 1.0 required ""
mkdir -p "$B/base-files/etc"
echo "12.99" >"$B/base-files/etc/debian_version"
printf 'PRETTY_NAME="Debian GNU/Linux 12.99 (test)"\nNAME="Debian GNU/Linux"\nID=debian\n' \
  >"$B/base-files/etc/os-release"

# libgreet1: the kept library that gets a security fix
control libgreet1 1.0 optional libc6
mkdir -p "$B/libgreet1/usr/lib/$T" "$WORK/src"
cat >"$WORK/src/greet.c" <<'C'
const char *greeting(void) { return "hello from libgreet"; }
C
cc -O2 -shared -fPIC -Wl,-soname,libgreet.so.1 -o "$B/libgreet1/usr/lib/$T/libgreet.so.1" \
  "$WORK/src/greet.c"

# greet-data: a dependency none of whose files the image keeps
control greet-data 1.0 optional ""
mkdir -p "$B/greet-data/usr/share/greet-data"
echo "words nobody reads" >"$B/greet-data/usr/share/greet-data/words.txt"

control hello-c 1.0 optional "libc6, libgreet1, greet-data"
mkdir -p "$B/hello-c/usr/bin"
cat >"$WORK/src/hello.c" <<'C'
#include <stdio.h>
const char *greeting(void);
int main(void) { puts(greeting()); return 0; }
C
ln -sf "$B/libgreet1/usr/lib/$T/libgreet.so.1" "$WORK/src/libgreet.so"
cc -O2 -o "$B/hello-c/usr/bin/hello-c" "$WORK/src/hello.c" -L"$WORK/src" -lgreet

for p in libc6 libgcc-s1 libc-bin base-files libgreet1 greet-data hello-c; do
  deb "$p" 1.0 main
done

# ---- indexes, Release, signature ---------------------------------------------------------------

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

PUBLISHED=0
# publish SUITE POOL LABEL [EXTRA_RELEASE_LINE [GPG_HOME]]: index pool/POOL into dists/SUITE,
# write and sign its Release; its files get a later mtime each time, so that http.server's
# If-Modified-Since answer is a fresh 200
publish() {
  local suite=$1 pool=$2 label=$3 extra=${4:-} home=${5:-$GNUPGHOME}
  local d=$A/dists/$suite
  rm -rf "$d"
  mkdir -p "$d/main/binary-amd64" "$A/pool/$pool"
  (cd "$A" && dpkg-scanpackages --arch amd64 "pool/$pool" 2>/dev/null >"dists/$suite/main/binary-amd64/Packages")
  xz -k "$d/main/binary-amd64/Packages"
  apt-ftparchive \
    -o APT::FTPArchive::Release::Origin=distill-test \
    -o APT::FTPArchive::Release::Label="$label" \
    -o APT::FTPArchive::Release::Suite="$suite" \
    -o APT::FTPArchive::Release::Codename="$suite" \
    -o APT::FTPArchive::Release::Architectures=amd64 \
    -o APT::FTPArchive::Release::Components=main \
    release "$d" >"$WORK/Release"
  if [ -n "$extra" ]; then
    sed -i "/^Date: /a $extra" "$WORK/Release"
  fi
  mv "$WORK/Release" "$d/Release"
  quiet_gpg --batch --yes --homedir "$home" --clearsign -o "$d/InRelease" "$d/Release"
  PUBLISHED=$((PUBLISHED + 1))
  find "$d" -exec touch -h -d "@$(($(date +%s) + 10 * PUBLISHED))" {} +
}

publish test main Debian
publish test-security security Debian-Security

# ---- the server --------------------------------------------------------------------------------

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

CACHE=$WORK/cache
M=$WORK/app/distill.yaml
mkdir -p "$WORK/app"
cat >"$M" <<YAML
version: 1
source:
  apt:
    sources:
      - uri: "http://127.0.0.1:$PORT"
        suites: [test, test-security]
        components: [main]
        signed-by: $KEYRING
    cache: $CACHE
packages: [hello-c]
binaries: [/usr/bin/hello-c]
image:
  ref: $REF
  entrypoint: [/usr/bin/hello-c]
YAML

# run NAME CMD...: distill CMD with stdout in NAME.out, stderr in NAME.err, the exit code in CODE
run() {
  local name=$1
  shift
  set +e
  "$DISTILL" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  CODE=$?
  set -e
  echo "--- distill $* (exit $CODE):"
  cat "$WORK/$name.out" "$WORK/$name.err"
}

# pkg_field PLAN NAME FIELD → the field of a package of a plan.json
pkg_field() {
  $PY -c 'import json,sys
for p in json.load(open(sys.argv[1]))["packages"]:
    if p["name"] == sys.argv[2]: print(p[sys.argv[3]])' "$1" "$2" "$3"
}

# annotation OUT KEY → the value of an annotation of OUT's image manifest ("" when absent)
annotation() {
  $PY - "$1" "$2" <<'PYEOF'
import json, sys
out, key = sys.argv[1:]
idx = json.load(open(out + "/index.json"))
digest = idx["manifests"][0]["digest"].split(":", 1)[1]
m = json.load(open("%s/blobs/sha256/%s" % (out, digest)))
print(m.get("annotations", {}).get(key, ""))
PYEOF
}

# ---- 1. the first build, and nothing is outdated -------------------------------------------------

run build1 build "$M" -o "$WORK/out1" -q
check "the first build succeeds" test "$CODE" -eq 0
[ "$CODE" -eq 0 ] || { finish; exit 1; }
check "libgreet1 is kept in the image" test "$(pkg_field "$WORK/out1/plan.json" libgreet1 kept)" = True
check "greet-data is a candidate but not kept" \
  test "$(pkg_field "$WORK/out1/plan.json" greet-data kept)" = False

run current1 outdated "$WORK/out1" --manifest "$M" --exit-code
check "outdated OUT on an unchanged archive: exit 0" test "$CODE" -eq 0
check "and lists nothing" test ! -s "$WORK/current1.out"
run noman outdated "$WORK/out1"
check "outdated OUT without --manifest: exit 2, saying to pass it" \
  bash -c "[ $CODE -eq 2 ] && grep -q -- --manifest '$WORK/noman.err'"

# a lock beside the manifest: `outdated MANIFEST` then reads the locked versions
run lock1 lock "$M"
check "distill lock succeeds" test "$CODE" -eq 0

# ---- 2. an update of a package that is not kept --------------------------------------------------

control greet-data 1.1 optional ""
deb greet-data 1.1 main
rm "$A/pool/main/g/greet-data/greet-data_1.0_amd64.deb"
publish test main Debian

run notkept outdated "$WORK/out1" --manifest "$M" --exit-code
check "an update of a candidate that is not kept: exit 0 under --exit-code" test "$CODE" -eq 0
check "it is listed apart from the kept packages" \
  bash -c "grep -A5 '^candidates not kept' '$WORK/notkept.out' | grep -qx '  greet-data 1.0 -> 1.1 (test, update)'"
check "no kept package is listed" bash -c "! grep -q '^kept in the image' '$WORK/notkept.out'"

# ---- 3. a security fix of a kept library, and a downgrade ----------------------------------------

deb libgreet1 1.0+sec1 security
publish test-security security Debian-Security
deb libc6 0.9 main
rm "$A/pool/main/l/libc6/libc6_1.0_amd64.deb"
publish test main Debian

run sec outdated "$WORK/out1" --manifest "$M" --exit-code
check "a newer version of a kept package: exit 7 under --exit-code" test "$CODE" -eq 7
check "libgreet1 is a security update with both versions and its suite" \
  grep -qx '  libgreet1 1.0 -> 1.0+sec1 (test-security, security update)' "$WORK/sec.out"
check "libc6's older version is reported as a downgrade" \
  grep -qx "  libc6 1.0: the archive's newest is the older 0.9 (test): a downgrade, not an update" \
  "$WORK/sec.out"
check "and is not listed as an update" bash -c "! grep -q '^  libc6 .*->' '$WORK/sec.out'"
check "the message of exit 7 counts one security update" \
  grep -q '1 package(s) kept in the image have a newer version (1 from a security suite)' \
  "$WORK/sec.err"

run nocode outdated "$WORK/out1" --manifest "$M"
check "without --exit-code the same report exits 0" test "$CODE" -eq 0

run json outdated "$WORK/out1" --manifest "$M" --json
check "--json: libgreet1 update (security), libc6 downgrade, greet-data apart" $PY - "$WORK/json.out" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
kept = {p["name"]: p for p in r["kept"]}
apart = {p["name"]: p for p in r["not_kept"]}
g = kept["libgreet1"]
assert (g["status"], g["version"], g["newest"], g["suite"], g["security"]) == \
    ("update", "1.0", "1.0+sec1", "test-security", True), g
c = kept["libc6"]
assert (c["status"], c["version"], c["newest"], c["security"]) == ("downgrade", "1.0", "0.9", False), c
assert apart["greet-data"]["status"] == "update" and "greet-data" not in kept
assert kept["hello-c"]["status"] == "current"
assert r["kept_updates"] == 1 and r["kept_security_updates"] == 1, r
PYEOF

run manifest_locked outdated "$M" --exit-code
check "outdated MANIFEST reads the lock beside it: the same report, exit 7" \
  bash -c "[ $CODE -eq 7 ] && cmp -s '$WORK/sec.out' '$WORK/manifest_locked.out'"

# ---- 4. rebuilt with the new versions: nothing to report -----------------------------------------

run build2 build "$M" -o "$WORK/out2" -q
check "the rebuild succeeds" test "$CODE" -eq 0
check "the rebuild has libgreet1 1.0+sec1" \
  test "$(pkg_field "$WORK/out2/plan.json" libgreet1 version)" = 1.0+sec1
run current2 outdated "$WORK/out2" --manifest "$M" --exit-code
check "outdated on the rebuilt image: exit 0" test "$CODE" -eq 0
check "and lists nothing" test ! -s "$WORK/current2.out"
run lock2 lock "$M"
run current3 outdated "$M" --exit-code
check "outdated MANIFEST with its regenerated lock: exit 0, nothing listed" \
  bash -c "[ $CODE -eq 0 ] && [ ! -s '$WORK/current3.out' ]"

# ---- 5. annotations --------------------------------------------------------------------------------

version=$("$DISTILL" --version | sed -n '1s/^distill //p')
check "io.distill.version is distill's version ($version)" \
  test "$(annotation "$WORK/out2" io.distill.version)" = "$version"
check "io.distill.rules.digest is a SHA-256" \
  grep -qE '^sha256:[0-9a-f]{64}$' <<<"$(annotation "$WORK/out2" io.distill.rules.digest)"
check "a build without --locked records no lock digest" \
  test -z "$(annotation "$WORK/out2" io.distill.lock.digest)"
run build3 build "$M" -o "$WORK/out3" -q --locked
check "a --locked build succeeds" test "$CODE" -eq 0
check "it records the lock's SHA-256" \
  test "$(annotation "$WORK/out3" io.distill.lock.digest)" = "sha256:$(sha256sum <"$WORK/app/distill.lock" | cut -d' ' -f1)"
run build4 build "$M" -o "$WORK/out4" -q --locked
check "the same lock, app and rules: the same manifest digest" \
  test "$(manifest_digest "$WORK/out3" "$REF")" = "$(manifest_digest "$WORK/out4" "$REF")"
check "skopeo reads the annotations of the manifest" bash -c \
  "skopeo inspect --raw 'oci:$WORK/out3:$REF' | $PY -c 'import json,sys; a=json.load(sys.stdin)[\"annotations\"]; assert a[\"io.distill.lock.digest\"].startswith(\"sha256:\")'"
mkdir -p "$WORK/rules"
cat >"$WORK/rules/extra.yaml" <<'YAML'
rules:
  - name: test-extra
    when: always
    add:
      paths: [/etc/debian_version]
    reason: a rule of this test
YAML
run build5 build "$M" -o "$WORK/out5" -q --rules "$WORK/rules"
sed -i 's/a rule of this test/a rule of this test, edited/' "$WORK/rules/extra.yaml"
run build6 build "$M" -o "$WORK/out6" -q --rules "$WORK/rules"
r2=$(annotation "$WORK/out2" io.distill.rules.digest)
r5=$(annotation "$WORK/out5" io.distill.rules.digest)
r6=$(annotation "$WORK/out6" io.distill.rules.digest)
check "another rule file changes the rules digest" test "$r2" != "$r5"
check "an edited rule file changes the rules digest" test "$r5" != "$r6"

# ---- 6. refused indexes ------------------------------------------------------------------------------

# apt's own setting decides whether Valid-Until is checked (this host's may turn it off): on here,
# through an APT_CONFIG that reads no apt.conf.d part
mkdir -p "$WORK/apt-parts"
printf 'Dir::Etc::Parts "%s";\nAcquire::Check-Valid-Until "true";\n' "$WORK/apt-parts" >"$WORK/apt.conf"
publish test-security security Debian-Security "Valid-Until: Thu, 01 Jan 2015 00:00:00 UTC"
APT_CONFIG=$WORK/apt.conf run stale outdated "$WORK/out2" --manifest "$M"
check "a stale (Valid-Until) security index is refused: exit 5 naming it" \
  bash -c "[ $CODE -eq 5 ] && grep -q 'test-security/InRelease: expired' '$WORK/stale.err' && [ ! -s '$WORK/stale.out' ]"
APT_CONFIG=$WORK/apt.conf run stale_build build "$M" -o "$WORK/out-stale" -q
check "as a build refuses it" test "$CODE" -eq 5
publish test-security security Debian-Security "" "$OTHERHOME"
run badsig outdated "$WORK/out2" --manifest "$M"
check "an index signed by another key is refused: exit 5" \
  bash -c "[ $CODE -eq 5 ] && [ ! -s '$WORK/badsig.out' ]"
finish
