#!/usr/bin/env bash
# A sysroot other than "/": a dpkg root made here (libc copied from the host, a C program built
# here, its own base-files) becomes an image that runs under runc. Every path is resolved inside
# that root: the image carries the sysroot's debian_version, not the build host's, and an
# absolute symlink inside the root that points at a host file does not pull the host file in.
. "$(dirname "$0")/lib.sh"

R=$WORK/root
T=x86_64-linux-gnu
mkdir -p "$R/var/lib/dpkg/info" "$R/lib/$T" "$R/lib64" "$R/usr/bin" "$R/etc" "$R/usr/lib/locale" \
         "$R/usr/share/doc/hello-c" "$WORK/src"
cp -L "/lib/$T/libc.so.6" "/lib/$T/libgcc_s.so.1" "$R/lib/$T/"
cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib/$T/ld-linux-x86-64.so.2"
ln -s "/lib/$T/ld-linux-x86-64.so.2" "$R/lib64/ld-linux-x86-64.so.2"
cp -r /usr/lib/locale/C.utf8 "$R/usr/lib/locale/"
echo "distill-sysroot-test/99" >"$R/etc/debian_version"
printf 'ID=debian\nVERSION_ID="99"\n' >"$R/etc/os-release"
# an absolute link to a file that exists on the host but not in the root
ln -s /etc/hostname "$R/usr/share/doc/hello-c/copyright"
cat >"$WORK/src/hello.c" <<'C'
#include <stdio.h>
#include <unistd.h>
int main(void) { printf("hello from a sysroot, uid=%d\n", (int)getuid()); return 0; }
C
cc -O2 -o "$R/usr/bin/hello-c" "$WORK/src/hello.c"

pkg() { # pkg NAME DEPENDS FILE...
  local name=$1 deps=$2; shift 2
  {
    echo "Package: $name"
    echo "Status: install ok installed"
    echo "Maintainer: distill tests <tests@example.invalid>"
    echo "Architecture: amd64"
    echo "Version: 1.0"
    [ -n "$deps" ] && echo "Depends: $deps"
    echo "Description: $name for the sysroot test"
    echo
  } >>"$R/var/lib/dpkg/status"
  printf '%s\n' /. "$@" >"$R/var/lib/dpkg/info/$name.list"
}
pkg libc6 libgcc-s1 /lib "/lib/$T" "/lib/$T/libc.so.6" "/lib/$T/ld-linux-x86-64.so.2" /lib64 \
    /lib64/ld-linux-x86-64.so.2
pkg libgcc-s1 libc6 /lib "/lib/$T" "/lib/$T/libgcc_s.so.1"
pkg libc-bin libc6 /usr /usr/lib /usr/lib/locale /usr/lib/locale/C.utf8 \
    $(cd "$R" && find usr/lib/locale/C.utf8 -type f -printf '/%p\n')
pkg base-files "" /etc /etc/debian_version /etc/os-release
pkg hello-c libc6 /usr /usr/bin /usr/bin/hello-c /usr/share /usr/share/doc /usr/share/doc/hello-c \
    /usr/share/doc/hello-c/copyright

cat >"$WORK/m.yaml" <<YAML
version: 1
source: {sysroot: $R}
packages: [hello-c]
binaries: [/usr/bin/hello-c]
image:
  ref: localhost/sysroot:test
  entrypoint: [/usr/bin/hello-c]
YAML
"$DISTILL" build "$WORK/m.yaml" -o "$WORK/out" -q >"$WORK/build.out" 2>"$WORK/build.err" || { cat "$WORK/build.err"; exit 1; }
cat "$WORK/build.err"
unpack "$WORK/out" localhost/sysroot:test "$WORK/bundle"
run_bundle "$WORK/bundle" >"$WORK/run.out" 2>&1 || true
cat "$WORK/run.out"
check "the program from the sysroot runs as UID 1000" \
  test "$(cat "$WORK/run.out")" = "hello from a sysroot, uid=1000"
check "debian_version comes from the sysroot, not the host" \
  test "$(cat "$WORK/bundle/rootfs/etc/debian_version")" = "distill-sysroot-test/99"
check "the absolute link to a host file did not bring the host file in" \
  test ! -e "$WORK/bundle/rootfs/etc/hostname"
check "status.d has exactly the kept packages" \
  test "$(ls "$WORK/bundle/rootfs/var/lib/dpkg/status.d" | grep -v md5sums | tr '\n' ' ')" = "base-files hello-c libc-bin libc6 libgcc-s1 "
finish
