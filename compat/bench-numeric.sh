#!/usr/bin/env bash
# What exact numeric costs, beside the machine's PostgreSQL in one run:
#   - committed 1-row INSERTs carrying a numeric(12,2) value (pgbench, 8 clients);
#   - sum() over ROWS numeric(12,2) values (pgbench, 1 client, the query repeated).
# Both systems get the same tables, rows and pgbench scripts. Prints figures
# (and both sums, which must agree); asserts nothing.
#
#   compat/bench-numeric.sh [SECONDS] [ROWS]
#
# ROWCHAIN_BIN=path benchmarks another rowchain build (default: a release
# build of this tree). PostgreSQL is reached with PGHOST/PGPORT/PGUSER
# (default 127.0.0.1:5432, postgres); a scratch database is created and dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
rows="${2:-1000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rowchain/target}"
bin="${ROWCHAIN_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release -q -p rowchain
  bin="$CARGO_TARGET_DIR/release/rowchain"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
data="$(mktemp -d /tmp/rowchain-bench-numeric-XXXXXX)"
work="$(mktemp -d /tmp/bench-numeric-XXXXXX)"
pg_port="$(free_port)"
http_port="$(free_port)"
"$bin" dev --data "$data" --pg-addr "127.0.0.1:$pg_port" --http-addr "127.0.0.1:$http_port" --mysql-addr none \
  >"$work/rowchain.log" 2>&1 &
pid=$!
pg_host="${PGHOST:-127.0.0.1}" pg_user="${PGUSER:-postgres}" pg_server_port="${PGPORT:-5432}"
scratch="rowchain_bench_numeric_$$"
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  PGHOST="$pg_host" PGPORT="$pg_server_port" PGUSER="$pg_user" dropdb --if-exists "$scratch" 2>/dev/null || true
  rm -rf "$data" "$work"
}
trap cleanup EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$http_port/health" >/dev/null && break; sleep 0.1; done
PGHOST="$pg_host" PGPORT="$pg_server_port" PGUSER="$pg_user" createdb "$scratch"

# Runs "$@" against one system: rowchain or postgres.
on() {
  local system="$1"
  shift
  if [ "$system" = rowchain ]; then
    PGHOST=127.0.0.1 PGPORT="$pg_port" PGUSER=admin PGPASSWORD=admin PGDATABASE=rowchain "$@"
  else
    PGHOST="$pg_host" PGPORT="$pg_server_port" PGUSER="$pg_user" PGDATABASE="$scratch" "$@"
  fi
}

cat >"$work/insert.sql" <<'SQL'
\set cents random(1, 100000000)
INSERT INTO bench_num (client, amount) VALUES (:client_id, :cents * 0.01);
SQL
echo "SELECT sum(amount) FROM bench_sum;" >"$work/sum.sql"
tps() { grep -oP 'tps = \K[0-9.]+' "$1" | head -1; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== rowchain: $bin ($("$bin" --version 2>/dev/null || echo unknown version)), rowchain dev (one validator)"
echo "== PostgreSQL $(on postgres psql -XAtc 'SHOW server_version')"
for system in rowchain postgres; do
  on "$system" psql -Xq -v ON_ERROR_STOP=1 -c "CREATE TABLE bench_num (id bigserial PRIMARY KEY, client int NOT NULL, amount numeric(12,2) NOT NULL)" \
    -c "CREATE TABLE bench_sum (id bigint PRIMARY KEY, amount numeric(12,2) NOT NULL)"
  # ROWS rows in txs of 100,000: amounts 0.00 .. 999.99, each cent value alike often.
  start=1
  while [ "$start" -le "$rows" ]; do
    end=$((start + 99999))
    [ "$end" -gt "$rows" ] && end="$rows"
    on "$system" psql -Xq -v ON_ERROR_STOP=1 -c "INSERT INTO bench_sum (id, amount) SELECT g, (g % 100000) * 0.01 FROM \
      (WITH RECURSIVE s(g) AS (SELECT $start UNION ALL SELECT g + 1 FROM s WHERE g < $end) SELECT g FROM s) AS q"
    start=$((end + 1))
  done
done

for system in rowchain postgres; do
  on "$system" pgbench -n -M prepared -c 8 -j 2 -T "$secs" -f "$work/insert.sql" >"$work/$system-insert.out" 2>&1 || {
    cat "$work/$system-insert.out" >&2
    exit 1
  }
  on "$system" pgbench -n -M prepared -c 1 -j 1 -T "$secs" -f "$work/sum.sql" >"$work/$system-sum.out" 2>&1 || {
    cat "$work/$system-sum.out" >&2
    exit 1
  }
  echo "== $system: sum over $rows rows = $(on "$system" psql -XAtc 'SELECT sum(amount) FROM bench_sum')"
done

ratio() { python3 -c "print(f'{float($1) / float($2):.2f}')"; }
ri="$(tps "$work/rowchain-insert.out")" pi="$(tps "$work/postgres-insert.out")"
rs="$(tps "$work/rowchain-sum.out")" ps="$(tps "$work/postgres-sum.out")"
echo
echo "| workload | rowchain | PostgreSQL | ratio |"
echo "| --- | --- | --- | --- |"
echo "| 1-row INSERT of a numeric(12,2), 8 clients, tx/s | $ri | $pi | $(ratio "$ri" "$pi") |"
echo "| sum() over $rows numeric(12,2) rows, queries/s | $rs | $ps | $(ratio "$rs" "$ps") |"
echo "| sum() over $rows rows, ms per query | $(python3 -c "print(f'{1000 / float($rs):.0f}')") | $(python3 -c "print(f'{1000 / float($ps):.0f}')") | |"
