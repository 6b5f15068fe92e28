"""oci_add_layer.py OUT SPEC...: a copy of an image changed the way a user or an attacker would,
written as a new top layer of the OCI layout OUT (Python's tarfile, gzip), with the config's
diff_ids, the manifest and index.json updated so that every digest still matches.

SPEC is PATH=HOSTFILE[:MODE[:UID]] (a file with that content), PATH=-MODE[:UID] (the file already
in the image, given a new mode and owner: its bytes read back from the layers), or PATH=whiteout
(removed, as an OCI whiteout)."""
import gzip, hashlib, io, json, os, sys, tarfile

out, specs = sys.argv[1], sys.argv[2:]
blobs = os.path.join(out, "blobs", "sha256")


def blob(digest):
    return os.path.join(blobs, digest.split(":", 1)[1])


def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


index = json.load(open(os.path.join(out, "index.json")))
mdesc = index["manifests"][0]
manifest = json.load(open(blob(mdesc["digest"])))
config = json.load(open(blob(manifest["config"]["digest"])))


def existing(path):
    """The bytes of PATH as the layers have it (the last layer holding it)."""
    found = None
    for layer in manifest["layers"]:
        with tarfile.open(blob(layer["digest"]), "r:*") as t:
            for m in t.getmembers():
                if m.name.lstrip("./") == path and m.isfile():
                    found = t.extractfile(m).read()
    if found is None:
        sys.exit("oci_add_layer: %s is no file of the image" % path)
    return found


raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
    for spec in specs:
        path, what = spec.split("=", 1)
        path = path.lstrip("/")
        if what == "whiteout":
            d, b = os.path.split(path)
            info = tarfile.TarInfo(os.path.join(d, ".wh." + b))
            t.addfile(info, io.BytesIO(b""))
            continue
        parts = what.split(":")
        if parts[0].startswith("-"):
            data = existing(path)
            mode = int(parts[0][1:], 8)
        else:
            data = open(parts[0], "rb").read()
            mode = int(parts[1], 8) if len(parts) > 1 else 0o644
        info = tarfile.TarInfo(path)
        info.size, info.mode = len(data), mode
        uid = int(parts[-1]) if len(parts) > (1 if parts[0].startswith("-") else 2) else 0
        info.uid = info.gid = uid
        t.addfile(info, io.BytesIO(data))
tar = raw.getvalue()
diff_id = "sha256:" + hashlib.sha256(tar).hexdigest()
ldigest, lsize = put(gzip.compress(tar, mtime=0))
manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                           "digest": ldigest, "size": lsize})
config["rootfs"]["diff_ids"].append(diff_id)
config.setdefault("history", []).append({"created_by": "oci_add_layer.py"})
cdigest, csize = put(json.dumps(config).encode())
manifest["config"]["digest"], manifest["config"]["size"] = cdigest, csize
mdigest, msize = put(json.dumps(manifest).encode())
mdesc["digest"], mdesc["size"] = mdigest, msize
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump(index, f)
