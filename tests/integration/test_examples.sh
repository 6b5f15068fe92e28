#!/usr/bin/env bash
# Every example app (hello, stdlib-app, flask, pyyaml), built with the default `stdlib: imports`,
# prints under runc exactly what it prints on the build host, and its image holds every file the
# app touched on the host that the image is meant to have (check_touched.py: the app runs under
# strace on the host; every path it opened, stat()ed or listed that a candidate package ships or
# distill generates must exist in the rootfs).
#
# On the host the app runs as UID/GID 1000 (like the image's user, and so that it cannot write
# __pycache__ files into the host's trees) from a world-readable copy of its directory, with
# env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/nonexistent plus the other variables the image's
# config sets (SSL_CERT_FILE: so OpenSSL on the host opens the CA bundle by the same path).
#
# usage: test_examples.sh [EXAMPLE...]   (default: all four)
. "$(dirname "$0")/lib.sh"

examples=("$@")
[ ${#examples[@]} -gt 0 ] || examples=(hello stdlib-app flask pyyaml)



for name in "${examples[@]}"; do
  manifest=$SRC/manifests/$name.yaml
  app_src=$(manifest_app_dir "$manifest")
  d=$WORK/$name
  mkdir -p "$d"
  OUT=$d/oci
  if ! "$DISTILL" build "$manifest" -o "$OUT" -q >"$d/build.out" 2>"$d/build.err"; then
    cat "$d/build.out" "$d/build.err" >&2
    fail "$name: distill build $manifest"
    continue
  fi
  ok "$name: distill build $manifest"
  ref=$(index_ref "$OUT")
  unpack "$OUT" "$ref" "$d/bundle"
  bundle_image_env "$d/bundle"

  run_bundle "$d/bundle" >"$d/image.out" 2>"$d/image.err" || true
  # the app copy and the trace log are used as UID 1000
  app=$SHARED/$name
  cp -r "$app_src" "$app" && chmod -R a+rX "$app"
  host_run "$OUT/plan.json" "$app" /usr/bin/python3.11 "$app/main.py" >"$d/host.out" 2>"$d/host.err" || true
  echo "--- $name in the image:"
  cat "$d/image.out" "$d/image.err"
  if cmp -s "$d/host.out" "$d/image.out" && [ -s "$d/host.out" ]; then
    ok "$name: the image prints byte for byte what the host prints ($(wc -l <"$d/host.out") lines)"
  else
    diff -u "$d/host.out" "$d/image.out" >&2 || true
    cat "$d/host.err" >&2
    fail "$name: the image's output differs from the host's (- host, + image)"
  fi
  check "$name: nothing on stderr in the image" test ! -s "$d/image.err"

  # The same run under strace, logged to a file UID 1000 may write.
  install -m 0666 /dev/null "$SHARED/$name.trace"
  host_run "$OUT/plan.json" "$app" strace -f -qq -y -e trace=%file -o "$SHARED/$name.trace" \
    /usr/bin/python3.11 "$app/main.py" >"$d/trace.out" 2>"$d/trace.err" || true
  check "$name: the traced host run prints the same" cmp -s "$d/host.out" "$d/trace.out"
  if $PY "$HERE/check_touched.py" "$d/bundle/rootfs" "$OUT/plan.json" "$SHARED/$name.trace" \
    "$app" "$app" >"$d/touched.out"; then
    ok "$name: every touched path a candidate package ships or distill makes is in the image ($(head -1 "$d/touched.out"))"
  else
    fail "$name: touched paths missing from the image"
  fi
  cat "$d/touched.out"
done

finish
