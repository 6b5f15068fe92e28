"""A standard-library tour: one line per feature, each deterministic, so the output on the build
host and inside the image can be compared byte for byte. Several imports sit inside functions, as
real code often has them (distill's `imports: deep` follows them in library code; this is app code,
where every import at every level is followed)."""
import asyncio
import bz2
import csv
import ctypes
import datetime
import decimal
import email.message
import http.client
import io
import json
import locale
import lzma
import multiprocessing
import os
import sqlite3
import ssl
import tempfile
import uuid
import xml.etree.ElementTree as ET
import zoneinfo


def square(x):
    return x * x


def check_ssl():
    ctx = ssl.create_default_context()
    return "ssl: default context verifies=%s, more than 50 CA certificates=%s" % (
        ctx.verify_mode == ssl.CERT_REQUIRED, ctx.cert_store_stats()["x509_ca"] > 50)


def check_sqlite3():
    con = sqlite3.connect(":memory:")
    con.execute("create table t (x integer, name text)")
    con.executemany("insert into t values (?, ?)", [(i, "n%d" % i) for i in range(10)])
    total, names = con.execute("select sum(x), group_concat(name, ',') from t").fetchone()
    return "sqlite3: sum=%d names=%s" % (total, names)


def check_zoneinfo():
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    summer = datetime.datetime(2024, 7, 14, 12, 0, tzinfo=paris)
    winter = datetime.datetime(2024, 1, 1, 12, 0, tzinfo=paris)
    return "zoneinfo: Europe/Paris %s in July (%s), %s in January (%s)" % (
        summer.utcoffset(), summer.tzname(), winter.utcoffset(), winter.tzname())


def check_decimal():
    decimal.getcontext().prec = 30
    return "decimal: 1/7 = %s, 1.10 + 2.20 = %s" % (
        decimal.Decimal(1) / decimal.Decimal(7), decimal.Decimal("1.10") + decimal.Decimal("2.20"))


def check_lzma():
    data = b"distill " * 1000
    packed = lzma.compress(data)
    return "lzma: %d bytes round-trip ok=%s" % (len(data), lzma.decompress(packed) == data)


def check_bz2():
    data = b"distill " * 1000
    packed = bz2.compress(data)
    return "bz2: %d bytes round-trip ok=%s" % (len(data), bz2.decompress(packed) == data)


def check_uuid():
    return "uuid: uuid5(NAMESPACE_DNS, 'distill.example') = %s" % uuid.uuid5(
        uuid.NAMESPACE_DNS, "distill.example")


def check_ctypes():
    libc = ctypes.CDLL("libc.so.6")
    return "ctypes: libc abs(-5) = %d" % libc.abs(-5)


def check_multiprocessing():
    with multiprocessing.Pool(2) as pool:
        return "multiprocessing: Pool(2).map(square, 1..5) = %s" % pool.map(square, [1, 2, 3, 4, 5])


async def double_later(x):
    await asyncio.sleep(0)
    return 2 * x


async def gather_doubles():
    return await asyncio.gather(*(double_later(x) for x in range(4)))


def check_asyncio():
    return "asyncio: gather = %s" % asyncio.run(gather_doubles())


def check_locale():
    return "locale: setlocale(LC_ALL, 'C.UTF-8') = %s, preferred encoding %s" % (
        locale.setlocale(locale.LC_ALL, "C.UTF-8"), locale.getpreferredencoding(False))


def check_xml():
    root = ET.fromstring('<config><item key="a">1</item><item key="b">2</item></config>')
    root.append(ET.Element("item", key="c"))
    root[-1].text = "3"
    keys = ",".join(i.get("key") + "=" + i.text for i in root.iter("item"))
    return "xml: %s -> %s" % (keys, ET.tostring(root, encoding="unicode"))


def check_archive():
    import shutil
    import tarfile

    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        tree = os.path.join(tmp, "tree")
        os.makedirs(os.path.join(tree, "sub"))
        with open(os.path.join(tree, "a.txt"), "w") as f:
            f.write("alpha\n")
        with open(os.path.join(tree, "sub", "b.txt"), "w") as f:
            f.write("beta\n")
        archive = shutil.make_archive(os.path.join(tmp, "x"), "gztar", tree)
        with tarfile.open(archive) as tar:
            names = sorted(m.name for m in tar.getmembers())
            content = tar.extractfile("./sub/b.txt").read().decode()
        return "shutil+tarfile: %s members %s, sub/b.txt=%r" % (
            os.path.basename(archive), names, content)


def check_csv():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "quote"])
    writer.writerow(["distill", 'says "hi", twice'])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    return "csv: %r -> %r" % (out.getvalue(), rows)


def check_email():
    msg = email.message.EmailMessage()
    msg["From"] = "distill <distill@example.invalid>"
    msg["To"] = "you@example.invalid"
    msg["Subject"] = "Grüße"
    msg.set_content("small images\n")
    return "email: %r" % msg.as_string()


def check_http_client():
    conn = http.client.HTTPConnection("example.invalid", 8080, timeout=5)
    return "http.client: HTTPConnection host=%s port=%d timeout=%s (not connected)" % (
        conn.host, conn.port, conn.timeout)


def check_json():
    doc = {"name": "distill", "sizes": [1, 2.5, None], "ok": True, "nested": {"é": "ü"}}
    text = json.dumps(doc, sort_keys=True)
    return "json: %s round-trip ok=%s" % (text, json.loads(text) == doc)


def main():
    for check in (check_ssl, check_sqlite3, check_zoneinfo, check_decimal, check_lzma, check_bz2,
                  check_uuid, check_ctypes, check_multiprocessing, check_asyncio, check_locale,
                  check_xml, check_archive, check_csv, check_email, check_http_client, check_json):
        print(check(), flush=True)


if __name__ == "__main__":
    main()
