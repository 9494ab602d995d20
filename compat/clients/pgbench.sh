#!/usr/bin/env bash
# pgbench's TPC-B-like workload against the target, then the TPC-B consistency
# invariants. Connection from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE.
#
# pgbench's tables have fixed names (pgbench_*), so two runs must not share a
# database. `pgbench -i` sends DROP TABLE IF EXISTS, CREATE TABLE ... WITH
# (fillfactor=100), TRUNCATE, COPY pgbench_accounts FROM STDIN, VACUUM ANALYZE
# and ALTER TABLE ... ADD PRIMARY KEY; RC_PGBENCH_INIT_STEPS (default dtgvp)
# narrows that to what the target accepts. The run itself sends BEGIN, three
# UPDATEs, a SELECT, an INSERT with CURRENT_TIMESTAMP and END, as named
# prepared statements (-M prepared), and retries 40001 up to --max-tries.
# Before the run pgbench reads pg_class/pg_partitioned_table to learn whether
# pgbench_accounts is partitioned, VACUUMs and TRUNCATEs pgbench_history;
# RC_PGBENCH_RUN_FLAGS=-n skips the VACUUM and TRUNCATE.
set -euo pipefail
seconds=${RC_PGBENCH_SECONDS:-10}
init_steps=${RC_PGBENCH_INIT_STEPS:-dtgvp}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0

fail() { echo "FAIL pgbench: $1" >&2; [ -z "${2:-}" ] || cat "$2" >&2; exit 1; }
ok() { passed=$((passed + 1)); echo "ok   pgbench: $1"; }
query() { psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }

pgbench -i -s 1 -I "$init_steps" >"$work/init.out" 2>&1 || fail "pgbench -i -s 1 -I $init_steps" "$work/init.out"
ok "pgbench -i -s 1 -I $init_steps"
accounts=$(query "SELECT count(*) FROM pgbench_accounts")
[ "$accounts" = 100000 ] || fail "pgbench_accounts after init: expected 100000 rows, got $accounts"
ok "pgbench_accounts has 100000 rows after init"

# shellcheck disable=SC2086 # the flags are meant to split
pgbench -c 4 -j 2 -T "$seconds" -M prepared --max-tries=10 ${RC_PGBENCH_RUN_FLAGS:-} >"$work/run.out" 2>&1 \
    || fail "pgbench -c 4 -j 2 -T $seconds -M prepared --max-tries=10 exited non-zero" "$work/run.out"
grep -q '^number of transactions actually processed: [1-9]' "$work/run.out" \
    || fail "pgbench processed no transaction" "$work/run.out"
ok "pgbench run finished: $(grep '^number of transactions actually processed' "$work/run.out")"
tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$work/run.out")
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/run.out")
retried=$(sed -n 's/^number of transactions retried: \([0-9]*\).*/\1/p' "$work/run.out")
retries=$(sed -n 's/^total number of retries: \([0-9]*\).*/\1/p' "$work/run.out")
echo "pgbench: tps=$tps failed=${failed:-0} retried=${retried:-0} retries=${retries:-0}"
[ "${failed:-0}" = 0 ] || fail "$failed transactions failed after 10 tries" "$work/run.out"
ok "no transaction failed after retries"

accounts=$(query "SELECT count(*) FROM pgbench_accounts")
[ "$accounts" = 100000 ] || fail "pgbench_accounts after the run: expected 100000 rows, got $accounts"
ok "pgbench_accounts still has 100000 rows"
sums=$(query "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || ' ' || (SELECT coalesce(sum(delta), 0) FROM pgbench_history)
    || ' ' || (SELECT sum(bbalance) FROM pgbench_branches) || ' ' || (SELECT sum(tbalance) FROM pgbench_tellers)
    || ' ' || (SELECT count(*) FROM pgbench_history)")
read -r abalance delta bbalance tbalance history <<<"$sums"
echo "pgbench: sum(abalance)=$abalance sum(delta)=$delta sum(bbalance)=$bbalance sum(tbalance)=$tbalance history_rows=$history"
[ "$abalance" = "$delta" ] && [ "$delta" = "$bbalance" ] && [ "$bbalance" = "$tbalance" ] \
    || fail "TPC-B balances disagree: accounts $abalance, history $delta, branches $bbalance, tellers $tbalance"
ok "TPC-B consistency: sum(abalance) = sum(delta) = sum(bbalance) = sum(tbalance)"
processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/run.out")
[ "$history" = "$processed" ] || fail "pgbench_history has $history rows, pgbench reported $processed transactions"
ok "one pgbench_history row per processed transaction"

if [ "${RC_KEEP_PGBENCH_TABLES:-0}" != 1 ]; then
    query "DROP TABLE pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers" >/dev/null
    ok "DROP TABLE pgbench_*"
fi
echo "$(pgbench --version)"
echo "pgbench: $passed passed, 0 failed"
