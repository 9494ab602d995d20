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
import contextlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

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

    venv = "sqlalchemy-venv"

    def prepare(self):
        """The pinned tools in a venv and the unpacked sdist, both cached."""
        venv = os.path.join(CACHE, self.venv)
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
            # The suite's cross-schema tests want these schemas, which
            # SQLAlchemy's docs ask the tester to create. A scratch
            # database on PostgreSQL is dropped after the run; a dev
            # chain is thrown away.
            for schema in ["test_schema", "test_schema_2"]:
                problem = pg_execute(python, env, [f"CREATE SCHEMA IF NOT EXISTS {schema}"])
                if problem:
                    print(f"run: {self.name}: {problem}", file=log, flush=True)
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


def pg_execute(python, env, statements):
    """Runs statements through psycopg2 (from `python`'s venv) on the
    PostgreSQL target in env; returns None, or the error of the first that
    failed."""
    return driver_execute(python, env, statements, """
import os, psycopg2
c = psycopg2.connect(host=os.environ["PGHOST"], port=int(os.environ["PGPORT"]), user=os.environ["PGUSER"],
                     password=os.environ.get("PGPASSWORD"), dbname=os.environ["PGDATABASE"])
c.autocommit = True
errors = psycopg2.Error
""")


def mysql_execute(python, env, statements):
    """Runs statements through PyMySQL (from `python`'s venv) on the MySQL
    target in env; returns None, or the error of the first that failed."""
    return driver_execute(python, env, statements, """
import os, pymysql
c = pymysql.connect(host=os.environ["MYSQL_HOST"], port=int(os.environ["MYSQL_PORT"]), user=os.environ["MYSQL_USER"],
                    password=os.environ["MYSQL_PASSWORD"], autocommit=True)
errors = pymysql.MySQLError
""")


def driver_execute(python, env, statements, connect):
    """Runs statements on the connection `connect` (Python source that sets
    `c` and `errors`) opens in `python`; returns None, or the error of the
    first that failed."""
    script = connect + """
import sys
for s in sys.argv[1:]:
    try:
        c.cursor().execute(s)
    except errors as e:
        sys.exit(f"{s}: {e}")
"""
    run = subprocess.run([python, "-c", script] + statements, env=env, capture_output=True, text=True)
    return None if run.returncode == 0 else (run.stderr.strip().splitlines() or ["failed"])[-1]


class MysqlSqlalchemySuite(SqlalchemySuite):
    """SQLAlchemy's dialect compliance suite again, over MySQL's wire:
    mysql+pymysql with --dburi pointing at rowchain's MySQL port (or, with
    --baseline, at a scratch database on the machine's MariaDB). Without
    pytest-xdist SQLAlchemy's MySQL provisioning creates nothing, and the
    suite's cross-schema tests want the databases test_schema and
    test_schema_2 (a MySQL schema is a database): the runner creates them
    before pytest starts (and drops them after on MariaDB). On a server that
    refuses CREATE DATABASE the run goes on and those tests fail. Tests that
    SQLAlchemy itself skips for the server count as neither run nor failed."""

    name = "mysql-sqlalchemy"
    directory = os.path.join(HERE, "suites", "mysql-sqlalchemy")
    venv = "mysql-sqlalchemy-venv"
    baseline = "mariadb"
    schemas = ["test_schema", "test_schema_2"]

    def version(self):
        return f"SQLAlchemy {self.release} (PyMySQL 1.2.4)"

    def results(self, env, only, logs):
        python, source = self.prepare()
        out = os.path.join(logs, f"{self.name}-results.json")
        created = []
        with open(os.path.join(logs, f"{self.name}-pytest.log"), "w") as log:
            for schema in self.schemas:
                problem = mysql_execute(python, env, [f"CREATE DATABASE {schema} CHARACTER SET utf8mb4"])
                if problem:
                    print(f"run: {self.name}: {problem}", file=log, flush=True)
                else:
                    created.append(schema)
            url = "mysql+pymysql://{MYSQL_USER}:{MYSQL_PASSWORD}@{MYSQL_HOST}:{MYSQL_PORT}/{MYSQL_DATABASE}?charset=utf8mb4".format(**env)
            selection = ["-k", " or ".join(sorted(only))] if only else []
            try:
                subprocess.run([python, "-m", "pytest", "-p", "rowchain_plugin", "-p", "no:cacheprovider", "-q",
                                "--maxfail=1000000", "--tb=short", "--dburi", url, "test/dialect/test_suite.py"] + selection,
                               cwd=source, stdout=log, stderr=subprocess.STDOUT,
                               env=dict(env, PYTHONPATH=self.directory, RC_SQLA_RESULTS=out), timeout=3600)
            finally:
                if env.get("RC_SCRATCH_SERVER") == "mariadb":
                    mysql_execute(python, env, [f"DROP DATABASE IF EXISTS {schema}" for schema in created])
        try:
            with open(out) as f:
                outcomes = json.load(f)
        except FileNotFoundError:
            sys.exit(f"run: pytest wrote no results; see {log.name}")
        return {t: (None if o == "passed" else o) for t, o in outcomes.items() if o != "skipped"}


class MysqlConnectorSuite:
    """mysql-connector-python's own test suite (unittests.py and tests/ from
    its sdist), run by its own runner with --use-external-server against
    rowchain's MySQL port (or, with --baseline, the machine's MariaDB). The
    runner installs the pure-Python connector from the sdist into the sdist's
    build/testing (the C extension needs MySQL's C API, which Debian does not
    ship, so its tests skip themselves) and works in a database it drops and
    creates itself, `myconnpy`. A sitecustomize module records each test's
    outcome; tests the suite skips count as neither run nor failed."""

    name = "mysql-connector"
    directory = os.path.join(HERE, "suites", "mysql-connector")
    release = "9.7.0"
    sdist_sha256 = "933887e71c871b6e9d8908459fe8303ebcf8feb5cc1e1c49caa6490e525cf78e"
    baseline = "mariadb"

    def version(self):
        return f"mysql-connector-python {self.release} (pure Python)"

    def record(self, test, env):
        sys.exit("run: the mysql-connector suite has no recorded outputs; it checks its own results")

    def prepare(self):
        venv = os.path.join(CACHE, "mysql-connector-venv")
        python = os.path.join(venv, "bin", "python")
        if not os.path.exists(python):
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                        os.path.join(self.directory, "requirements.txt")], check=True)
        source = os.path.join(CACHE, f"mysql_connector_python-{self.release}")
        if not os.path.isdir(source):
            downloads = tempfile.mkdtemp(prefix="rowchain-sdist-")
            subprocess.run([python, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
                            "--no-binary", ":all:", "-d", downloads, f"mysql-connector-python=={self.release}"], check=True)
            (sdist,) = os.listdir(downloads)
            with open(os.path.join(downloads, sdist), "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            if digest != self.sdist_sha256:
                sys.exit(f"run: {sdist} has sha256 {digest}, expected {self.sdist_sha256}")
            with tarfile.open(os.path.join(downloads, sdist)) as tar:
                tar.extractall(CACHE, filter="data")
            shutil.rmtree(downloads)
        return python, source

    def results(self, env, only, logs):
        python, source = self.prepare()
        out = os.path.join(logs, f"{self.name}-results.json")
        if os.path.exists(out):
            os.unlink(out)
        # --only names test modules as the runner knows them (cursor, bugs, qa.test_qa_multi_statement, ...)
        selection = ["--test-regex", "^(" + "|".join(re.escape(m) for m in sorted(only)) + ")$"] if only else []
        with open(os.path.join(logs, f"{self.name}-unittests.log"), "w") as log:
            try:
                subprocess.run([python, "unittests.py", "--use-external-server", "--host", env["MYSQL_HOST"], "--port",
                                env["MYSQL_PORT"], "--user", env["MYSQL_USER"], "--password", env["MYSQL_PASSWORD"],
                                "--verbosity", "2"] + selection,
                               cwd=source, stdout=log, stderr=subprocess.STDOUT, timeout=3600,
                               env=dict(env, PYTHONPATH=self.directory, RC_CONNECTOR_RESULTS=out))
            except subprocess.TimeoutExpired:
                print("run: mysql-connector: unittests.py still running after an hour; stopped", file=log)
            finally:
                if env.get("RC_SCRATCH_SERVER") == "mariadb":
                    mariadb_cli(env, "DROP DATABASE IF EXISTS myconnpy")
        try:
            with open(out) as f:
                outcomes = json.load(f)
        except (FileNotFoundError, json.JSONDecodeError):
            outcomes = {}
        if not outcomes:
            # The runner stopped before any test (its setup drops and creates `myconnpy`, reads SHOW VARIABLES
            # and information_schema.ROUTINES): that counts as one failed test, named for the setup, with the
            # runner's error, so the expectations have to say so and the first run that gets further shows up.
            with open(log.name) as f:
                text = f.read()
            errors = re.findall(r"\[myconnpy_tests:ERROR\] (.*)", text)
            tail = [l.strip() for l in text.splitlines() if l.strip()][-1:]
            return {"unittests.py (runner setup)": "error: " + (errors[-1] if errors else " ".join(tail))[:200]}
        return {t: (None if o == "passed" else o) for t, o in outcomes.items() if o != "skipped"}


class TokioPostgresSuite:
    """The tokio-postgres crate's own integration tests (tests/test in its
    published source), built with every optional type feature and run
    against rowchain. The tests fix their server at 127.0.0.1:5433 and log in
    as postgres (trust), pass_user (password), md5_user (md5) and scram_user
    (SCRAM), all with password "password" but postgres: the node gets the
    same pg.hba as the crate's own test server and the runner creates the
    roles through rowchain's SQL. Tests the crate itself marks #[ignore]
    count as neither run nor failed."""

    name = "tokio-postgres"
    directory = os.path.join(HERE, "suites", "tokio-postgres")
    release = "0.7.18"
    # The .crate's sha256, as crates.io's index (and Cargo.lock) records it.
    checksum = "a528f7d280f6d5b9cd149635c8705b0dd049754bc67d81d31fa25169a93809d3"
    features = ["array-impls", "runtime", "with-bit-vec-0_6", "with-bit-vec-0_7", "with-bit-vec-0_8", "with-bit-vec-0_9",
                "with-chrono-0_4", "with-cidr-0_2", "with-cidr-0_3", "with-eui48-0_4", "with-eui48-1",
                "with-geo-types-0_6", "with-geo-types-0_7", "with-jiff-0_1", "with-jiff-0_2", "with-serde_json-1",
                "with-smol_str-01", "with-time-0_2", "with-time-0_3", "with-uuid-0_8", "with-uuid-1"]
    port = 5433
    hba = "".join(f'''
[[pg.hba]]
role = "{role}"
address = "{address}"
method = "{method}"
''' for role, address, method in [
        ("postgres", "127.0.0.1", "trust"), ("postgres", "::1", "trust"),
        ("pass_user", "all", "password"), ("md5_user", "all", "md5"), ("all", "all", "scram-sha-256")])
    roles = "CREATE ROLE postgres LOGIN PASSWORD 'postgres-is-trusted'; " + " ".join(
        f"CREATE ROLE {r} LOGIN PASSWORD 'password';" for r in ["pass_user", "md5_user", "scram_user"])
    # With no result line for this long, the tests still running are hung.
    stall_seconds = 120

    def node_options(self):
        return {"pg_port": self.port, "config": "[pg]\n" + self.hba}

    def version(self):
        return f"tokio-postgres {self.release}"

    def record(self, test, env):
        sys.exit("run: the tokio-postgres suite has no recorded outputs; it checks its own results")

    def source(self):
        """The crate's published source, unpacked by cargo from crates.io (which
        checks it against the index) into a writable copy in the cache."""
        source = os.path.join(CACHE, f"tokio-postgres-{self.release}")
        if os.path.isdir(source):
            return source
        scratch = tempfile.mkdtemp(prefix="rowchain-fetch-")
        os.makedirs(os.path.join(scratch, "src"))
        with open(os.path.join(scratch, "Cargo.toml"), "w") as f:
            f.write('[package]\nname = "rowchain-compat-fetch"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
                    f'[dependencies]\ntokio-postgres = "={self.release}"\n')
        open(os.path.join(scratch, "src", "lib.rs"), "w").close()
        meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "-q"], cwd=scratch, check=True,
                              capture_output=True, text=True).stdout
        with open(os.path.join(scratch, "Cargo.lock")) as f:
            lock = f.read()
        if f'name = "tokio-postgres"\nversion = "{self.release}"' not in lock or self.checksum not in lock:
            sys.exit(f"run: crates.io's tokio-postgres {self.release} does not have checksum {self.checksum}")
        (manifest,) = [p["manifest_path"] for p in json.loads(meta)["packages"] if p["name"] == "tokio-postgres"]
        shutil.rmtree(source + ".part", ignore_errors=True)
        shutil.copytree(os.path.dirname(manifest), source + ".part")
        os.rename(source + ".part", source)
        shutil.rmtree(scratch)
        return source

    def build(self, logs):
        """Builds the test binary with the crate's own Cargo.lock; returns its path."""
        source = self.source()
        env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(CACHE, "tokio-postgres-target"))
        env.setdefault("CARGO_BUILD_JOBS", "2")
        with open(os.path.join(logs, "tokio-postgres-build.log"), "w") as log:
            run = subprocess.run(["cargo", "test", "--locked", "--no-run", "--test", "test", "--message-format", "json",
                                  "--features", ",".join(self.features)],
                                 cwd=source, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        if run.returncode != 0:
            sys.exit(f"run: building tokio-postgres's tests failed; see {log.name}")
        for line in run.stdout.splitlines():
            msg = json.loads(line)
            if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "test" and msg.get("executable"):
                return msg["executable"]
        sys.exit("run: cargo built no tokio-postgres test binary")

    def results(self, env, only, logs):
        binary = self.build(logs)
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", self.roles], env=env, check=True)
        listed = subprocess.run([binary, "--list", "--format", "terse"], capture_output=True, text=True, check=True).stdout
        ignored = subprocess.run([binary, "--list", "--format", "terse", "--ignored"], capture_output=True, text=True,
                                 check=True).stdout
        names = [l[:-len(": test")] for l in listed.splitlines() if l.endswith(": test")]
        skip = {l[:-len(": test")] for l in ignored.splitlines() if l.endswith(": test")}
        selected = [n for n in names if n not in skip and (not only or n in only)]
        if not selected:
            return {}
        return run_libtest(binary, selected, os.path.join(logs, "tokio-postgres-tests.log"), self.stall_seconds)


def run_libtest(binary, tests, log_path, stall_seconds):
    """Runs the named tests of a Rust test binary; test -> None when it
    passed, else the first line of its panic. A test with no result once the
    output has been still for `stall_seconds` is reported as hung."""
    with open(log_path, "w") as log:
        proc = subprocess.Popen([binary, "--exact", "--test-threads", "4"] + tests, stdout=log, stderr=subprocess.STDOUT,
                                env=dict(os.environ, RUST_BACKTRACE="0"))
        size, still = -1, 0.0
        while proc.poll() is None:
            time.sleep(1)
            now = os.path.getsize(log_path)
            still = 0.0 if now != size else still + 1
            size = now
            if still >= stall_seconds:
                proc.kill()
                proc.wait()
                break
    with open(log_path) as f:
        text = f.read()
    outcome = {m.group(1): m.group(2) for m in re.finditer(r"^test (\S+) \.\.\. (ok|FAILED|ignored)$", text, re.M)}
    panics = {}
    for m in re.finditer(r"^---- (\S+) stdout ----\n(.*?)(?=^---- |^failures:$|\Z)", text, re.M | re.S):
        lines = [l for l in m.group(2).splitlines() if l.strip()]
        where = next((i for i, l in enumerate(lines) if " panicked at " in l), None)
        message = lines[where + 1] if where is not None and where + 1 < len(lines) else (lines[0] if lines else "")
        db = re.search(r'code: SqlState\((?:E)?(\w+)\), message: "((?:[^"\\]|\\.)*)"', m.group(2))
        if db:  # a server error unwrapped: its SQLSTATE and message say more than the Debug dump
            message = f"{db.group(1)} {db.group(2)}"
        panics[m.group(1)] = message.strip()[:160]
    results = {}
    for t in tests:
        o = outcome.get(t)
        if o == "ok":
            results[t] = None
        elif o == "FAILED":
            results[t] = f"failed: {panics.get(t, 'see the log')}"
        elif o is None:
            results[t] = f"no result: hung (output still for {stall_seconds} s)"
    return results


SUITES = {s.name: s for s in [PsqlSuite(), SqlalchemySuite(), TokioPostgresSuite(), MysqlSqlalchemySuite(),
                               MysqlConnectorSuite()]}


def mariadb_cli(env, sql):
    """Runs sql with the machine's mysql client on the MySQL target in env."""
    return subprocess.run(["mysql", "-h", env["MYSQL_HOST"], "-P", env["MYSQL_PORT"], "-u", env["MYSQL_USER"], "-N", "-B",
                           "-e", sql], env=dict(env, MYSQL_PWD=env["MYSQL_PASSWORD"]), capture_output=True, text=True)


@contextlib.contextmanager
def mariadb_scratch(tag):
    """Creates a scratch database (rc_<tag>_<random>) on the machine's MariaDB
    (MYSQL_HOST, MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD; default
    127.0.0.1:3306, root, no password), yields the environment that reaches
    it, and drops it after."""
    env = dict(os.environ)
    env.setdefault("MYSQL_HOST", "127.0.0.1")
    env.setdefault("MYSQL_PORT", "3306")
    env.setdefault("MYSQL_USER", "root")
    env.setdefault("MYSQL_PASSWORD", "")
    database = f"rc_{tag}_{secrets.token_hex(4)}"
    made = mariadb_cli(env, f"CREATE DATABASE {database} CHARACTER SET utf8mb4")
    if made.returncode != 0:
        sys.exit(f"run: cannot create a scratch database on MariaDB at {env['MYSQL_HOST']}:{env['MYSQL_PORT']}: "
                 f"{made.stderr.strip()}")
    server = mariadb_cli(env, "SELECT VERSION()").stdout.strip()
    try:
        yield dict(env, MYSQL_DATABASE=database, RC_SCRATCH_SERVER="mariadb", RC_SCRATCH_VERSION=server)
    finally:
        mariadb_cli(env, f"DROP DATABASE IF EXISTS {database}")


def read_scorecard(path):
    """The rows already in a scorecard, so a run of some suites keeps the
    others': (suite -> row, baseline suite -> row, suite -> unexpected lines)."""
    rows, baselines, unexpected = {}, {}, {}
    if not os.path.exists(path):
        return rows, baselines, unexpected
    table = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("| suite | version |"):
                table = rows
            elif line.startswith("| suite | server |"):
                table = baselines
            elif line.startswith("| ") and not line.startswith("| ---") and table is not None:
                table[line.split("|")[1].strip()] = line
            elif line.startswith("- ") and "/" in line:
                unexpected.setdefault(line[2:].split("/")[0], []).append(line)
            elif not line.startswith("|"):
                table = None
    return rows, baselines, unexpected


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", help="the rowchain binary (not needed with --baseline)")
    p.add_argument("--record", action="store_true", help="record the outputs of the machine's PostgreSQL instead")
    p.add_argument("--baseline", action="store_true",
                   help="run the MySQL suites against a scratch database on the machine's MariaDB instead")
    p.add_argument("--only", default="", help="comma-separated test names")
    p.add_argument("--out", default=os.path.join(HERE, "SCORECARD.md"))
    p.add_argument("suites", nargs="*")
    args = p.parse_args()
    if not args.suites:
        args.suites = [s for s in SUITES if not args.baseline or getattr(SUITES[s], "baseline", None)]
    for s in args.suites:
        if s not in SUITES:
            sys.exit(f"run: unknown suite {s!r}; known: {', '.join(SUITES)}")
        if args.baseline and not getattr(SUITES[s], "baseline", None):
            sys.exit(f"run: suite {s!r} has no --baseline run (the MySQL suites do)")
    if not args.record and not args.baseline and not args.bin:
        sys.exit("run: --bin is required (the rowchain binary)")
    only = set(filter(None, args.only.split(",")))

    if args.record:
        with devnode.postgres_scratch("compat") as env:
            for s in args.suites:
                for test in SUITES[s].tests(only):
                    SUITES[s].record(test, env)
                    print(f"run: recorded {s}/{test} from PostgreSQL")
        return 0

    logs = tempfile.mkdtemp(prefix="rowchain-compat-logs-")
    old_rows, old_baselines, old_unexpected = read_scorecard(args.out)
    rows, baselines, unexpected = {}, {}, {}

    if args.baseline:
        # No expectations: a real server's failures are the suite's own (features MariaDB lacks), shown as a count.
        for s in args.suites:
            suite = SUITES[s]
            with mariadb_scratch(s.replace("-", "_")) as env:
                results = suite.results(env, only, logs)
                failed = sorted(t for t, problem in results.items() if problem is not None)
                for t in failed:
                    print(f"run: FAIL {s}/{t} ({results[t]})", flush=True)
                if not only:
                    with open(os.path.join(suite.directory, "baseline-failures.txt"), "w") as f:
                        f.write(f"# {suite.version()} against {env['RC_SCRATCH_VERSION']} (compat/run --baseline {s}):\n"
                                f"# the tests that fail on a real server, with the first line of each error.\n")
                        f.writelines(f"{t}  # {results[t]}\n" for t in failed)
                server = "MariaDB " + env["RC_SCRATCH_VERSION"].split("-")[0]
                baselines[s] = f"| {s} | {server} | {suite.version()} | {len(results)} | {len(results) - len(failed)} | {len(failed)} |"
    else:
        for s in args.suites:
            suite = SUITES[s]
            # each suite gets its own fresh node, so no suite sees another one's tables
            with devnode.rowchain(args.bin, "compat", **getattr(suite, "node_options", dict)()) as env:
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
                rows[s] = f"| {s} | {suite.version()} | {len(results)} | {passed} | {failed_expected} | {len(surprises)} |"
                unexpected[s] = [f"- {u}" for u in surprises]

    order = list(SUITES) + [s for s in {**old_rows, **old_baselines} if s not in SUITES]
    all_rows = {**old_rows, **rows}
    all_baselines = {**old_baselines, **baselines}
    all_unexpected = {**old_unexpected, **unexpected}
    lines = [
        "# Compatibility scorecard",
        "",
        "Written by `compat/run`; each suite runs unchanged against a fresh `rowchain dev`.",
        "Expected failures are listed, with reasons, in each suite's `expected-failures.txt`.",
        "The MySQL suites talk to rowchain's MySQL port; mysql-connector's one test",
        "`unittests.py (runner setup)` stands for its runner stopping before any test.",
        "",
        "| suite | version | tests run | passed | expected failures | unexpected results |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [all_rows[s] for s in order if s in all_rows]
    if all_baselines:
        lines += [
            "",
            "Baselines: the MySQL suites run the same way against the machine's MariaDB",
            "(`compat/run --baseline SUITE`), with no expectations; a baseline failure is the",
            "suite's own (a MySQL feature MariaDB lacks), listed in the suite's `baseline-failures.txt`.",
            "",
            "| suite | server | version | tests run | passed | failed |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += [all_baselines[s] for s in order if s in all_baselines]
    listed = [u for s in order for u in all_unexpected.get(s, []) if s in all_rows]
    if listed:
        lines += ["", "Unexpected results:", ""] + listed
    if not only:
        with open(args.out, "w") as f:
            f.write("\n".join(lines) + "\n")
    at = lines.index("| suite | version | tests run | passed | expected failures | unexpected results |")
    header = lines[at:at + 2] if rows else ["| suite | server | version | tests run | passed | failed |", "| --- | --- | --- | --- | --- | --- |"]
    print("\n".join(header + list((rows or baselines).values()) + [u for v in unexpected.values() for u in v]))
    print(f"run: logs in {logs}")
    return 1 if any(unexpected.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
