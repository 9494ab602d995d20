#!/usr/bin/env bash
# rowchain import's figures beside its source servers, in one run
# (compat/bench_import.py): snapshot rows/s, streaming source transactions/s,
# and the lag while a source load is paced at RATE transactions/s; for
# MariaDB (binlog), PostgreSQL (logical replication), or both (the default).
# Prints figures; asserts nothing.
#
#   compat/bench-import.sh [--source mariadb|postgres|both] [--rows N] [--txs N]
#                          [--rate TX_PER_S] [--seconds S] [--bin PATH]
#
# MariaDB needs mariadbd and mariadb-install-db (Debian mariadb-server-core)
# and the mysql client; the MariaDB is a private one on a free port, with the
# binlog settings README.md's "Follow an existing database" lists.
# PostgreSQL needs the server binaries (initdb, postgres, pg_ctl: Debian
# postgresql-15, found by `pg_config --bindir` or in /usr/lib/postgresql/*/bin)
# and psql; the PostgreSQL is a private one on a free port in a temporary
# directory, with wal_level=logical, run as user postgres when run as root.
# Each server keeps its own default durability.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rowchain/target}"
if [[ " $* " != *" --bin "* ]]; then
    cargo build --release -q --workspace   # as compat/bench builds it: one RocksDB build for all
    set -- --bin "$CARGO_TARGET_DIR/release/rowchain" "$@"
fi
exec python3 compat/bench_import.py "$@"
