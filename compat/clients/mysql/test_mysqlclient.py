"""mysqlclient (MySQLdb, the C wrapper of libmariadb) against a MySQL-speaking
server (real MariaDB or rowchain).

Target from MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD MYSQL_DATABASE;
tables prefixed with RC_PREFIX; see mysql_core.py for the common core.

MySQLdb interpolates parameters client-side (mysql_real_escape_string), so
every statement is a COM_QUERY; this is also the driver Django's MySQL backend
uses. libmariadb negotiates the handshake, auth plugin and capabilities.
"""

import importlib.metadata

import MySQLdb
import MySQLdb.cursors
from MySQLdb.constants import CLIENT

import mysql_core
from mysql_core import Checker, Core, Driver, table

CHECK = Checker("mysqlclient")


class MySQLClient(Driver):
    name = "mysqlclient"
    error = MySQLdb.MySQLError

    def connect(self, **overrides):
        args = dict(host=mysql_core.HOST, port=mysql_core.PORT, user=mysql_core.USER,
                    password=mysql_core.PASSWORD, database=mysql_core.DATABASE, charset="utf8mb4",
                    autocommit=True)
        args.update(overrides)
        return MySQLdb.connect(**args)


def check_mysqlclient(core):
    c = core.c
    conn = core.conn
    kv = table("kv")
    c.expect("handshake server version ends with VERSION()",
             conn.get_server_info().endswith(core.one(conn, "SELECT VERSION()")), True)
    c.expect("character_set_name()", conn.character_set_name(), "utf8mb4")
    c.expect("thread_id() from the handshake is positive", conn.thread_id() > 0, True)
    conn.ping()
    c.ok("ping (COM_PING)")
    conn.select_db(mysql_core.DATABASE)
    c.ok("select_db (COM_INIT_DB)")
    c.expect("escape_string", conn.escape_string("it's \\ \"q\""), b"it\\'s \\\\ \\\"q\\\"")

    cur = conn.cursor()
    cur.execute(f"UPDATE {kv} SET v = v + 0 WHERE k IN ('a', 'b')")
    c.expect("affected_rows() after an UPDATE that changes nothing", conn.affected_rows(), 0)
    cur.execute(f"INSERT INTO {table('types')} (email, name) VALUES (%s, %s)", ("extra@example.com", "extra"))
    c.expect("insert_id() equals cursor.lastrowid", conn.insert_id(), cur.lastrowid)
    cur.execute(f"INSERT IGNORE INTO {kv} (k, v) VALUES ('a', 1)")
    c.expect("INSERT IGNORE of a duplicate: warning_count()", conn.warning_count(), 1)
    cur.execute("SHOW WARNINGS")
    c.expect("SHOW WARNINGS names the duplicate (1062)", [r[1] for r in cur.fetchall()], [1062])
    cur.execute(f"SELECT k AS `Key`, v * 2 AS doubled FROM {kv} WHERE k = %s", ("b",))
    c.expect("cursor.description column labels", [d[0] for d in cur.description], ["Key", "doubled"])
    c.expect("row with labels", cur.fetchall(), (("b", 24),))
    cur.close()

    cur = conn.cursor(MySQLdb.cursors.DictCursor)
    cur.execute(f"SELECT k, v FROM {kv} WHERE k = %(k)s", {"k": "c"})
    c.expect("DictCursor with a pyformat parameter", cur.fetchall(), ({"k": "c", "v": 3},))
    cur.close()
    cur = conn.cursor(MySQLdb.cursors.SSCursor)
    cur.execute(f"SELECT k FROM {kv} ORDER BY k")
    c.expect("SSCursor (mysql_use_result) streams rows", [cur.fetchone()[0], cur.fetchone()[0]], ["a", "b"])
    cur.fetchall()
    cur.close()

    conn.query(f"SELECT COUNT(*) FROM {kv}")
    result = conn.store_result()
    c.expect("low-level query() + store_result()", result.fetch_row(), ((6,),))

    found = core.d.connect(client_flag=CLIENT.FOUND_ROWS)
    cur = found.cursor()
    cur.execute(f"UPDATE {kv} SET v = 3 WHERE k = 'c'")
    c.expect("CLIENT_FOUND_ROWS: UPDATE to the same value counts the matched row", cur.rowcount, 1)
    cur.close()
    found.close()

    default = core.d.connect(autocommit=False)
    c.expect("connect() default: autocommit off", core.one(default, "SELECT @@autocommit"), 0)
    cur = default.cursor()
    cur.execute(f"DELETE FROM {kv} WHERE k = 'a'")
    c.expect("DELETE inside the implicit transaction", cur.rowcount, 1)
    cur.close()
    default.close()
    c.expect("closing without commit rolls back",
             core.one(conn, f"SELECT COUNT(*) FROM {kv} WHERE k = 'a'"), 1)


def main():
    core = Core(CHECK, MySQLClient())
    core.run_all(integrity_error=MySQLdb.IntegrityError, programming_error=MySQLdb.ProgrammingError,
                 extra=[check_mysqlclient])
    CHECK.finish(importlib.metadata.version("mysqlclient"))


if __name__ == "__main__":
    try:
        main()
    except MySQLdb.MySQLError as error:
        CHECK.fail("unexpected database error", repr(error))
