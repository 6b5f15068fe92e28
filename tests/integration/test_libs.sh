#!/usr/bin/env bash
# The library apps (examples/libs/NAME, built by manifests/libs/NAME.yaml): each uses one popular
# Debian python3-* library the way its documentation shows, picked for a way real libraries find
# code and data that no import statement shows (imports made from C, computed imports, entry
# points, libraries loaded by name, codecs by name, data opened by absolute path, alias
# importers; examples/libs/README.md says which app exercises which). The manifests list only the
# library's package: what else the app needs, distill has to find by itself.
#
# For each app: distill build, umoci unpack, run under runc as UID 1000, and compare its stdout
# byte for byte with the same app run on the host (as UID/GID 1000 from a world-readable copy of
# its directory, with env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/nonexistent plus the other
# variables the image's config sets, as test_examples.sh does); nothing may appear on stderr in
# the image. Then, as test_examples.sh does, the host run is repeated under strace and
# check_touched.py checks that every file the app touched that a candidate package ships (or
# distill generates) is in the image. Every app that fails gets one "not ok - NAME: ..." line
# per failed check, and a summary line at the end lists them; the exit status is non-zero when
# any app fails.
#
# examples/libs/NAME/why lists, as "KIND PATH" lines, files the app needs and the reason kind
# the mechanism that found them records (`distill why --json`), or "absent PATH" for a file the
# image must not have (what reachability leaves out); a line "without-package-rules"
# makes the app also build with --no-package-rules and print the same in that image.
#
# Apps in KNOWN_FAILING are still built, run and checked, and their failures printed, but they
# do not fail the test; one of them that passes does, so that the list stays true.
#
# usage: test_libs.sh [NAME...]   (default: every manifests/libs/*.yaml)
. "$(dirname "$0")/lib.sh"

apps=("$@")
if [ ${#apps[@]} -eq 0 ]; then
  for m in "$SRC"/manifests/libs/*.yaml; do apps+=("$(basename "$m" .yaml)"); done
fi


# Each with what it still misses (none today):
KNOWN_FAILING=" "

failed_apps=()
# app_failed NAME MESSAGE: one "not ok" line, and NAME recorded once for the summary
known_fails=0
app_failed() {
  fail "$1: $2"
  case "$KNOWN_FAILING" in *" $1 "*) known_fails=$((known_fails + 1)) ;; esac
  case " ${failed_apps[*]:-} " in *" $1 "*) ;; *) failed_apps+=("$1") ;; esac
}

for name in "${apps[@]}"; do
  manifest=$SRC/manifests/libs/$name.yaml
  if [ ! -f "$manifest" ]; then
    app_failed "$name" "no manifest $manifest"
    continue
  fi
  app_src=$(manifest_app_dir "$manifest")
  d=$WORK/$name
  mkdir -p "$d"
  OUT=$d/oci
  brc=0
  "$DISTILL" build "$manifest" -o "$OUT" -q >"$d/build.out" 2>"$d/build.err" || brc=$?
  if [ "$brc" -ne 0 ]; then
    cat "$d/build.out" "$d/build.err" >&2
    app_failed "$name" "distill build $manifest (exit $brc): $(tail -1 "$d/build.err")"
    continue
  fi
  ok "$name: distill build $manifest"
  ref=$(index_ref "$OUT")
  unpack "$OUT" "$ref" "$d/bundle"
  bundle_image_env "$d/bundle"

  rc=0
  run_bundle "$d/bundle" >"$d/image.out" 2>"$d/image.err" || rc=$?
  # the app copy and the trace log are used as UID 1000
  app=$SHARED/$name
  cp -r "$app_src" "$app" && chmod -R a+rX "$app"
  host_rc=0
  host_run "$OUT/plan.json" "$app" /usr/bin/python3.11 "$app/main.py" >"$d/host.out" 2>"$d/host.err" || host_rc=$?
  echo "--- $name in the image (exit $rc):"
  cat "$d/image.out" "$d/image.err"
  if [ "$host_rc" -ne 0 ] || [ ! -s "$d/host.out" ]; then
    cat "$d/host.err" >&2
    app_failed "$name" "the app itself fails on the host (exit $host_rc)"
    continue
  fi
  if cmp -s "$d/host.out" "$d/image.out"; then
    ok "$name: the image prints byte for byte what the host prints ($(wc -l <"$d/host.out") lines)"
  else
    diff -u "$d/host.out" "$d/image.out" >&2 || true
    err=$(grep -E '^[A-Za-z_.]+(Error|Exception|Warning)|^[A-Za-z_.]+: ' "$d/image.err" | tail -1 || true)
    app_failed "$name" "the image's output differs from the host's (- host, + image; exit $rc)${err:+: $err}"
  fi
  if [ -s "$d/image.err" ]; then
    last=$(grep -E '^[A-Za-z_.]+(Error|Exception|Warning)' "$d/image.err" | tail -1 || true)
    [ -n "$last" ] || last=$(grep -v '^[[:space:]]*$' "$d/image.err" | tail -1 || true)
    app_failed "$name" "stderr in the image: $last"
  else
    ok "$name: nothing on stderr in the image"
  fi

  # The same run under strace, logged to a file UID 1000 may write.
  install -m 0666 /dev/null "$SHARED/$name.trace"
  host_run "$OUT/plan.json" "$app" strace -f -qq -y -e trace=%file -o "$SHARED/$name.trace" \
    /usr/bin/python3.11 "$app/main.py" >"$d/trace.out" 2>"$d/trace.err" || true
  if ! cmp -s "$d/host.out" "$d/trace.out"; then
    app_failed "$name" "the traced host run prints something else"
  fi
  if $PY "$HERE/check_touched.py" "$d/bundle/rootfs" "$OUT/plan.json" "$SHARED/$name.trace" \
    "$app" "$app" >"$d/touched.out"; then
    ok "$name: every touched path a candidate package ships or distill makes is in the image ($(head -1 "$d/touched.out"))"
  else
    app_failed "$name" "touched paths missing from the image ($(tail -1 "$d/touched.out")), first: $(grep -m1 '^MISSING' "$d/touched.out" | sed 's/^MISSING in the image: //' || true)"
  fi
  grep -E '^(MISSING|no dpkg)' "$d/touched.out" || true

  whyfile=$app_src/why
  [ -f "$whyfile" ] || continue
  while read -r kind path; do
    [ "$kind" = without-package-rules ] && continue
    got=$("$DISTILL" why "$OUT" "$path" --json 2>/dev/null |
      $PY -c 'import json,sys; print(json.load(sys.stdin)["chain"][0]["kind"])' 2>/dev/null ||
      echo "absent")
    if [ "$got" = "$kind" ]; then
      ok "$name: why $path: $kind"
    else
      app_failed "$name" "why $path: $got, expected $kind"
    fi
  done <"$whyfile"
  grep -qx without-package-rules "$whyfile" || continue
  if ! "$DISTILL" build "$manifest" --no-package-rules -o "$d/oci-nr" -q >"$d/build-nr.out" \
    2>"$d/build-nr.err"; then
    app_failed "$name" "distill build --no-package-rules: $(tail -1 "$d/build-nr.err")"
    continue
  fi
  unpack "$d/oci-nr" "$ref" "$d/bundle-nr"
  run_bundle "$d/bundle-nr" >"$d/image-nr.out" 2>"$d/image-nr.err" || true
  if cmp -s "$d/host.out" "$d/image-nr.out" && [ ! -s "$d/image-nr.err" ]; then
    ok "$name: without package rules, the image prints what the host prints"
  else
    app_failed "$name" "without package rules the image differs: $(tail -1 "$d/image-nr.err")"
  fi
done

if [ ${#failed_apps[@]} -gt 0 ]; then
  echo "apps that fail (${#failed_apps[@]} of ${#apps[@]}): ${failed_apps[*]}" >&2
else
  echo "all ${#apps[@]} apps pass"
fi
# Known failures do not count; a known failure that passes does.
unexpected=0
for a in "${failed_apps[@]}"; do
  case "$KNOWN_FAILING" in *" $a "*) ;; *) unexpected=$((unexpected + 1)) ;; esac
done
for a in $KNOWN_FAILING; do
  case " ${apps[*]} " in *" $a "*) ;; *) continue ;; esac
  case " ${failed_apps[*]:-} " in
  *" $a "*) echo "known failure: $a" >&2 ;;
  *) fail "$a passes now: take it out of KNOWN_FAILING" ;;
  esac
done
if [ "$unexpected" -eq 0 ]; then
  # the known failures' "not ok" lines are information, not failures of this test
  fails=$((fails - known_fails))
fi
finish
