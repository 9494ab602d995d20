"""The compatibility scorecard: test suites run unchanged against rowchain.

Run through compat/run. Each suite's tests run against a fresh `rowchain dev`
(or, with --record, against the machine's PostgreSQL to record what a real
server answers). Every test that fails must be listed, with a one-line
reason, in the suite's expectations file; the run fails on any unexpected
failure and on any unexpected pass, so the list can only shrink honestly.
Writes compat/SCORECARD.md.
"""

import argparse
import difflib
import os
import subprocess
import sys
import tempfile

import devnode

HERE = os.path.dirname(os.path.abspath(__file__))


def expectations(path):
    """name -> reason, from `name  # reason` lines."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition("#")
            if not reason.strip():
                sys.exit(f"run: {path}:{n}: every expected failure needs a reason after '#'")
            out[name.strip()] = reason.strip()
    return out


class PsqlSuite:
    """Our psql scripts: each script's output (psql -a, errors as SQLSTATEs)
    must equal what the machine's PostgreSQL printed for it."""

    name = "psql"
    directory = os.path.join(HERE, "suites", "psql")

    def version(self):
        out = subprocess.run(["psql", "--version"], text=True, capture_output=True)
        return out.stdout.strip()

    def tests(self, only):
        names = sorted(f[:-4] for f in os.listdir(self.directory) if f.endswith(".sql"))
        return [n for n in names if not only or n in only]

    def output(self, test, env):
        with open(os.path.join(self.directory, test + ".sql")) as script:
            run = subprocess.run(
                ["psql", "-X", "-a", "-q", "-v", "VERBOSITY=sqlstate", "-v", "ON_ERROR_STOP=0", "-P", "pager=off", "-f", "-"],
                stdin=script, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        return run.stdout

    def expected_path(self, test):
        return os.path.join(self.directory, "expected", test + ".out")

    def record(self, test, env):
        with open(self.expected_path(test), "w") as f:
            f.write(self.output(test, env))

    def run(self, test, env, logs):
        """None when the test passes, else a one-line summary (the diff goes to logs)."""
        try:
            with open(self.expected_path(test)) as f:
                expected = f.read()
        except FileNotFoundError:
            return "no recorded output (compat/run --record psql)"
        actual = self.output(test, env)
        if actual == expected:
            return None
        diff = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), "postgres", "rowchain", lineterm=""))
        with open(os.path.join(logs, f"psql-{test}.diff"), "w") as f:
            f.write("\n".join(diff) + "\n")
        first = next((l for l in diff[2:] if l.startswith(("-", "+"))), "")
        return f"output differs: {first[:100]}"


SUITES = {s.name: s for s in [PsqlSuite()]}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True)
    p.add_argument("--record", action="store_true", help="record the outputs of the machine's PostgreSQL instead")
    p.add_argument("--only", default="", help="comma-separated test names")
    p.add_argument("--out", default=os.path.join(HERE, "SCORECARD.md"))
    p.add_argument("suites", nargs="*", default=list(SUITES))
    args = p.parse_args()
    for s in args.suites:
        if s not in SUITES:
            sys.exit(f"run: unknown suite {s!r}; known: {', '.join(SUITES)}")
    only = set(filter(None, args.only.split(",")))

    if args.record:
        with devnode.postgres_scratch("compat") as env:
            for s in args.suites:
                for test in SUITES[s].tests(only):
                    SUITES[s].record(test, env)
                    print(f"run: recorded {s}/{test} from PostgreSQL")
        return 0

    logs = tempfile.mkdtemp(prefix="rowchain-compat-logs-")
    rows, unexpected = [], []
    with devnode.rowchain(args.bin, "compat") as env:
        for s in args.suites:
            suite = SUITES[s]
            expected = expectations(os.path.join(suite.directory, "expected-failures.txt"))
            passed = failed_expected = 0
            surprises = []
            for test in suite.tests(only):
                problem = suite.run(test, env, logs)
                if problem is None and test in expected:
                    surprises.append(f"{s}/{test}: passed, but is listed as expected to fail ({expected[test]})")
                elif problem is None:
                    passed += 1
                elif test in expected:
                    failed_expected += 1
                else:
                    surprises.append(f"{s}/{test}: {problem}")
                print(f"run: {'ok  ' if problem is None else 'FAIL'} {s}/{test}" + (f" ({problem})" if problem else ""), flush=True)
            total = len(suite.tests(only))
            rows.append((s, suite.version(), total, passed, failed_expected, len(surprises)))
            unexpected += surprises

    lines = [
        "# Compatibility scorecard",
        "",
        "Written by `compat/run`; each suite runs unchanged against a fresh `rowchain dev`.",
        "Expected failures are listed, with reasons, in each suite's `expected-failures.txt`.",
        "",
        "| suite | version | tests run | passed | expected failures | unexpected results |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {s} | {v} | {t} | {p} | {e} | {u} |" for s, v, t, p, e, u in rows]
    if unexpected:
        lines += ["", "Unexpected results:", ""] + [f"- {u}" for u in unexpected]
    if not only:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")
    print("\n".join(lines[5:]))
    print(f"run: diffs in {logs}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
