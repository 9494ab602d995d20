"""Side-by-side pgbench runs: rowchain dev and the machine's PostgreSQL.

Run through compat/bench (it builds the release binary and the venv). The
same pgbench scripts and flags go to both systems, interleaved per repetition
so that drift on the machine hits both alike. Prints a table and writes
compat/BENCHMARKS.md and compat/BENCHMARKS.png. Asserts nothing: a benchmark,
not a test.
"""

import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

import devnode

HERE = os.path.dirname(os.path.abspath(__file__))
INSERT_SQL = "INSERT INTO bench_ins (client, note) VALUES (:client_id, 'bench');\n"

# workload -> (pgbench arguments, what it is)
WORKLOADS = {
    "select-only": (["-S"], "pgbench -S: one-row primary-key SELECT"),
    "insert": (["-f", "{insert}"], "a 1-row INSERT into a table without a key"),
    "tpcb": (["--max-tries=10"], "pgbench's TPC-B-like transaction, retried up to 10 times"),
}


def run(cmd, env, check=True):
    return subprocess.run(cmd, env=env, text=True, capture_output=True, check=check)


def parse(out):
    """tps, failed and retried transactions from pgbench's report."""
    def number(pattern, default=0.0):
        m = re.search(pattern, out)
        return float(m.group(1)) if m else default
    return {
        "tps": number(r"tps = ([0-9.]+)"),
        "failed": int(number(r"number of failed transactions: ([0-9]+)")),
        "retried": int(number(r"number of transactions retried: ([0-9]+)")),
    }


class Target:
    def __init__(self, name, env):
        self.name, self.env = name, env

    def psql(self, sql):
        run(["psql", "-Xq", "-v", "ON_ERROR_STOP=1", "-c", sql], self.env)

    def prepare(self):
        init = run(["pgbench", "-i", "-s", "1", "-q"], self.env, check=False)
        if init.returncode != 0:
            sys.exit(f"bench: pgbench -i failed on {self.name}:\n{init.stderr}")
        self.psql("DROP TABLE IF EXISTS bench_ins")
        self.psql("CREATE TABLE bench_ins (client integer NOT NULL, note text)")

    def pgbench(self, args, clients, seconds):
        threads = str(min(clients, 2))
        cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", threads, "-T", str(seconds)] + args
        out = run(cmd, self.env, check=False)
        result = parse(out.stdout + out.stderr)
        if out.returncode != 0 and result["tps"] == 0:
            print(f"bench: pgbench on {self.name} failed: {out.stderr.strip()[-300:]}", file=sys.stderr)
        return result


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({model}){mem}, {platform.system()} {platform.release()}"


def git_version():
    out = subprocess.run(["git", "-C", HERE, "describe", "--always", "--dirty"], text=True, capture_output=True)
    return out.stdout.strip() or "unknown"


def chart(results, clients, workloads, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(workloads), figsize=(5 * len(workloads), 4), squeeze=False)
    for ax, workload in zip(axes[0], workloads):
        for system, style in (("rowchain", "o-"), ("postgres", "s--")):
            med, lo, hi = [], [], []
            for c in clients:
                tps = [r["tps"] for r in results[(system, workload, c)]]
                med.append(statistics.median(tps))
                lo.append(statistics.median(tps) - min(tps))
                hi.append(max(tps) - statistics.median(tps))
            ax.errorbar(clients, med, yerr=[lo, hi], fmt=style, capsize=3, label=system)
        ax.set_title(workload)
        ax.set_xscale("log", base=2)
        ax.set_xticks(clients)
        ax.set_xticklabels([str(c) for c in clients])
        ax.set_xlabel("clients")
        ax.set_ylabel("transactions/s")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True, help="the rowchain binary (release)")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--clients", default="1,8,32")
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--out", default=os.path.join(HERE, "BENCHMARKS.md"))
    args = p.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    workloads = args.workloads.split(",")
    for w in workloads:
        if w not in WORKLOADS:
            sys.exit(f"bench: unknown workload {w!r}; known: {', '.join(WORKLOADS)}")
    for tool in ("pgbench", "psql", "createdb", "dropdb"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} not found (apt-get install postgresql-client)")

    scratch = tempfile.mkdtemp(prefix="rowchain-bench-scripts-")
    insert = os.path.join(scratch, "insert.sql")
    with open(insert, "w") as f:
        f.write(INSERT_SQL)

    results = {}
    with devnode.postgres_scratch("bench") as pg_env, devnode.rowchain(args.bin, "bench") as rc_env:
        pg_version = run(["psql", "-XAtc", "SHOW server_version"], pg_env).stdout.strip()
        targets = [Target("rowchain", rc_env), Target("postgres", pg_env)]
        for t in targets:
            t.prepare()
        total = len(workloads) * len(clients) * args.reps * len(targets)
        done = 0
        for workload in workloads:
            flags = [a.format(insert=insert) for a in WORKLOADS[workload][0]]
            for c in clients:
                for rep in range(args.reps):
                    for t in targets:
                        r = t.pgbench(flags, c, args.seconds)
                        results.setdefault((t.name, workload, c), []).append(r)
                        done += 1
                        print(f"bench: [{done}/{total}] {t.name:8} {workload:11} c={c:<3} rep {rep + 1}: "
                              f"{r['tps']:.0f} tps (failed {r['failed']}, retried {r['retried']})", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)

    rows = []
    for workload in workloads:
        for c in clients:
            rc = [r["tps"] for r in results[("rowchain", workload, c)]]
            pg = [r["tps"] for r in results[("postgres", workload, c)]]
            failed = sum(r["failed"] for r in results[("rowchain", workload, c)])
            retried = sum(r["retried"] for r in results[("rowchain", workload, c)])
            ratio = statistics.median(rc) / statistics.median(pg) if statistics.median(pg) else 0.0
            rows.append((workload, c, rc, pg, ratio, failed, retried))

    def span(xs):
        return f"{statistics.median(xs):,.0f} ({min(xs):,.0f}-{max(xs):,.0f})"

    command = "compat/bench " + " ".join(a for a in sys.argv[1:] if not a.startswith("--bin") and a != args.bin)
    png = os.path.splitext(args.out)[0] + ".png"
    lines = [
        "# Benchmarks: rowchain beside PostgreSQL",
        "",
        f"Written by `{command.strip()}` on {datetime.date.today().isoformat()}; rerun it to reproduce.",
        "",
        f"- Machine: {machine()}; pgbench, rowchain and PostgreSQL share it.",
        f"- rowchain `{git_version()}`, release build, `rowchain dev` (one validator) with its default config;"
        " every write is a signed chain tx acknowledged when its block is final and durable.",
        f"- PostgreSQL {pg_version}, the machine's server with its own configuration, in a scratch database.",
        f"- pgbench `-n -M prepared -j min(clients, 2) -T {args.seconds}`, scale 1, {args.reps} repetitions per"
        " point, the two systems interleaved. Figures are transactions/s: median (min-max).",
        "",
        "| workload | clients | rowchain tps | PostgreSQL tps | ratio (medians) | rowchain failed / retried |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for workload, c, rc, pg, ratio, failed, retried in rows:
        lines.append(f"| {workload} | {c} | {span(rc)} | {span(pg)} | {ratio:.2f} | {failed} / {retried} |")
    lines += ["", "Workloads:", ""]
    lines += [f"- **{w}**: {WORKLOADS[w][1]}." for w in workloads]
    lines += ["", f"![throughput against clients]({os.path.basename(png)})", ""]
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    chart(results, clients, workloads, png)
    print("\n".join(lines[9:11 + len(rows)]))
    print(f"bench: wrote {args.out} and {png}")


if __name__ == "__main__":
    main()
