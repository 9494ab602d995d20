"""The crypto suites side by side: 1-row INSERT throughput of `rowchain dev
--suite standard` and `rowchain dev --suite sm`, beside the machine's
PostgreSQL, in one run.

Run through compat/bench-suites (it builds the release binary). The same
pgbench script and flags go to the three targets, interleaved per
repetition so that drift on the machine hits them alike. Prints a table and
writes compat/BENCHMARKS-suites.md. Asserts nothing: a benchmark, not a test.
"""

import argparse
import datetime
import os
import shutil
import statistics
import sys
import tempfile

import devnode
from bench import Target, git_version, machine, run

HERE = os.path.dirname(os.path.abspath(__file__))
# A bigint primary key drawn by the client, as issue 17's insert workload has.
INSERT_SQL = ("\\set id random(1, 9000000000000000000)\n"
              "INSERT INTO bench_suite (id, client, note) VALUES (:id, :client_id, 'bench');\n")


class InsertTarget(Target):
    def prepare(self):
        self.psql("DROP TABLE IF EXISTS bench_suite")
        self.psql("CREATE TABLE bench_suite (id bigint PRIMARY KEY, client integer NOT NULL, note text)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", required=True, help="the rowchain binary (release)")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--clients", default="1,8")
    p.add_argument("--out", default=os.path.join(HERE, "BENCHMARKS-suites.md"))
    args = p.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    for tool in ("pgbench", "psql"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} not found (apt-get install postgresql-client)")
    scratch = tempfile.mkdtemp(prefix="rowchain-bench-suites-")
    script = os.path.join(scratch, "insert.sql")
    with open(script, "w") as f:
        f.write(INSERT_SQL)

    names = ["standard", "sm", "postgres"]
    results = {}
    with devnode.postgres_scratch("bench-suites") as pg_env, \
            devnode.rowchain(args.bin, "bench-standard", args=("--suite", "standard")) as std_env, \
            devnode.rowchain(args.bin, "bench-sm", args=("--suite", "sm")) as sm_env:
        pg_version = run(["psql", "-XAtc", "SHOW server_version"], pg_env).stdout.strip()
        targets = [InsertTarget("standard", std_env), InsertTarget("sm", sm_env), InsertTarget("postgres", pg_env)]
        for t in targets:
            t.prepare()
        total, done = len(clients) * args.reps * len(targets), 0
        for c in clients:
            for rep in range(args.reps):
                for t in targets:
                    r = t.pgbench(["-f", script], c, args.seconds)
                    results.setdefault((t.name, c), []).append(r["tps"])
                    done += 1
                    print(f"bench: [{done}/{total}] {t.name:8} c={c:<3} rep {rep + 1}: {r['tps']:.0f} tps", flush=True)
    shutil.rmtree(scratch, ignore_errors=True)

    def med(name, c):
        return statistics.median(results[(name, c)])

    def span(name, c):
        xs = results[(name, c)]
        return f"{statistics.median(xs):,.0f} ({min(xs):,.0f}-{max(xs):,.0f})"

    command = "compat/bench-suites " + " ".join(a for a in sys.argv[1:] if not a.startswith("--bin") and a != args.bin)
    lines = [
        "# Benchmarks: the crypto suites, beside PostgreSQL",
        "",
        f"Written by `{command.strip()}` on {datetime.date.today().isoformat()}; rerun it to reproduce.",
        "",
        f"- Machine: {machine()}; pgbench, both rowchain nodes and PostgreSQL share it.",
        f"- rowchain `{git_version()}`, release build: two `rowchain dev` nodes (one validator each, default"
        " config), one made with `--suite standard` (SHA-256, ed25519) and one with `--suite sm` (SM3, SM2);"
        " every INSERT is a signed chain tx acknowledged when its block is final and durable.",
        f"- PostgreSQL {pg_version}, the machine's server with its own configuration, in a scratch database.",
        f"- pgbench `-n -M prepared -j min(clients, 2) -T {args.seconds}`: one 1-row INSERT per transaction into"
        f" a table with a bigint primary key; {args.reps} repetitions per point, the three targets interleaved."
        " Figures are transactions/s: median (min-max).",
        "",
        "| clients | standard tps | sm tps | PostgreSQL tps | sm / standard | standard / PostgreSQL | sm / PostgreSQL |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in clients:
        std, sm, pg = med("standard", c), med("sm", c), med("postgres", c)
        lines.append(f"| {c} | {span('standard', c)} | {span('sm', c)} | {span('postgres', c)} | "
                     f"{sm / std if std else 0:.2f} | {std / pg if pg else 0:.2f} | {sm / pg if pg else 0:.2f} |")
    lines.append("")
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines[-2 - len(clients):]))
    print(f"bench: wrote {args.out}")


if __name__ == "__main__":
    main()
