#!/usr/bin/env bash
# The mysql command-line client (the machine's, MariaDB's) against MariaDB or
# rowchain. Target from MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD
# MYSQL_DATABASE (the password goes through MYSQL_PWD); tables prefixed with
# RC_PREFIX. Runs session.sql with -vvv (affected-row counts and the OK
# packet's info line: "Records: 2  Duplicates: 0  Warnings: 0", "Rows
# matched: 1  Changed: 0  Warnings: 0"), then single statements in batch mode
# (-B -N: tab-separated values, \t and \\ escaped), SHOW TABLES, DESCRIBE,
# SHOW CREATE TABLE, and failing statements with their error numbers.
# RC_CLI_SSL=1 adds a --ssl connection that must report an Ssl_cipher.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${RC_PREFIX:-t_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}
tbl=${prefix}items
database=${MYSQL_DATABASE:-test}
export MYSQL_PWD=${MYSQL_PASSWORD:-}
connect=(--no-defaults --protocol=TCP -h "${MYSQL_HOST:-127.0.0.1}" -P "${MYSQL_PORT:-3306}" -u "${MYSQL_USER:-root}"
    --default-character-set=utf8mb4)
work=$(mktemp -d)
cleanup() {
    mysql "${connect[@]}" "$database" -e "DROP TABLE IF EXISTS \`$tbl\`" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
passed=0

fail() { echo "FAIL cli: $1" >&2; echo "--- mysql output ($2) ---" >&2; cat "$2" >&2; exit 1; }
ok() { passed=$((passed + 1)); echo "ok   cli: $1"; }
# expect_line DESCRIPTION FILE EXTENDED-REGEX
expect_line() { grep -Eq -- "$3" "$2" || fail "$1: no line matches /$3/" "$2"; ok "$1"; }
# section NAME: the -vvv output between "| MARK NAME |" and the next MARK
section() {
    awk -v name="| MARK $1 |" 'index($0, name) == 1 {on = 1; next} /^\| MARK / {on = 0} on' "$work/session.out" \
        >"$work/$1"
    echo "$work/$1"
}
# batch FILE SQL...: run statements in batch mode, no column names
batch() { local out=$1; shift; mysql "${connect[@]}" -B -N "$database" -e "$*" >"$out" 2>&1; }

sed "s/@P@/$prefix/g" "$here/session.sql" >"$work/session.sql"
mysql "${connect[@]}" -vvv "$database" <"$work/session.sql" >"$work/session.out" 2>&1 \
    || fail "session.sql exited $?" "$work/session.out"
ok "session.sql ran to the end"
expect_line "CREATE TABLE: 0 rows affected" "$(section create)" '^Query OK, 0 rows affected'
f=$(section insert)
expect_line "multi-row INSERT: 2 rows affected" "$f" '^Query OK, 2 rows affected'
expect_line "multi-row INSERT info" "$f" '^Records: 2  Duplicates: 0  Warnings: 0$'
expect_line "INSERT ... SET: 1 row affected" "$(section insert-set)" '^Query OK, 1 row affected'
f=$(section update)
expect_line "UPDATE: 2 rows affected" "$f" '^Query OK, 2 rows affected'
expect_line "UPDATE info" "$f" '^Rows matched: 2  Changed: 2  Warnings: 0$'
f=$(section update-same)
expect_line "UPDATE to the same value: 0 rows affected" "$f" '^Query OK, 0 rows affected'
expect_line "UPDATE to the same value info" "$f" '^Rows matched: 1  Changed: 0  Warnings: 0$'
expect_line "ON DUPLICATE KEY UPDATE inserting: 1 row affected" "$(section upsert-insert)" '^Query OK, 1 row affected'
expect_line "ON DUPLICATE KEY UPDATE updating: 2 rows affected" "$(section upsert-update)" '^Query OK, 2 rows affected'
expect_line "REPLACE of an existing row: 2 rows affected" "$(section replace)" '^Query OK, 2 rows affected'
expect_line "INSERT IGNORE of a duplicate: 0 rows, 1 warning" "$(section insert-ignore)" '^Query OK, 0 rows affected, 1 warning'
expect_line "DELETE of no row: 0 rows affected" "$(section delete-none)" '^Query OK, 0 rows affected'
f=$(section select)
expect_line "SELECT ... LIMIT 0, 2: first row" "$f" '^\| +1 \| widget +\| +4 \| none +\| widget#1 +\|$'
expect_line "SELECT ... LIMIT 0, 2: unicode row" "$f" '^\| +2 \| gädget ✓ 😀 +\| +-2 \| it.s a	tab +\| gädget ✓ 😀#2 +\|$'
expect_line "SELECT: 2 rows in set" "$f" '^2 rows in set'
f=$(section transaction)
grep -A3 -E '^\| inside +\|$' "$f" | grep -Eq '^\| +5 \|$' || fail "read-your-own-writes inside START TRANSACTION" "$f"
ok "read-your-own-writes inside START TRANSACTION"
grep -A3 -E '^\| after_rollback \|$' "$f" | grep -Eq '^\| +4 \|$' || fail "ROLLBACK leaves nothing" "$f"
ok "ROLLBACK leaves nothing"
expect_line "session reached its end" "$work/session.out" '^\| MARK end \|$'

batch "$work/values" "SELECT name, qty, big, price, active, added, day, IFNULL(note, 'NULL') FROM \`$tbl\` WHERE id <= 2 ORDER BY id" \
    || fail "batch SELECT" "$work/values"
expect_line "batch: row 1 values, tab-separated" "$work/values" \
    $'^widget\t4\t-9223372036854775808\t9.5\t1\t2024-01-02 03:04:05.678901\t2024-02-29\tNULL$'
expect_line "batch: row 2 values, tab in a value escaped as \\t" "$work/values" \
    $'^gädget ✓ 😀\t-2\t9223372036854775807\t-1.25\t0\tNULL\tNULL\tit\'s a\\\\ttab$'
batch "$work/null" "SELECT note FROM \`$tbl\` WHERE id = 1" || fail "batch SELECT NULL" "$work/null"
expect_line "batch: NULL printed as NULL" "$work/null" '^NULL$'
batch "$work/lastid" "INSERT INTO \`$tbl\` (name) VALUES ('last'); SELECT LAST_INSERT_ID(), COUNT(*) FROM \`$tbl\`" \
    || fail "LAST_INSERT_ID()" "$work/lastid"
expect_line "LAST_INSERT_ID() after an AUTO_INCREMENT insert" "$work/lastid" $'^[0-9]+\t5$'
batch "$work/tx" "SET autocommit = 0; DELETE FROM \`$tbl\`; SELECT COUNT(*) FROM \`$tbl\`; ROLLBACK; SELECT COUNT(*) FROM \`$tbl\`" \
    || fail "SET autocommit = 0" "$work/tx"
[ "$(tr '\n' ' ' <"$work/tx")" = "0 5 " ] || fail "SET autocommit = 0: DELETE then ROLLBACK" "$work/tx"
ok "SET autocommit = 0: DELETE then ROLLBACK restores the rows"

batch "$work/tables" "SHOW TABLES LIKE '${prefix//_/\\_}%'" || fail "SHOW TABLES" "$work/tables"
expect_line "SHOW TABLES lists the table" "$work/tables" "^$tbl\$"
mysql "${connect[@]}" -B "$database" -e "DESCRIBE \`$tbl\`" >"$work/describe" 2>&1 || fail "DESCRIBE" "$work/describe"
expect_line "DESCRIBE: header" "$work/describe" $'^Field\tType\tNull\tKey\tDefault\tExtra$'
# MySQL 8 prints int and bigint without display widths; MariaDB with them.
expect_line "DESCRIBE: id int, PRI, auto_increment" "$work/describe" $'^id\tint(\\(11\\))?\tNO\tPRI\tNULL\tauto_increment$'
expect_line "DESCRIBE: name varchar(40), UNI" "$work/describe" $'^name\tvarchar\\(40\\)\tNO\tUNI\tNULL\t$'
expect_line "DESCRIBE: qty NOT NULL DEFAULT 0" "$work/describe" $'^qty\tint(\\(11\\))?\tNO\t\t0\t$'
expect_line "DESCRIBE: big bigint(20)" "$work/describe" $'^big\tbigint(\\(20\\))?\tYES\t\tNULL\t$'
expect_line "DESCRIBE: price double" "$work/describe" $'^price\tdouble\tYES\t\tNULL\t$'
expect_line "DESCRIBE: active tinyint(1) default 1" "$work/describe" $'^active\ttinyint\\(1\\)\tNO\t\t1\t$'
expect_line "DESCRIBE: added datetime(6)" "$work/describe" $'^added\tdatetime\\(6\\)\tYES\t\tNULL\t$'
expect_line "DESCRIBE: day date" "$work/describe" $'^day\tdate\tYES\t\tNULL\t$'
expect_line "DESCRIBE: note text" "$work/describe" $'^note\ttext\tYES\t\tNULL\t$'
batch "$work/create" "SHOW CREATE TABLE \`$tbl\`" || fail "SHOW CREATE TABLE" "$work/create"
expect_line "SHOW CREATE TABLE: the table name and its statement" "$work/create" "^$tbl"$'\t'"CREATE TABLE \`$tbl\` \\("
expect_line "SHOW CREATE TABLE: AUTO_INCREMENT column" "$work/create" '`id` int(\(11\))? NOT NULL AUTO_INCREMENT,'
expect_line "SHOW CREATE TABLE: NOT NULL varchar" "$work/create" '`name` varchar\(40\) NOT NULL,'
expect_line "SHOW CREATE TABLE: PRIMARY KEY" "$work/create" 'PRIMARY KEY \(`id`\)'
expect_line "SHOW CREATE TABLE: UNIQUE KEY" "$work/create" 'UNIQUE KEY `name` \(`name`\)'

for case in "1062|23000|INSERT INTO \`$tbl\` (name) VALUES ('widget')" \
            "1146|42S02|SELECT * FROM \`${prefix}missing\`" \
            "1064|42000|SELEC 1" \
            "1054|42S22|SELECT nope FROM \`$tbl\`" \
            "1048|23000|INSERT INTO \`$tbl\` (name) VALUES (NULL)"; do
    errno=${case%%|*}
    rest=${case#*|}
    sqlstate=${rest%%|*}
    sql=${rest#*|}
    if batch "$work/error" "$sql"; then
        fail "'$sql' should fail with $errno" "$work/error"
    fi
    expect_line "'$sql' -> ERROR $errno ($sqlstate)" "$work/error" "^ERROR $errno \\($sqlstate\\)"
done
if MYSQL_PWD="${MYSQL_PASSWORD:-}-wrong" mysql "${connect[@]}" "$database" -e "SELECT 1" >"$work/auth" 2>&1; then
    fail "a wrong password should be refused" "$work/auth"
fi
expect_line "wrong password -> ERROR 1045 (28000)" "$work/auth" '^ERROR 1045 \(28000\)'

if [ "${RC_CLI_SSL:-0}" = 1 ]; then
    mysql "${connect[@]}" --ssl -B -N "$database" -e "SHOW SESSION STATUS LIKE 'Ssl_cipher'" >"$work/ssl" 2>&1 \
        || fail "--ssl" "$work/ssl"
    expect_line "--ssl: a cipher is in use" "$work/ssl" $'^Ssl_cipher\t[A-Z0-9_-]+$'
fi

batch "$work/drop" "DROP TABLE \`$tbl\`" || fail "DROP TABLE" "$work/drop"
ok "DROP TABLE"
mysql --version
echo "cli: $passed passed, 0 failed"
