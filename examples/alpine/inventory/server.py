"""The inventory service: Flask over werkzeug's server, items from a YAML file next to this
module (found through __file__, as packages find their data)."""
import os
import pathlib

import yaml
from flask import Flask, jsonify

app = Flask(__name__)
DATA = pathlib.Path(__file__).resolve().parent / "data" / "items.yaml"


def load_items():
    with DATA.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@app.route("/health")
def health():
    return "ok"


@app.route("/items")
def items():
    rows = load_items()
    return jsonify(items=rows, in_stock=sorted(r["name"] for r in rows if r["stock"] > 0))


@app.route("/whoami")
def whoami():
    return jsonify(uid=os.getuid(), gid=os.getgid(), cwd=os.getcwd(),
                   greeting=os.environ.get("INVENTORY_GREETING"),
                   unbuffered=os.environ.get("PYTHONUNBUFFERED"))


def main():
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))


if __name__ == "__main__":
    main()
