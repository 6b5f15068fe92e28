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

# the same bases from Debian's archive (this host's apt sources): the same package sets
for b in static base-nossl base cc python3; do
  sed 's|^source: {sysroot: /}$|source: {apt: {sources: host}}|' "$SRC/manifests/bases/$b.yaml" \
    >"$WORK/$b-apt.yaml"
  rc=0
  "$DISTILL" build "$WORK/$b-apt.yaml" -o "$WORK/$b-apt" -q >/dev/null 2>"$WORK/$b-apt.err" || rc=$?
  cat "$WORK/$b-apt.err"
  check "base $b builds from the archive (exit $rc) with the same packages and reasons" \
    $PY "$HERE/check_bases.py" "$SRC/tests/data/bases.yaml" "$WORK/$b-apt/plan.json" "$b"
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

# --- building on a base: buildah, as a Dockerfile FROM would -------------------------------
BUILDAH=(buildah --storage-driver vfs --root "$WORK/buildah/root" --runroot "$WORK/buildah/run")
# buildah names an oci: image after its path, which must then be lower case: the layouts are
# copied to such a directory (WORK's random name may have capitals)
LC=/tmp/distill-it-bases-$$
mkdir -p "$LC"
cp -a "$WORK/cc" "$WORK/python3" "$LC/"
# bundle_of OCI_DIR REF NAME: umoci bundle $WORK/NAME-b; the host network (the TLS server listens
# on the host's 127.0.0.1); the user, env and entrypoint stay the image's
bundle_of() {
  unpack "$1" "$2" "$WORK/$3-b"
  $PY -c '
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
if len(sys.argv) > 2:
    c["process"]["args"] = sys.argv[2:]
json.dump(c, open(sys.argv[1], "w"))' "$WORK/$3-b/config.json" "${@:4}"
}

# a CA of the test's own, a server certificate for localhost, and openssl s_server
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/ca.key" -out "$WORK/ca.crt" \
  -subj /CN=distill-test-ca -days 2 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$WORK/srv.key" -out "$WORK/srv.csr" \
  -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >"$WORK/san.ext"
openssl x509 -req -in "$WORK/srv.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
  -out "$WORK/srv.crt" -days 2 -extfile "$WORK/san.ext" 2>/dev/null
tport=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl s_server -quiet -accept "127.0.0.1:$tport" -cert "$WORK/srv.crt" -key "$WORK/srv.key" \
  -www >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$LC"; cleanup_work' EXIT
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$tport) 2>/dev/null && break; sleep 0.1; done

printf '%s\n' '#include <openssl/err.h>' '#include <openssl/ssl.h>' '#include <stdio.h>' \
  '#include <unistd.h>' \
  'int main(int argc, char **argv) {' \
  '  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());' \
  '  SSL_CTX_set_default_verify_paths(ctx); /* SSL_CERT_FILE, as every OpenSSL client */' \
  '  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);' \
  '  BIO *b = BIO_new_ssl_connect(ctx);' '  SSL *s;' '  BIO_get_ssl(b, &s);' \
  '  SSL_set_tlsext_host_name(s, "localhost");' '  SSL_set1_host(s, "localhost");' \
  '  BIO_set_conn_hostname(b, argv[1]);' \
  '  if (BIO_do_connect(b) <= 0 || BIO_do_handshake(b) <= 0) {' \
  '    printf("uid=%d not verified: %s\n", (int)getuid(),' \
  '           X509_verify_cert_error_string(SSL_get_verify_result(s)));' \
  '    return 1;' '  }' \
  '  printf("uid=%d verified %s\n", (int)getuid(), SSL_get_version(s));' '  return 0;' '}' \
  >"$WORK/tls.c"
cc -O -o "$WORK/tlsclient" "$WORK/tls.c" -lssl -lcrypto
ctr=$("${BUILDAH[@]}" from --quiet "oci:$LC/cc:$(index_ref "$WORK/cc")")
"${BUILDAH[@]}" copy "$ctr" "$WORK/cc-prog-add/usr/local/bin/ccprog" /usr/local/bin/ccprog >/dev/null
"${BUILDAH[@]}" copy "$ctr" "$WORK/tlsclient" /usr/local/bin/tlsclient >/dev/null
"${BUILDAH[@]}" config --entrypoint '["/usr/local/bin/ccprog"]' "$ctr"
"${BUILDAH[@]}" commit -q --format oci --disable-compression=false --timestamp 0 "$ctr" \
  "oci:$WORK/on-cc:app" >/dev/null
bundle_of "$WORK/on-cc" app on-cc
run_bundle "$WORK/on-cc-b" >"$WORK/on-cc.out" 2>&1 || true
cat "$WORK/on-cc.out"
check "buildah FROM the cc base: the C++ program added runs as UID 1000" \
  grep -qx "caught 2 uid=1000" "$WORK/on-cc.out"
bundle_of "$WORK/on-cc" app tls-untrusted /usr/local/bin/tlsclient "127.0.0.1:$tport"
run_bundle "$WORK/tls-untrusted-b" >"$WORK/tls-untrusted.out" 2>&1 || true
cat "$WORK/tls-untrusted.out"
check "... its TLS client checks the server against the image's CA bundle: the test's own CA is not in it" \
  grep -qx "uid=1000 not verified: unable to get local issuer certificate" "$WORK/tls-untrusted.out"
# the image's bundle plus the test's CA, in the image's own path
bundle=$(skopeo inspect --config "oci:$WORK/cc:$(index_ref "$WORK/cc")" |
  $PY -c 'import json,sys; print([e.split("=",1)[1] for e in json.load(sys.stdin)["config"]["Env"] if e.startswith("SSL_CERT_FILE=")][0])')
unpack "$WORK/cc" "$(index_ref "$WORK/cc")" "$WORK/cc-bundle-src"
cat "$WORK/cc-bundle-src/rootfs$bundle" "$WORK/ca.crt" >"$WORK/bundle-plus-ca.crt"
"${BUILDAH[@]}" copy "$ctr" "$WORK/bundle-plus-ca.crt" "$bundle" >/dev/null
"${BUILDAH[@]}" commit -q --format oci --disable-compression=false --timestamp 0 "$ctr" \
  "oci:$WORK/on-cc:trusting" >/dev/null
bundle_of "$WORK/on-cc" trusting tls-trusted /usr/local/bin/tlsclient "127.0.0.1:$tport"
run_bundle "$WORK/tls-trusted-b" >"$WORK/tls-trusted.out" 2>&1 || true
cat "$WORK/tls-trusted.out"
check "... and with the CA added to that bundle ($bundle) it verifies the server" \
  grep -q "^uid=1000 verified TLS" "$WORK/tls-trusted.out"

# python3 base + a Flask app, by a Containerfile (buildah bud): Debian's Flask copied in
mkdir -p "$WORK/flaskctx/site" "$WORK/flaskctx/app"
for p in flask werkzeug jinja2 markupsafe itsdangerous click blinker; do
  cp -a "/usr/lib/python3/dist-packages/$p" "$WORK/flaskctx/site/"
done
printf '%s\n' 'import os' 'from flask import Flask, render_template_string' \
  'app = Flask(__name__)' '@app.route("/")' 'def index():' \
  '    return render_template_string("hello {{ who }} as {{ uid }}", who="flask", uid=os.getuid())' \
  'with app.test_client() as c:' '    print(c.get("/").get_data(as_text=True))' \
  >"$WORK/flaskctx/app/app.py"
printf '%s\n' "FROM oci:$LC/python3:$(index_ref "$WORK/python3")" \
  'COPY site/ /usr/lib/python3/dist-packages/' 'COPY app/ /app/' 'CMD ["/app/app.py"]' \
  >"$WORK/flaskctx/Containerfile"
"${BUILDAH[@]}" bud -q --timestamp 0 -f "$WORK/flaskctx/Containerfile" -t localhost/flaskapp \
  "$WORK/flaskctx" >/dev/null
"${BUILDAH[@]}" push -q localhost/flaskapp "oci:$WORK/flaskimg:app" >/dev/null
bundle_of "$WORK/flaskimg" app flask
run_bundle "$WORK/flask-b" >"$WORK/flask.out" 2>&1 || true
cat "$WORK/flask.out"
check "buildah bud FROM the python3 base: a Flask app renders a template as UID 1000" \
  grep -qx "hello flask as 1000" "$WORK/flask.out"

# --- the debug variant and the root flag ------------------------------------------------------
"$DISTILL" build "$SRC/manifests/bases/static.yaml" --debug -o "$WORK/static-debug" -q >/dev/null
unpack "$WORK/static-debug" "$(index_ref "$WORK/static-debug")" "$WORK/sdbg"
$PY -c '
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/busybox/sh", "-c", "echo shell as $(id -u); ls /busybox/sh"]
json.dump(c, open(sys.argv[1], "w"))' "$WORK/sdbg/config.json"
run_bundle "$WORK/sdbg" >"$WORK/sdbg.out" 2>&1 || true
cat "$WORK/sdbg.out"
check "static --debug: busybox's shell under /busybox runs, as UID 1000" grep -qx "shell as 1000" "$WORK/sdbg.out"
check "... its entrypoint is /busybox/sh and /busybox is on PATH" bash -c \
  "skopeo inspect --config 'oci:$WORK/static-debug:$(index_ref "$WORK/static-debug")' | $PY -c '
import json, sys
c = json.load(sys.stdin)[\"config\"]
assert c[\"Entrypoint\"] == [\"/busybox/sh\"], c
assert any(e.startswith(\"PATH=\") and e.endswith(\":/busybox\") for e in c[\"Env\"]), c'"
check "... status.d's md5sums name busybox where it is, with its real md5" $PY - "$WORK/sdbg/rootfs" <<'PYEOF'
import hashlib, os, sys
root = sys.argv[1]
lines = open(root + "/var/lib/dpkg/status.d/busybox-static.md5sums").read().split("\n")
entries = dict(reversed(l.split("  ", 1)) for l in lines if l)
assert "busybox/busybox" in entries and "bin/busybox" not in entries, entries
assert entries["busybox/busybox"] == hashlib.md5(open(root + "/busybox/busybox", "rb").read()).hexdigest()
assert len(os.listdir(root + "/busybox")) > 100 and not os.path.lexists(root + "/bin/busybox")
PYEOF
check "without --debug there is no /busybox" $PY -c '
import json, sys
assert not [e for e in json.load(open(sys.argv[1]))["entries"] if e["path"].startswith("/busybox")]' \
  "$WORK/static/plan.json"
"$DISTILL" build "$SRC/manifests/bases/cc.yaml" --root -o "$WORK/cc-root" -q >/dev/null
check "cc --root: the image runs as 0:0" bash -c \
  "skopeo inspect --config 'oci:$WORK/cc-root:$(index_ref "$WORK/cc-root")' | grep -q '\"User\": \"0:0\"'"

finish
