#!/usr/bin/env bash
# A standard-library app (ssl with the CA bundle, sqlite3, hashlib, json, zlib, lzma, decimal) runs
# under runc as UID 1000, and the image has no shell for subprocess to find.
. "$(dirname "$0")/lib.sh"

REF=localhost/stdlib:latest
OUT=$WORK/stdlib-oci
"$DISTILL" build "$SRC/manifests/stdlib.yaml" -o "$OUT" -q >/dev/null
unpack "$OUT" "$REF" "$WORK/bundle"
run_bundle "$WORK/bundle" >"$WORK/run.out" 2>"$WORK/run.err" || true
cat "$WORK/run.out" "$WORK/run.err"
check "the app's JSON is what Python computes" $PY - "$WORK/run.out" <<'PYEOF'
import decimal, hashlib, json, sys
got = json.loads(open(sys.argv[1]).read())
assert got["ca_certificates"] > 50, got
assert got["sqlite_sum"] == 45, got
assert got["sha256"] == hashlib.sha256(b"distill").hexdigest(), got
assert got["zlib"] == 1000 and got["lzma"] == 1000, got
assert got["decimal"] == str(decimal.Decimal("1.10") + decimal.Decimal("2.20")), got
assert got["shell"] == "FileNotFoundError", got
assert (got["uid"], got["gid"]) == (1000, 1000), got
PYEOF
check "SSL_CERT_FILE points at the generated bundle" $PY - "$WORK/bundle/config.json" <<'PYEOF'
import json, sys
env = json.load(open(sys.argv[1]))["process"]["env"]
assert "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" in env, env
PYEOF
check "dpkg metadata and CA bundle" $PY "$HERE/check_metadata.py" "$WORK/bundle/rootfs" "$OUT/plan.json"
finish
