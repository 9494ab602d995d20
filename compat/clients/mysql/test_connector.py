"""mysql-connector-python (Oracle's) against a MySQL-speaking server (real
MariaDB or rowchain), once through its pure-Python protocol (`use_pure=True`)
and once through its C extension (libmysqlclient bundled in the wheel), when
the extension loads on this machine.

Target from MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD MYSQL_DATABASE;
tables prefixed with RC_PREFIX; see mysql_core.py for the common core.

Beyond the core: SQLSTATEs on every error, `cursor(prepared=True)` (the binary
protocol: COM_STMT_PREPARE / COM_STMT_EXECUTE with typed parameters and
binary result rows), dictionary cursors, start_transaction(),
cmd_reset_connection() (COM_RESET_CONNECTION) and cmd_change_user().
"""

import datetime
import importlib.metadata

import mysql.connector
import mysql.connector.errorcode

import mysql_core
from mysql_core import Checker, Core, Driver, table

CHECK = Checker("connector")


def has_cext():
    try:
        import mysql.connector.connection_cext  # noqa: F401
        return True
    except ImportError as error:
        print(f"connector: C extension not available, pure Python only ({error})")
        return False


class Connector(Driver):
    name = "connector"
    error = mysql.connector.Error

    def __init__(self, use_pure):
        self.use_pure = use_pure

    def connect(self, **overrides):
        args = dict(host=mysql_core.HOST, port=mysql_core.PORT, user=mysql_core.USER,
                    password=mysql_core.PASSWORD, database=mysql_core.DATABASE, charset="utf8mb4",
                    collation="utf8mb4_general_ci", autocommit=True, use_pure=self.use_pure)
        args.update(overrides)
        return mysql.connector.connect(**args)

    def set_autocommit(self, conn, on):
        conn.autocommit = on

    def errno(self, error):
        return error.errno

    def sqlstate(self, error):
        return error.sqlstate


def check_connector(core):
    c = core.c
    conn = core.conn
    kv = table("kv")
    c.expect("handshake server version ends with VERSION()",
             conn.server_info.endswith(core.one(conn, "SELECT VERSION()")), True)
    c.expect("is_connected() (COM_PING)", conn.is_connected(), True)

    cur = conn.cursor(prepared=True)
    cur.execute(f"SELECT k, v, note FROM {kv} WHERE k = %s AND v > %s", ("b", 0))
    c.expect("prepared SELECT (binary protocol)", cur.fetchall(), [("b", 12, "two")])
    cur.execute(f"SELECT k, v, note FROM {kv} WHERE k = %s AND v > %s", ("c", 1))
    c.expect("prepared SELECT re-executed with new parameters", cur.fetchall(), [("c", 3, None)])
    row = {
        "email": "prep@example.com", "name": "prepared ✓", "c_int": -2147483648,
        "c_big": 9223372036854775807, "c_small": -32768,
        # The C extension binds a Python float as a 4-byte MYSQL_TYPE_FLOAT (2.5e100 is out of range).
        "c_double": 2.5e100 if core.d.use_pure else 0.5, "c_bool": 1,
        "c_dt": datetime.datetime(2023, 12, 31, 23, 59, 59, 999999), "c_date": datetime.date(2000, 2, 29),
        "c_text": "prepared 😀 ünïcode",
    }
    cols = list(row)
    cur.execute(f"INSERT INTO {table('types')} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})",
                tuple(row.values()))
    c.expect("prepared INSERT rowcount", cur.rowcount, 1)
    new_id = cur.lastrowid
    c.expect("prepared INSERT lastrowid is LAST_INSERT_ID()", new_id, core.one(conn, "SELECT LAST_INSERT_ID()"))
    cur.execute(f"SELECT {', '.join(cols)} FROM {table('types')} WHERE id = %s", (new_id,))
    got = dict(zip(cols, cur.fetchone()))
    cur.fetchall()
    for col in cols:
        c.expect(f"prepared round trip {col}", got[col], row[col])
    cur.execute(f"SELECT c_int, c_text FROM {table('types')} WHERE email = %s", ("null@example.com",))
    c.expect("prepared round trip NULLs", cur.fetchall(), [(None, None)])
    cur.execute(f"UPDATE {kv} SET note = %s WHERE k = %s", (None, "b"))
    c.expect("prepared UPDATE with a NULL parameter: rowcount", cur.rowcount, 1)
    cur.execute(f"DELETE FROM {table('types')} WHERE id = %s", (new_id,))
    c.expect("prepared DELETE rowcount", cur.rowcount, 1)
    cur.close()
    try:
        cur = conn.cursor(prepared=True)
        cur.execute(f"INSERT INTO {kv} (k, v) VALUES (%s, %s)", ("a", 1))
        c.fail("prepared duplicate key", "succeeded")
    except mysql.connector.IntegrityError as error:
        c.expect("prepared duplicate key -> 1062 / 23000", (error.errno, error.sqlstate), (1062, "23000"))
    finally:
        cur.close()

    cur = conn.cursor(dictionary=True)
    cur.execute(f"SELECT k, v FROM {kv} WHERE k = %(k)s", {"k": "a"})
    c.expect("dictionary cursor with a pyformat parameter", cur.fetchall(), [{"k": "a", "v": 12}])
    cur.close()

    conn.start_transaction()
    c.expect("start_transaction(): in_transaction", conn.in_transaction, True)
    core.run(f"DELETE FROM {kv} WHERE k = 'a'")
    conn.rollback()
    c.expect("start_transaction() + rollback()", core.one(conn, f"SELECT COUNT(*) FROM {kv} WHERE k = 'a'"), 1)

    conn.cmd_reset_connection()
    c.ok("cmd_reset_connection (COM_RESET_CONNECTION)")
    c.expect("connection usable after reset", core.one(conn, f"SELECT COUNT(*) FROM {kv}"), 6)

    default = core.d.connect(autocommit=False)
    c.expect("connect() default: autocommit off", core.one(default, "SELECT @@autocommit"), 0)
    default.close()


def main():
    modes = ([False] if has_cext() else []) + [True]
    base = mysql_core.PREFIX
    for use_pure in modes:
        CHECK.label = "[pure] " if use_pure else "[cext] "
        # Each mode its own tables, so a mode's checks see only its own statements.
        mysql_core.PREFIX = base + ("p_" if use_pure else "c_")
        core = Core(CHECK, Connector(use_pure))
        core.run_all(integrity_error=mysql.connector.IntegrityError,
                     programming_error=mysql.connector.ProgrammingError, extra=[check_connector])
    CHECK.label = ""
    CHECK.finish(importlib.metadata.version("mysql-connector-python")
                 + (" (pure Python and C extension)" if len(modes) == 2 else " (pure Python)"))


if __name__ == "__main__":
    try:
        main()
    except mysql.connector.Error as error:
        CHECK.fail("unexpected database error", f"{error.errno} / {error.sqlstate}: {error}")
