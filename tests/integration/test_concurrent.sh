#!/usr/bin/env bash
# Concurrent use: four `distill build` processes share one cold cache at the same time — the apt
# source (indexes, .debs, their file indexes and extracted store, the solver cache) and the
# layer and bytecode caches — and all succeed with the same image; the cache holds no temporary
# entry afterwards, and a fifth build from the warm cache gives that image again.
. "$(dirname "$0")/lib.sh"

sed -e "s|\.\./examples|$SRC/examples|" "$SRC/manifests/hello-apt.yaml" >"$WORK/m.yaml"
REF=$(sed -n 's/^  ref: //p' "$WORK/m.yaml")
export DISTILL_CACHE=$WORK/cache

pids=()
for i in 1 2 3 4; do
  "$DISTILL" build "$WORK/m.yaml" -o "$WORK/out$i" -q >"$WORK/build$i.log" 2>&1 &
  pids+=($!)
done
for i in 1 2 3 4; do
  rc=0
  wait "${pids[$((i - 1))]}" || rc=$?
  if [ "$rc" -ne 0 ]; then cat "$WORK/build$i.log"; fi
  check "concurrent build $i succeeds (exit $rc)" test "$rc" -eq 0
done
want=$(manifest_digest "$WORK/out1" "$REF")
for i in 2 3 4; do
  check "concurrent build $i gives the same image as build 1" \
    test "$(manifest_digest "$WORK/out$i" "$REF")" = "$want"
done
leftovers=$(find "$DISTILL_CACHE" \( -name '*.tmp.*' -o -name 'tmp-*' -o -name '.*.tmp*' \) -print | head -5)
check "no temporary entry is left in the cache ($leftovers)" test -z "$leftovers"
check "no temporary sibling of an OUT is left" \
  test -z "$(find "$WORK" -maxdepth 1 -name '.out*.distill-*' -print)"
"$DISTILL" build "$WORK/m.yaml" -o "$WORK/out5" -q >/dev/null
check "a fifth build from the warm cache gives the same image" \
  test "$(manifest_digest "$WORK/out5" "$REF")" = "$want"
unpack "$WORK/out1" "$REF" "$WORK/bundle"
check "the image runs" bash -c "[ -n \"\$(runc run --bundle '$WORK/bundle' distill-it-$$-c </dev/null)\" ]"

finish
