#!/usr/bin/env bash
# Runs the MySQL client programs against the target named by MYSQL_HOST,
# MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD, MYSQL_DATABASE and RC_TARGET
# (mariadb or rowchain). Prints PASS/FAIL per program and exits non-zero if any
# failed.
# Usage: run-all.sh [program ...]
#   programs: pymysql mysqlclient connector sqlalchemy django node jdbc cli (default: all)
#             sysbench (only when named: a benchmark, it prints figures and asserts nothing)
# Run ../setup.sh once first. Each program's full output is kept in $RC_CLIENTS_LOGS
# (default: a temporary directory, printed at the end).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${RC_CLIENTS_CACHE:-$HOME/.cache/rowchain/clients}
logs=${RC_CLIENTS_LOGS:-$(mktemp -d)}
mkdir -p "$logs"
export RC_TARGET=${RC_TARGET:-mariadb}
export MYSQL_HOST=${MYSQL_HOST:-127.0.0.1} MYSQL_PORT=${MYSQL_PORT:-3306} MYSQL_USER=${MYSQL_USER:-root}
export MYSQL_PASSWORD=${MYSQL_PASSWORD:-} MYSQL_DATABASE=${MYSQL_DATABASE:-test}
run_id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
python=$cache/venv/bin/python

command_for() {
    case $1 in
        pymysql) echo "$python $here/test_pymysql.py" ;;
        mysqlclient) echo "$python $here/test_mysqlclient.py" ;;
        connector) echo "$python -W ignore::DeprecationWarning $here/test_connector.py" ;;
        sqlalchemy) echo "$python $here/test_sqlalchemy_mysql.py" ;;
        django) echo "$python $here/django/test_django.py" ;;
        node) echo "node $here/node/test.js" ;;
        jdbc) echo "java -cp $cache/java:/usr/share/java/mariadb-java-client.jar MariaDbJdbcTest" ;;
        cli) echo "$here/cli/run.sh" ;;
        sysbench) echo "$here/sysbench.sh" ;;
        *) return 1 ;;
    esac
}

programs=("$@")
[ ${#programs[@]} -gt 0 ] || programs=(pymysql mysqlclient connector sqlalchemy django node jdbc cli)
echo "run-all: target $RC_TARGET at $MYSQL_HOST:$MYSQL_PORT database $MYSQL_DATABASE as $MYSQL_USER"
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
