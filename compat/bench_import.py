"""`rowchain import`'s figures, measured beside MariaDB in one run: a private
MariaDB server with a row-format binlog, a fresh `rowchain dev`, then

- snapshot: ROWS rows copied by `rowchain import --once` (rows/s), beside
  MariaDB copying the same rows into a new table (INSERT ... SELECT);
- streaming: TXS one-row source transactions applied by `rowchain import
  --once` (transactions/s), beside the rate MariaDB committed them at;
- lag: a source load paced at RATE transactions/s for SECS seconds while
  the importer follows; sampled twice a second: transactions behind, and
  seconds since the oldest source commit the chain lacks.

Prints figures; asserts nothing. Run by compat/bench-import.sh."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import devnode  # noqa: E402


class Mariadb:
    """A private mariadbd with the binlog the importer needs, on a free port."""

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

    def cli(self, sql, db=""):
        cmd = ["mysql", "--no-defaults", "--protocol=TCP", "-h127.0.0.1", f"-P{self.port}", "-uroot", "-N", "-B"]
        return cmd + (["-e", sql] if sql is not None else []) + ([db] if db else [])

    def sql(self, sql, db="bench"):
        return subprocess.run(self.cli(sql, db), check=True, capture_output=True, text=True).stdout.strip()

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


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
    db.sql("CREATE TABLE snap (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(10,2), at DATETIME(6))")
    db.sql(f"INSERT INTO snap SELECT seq, CONCAT('item ', seq), seq / 100, NOW(6) FROM seq_1_to_{rows}")
    start = time.time()
    db.sql("CREATE TABLE snap_copy LIKE snap; INSERT INTO snap_copy SELECT * FROM snap")
    maria = time.time() - start
    db.sql("DROP TABLE snap_copy")
    secs = import_once(binary, f"mysql://root@127.0.0.1:{db.port}/bench", http_port, "bench")
    got = chain_scalar(http_port, "SELECT count(*) FROM snap")
    if got != rows:
        raise SystemExit(f"rowchain import --once returned with {got} of {rows} rows readable")
    print(f"snapshot: {got} rows in {secs:.1f} s = {rows / secs:.0f} rows/s "
          f"(MariaDB INSERT ... SELECT of the same rows: {rows / maria:.0f} rows/s; ratio {maria / secs:.2f})")


def load_lines(first, count):
    return "".join(f"BEGIN; INSERT INTO ev VALUES ({n}, NOW(6)); COMMIT;\n" for n in range(first, first + count))


def streaming(db, binary, http_port, txs):
    db.sql("CREATE TABLE ev (n INT PRIMARY KEY, ts DATETIME(6))")
    import_once(binary, f"mysql://root@127.0.0.1:{db.port}/bench", http_port, "bench")
    start = time.time()
    subprocess.run(db.cli(None, "bench"), input=load_lines(0, txs), check=True, text=True, capture_output=True)
    maria = time.time() - start
    secs = import_once(binary, f"mysql://root@127.0.0.1:{db.port}/bench", http_port, "bench")
    got = chain_scalar(http_port, "SELECT count(*) FROM ev")
    if got != txs:
        raise SystemExit(f"rowchain import --once returned with {got} of {txs} transactions readable")
    print(f"streaming: {txs} one-row source transactions in {secs:.1f} s = {txs / secs:.0f} tx/s "
          f"(MariaDB committed them at {txs / maria:.0f} tx/s over one connection; ratio {maria / secs:.2f})")


def lag(db, binary, http_port, rate, seconds, first):
    follower = subprocess.Popen([binary, "import", f"mysql://root@127.0.0.1:{db.port}/bench", "--url",
                                 f"http://127.0.0.1:{http_port}", "--name", "bench"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    feeder = subprocess.Popen(db.cli(None, "bench"), stdin=subprocess.PIPE, text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sent = [first]

    def feed():
        start = time.time()
        while time.time() - start < seconds:
            due = first + int((time.time() - start) * rate)
            if due > sent[0]:
                feeder.stdin.write(load_lines(sent[0], due - sent[0]))
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
        oldest = db.sql(f"SELECT UNIX_TIMESTAMP(ts) FROM ev WHERE n = {int(chain) + 1}") if behind else ""
        seconds_behind = max(time.time() - float(oldest), 0) if oldest else 0.0
        samples.append((time.time() - start, behind, seconds_behind))
    feeder.wait()
    committed = sent[0] - first
    steady = [s for s in samples if s[0] > 3] or samples
    behind = sorted(s[1] for s in steady)
    secs = sorted(s[2] for s in steady)
    print(f"lag: source paced at {rate} tx/s for {seconds} s ({committed} transactions); after the first 3 s, "
          f"behind by median {behind[len(behind) // 2]} / max {behind[-1]} transactions, "
          f"median {secs[len(secs) // 2]:.2f} s / max {secs[-1]:.2f} s")
    follower.kill()
    follower.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--txs", type=int, default=10_000)
    ap.add_argument("--rate", type=int, default=1_000)
    ap.add_argument("--seconds", type=int, default=20)
    args = ap.parse_args()
    print(f"== machine: {os.cpu_count()} cores; rowchain {args.bin}")
    db = Mariadb()
    try:
        print(f"== MariaDB {db.sql('SELECT VERSION()')} (private, row binlog) beside rowchain dev, JSON-RPC link")
        with devnode.rowchain(args.bin, "bench-import") as env:
            http_port = int(env["RC_HTTP_PORT"])
            snapshot(db, args.bin, http_port, args.rows)
            streaming(db, args.bin, http_port, args.txs)
            lag(db, args.bin, http_port, args.rate, args.seconds, args.txs)
    finally:
        db.close()


if __name__ == "__main__":
    main()
