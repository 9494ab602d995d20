"""`rowchain import`'s figures, measured beside the source server itself in
one run, for each --source (MariaDB, PostgreSQL, or both, one after the
other): a private source server, a fresh `rowchain dev` for it, then

- snapshot: ROWS rows copied by `rowchain import --once` (rows/s), beside
  the source copying the same rows into a new table (INSERT ... SELECT);
- streaming: TXS one-row source transactions applied by `rowchain import
  --once` (transactions/s), beside the rate the source committed them at;
- lag: a source load paced at RATE transactions/s for SECS seconds while
  the importer follows; sampled twice a second: transactions behind, and
  seconds since the oldest source commit the chain lacks.

MariaDB is followed through its row-format binlog, PostgreSQL through a
logical replication slot (pgoutput); each server keeps its own default
durability (InnoDB flushes its log at each commit; PostgreSQL fsync and
synchronous_commit on). Prints figures; asserts nothing. Run by
compat/bench-import.sh."""

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import devnode  # noqa: E402


class Mariadb:
    """A private mariadbd with the binlog the importer needs, on a free port."""

    key = "mariadb"
    label = "MariaDB"
    snap_ddl = "CREATE TABLE snap (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), at DATETIME(6))"
    copy_sql = "CREATE TABLE snap_copy LIKE snap; INSERT INTO snap_copy SELECT * FROM snap"
    ev_ddl = "CREATE TABLE ev (n INT PRIMARY KEY, ts DATETIME(6))"
    # The binlog carries CREATE TABLE: ev is made after the snapshot and the
    # importer picks it up from the stream.
    ev_before_snapshot = False
    now = "NOW(6)"
    epoch = "UNIX_TIMESTAMP(ts)"

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rowchain-bench-import-")
        data, tmp = os.path.join(self.dir, "data"), os.path.join(self.dir, "tmp")
        os.makedirs(tmp)
        # A tmpdir of its own: a starting server deletes the #sql* files in its tmpdir.
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--datadir={data}", f"--tmpdir={tmp}",
             "--auth-root-authentication-method=normal",
             "--skip-test-db", "--skip-name-resolve", "--user=root"],
            check=True, capture_output=True)
        self.port = devnode.free_port()
        os.makedirs(os.path.join(self.dir, "binlog"))
        mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        # MariaDB's own durability defaults (innodb_flush_log_at_trx_commit=1).
        self.proc = subprocess.Popen(
            [mariadbd, "--no-defaults", f"--datadir={data}", f"--tmpdir={tmp}", f"--port={self.port}",
             "--bind-address=127.0.0.1",
             f"--socket={self.dir}/sock", f"--pid-file={self.dir}/pid", f"--log-error={self.dir}/error.log",
             "--user=root", "--server-id=1", f"--log-bin={self.dir}/binlog/mariadb-bin", "--binlog-format=ROW",
             "--binlog-row-image=FULL", "--binlog-row-metadata=FULL", "--skip-name-resolve",
             "--character-set-server=utf8mb4", "--innodb-buffer-pool-size=256M"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while subprocess.run(self.cli("SELECT 1"), capture_output=True).returncode != 0:
            if time.time() > deadline:
                raise SystemExit("mariadbd did not start; see " + self.dir + "/error.log")
            time.sleep(0.1)
        self.sql("CREATE DATABASE bench", db="")
        self.url = f"mysql://root@127.0.0.1:{self.port}/bench"

    def header(self):
        return f"{self.label} {self.sql('SELECT VERSION()')} (private, row binlog)"

    def fill_snap_sql(self, rows):
        return f"INSERT INTO snap SELECT seq, CONCAT('item ', seq), seq / 100, NOW(6) FROM seq_1_to_{rows}"

    def cli(self, sql, db=""):
        """The client's command line: runs `sql`, or (None) reads statements from stdin."""
        cmd = ["mysql", "--no-defaults", "--protocol=TCP", "-h127.0.0.1", f"-P{self.port}", "-uroot", "-N", "-B"]
        return cmd + (["-e", sql] if sql is not None else []) + ([db] if db else [])

    def cli_env(self):
        return None

    def sql(self, sql, db="bench"):
        return subprocess.run(self.cli(sql, db), check=True, capture_output=True, text=True).stdout.strip()

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def pg_bindir():
    """The directory of PostgreSQL's server binaries (initdb, postgres, pg_ctl)."""
    dirs = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            dirs.append(out.stdout.strip())
    dirs += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]), reverse=True)
    for d in dirs:
        if all(os.access(os.path.join(d, b), os.X_OK) for b in ("initdb", "postgres", "pg_ctl")):
            return d
    raise SystemExit("no PostgreSQL server binaries (initdb, postgres, pg_ctl) in `pg_config --bindir` or "
                     "/usr/lib/postgresql/*/bin: install postgresql-15 (Debian)")


class Postgres:
    """A private PostgreSQL with wal_level=logical, on a free port, in a temporary directory."""

    key = "postgres"
    label = "PostgreSQL"
    snap_ddl = "CREATE TABLE snap (id int PRIMARY KEY, name varchar(40), price numeric(10,2), at timestamp(6))"
    copy_sql = "CREATE TABLE snap_copy (LIKE snap INCLUDING ALL); INSERT INTO snap_copy SELECT * FROM snap"
    ev_ddl = "CREATE TABLE ev (n int PRIMARY KEY, ts timestamp(6))"
    # The importer's publication (made at its first start, FOR TABLE the
    # tables then in schema public) decides which tables the slot streams;
    # a table created later is not followed. So ev is made before the
    # snapshot import, and all three phases run under one --name (one slot),
    # as MariaDB's do: the snapshot's `--once` also creates the empty ev on
    # the chain (no rows; one more CREATE TABLE in the timed run).
    ev_before_snapshot = True
    now = "clock_timestamp()"
    # A timestamp's epoch is read as UTC; the clients write and read ts with
    # TimeZone UTC (cli_env), so it is the commit's real time.
    epoch = "extract(epoch from ts)"

    def __init__(self):
        self.proc = None
        bindir = pg_bindir()
        self.psql = os.path.join(bindir, "psql") if os.access(os.path.join(bindir, "psql"), os.X_OK) else "psql"
        self.pg_ctl = os.path.join(bindir, "pg_ctl")
        self.dir = tempfile.mkdtemp(prefix="rowchain-bench-import-pg-")
        self.data = os.path.join(self.dir, "data")
        # initdb, postgres and pg_ctl refuse to run as root.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        try:
            self.start(bindir)
        except BaseException:
            self.close()
            raise

    def start(self, bindir):
        if os.geteuid() == 0:
            shutil.chown(self.dir, user="postgres")
        out = subprocess.run(self.as_owner + [os.path.join(bindir, "initdb"), "-D", self.data, "-A", "trust",
                                              "-U", "postgres", "-E", "UTF8", "--locale=C"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"initdb failed:\n{out.stdout}\n{out.stderr}")
        self.port = devnode.free_port()
        self.log = os.path.join(self.dir, "postgres.log")
        # PostgreSQL's own durability defaults (fsync, synchronous_commit on).
        # A session of its own: a ^C reaches this script, not the server,
        # which close() still needs to drop the slots.
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                self.as_owner + [os.path.join(bindir, "postgres"), "-D", self.data, "-p", str(self.port),
                                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
                                 "-c", "wal_level=logical", "-c", "max_wal_senders=10",
                                 "-c", "max_replication_slots=10"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while subprocess.run(self.cli("SELECT 1", "postgres"), capture_output=True, env=self.cli_env()).returncode:
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"postgres did not start:\n{open(self.log).read()[-2000:]}")
            time.sleep(0.1)
        self.sql("CREATE DATABASE bench", db="postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/bench"

    def header(self):
        return f"{self.label} {self.sql('SHOW server_version')} (private, wal_level=logical)"

    def fill_snap_sql(self, rows):
        return (f"INSERT INTO snap SELECT g, 'item ' || g, g / 100.0, localtimestamp(6) "
                f"FROM generate_series(1, {rows}) g")

    def cli(self, sql, db="bench"):
        """psql's command line: runs `sql`, or (None) reads statements from stdin."""
        cmd = [self.psql, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
               "-U", "postgres"]
        return cmd + (["-c", sql] if sql is not None else []) + [db]

    def cli_env(self):
        return dict(os.environ, PGTZ="UTC")

    def sql(self, sql, db="bench"):
        return subprocess.run(self.cli(sql, db), check=True, capture_output=True, text=True,
                              env=self.cli_env()).stdout.strip()

    def close(self):
        try:
            if self.proc and self.proc.poll() is None:
                self.drop_slots()
        finally:
            self.stop()
            shutil.rmtree(self.dir, ignore_errors=True)

    def drop_slots(self):
        """Drops the replication slots the imports made, once their walsenders
        have seen the importer go."""
        try:
            deadline = time.time() + 15
            while self.sql("SELECT count(*) FROM pg_replication_slots WHERE active_pid IS NOT NULL") != "0":
                if time.time() > deadline:
                    self.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                             "WHERE active_pid IS NOT NULL")
                    deadline = time.time() + 15
                time.sleep(0.1)
            self.sql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots")
        except subprocess.CalledProcessError as e:
            print(f"{self.key}: dropping the replication slots failed: {e.stderr.strip()}", file=sys.stderr)

    def stop(self):
        if not self.proc:
            return
        if self.proc.poll() is None:
            subprocess.run(self.as_owner + [self.pg_ctl, "stop", "-D", self.data, "-m", "fast", "-w", "-t", "60"],
                           capture_output=True)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # The server we started, if a fast shutdown did not end it.
            try:
                with open(os.path.join(self.data, "postmaster.pid")) as f:
                    os.kill(int(f.readline()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
            self.proc.kill()
            self.proc.wait()


def chain_scalar(http_port, sql):
    import json
    import urllib.request
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "sql",
                       "params": {"sql": sql, "role": "admin", "password": "admin"}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{http_port}/", body, {"Content-Type": "application/json"})
    reply = json.load(urllib.request.urlopen(req, timeout=10))
    rows = reply["result"]["rows"]
    return rows[0][0] if rows else None


def import_once(binary, source, http_port, name):
    start = time.time()
    out = subprocess.run([binary, "import", source, "--url", f"http://127.0.0.1:{http_port}", "--name", name,
                          "--once"], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"rowchain import failed:\n{out.stdout}\n{out.stderr}")
    return time.time() - start


def snapshot(db, binary, http_port, rows):
    db.sql(db.snap_ddl)
    if db.ev_before_snapshot:
        db.sql(db.ev_ddl)
    db.sql(db.fill_snap_sql(rows))
    start = time.time()
    db.sql(db.copy_sql)
    copy = time.time() - start
    db.sql("DROP TABLE snap_copy")
    secs = import_once(binary, db.url, http_port, "bench")
    got = chain_scalar(http_port, "SELECT count(*) FROM snap")
    if got != rows:
        raise SystemExit(f"rowchain import --once returned with {got} of {rows} rows readable")
    print(f"{db.key} snapshot: {got} rows in {secs:.1f} s = {rows / secs:.0f} rows/s "
          f"({db.label} INSERT ... SELECT of the same rows: {rows / copy:.0f} rows/s; ratio {copy / secs:.2f})")


def load_lines(db, first, count):
    return "".join(f"BEGIN; INSERT INTO ev VALUES ({n}, {db.now}); COMMIT;\n" for n in range(first, first + count))


def streaming(db, binary, http_port, txs):
    if not db.ev_before_snapshot:
        db.sql(db.ev_ddl)
        import_once(binary, db.url, http_port, "bench")
    start = time.time()
    subprocess.run(db.cli(None, "bench"), input=load_lines(db, 0, txs), check=True, text=True, capture_output=True,
                   env=db.cli_env())
    committed = time.time() - start
    secs = import_once(binary, db.url, http_port, "bench")
    got = chain_scalar(http_port, "SELECT count(*) FROM ev")
    if got != txs:
        raise SystemExit(f"rowchain import --once returned with {got} of {txs} transactions readable")
    print(f"{db.key} streaming: {txs} one-row source transactions in {secs:.1f} s = {txs / secs:.0f} tx/s "
          f"({db.label} committed them at {txs / committed:.0f} tx/s over one connection; "
          f"ratio {committed / secs:.2f})")


def lag(db, binary, http_port, rate, seconds, first):
    follower = subprocess.Popen([binary, "import", db.url, "--url", f"http://127.0.0.1:{http_port}",
                                 "--name", "bench"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    feeder = subprocess.Popen(db.cli(None, "bench"), stdin=subprocess.PIPE, text=True, env=db.cli_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sent = [first]

    def feed():
        start = time.time()
        while time.time() - start < seconds:
            due = first + int((time.time() - start) * rate)
            if due > sent[0]:
                feeder.stdin.write(load_lines(db, sent[0], due - sent[0]))
                feeder.stdin.flush()
                sent[0] = due
            time.sleep(0.005)
        feeder.stdin.close()

    thread = threading.Thread(target=feed)
    thread.start()
    samples = []
    start = time.time()
    while thread.is_alive():
        time.sleep(0.5)
        source = int(db.sql("SELECT coalesce(max(n), 0) FROM ev"))
        chain = chain_scalar(http_port, "SELECT coalesce(max(n), 0) FROM ev") or 0
        behind = max(source - int(chain), 0)
        oldest = db.sql(f"SELECT {db.epoch} FROM ev WHERE n = {int(chain) + 1}") if behind else ""
        seconds_behind = max(time.time() - float(oldest), 0) if oldest else 0.0
        samples.append((time.time() - start, behind, seconds_behind))
    feeder.wait()
    committed = sent[0] - first
    steady = [s for s in samples if s[0] > 3] or samples
    behind = sorted(s[1] for s in steady)
    secs = sorted(s[2] for s in steady)
    print(f"{db.key} lag: source paced at {rate} tx/s for {seconds} s ({committed} transactions); after the first 3 s, "
          f"behind by median {behind[len(behind) // 2]} / max {behind[-1]} transactions, "
          f"median {secs[len(secs) // 2]:.2f} s / max {secs[-1]:.2f} s")
    follower.kill()
    follower.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--source", choices=["mariadb", "postgres", "both"], default="both")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--txs", type=int, default=10_000)
    ap.add_argument("--rate", type=int, default=1_000)
    ap.add_argument("--seconds", type=int, default=20)
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    print(f"== machine: {os.cpu_count()} cores; rowchain {args.bin}")
    for source in ["mariadb", "postgres"] if args.source == "both" else [args.source]:
        db = Mariadb() if source == "mariadb" else Postgres()
        try:
            print(f"== {db.header()} beside rowchain dev, JSON-RPC link")
            # A fresh node per source: both make tables snap and ev on the chain.
            with devnode.rowchain(args.bin, f"bench-import-{source}") as env:
                http_port = int(env["RC_HTTP_PORT"])
                snapshot(db, args.bin, http_port, args.rows)
                streaming(db, args.bin, http_port, args.txs)
                lag(db, args.bin, http_port, args.rate, args.seconds, args.txs)
        finally:
            db.close()


if __name__ == "__main__":
    main()
