"""The same work on every Debian release: a data file found through __file__, json, sqlite3,
datetime, hashlib (OpenSSL's and the builtin ones), ssl with the release's libssl, the locale."""
import datetime
import hashlib
import json
import locale
import os
import sqlite3
import ssl
import sys

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "data.json"), encoding="utf-8") as f:
    data = json.load(f)

db = sqlite3.connect(":memory:")
db.execute("create table fruit (name text primary key, n integer)")
db.executemany("insert into fruit values (?, ?)", sorted(data["counts"].items()))
total, top = db.execute("select sum(n), (select name from fruit order by n desc limit 1) from fruit").fetchone()

day = datetime.date.fromisoformat(data["date"]) + datetime.timedelta(days=data["days"])
ctx = ssl.create_default_context()

print(json.dumps({
    "locale": locale.setlocale(locale.LC_ALL, ""),
    "encoding": sys.stdout.encoding,
    "sha256": hashlib.sha256(data["text"].encode("utf-8")).hexdigest(),
    "blake2b": hashlib.blake2b(b"distill", digest_size=8).hexdigest(),
    "sqlite": [total, top],
    "day": [day.isoformat(), day.strftime("%A"), day.isocalendar()[1]],
    "tls": [ctx.verify_mode == ssl.CERT_REQUIRED, ctx.check_hostname,
            ssl.OPENSSL_VERSION.split()[0]],
}, sort_keys=True))
print(data["text"].upper())
