#!/usr/bin/env bash
# pgbench through the PostgreSQL wire: rowchain dev beside the machine's
# PostgreSQL, same scripts, same flags, one run. Prints figures and ratios;
# asserts nothing (a benchmark, not a test).
#
#   compat/bench-pg.sh [SECONDS] [PROFILE]     PROFILE: release (default) or debug
#
# Workloads, each at 8 clients / 2 threads, -M prepared:
#   select-only  pgbench -S (one-row primary-key SELECT)
#   insert       a 1-row INSERT into a table without a key
#   tpcb         pgbench's TPC-B-like transaction, --max-tries=10; its
#                serialization-failure (retry) count is reported
# PostgreSQL is reached with PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432 postgres);
# a scratch database is created and dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-30}"
profile="${2:-release}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rowchain/target}"
if [ "$profile" = release ]; then
  cargo build --release -q --workspace
else
  # The test build's feature set, so the cached RocksDB is reused.
  cargo test --workspace --no-run -q 2>/dev/null
fi
bin="$CARGO_TARGET_DIR/$profile/rowchain"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
data="$(mktemp -d /tmp/rowchain-bench-pg-XXXXXX)"
http="$(free_port)"
pgport="$(free_port)"
"$bin" dev --data "$data" --http-addr "127.0.0.1:$http" --pg-addr "127.0.0.1:$pgport" >/dev/null &
pid=$!
pgdb="rc_bench_$$"
pg_host="${PGHOST:-127.0.0.1}" pg_port="${PGPORT:-5432}" pg_user="${PGUSER:-postgres}"
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"; dropdb -h "$pg_host" -p "$pg_port" -U "$pg_user" --if-exists "$pgdb" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/health" >/dev/null && break; sleep 0.1; done
createdb -h "$pg_host" -p "$pg_port" -U "$pg_user" "$pgdb"

insert_sql="$(mktemp)"
echo "INSERT INTO bench_ins (client, note) VALUES (:client_id, 'bench');" > "$insert_sql"

# run TARGET: prints "<workload> <tps> <failed> <retried>" lines.
run() {
  local target="$1"
  if [ "$target" = rowchain ]; then
    export PGHOST=127.0.0.1 PGPORT="$pgport" PGUSER=admin PGPASSWORD=admin PGDATABASE=rowchain
  else
    export PGHOST="$pg_host" PGPORT="$pg_port" PGUSER="$pg_user" PGDATABASE="$pgdb"
    unset PGPASSWORD
  fi
  pgbench -i -s 1 -q >/dev/null 2>&1 || { echo "pgbench -i failed on $target" >&2; pgbench -i -s 1 -q; }
  psql -Xq -c "DROP TABLE IF EXISTS bench_ins" -c "CREATE TABLE bench_ins (client integer NOT NULL, note text)" >/dev/null
  local flags=(-n -M prepared -c 8 -j 2 -T "$secs")
  local out
  out="$(pgbench "${flags[@]}" -S 2>&1)"; echo "select-only $(tps "$out") 0 0"
  out="$(pgbench "${flags[@]}" -f "$insert_sql" 2>&1)"; echo "insert $(tps "$out") 0 0"
  out="$(pgbench "${flags[@]}" --max-tries=10 2>&1)"
  echo "tpcb $(tps "$out") $(grep -oP 'number of failed transactions: \K[0-9]+' <<<"$out" || echo 0) $(grep -oP 'number of transactions retried: \K[0-9]+' <<<"$out" || echo 0)"
}
tps() { grep -oP 'tps = \K[0-9.]+' <<<"$1" | head -1 || echo 0; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); rowchain $profile build; $secs s per run"
run rowchain > /tmp/bench-pg-rowchain.out
run postgres > /tmp/bench-pg-postgres.out
printf '%-12s %12s %12s %8s %10s %10s\n' workload rowchain_tps postgres_tps ratio rc_failed rc_retried
paste -d' ' /tmp/bench-pg-rowchain.out /tmp/bench-pg-postgres.out | while read -r w rt rf rr _ pt _ _; do
  printf '%-12s %12s %12s %8s %10s %10s\n' "$w" "$rt" "$pt" "$(python3 -c "print(f'{float($rt)/max(float($pt),1e-9):.2f}')")" "$rf" "$rr"
done
rm -f "$insert_sql"
