#!/usr/bin/env bash
# sysbench oltp_point_select and oltp_insert (8 threads, Debian's sysbench)
# against rowchain dev's MySQL wire (release build) and the machine's MariaDB,
# in one run, with the ratios. Prints figures; asserts nothing.
#
#   compat/bench-mysql.sh [SECONDS]
#
# MariaDB is reached as root on 127.0.0.1:3306 (MARIADB_HOST, MARIADB_PORT,
# MARIADB_USER, MARIADB_PASSWORD), in a scratch database made for the run.
# compat/clients/setup.sh installs sysbench.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rowchain/target}"
cargo build --release -q --workspace   # as compat/bench and compat/run build it: one RocksDB build for all
bin="$CARGO_TARGET_DIR/release/rowchain"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

data="$(mktemp -d /tmp/rowchain-bench-mysql-XXXXXX)"
http="$(free_port)" pg="$(free_port)" my="$(free_port)"
"$bin" dev --data "$data" --http-addr "127.0.0.1:$http" --pg-addr "127.0.0.1:$pg" --mysql-addr "127.0.0.1:$my" >/dev/null &
pid=$!
db="rc_bench_$$"
maria=(mysql -h "${MARIADB_HOST:-127.0.0.1}" -P "${MARIADB_PORT:-3306}" -u "${MARIADB_USER:-root}")
[ -n "${MARIADB_PASSWORD:-}" ] && maria+=("-p$MARIADB_PASSWORD")
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"; "${maria[@]}" -e "DROP DATABASE IF EXISTS $db" 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/health" >/dev/null && break; sleep 0.1; done

export RC_SYSBENCH_SECONDS="$secs"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== rowchain dev (single validator, release), MySQL wire"
MYSQL_HOST=127.0.0.1 MYSQL_PORT="$my" MYSQL_USER=admin MYSQL_PASSWORD=admin MYSQL_DATABASE=rowchain \
    compat/clients/mysql/sysbench.sh | tee /tmp/rowchain-sysbench.out
"${maria[@]}" -e "CREATE DATABASE $db"
echo "== MariaDB $("${maria[@]}" -N -e 'SELECT VERSION()')"
MYSQL_HOST="${MARIADB_HOST:-127.0.0.1}" MYSQL_PORT="${MARIADB_PORT:-3306}" MYSQL_USER="${MARIADB_USER:-root}" \
    MYSQL_PASSWORD="${MARIADB_PASSWORD:-}" MYSQL_DATABASE="$db" compat/clients/mysql/sysbench.sh | tee /tmp/mariadb-sysbench.out

echo "== ratio rowchain/MariaDB (transactions per second, 8 threads, ${secs}s)"
for test in oltp_point_select oltp_insert; do
    rc="$(awk -v t="$test" '$2 == t {print $4}' /tmp/rowchain-sysbench.out)"
    md="$(awk -v t="$test" '$2 == t {print $4}' /tmp/mariadb-sysbench.out)"
    echo "$test: rowchain $rc, MariaDB $md, ratio $(python3 -c "print(f'{float($rc)/float($md):.2f}')")"
done
