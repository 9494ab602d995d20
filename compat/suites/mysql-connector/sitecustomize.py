"""Loaded (through PYTHONPATH) by the Python that compat/run starts for
mysql-connector-python's own runner, unittests.py.

It changes none of the suite's tests and none of the runner's options: it
only records each test's outcome, as unittest reports it, to the JSON file
named by RC_CONNECTOR_RESULTS when the runner exits:
{test id: "passed" | "skipped" | "failed: <last line>" | "error: <last line>"}.
A test id is unittest's id() without the leading "tests." (a class whose
setUpClass failed is "setUpClass (test_x.Class)"). Other processes that
inherit PYTHONPATH (the runner's `setup.py install`) write nothing.
"""

import atexit
import json
import os
import sys
import traceback
import unittest.result

_path = os.environ.get("RC_CONNECTOR_RESULTS")
_results = {}


def _id(test):
    tid = test.id()
    return tid.replace("(tests.", "(")[len("tests."):] if tid.startswith("tests.") else tid.replace("(tests.", "(")


def _last_line(err):
    exc_type, value, _ = err
    lines = [l.strip() for l in "".join(traceback.format_exception_only(exc_type, value)).splitlines() if l.strip()]
    return (" ".join(lines) if len(lines) <= 2 else lines[-1])[:200]


def _wrap(name, outcome):
    original = getattr(unittest.result.TestResult, name)

    def method(self, test, *args):
        tid = _id(test)
        if outcome == "passed":
            _results.setdefault(tid, "passed")
        elif outcome == "skipped":
            _results[tid] = "skipped"
        elif outcome == "subtest":
            if args[1] is not None:  # a failed subtest fails its test
                kind = "failed" if issubclass(args[1][0], test.failureException) else "error"
                tid = _id(test.test_case)
                if not _results.get(tid, "").startswith(("failed", "error")):
                    _results[tid] = f"{kind}: {_last_line(args[1])}"
        elif outcome == "unexpected success":
            _results[tid] = "failed: unexpected success"
        elif outcome == "expected failure":
            _results.setdefault(tid, "passed")
        else:
            if not _results.get(tid, "").startswith(("failed", "error")) or _results.get(tid) == "passed":
                _results[tid] = f"{outcome}: {_last_line(args[0])}"
        return original(self, test, *args)

    setattr(unittest.result.TestResult, name, method)


if _path and sys.argv and os.path.basename(sys.argv[0]) == "unittests.py":
    for _name, _outcome in [("addSuccess", "passed"), ("addSkip", "skipped"), ("addFailure", "failed"),
                            ("addError", "error"), ("addSubTest", "subtest"),
                            ("addExpectedFailure", "expected failure"),
                            ("addUnexpectedSuccess", "unexpected success")]:
        _wrap(_name, _outcome)

    @atexit.register
    def _write():
        with open(_path, "w") as f:
            json.dump(_results, f, indent=0, sort_keys=True)
