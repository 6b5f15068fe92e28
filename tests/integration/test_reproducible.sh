#!/usr/bin/env bash
# Reproducibility: the same inputs give the same manifest digest whatever OUT, TMPDIR, umask,
# working directory and app-file mtimes are; another SOURCE_DATE_EPOCH gives another digest.
. "$(dirname "$0")/lib.sh"

REF=localhost/hello:latest
unset SOURCE_DATE_EPOCH

"$DISTILL" build "$SRC/manifests/hello.yaml" -o "$WORK/a" -q >/dev/null
da=$(manifest_digest "$WORK/a" "$REF")
check "layer headers of the first build (epoch 0)" $PY "$HERE/check_layer.py" "$WORK/a" "$REF" 0 1000

# A copy of the manifest and app made under umask 077 (files 0600) with other mtimes, built
# from another directory with another TMPDIR and OUT.
(
  umask 077
  mkdir -p "$WORK/copy/manifests" "$WORK/copy/examples" "$WORK/tmp2" "$WORK/elsewhere"
  cp "$SRC/manifests/hello.yaml" "$WORK/copy/manifests/"
  cp -r "$SRC/examples/hello" "$WORK/copy/examples/"
  find "$WORK/copy" -exec touch -h -d '2001-02-03 04:05:06' {} +
  cd "$WORK/elsewhere"
  TMPDIR="$WORK/tmp2" "$DISTILL" build ../copy/manifests/hello.yaml -o "$WORK/b-out" -q >/dev/null
)
db=$(manifest_digest "$WORK/b-out" "$REF")
check "same digest with another OUT, TMPDIR, umask 077, cwd and mtimes ($da)" test "$da" = "$db"
check "plan.json is identical too" cmp -s "$WORK/a/plan.json" "$WORK/b-out/plan.json"

SOURCE_DATE_EPOCH=1700000000 "$DISTILL" build "$SRC/manifests/hello.yaml" -o "$WORK/c" -q >/dev/null
dc=$(manifest_digest "$WORK/c" "$REF")
check "another SOURCE_DATE_EPOCH gives another digest" test "$da" != "$dc"
check "layer headers carry SOURCE_DATE_EPOCH" $PY "$HERE/check_layer.py" "$WORK/c" "$REF" 1700000000 1000
finish
