#!/usr/bin/env bash
# The musl check of `build` (issue 12): an extension module in python.site-packages built here
# with musl-gcc (Debian's musl-tools), a musl executable in files.add and a distribution pip
# installed from a musllinux wheel each make the build exit 3 naming the file and the pip
# command that installs a manylinux build for the image's Python and glibc, and write no OUT;
# so does a musl module vendored into python.app; the same module built with cc against glibc
# builds.
. "$(dirname "$0")/lib.sh"

# What the objects record, before distill is asked (a shared object has no PT_INTERP; musl-gcc
# records NEEDED libc.so, musl's libc, and no GLIBC_ version).
mkdir -p "$WORK/c"
cat >"$WORK/c/fastmod.c" <<'EOF'
#include <string.h>
size_t fast_len(const char *s) { return strlen(s); }
void *PyInit_fastmod(void) { return 0; }
EOF
cat >"$WORK/c/tool.c" <<'EOF'
#include <stdio.h>
int main(void) { return puts("tool") < 0; }
EOF
so=fastmod.cpython-311-x86_64-linux-gnu.so
musl-gcc -shared -fPIC -o "$WORK/c/musl.so" "$WORK/c/fastmod.c"
musl-gcc -o "$WORK/c/tool" "$WORK/c/tool.c"
cc -shared -fPIC -o "$WORK/c/glibc.so" "$WORK/c/fastmod.c"
check "musl-gcc -shared records NEEDED libc.so and no GLIBC_ version, and no PT_INTERP" \
  sh -c "readelf -d '$WORK/c/musl.so' | grep -qF '[libc.so]' &&
         ! readelf -V '$WORK/c/musl.so' | grep -q GLIBC_ &&
         ! readelf -l '$WORK/c/musl.so' | grep -q interpreter"
check "cc records NEEDED libc.so.6 with GLIBC_ versions" \
  sh -c "readelf -d '$WORK/c/glibc.so' | grep -qF '[libc.so.6]' &&
         readelf -V '$WORK/c/glibc.so' | grep -q 'Name: GLIBC_'"

glibc=$(dpkg-query -W -f='${Version}' libc6 | sed 's/^[0-9]*://; s/^\([0-9]*\.[0-9]*\).*/\1/')
platform="--platform manylinux_${glibc/./_}_x86_64"

# site-packages DIR: an app importing fastmod, and DIR as python.site-packages
manifest() { # manifest NAME SITE [FILES_ADD_FROM]
  mkdir -p "$WORK/$1/app"
  echo 'import fastmod; print(fastmod)' >"$WORK/$1/app/main.py"
  {
    echo "version: 1"
    echo "source: {sysroot: /}"
    echo "arch: amd64"
    echo "packages: [python3.11-minimal, libpython3.11-stdlib]"
    echo "python:"
    echo "  interpreter: /usr/bin/python3.11"
    echo "  app: [{from: $WORK/$1/app, to: /app}]"
    echo "  entrypoint: /app/main.py"
    echo "  site-packages: [$2]"
    if [ -n "${3:-}" ]; then
      echo "files:"
      echo "  add: [{from: $3, to: /usr/local/bin/tool}]"
    fi
    echo "image: {ref: localhost/musl-test:latest}"
  } >"$WORK/$1/m.yaml"
}

# dist_info SITE NAME VERSION TAG FILE...: what pip leaves for an installed wheel
dist_info() {
  local site=$1 name=$2 version=$3 tag=$4
  shift 4
  local di="$site/$name-$version.dist-info"
  mkdir -p "$di"
  printf 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' "$name" "$version" >"$di/METADATA"
  printf 'Wheel-Version: 1.0\nGenerator: bdist_wheel (0.40.0)\nRoot-Is-Purelib: false\nTag: %s\n' \
    "$tag" >"$di/WHEEL"
  {
    for f in "$@" "$name-$version.dist-info/METADATA" "$name-$version.dist-info/WHEEL"; do
      echo "$f,sha256=x,1"
    done
    echo "$name-$version.dist-info/RECORD,,"
  } >"$di/RECORD"
}

build() { # build NAME → exit status; stdout+stderr in WORK/NAME/log
  local rc=0
  "$DISTILL" build "$WORK/$1/m.yaml" -o "$WORK/$1/out" >"$WORK/$1/log" 2>&1 || rc=$?
  return $rc
}
expect_refused() { # expect_refused NAME TEXT...: exit 3, each TEXT in the message, no OUT
  local name=$1 rc=0
  shift
  build "$name" || rc=$?
  if [ "$rc" -ne 3 ]; then
    echo "exit $rc, expected 3:" >&2
    cat "$WORK/$name/log" >&2
    return 1
  fi
  for t in "$@"; do
    if ! grep -qF -- "$t" "$WORK/$name/log"; then
      echo "missing from the message: $t" >&2
      cat "$WORK/$name/log" >&2
      return 1
    fi
  done
  [ ! -e "$WORK/$name/out" ] && [ -z "$(ls -A "$WORK/$name" | grep '^\.out\.')" ]
}

# 1. a musl-built extension module that pip installed (its RECORD lists it)
site=$WORK/musl/site
mkdir -p "$site"
cp "$WORK/c/musl.so" "$site/$so"
dist_info "$site" fastmod 1.0 cp311-cp311-manylinux_2_17_x86_64 "$so"
manifest musl "$site"
check "a musl extension module in site-packages: exit 3, the file, the evidence, the pip command, no OUT" \
  expect_refused musl \
  "python.site-packages: $site/$so is linked against musl (NEEDED libc.so, musl's libc, and no GLIBC_ version): reinstall it for glibc with: pip install --target $site --only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 $platform" \
  "--platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64" "fastmod==1.0"

# 2. the same module built against glibc builds
site=$WORK/glibc/site
mkdir -p "$site"
cp "$WORK/c/glibc.so" "$site/$so"
dist_info "$site" fastmod 1.0 cp311-cp311-manylinux_2_17_x86_64 "$so"
manifest glibc "$site"
builds() { # builds NAME: exit 0 and an OCI layout written
  build "$1" && [ -f "$WORK/$1/out/index.json" ] || { cat "$WORK/$1/log" >&2; return 1; }
}
check "the module built against glibc builds" builds glibc

# 3. a distribution installed from a musllinux wheel (pure Python files: only WHEEL tells)
site=$WORK/wheel/site
mkdir -p "$site/fastmod"
echo 'VALUE = 1' >"$site/fastmod/__init__.py"
dist_info "$site" fastmod 2.0 cp311-cp311-musllinux_1_1_x86_64 fastmod/__init__.py
manifest wheel "$site"
check "a musllinux WHEEL in site-packages: exit 3 naming the WHEEL file, its tag and the pip command" \
  expect_refused wheel \
  "python.site-packages: $site/fastmod-2.0.dist-info/WHEEL: fastmod was installed from a musllinux wheel (Tag: cp311-cp311-musllinux_1_1_x86_64): reinstall it for glibc with: pip install --target $site" \
  "$platform" "fastmod==2.0"

# 4. a musl executable in files.add (its loader is PT_INTERP); no distribution owns it
cp "$WORK/c/glibc.so" "$WORK/glibc/site/$so" # the site-packages are fine here
manifest exe "$WORK/glibc/site" "$WORK/c/tool"
check "a musl executable in files.add: exit 3 naming it and its loader" \
  expect_refused exe \
  "files.add /usr/local/bin/tool: $WORK/c/tool is linked against musl (PT_INTERP /lib/ld-musl-x86_64.so.1): rebuild it against glibc or, if pip installed it, reinstall its distribution (DISTRIBUTION==VERSION below) for glibc with: pip install --target $WORK/c" \
  " DISTRIBUTION==VERSION"

# 5. a module vendored into python.app by pip --target (the app's own dist-info lists it)
manifest vendored "$WORK/glibc/site"
cp "$WORK/c/musl.so" "$WORK/vendored/app/$so"
dist_info "$WORK/vendored/app" fastmod 3.0 cp311-cp311-linux_x86_64 "$so"
check "a musl module vendored in python.app: exit 3, reinstalled into the app directory" \
  expect_refused vendored \
  "python.app /app: $WORK/vendored/app/$so is linked against musl (NEEDED libc.so, musl's libc, and no GLIBC_ version): reinstall it for glibc with: pip install --target $WORK/vendored/app " \
  "fastmod==3.0"

finish
