"""A Flask app (Debian's python3-flask) exercised through its test client, without a server: one
route renders templates/hello.html, one returns JSON. The output is deterministic.

With DISTILL_BENCH=1 in the environment it also prints, on stderr, the moment the first request
has been served, as CLOCK_MONOTONIC seconds (scripts/bench subtracts the moment it let the
process start) and as seconds since the process's start time in /proc/self/stat (a 10 ms tick)."""
import os
import sys
import time

from flask import Flask, jsonify, render_template

app = Flask(__name__)


@app.route("/hello/<name>")
def hello(name):
    return render_template("hello.html", name=name, items=["small", "distroless", "python"])


@app.route("/api/sizes")
def sizes():
    return jsonify(image="distill", layers=[{"name": "runtime", "mb": 12.5}, {"name": "app", "mb": 0.01}])


def since_process_start():
    """Seconds since the kernel started this process (fork time, in clock ticks since boot)."""
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    start_ticks = int(fields[19])  # field 22 (starttime); fields[0] is field 3 (state)
    return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")


def main():
    client = app.test_client()
    first = client.get("/hello/distill")
    if os.environ.get("DISTILL_BENCH") == "1":
        print("bench monotonic=%.6f since_start=%.6f"
              % (time.clock_gettime(time.CLOCK_MONOTONIC), since_process_start()), file=sys.stderr)
    for resp in (first, client.get("/api/sizes"), client.get("/missing")):
        print(resp.status, resp.mimetype)
        print(resp.get_data(as_text=True).rstrip("\n"))


if __name__ == "__main__":
    main()
