#!/usr/bin/env bash
# Imports made from C: an extension module written by hand that imports a module through
# PyImport_ImportModule, and a Cython module (Debian's cython3) whose compiled code imports one
# through __Pyx_Import. Neither import is in any .py file; the image must still run, and `why`
# must say the module was named in the extension's strings. Built twice with the same digest.
. "$(dirname "$0")/lib.sh"

app=$WORK/app
mkdir -p "$app"
suffix=$($PY -c 'import importlib.machinery as m; print(m.EXTENSION_SUFFIXES[0])')
cat >"$app/cext.c" <<'C'
#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *third(PyObject *self, PyObject *args)
{
        PyObject *fractions = PyImport_ImportModule("fractions");
        if (!fractions)
                return NULL;
        PyObject *r = PyObject_CallMethod(fractions, "Fraction", "ii", 1, 3);
        Py_DECREF(fractions);
        if (!r)
                return NULL;
        PyObject *s = PyObject_Str(r);
        Py_DECREF(r);
        return s;
}
static PyMethodDef methods[] = {{"third", third, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "cext", NULL, -1, methods};
PyMODINIT_FUNC PyInit_cext(void) { return PyModule_Create(&module); }
C
cat >"$app/cymod.pyx" <<'PYX'
def hls(r, g, b):
    import colorsys
    return "%.3f %.3f %.3f" % colorsys.rgb_to_hls(r, g, b)
PYX
cat >"$app/main.py" <<'PY'
import cext
import cymod
print(cext.third())
print(cymod.hls(0.2, 0.4, 0.4))
PY
incs=$(python3.11-config --includes)
# shellcheck disable=SC2086
cc -shared -fPIC -O2 $incs -o "$app/cext$suffix" "$app/cext.c"
cython3 -3 -o "$app/cymod.c" "$app/cymod.pyx"
# shellcheck disable=SC2086
cc -shared -fPIC -O2 $incs -o "$app/cymod$suffix" "$app/cymod.c"
rm "$app"/*.c "$app/cymod.pyx"
check "the Cython module's compiled code holds the name it imports" \
  grep -q colorsys "$app/cymod$suffix"
check "no Python source imports fractions or colorsys" \
  sh -c "! grep -q 'fractions\|colorsys' '$app/main.py'"

cat >"$WORK/c-imports.yaml" <<YAML
version: 1
source: {sysroot: /}
arch: amd64
packages: [python3.11-minimal, libpython3.11-stdlib]
python:
  interpreter: /usr/bin/python3.11
  app: [{from: $app, to: /app}]
  entrypoint: /app/main.py
image:
  ref: localhost/c-imports:latest
YAML

for n in 1 2; do
  "$DISTILL" build "$WORK/c-imports.yaml" -o "$WORK/oci$n" -q >"$WORK/build$n.out" 2>"$WORK/build$n.err" ||
    { cat "$WORK/build$n.err" >&2; fail "build $n"; finish; }
done
check "two builds give the same image digest" \
  test "$(manifest_digest "$WORK/oci1" localhost/c-imports:latest)" = \
  "$(manifest_digest "$WORK/oci2" localhost/c-imports:latest)"

for m in fractions colorsys; do
  "$DISTILL" why "$WORK/oci1" "/usr/lib/python3.11/$m.py" --json >"$WORK/why-$m.json" || true
  check "why $m: named in an extension module's strings" $PY - "$WORK/why-$m.json" "$m" <<'PYEOF'
import json, sys
chain = json.load(open(sys.argv[1]))["chain"]
first = chain[0]
assert first["kind"] == "python-c-import", first
assert ("cext" if sys.argv[2] == "fractions" else "cymod") in first["from"], first
PYEOF
done

unpack "$WORK/oci1" localhost/c-imports:latest "$WORK/bundle"
run_bundle "$WORK/bundle" >"$WORK/image.out" 2>"$WORK/image.err" || true
cat "$WORK/image.out" "$WORK/image.err"
(cd "$app" && /usr/bin/python3.11 -B main.py) >"$WORK/host.out"
check "the image prints what the host prints" cmp -s "$WORK/host.out" "$WORK/image.out"
check "nothing on stderr in the image" test ! -s "$WORK/image.err"
finish
