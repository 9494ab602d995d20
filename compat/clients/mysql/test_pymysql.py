"""PyMySQL against a MySQL-speaking server (real MariaDB or rowchain).

Target from MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD MYSQL_DATABASE;
tables prefixed with RC_PREFIX; see mysql_core.py for the common core.

PyMySQL is pure Python and speaks only the text protocol: it interpolates
parameters client-side into literals (strings escaped with backslashes,
bytes as _binary'...', datetimes as '2024-01-02 03:04:05.678901'), so every
statement arrives as COM_QUERY. executemany() of an INSERT ... VALUES is
rewritten into one multi-row INSERT.
"""

import importlib.metadata

import pymysql
import pymysql.cursors
from pymysql.constants import CLIENT

import mysql_core
from mysql_core import Checker, Core, Driver, table

CHECK = Checker("pymysql")


class PyMySQL(Driver):
    name = "pymysql"
    error = pymysql.MySQLError

    def connect(self, **overrides):
        args = dict(host=mysql_core.HOST, port=mysql_core.PORT, user=mysql_core.USER,
                    password=mysql_core.PASSWORD, database=mysql_core.DATABASE, charset="utf8mb4",
                    autocommit=True)
        args.update(overrides)
        return pymysql.connect(**args)


def check_pymysql(core):
    c = core.c
    conn = core.conn
    # MariaDB prefixes its handshake version with "5.5.5-"; the rest is VERSION().
    c.expect("handshake server version ends with VERSION()",
             conn.get_server_info().endswith(core.one(conn, "SELECT VERSION()")), True)
    conn.ping(reconnect=False)
    c.ok("ping (COM_PING)")
    conn.select_db(mysql_core.DATABASE)
    c.ok("select_db (COM_INIT_DB)")
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute(f"SELECT k, v FROM {table('kv')} WHERE k = %(k)s", {"k": "b"})
        c.expect("DictCursor with a pyformat parameter", cur.fetchall(), [{"k": "b", "v": 12}])
    with conn.cursor() as cur:
        cur.execute(f"SELECT k AS `Key`, v + 1 AS plus_one FROM {table('kv')} WHERE k = 'a'")
        c.expect("cursor.description column labels", [d[0] for d in cur.description], ["Key", "plus_one"])
    with conn.cursor(pymysql.cursors.SSCursor) as cur:
        cur.execute(f"SELECT k FROM {table('kv')} ORDER BY k")
        c.expect("SSCursor streams rows one by one", [cur.fetchone()[0], cur.fetchone()[0]], ["a", "b"])
        cur.fetchall()
    with conn.cursor() as cur:
        cur.execute(f"INSERT IGNORE INTO {table('kv')} (k, v) VALUES ('a', 1)")
        c.expect("INSERT IGNORE of a duplicate: warning count", conn._result.warning_count, 1)
        cur.execute("SHOW WARNINGS")
        c.expect("SHOW WARNINGS names the duplicate (1062)", [r[1] for r in cur.fetchall()], [1062])
    conn.begin()
    with conn.cursor() as cur:
        cur.execute(f"DELETE FROM {table('kv')}")
        c.expect("begin(): DELETE of every row", cur.rowcount, 6)
    conn.rollback()
    c.expect("begin() + rollback() restores the rows", core.one(conn, f"SELECT COUNT(*) FROM {table('kv')}"), 6)

    found = core.d.connect(client_flag=CLIENT.FOUND_ROWS)
    with found.cursor() as cur:
        cur.execute(f"UPDATE {table('kv')} SET v = 3 WHERE k = 'c'")
        c.expect("CLIENT_FOUND_ROWS: UPDATE to the same value counts the matched row", cur.rowcount, 1)
        cur.execute(f"INSERT INTO {table('kv')} (k, v) VALUES ('c', 3) ON DUPLICATE KEY UPDATE v = VALUES(v)")
        c.expect("CLIENT_FOUND_ROWS: unchanged ON DUPLICATE KEY UPDATE: rowcount 1", cur.rowcount, 1)
    found.close()


def main():
    core = Core(CHECK, PyMySQL())
    core.run_all(integrity_error=pymysql.IntegrityError, programming_error=pymysql.ProgrammingError,
                 extra=[check_pymysql])
    CHECK.finish(importlib.metadata.version("PyMySQL"))


if __name__ == "__main__":
    try:
        main()
    except pymysql.MySQLError as error:
        CHECK.fail("unexpected database error", repr(error))
