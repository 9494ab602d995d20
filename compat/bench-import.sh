#!/usr/bin/env bash
# rowchain import's figures beside MariaDB, in one run (compat/bench_import.py):
# snapshot rows/s, streaming source transactions/s, and the lag while a
# source load is paced at RATE transactions/s. Prints figures; asserts nothing.
#
#   compat/bench-import.sh [--rows N] [--txs N] [--rate TX_PER_S] [--seconds S] [--bin PATH]
#
# Needs mariadbd and mariadb-install-db (Debian mariadb-server-core) and the
# mysql client; the MariaDB is a private one on a free port, with the binlog
# settings README.md's "Follow an existing database" lists.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rowchain/target}"
if [[ " $* " != *" --bin "* ]]; then
    cargo build --release -q --workspace   # as compat/bench builds it: one RocksDB build for all
    set -- --bin "$CARGO_TARGET_DIR/release/rowchain" "$@"
fi
exec python3 compat/bench_import.py "$@"
