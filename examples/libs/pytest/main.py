"""pytest: run the tests beside this file programmatically and report the outcomes."""
import contextlib
import io
import os
import sys

import pytest

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))


class Collect:
    def __init__(self):
        self.results = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or report.outcome != "passed":
            self.results.append((report.nodeid, report.when, report.outcome))


collect = Collect()
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--rootdir", here,
                        os.path.join(here, "test_sample.py")], plugins=[collect])
print("exit", int(code))
for r in collect.results:
    print(*r)
print("assertion rewriting shown:", "assert 3 == 4" in out.getvalue())
