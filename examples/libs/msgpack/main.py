"""msgpack: pack and unpack with the C extension, ext types and timestamps."""
import datetime

import msgpack

data = {"name": "distill", "n": [1, 2.5, None, True], "blob": b"\x00\x01", "nested": {"k": -7}}
packed = msgpack.packb(data)
print(packed.hex())
print(msgpack.unpackb(packed) == data)
ts = msgpack.packb(datetime.datetime(2023, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
                   datetime=True)
print(ts.hex(), msgpack.unpackb(ts, timestamp=3))
print(msgpack.unpackb(msgpack.packb(msgpack.ExtType(42, b"xyz"))))
unpacker = msgpack.Unpacker()
unpacker.feed(msgpack.packb([1, 2]) + msgpack.packb("three"))
print(list(unpacker))
try:
    msgpack.unpackb(b"\x92\x01")
except Exception as e:
    print(type(e).__name__, e)
print(msgpack.Packer.__module__, msgpack.Unpacker.__module__)
