"""What row-level security costs: pgbench as a role that is not the tables'
owner, on a table with policies and on the same table without, against a
fresh `rowchain dev` and the machine's PostgreSQL alike.

Run through compat/bench-policy. Workloads (8 clients, prepared):
- insert: a 1-row INSERT; one policy table forces the owner column
  (`WITH CHECK (owner = current_user)`), the other adds the seed's
  rows-per-account cap (`count(*)` of the role's rows, with an index on
  the owner column), whose cost grows with the rows the role has.
- select: a 1-row primary-key SELECT over 10,000 rows; the policy table has
  a USING policy that shows each role its own half.
Runs are interleaved and repeated (--reps, default 3); figures are medians.
Prints figures; asserts nothing.
"""

import argparse
import re
import statistics
import subprocess
import sys
import tempfile

import devnode

SETUP = """
CREATE TABLE {t} (id bigserial PRIMARY KEY, owner text NOT NULL DEFAULT current_user, note text);
CREATE INDEX {t}_owner ON {t} (owner);
GRANT SELECT, INSERT ON {t} TO bencher;
"""
OWNER = """
ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON {t} USING (owner = current_user) WITH CHECK (owner = current_user);
"""
CAP = OWNER + """
CREATE POLICY cap ON {t} AS RESTRICTIVE FOR INSERT
  WITH CHECK ((SELECT count(*) FROM {t} WHERE owner = current_user) < 1000000);
"""
READS = """
CREATE TABLE {t} (id integer PRIMARY KEY, owner text NOT NULL, v integer);
INSERT INTO {t} WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 10000)
  SELECT g, CASE WHEN g % 2 = 0 THEN 'bencher' ELSE 'other' END, g FROM s;
GRANT SELECT ON {t} TO bencher;
"""
USING = """
ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON {t} FOR SELECT USING (owner = current_user);
"""


def psql(env, sql):
    out = subprocess.run(["psql", "-Xq", "-v", "ON_ERROR_STOP=1", "-c", sql], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench-policy: {sql.strip()[:200]}\n{out.stderr.strip()}")


def setup(env, create_role, postgres=False):
    psql(env, create_role)
    for t, extra in [("ins_plain", ""), ("ins_owner", OWNER), ("ins_cap", CAP)]:
        psql(env, (SETUP + extra).format(t=t))
        if postgres:
            # PostgreSQL's serial is a sequence with privileges of its own.
            psql(env, f"GRANT USAGE ON SEQUENCE {t}_id_seq TO bencher")
    for t, extra in [("sel_plain", ""), ("sel_policy", USING)]:
        psql(env, (READS + extra).format(t=t))


def pgbench(env, script, clients, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as f:
        f.write(script)
        f.flush()
        out = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", f.name],
                             env=env, capture_output=True, text=True)
    m = re.search(r"tps = ([0-9.]+)", out.stdout)
    if not m:
        sys.exit(f"bench-policy: pgbench failed: {out.stderr.strip()[-400:]}")
    return float(m.group(1))


def spread(runs):
    """`median (min-max)` of a point's runs."""
    return f"{statistics.median(runs):,.0f} ({min(runs):,.0f}-{max(runs):,.0f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    scripts = {
        "insert": "INSERT INTO {t} (note) VALUES ('bench');\n",
        "select": "\\set id random(1, 10000)\nSELECT v FROM {t} WHERE id = :id;\n",
    }
    # workload: (script, table without policy, tables with policies and what they hold)
    workloads = {
        "insert": ("insert", "ins_plain", [("ins_owner", "forced owner column"), ("ins_cap", "forced owner + rows-per-account cap")]),
        "select": ("select", "sel_plain", [("sel_policy", "USING (owner = current_user)")]),
    }
    results = {}
    with devnode.rowchain(args.bin, "bench-policy") as rc_env, devnode.postgres_scratch("bench_policy") as pg_env:
        setup(rc_env, "CREATE ROLE bencher LOGIN PASSWORD 'bencher'")
        setup(pg_env, "DROP ROLE IF EXISTS bencher; CREATE ROLE bencher LOGIN PASSWORD 'bencher'", postgres=True)
        systems = {
            "rowchain": dict(rc_env, PGUSER="bencher", PGPASSWORD="bencher"),
            "PostgreSQL": dict(pg_env, PGUSER="bencher", PGPASSWORD="bencher"),
        }
        try:
            # Interleaved repetitions: a chain that grows run by run slows
            # later runs, and that must not count against the policies.
            for _ in range(args.reps):
                for script, plain, policed in workloads.values():
                    for system, env in systems.items():
                        for t in [plain] + [t for t, _ in policed]:
                            tps = pgbench(env, scripts[script].format(t=t), args.clients, args.seconds)
                            results.setdefault((system, t), []).append(tps)
        finally:
            subprocess.run(["psql", "-Xq", "-c", "DROP OWNED BY bencher; DROP ROLE IF EXISTS bencher"],
                           env=dict(pg_env, PGDATABASE="postgres"), capture_output=True)
    print(f"pgbench -M prepared -c {args.clients} -j 2 -T {args.seconds}, as a role that does not own the tables; "
          f"tx/s, median of {args.reps} interleaved runs")
    print("| workload | policies | system | without policy | with policies | with / without (medians) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for workload, (_, plain, policed) in workloads.items():
        for t, what in policed:
            for system in systems:
                a, b = results[(system, plain)], results[(system, t)]
                ratio = statistics.median(b) / statistics.median(a)
                print(f"| {workload} | {what} | {system} | {spread(a)} | {spread(b)} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
