"""pytest plugin that compat/run loads beside SQLAlchemy's own test plugin
for the mysql-sqlalchemy suite (mysql+pymysql).

It changes none of the suite's tests and no provisioning: it only writes each
test's outcome to the JSON file named by RC_SQLA_RESULTS:
{test id: "passed" | "skipped" | "failed: <first line>" | "error: <first line>"}.
A test id is pytest's node id without the backend suffix that SQLAlchemy
appends to class names (ComponentReflectionTest_mariadb+pymysql_10_11_19 is
ComponentReflectionTest), so ids do not change with the server or its version.
"""

import json
import os
import re

_results = {}


def test_id(nodeid):
    parts = nodeid.split("::", 2)  # a parameter may itself hold "::" (DifficultParametersTest's "more :: %colons%")
    if len(parts) == 3:
        parts[-2] = re.sub(r"_(mysql|mariadb)\+\S*$", "", parts[-2])
    return "::".join(parts[1:]) if len(parts) > 1 else nodeid


def _first_line(report):
    text = str(report.longrepr) if report.longrepr is not None else ""
    lines = [l for l in text.splitlines() if l.startswith("E ")]
    line = lines[0][1:].strip() if lines else (text.strip().splitlines() or [""])[-1]
    return line[:200]


def pytest_runtest_logreport(report):
    tid = test_id(report.nodeid)
    if report.when == "call":
        if report.passed:
            _results.setdefault(tid, "passed")
        elif report.skipped:
            _results[tid] = "skipped"
        else:
            _results[tid] = "failed: " + _first_line(report)
    elif report.skipped:
        _results[tid] = "skipped"
    elif report.failed:
        # setup or teardown: the test did not get a fair run
        if not _results.get(tid, "").startswith(("failed", "error")):
            _results[tid] = "error: " + _first_line(report)


def pytest_sessionfinish(session):
    path = os.environ.get("RC_SQLA_RESULTS")
    if path:
        with open(path, "w") as f:
            json.dump(_results, f, indent=0, sort_keys=True)
