#!/usr/bin/env bash
# The import scanner on 3.12+ source (PEP 701 f-strings, PEP 695/696 type parameters and `type`
# statements) against CPython's own parser of that version: Debian 13's python3.13, from an image
# tree distill builds (`stdlib: full`), runs tests/unit/python/pyimports_oracle.py under chroot
# over every .py file of its standard library and over snippets written here; test_pyimports (its
# test_oracle_other_python, given PYIMPORTS_ORACLE) compares the scanner, reading as 3.13 does,
# with what ast found. The same build scans an app whose f-strings only PEP 701 allows, and
# warns about no standard-library file left unscanned.
. "$(dirname "$0")/lib.sh"

MIRROR=${DISTILL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
TEST_PYIMPORTS=$(dirname "$DISTILL")/test_pyimports
export DISTILL_CACHE=$WORK/cache
[ -x "$TEST_PYIMPORTS" ] || { fail "no $TEST_PYIMPORTS beside $DISTILL (build the unit tests)"; finish; }

# an app that 3.11's rules cannot read: the import after its f-strings must still be found
mkdir -p "$WORK/app"
cat >"$WORK/app/main.py" <<'PYEOF'
import sys
words = {"a": "x"}
print(f"{words["a"]}{'\n'.join(sys.argv[1:])}{f"{f"{len(words)}"}"}")
import colorsys
print(colorsys.rgb_to_hsv(1.0, 0.0, 0.0))
PYEOF
# manifest STDLIB: the trixie image of the app, with the standard library whole or as imported
manifest() {
  cat <<EOF
version: 1
source: {apt: {sources: [{uri: "$MIRROR", suites: [trixie], components: [main],
                          signed-by: /usr/share/keyrings/debian-archive-keyring.gpg}]}}
arch: amd64
packages: [python3.13-minimal, libpython3.13-stdlib]
python:
  interpreter: /usr/bin/python3.13
  stdlib: $1
  app: [{from: $WORK/app, to: /app}]
  entrypoint: /app/main.py
EOF
}
manifest full >"$WORK/full.yaml"
manifest imports >"$WORK/imports.yaml"
TREE=$WORK/tree
check "distill builds the trixie tree with the whole standard library" \
  "$DISTILL" build "$WORK/full.yaml" --format rootfs -o "$TREE" 2>"$WORK/build.err"
cat "$WORK/build.err" >&2
check "no file of the 3.13 standard library is left unscanned" \
  bash -c "! grep 'not scanned' '$WORK/build.err'"
check "distill builds the trixie tree with the imported standard library" \
  "$DISTILL" build "$WORK/imports.yaml" --format rootfs -o "$WORK/app-tree"
check "the app's import after PEP 701 f-strings is followed (colorsys in the image)" \
  test -f "$WORK/app-tree/usr/lib/python3.13/colorsys.py"
chroot "$WORK/app-tree" /usr/bin/python3.13 /app/main.py >"$WORK/app.out" || true
check "the image's interpreter runs the app" \
  diff <(printf 'x1\n(0.0, 1.0, 1.0)\n') "$WORK/app.out"

# snippets of what 3.12 and 3.13 added, each a file, all valid 3.13 (checked below)
S=$TREE/tmp/pep701
mkdir -p "$S"
cat >"$S/quotes.py" <<'PYEOF'
import os
a = f'{os.sep.join(d['k'])}' ; import b1
b = f"{"".join(os.environ)}" f'{'x'}' ; import b2
c = f'''{'''x'''}{os.name}''' ; import b3
PYEOF
cat >"$S/backslash.py" <<'PYEOF'
import os
a = f"{'\n'.join(os.listdir())}" ; import c1
b = f"{'\\'}\{x}" rf"\{os.sep}\'" ; import c2
c = f"\N{BULLET} {os.linesep} \N{EM DASH}" ; import c3
PYEOF
cat >"$S/nesting.py" <<'PYEOF'
import os
a = f"{f"{f"{f"{f"{os.name}"}"}"}"}" ; import d1
b = f"""{f"""{os.sep}"""}""" ; import d2
c = f"{x:{os.sep}>{w:{z}}}" ; import d3
d = f"{ {'k': os.curdir}['k'] }" ; import d4
e = f"{'}'}{':'}{'!'}{a != b}{a if b else c!r}{(y := os.pardir)}{(lambda: os.extsep)()}" ; import d5
PYEOF
cat >"$S/comments.py" <<'PYEOF'
import os
a = f"""{
    os.getcwd()  # a comment with ' " } { and import x
}""" ; import e1
b = f'{os.getpid() # single-quoted too
}' ; import e2
c = f"{os.sep +
  os.sep}" ; import e3
d = f"{x = !r:^{os.sep}} {x=} {os.devnull = }" ; import e4
PYEOF
cat >"$S/calls.py" <<'PYEOF'
import importlib
x = f"{__import__("json").dumps(1)}" ; import f1
y = f"{importlib.import_module('email.utils')}{__import__(f"{x}")}"
try:
    z = f"{__import__('a.b')}"
    import f2
except ImportError:
    w = f"{__import__('c')}"
def g():
    return f"{__import__("d")!r}"
if __name__ == "__main__":
    print(f"{__import__('e')}")
PYEOF
cat >"$S/generics.py" <<'PYEOF'
import os
def f[T: os.PathLike](x: T) -> T:
    import g1
    return x
class C[T = int](dict[str, T]):
    import g2
    def m[**P, *Ts](self, *a: *Ts) -> os.PathLike: import g3
type Alias[T] = dict[str, os.PathLike[T]]
type Plain = os.stat_result
type = 5
type(x).y = 1
print(type)
async def h[T: (int, str) = int]():
    import g4
class D[T](Protocol[T]): x: os.PathLike = None
import g5
PYEOF
cat >"$S/match.py" <<'PYEOF'
import os
match f"{os.name!r}":
    case "'posix'":
        import h1
    case _ if f'{os.sep}' == "/":
        import h2
match = f'{os.sep}'
PYEOF
(cd "$TREE" && find usr/lib/python3.13 tmp/pep701 -type f -name '*.py' | sed 's|^|/|' | sort) \
  >"$TREE/tmp/paths"
cp "$SRC/tests/unit/python/pyimports_oracle.py" "$TREE/tmp/pyimports_oracle.py"
check "python3.13's ast reads every file" \
  bash -c "chroot '$TREE' /usr/bin/python3.13 /tmp/pyimports_oracle.py --scopes @/tmp/paths >'$WORK/oracle.out'"
n_snippets=$(ls "$S" | wc -l)
check "every snippet is valid 3.13 (the oracle compares each)" \
  test "$(grep -c '^FILE /tmp/pep701/' "$WORK/oracle.out")" -eq "$n_snippets"
check "at least 500 standard-library files compared" \
  test "$(grep -c '^FILE /usr/lib/python3.13/' "$WORK/oracle.out")" -ge 500
check "the scanner reading as 3.13 agrees with python3.13's ast on every file" \
  env PYIMPORTS_ORACLE="$WORK/oracle.out" PYIMPORTS_ROOT="$TREE" PYIMPORTS_PYTHON=3.13 \
  DISTILL_SOURCE_DIR="$SRC" "$TEST_PYIMPORTS"
# and the 3.11 rules would not do: the same files read as 3.11 do not all agree
check "read with 3.11's rules, PEP 701 files differ (the grammar matters)" \
  bash -c "! env PYIMPORTS_ORACLE='$WORK/oracle.out' PYIMPORTS_ROOT='$TREE' PYIMPORTS_PYTHON=3.11 \
  DISTILL_SOURCE_DIR='$SRC' '$TEST_PYIMPORTS' >'$WORK/as311.out' 2>&1"
grep 'pyimports oracle' "$WORK/as311.out" || true
finish
