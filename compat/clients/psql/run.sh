#!/usr/bin/env bash
# Runs session.sql (and a \copy and two failing statements) through psql, then
# checks the lines that matter. Connection from PGHOST, PGPORT, PGUSER,
# PGPASSWORD, PGDATABASE; tables prefixed with RC_PREFIX.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${RC_PREFIX:-t_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}
tbl=${prefix}items
user=${PGUSER:-$(id -un)}
database=${PGDATABASE:-$user}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0

fail() { echo "FAIL psql: $1" >&2; echo "--- psql output ($2) ---" >&2; cat "$2" >&2; exit 1; }
ok() { passed=$((passed + 1)); echo "ok   psql: $1"; }
# expect_line DESCRIPTION FILE EXTENDED-REGEX
expect_line() { grep -Eq -- "$3" "$2" || fail "$1: no line matches /$3/" "$2"; ok "$1"; }
# section NAME: the output between "MARK NAME" and the next MARK line
section() { awk -v name="MARK $1" '$0 == name {on = 1; next} /^MARK / {on = 0} on' "$work/session.out"; }

psql -X -v ON_ERROR_STOP=1 -v prefix="$prefix" -f "$here/session.sql" >"$work/session.out" 2>&1 \
    || fail "session.sql exited $?" "$work/session.out"
out=$work/session.out
ok "session.sql ran to the end with ON_ERROR_STOP"
expect_line "CREATE TABLE tag" "$out" '^CREATE TABLE$'
expect_line "INSERT tag with row count" "$out" '^INSERT 0 2$'
expect_line "SELECT row: integer, varchar, numeric scale, boolean" "$out" '^ +1 \| widget +\| +9\.99 \| t$'
expect_line "SELECT row: unicode and negative numeric" "$out" '^ +2 \| gädget ✓ +\| +-1\.50 \| t$'
expect_line "UPDATE tag" "$out" '^UPDATE 1$'
expect_line "DELETE tag with no row" "$out" '^DELETE 0$'
expect_line "BEGIN / ROLLBACK tags" "$out" '^ROLLBACK$'
grep -A2 -E '^ inside_block $' "$out" | grep -Eq '^ +3$' || fail "read-your-own-writes count 3 inside the block" "$out"
ok "read-your-own-writes inside the block"
grep -A2 -E '^ after_rollback $' "$out" | grep -Eq '^ +2$' || fail "count 2 after ROLLBACK" "$out"
ok "rolled-back row not visible"

section list-relations >"$work/d"
expect_line "\\d lists the table with its owner" "$work/d" "^ [a-z_]+ +\| $tbl +\| table +\| $user *$"
section list-tables >"$work/dt"
expect_line "\\dt lists the table with its owner" "$work/dt" "^ [a-z_]+ +\| $tbl +\| table +\| $user *$"
section describe-table >"$work/dtable"
expect_line "\\d table: title" "$work/dtable" "Table \"[a-z_]+\.$tbl\""
expect_line "\\d table: integer not null" "$work/dtable" '^ id +\| integer +\| +\| not null \|'
expect_line "\\d table: varchar(40) not null" "$work/dtable" '^ name +\| character varying\(40\) +\| +\| not null \|'
expect_line "\\d table: numeric(8,2) nullable" "$work/dtable" '^ price +\| numeric\(8,2\) +\| +\| +\| *$'
expect_line "\\d table: timestamptz with default" "$work/dtable" "^ created +\| timestamp with time zone +\| +\| +\| '2024-01-01"
expect_line "\\d table: boolean not null default true" "$work/dtable" '^ active +\| boolean +\| +\| not null \| true$'
expect_line "\\d table: primary key index" "$work/dtable" "\"${tbl}_pkey\" PRIMARY KEY, [a-z]+ \(id\)"
section list-roles >"$work/du"
expect_line "\\du lists the connected role" "$work/du" "^ $user +\|"
section list-databases >"$work/l"
expect_line "\\l lists the database with UTF8 encoding" "$work/l" "^ $database +\| [a-z_]+ +\| UTF8 "
section copy >"$work/copy"
expect_line "COPY FROM STDIN tag" "$work/copy" '^COPY 3$'
expect_line "COPY rows counted, NULL kept, numeric summed" "$work/copy" '^ +3 \| +2 \| +0\.99$'
grep -A2 -E '^ tab_name_length $' "$work/copy" | grep -Eq '^ +17$' || fail "COPY text-format escape \\t decoded" "$work/copy"
ok "COPY text-format escape \\t decoded to one character"
expect_line "session reached its end" "$out" '^MARK end$'

printf 'id,name,price\n20,"csv, with comma",2.50\n21,"csv ""quoted""",\n' >"$work/rows.csv"
psql -X -v ON_ERROR_STOP=1 -c "\\copy $tbl (id, name, price) FROM '$work/rows.csv' WITH (FORMAT csv, HEADER true)" \
    >"$work/copy2.out" 2>&1 || fail "\\copy from a CSV file" "$work/copy2.out"
expect_line "\\copy CSV tag" "$work/copy2.out" '^COPY 2$'
psql -X -At -c "SELECT count(*) || '/' || count(price) FROM $tbl WHERE id >= 20" -c "SELECT name FROM $tbl WHERE id = 21" >"$work/count.out" 2>&1
expect_line "\\copy CSV rows present, empty field is NULL" "$work/count.out" '^2/1$'
expect_line "\\copy CSV doubled quotes decoded" "$work/count.out" '^csv "quoted"$'

for case in "42601|SELEC 1" "42P01|SELECT * FROM ${prefix}missing" "23505|INSERT INTO $tbl (id, name) VALUES (1, 'dup')"; do
    sqlstate=${case%%|*}
    sql=${case#*|}
    if psql -X -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "$sql" >"$work/error.out" 2>&1; then
        fail "'$sql' should fail with $sqlstate" "$work/error.out"
    fi
    expect_line "'$sql' -> $sqlstate" "$work/error.out" "^ERROR: +$sqlstate: "
done

psql -X -v ON_ERROR_STOP=1 -q -c "DROP TABLE $tbl" >"$work/drop.out" 2>&1 || fail "DROP TABLE" "$work/drop.out"
ok "DROP TABLE"
echo "$(psql --version)"
echo "psql: $passed passed, 0 failed"
