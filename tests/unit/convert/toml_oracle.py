#!/usr/bin/python3.11
"""Reference output for test_toml: what Python's own tomllib makes of TOML documents, as JSON by
the fixed rule of include/distill/convert/toml.h. Usage: toml_oracle.py FILE...

Prints one line per FILE, in order:
  OK <json>     the document as JSON (ASCII, one line)
  RANGE         tomllib accepted it but an integer is outside the 64-bit range (distill refuses)
  ERROR <text>  tomllib refused it (or it is not UTF-8)
The rule for what JSON lacks: a datetime is its isoformat() with a zero offset written "Z"; a
date or time is its isoformat(); an infinite float is "inf" or "-inf", NaN is "nan"."""
import datetime
import json
import math
import sys
import tomllib


class OutOfRange(Exception):
    pass


def convert(v):
    if isinstance(v, bool) or isinstance(v, str):
        return v
    if isinstance(v, int):
        if not -(2**63) <= v < 2**63:
            raise OutOfRange()
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(v, datetime.datetime):
        s = v.isoformat()
        if v.utcoffset() == datetime.timedelta(0):
            s = s[: -len("+00:00")] + "Z"
        return s
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: convert(x) for k, x in v.items()}
    if isinstance(v, list):
        return [convert(x) for x in v]
    raise TypeError(type(v))


def main():
    for path in sys.argv[1:]:
        try:
            with open(path, "rb") as f:
                doc = tomllib.load(f)
            print("OK " + json.dumps(convert(doc), ensure_ascii=True))
        except OutOfRange:
            print("RANGE")
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            print("ERROR " + " ".join(str(e).split()))


main()
