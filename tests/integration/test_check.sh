#!/usr/bin/env bash
# The proving run (check.run, --check-run) and its trace (check.trace): the finished image runs
# each command in bubblewrap as UID 1000 with no network and a read-only root, a failure is
# exit 6 with the command's output and no OUT, and a trace keeps what only a run reveals.
. "$(dirname "$0")/lib.sh"

# The check's trees go to TMPDIR: a directory of ours, so that leftovers would show.
export TMPDIR=$SHARED/tmp
mkdir -p "$TMPDIR"
no_leftovers() { [ -z "$(ls -A "$TMPDIR")" ]; }

# An app that imports a module whose name it reads from a data file, and opens a file of the
# standard library package by a path it reads from another: no static mechanism sees either.
APP=$WORK/app
mkdir -p "$APP"
cat >"$APP/main.py" <<'EOF'
import importlib, json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
if os.path.exists(os.path.join(here, "plugins.txt")):
    with open(os.path.join(here, "plugins.txt")) as f:
        for name in f.read().split():
            mod = importlib.import_module(name)
            print(name, "from", mod.__file__)
    print(mod.Fraction(3, 6))
    with open(os.path.join(here, "datafile.txt")) as f:
        wanted = f.read().strip()
    with open(os.path.join(os.path.dirname(os.__file__), wanted)) as f:
        print(wanted, "starts with", f.readline().strip())
print(json.dumps({"ok": True}))
EOF
echo fractions >"$APP/plugins.txt"
echo LICENSE.txt >"$APP/datafile.txt"

# manifest NAME [EXTRA YAML...]: a manifest of the app with the given sections
manifest() {
  local name=$1
  shift
  {
    echo "version: 1"
    echo "source: {sysroot: /}"
    echo "arch: amd64"
    echo "packages: [python3.11-minimal, libpython3.11-stdlib]"
    echo "python:"
    echo "  interpreter: /usr/bin/python3.11"
    echo "  app: [{from: $APP, to: /app}]"
    echo "  entrypoint: /app/main.py"
    for line in "$@"; do echo "$line"; done
  } >"$WORK/$name.yaml"
  echo "$WORK/$name.yaml"
}

# failing_build NAME MANIFEST [ARGS...]: builds into $WORK/NAME expecting failure; sets rc, and
# $WORK/NAME.err holds what distill printed on stderr
failing_build() {
  local name=$1 m=$2
  shift 2
  set +e
  "$DISTILL" build "$m" -o "$WORK/$name" -q "$@" >/dev/null 2>"$WORK/$name.err"
  rc=$?
  set -e
}

# --- a needed module left out: exit 6, the traceback, nothing in OUT --------------------------
M=$(manifest broken "  exclude-modules: [json]" "check:" "  run: [/usr/bin/python3.11, /app/main.py]")
rm -f "$APP/plugins.txt"
failing_build broken "$M"
check "a check that fails is exit 6 (got $rc)" test "$rc" -eq 6
check "its output holds the command's traceback" \
  grep -q "ModuleNotFoundError: No module named 'json'" "$WORK/broken.err"
check "the error names the command" grep -q 'check.run\[0\] "/usr/bin/python3.11 /app/main.py" failed in the image (exit status 1)' "$WORK/broken.err"
check "nothing is written to OUT" test ! -e "$WORK/broken"
check "nothing is left in TMPDIR" no_leftovers
check "nothing is left beside OUT" test -z "$(ls -A "$WORK" | grep '^\.broken' || true)"

# --- a passing check changes nothing that ships -----------------------------------------------
M=$(manifest plain)
"$DISTILL" build "$M" -o "$WORK/plain" -q >/dev/null
M=$(manifest checked "check:" "  run: [/usr/bin/python3.11, /app/main.py]")
"$DISTILL" build "$M" -o "$WORK/checked" -q >/dev/null
check "an image whose check passes has the digest it has without a check" \
  test "$(manifest_digest "$WORK/plain" localhost/distill:latest)" = \
  "$(manifest_digest "$WORK/checked" localhost/distill:latest)"
check "the image has empty /proc and /dev mount points" $PY - "$WORK/checked/plan.json" <<'EOF'
import json, sys
e = {x["path"]: x for x in json.load(open(sys.argv[1]))["entries"]}
assert e["/proc"]["type"] == "dir" and e["/dev"]["type"] == "dir", (e.get("/proc"), e.get("/dev"))
assert not [p for p in e if p.startswith(("/proc/", "/dev/"))]
EOF

# --- as the image user, read-only root, fresh /tmp and home, no network ------------------------
cat >"$APP/probe.py" <<'EOF'
import os, sys
what = sys.argv[1]
if what == "identity":
    assert (os.getuid(), os.getgid()) == (1000, 1000), (os.getuid(), os.getgid())
    assert os.environ["HOME"] == "/home/nonroot" and os.getcwd() == "/app", os.environ
    assert os.environ["LANG"] == "C.UTF-8", os.environ
    for d in ("/tmp", os.environ["HOME"]):
        with open(os.path.join(d, "marker"), "w") as f:
            f.write("x")
    # root-owned files stay root's: /root is 0700 and not the user's
    try:
        os.listdir("/root")
    except PermissionError:
        pass
    else:
        raise SystemExit("/root is readable by the image user")
    print("identity ok")
elif what == "fresh":
    for d in ("/tmp", os.environ["HOME"]):
        assert not os.path.exists(os.path.join(d, "marker")), d
    print("fresh ok")
elif what == "write-app":
    open("/app/written", "w")
elif what == "connect":
    import socket
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5)
    print("connected")
elif what == "sleep":
    import time
    time.sleep(60)
EOF
M=$(manifest user "check:" "  run:" \
  "    - [/usr/bin/python3.11, /app/probe.py, identity]" \
  "    - [/usr/bin/python3.11, /app/probe.py, fresh]")
rc=0
"$DISTILL" build "$M" -o "$WORK/user" -q >/dev/null 2>"$WORK/user.err" || rc=$?
cat "$WORK/user.err"
check "the check runs as 1000:1000 with the image's env and workdir, and each command sees a fresh /tmp and home" \
  test "$rc" -eq 0

failing_build ro "$WORK/plain.yaml" --check-run '["/usr/bin/python3.11", "/app/probe.py", "write-app"]'
check "a check that writes outside /tmp and the home fails (exit $rc)" test "$rc" -eq 6
check "... and says why: the root is read-only" grep -q "Read-only file system: '/app/written'" "$WORK/ro.err"

# a listener on the host's loopback: the check's own network namespace cannot reach it
$PY - "$WORK/port" <<'EOF' &
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
s.settimeout(120)
try:
    while True:
        c, _ = s.accept()
        c.close()
except OSError:
    pass
EOF
listener=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
port=$(cat "$WORK/port")
check "the listener answers on the host" $PY -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=5)"
failing_build net "$WORK/plain.yaml" --check-run "/usr/bin/python3.11 /app/probe.py connect $port"
kill "$listener" 2>/dev/null || true
check "a check that connects to the host's 127.0.0.1 fails (exit $rc)" test "$rc" -eq 6
check "... with the connection refused in its own network namespace" grep -q "ConnectionRefusedError" "$WORK/net.err"

M=$(manifest slow "check:" "  run: [/usr/bin/python3.11, /app/probe.py, sleep]" "  timeout: 2")
failing_build slow "$M"
check "a check past check.timeout is killed: exit 6 (got $rc)" test "$rc" -eq 6
check "... and says so" grep -q "ran past check.timeout (2 s)" "$WORK/slow.err"
check "nothing is left in TMPDIR after failed checks" no_leftovers

# bubblewrap missing: a clear error (its program hidden in a private mount namespace)
set +e
unshare -m --propagation private -- bash -c \
  'mount --bind /dev/null /usr/bin/bwrap && exec "$@"' _ \
  "$DISTILL" build "$WORK/checked.yaml" -o "$WORK/nobwrap" -q >/dev/null 2>"$WORK/nobwrap.err"
rc=$?
set -e
check "without bubblewrap the check is an I/O error, exit 4 (got $rc)" test "$rc" -eq 4
check "... naming the package to install" grep -q "bubblewrap (bwrap) is not installed (Debian package bubblewrap)" "$WORK/nobwrap.err"

# --- trace: what only a run reveals ---------------------------------------------------------
echo fractions >"$APP/plugins.txt"
M=$(manifest notrace "check:" "  run: [/usr/bin/python3.11, /app/main.py]")
failing_build notrace "$M"
check "without a trace, the module named in a data file is missing: exit 6 (got $rc)" test "$rc" -eq 6
check "... ModuleNotFoundError for it" grep -q "No module named 'fractions'" "$WORK/notrace.err"

M=$(manifest traced "check:" "  run: [/usr/bin/python3.11, /app/main.py]" "  trace: true")
rc=0
"$DISTILL" build "$M" -o "$WORK/traced" >"$WORK/traced.out" 2>"$WORK/traced.err" || rc=$?
check "with trace: true the build passes its proving run (exit $rc)" test "$rc" -eq 0
check "the summary counts what only the run kept" grep -q "^observed   [1-9][0-9]* entries" "$WORK/traced.out"
check "fractions, its imports and the data file are kept as observed" $PY - "$WORK/traced/plan.json" <<'EOF'
import json, sys
e = {x["path"]: x for x in json.load(open(sys.argv[1]))["entries"]}
for path, event in [("/usr/lib/python3.11/fractions.py", "import fractions"),
                    ("/usr/lib/python3.11/decimal.py", "import decimal"),
                    ("/usr/lib/python3.11/LICENSE.txt", "open /usr/lib/python3.11/LICENSE.txt")]:
    r = e[path]["reason"]
    assert r["kind"] == "observed" and r["detail"] == "observed by the check run: " + event, (path, r)
assert "/usr/lib/python3.11/__pycache__/fractions.cpython-311.pyc" in e
# bubblewrap's own loading (before the program starts) is not the program's
assert not [p for p, x in e.items() if x["reason"]["kind"] == "observed" and "libselinux" in p]
EOF
"$DISTILL" why "$WORK/traced" /usr/lib/python3.11/fractions.py >"$WORK/why.out"
check "why says it was observed by the check run" grep -q "observed by the check run: import fractions" "$WORK/why.out"

unpack "$WORK/traced" localhost/distill:latest "$WORK/traced-bundle"
run_bundle "$WORK/traced-bundle" >"$WORK/traced-run.out" 2>&1 || true
check "the traced image runs under runc as well" grep -q "LICENSE.txt starts with A. HISTORY OF THE SOFTWARE" "$WORK/traced-run.out"

M=$(manifest nosite "check:" "  run: [/usr/bin/python3.11, -S, /app/main.py]" "  trace: true")
failing_build nosite "$M"
check "trace refuses a command that turns off site (-S): exit 2 (got $rc)" test "$rc" -eq 2
check "... saying why" grep -q "turns off Python's site module (-S)" "$WORK/nosite.err"

# trace on an app the static closure already covers adds nothing
sed -e "s|\.\./examples|$SRC/examples|" "$SRC/manifests/stdlib-app.yaml" >"$WORK/stdlib-app.yaml"
printf 'check:\n  run: [/usr/bin/python3.11, /app/main.py]\n  trace: true\n' >>"$WORK/stdlib-app.yaml"
"$DISTILL" build "$SRC/manifests/stdlib-app.yaml" -o "$WORK/sa-static" -q >/dev/null
rc=0
"$DISTILL" build "$WORK/stdlib-app.yaml" -o "$WORK/sa-traced" -q >/dev/null 2>"$WORK/sa.err" || rc=$?
cat "$WORK/sa.err"
check "stdlib-app with trace: true builds and proves (exit $rc)" test "$rc" -eq 0
check "... and its plan holds exactly the paths of the static one" $PY - "$WORK/sa-static/plan.json" "$WORK/sa-traced/plan.json" <<'EOF'
import json, sys
a, b = ({x["path"] for x in json.load(open(p))["entries"]} for p in sys.argv[1:])
assert a == b, ("only static", sorted(a - b)[:20], "only traced", sorted(b - a)[:20])
EOF
check "nothing is left in TMPDIR after the traces" no_leftovers

finish
