"""psycopg2 against a PostgreSQL-speaking server (real PostgreSQL or rowchain).

Connection comes from libpq's env (PGHOST, PGPORT, PGUSER, PGPASSWORD,
PGDATABASE). Tables are prefixed with RC_PREFIX so parallel runs never collide.
RC_TARGET=rowchain turns on the checks of rowchain's system views and of
password authentication (the machine's PostgreSQL trusts every local login).

psycopg2 speaks only the simple query protocol: it interpolates parameters
client-side into literals such as '\\x00ff'::bytea or '2024-01-02T03:04:05'::timestamp,
so the server's parser must accept those casts.
"""

import datetime
import decimal
import os
import secrets
import sys
import uuid

import psycopg2
import psycopg2.errorcodes
import psycopg2.extras

TARGET = os.environ.get("RC_TARGET", "postgres")
PREFIX = os.environ.get("RC_PREFIX") or "t_" + secrets.token_hex(4)
PASSED = 0

# Type OIDs the server must announce in RowDescription; drivers pick decoders by them.
OIDS = {
    "c_small": 21, "c_int": 23, "c_big": 20, "c_num": 1700, "c_real": 700,
    "c_double": 701, "c_text": 25, "c_varchar": 1043, "c_char": 1042,
    "c_bool": 16, "c_date": 1082, "c_ts": 1114, "c_tstz": 1184, "c_bytea": 17,
    "c_json": 114, "c_jsonb": 3802, "c_uuid": 2950,
}


def fail(check, detail):
    print(f"FAIL psycopg2: {check}: {detail}", file=sys.stderr)
    sys.exit(1)


def ok(check):
    global PASSED
    PASSED += 1
    print(f"ok   psycopg2: {check}", flush=True)


def expect(check, actual, expected):
    if actual != expected:
        fail(check, f"expected {expected!r}, got {actual!r}")
    ok(check)


def expect_sqlstate(check, conn, sql, params, sqlstate):
    """Run sql, which must fail with sqlstate; the connection's block is left aborted."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
    except psycopg2.Error as error:
        if error.pgcode != sqlstate:
            fail(check, f"expected SQLSTATE {sqlstate}, got {error.pgcode}: {error}")
        ok(f"{check} -> {sqlstate}")
        return
    fail(check, f"expected SQLSTATE {sqlstate}, statement succeeded")


def table(name):
    return f"{PREFIX}{name}"


def connect(**overrides):
    conn = psycopg2.connect(**overrides)
    psycopg2.extras.register_uuid(conn_or_curs=conn)
    return conn


def check_connect(conn):
    expect("connect: server encoding is UTF8", conn.encoding, "UTF8")
    expect("connect: standard_conforming_strings", conn.get_parameter_status("standard_conforming_strings"), "on")
    expect("connect: integer_datetimes", conn.get_parameter_status("integer_datetimes"), "on")
    if conn.server_version < 90000:
        fail("connect: server_version", conn.server_version)
    ok(f"connect: server_version {conn.server_version}")
    with conn.cursor() as cur:
        cur.execute("SELECT 1 + 1, 'x' || 'y'")
        expect("connect: SELECT 1 + 1, 'x' || 'y'", cur.fetchall(), [(2, "xy")])


def check_ddl(conn):
    with conn.cursor() as cur:
        cur.execute(f"""
            CREATE TABLE {table('types')} (
                id serial PRIMARY KEY,
                c_small smallint, c_int integer, c_big bigint, c_num numeric(12,3),
                c_real real, c_double double precision,
                c_text text NOT NULL, c_varchar varchar(20), c_char char(5),
                c_bool boolean, c_date date, c_ts timestamp, c_tstz timestamptz,
                c_bytea bytea, c_json json, c_jsonb jsonb, c_uuid uuid)""")
        expect("CREATE TABLE command tag", cur.statusmessage, "CREATE TABLE")
        cur.execute(f"""
            CREATE TABLE {table('accounts')} (
                id integer PRIMARY KEY, owner text NOT NULL UNIQUE,
                balance bigint NOT NULL DEFAULT 0 CHECK (balance >= 0))""")
        cur.execute(f"""
            CREATE TABLE {table('entries')} (
                id bigserial PRIMARY KEY,
                account_id integer NOT NULL REFERENCES {table('accounts')}(id),
                amount numeric(10,2) NOT NULL, note varchar(40))""")
        ok("CREATE TABLE with PRIMARY KEY, UNIQUE, NOT NULL, CHECK, DEFAULT, REFERENCES")


FULL_ROW = {
    "c_small": -32768, "c_int": -2147483648, "c_big": -9223372036854775808,
    "c_num": decimal.Decimal("-123456789.125"), "c_real": -1.5,
    "c_double": 3.141592653589793,
    "c_text": "héllo wörld ✓ 日本語 😀 it's a \\ backslash",
    "c_varchar": "varchar ünïcode", "c_char": "ab", "c_bool": True,
    "c_date": datetime.date(2024, 2, 29),
    "c_ts": datetime.datetime(2024, 1, 2, 3, 4, 5, 678901),
    "c_tstz": datetime.datetime(2024, 6, 30, 23, 59, 58, 123456,
                                tzinfo=datetime.timezone(datetime.timedelta(hours=5, minutes=30))),
    "c_bytea": bytes(range(256)),
    "c_json": {"a": [1, 2, {"b": None}], "s": "ü"},
    "c_jsonb": {"z": 1, "a": [True, False]},
    "c_uuid": uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
}


def check_types(conn):
    columns = list(FULL_ROW)
    placeholders = ", ".join(f"%({c})s" for c in columns)
    values = dict(FULL_ROW)
    values["c_json"] = psycopg2.extras.Json(FULL_ROW["c_json"])
    values["c_jsonb"] = psycopg2.extras.Json(FULL_ROW["c_jsonb"])
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table('types')} ({', '.join(columns)}) VALUES ({placeholders}) RETURNING id",
            values)
        expect("INSERT ... RETURNING command tag", cur.statusmessage, "INSERT 0 1")
        full_id = cur.fetchone()[0]
        if not isinstance(full_id, int):
            fail("INSERT ... RETURNING id", f"not an int: {full_id!r}")
        ok(f"INSERT ... RETURNING serial id = {full_id}")
        cur.execute(f"INSERT INTO {table('types')} (c_text) VALUES (%s) RETURNING id, c_int", ("only text",))
        null_id, null_int = cur.fetchone()
        expect("INSERT ... RETURNING second serial id", null_id, full_id + 1)
        expect("INSERT ... RETURNING NULL column", null_int, None)

        cur.execute(f"SELECT {', '.join(columns)} FROM {table('types')} WHERE id = %s", (full_id,))
        expect("SELECT with parameter: row count", cur.rowcount, 1)
        oids = {d.name: d.type_code for d in cur.description}
        expect("RowDescription type OIDs", oids, OIDS)
        row = dict(zip(columns, cur.fetchone()))
        if not isinstance(row["c_bytea"], memoryview):
            fail("bytea decodes to memoryview", type(row["c_bytea"]))
        row["c_bytea"] = bytes(row["c_bytea"])
        for column, value in FULL_ROW.items():
            want = value.ljust(5) if column == "c_char" else value
            expect(f"round trip {column}", row[column], want)
        expect("timestamptz keeps the instant", row["c_tstz"].utcoffset() is not None, True)

        cur.execute(f"SELECT {', '.join(columns)} FROM {table('types')} WHERE id = %s", (null_id,))
        row = dict(zip(columns, cur.fetchone()))
        nulls = {c: v for c, v in row.items() if c != "c_text"}
        expect("round trip NULL in every nullable type", nulls, {c: None for c in nulls})

        cur.execute(f"SELECT c_num::text, c_jsonb::text, c_bool::text FROM {table('types')} WHERE id = %s",
                    (full_id,))
        expect("text forms of numeric scale, jsonb, boolean", cur.fetchone(),
               ("-123456789.125", '{"a": [true, false], "z": 1}', "true"))
        cur.execute(f"SELECT count(*) FROM {table('types')} WHERE c_text = %s AND c_bool = %s AND c_num < %s",
                    (FULL_ROW["c_text"], True, decimal.Decimal("0")))
        expect("SELECT with unicode, boolean and numeric parameters", cur.fetchone(), (1,))
        cur.execute(f"SELECT id FROM {table('types')} WHERE c_int IS NULL")
        expect("SELECT ... IS NULL", cur.fetchall(), [(null_id,)])


def check_update_delete(conn):
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {table('accounts')} (id, owner, balance) VALUES (%s, %s, %s)",
                        [(1, "alice", 100), (2, "bob", 50), (3, "carol", 0)])
        expect("executemany INSERT rowcount", cur.rowcount, 3)
        cur.execute(f"UPDATE {table('accounts')} SET balance = balance + %s WHERE balance < %s", (10, 100))
        expect("UPDATE rowcount", cur.rowcount, 2)
        expect("UPDATE command tag", cur.statusmessage, "UPDATE 2")
        cur.execute(f"UPDATE {table('accounts')} SET balance = 1 WHERE id = %s", (99,))
        expect("UPDATE of no row: rowcount", cur.rowcount, 0)
        cur.execute(f"INSERT INTO {table('accounts')} (id, owner) VALUES (4, 'dave') RETURNING balance")
        expect("DEFAULT applied, visible through RETURNING", cur.fetchone(), (0,))
        cur.execute(f"DELETE FROM {table('accounts')} WHERE id = %s", (4,))
        expect("DELETE rowcount", cur.rowcount, 1)
        expect("DELETE command tag", cur.statusmessage, "DELETE 1")
        cur.execute(f"SELECT id, owner, balance FROM {table('accounts')} ORDER BY id")
        expect("SELECT command tag", cur.statusmessage, "SELECT 3")
        expect("rows after UPDATE/DELETE", cur.fetchall(), [(1, "alice", 100), (2, "bob", 60), (3, "carol", 10)])


def count(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def check_transactions(conn, observer):
    entries = table("entries")
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {entries} (account_id, amount, note) VALUES (1, %s, 'committed')",
                    (decimal.Decimal("12.50"),))
        cur.execute(f"INSERT INTO {entries} (account_id, amount, note) VALUES (2, %s, 'committed')",
                    (decimal.Decimal("-0.01"),))
        expect("read-your-own-writes inside a block",
               count(conn, f"SELECT count(*) FROM {entries} WHERE note = 'committed'"), 2)
        expect("other session does not see uncommitted rows",
               count(observer, f"SELECT count(*) FROM {entries}"), 0)
    conn.commit()
    expect("committed block visible to another session",
           count(observer, f"SELECT sum(amount) FROM {entries} WHERE note = 'committed'"),
           decimal.Decimal("12.49"))

    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {entries} (account_id, amount, note) VALUES (1, 1, 'rolled back')")
        cur.execute(f"UPDATE {table('accounts')} SET balance = 0 WHERE id = 1")
    conn.rollback()
    expect("rolled-back insert not visible", count(conn, f"SELECT count(*) FROM {entries} WHERE note = 'rolled back'"), 0)
    expect("rolled-back update not visible", count(conn, f"SELECT balance FROM {table('accounts')} WHERE id = 1"), 100)
    conn.commit()

    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {entries} (account_id, amount, note) VALUES (1, 2, 'before error')")
    expect_sqlstate("duplicate key inside a block", conn,
                    f"INSERT INTO {table('accounts')} (id, owner) VALUES (1, 'again')", (),
                    psycopg2.errorcodes.UNIQUE_VIOLATION)
    expect_sqlstate("statement after an error in a block", conn, "SELECT 1", (),
                    psycopg2.errorcodes.IN_FAILED_SQL_TRANSACTION)
    conn.rollback()
    expect("ROLLBACK recovers the session", count(conn, "SELECT 7"), 7)
    expect("nothing of the failed block persisted",
           count(conn, f"SELECT count(*) FROM {entries} WHERE note = 'before error'"), 0)
    conn.commit()

    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {entries} (account_id, amount, note) VALUES (1, 3, 'kept')")
        cur.execute("SAVEPOINT sp1")
        expect("SAVEPOINT command tag", cur.statusmessage, "SAVEPOINT")
        cur.execute(f"INSERT INTO {entries} (account_id, amount, note) VALUES (1, 4, 'undone')")
        cur.execute("ROLLBACK TO SAVEPOINT sp1")
        expect("ROLLBACK TO command tag", cur.statusmessage, "ROLLBACK")
        cur.execute("SAVEPOINT sp2")
    expect_sqlstate("unique violation after SAVEPOINT", conn,
                    f"INSERT INTO {table('accounts')} (id, owner) VALUES (2, 'again')", (), "23505")
    with conn.cursor() as cur:
        cur.execute("ROLLBACK TO SAVEPOINT sp2")
        cur.execute(f"INSERT INTO {entries} (account_id, amount, note) VALUES (1, 5, 'after recovery')")
    conn.commit()
    expect("SAVEPOINT + ROLLBACK TO keeps only the surviving writes",
           sorted(r[0] for r in rows(observer, f"SELECT note FROM {entries} WHERE note IN ('kept', 'undone', 'after recovery')")),
           ["after recovery", "kept"])
    conn.autocommit = True


def rows(conn, sql, params=()):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def check_errors(conn):
    expect_sqlstate("unique violation (autocommit)", conn,
                    f"INSERT INTO {table('accounts')} (id, owner) VALUES (%s, %s)", (1, "dup"), "23505")
    expect_sqlstate("unique violation on UNIQUE column", conn,
                    f"INSERT INTO {table('accounts')} (id, owner) VALUES (%s, %s)", (9, "alice"), "23505")
    expect_sqlstate("NOT NULL violation", conn,
                    f"INSERT INTO {table('accounts')} (id, owner) VALUES (%s, NULL)", (10,), "23502")
    expect_sqlstate("CHECK violation", conn,
                    f"UPDATE {table('accounts')} SET balance = -1 WHERE id = 1", (), "23514")
    expect_sqlstate("FOREIGN KEY violation", conn,
                    f"INSERT INTO {table('entries')} (account_id, amount) VALUES (999, 1)", (), "23503")
    expect_sqlstate("syntax error", conn, "SELEC 1", (), "42601")
    expect_sqlstate("undefined table", conn, f"SELECT * FROM {table('missing')}", (), "42P01")
    expect_sqlstate("undefined column", conn, f"SELECT no_such_column FROM {table('accounts')}", (), "42703")
    expect_sqlstate("bad integer input", conn, f"SELECT * FROM {table('accounts')} WHERE id = 'x'", (), "22P02")
    expect("session usable after errors", count(conn, f"SELECT count(*) FROM {table('accounts')}"), 3)


def check_roles(conn):
    role = f"{PREFIX}role"
    with conn.cursor() as cur:
        cur.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'first-secret'")
        expect("CREATE ROLE command tag", cur.statusmessage, "CREATE ROLE")
    try:
        with connect(user=role, password="first-secret") as other:
            expect("login as the new role", count(other, "SELECT current_user"), role)
        other.close()
        if TARGET == "rowchain":
            # A role's account key is sealed under its password: only the role can change it.
            expect_sqlstate("ALTER ROLE of another role's password", conn,
                            f"ALTER ROLE {role} PASSWORD 'by-admin'", (), "0A000")
        # A role changes its own password (PostgreSQL allows it too).
        # (psycopg2 2.9's `with connection` would open a block: ALTER ROLE runs outside one.)
        other = connect(user=role, password="first-secret")
        other.autocommit = True
        with other.cursor() as cur:
            cur.execute(f"ALTER ROLE {role} PASSWORD 'second-secret'")
            expect("ALTER ROLE command tag", cur.statusmessage, "ALTER ROLE")
        other.close()
        other = connect(user=role, password="second-secret")
        expect("login with the changed password", count(other, "SELECT current_user"), role)
        other.close()
        if TARGET == "rowchain":
            try:
                connect(user=role, password="first-secret").close()
                fail("login with the old password", "succeeded")
            except psycopg2.OperationalError as error:
                # libpq reports a failed login before a session exists, so psycopg2 leaves
                # pgcode empty; PostgreSQL's message for 28P01 is the evidence.
                if "password authentication failed" not in str(error) and "28P01" not in str(error):
                    fail("login with the old password", f"unexpected error: {error}")
                ok("login with the old password refused (28P01)")
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP ROLE {role}")
            expect("DROP ROLE command tag", cur.statusmessage, "DROP ROLE")


def check_system_views(conn):
    """rowchain records every chain tx; PostgreSQL has no such view."""
    if TARGET != "rowchain":
        return
    found = rows(conn, "SELECT status, sqlstate, rows_affected, height FROM rowchain.transactions "
                       "WHERE statement LIKE %s", (f"%UPDATE {table('accounts')} SET balance = balance +%",))
    expect("rowchain.transactions: one committed tx for the UPDATE",
           [(r[0], r[1], r[2]) for r in found], [("committed", None, 2)])
    expect("rowchain.blocks holds the tx's block",
           count(conn, "SELECT count(*) FROM rowchain.blocks WHERE height = %s", (found[0][3],)), 1)
    entries = table("entries")
    committed = rows(conn, "SELECT status FROM rowchain.transactions WHERE statement LIKE %s",
                     (f"%INSERT INTO {entries} %'after recovery'%",))
    expect("rowchain.transactions: the SAVEPOINT block is one committed tx", committed, [("committed",)])
    expect("rowchain.transactions: rolled-back block never reached the chain",
           count(conn, "SELECT count(*) FROM rowchain.transactions WHERE statement LIKE %s",
                 (f"%INSERT INTO {entries} %'rolled back'%",)), 0)


def drop_tables(conn):
    with conn.cursor() as cur:
        for name in ("entries", "accounts", "types"):
            cur.execute(f"DROP TABLE {table(name)}")
    ok("DROP TABLE")


def main():
    conn = connect()
    conn.autocommit = True
    observer = connect()
    observer.autocommit = True
    check_connect(conn)
    check_ddl(conn)
    check_types(conn)
    check_update_delete(conn)
    check_transactions(conn, observer)
    check_errors(conn)
    check_roles(conn)
    check_system_views(conn)
    drop_tables(conn)
    observer.close()
    conn.close()
    print(f"psycopg2 {psycopg2.__version__.split()[0]}")
    print(f"psycopg2: {PASSED} passed, 0 failed")


if __name__ == "__main__":
    try:
        main()
    except psycopg2.Error as error:
        fail("unexpected database error", f"SQLSTATE {error.pgcode}: {error}")
