#!/usr/bin/env bash
# distill as a packager ships it: `cmake --install` puts the program in bin/ and the rules in
# share/distill/rules/, where the program finds them wherever the prefix is moved; `cpack -G DEB`
# makes a .deb whose Depends name the libraries and programs it needs. The .deb, installed by apt
# in a fresh Debian 12 root (mmdebstrap) that has no checkout, builds hello, and the image runs.
. "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$DISTILL")
test -f "$BUILD/CPackConfig.cmake" || { echo "FATAL: $BUILD is not a configured build tree" >&2; exit 1; }
shipped=$(cd "$SRC/manifests/rules" && find . -name '*.yaml' | sed 's|^\./||' | LC_ALL=C sort)

# --- cmake --install: a relocatable prefix ---
cmake --install "$BUILD" --prefix "$WORK/prefix" >/dev/null
check "cmake --install puts distill in bin/" test -x "$WORK/prefix/bin/distill"
check "and the shipped rules in share/distill/rules/" \
  test "$(cd "$WORK/prefix/share/distill/rules" && find . -name '*.yaml' | sed 's|^\./||' |
    LC_ALL=C sort)" = "$shipped"
mv "$WORK/prefix" "$WORK/moved"
rules=$("$WORK/moved/bin/distill" --version | sed -n 's/^rules: //p')
check "the installed program finds its rules under its own prefix, moved ($rules)" \
  test "$rules" = "$WORK/moved/share/distill/rules"
rules=$(DISTILL_RULES_DIR="$SRC/manifests/rules" "$WORK/moved/bin/distill" --version | sed -n 's/^rules: //p')
check "DISTILL_RULES_DIR overrides them" test "$rules" = "$SRC/manifests/rules"
rm -r "$WORK/moved/share/distill"
if "$WORK/moved/bin/distill" --version >"$WORK/norules.out" 2>"$WORK/norules.err"; then
  fail "an installed program without its rules still reports success"
else
  check "an installed program without its rules says where it looked" \
    grep -q "moved/share/distill/rules" "$WORK/norules.err"
fi
rules=$("$DISTILL" --version | sed -n 's/^rules: //p')
check "the program in the build tree uses the checkout's rules" test "$rules" = "$SRC/manifests/rules"

# --- cpack -G DEB ---
cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/pkg" >"$WORK/cpack.out" 2>&1 \
  || { cat "$WORK/cpack.out" >&2; exit 1; }
deb=$(ls "$WORK"/pkg/distill_*_amd64.deb)
depends=$(dpkg-deb -f "$deb" Depends)
recommends=$(dpkg-deb -f "$deb" Recommends)
for p in gpgv libarchive13 libelf1 libsolv1 libsolvext1 libyaml-0-2 libjansson4 libssl3 libcurl4 libc6; do
  check "Depends names $p" grep -qE "(^|, )$p( |,|$)" <<<"$depends"
done
for p in skopeo bubblewrap; do
  check "Recommends names $p" grep -qE "(^|, )$p(,|$)" <<<"$recommends"
done
dpkg-deb -c "$deb" | awk '{print $6}' >"$WORK/deb.list"
check "the .deb holds /usr/bin/distill" grep -qx './usr/bin/distill' "$WORK/deb.list"
for f in $shipped; do
  check "the .deb holds the rule file $f" grep -qx "./usr/share/distill/rules/$f" "$WORK/deb.list"
done

# --- installed by apt in a fresh root with no checkout ---
# From the archives this host's apt uses (its sources and proxy), not mmdebstrap's default mirror.
ROOT=$WORK/root
mirrors=()
grep -qE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list 2>/dev/null && mirrors+=(/etc/apt/sources.list)
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && mirrors+=("$f")
done
[ ${#mirrors[@]} -gt 0 ] || { echo "FATAL: this host has no apt sources" >&2; exit 1; }
aptopts=()
for opt in Acquire::http::Proxy Acquire::https::Proxy; do
  value=$(apt-config dump --format '%v' "$opt" | head -n1)
  [ -z "$value" ] || aptopts+=("--aptopt=$opt \"$value\"")
done
mmdebstrap --quiet --variant=apt --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
  "${aptopts[@]}" --include=python3.11-minimal,libpython3.11-stdlib --include="$deb" \
  bookworm "$ROOT" "${mirrors[@]}" \
  >"$WORK/mmdebstrap.out" 2>&1 || { cat "$WORK/mmdebstrap.out" >&2; exit 1; }
check "apt installed distill and its Depends" chroot "$ROOT" dpkg-query -W distill
check "the checkout is not in the fresh root" test ! -e "$ROOT$SRC"
mkdir -p "$ROOT/srv/hello/manifests" "$ROOT/srv/hello/examples"
cp "$SRC/manifests/hello.yaml" "$ROOT/srv/hello/manifests/"
cp -r "$SRC/examples/hello" "$ROOT/srv/hello/examples/"
in_root() { # in_root COMMAND...: inside ROOT with its own /proc and the host's /dev
  unshare --mount --propagation private -- sh -c \
    'mount --rbind /dev "$0/dev" && mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' \
    "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"
}
rules=$(in_root distill --version | sed -n 's/^rules: //p')
check "the packaged distill uses /usr/share/distill/rules ($rules)" test "$rules" = /usr/share/distill/rules
if in_root distill build /srv/hello/manifests/hello.yaml -o /srv/out -q >"$WORK/build.out" 2>&1; then
  ok "the packaged distill builds hello in the fresh root"
else
  cat "$WORK/build.out" >&2
  fail "the packaged distill builds hello in the fresh root"
fi
why=$(in_root distill why /srv/out /usr/lib/x86_64-linux-gnu/libgcc_s.so.1 || true)
check "a shipped rule kept libgcc_s.so.1, so the installed rules were loaded" \
  grep -q "← rule libgcc_s:" <<<"$why"

# convert reads its data from the installed rules too: the Alpine map names libffi's package
cp -r "$SRC/examples/alpine" "$ROOT/srv/alpine"
in_root distill convert /srv/alpine/Dockerfile --json >"$WORK/convert.json" 2>"$WORK/convert.err" ||
  cat "$WORK/convert.err" >&2
check "the packaged distill convert maps apk add libffi with the installed data" $PY -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert any(i["instruction"] == "apk add libffi" and i["detail"].startswith("Debian package libffi8")
           for i in r["instructions"]), r["instructions"]' "$WORK/convert.json"

unpack "$ROOT/srv/out" localhost/hello:latest "$WORK/bundle"
run_bundle "$WORK/bundle" >"$WORK/run.out" 2>"$WORK/run.err" || true
cat "$WORK/run.out" "$WORK/run.err"
want="Hello from distill: Python $(chroot "$ROOT" /usr/bin/python3.11 -c 'import sys; print(sys.version.split()[0])'), uid=1000 gid=1000"
check "the image it built runs under runc as UID 1000" test "$(cat "$WORK/run.out")" = "$want"

finish
