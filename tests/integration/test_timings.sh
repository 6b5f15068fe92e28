#!/usr/bin/env bash
# Where a build's time goes: `build -v` prints one line per stage (wall and CPU seconds) and
# `--json` carries the same as "timings"; the stages chain, so they add up to the total, and a
# stage's parts fit inside it. Without -v no timing lines are printed.
. "$(dirname "$0")/lib.sh"

export DISTILL_CACHE=$WORK/cache # empty: the layers are compressed, not taken from a cache
"$DISTILL" build "$SRC/manifests/hello.yaml" -o "$WORK/out" -v --json >"$WORK/build.json" \
  2>"$WORK/build.err"
for stage in source solve select bytecode rootfs layers output total; do
  check "build -v prints the $stage stage's wall and CPU time" \
    grep -Eq "^time +$stage +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}$" "$WORK/build.err"
done
for part in select.elf select.imports select.rules layers.runtime; do
  check "build -v prints $part indented under its stage" \
    grep -Eq "^time +  $part +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}" "$WORK/build.err"
done

check "--json has timings for solve, select, bytecode, layers and output that add up" \
  $PY - "$WORK/build.json" <<'PYEOF'
import json, sys
t = json.loads(open(sys.argv[1]).read())["timings"]
for stage in ("solve", "select", "bytecode", "rootfs", "layers", "output", "total",
              "select.elf", "select.imports", "select.rules", "select.staging",
              "layers.runtime", "layers.app"):
    assert stage in t, (stage, sorted(t))
for stage, v in t.items():
    assert set(v) == {"wall_s", "cpu_s"}, (stage, v)
    assert all(isinstance(x, float) and x >= 0 for x in v.values()), (stage, v)
total = t.pop("total")["wall_s"]
top = sum(v["wall_s"] for k, v in t.items() if "." not in k)
# consecutive stages fit in the total (how long the untimed steps between them take depends on
# the machine's load, so no lower bound is asserted)
assert top <= total + 1e-6, (top, total, t)
parts = sum(v["wall_s"] for k, v in t.items()
            if k.startswith("select.") and k != "select.staging")
assert parts <= t["select"]["wall_s"] + 1e-3, (parts, t["select"])
assert t["select.staging"]["wall_s"] <= parts + 1e-3, t
assert t["layers.runtime"]["wall_s"] + t["layers.app"]["wall_s"] <= t["layers"]["wall_s"] + 1e-6
# an empty cache: the runtime layer was compressed here, which takes CPU
assert t["layers.runtime"]["cpu_s"] > 0, t
PYEOF

"$DISTILL" build "$SRC/manifests/hello.yaml" -o "$WORK/out2" >/dev/null 2>"$WORK/plain.err"
check "without -v no timing lines" bash -c "! grep -q '^time ' '$WORK/plain.err'"
"$DISTILL" build "$SRC/manifests/hello.yaml" -o "$WORK/out3" --json >"$WORK/plain.json" 2>/dev/null
check "--json without -v has the timings too" \
  $PY -c 'import json,sys; assert "bytecode" in json.load(open(sys.argv[1]))["timings"]' \
  "$WORK/plain.json"

finish
