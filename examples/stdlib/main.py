"""A standard-library smoke app: TLS trust store, sqlite3, hashlib, json, zlib, lzma, decimal,
and proof that the image has no shell."""
import decimal
import hashlib
import json
import lzma
import os
import sqlite3
import ssl
import subprocess
import zlib

ctx = ssl.create_default_context()
ca_count = ctx.cert_store_stats()["x509_ca"]

con = sqlite3.connect(":memory:")
con.execute("create table t (x integer)")
con.executemany("insert into t values (?)", [(i,) for i in range(10)])
total = con.execute("select sum(x) from t").fetchone()[0]

try:
    subprocess.run("true", shell=True)
    shell = "present"
except FileNotFoundError:
    shell = "FileNotFoundError"

print(json.dumps({
    "ca_certificates": ca_count,
    "sqlite_sum": total,
    "sha256": hashlib.sha256(b"distill").hexdigest(),
    "zlib": len(zlib.decompress(zlib.compress(b"z" * 1000))),
    "lzma": len(lzma.decompress(lzma.compress(b"l" * 1000))),
    "decimal": str(decimal.Decimal("1.10") + decimal.Decimal("2.20")),
    "shell": shell,
    "uid": os.getuid(),
    "gid": os.getgid(),
}, sort_keys=True))
