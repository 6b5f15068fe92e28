#!/usr/bin/env bash
# Bytecode and the loader cache in a Python image: every kept module has an unchecked-hash .pyc
# naming its in-image path; inside the image (read-only code, UID 1000) python -v loads modules
# from .pyc; two builds from different staging directories give identical .pyc bytes; the .pyc
# cache makes a warm build compile nothing, with the same image, ignores a damaged entry, and
# after an app edit compiles only the edited module; and the image's /etc/ld.so.cache lists what
# glibc's ldconfig -r lists for the same rootfs.
. "$(dirname "$0")/lib.sh"

REF=localhost/stdlib-app:latest
M=$SRC/manifests/stdlib-app.yaml
# caches of the test's own, one per build: both compile every module
DISTILL_CACHE=$WORK/cache-a "$DISTILL" build "$M" -o "$WORK/a" -q >/dev/null
mkdir -p "$WORK/elsewhere"
DISTILL_CACHE=$WORK/cache-b "$DISTILL" build "$M" -o "$WORK/elsewhere/b" -q >/dev/null
unpack "$WORK/a" "$REF" "$WORK/bundle"
ROOTFS=$WORK/bundle/rootfs

check "every kept module has an unchecked-hash .pyc whose co_filename is its image path" \
  $PY - "$ROOTFS" "$WORK/a/plan.json" <<'PYEOF'
import importlib.util, json, marshal, os, sys
root, plan = sys.argv[1], json.load(open(sys.argv[2]))
entries = {e["path"]: e for e in plan["entries"]}
problems, checked = [], 0
for path, e in entries.items():
    if not path.endswith(".py") or e["type"] not in ("file", "symlink"):
        continue
    if e["reason"]["kind"] == "link":
        continue  # another name for a kept file, in a listing; nothing imports it by it
    if not (path.startswith("/usr/lib/python3.11/") or path.startswith("/app/")):
        continue
    if path == "/app/main.py" or "/__pycache__/" in path:
        continue  # the entry script runs as __main__, never from a .pyc
    pyc = importlib.util.cache_from_source(path)
    try:
        data = open(root + pyc, "rb").read()
    except OSError:
        problems.append("no .pyc for %s" % path)
        continue
    checked += 1
    if data[:4] != importlib.util.MAGIC_NUMBER:
        problems.append("%s: magic %s" % (pyc, data[:4].hex()))
    if int.from_bytes(data[4:8], "little") != 1:
        problems.append("%s: flags %d, want 1 (unchecked hash)" % (pyc, int.from_bytes(data[4:8], "little")))
    src = open(root + path, "rb").read()
    if data[8:16] != importlib.util.source_hash(src):
        problems.append("%s: source hash differs" % pyc)
    if marshal.loads(data[16:]).co_filename != path:
        problems.append("%s: co_filename %s" % (pyc, marshal.loads(data[16:]).co_filename))
print("%d .pyc files checked" % checked)
for p in problems[:20]:
    print(p)
sys.exit(1 if problems or checked < 50 else 0)
PYEOF

# python -v inside the image, as UID 1000 with the image's own config; only the command changes.
$PY - "$WORK/bundle/config.json" <<'PYEOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/usr/bin/python3.11", "-v", "/app/main.py"]
json.dump(c, open(p, "w"))
PYEOF
run_bundle "$WORK/bundle" >"$WORK/v.out" 2>"$WORK/v.err" || true
check "python -v in the image loads modules from .pyc" \
  $PY - "$WORK/v.err" <<'PYEOF'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
code = [l for l in lines if l.startswith("# code object from ")]
from_pyc = [l for l in code if l.rstrip("'").endswith(".pyc")]
from_source = [l for l in code if not l.rstrip("'").endswith(".pyc")]
bad = [l for l in lines if "could not create" in l or l.startswith("# wrote ")]
print("%d modules loaded from .pyc, %d compiled from source" % (len(from_pyc), len(from_source)))
for l in (from_source + bad)[:20]:
    print(l)
sys.exit(0 if len(from_pyc) > 50 and not from_source and not bad else 1)
PYEOF

check "two builds from different staging directories give identical .pyc bytes" \
  $PY - "$WORK/a/plan.json" "$WORK/elsewhere/b/plan.json" <<'PYEOF'
import json, sys
def pycs(p):
    return {e["path"]: e["digest"] for e in json.load(open(p))["entries"] if e["path"].endswith(".pyc")}
a, b = pycs(sys.argv[1]), pycs(sys.argv[2])
print("%d .pyc in each build" % len(a))
sys.exit(0 if a == b and len(a) > 50 else 1)
PYEOF

# The .pyc cache: the app gets a module of its own (main.py runs as __main__, never from a .pyc).
export DISTILL_CACHE=$WORK/cache
cp -a "$SRC/examples/stdlib-app" "$WORK/app"
echo 'GREETING = "hello"' >"$WORK/app/greeting.py"
sed -i '1i import greeting' "$WORK/app/main.py"
sed -e "s|\.\./examples/stdlib-app|$WORK/app|" "$M" >"$WORK/m.yaml"
field() { # field JSON KEY
  $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
build_json() { # build_json NAME: OUT $WORK/NAME, --json in $WORK/NAME.json, the log in NAME.err
  "$DISTILL" build "$WORK/m.yaml" -o "$WORK/$1" --json >"$WORK/$1.json" 2>"$WORK/$1.err"
}
build_json cold
n=$(field "$WORK/cold.json" bytecode_compiled)
check "a cold build compiles every module ($n) and takes none from the cache" \
  test "$n" -gt 50 -a "$(field "$WORK/cold.json" bytecode_cached)" -eq 0
check "the cold build keeps one cache entry per module" \
  test "$(find "$DISTILL_CACHE/pyc" -type f -name '*.pyc' | wc -l)" -eq "$n"
check "greeting.py is compiled on the cold build" \
  $PY -c 'import json,sys; sys.exit(0 if any(e["path"] == "/app/__pycache__/greeting.cpython-311.pyc" for e in json.load(open(sys.argv[1]))["entries"]) else 1)' "$WORK/cold/plan.json"

build_json warm
check "a warm build compiles nothing: 'bytecode: 0 compiled, $n from the cache'" \
  grep -q "bytecode: 0 compiled, $n from the cache\$" "$WORK/warm.err"
check "the warm build's --json says the same" \
  test "$(field "$WORK/warm.json" bytecode_compiled) $(field "$WORK/warm.json" bytecode_cached)" = "0 $n"
want=$(field "$WORK/cold.json" manifest_digest)
check "cold and warm builds give the same image ($want)" \
  test "$(field "$WORK/warm.json" manifest_digest)" = "$want"
check "and the same plan, entry for entry" cmp -s "$WORK/cold/plan.json" "$WORK/warm/plan.json"

# One entry truncated, another with a flipped byte: both detected, compiled again, replaced.
mapfile -t victims < <(find "$DISTILL_CACHE/pyc" -type f -name '*.pyc' | sort | head -2)
truncate -s -7 "${victims[0]}"
printf '\377' | dd of="${victims[1]}" bs=1 seek=200 conv=notrunc status=none
build_json damaged
check "damaged cache entries are not used: 2 compiled, $((n - 2)) from the cache" \
  grep -q "bytecode: 2 compiled, $((n - 2)) from the cache\$" "$WORK/damaged.err"
check "the image is still the same" test "$(field "$WORK/damaged.json" manifest_digest)" = "$want"
build_json repaired
check "the damaged entries were replaced: the next build compiles nothing" \
  grep -q "bytecode: 0 compiled, $n from the cache\$" "$WORK/repaired.err"
check "no temporary file is left in the cache" \
  test -z "$(find "$DISTILL_CACHE/pyc" -type f ! -name '*.pyc')"

echo 'GREETING = "edited"' >"$WORK/app/greeting.py"
build_json edit
check "an app edit compiles only the edited module: 1 compiled, $((n - 1)) from the cache" \
  grep -q "bytecode: 1 compiled, $((n - 1)) from the cache\$" "$WORK/edit.err"
check "and changes only that module's .pyc among the .pyc" \
  $PY - "$WORK/cold/plan.json" "$WORK/edit/plan.json" <<'PYEOF'
import json, sys
def pycs(p):
    return {e["path"]: e["digest"] for e in json.load(open(p))["entries"] if e["path"].endswith(".pyc")}
a, b = pycs(sys.argv[1]), pycs(sys.argv[2])
changed = sorted(p for p in a if a[p] != b.get(p))
print("changed:", changed)
sys.exit(0 if a.keys() == b.keys() and changed == ["/app/__pycache__/greeting.cpython-311.pyc"] else 1)
PYEOF
DISTILL_CACHE=$WORK/cache-edit-cold "$DISTILL" build "$WORK/m.yaml" -o "$WORK/edit-cold" --json -q >"$WORK/edit-cold.json"
check "the edited app built with an empty cache gives the same image" \
  test "$(field "$WORK/edit-cold.json" manifest_digest)" = "$(field "$WORK/edit.json" manifest_digest)"

cp -a "$ROOTFS" "$WORK/ldconfig-root"
rm -f "$WORK/ldconfig-root/etc/ld.so.cache"
ldconfig -r "$WORK/ldconfig-root" -X
ldconfig -C "$ROOTFS/etc/ld.so.cache" -p | tail -n +2 | grep -v '^Cache generated by' >"$WORK/ours.txt"
ldconfig -C "$WORK/ldconfig-root/etc/ld.so.cache" -p | tail -n +2 | grep -v '^Cache generated by' >"$WORK/theirs.txt"
if diff -u "$WORK/theirs.txt" "$WORK/ours.txt"; then
  ok "ld.so.cache entries equal what ldconfig -r writes for the image ($(wc -l <"$WORK/ours.txt") entries)"
else
  fail "ld.so.cache differs from ldconfig -r (- ldconfig, + distill)"
fi
finish
