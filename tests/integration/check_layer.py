"""Reads every layer of an OCI layout byte by byte and checks what reproducibility needs: the gzip
header (no mtime, no file name), every tar header (mtime = SOURCE_DATE_EPOCH, numeric owners,
modes), path order, and parents present before their children in each layer.

usage: check_layer.py OUT REF EPOCH HOME_UID"""
import gzip
import hashlib
import io
import json
import os
import struct
import sys
import tarfile

out, ref, epoch, home_uid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
problems = []

idx = json.load(open(os.path.join(out, "index.json")))
desc = [m for m in idx["manifests"]
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref][0]
blob = lambda d: open(os.path.join(out, "blobs", "sha256", d.split(":")[1]), "rb").read()
manifest = json.loads(blob(desc["digest"]))
config = json.loads(blob(manifest["config"]["digest"]))
total = 0
for index, layer_desc in enumerate(manifest["layers"]):
    data = blob(layer_desc["digest"])
    if hashlib.sha256(data).hexdigest() != layer_desc["digest"].split(":")[1]:
        problems.append("layer blob does not hash to its digest")

    # gzip header (RFC 1952): ID1 ID2 CM FLG MTIME(4) XFL OS
    id1, id2, cm, flg, mtime, xfl, os_byte = struct.unpack("<BBBBIBB", data[:10])
    if (id1, id2, cm) != (0x1F, 0x8B, 8):
        problems.append("not a deflate gzip stream")
    if mtime != 0:
        problems.append("gzip header carries a timestamp: %d" % mtime)
    if flg & 0x08:
        problems.append("gzip header carries a file name")
    if flg & 0x10:
        problems.append("gzip header carries a comment")

    raw = gzip.decompress(data)
    if "sha256:" + hashlib.sha256(raw).hexdigest() != config["rootfs"]["diff_ids"][index]:
        problems.append("diff_id does not match the uncompressed layer")

    names = []
    seen = set()
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tf:
        for m in tf.getmembers():
            name = m.name.rstrip("/")
            if name.startswith("./"):
                name = name[2:]
            names.append(name)
            if m.mtime != epoch:
                problems.append("%s: mtime %d != %d" % (name, m.mtime, epoch))
            in_home = name == "home/nonroot" or name.startswith("home/nonroot/")
            want_owner = (home_uid, home_uid) if in_home else (0, 0)
            if (m.uid, m.gid) != want_owner:
                problems.append("%s: owner %d:%d, want %d:%d" % (name, m.uid, m.gid, *want_owner))
            if m.pax_headers and set(m.pax_headers) - {"path", "linkpath", "size"}:
                problems.append("%s: unexpected pax headers %s" % (name, sorted(m.pax_headers)))
            parent = os.path.dirname(name)
            if parent and parent not in seen:
                problems.append("%s comes before its parent %s" % (name, parent))
            seen.add(name)
            if name.startswith("app/"):
                want = 0o755 if m.isdir() else 0o644
                if m.mode & 0o7777 != want:
                    problems.append("%s: mode %o, want %o (normalised)" % (name, m.mode, want))
    # Entries are in path order (byte order of the full image path).
    keys = ["/" + n for n in names]
    if keys != sorted(keys, key=lambda s: s.encode()):
        problems.append("entries are not in path order")
    if len(names) != len(set(names)):
        problems.append("duplicate entries")
    total += len(names)
if len(manifest["layers"]) != len(config["rootfs"]["diff_ids"]):
    problems.append("%d layers, %d diff_ids" % (len(manifest["layers"]), len(config["rootfs"]["diff_ids"])))
if config.get("created") is None:
    problems.append("config has no created")

for p in problems[:50]:
    print(p)
print("%d entries checked in %d layers" % (total, len(manifest["layers"])))
sys.exit(1 if problems else 0)
