#!/usr/bin/python3.11
"""Reference output for test_pyimports: the same facts the C tokenizer (src/python/pyimports.c) finds,
computed from CPython's own parser (`ast`). Usage: pyimports_oracle.py [--scopes] FILE... | @LISTFILE

For each file prints `FILE <path>` followed by one line per import and per attribute use, or
`SKIP <path>` when ast cannot parse it. Formats (fields separated by one space):
  IMPORT <kind> <module|-> <level> <names|-> <line> <col> <depth> <guarded> <main> <fallback>
  ATTR <qualified> <line> <depth>
kind: import | from | importlib | dunder; depth: module | nested | function; guarded: 0 | 1.
`import a.b as c, d` is ONE entry per imported module ("a.b" and "d"), both with the statement's
position. The rules mirror the C scanner (see the test for the contract):
- depth: function inside a def/lambda BODY (decorators, type parameters (3.12+), defaults and
  annotations belong to the enclosing scope); nested inside the body or clauses of a try/if/with/for/while/match (their
  test, iterable, items and subject belong to the enclosing scope; elif tests, except types and
  case patterns/guards are nested); class bodies are transparent.
- guarded: inside the BODY of a try (or try*) with a handler that is bare or names ImportError,
  ModuleNotFoundError, Exception or BaseException (directly or as a tuple element); any enclosing
  try up to the nearest def/lambda counts.
- main: inside the body (not the else) of `if __name__ == "__main__":` (either operand order,
  a plain string literal), at any depth below it.
- fallback: inside the body of an except handler that catches ImportError (as for guarded) of a
  try in the same scope; a def/lambda body starts afresh.
- calls: the first positional argument is one plain (non-f, non-bytes, not concatenated, no
  backslash) string literal directly after `(`; func is Name('__import__'),
  Attribute(Name('importlib'), 'import_module') or a Name bound by `from importlib import
  import_module [as x]`. A literal with leading dots gives level = number of dots.
- attributes: Attribute(Name(n), a) where n is bound by a level-0 import anywhere in the file;
  qualified with every module n is bound to (in source order), deduplicated keeping the first
  use in source order.
With --scopes, every def and class is listed too, and each IMPORT and ATTR line ends with the
index of the scope it is written in (-1 for none; attributes are then deduplicated per scope):
  SCOPE <index> <name> <parent> <def|class|bind> <decorated> <line>
- scope: the innermost def or class whose BODY holds it (decorators, type parameters, defaults,
  annotations and bases belong to the enclosing scope; lambdas do not open one); scopes are numbered in source
  order of their `def`/`class` keyword.
- bind: outside any def (module level or a class body, through if/try/with/for/while), an
  Assign with one target, a Name or a Subscript of a Name, and no Call, Await, Yield or
  YieldFrom anywhere in the statement: its value (and subscript) belong to the binding, the
  target name is not a use.
- decorated: some decorator's last dotted name before any call is not one of PLAIN_DECORATORS
  (those only change how the def is looked up or called).
and, after them, the names code uses, which the scanner must report too (it may report more):
  REF <scope> <name|attr|string> <main> <identifier>
- name: a Name read (Load); attr: an Attribute's attribute, unless assigned to; string: a plain string literal that
  is an identifier, given to getattr, hasattr, setattr or delattr as the attribute's name.
"""
import ast
import io
import sys
import tokenize

GUARD_NAMES = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
PLAIN_DECORATORS = {"property", "staticmethod", "classmethod", "cached_property", "abstractmethod",
                    "abstractproperty", "overload", "wraps", "setter", "getter", "deleter",
                    "final", "override", "contextmanager", "lru_cache", "cache"}


def decorator_registers(d):
    if isinstance(d, ast.Call):
        d = d.func
    while isinstance(d, ast.Attribute):
        return d.attr not in PLAIN_DECORATORS
    return not (isinstance(d, ast.Name) and d.id in PLAIN_DECORATORS)
TRY = (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)
DEPTHS = ("module", "nested", "function")


def handler_catches_import_error(handler):
    t = handler.type
    if t is None:
        return True
    if isinstance(t, ast.Name):
        return t.id in GUARD_NAMES
    if isinstance(t, ast.Tuple):
        return any(isinstance(e, ast.Name) and e.id in GUARD_NAMES for e in t.elts)
    return False


def is_main_test(test):
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    a, b = test.left, test.comparators[0]

    def name(n):
        return isinstance(n, ast.Name) and n.id == "__name__"

    def lit(n):
        return isinstance(n, ast.Constant) and n.value == "__main__" and n.kind is None

    return (name(a) and lit(b)) or (lit(a) and name(b))


class Ctx:
    __slots__ = ("function", "nested", "guarded", "main", "fallback", "scope")

    def __init__(self, function=False, nested=False, guarded=False, main=False, fallback=False,
                 scope=-1):
        self.function, self.nested, self.guarded = function, nested, guarded
        self.main, self.fallback, self.scope = main, fallback, scope

    def depth(self):
        return 2 if self.function else 1 if self.nested else 0

    def with_(self, **kw):
        c = Ctx(self.function, self.nested, self.guarded, self.main, self.fallback, self.scope)
        for k, v in kw.items():
            setattr(c, k, v)
        return c


class Scanner:
    def __init__(self, src_bytes, tree, scopes=False):
        # ast columns are UTF-8 byte offsets into the decoded source; bytes.splitlines breaks at
        # \n, \r\n and \r only, as the tokenizer does
        encoding, _ = tokenize.detect_encoding(io.BytesIO(src_bytes).readline)
        text = src_bytes.decode(encoding, "surrogateescape")
        self.lines = text.encode("utf-8", "surrogateescape").splitlines(keepends=True)
        self.tree = tree
        self.imports = []  # (line, col, text)
        self.attrs = []  # (line, col, name, attr, depth)
        self.calls = []  # (line, col, callee-kind, literal, depth, guarded, bound-name)
        self.bindings = {}  # name -> [module, ...] in source order
        self.pending_bindings = []  # (line, col, name, module), bound once all are known
        self.with_scopes = scopes
        self.scopes = []  # "SCOPE ..." lines in source order
        self.refs = set()  # "REF ..." lines

    # --- traversal with explicit context -------------------------------------------------
    def visit(self, node, ctx):
        if isinstance(node, list):
            for n in node:
                self.visit(n, ctx)
            return
        if not isinstance(node, ast.AST):
            return
        self.record(node, ctx)
        bound = self.binding_target(node, ctx)
        if bound is not None:
            inner = ctx.with_(scope=self.add_scope(node, ctx, "bind", bound.id))
            target = node.targets[0]
            if isinstance(target, ast.Subscript):
                self.visit(target.slice, inner)
            self.visit(node.value, inner)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.visit(node.decorator_list, ctx)
            self.visit(getattr(node, "type_params", []), ctx)
            self.visit(node.args, ctx)
            self.visit(node.returns, ctx)
            scope = self.add_scope(node, ctx, "def")
            self.visit(node.body, ctx.with_(function=True, guarded=False, fallback=False,
                                            scope=scope))
        elif isinstance(node, ast.Lambda):
            self.visit(node.args, ctx)
            self.visit(node.body, ctx.with_(function=True, guarded=False, fallback=False))
        elif isinstance(node, ast.ClassDef):
            self.visit(node.decorator_list, ctx)
            self.visit(getattr(node, "type_params", []), ctx)
            self.visit(node.bases, ctx)
            self.visit(node.keywords, ctx)
            scope = self.add_scope(node, ctx, "class")
            self.visit(node.body, ctx.with_(scope=scope))
        elif isinstance(node, TRY):
            inner = ctx.with_(nested=True)
            guards = any(handler_catches_import_error(h) for h in node.handlers)
            self.visit(node.body, inner.with_(guarded=ctx.guarded or guards))
            for h in node.handlers:
                self.visit(h, inner.with_(fallback=True) if handler_catches_import_error(h)
                           else inner)
            self.visit(node.orelse, inner)
            self.visit(node.finalbody, inner)
        elif isinstance(node, ast.If):
            self.visit(node.test, ctx)
            self.visit(node.body, ctx.with_(nested=True, main=ctx.main or is_main_test(node.test)))
            self.visit(node.orelse, ctx.with_(nested=True))
        elif isinstance(node, ast.While):
            self.visit(node.test, ctx)
            self.visit(node.body, ctx.with_(nested=True))
            self.visit(node.orelse, ctx.with_(nested=True))
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.visit(node.target, ctx)
            self.visit(node.iter, ctx)
            self.visit(node.body, ctx.with_(nested=True))
            self.visit(node.orelse, ctx.with_(nested=True))
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            self.visit(node.items, ctx)
            self.visit(node.body, ctx.with_(nested=True))
        elif isinstance(node, ast.Match):
            self.visit(node.subject, ctx)
            self.visit(node.cases, ctx.with_(nested=True))
        else:
            for _, value in ast.iter_fields(node):
                self.visit(value, ctx)

    def add_scope(self, node, ctx, kind, name=None):
        decorated = any(decorator_registers(d) for d in getattr(node, "decorator_list", []))
        self.scopes.append(f"SCOPE {len(self.scopes)} {name or node.name} {ctx.scope} {kind} "
                           f"{int(decorated)} {node.lineno}")
        return len(self.scopes) - 1

    @staticmethod
    def binding_target(node, ctx):
        """The name an Assign binds as the scanner's bindings are defined, or None."""
        if ctx.function or not isinstance(node, ast.Assign) or len(node.targets) != 1:
            return None
        t = node.targets[0]
        if isinstance(t, ast.Subscript):
            t = t.value
        if not isinstance(t, ast.Name):
            return None
        if any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom))
               for n in ast.walk(node)):
            return None
        return t

    # --- facts ---------------------------------------------------------------------------
    def record(self, node, ctx):
        depth = DEPTHS[ctx.depth()]
        guarded = f"{int(ctx.guarded)} {int(ctx.main)} {int(ctx.fallback)}"
        if self.with_scopes:
            guarded += f" {ctx.scope}"
        if isinstance(node, ast.Import):
            for a in node.names:
                self.imports.append((node.lineno, node.col_offset,
                                     f"IMPORT import {a.name} 0 - {node.lineno} "
                                     f"{node.col_offset + 1} {depth} {guarded}"))
                if a.asname:
                    self.bind(node, a.asname, a.name)
                else:
                    top = a.name.split(".")[0]
                    self.bind(node, top, top)
        elif isinstance(node, ast.ImportFrom):
            names = ",".join(a.name for a in node.names)
            self.imports.append((node.lineno, node.col_offset,
                                 f"IMPORT from {node.module or '-'} {node.level} {names} "
                                 f"{node.lineno} {node.col_offset + 1} {depth} {guarded}"))
            if node.level == 0:
                for a in node.names:
                    if a.name != "*":
                        self.bind(node, a.asname or a.name, f"{node.module}.{a.name}")
        elif isinstance(node, ast.Call):
            self.record_call(node, depth, guarded)
            self.record_getattr(node, ctx)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            v = node.value
            self.attrs.append((v.lineno, v.col_offset, v.id, node.attr, depth, ctx.scope))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            self.refs.add(f"REF {ctx.scope} name {int(ctx.main)} {node.id}")
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
            self.refs.add(f"REF {ctx.scope} attr {int(ctx.main)} {node.attr}")

    def record_getattr(self, node, ctx):
        f = node.func
        if not (isinstance(f, ast.Name) and f.id in ("getattr", "hasattr", "setattr", "delattr")
                and len(node.args) >= 2):
            return
        a = node.args[1]
        if not (isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.isidentifier()):
            return
        text = self.segment(a.lineno, a.col_offset, a.end_lineno, a.end_col_offset)
        if text[:1] in "'\"" and text[-1:] == text[:1] and "\\" not in text and \
                text.count(text[0]) == 2:
            self.refs.add(f"REF {ctx.scope} string {int(ctx.main)} {a.value}")

    def bind(self, node, name, module):
        self.pending_bindings.append((node.lineno, node.col_offset, name, module))

    def record_call(self, node, depth, guarded):
        f = node.func
        if isinstance(f, ast.Name) and f.id == "__import__":
            kind, bound = "dunder", None
        elif (isinstance(f, ast.Attribute) and f.attr == "import_module"
              and isinstance(f.value, ast.Name) and f.value.id == "importlib"):
            kind, bound = "importlib", None
        elif isinstance(f, ast.Name):
            kind, bound = "importlib", f.id  # only if bound to importlib.import_module
        else:
            return
        if not node.args or not self.plain_literal(f, node.args[0]):
            return
        lit = node.args[0].value
        self.calls.append((node.lineno, node.col_offset, kind, lit, depth, guarded, bound))

    def plain_literal(self, func, arg):
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            return False
        between = self.segment(func.end_lineno, func.end_col_offset, arg.lineno, arg.col_offset)
        if between.replace("\\\n", "").replace("\\\r\n", "").strip() != "(":
            return False
        text = self.segment(arg.lineno, arg.col_offset, arg.end_lineno, arg.end_col_offset)
        if "\\" in text:
            return False
        # parenthesised, so that a concatenation spanning lines tokenizes without indentation
        toks = [t for t in tokenize.generate_tokens(io.StringIO("(" + text + ")").readline)
                if t.type == tokenize.STRING]
        if len(toks) != 1:
            return False
        prefix = toks[0].string[:toks[0].string.index(toks[0].string[-1])].lower()
        return "f" not in prefix and "b" not in prefix

    def segment(self, l1, c1, l2, c2):
        # ast columns are UTF-8 byte offsets
        def b(i):
            return self.lines[i - 1]
        if l1 == l2:
            return b(l1)[c1:c2].decode("utf-8", "surrogateescape")
        parts = [b(l1)[c1:]] + [b(i) for i in range(l1 + 1, l2)] + [b(l2)[:c2]]
        return b"".join(parts).decode("utf-8", "surrogateescape")

    def run(self):
        self.visit(self.tree.body, Ctx())
        for _, _, name, module in sorted(self.pending_bindings, key=lambda b: (b[0], b[1])):
            mods = self.bindings.setdefault(name, [])
            if module not in mods:
                mods.append(module)
        out = list(self.imports)
        for line, col, kind, lit, depth, guarded, bound in self.calls:
            if bound is not None and "importlib.import_module" not in self.bindings.get(bound, []):
                continue
            stripped = lit.lstrip(".")
            level = len(lit) - len(stripped)
            out.append((line, col, f"IMPORT {kind} {stripped or '-'} {level} - {line} {col + 1} "
                                   f"{depth} {guarded}"))
        out.sort(key=lambda e: (e[0], e[1]))
        lines = list(self.scopes) if self.with_scopes else []
        lines += [e[2] for e in out]
        seen = set()
        for line, col, name, attr, depth, scope in sorted(self.attrs, key=lambda a: (a[0], a[1])):
            for module in self.bindings.get(name, []):
                q = f"{module}.{attr}"
                key = (scope, q) if self.with_scopes else q
                if key not in seen:
                    seen.add(key)
                    lines.append(f"ATTR {q} {line} {depth}" +
                                 (f" {scope}" if self.with_scopes else ""))
        if self.with_scopes:
            lines += sorted(self.refs)
        return lines


def main(argv):
    paths = []
    scopes = bool(argv) and argv[0] == "--scopes"
    if scopes:
        argv = argv[1:]
    for a in argv:
        if a.startswith("@"):
            with open(a[1:], encoding="utf-8", errors="surrogateescape") as f:
                paths.extend(line.rstrip("\n") for line in f if line.strip())
        else:
            paths.append(a)
    out = sys.stdout
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        try:
            tree = ast.parse(data, p)
        except (SyntaxError, ValueError):
            out.write(f"SKIP {p}\n")
            continue
        out.write(f"FILE {p}\n")
        for line in Scanner(data, tree, scopes).run():
            out.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
