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
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

import devnode

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(os.environ.get("RC_COMPAT_CACHE", os.path.expanduser("~/.cache/rowchain/compat")))


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


    def results(self, env, only, logs):
        """test -> None when it passes, else a one-line summary (diffs go to logs)."""
        return {test: self.run(test, env, logs) for test in self.tests(only)}

class SqlalchemySuite:
    """SQLAlchemy's dialect compliance suite (test/dialect/test_suite.py from
    its sdist), run with pytest and --dburi pointing at rowchain. Tests that
    SQLAlchemy itself skips for PostgreSQL count as neither run nor failed."""

    name = "sqlalchemy"
    directory = os.path.join(HERE, "suites", "sqlalchemy")
    release = "2.0.58"
    sdist_sha256 = "2acdcec9836b7c1514a9ad426e7731669a1186d96481a2e82c50bf2aebb49061"

    def version(self):
        return f"SQLAlchemy {self.release} (psycopg2 2.9.13)"

    def prepare(self):
        """The pinned tools in a venv and the unpacked sdist, both cached."""
        venv = os.path.join(CACHE, "sqlalchemy-venv")
        python = os.path.join(venv, "bin", "python")
        if not os.path.exists(python):
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                        os.path.join(self.directory, "requirements.txt")], check=True)
        source = os.path.join(CACHE, f"sqlalchemy-{self.release}")
        if not os.path.isdir(source):
            downloads = tempfile.mkdtemp(prefix="rowchain-sdist-")
            subprocess.run([python, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
                            "--no-binary", ":all:", "-d", downloads, f"sqlalchemy=={self.release}"], check=True)
            (sdist,) = os.listdir(downloads)
            with open(os.path.join(downloads, sdist), "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            if digest != self.sdist_sha256:
                sys.exit(f"run: {sdist} has sha256 {digest}, expected {self.sdist_sha256}")
            with tarfile.open(os.path.join(downloads, sdist)) as tar:
                tar.extractall(CACHE, filter="data")
            shutil.rmtree(downloads)
        return python, source

    def record(self, test, env):
        sys.exit("run: the sqlalchemy suite has no recorded outputs; it checks its own results")

    def results(self, env, only, logs):
        python, source = self.prepare()
        out = os.path.join(logs, "sqlalchemy-results.json")
        url = "postgresql+psycopg2://{PGUSER}:{PGPASSWORD}@{PGHOST}:{PGPORT}/{PGDATABASE}".format(**env)
        selection = ["-k", " or ".join(sorted(only))] if only else []
        with open(os.path.join(logs, "sqlalchemy-pytest.log"), "w") as log:
            subprocess.run([python, "-m", "pytest", "-p", "rowchain_plugin", "-p", "no:cacheprovider", "-q", "--maxfail=1000000",
                            "--tb=short", "--dburi", url, "test/dialect/test_suite.py"] + selection,
                           cwd=source, stdout=log, stderr=subprocess.STDOUT,
                           env=dict(env, PYTHONPATH=self.directory, RC_SQLA_RESULTS=out), timeout=3600)
        try:
            with open(out) as f:
                outcomes = json.load(f)
        except FileNotFoundError:
            sys.exit(f"run: pytest wrote no results; see {log.name}")
        return {t: (None if o == "passed" else o) for t, o in outcomes.items() if o != "skipped"}


SUITES = {s.name: s for s in [PsqlSuite(), SqlalchemySuite()]}


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
    for s in args.suites:
        suite = SUITES[s]
        # each suite gets its own fresh node, so no suite sees another one's tables
        with devnode.rowchain(args.bin, "compat") as env:
            expected = expectations(os.path.join(suite.directory, "expected-failures.txt"))
            passed = failed_expected = 0
            surprises = []
            results = suite.results(env, only, logs)
            for test, problem in sorted(results.items()):
                if problem is None and test in expected:
                    surprises.append(f"{s}/{test}: passed, but is listed as expected to fail ({expected[test]})")
                elif problem is None:
                    passed += 1
                elif test in expected:
                    failed_expected += 1
                else:
                    surprises.append(f"{s}/{test}: {problem}")
                if problem is not None or len(results) < 100:
                    print(f"run: {'ok  ' if problem is None else 'FAIL'} {s}/{test}" + (f" ({problem})" if problem else ""), flush=True)
            if not only:
                surprises += [f"{s}/{test}: listed as expected to fail, but did not run" for test in expected if test not in results]
            rows.append((s, suite.version(), len(results), passed, failed_expected, len(surprises)))
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
