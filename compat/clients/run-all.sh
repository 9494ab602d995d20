#!/usr/bin/env bash
# Runs every client program against the target named by the libpq env
# (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) and RC_TARGET (postgres or
# rowchain). Prints PASS/FAIL per program and exits non-zero if any failed.
# Usage: run-all.sh [program ...]   programs: psycopg2 sqlalchemy django jdbc node psql pgbench
# Run setup.sh once first. Each program's full output is kept in $RC_CLIENTS_LOGS
# (default: a temporary directory, printed at the end).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${RC_CLIENTS_CACHE:-$HOME/.cache/rowchain/clients}
logs=${RC_CLIENTS_LOGS:-$(mktemp -d)}
mkdir -p "$logs"
export RC_TARGET=${RC_TARGET:-postgres}
run_id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')

command_for() {
    case $1 in
        psycopg2) echo "$cache/venv/bin/python $here/python/test_psycopg2.py" ;;
        sqlalchemy) echo "$cache/venv/bin/python $here/python/test_sqlalchemy.py" ;;
        django) echo "$cache/venv/bin/python $here/python/test_django.py" ;;
        jdbc) echo "java -cp $cache/java:/usr/share/java/postgresql.jar JdbcTest" ;;
        node) echo "node $here/node/test.js" ;;
        psql) echo "$here/psql/run.sh" ;;
        pgbench) echo "$here/pgbench.sh" ;;
        *) return 1 ;;
    esac
}

programs=("$@")
[ ${#programs[@]} -gt 0 ] || programs=(psycopg2 sqlalchemy django jdbc node psql pgbench)
echo "run-all: target $RC_TARGET at ${PGHOST:-local}:${PGPORT:-5432} database ${PGDATABASE:-?} as ${PGUSER:-?}"
passed=0
failed=0
for program in "${programs[@]}"; do
    command=$(command_for "$program") || { echo "run-all: unknown program '$program'" >&2; exit 2; }
    start=$(date +%s)
    # A fresh prefix per program, unless the caller pinned one.
    if RC_PREFIX=${RC_PREFIX:-t_${run_id}_${program}_} timeout "${RC_CLIENT_TIMEOUT_S:-120}" $command \
        >"$logs/$program.log" 2>&1; then
        passed=$((passed + 1))
        echo "PASS $program ($(( $(date +%s) - start ))s): $(tail -n 1 "$logs/$program.log")"
    else
        failed=$((failed + 1))
        echo "FAIL $program ($(( $(date +%s) - start ))s): $(grep -m1 '^FAIL' "$logs/$program.log" || tail -n 3 "$logs/$program.log")"
    fi
done
echo "run-all: logs in $logs"
echo "run-all: $passed passed, $failed failed"
[ "$failed" = 0 ]
