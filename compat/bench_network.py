"""What a network costs: pgbench 1-row INSERTs against a V-validator network
made by `rowchain init` (one `rowchain node` process per validator, on
loopback), with the clients spread evenly over the nodes' PostgreSQL ports,
then the same clients against a single-validator `rowchain dev`.

Run through compat/bench-network. Each system gets one pgbench process per
node (`pgbench -n -M prepared -c N/V -j 1 -T S -l`; for `dev` all of them
on its one port), so client-side costs are the same. Committed tx/s counts
the transactions pgbench's logs record as done; the latencies are those
logs' per-transaction times (a write's reply comes when its block is final).
Every process shares this machine's cores: the figures are for comparing the
two systems on it, not for a network of machines. Prints figures; asserts
nothing.
"""

import argparse
import contextlib
import glob
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import devnode

INSERT = "INSERT INTO bench (note) VALUES ('bench');\n"
TABLE = "CREATE TABLE bench (id bigserial PRIMARY KEY, note text NOT NULL)"


def free_base_port(nodes):
    """A base port with base+i, base+100+i and base+200+i free for every node."""
    for base in range(21000, 29000, 7):
        ports = [base + off + i for i in range(nodes) for off in (0, 100, 200)]
        try:
            with contextlib.ExitStack() as stack:
                for p in ports:
                    s = stack.enter_context(socket.socket())
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
    sys.exit("bench-network: no free base port")


def status(http_port):
    req = urllib.request.Request(f"http://127.0.0.1:{http_port}", method="POST",
                                 data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "status"}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.load(r)["result"]


def wait_health(http_port, what, log):
    if not devnode.wait_health(http_port, seconds=60):
        sys.exit(f"bench-network: {what} did not start; its log: {log}")


def psql(env, sql, retry_s=0):
    deadline = time.time() + retry_s
    while True:
        out = subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql], env=env, capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.strip()
        if time.time() > deadline:
            sys.exit(f"bench-network: {sql}\n{out.stderr.strip()}")
        time.sleep(0.5)


def pg_env(port):
    return dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(port), PGUSER="admin", PGPASSWORD="admin", PGDATABASE="rowchain")


def start(cmd, log_path):
    with open(log_path, "w") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


@contextlib.contextmanager
def single_validator(binary):
    """Runs a fresh `rowchain dev`; yields ([pg port], [http port])."""
    data = tempfile.mkdtemp(prefix="rowchain-bench-network-dev-")
    pg, http = devnode.free_port(), devnode.free_port()
    log = os.path.join(data, "dev.log")
    proc = start([binary, "dev", "--data", os.path.join(data, "chain"), "--http-addr", f"127.0.0.1:{http}",
                  "--pg-addr", f"127.0.0.1:{pg}", "--mysql-addr", "none"], log)
    try:
        wait_health(http, "rowchain dev", log)
        yield [pg], [http]
    finally:
        stop([proc])
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def network(binary, validators):
    """Runs a fresh network of `validators` nodes; yields (pg ports, http ports)."""
    data = tempfile.mkdtemp(prefix="rowchain-bench-network-")
    base = free_base_port(validators)
    procs = []
    try:
        subprocess.run([binary, "init", "--validators", str(validators), "--out", data, "--base-port", str(base)],
                       check=True, stdout=subprocess.DEVNULL)
        for i in range(1, validators + 1):
            procs.append(start([binary, "node", "--data", os.path.join(data, f"node{i}")], os.path.join(data, f"node{i}.log")))
        pg_ports = [base + i for i in range(validators)]
        http_ports = [base + 100 + i for i in range(validators)]
        for i, port in enumerate(http_ports):
            wait_health(port, f"node{i + 1}", os.path.join(data, f"node{i + 1}.log"))
        yield pg_ports, http_ports
    finally:
        stop(procs)
        shutil.rmtree(data, ignore_errors=True)


def run_load(pg_ports, processes, clients, seconds, workdir):
    """`processes` pgbench runs in parallel, process k on pg_ports[k % len],
    `clients` clients in all. Returns (committed txs, latencies in ms, failures)."""
    script = os.path.join(workdir, "insert.sql")
    with open(script, "w") as f:
        f.write(INSERT)
    per = max(1, clients // processes)
    runs = []
    for k in range(processes):
        env = pg_env(pg_ports[k % len(pg_ports)])
        prefix = os.path.join(workdir, f"log{k}")
        runs.append(subprocess.Popen(["pgbench", "-n", "-M", "prepared", "-c", str(per), "-j", "1", "-T", str(seconds),
                                      "-f", script, "-l", f"--log-prefix={prefix}"],
                                     env=env, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    failures = []
    for r in runs:
        out, err = r.communicate()
        if r.returncode != 0 or "aborted" in err:
            failures.append(err.strip()[-300:])
    latencies = []
    for path in glob.glob(os.path.join(workdir, "log*.*")):
        with open(path) as f:
            for line in f:
                fields = line.split()
                # client_id transaction_no time script_no time_epoch time_us: `time` is the latency in microseconds.
                if len(fields) >= 6 and fields[2].isdigit():
                    latencies.append(int(fields[2]) / 1000)
    return len(latencies), latencies, failures


def percentile(sorted_values, q):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def measure(name, pg_ports, http_ports, args):
    for port in pg_ports:
        # The table is there once every node has applied its block.
        psql(pg_env(port), "SELECT count(*) FROM bench", retry_s=30)
    height_before = status(http_ports[0])["height"]
    with tempfile.TemporaryDirectory(prefix="rowchain-bench-network-load-") as workdir:
        started = time.time()
        committed, latencies, failures = run_load(pg_ports, args.processes, args.clients, args.seconds, workdir)
        elapsed = time.time() - started
    blocks = status(http_ports[0])["height"] - height_before
    latencies.sort()
    for f in failures:
        print(f"bench-network: {name}: a pgbench run failed: {f}", file=sys.stderr)
    return {
        "system": name,
        "tps": committed / args.seconds,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "txs_per_block": committed / blocks if blocks else float("nan"),
        "failed_runs": len(failures),
        "elapsed": elapsed,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--validators", type=int, default=4)
    args = ap.parse_args()
    args.processes = args.validators
    if shutil.which("pgbench") is None or shutil.which("psql") is None:
        sys.exit("bench-network: needs pgbench and psql (apt-get install postgresql-client)")
    results = []
    with network(args.bin, args.validators) as (pg_ports, http_ports):
        psql(pg_env(pg_ports[0]), TABLE, retry_s=60)
        results.append(measure(f"{args.validators} validators (`rowchain node` x{args.validators})", pg_ports, http_ports, args))
    with single_validator(args.bin) as (pg_ports, http_ports):
        psql(pg_env(pg_ports[0]), TABLE, retry_s=10)
        results.append(measure("single validator (`rowchain dev`)", pg_ports, http_ports, args))
    print(f"pgbench -n -M prepared, 1-row INSERT, {args.clients} clients in {args.processes} pgbench processes "
          f"(-c {max(1, args.clients // args.processes)} -j 1 -T {args.seconds} each); {os.cpu_count()} cores shared by everything")
    print()
    print("| system | committed tx/s | p50 commit latency (ms) | p99 commit latency (ms) | txs per block |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['system']} | {r['tps']:,.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['txs_per_block']:.1f} |")
    net, dev = results
    if dev["tps"]:
        print()
        print(f"network / single validator: {net['tps'] / dev['tps']:.2f}x the tx/s, "
              f"{net['p50'] / dev['p50']:.2f}x the p50 latency, {net['p99'] / dev['p99']:.2f}x the p99 latency")
    if any(r["failed_runs"] for r in results):
        print("\n(some pgbench runs failed: see the messages above; their committed txs are still counted)")


if __name__ == "__main__":
    main()
