#!/usr/bin/env bash
# The ready bases (manifests/bases/): each builds from the installed system, keeps exactly
# distroless's packages for that image plus the additions tests/data/bases.yaml lists with their
# reasons, and runs what it promises under runc as UID 1000: a static program reading
# /etc/mime.types and a time zone on static, a C++ program on cc, the interpreter, its links and
# the CA bundle through OpenSSL on python3. A manifest's package that keeps nothing is a warning.
. "$(dirname "$0")/lib.sh"

for b in static base-nossl base cc python3; do
  rc=0
  "$DISTILL" build "$SRC/manifests/bases/$b.yaml" -o "$WORK/$b" -q >/dev/null 2>"$WORK/$b.err" || rc=$?
  cat "$WORK/$b.err"
  check "base $b builds (exit $rc)" test "$rc" -eq 0
  check "base $b keeps distroless's packages plus exactly the listed additions, for their reasons" \
    $PY "$HERE/check_bases.py" "$SRC/tests/data/bases.yaml" "$WORK/$b/plan.json" "$b"
done

check "static has no libc, no libgcc_s, no locale, and has the CA bundle and mime.types" \
  $PY -c '
import json, sys
paths = {e["path"] for e in json.load(open(sys.argv[1]))["entries"]}
bad = [p for p in paths if "libc.so" in p or "libgcc_s" in p or p.startswith("/usr/lib/locale")]
assert not bad, bad
assert "/etc/ssl/certs/ca-certificates.crt" in paths and "/etc/mime.types" in paths' \
  "$WORK/static/plan.json"

# run_in BASE NAME CMD...: BASE's image unpacked, with the files of $WORK/NAME-add/ copied in,
# CMD as the process (the image's user, env and workdir stay); its output in $WORK/NAME.out
run_in() {
  local base=$1 name=$2
  shift 2
  unpack "$WORK/$base" "$(index_ref "$WORK/$base")" "$WORK/$name-bundle"
  if [ -d "$WORK/$name-add" ]; then cp -a "$WORK/$name-add/." "$WORK/$name-bundle/rootfs/"; fi
  $PY -c '
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = sys.argv[2:]
json.dump(c, open(sys.argv[1], "w"))' "$WORK/$name-bundle/config.json" "$@"
  run_bundle "$WORK/$name-bundle" >"$WORK/$name.out" 2>&1 || true
  cat "$WORK/$name.out"
}

# static: a statically linked program (no libc in the image) reads mime.types and a time zone
mkdir -p "$WORK/static-prog-add/usr/local/bin"
printf '%s\n' '#include <stdio.h>' '#include <stdlib.h>' '#include <string.h>' \
  '#include <time.h>' '#include <unistd.h>' \
  'int main(void) {' '  char line[512];' '  int found = 0;' \
  '  FILE *f = fopen("/etc/mime.types", "r");' \
  '  while (f && fgets(line, sizeof line, f))' \
  '    if (!strncmp(line, "application/json", 16)) found = 1;' \
  '  setenv("TZ", "Asia/Tokyo", 1);' '  tzset();' '  time_t t = 0;' '  struct tm tm;' \
  '  localtime_r(&t, &tm);' \
  '  printf("uid=%d json=%d tokyo-hour=%d\n", (int)getuid(), found, tm.tm_hour);' \
  '  return 0;' '}' >"$WORK/sprog.c"
cc -static -O -o "$WORK/static-prog-add/usr/local/bin/sprog" "$WORK/sprog.c"
run_in static static-prog /usr/local/bin/sprog
check "static: a static program runs as UID 1000, finds application/json in /etc/mime.types and Tokyo's zone (09:00 at the epoch)" \
  grep -qx "uid=1000 json=1 tokyo-hour=9" "$WORK/static-prog.out"

# cc: a C++ program compiled here (libstdc++, libgcc_s, exceptions)
mkdir -p "$WORK/cc-prog-add/usr/local/bin" "$WORK/cc-on-nossl-add/usr/local/bin"
printf '%s\n' '#include <iostream>' '#include <map>' '#include <stdexcept>' '#include <string>' \
  '#include <unistd.h>' 'int main() {' \
  '  std::map<std::string, int> m{{"a", 1}, {"b", 2}};' \
  '  try {' '    throw std::runtime_error("caught");' \
  '  } catch (const std::exception &e) {' \
  '    std::cout << e.what() << " " << m.size() << " uid=" << getuid() << std::endl;' \
  '  }' '}' >"$WORK/ccprog.cc"
g++ -O -o "$WORK/cc-prog-add/usr/local/bin/ccprog" "$WORK/ccprog.cc"
cp "$WORK/cc-prog-add/usr/local/bin/ccprog" "$WORK/cc-on-nossl-add/usr/local/bin/"
run_in cc cc-prog /usr/local/bin/ccprog
check "cc: a C++ program throws and catches an exception, as UID 1000" \
  grep -qx "caught 2 uid=1000" "$WORK/cc-prog.out"
run_in base-nossl cc-on-nossl /usr/local/bin/ccprog
check "... and cannot run on base-nossl, which has no libstdc++" \
  grep -q "libstdc++.so.6" "$WORK/cc-on-nossl.out"

# python3: the interpreter through both links, and the CA bundle loaded by OpenSSL
run_in python3 py-links /usr/bin/python --version
check "python3: /usr/bin/python runs Python 3.11" grep -q "^Python 3.11" "$WORK/py-links.out"
run_in python3 py-ssl /usr/bin/python3 -c \
  'import os, ssl, sqlite3, ctypes, lzma, bz2, decimal; c = ssl.create_default_context(); print(os.getuid(), len(c.get_ca_certs()) > 100)'
check "python3: as UID 1000, its C modules load and OpenSSL loads the CA bundle (SSL_CERT_FILE)" \
  grep -qx "1000 True" "$WORK/py-ssl.out"

# a package that keeps nothing is a warning, in any manifest
printf '%s\n' "version: 1" "source: {sysroot: /}" "arch: amd64" \
  "packages: [python3.11-minimal, tzdata]" "python:" \
  "  interpreter: /usr/bin/python3.11" "  app: [{from: $SRC/examples/hello, to: /app}]" \
  "  entrypoint: /app/main.py" >"$WORK/nothing.yaml"
"$DISTILL" build "$WORK/nothing.yaml" -o "$WORK/nothing" >/dev/null 2>"$WORK/nothing.err"
check "a named package that keeps no file is a warning naming it" \
  grep -q "warning: packages: tzdata keeps no file in the image" "$WORK/nothing.err"
sed -i 's/tzdata\]/{name: tzdata, keep: all}]/' "$WORK/nothing.yaml"
"$DISTILL" build "$WORK/nothing.yaml" -o "$WORK/tz-all" >/dev/null 2>"$WORK/tz-all.err"
check "... and {name: tzdata, keep: all} keeps it whole" $PY -c '
import json, sys
paths = {e["path"] for e in json.load(open(sys.argv[1]))["entries"]}
assert "/usr/share/zoneinfo/Europe/Paris" in paths and "/usr/share/zoneinfo/Asia/Tokyo" in paths' \
  "$WORK/tz-all/plan.json"
check "... with no warning" bash -c "! grep -q 'keeps no file' '$WORK/tz-all.err'"

finish
