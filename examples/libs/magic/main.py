"""python-magic: identify data with libmagic and its compiled magic database."""
import gzip
import io
import zipfile

import magic

samples = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00",
    "gzip": gzip.compress(b"hello", mtime=0),
    "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    "script": b"#!/bin/sh\necho hi\n",
    "utf8": "Grüße, ça va?\n".encode(),
}
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr(zipfile.ZipInfo("a.txt", (1980, 1, 1, 0, 0, 0)), "a")
samples["zip"] = buf.getvalue()
for name, data in samples.items():
    print(name, "|", magic.from_buffer(data), "|", magic.from_buffer(data, mime=True))
m = magic.Magic(mime_encoding=True)
print(m.from_buffer("plain ascii\n".encode()), m.from_buffer("日本語\n".encode("utf-8")))
