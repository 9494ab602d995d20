#!/usr/bin/env bash
# Debian's sysbench (1.0) OLTP workloads against MariaDB or rowchain:
# oltp_point_select then oltp_insert, each prepare/run/cleanup. Target from
# MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD MYSQL_DATABASE. A benchmark:
# it prints figures, one parseable line per test,
#   sysbench oltp_insert tps 1234.5 qps 1234.5 latency_avg_ms 6.48 errors 0
# and fails only if sysbench itself fails.
# sysbench's tables are named sbtest1..N (no prefix): one sysbench per database.
# Env: RC_SYSBENCH_SECONDS (10), RC_SYSBENCH_THREADS (8), RC_SYSBENCH_TABLES (1),
# RC_SYSBENCH_TABLE_SIZE (10000), RC_SYSBENCH_TESTS ("oltp_point_select oltp_insert"),
# RC_SYSBENCH_FLAGS (extra flags, e.g. --db-ps-mode=disable for text-protocol
# statements instead of server-side prepared ones).
set -euo pipefail
seconds=${RC_SYSBENCH_SECONDS:-${SYSBENCH_TIME:-10}}
common=(--db-driver=mysql --mysql-host="${MYSQL_HOST:-127.0.0.1}" --mysql-port="${MYSQL_PORT:-3306}"
    --mysql-user="${MYSQL_USER:-root}" --mysql-password="${MYSQL_PASSWORD:-}" --mysql-db="${MYSQL_DATABASE:-test}"
    --tables="${RC_SYSBENCH_TABLES:-1}" --table-size="${RC_SYSBENCH_TABLE_SIZE:-10000}")
read -r -a extra <<<"${RC_SYSBENCH_FLAGS:-}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for test in ${RC_SYSBENCH_TESTS:-oltp_point_select oltp_insert}; do
    sysbench "$test" "${common[@]}" "${extra[@]}" cleanup >/dev/null 2>&1 || true
    if ! sysbench "$test" "${common[@]}" "${extra[@]}" prepare >"$work/prepare.out" 2>&1; then
        echo "FAIL sysbench: $test prepare" >&2
        cat "$work/prepare.out" >&2
        exit 1
    fi
    if ! sysbench "$test" "${common[@]}" "${extra[@]}" --threads="${RC_SYSBENCH_THREADS:-8}" --time="$seconds" \
        --report-interval=0 run >"$work/run.out" 2>&1; then
        echo "FAIL sysbench: $test run" >&2
        cat "$work/run.out" >&2
        sysbench "$test" "${common[@]}" "${extra[@]}" cleanup >/dev/null 2>&1 || true
        exit 1
    fi
    sysbench "$test" "${common[@]}" "${extra[@]}" cleanup >/dev/null 2>&1
    # "transactions:  12345 (1234.50 per sec.)", "queries: ...", "ignored errors: 0 (0.00 per sec.)", "avg: 6.48"
    tps=$(awk '/transactions:/ {gsub(/\(/, "", $3); print $3}' "$work/run.out")
    qps=$(awk '/queries:/ && /per sec/ {gsub(/\(/, "", $3); print $3}' "$work/run.out")
    errors=$(awk '/ignored errors:/ {print $3}' "$work/run.out")
    latency=$(awk '$1 == "avg:" {print $2; exit}' "$work/run.out")
    echo "sysbench $test tps $tps qps $qps latency_avg_ms $latency errors $errors"
done
echo "sysbench: $(sysbench --version)"
