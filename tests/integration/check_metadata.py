"""Checks the dpkg metadata of an unpacked rootfs against the image and plan.json: every line of
every status.d/*.md5sums matches the file in the image; exactly the kept packages have a stanza
(a package is kept when plan.json has an entry from it); the CA bundle equals the sorted
concatenation of ca-certificates' mozilla certificates, computed here from the package's own
file list and never from the host's /etc/ssl.

usage: check_metadata.py ROOTFS PLAN_JSON"""
import hashlib
import json
import os
import sys

root, plan_path = sys.argv[1], sys.argv[2]
plan = json.load(open(plan_path))
problems = []

owners = {e["package"] for e in plan["entries"] if e.get("package")}
statusd = root + "/var/lib/dpkg/status.d"
stanzas = {n for n in os.listdir(statusd) if not n.endswith(".md5sums")}
if stanzas != owners:
    problems.append("status.d stanzas %s != packages with kept files %s"
                    % (sorted(stanzas ^ owners), "(symmetric difference)"))
for name in sorted(stanzas):
    text = open(os.path.join(statusd, name)).read()
    if not text.startswith("Package: %s\n" % name):
        problems.append("status.d/%s does not start with its Package field" % name)
    if "\nStatus:" in text:
        problems.append("status.d/%s carries a Status field" % name)
    md5 = os.path.join(statusd, name + ".md5sums")
    if not os.path.exists(md5):
        problems.append("status.d/%s.md5sums missing" % name)
        continue
    for line in open(md5):
        digest, path = line.rstrip("\n").split("  ", 1)
        full = os.path.join(root, path)
        if not os.path.isfile(full):
            problems.append("%s.md5sums lists %s, which is not a file in the image" % (name, path))
            continue
        got = hashlib.md5(open(full, "rb").read()).hexdigest()
        if got != digest:
            problems.append("%s.md5sums: %s has md5 %s, listed %s" % (name, path, got, digest))

bundle = root + "/etc/ssl/certs/ca-certificates.crt"
if os.path.exists(bundle):
    listed = []
    for lst in ("/var/lib/dpkg/info/ca-certificates.list",):
        for line in open(lst):
            p = line.rstrip("\n")
            if p.startswith("/usr/share/ca-certificates/mozilla/") and p.endswith(".crt"):
                listed.append(p)
    listed.sort(key=lambda s: s.encode())
    want = b"".join(open(p, "rb").read() for p in listed)
    got = open(bundle, "rb").read()
    if got != want:
        problems.append("CA bundle (%d bytes) != sorted concatenation of %d mozilla certs (%d bytes)"
                        % (len(got), len(listed), len(want)))
    if len(listed) < 50:
        problems.append("only %d mozilla certificates in ca-certificates" % len(listed))
    print("CA bundle: %d certificates, %d bytes" % (len(listed), len(got)))

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
