"""check_bases.py BASES_YAML PLAN_JSON BASE: the base's kept packages are distroless's for that
image plus exactly the additions the data file lists for it, each kept for the listed reason (a
rule's name, or a mechanism and its detail); every package distroless ships has its status.d
entry and its copyright file."""
import json
import sys

import yaml

want, plan, base = yaml.safe_load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
expected = set(want["distroless"][base])
adds = {p: a["reason"] for p, a in want["additions"].items() if base in a["bases"]}
kept = {p["name"] for p in plan["packages"] if p["kept"]}
missing, extra = sorted((expected | set(adds)) - kept), sorted(kept - expected - set(adds))
if missing or extra:
    sys.exit("missing %s, extra %s" % (missing, extra))
for pkg, reason in adds.items():
    if pkg in expected:
        continue
    seen = set()
    for e in plan["entries"]:
        if e.get("package") != pkg:
            continue
        r = e["reason"]
        seen.add(r.get("from", "") if r["kind"] == "rule" else
                 "%s %s" % (r["kind"], r.get("detail", "")))
    if not any(s.startswith(reason) or reason in s for s in seen):
        sys.exit("%s: expected reason %r, got %s" % (pkg, reason, sorted(seen)))
paths = {e["path"] for e in plan["entries"]}
for pkg in sorted(expected):
    for p in ("/var/lib/dpkg/status.d/" + pkg, "/usr/share/doc/%s/copyright" % pkg):
        if p not in paths:
            sys.exit("%s: no %s" % (pkg, p))
