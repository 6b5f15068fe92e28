#!/usr/bin/env bash
# Unresolved imports: unguarded in app code is exit 3 naming file:line:col and leaves nothing;
# guarded ones build, and `distill resolve` and the build summary report them.
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/unguarded" "$WORK/guarded" "$WORK/outs"
printf 'import os\nimport distill_no_such_module\n' >"$WORK/unguarded/main.py"
printf 'try:\n    import distill_optional_module\nexcept ImportError:\n    distill_optional_module = None\nprint("ok")\n' >"$WORK/guarded/main.py"
for app in unguarded guarded; do
  cat >"$WORK/$app.yaml" <<YAML
version: 1
source: {sysroot: /}
packages: [python3.11-minimal, libpython3.11-stdlib]
python:
  interpreter: /usr/bin/python3.11
  app: [{from: ./$app, to: /app}]
  entrypoint: /app/main.py
image:
  ref: localhost/$app:latest
YAML
done

set +e
"$DISTILL" build "$WORK/unguarded.yaml" -o "$WORK/outs/unguarded" -q 2>"$WORK/unguarded.err"
code=$?
set -e
cat "$WORK/unguarded.err"
check "an unguarded unresolved import in app code is exit 3 (got $code)" test "$code" -eq 3
check "the message names /app/main.py:2:1 and the module" \
  grep -qF "/app/main.py:2:1: import distill_no_such_module" "$WORK/unguarded.err"
check "no OUT and no temporary left" test -z "$(ls -A "$WORK/outs")"

"$DISTILL" build "$WORK/guarded.yaml" -o "$WORK/outs/guarded" 2>"$WORK/guarded.err" >/dev/null
check "a guarded unresolved import builds and the summary reports it" \
  grep -qF "unresolved guarded import distill_optional_module (/app/main.py:2)" "$WORK/guarded.err"
"$DISTILL" resolve "$WORK/guarded.yaml" >"$WORK/resolve.out"
check "distill resolve lists it" \
  grep -qF "unresolved guarded import distill_optional_module (/app/main.py:2)" "$WORK/resolve.out"
"$DISTILL" resolve "$WORK/guarded.yaml" --json >"$WORK/resolve.json"
check "distill resolve --json is JSON with the candidate packages" \
  $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(p["name"]=="python3.11-minimal" for p in d["packages"]), d.keys()' "$WORK/resolve.json"
"$DISTILL" why "$WORK/outs/guarded" /usr/bin/python3.11 >"$WORK/why.out"
check "distill why names the interpreter's seed" grep -qF "seed (python.interpreter)" "$WORK/why.out"
"$DISTILL" why "$WORK/outs/guarded" /usr/bin/perl >"$WORK/why2.out"
check "distill why says plainly when a path is not in the image" \
  grep -qF "/usr/bin/perl is not in the image" "$WORK/why2.out"
finish
