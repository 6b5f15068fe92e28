# Shared helpers for the integration tests (sourced). Every test runs as root and fails loudly
# when it is not: nothing is skipped.
set -euo pipefail
# The same environment whatever the caller's: untranslated messages and C collation for the
# tools whose output is compared (ldconfig -p, readelf, ls, sort), UTC, and a umask that leaves
# what the test makes readable by the image user and by dpkg-deb.
export LC_ALL=C.UTF-8 TZ=UTC0
unset LANGUAGE
umask 022

PY=/usr/bin/python3.11
SRC=${DISTILL_SOURCE_DIR:?DISTILL_SOURCE_DIR must point at the source tree}
DISTILL=${DISTILL_BIN:?DISTILL_BIN must point at the built distill}
HERE="$SRC/tests/integration"

if [ "$(id -u)" -ne 0 ]; then
  echo "FATAL: $(basename "$0") needs root (umoci unpack, runc); run the suite as root" >&2
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/distill-it.XXXXXX")
# For what UID 1000 runs from: under /tmp, which every user may traverse (TMPDIR's parents may
# not be); removed with WORK.
SHARED=$(mktemp -d /tmp/distill-it-shared.XXXXXX)
chmod 0755 "$SHARED"
cleanup_work() {
  for c in $(runc list -q 2>/dev/null | grep "^distill-it-$$-" || true); do
    runc delete -f "$c" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK" "$SHARED"
}
trap cleanup_work EXIT

fails=0
passes=0
ok()   { passes=$((passes + 1)); echo "ok - $*"; }
fail() { fails=$((fails + 1)); echo "not ok - $*" >&2; }
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
  echo "$passes passed, $fails failed"
  [ "$fails" -eq 0 ]
}

# host_run PLAN APPDIR CMD...: CMD as UID/GID 1000 from APPDIR with `env -i` and the image's
# extra variables ($image_env, set by the caller), PATH=/usr/bin:/bin LANG=C.UTF-8
# HOME=/nonexistent — in a private mount namespace where the host interpreter's sys.path
# directories show only what the build's candidate packages (PLAN, a plan.json) put there
# (host_view.py: an optional import of a package the image cannot have, or a .pth file no
# package owns, would make the two runs differ).
host_run() {
  local plan=$1 dir=$2
  shift 2
  (cd "$dir" && unshare -m --propagation private -- "$PY" "$HERE/host_view.py" "$plan" -- \
    setpriv --reuid=1000 --regid=1000 --clear-groups env -i "${image_env[@]}" \
    PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/nonexistent "$@")
}

# manifest_app_dir MANIFEST → the host directory its python.app[0] copies (as written)
manifest_app_dir() {
  echo "$(dirname "$1")/$($PY -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["python"]["app"][0]["from"])' "$1")"
}

# index_ref OUT → the reference index.json names its first image by
index_ref() {
  $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])' "$1/index.json"
}

# bundle_image_env BUNDLE: sets image_env (for host_run) to the variables the image's config
# sets beyond PATH, LANG, HOME and TERM
bundle_image_env() {
  mapfile -t image_env < <($PY -c '
import json, sys
for e in json.load(open(sys.argv[1]))["process"]["env"]:
    if e.split("=", 1)[0] not in ("PATH", "LANG", "HOME", "TERM"):
        print(e)' "$1/config.json")
}

# apt_sim PACKAGE...: what apt would install on an empty system, as `apt-get -s` prints it, with
# none of this host's apt settings that change the choice (recommends, suggests, pinning)
apt_sim() {
  apt-get -s -o Dir::State::status=/dev/null -o APT::Install-Recommends=0 \
    -o APT::Install-Suggests=0 -o Dir::Etc::Preferences=/dev/null \
    -o Dir::Etc::PreferencesParts=/dev/null install "$@"
}

# manifest_digest OUT REF → the digest index.json gives for REF
manifest_digest() {
  $PY - "$1" "$2" <<'PYEOF'
import json, sys
idx = json.load(open(sys.argv[1] + "/index.json"))
for m in idx["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == sys.argv[2]:
        print(m["digest"]); break
else:
    sys.exit("no manifest named %s in index.json" % sys.argv[2])
PYEOF
}

# unpack OUT REF BUNDLE: umoci (which checks diff_ids) makes a runc bundle; only
# process.terminal is changed.
unpack() {
  umoci unpack --image "$1:$2" "$3" >/dev/null
  $PY - "$3/config.json" <<'PYEOF'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
json.dump(c, open(p, "w"))
PYEOF
}

# run_bundle BUNDLE → stdout of the container; exit status of runc
run_bundle() {
  runc run --bundle "$1" "distill-it-$$-$RANDOM" </dev/null
}
