"""Generates PEP 440 / PEP 508 cases and prints what Python's `packaging` (Debian's
python3-packaging) answers, one JSON object a line, for test_pyreq.c to compare with distill.

Kinds: version (valid, normal form, pre/post), compare (sign), satisfies (AUTO and ALLOW
pre-release modes), marker (value for an environment), requirement (parts and the marker's
value). "skip" marks the cases where pep440.h / pyreq.h document that distill follows PEP 440 /
PEP 508 instead of packaging 23.0's answer; markers are evaluated with PEP 508's string
fallback where packaging 23.0 raises InvalidVersion (pyreq.h).
"""
import itertools
import json
import random
import sys

from packaging import markers as M
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.specifiers import _is_not_suffix, _version_split
from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version
from packaging._parser import parse_requirement

rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 440508)


def emit(**kw):
    print(json.dumps(kw, sort_keys=True))


def pick(xs):
    return rng.choice(xs)


# ---- versions
SEPS = ["", ".", "-", "_"]
NUMS = ["0", "1", "2", "3", "10", "01", "00", "007", "11", "99999999999999999999999"]


def case(w):
    r = rng.random()
    return w.upper() if r < 0.15 else (w.capitalize() if r < 0.25 else w)


def gen_version(local=True, suffixes=True, min_release=1):
    s = ""
    if rng.random() < 0.08:
        s += pick(["v", "V"])
    if rng.random() < 0.1:
        s += pick(["1", "2", "0", "01"]) + "!"
    n = rng.randint(min_release, max(min_release, 4))
    s += ".".join(pick(NUMS[:8]) for _ in range(n))
    if suffixes:
        if rng.random() < 0.3:
            s += pick(SEPS) + case(pick(["a", "b", "c", "rc", "alpha", "beta", "pre", "preview"]))
            if rng.random() < 0.8:
                s += pick(SEPS) + pick(NUMS[:6])
        if rng.random() < 0.25:
            if rng.random() < 0.3:
                s += "-" + pick(NUMS[:5])
            else:
                s += pick(SEPS) + case(pick(["post", "rev", "r"]))
                if rng.random() < 0.7:
                    s += pick(SEPS) + pick(NUMS[:5])
        if rng.random() < 0.2:
            s += pick(SEPS) + case("dev")
            if rng.random() < 0.7:
                s += pick(SEPS) + pick(NUMS[:5])
    if local and rng.random() < 0.15:
        segs = [pick(["ubuntu", "1", "01", "abc", "Deb12", "x", "2"]) for _ in range(rng.randint(1, 3))]
        s += "+" + "".join(seg + (pick(".-_") if i + 1 < len(segs) else "") for i, seg in enumerate(segs))
    if rng.random() < 0.05:
        s = pick([" ", "\t", "\n", " \x1c"]) + s + pick(["", " ", "\n"])
    return s


def mutate(s):
    r = rng.random()
    junk = pick(list("+-_.!*~ abz0@;,()[]") + ["dfsg", "..", "+", "rc", "post", "dev"])
    i = rng.randint(0, len(s))
    if r < 0.5:
        return s[:i] + junk + s[i:]
    if r < 0.8 and s:
        return s[:i] + s[i + 1:]
    return s + junk


FIXED_VERSIONS = ["1.0", "1.0.0", "1", "1.0a1", "1.0.dev0", "1.0a0.dev0", "1.0.post1", "1.0+local",
                  "1.0.post1.dev1", "1!1.0", "2.0+dfsg", "2.0~rc1", "", " ", "1.0.*", "a1", "1.0-",
                  "1.0+", "1..0", "v1.0", "1.0-1", "1.0RC1", "1.0.pre", "1.0PREVIEW2", "1.0_r",
                  "1.0.c1", "1.0-dev", "1.0alpha", "0!0", "1.0+a..b", "1.0+A-B_c", "1!", "!1",
                  "1.0.post-1", "1.0a-1", "1.0a--1", "1.0a.post1", "1.0+abc.", "3.11.2rc1"]


def version_cases(n):
    seen = []
    for s in FIXED_VERSIONS + [gen_version() for _ in range(n)] + [mutate(gen_version()) for _ in range(n // 2)]:
        try:
            v = Version(s)
        except InvalidVersion:
            emit(kind="version", s=s, valid=False)
            continue
        emit(kind="version", s=s, valid=True, norm=str(v), pre=v.is_prerelease, post=v.is_postrelease)
        seen.append(s)
    return seen


# PEP 440's own ordering examples, with the spellings that normalise onto them
ORDERED = ["1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456",
           "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0",
           "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1",
           "1.0.0", "1.0-1", "1.0c1", "1.0+ABC.05", "1.0+abc-5", "v1.0", "0!1.0", "1!0.1", "1.0.post456-dev34"]


def compare_cases(versions, n):
    for a in ORDERED:
        for b in ORDERED:
            va, vb = Version(a), Version(b)
            emit(kind="compare", a=a, b=b, sign=(va > vb) - (va < vb))
    for _ in range(n):
        a, b = pick(versions), pick(versions)
        va, vb = Version(a), Version(b)
        emit(kind="compare", a=a, b=b, sign=(va > vb) - (va < vb))


# ---- specifiers
OPS = ["~=", "==", "!=", "<=", ">=", "<", ">", "==="]


def gen_spec():
    op = pick(OPS)
    ws = pick(["", "", " ", "  "])
    if op in ("==", "!="):
        if rng.random() < 0.3:
            v = gen_version(local=False, suffixes=False) + ".*"
        else:
            v = gen_version(local=True)
    elif op == "~=":
        v = gen_version(local=False, min_release=2)
    elif op == "===":
        v = pick([gen_version(), "foo", "1.0", "1.0.0"])
    else:
        v = gen_version(local=False)
    s = op + ws + v
    if rng.random() < 0.07:
        s = mutate(s)
    return pick(["", " "]) + s + pick(["", " "])


def gen_specset():
    n = pick([0, 1, 1, 1, 2, 2, 3])
    parts = [gen_spec() for _ in range(n)]
    if rng.random() < 0.05:
        parts.append("")
    return ",".join(parts)


def wildcard_epoch(spec):
    return "!" in spec.version or spec.version.endswith(".*") and False


def documented_divergence(ss, v):
    """The cases pep440.h says distill answers as PEP 440 does, not as packaging 23.0."""
    for sp in ss:
        text = sp.version
        if sp.operator in ("==", "!=") and text.endswith(".*"):
            if "!" in text or v.epoch != 0:
                return True
        if sp.operator == "~=":
            if "!" in text or v.epoch != 0:
                return True
            pkg = ".".join(list(itertools.takewhile(_is_not_suffix, _version_split(text)))[:-1])
            pep = ".".join(str(x) for x in Version(text).release[:-1])
            if canonicalize_version(pkg, strip_trailing_zero=False) != pep:
                return True
        if sp.operator == "===":
            try:
                Version(text)
            except InvalidVersion:
                return True
    return False


def satisfies_cases(versions, n):
    sets = [gen_specset() for _ in range(n // 8)] + [
        "", ",", ">=1.0,", " , >=1.0", "=>1", ">=1.0.*", "~=1", "==1.0a1.*", ">=1.0+local",
        "===foo bar", "===", "== 1.0", ">= 1.0 ,< 2", "~=1.0.r1", "<1.0", ">1.0", "<=1.0a1",
        "!=1.0.*", "==1.0.*", "==1.*", "~=2.2.post3", "~=1.4.5a4", "<3.1", ">3.1", "<3.1.dev0",
        ">3.1.post0", "==1.0+local", "!=1.0+local", "===1.0", "====1", "<==1", ">=1.0a1,<2"]
    pool = list(versions) + ["1.0", "1.0a1", "1.0.dev0", "1.0.post1", "1.0+local", "3.1.dev0", "3.0.dev0",
                             "3.1.post0", "3.2.post0", "3.1+l", "2.2.post3", "2.3", "1.4.5", "1.4.5a4", "1.5"]
    for i in range(n):
        spec = sets[i % len(sets)] if i < len(sets) * 2 else pick(sets)
        ver = pick(pool)
        case = dict(kind="satisfies", version=ver, spec=spec)
        try:
            ss = SpecifierSet(spec)
        except InvalidSpecifier:
            emit(result="invalid-spec", **case)
            continue
        try:
            v = Version(ver)
        except InvalidVersion:
            emit(result="invalid-version", **case)
            continue
        if documented_divergence(ss, v):
            emit(result="skip", **case)
            continue
        try:
            auto = ss.contains(v)
            allow = ss.contains(v, prereleases=True)
        except Exception:
            emit(result="skip", **case)
            continue
        emit(result=auto, allow=allow, **case)


# ---- markers
def pep508_eval_op(lhs, op, rhs):
    """packaging 23.0's _eval_op, with PEP 508's string comparison where the left side is not a
    version (23.0 raises InvalidVersion there)."""
    try:
        spec = Specifier("".join([op.serialize(), rhs]))
        Version(lhs)
    except (InvalidSpecifier, InvalidVersion):
        oper = M._operators.get(op.serialize())
        if oper is None:
            raise M.UndefinedComparison(f"Undefined {op!r} on {lhs!r} and {rhs!r}.")
        return oper(lhs, rhs)
    return spec.contains(lhs, prereleases=True)


M._eval_op = pep508_eval_op

MACHINES = {"amd64": "x86_64", "arm64": "aarch64", "armhf": "armv7l", "i386": "i686",
            "ppc64el": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}
FULL_VERSIONS = ["3.7.3", "3.9.2", "3.11.2", "3.12.0rc1", "3.13.5", "3.10.0b2"]


def environment(full, arch, extra):
    return {
        "implementation_name": "cpython",
        "implementation_version": full.replace("rc", "c"),
        "os_name": "posix",
        "platform_machine": MACHINES[arch],
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": full,
        "platform_python_implementation": "CPython",
        "python_version": ".".join(full.split(".")[:2]),
        "sys_platform": "linux",
        "extra": extra or "",
    }


VALUES = {
    "python_version": ["3.8", "3.11", "3.12", "3", "3.11.*", "3.1", "2.7", "3.10", "foo", "3.11.0"],
    "python_full_version": ["3.11.2", "3.11", "3.12.0rc1", "3.12.0", "3.9.*", "3.7.3"],
    "os_name": ["posix", "nt", "pos", "1.0"],
    "os.name": ["posix", "nt"],
    "sys_platform": ["linux", "win32", "darwin", "lin", "linux2"],
    "sys.platform": ["linux"],
    "platform_system": ["Linux", "Windows", "linux"],
    "platform_machine": ["x86_64", "aarch64", "armv7l", "i686", "arm", "x86", "ppc64le"],
    "platform.machine": ["x86_64", "aarch64"],
    "platform_python_implementation": ["CPython", "PyPy"],
    "python_implementation": ["CPython", "Jython"],
    "platform.python_implementation": ["CPython"],
    "implementation_name": ["cpython", "pypy"],
    "implementation_version": ["3.11.2", "3.12.0c1", "3.8"],
    "platform_release": ["", "5.10", "6.1.0-13-amd64"],
    "platform_version": ["", "#1 SMP"],
    "extra": ["tests", "Tests", "te_st", "te-st", "doc", "TE.ST", "", "1.0"],
}
MOPS = ["==", "!=", "<", "<=", ">", ">=", "~=", "===", "in", "not in"]


def gen_item():
    var = pick(list(VALUES))
    val = pick(VALUES[var])
    op = pick(MOPS)
    q = pick(["'", '"'])
    ws1, ws2 = pick(["", " ", "  ", "\t"]), pick(["", " "])
    if op in ("in", "not in"):
        ws1 = ws2 = " "
    lit = q + val + q
    if rng.random() < 0.2:
        return lit + ws1 + op + ws2 + var
    return var + ws1 + op + ws2 + lit


def gen_marker(depth=0):
    n = rng.randint(1, 3)
    parts = []
    for i in range(n):
        if depth < 2 and rng.random() < 0.2:
            atom = "(" + pick(["", " "]) + gen_marker(depth + 1) + pick(["", " "]) + ")"
        else:
            atom = gen_item()
        parts.append(atom)
    out = parts[0]
    for p in parts[1:]:
        out += pick([" and ", " or ", " and ", "and "]) + p
    return out


def marker_cases(n):
    fixed = ['python_version >= "3.8"', "python_version<'3.12' and os_name=='posix'",
             'extra == "Tests"', "python_version", "os_name == ", "(os_name == 'posix'",
             "os_name == 'posix')", "os_name ~= 'posix'", 'python_version > "3.1"',
             '"3.8" < python_version', 'platform_release >= "5"', "os_name=='posix'or os_name=='nt'",
             "os_name=='posix'oros_name=='nt'", "os_name not in 'xposix'", "os_name notin 'x'",
             "'lin' in sys_platform", "python_version === '3.11'", "python_full_version ~= '3.11.0'",
             "extra == '1.0'", "implementation_version >= '3.12.0rc1'", "python_version == '3.*'",
             "python_version == '3.11.*'", "platform_machine in 'x86_64 aarch64'", "extras == 'x'"]
    for i in range(n):
        m = fixed[i] if i < len(fixed) else (gen_marker() if rng.random() > 0.05 else mutate(gen_marker()))
        full, arch = pick(FULL_VERSIONS), pick(list(MACHINES))
        extra = pick([None, None, "tests", "Te.St", "doc"])
        case = dict(kind="marker", marker=m, full=full, arch=arch, extra=extra)
        if "\\" in m:
            continue
        try:
            parsed = Requirement("x; " + m).marker
        except Exception:
            emit(result="invalid", **case)
            continue
        if parsed is None:
            emit(result="invalid", **case)
            continue
        try:
            emit(result=parsed.evaluate(environment(full, arch, extra)), **case)
        except M.UndefinedComparison:
            emit(result="error", **case)


# ---- requirements
def rare(good, bad, p=0.1):
    return pick(bad) if rng.random() < p else pick(good)


def gen_requirement():
    name = rare(["foo", "Foo_Bar", "foo.bar-baz", "a", "0x", "requests", "Django", "zope.interface",
                 "foo--bar", "x_"], ["-bad", "foo-", "foo.", "_x", "é"])
    extras = rare(["", "", "", "[a]", "[a,b]", "[ a , B ]", "[]", "[security,socks]", "[a,a]"],
                  ["[a b]", "[a,]", "[", "[a"])
    detail = pick([
        "", "", "", "", "", ">=1.0", "==2.31.0", ">=1.0,<2", "~=3.4", "(>=1.0)", " >=1.0a1", ">=1.0", " >= 1.0", "(>=1.0,<2)", " (>=1.0, <2)", ">= 1.0 , < 2", "==1.*", "(==1.0)",
        "~=1", "~=1.4", ">=1.0.*", "===x,y", "(", ">=1.0,", "!=1.3.*,>=1.0", "==2.0+local",
        " @ https://example.com/x-1.0-py3-none-any.whl", " @ file:///tmp/x", "@https://h/p",
        " @ file:/x", " @ https:foo", " @ git+https://github.com/x/y.git@v1#egg=y", " @ https://",
        " @ file://host/p?q", " @ file:///x?", " @ file:///x#", " @ FILE:///x", " @ http://[::1/x",
        "< 2", ">=1.0a1", ">1", "<=v1.0", "==1.0.post1.dev2", ">=1.0 <2", "@"])
    marker = pick(["", "", "", "", "", "; python_version<'3.12'", " ; extra=='a'", ";platform_machine!='x86_64'",
                   "; python_version<'3.12'", " ;os_name == \"posix\" and extra=='t'", ";",
                   "; python_version", "; (os_name=='a'", ";python_version >= '3.8' or sys_platform == 'win32'",
                   " ; extra == 'Tests'", "; os_name=='posix' garbage", "; platform_machine == 'aarch64'"])
    line = pick(["", "", " ", "\t"]) + name + pick(["", "", " "]) + extras + detail + marker + pick(["", "", " "])
    if rng.random() < 0.08:
        line = mutate(line)
    return line


def requirement_cases(n):
    env = environment("3.11.2", "amd64", None)
    for _ in range(n):
        line = gen_requirement()
        case = dict(kind="requirement", line=line)
        if "\\" in line:
            continue
        try:
            req = Requirement(line)
            parsed = parse_requirement(line)
        except Exception:
            emit(valid=False, **case)
            continue
        extras = []
        for e in parsed.extras:
            if e not in extras:
                extras.append(e)
        m = None
        if req.marker is not None:
            try:
                m = req.marker.evaluate(env)
            except M.UndefinedComparison:
                m = "error"
        emit(valid=True, name=req.name, normalized=canonicalize_name(req.name), extras=extras,
             specifier=parsed.specifier, url=req.url, has_marker=req.marker is not None, marker_value=m,
             **case)


versions = version_cases(700)
compare_cases(versions, 1500)
satisfies_cases(versions, 3000)
marker_cases(1500)
requirement_cases(1500)
