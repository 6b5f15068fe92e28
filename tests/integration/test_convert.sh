#!/usr/bin/env bash
# distill convert on examples/alpine (a python:3.9-alpine service of the usual shape): the
# manifest it writes builds; the image runs under runc as UID 1000 in the Dockerfile's workdir
# with its env, serves HTTP (asked from inside the container by runc exec), carries the
# Dockerfile's ports, labels and stop signal (skopeo inspect --config), holds every file
# .dockerignore lets through and none it excludes. Then the report (--json), an unmapped
# requirement (exit 3, the manifest still written with the pip command), a sysroot whose
# Python is older than FROM's (refused), and bad Dockerfiles (exit 2, nothing written).
. "$(dirname "$0")/lib.sh"

# a copy of the example: convert writes distill.yaml into the context
APP=$SHARED/alpine
cp -a "$SRC/examples/alpine" "$APP"

"$DISTILL" convert "$APP/Dockerfile" --json >"$WORK/report.json" 2>"$WORK/convert.err" &&
  rc=0 || rc=$?
check "convert exits 0 (every requirement mapped): $(tail -1 "$WORK/convert.err")" test "$rc" -eq 0
check "the manifest is written beside the Dockerfile" test -f "$APP/distill.yaml"
check "the report: each instruction's outcome, requirements mapped, the version change noted" $PY - "$WORK/report.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
out = {}
for i in r["instructions"]:
    out.setdefault(i["instruction"].split()[0] if i["instruction"] else "", []).append(i)
def outcome(prefix):
    return [i["outcome"] for i in r["instructions"] if i["instruction"].startswith(prefix)]
assert outcome("FROM") == ["converted"], outcome("FROM")
assert outcome("HEALTHCHECK") == ["dropped"], r["instructions"]
assert outcome("RUN addgroup") == ["converted"], outcome("RUN addgroup")
assert outcome("apk add gcc") == ["dropped"] or outcome("apk add gcc") == [], r["instructions"]
assert outcome("apk add libffi") == ["converted"], r["instructions"]
assert outcome("apk add tzdata") == ["converted"], r["instructions"]
reqs = {q["requirement"].split(">")[0].split(";")[0].strip(): q for q in r["requirements"]}
assert reqs["Flask"]["package"] == "python3-flask" and reqs["Flask"]["outcome"] == "converted", reqs
assert reqs["PyYAML"]["package"] == "python3-yaml", reqs
assert reqs["importlib-metadata"]["outcome"] == "dropped", reqs  # its marker is false on 3.11
assert r["python"]["from"] == "3.9" and r["python"]["image"] == "3.11", r["python"]
assert any("3.9" in n and "3.11" in n for n in r["notes"]), r["notes"]
assert r["builds"] is True
PYEOF
check "the build dependencies removed by apk del are not carried; the runtime ones are" \
  $PY -c 'import sys, yaml
m = yaml.safe_load(open(sys.argv[1]))
p = [x if isinstance(x, str) else x["name"] for x in m["packages"]]
assert "libffi8" in p and "tzdata" in p and "python3-flask" in p and "python3-yaml" in p, p
assert not any(x.startswith(("gcc", "musl", "libffi-dev")) for x in p), p' "$APP/distill.yaml"

REF=localhost/alpine:latest
"$DISTILL" build "$APP/distill.yaml" -o "$WORK/oci" -q >"$WORK/build.out" 2>&1 ||
  { cat "$WORK/build.out" >&2; fail "the converted manifest builds"; finish; exit 1; }
ok "the converted manifest builds"

skopeo inspect --config "oci:$WORK/oci:$REF" >"$WORK/config.json"
check "skopeo: user 1000, the workdir, env, port, labels, stop signal; no healthcheck" $PY - "$WORK/config.json" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1]))["config"]
assert c["User"] == "1000:1000", c
assert c["WorkingDir"] == "/srv/app", c
env = dict(e.split("=", 1) for e in c["Env"])
assert env["INVENTORY_GREETING"] == "hello from the inventory", env
assert env["PYTHONUNBUFFERED"] == "1" and env["PORT"] == "8080", env
assert list(c["ExposedPorts"]) == ["8080/tcp"], c
assert c["Labels"]["org.opencontainers.image.title"] == "inventory", c
assert c["StopSignal"] == "SIGINT", c
assert c["Entrypoint"][1:] == ["-m", "inventory.server"], c
assert "Healthcheck" not in c, c
PYEOF

unpack "$WORK/oci" "$REF" "$WORK/bundle"
ROOTFS=$WORK/bundle/rootfs
for f in README.md requirements.txt inventory/server.py inventory/data/items.yaml notes/design.md; do
  check "shipped: /srv/app/$f" test -f "$ROOTFS/srv/app/$f"
done
for f in .env CHANGES.md tests Dockerfile .dockerignore distill.yaml; do # the example's .dockerignore names the manifest
  check "excluded by .dockerignore: /srv/app/$f" test ! -e "$ROOTFS/srv/app/$f"
done
check "the user keeps its name, with UID 1000" grep -q '^inventory:x:1000:1000:' "$ROOTFS/etc/passwd"

# the service runs (detached), and a client inside the container asks it over loopback
ID="distill-it-$$-serve"
runc run -d --bundle "$WORK/bundle" "$ID" </dev/null >"$WORK/serve.log" 2>&1
CLIENT='import json, sys, time, urllib.request
for _ in range(100):
    try:
        out = {p: json.loads(urllib.request.urlopen("http://127.0.0.1:8080" + p).read())
               for p in ("/items", "/whoami")}
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the service never answered")
out["health"] = urllib.request.urlopen("http://127.0.0.1:8080/health").read().decode()
print(json.dumps(out, sort_keys=True))'
runc exec "$ID" /usr/bin/python3.11 -c "$CLIENT" >"$WORK/client.out" 2>"$WORK/client.err" || true
runc kill "$ID" SIGINT >/dev/null 2>&1 || true
check "the service answers: items from its data file, as UID 1000 in /srv/app, with its env" \
  $PY - "$WORK/client.out" <<'PYEOF'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["health"] == "ok", o
assert o["/items"]["in_stock"] == ["bolt", "nut"], o
w = o["/whoami"]
assert (w["uid"], w["gid"], w["cwd"]) == (1000, 1000, "/srv/app"), w
assert w["greeting"] == "hello from the inventory" and w["unbuffered"] == "1", w
PYEOF
[ -s "$WORK/client.out" ] || { cat "$WORK/client.err" "$WORK/serve.log" >&2 || true; }
runc delete -f "$ID" >/dev/null 2>&1 || true

# an unmapped requirement: exit 3, the manifest still written, marked, with the pip command
UN=$SHARED/unmapped
cp -a "$SRC/examples/alpine" "$UN"
printf 'Flask>=99\nno-such-distribution-xyz==1.0\n' >>"$UN/requirements.txt"
"$DISTILL" convert "$UN/Dockerfile" >"$WORK/unmapped.out" 2>"$WORK/unmapped.err" && rc=0 || rc=$?
check "unmapped requirements: exit 3" test "$rc" -eq 3
check "the manifest is still written, the unmapped ones marked" \
  grep -q 'UNMAPPED no-such-distribution-xyz==1.0' "$UN/distill.yaml"
check "a version the package does not satisfy is unmapped too, saying what Debian ships" \
  grep -q 'UNMAPPED Flask>=99 (requirements.txt:[0-9]*): python3-flask ships Flask' "$UN/distill.yaml"
check "python.site-packages with the pip command for the target's Python and glibc" \
  grep -q -- "pip install --target ./site-packages --only-binary=:all: --python-version 3.11 .*--platform manylinux_2_36_x86_64.*no-such-distribution-xyz==1.0" "$UN/distill.yaml"

# a sysroot older than FROM's Python is refused, never a silent downgrade
OLD=$SHARED/py313
cp -a "$SRC/examples/alpine" "$OLD"
sed -i 's/^ARG PYTHON_VERSION=3.9/ARG PYTHON_VERSION=3.13/' "$OLD/Dockerfile"
"$DISTILL" convert "$OLD/Dockerfile" --source sysroot >"$WORK/old.out" 2>"$WORK/old.err" && rc=0 || rc=$?
check "FROM python:3.13 on a 3.11 sysroot: exit 2, saying so" test "$rc" -eq 2
check "… naming both versions and the way out" grep -q "needs Python 3.13.*has 3.11.*--source apt" "$WORK/old.err"
check "… and writing nothing" test ! -e "$OLD/distill.yaml"

# --source apt: the release comes from distro-info-data (the oldest supported by its LTS date
# whose Python is >= 3.9) and the packages from the archive's Contents indexes; --python 3.9:
# the release that ships exactly 3.9, whose Flask and PyYAML are too old for the requirements
export DISTILL_CACHE=$WORK/cache
APT=$SHARED/apt
cp -a "$SRC/examples/alpine" "$APT"
"$DISTILL" convert "$APT/Dockerfile" --source apt --json >"$WORK/apt.json" 2>"$WORK/apt.err" &&
  rc=0 || rc=$?
check "--source apt: exit 0 ($(tail -1 "$WORK/apt.err"))" test "$rc" -eq 0
check "--source apt: the oldest supported release with Python >= 3.9, requirements from Contents" \
  $PY - "$WORK/apt.json" <<'PYEOF'
import csv, datetime, json, sys
r = json.load(open(sys.argv[1]))
today = datetime.date.today().isoformat()
supported = [row["series"] for row in csv.DictReader(open("/usr/share/distro-info/debian.csv"))
             if row.get("release") and row["release"] <= today
             and today < (row.get("eol-lts") or row.get("eol") or "9999")]
# bullseye (3.9) would qualify when still supported; the test knows the Pythons of 11-13
python_of = {"bullseye": "3.9", "bookworm": "3.11", "trixie": "3.13"}
want = next(s for s in supported if s in python_of)
assert r["python"]["release"] == want and r["python"]["image"] == python_of[want], (r["python"], want)
reqs = {q["requirement"].split(">")[0]: q for q in r["requirements"]}
assert reqs["Flask"]["package"] == "python3-flask", reqs
assert reqs["PyYAML"]["package"] == "python3-yaml", reqs
PYEOF
check "--source apt: the manifest names the archive" grep -q "^source: {apt: {sources: host}}\|^  apt:" "$APT/distill.yaml"
"$DISTILL" convert "$APT/Dockerfile" --source apt --python 3.9 --force --json >"$WORK/apt39.json" \
  2>"$WORK/apt39.err" && rc=0 || rc=$?
check "--python 3.9: exit 3, bullseye's Flask 1.1 and PyYAML 5.3 do not satisfy the requirements" \
  $PY - "$WORK/apt39.json" "$rc" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert sys.argv[2] == "3", sys.argv[2]
assert r["python"]["release"] == "bullseye" and r["python"]["image"] == "3.9", r["python"]
reqs = {q["requirement"].split(">")[0]: q for q in r["requirements"]}
assert reqs["Flask"]["outcome"] == "manual" and "python3-flask ships Flask 1." in reqs["Flask"]["detail"], reqs
assert any("end of life" in n for n in r["notes"]), r["notes"]
assert "--python-version 3.9" in r["site-packages-command"] and "manylinux_2_31_x86_64" in r["site-packages-command"], r
PYEOF
check "--python 3.9: the manifest's source is bullseye's archive and its security suite" \
  grep -q "suites: \[bullseye-security\]" "$APT/distill.yaml"

# bad Dockerfiles: exit 2 with file:line, nothing written
BAD=$WORK/bad
mkdir -p "$BAD"
bad_case() { # bad_case NAME EXPECTED-MESSAGE (Dockerfile text on stdin)
  cat >"$BAD/Dockerfile"
  rm -f "$BAD/distill.yaml"
  "$DISTILL" convert "$BAD/Dockerfile" >"$WORK/bad.out" 2>"$WORK/bad.err" && rc=0 || rc=$?
  check "$1: exit 2 ($(tail -1 "$WORK/bad.err"))" test "$rc" -eq 2
  check "$1: the message names the place" grep -q -- "$2" "$WORK/bad.err"
  check "$1: nothing written" test ! -e "$BAD/distill.yaml"
}
printf 'FROM python:3.11\nRUN <<EOF\necho hi\nEOF\n' | bad_case "a heredoc" "Dockerfile:2:.*heredoc"
printf 'FROM python:3.11\nFROB x\n' | bad_case "an unknown instruction" "Dockerfile:2:.*unknown instruction"
printf 'FROM python:3.11\nRUN echo \\' | bad_case "an unterminated continuation" "Dockerfile:2"
head -c 20000 /dev/urandom | tr -d '\n' | bad_case "binary garbage" "Dockerfile:1"
$PY -c 'print("FROM python:3.11\nLABEL a=" + "x" * (10 << 20))' | bad_case "a 10 MB line" "Dockerfile:2"

finish
