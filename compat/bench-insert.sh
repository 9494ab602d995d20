#!/usr/bin/env bash
# Committed 1-row INSERT throughput and latency: rowchain dev (release) at 1, 8
# and 32 submitters, beside the machine's PostgreSQL doing the same inserts with
# pgbench (8 clients), in one run. Prints figures; asserts nothing.
#
#   compat/bench-insert.sh [SECONDS] [MODE]     MODE: sql (default) or signed
#
# PostgreSQL is reached with PGHOST/PGPORT/PGUSER/PGDATABASE (default: the
# local server on 127.0.0.1:5432, user postgres, database test).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
mode="${2:-sql}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rowchain/target}"
cargo build --release -q -p rowchain -p compat
bin="$CARGO_TARGET_DIR/release"

data="$(mktemp -d /tmp/rowchain-bench-XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$bin/rowchain" dev --data "$data" --http-addr "127.0.0.1:$port" --mysql-addr none >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== rowchain dev (single validator), committed 1-row INSERT txs"
"$bin/bench-insert" --url "http://127.0.0.1:$port" --seconds "$secs" --mode "$mode" --data "$data" | tee /tmp/rowchain-bench.out

echo "== PostgreSQL $(psql -XAtc 'SHOW server_version' -h "${PGHOST:-127.0.0.1}" -U "${PGUSER:-postgres}" "${PGDATABASE:-test}"), pgbench 1-row INSERT, 8 clients"
export PGHOST="${PGHOST:-127.0.0.1}" PGUSER="${PGUSER:-postgres}" PGDATABASE="${PGDATABASE:-test}"
psql -Xq -c "DROP TABLE IF EXISTS bench_insert; CREATE TABLE bench_insert (id bigserial PRIMARY KEY, client int NOT NULL, note text)"
script="$(mktemp)"
echo "INSERT INTO bench_insert (client, note) VALUES (:client_id, 'bench');" > "$script"
pgbench -n -M prepared -c 8 -j 2 -T "$secs" -f "$script" 2>/dev/null | tee /tmp/pg-bench.out | grep -E "latency average|tps"
rm -f "$script"
psql -Xq -c "DROP TABLE bench_insert"

pg_tps="$(grep -oP 'tps = \K[0-9.]+' /tmp/pg-bench.out | head -1)"
rc8="$(awk '$1 == 8 {print $2}' /tmp/rowchain-bench.out)"
echo "== ratio rowchain/PostgreSQL at 8 clients: $(python3 -c "print(f'{float($rc8)/float($pg_tps):.2f}')") ($rc8 / $pg_tps tx/s)"
