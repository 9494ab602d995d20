"""The common core the Python MySQL drivers (PyMySQL, mysqlclient,
mysql-connector-python) run against a MySQL-speaking server (real MariaDB or
rowchain). Each test_*.py wraps its driver in a `Driver` and adds its own checks.

Target from the env: MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD
MYSQL_DATABASE. Tables are prefixed with RC_PREFIX (default `t_` + random hex)
and dropped at the end. RC_TARGET is `mariadb` (default) or `rowchain`;
`rowchain` adds the rowchain.transactions / rowchain.blocks checks.

The SQL stays inside what rowchain's MySQL planner accepts
(sqlmap/tests/mysql_cases.txt): no KEY/INDEX clauses in CREATE TABLE, no user
variables, no ON UPDATE column clauses, no DECIMAL arithmetic.
"""

import datetime
import os
import secrets
import sys

TARGET = os.environ.get("RC_TARGET", "mariadb")
PREFIX = os.environ.get("RC_PREFIX") or "t_" + secrets.token_hex(4)
HOST = os.environ.get("MYSQL_HOST", "127.0.0.1")
PORT = int(os.environ.get("MYSQL_PORT", "3306"))
USER = os.environ.get("MYSQL_USER", "root")
PASSWORD = os.environ.get("MYSQL_PASSWORD", "")
DATABASE = os.environ.get("MYSQL_DATABASE", "test")

ER_ACCESS_DENIED = 1045
ER_BAD_NULL = 1048
ER_BAD_FIELD = 1054
ER_DUP_ENTRY = 1062
ER_PARSE = 1064
ER_NO_SUCH_TABLE = 1146


class Checker:
    """ok/FAIL printing in the format every client program shares."""

    def __init__(self, client):
        self.client = client
        self.passed = 0
        self.label = ""

    def fail(self, check, detail):
        print(f"FAIL {self.client}: {self.label}{check}: {detail}", file=sys.stderr, flush=True)
        sys.exit(1)

    def ok(self, check):
        self.passed += 1
        print(f"ok   {self.client}: {self.label}{check}", flush=True)

    def expect(self, check, actual, expected):
        if actual != expected:
            self.fail(check, f"expected {expected!r}, got {actual!r}")
        self.ok(check)

    def finish(self, version):
        print(f"{self.client} {version}")
        print(f"{self.client}: {self.passed} passed, 0 failed")


class Driver:
    """What the core needs from a DB-API driver module."""

    name = "?"
    error = Exception  # the driver's base error class

    def connect(self, **overrides):
        """A connection in autocommit mode (every driver here defaults to autocommit off)."""
        raise NotImplementedError

    def set_autocommit(self, conn, on):
        conn.autocommit(on)

    def errno(self, error):
        return error.args[0] if error.args else None

    def sqlstate(self, error):
        """None when the driver does not expose the SQLSTATE."""
        return None

    def cursor(self, conn):
        return conn.cursor()


def table(name):
    return f"`{PREFIX}{name}`"


class Core:
    def __init__(self, checker, driver):
        self.c = checker
        self.d = driver

    def rows(self, conn, sql, params=None):
        cur = self.d.cursor(conn)
        cur.execute(sql, params) if params is not None else cur.execute(sql)
        result = [tuple(r) for r in cur.fetchall()]
        cur.close()
        return result

    def one(self, conn, sql, params=None):
        return self.rows(conn, sql, params)[0][0]

    def run(self, sql, params=None, conn=None):
        cur = self.d.cursor(conn or self.conn)
        cur.execute(sql, params) if params is not None else cur.execute(sql)
        count = cur.rowcount
        cur.close()
        return count

    def expect_error(self, check, sql, params, errno, sqlstate, conn=None, error_class=None):
        cur = self.d.cursor(conn or self.conn)
        try:
            cur.execute(sql, params) if params is not None else cur.execute(sql)
            if cur.description:
                cur.fetchall()
        except self.d.error as error:
            got = self.d.errno(error)
            if got != errno:
                self.c.fail(check, f"expected errno {errno}, got {got}: {error!r}")
            state = self.d.sqlstate(error)
            if state is not None and state != sqlstate:
                self.c.fail(check, f"expected SQLSTATE {sqlstate}, got {state}: {error!r}")
            if error_class is not None and not isinstance(error, error_class):
                self.c.fail(check, f"expected {error_class.__name__}, got {type(error).__name__}: {error!r}")
            shown = f"{errno} / {sqlstate}" if state is not None else f"{errno}"
            if error_class is not None:
                shown += f" ({error_class.__name__})"
            self.c.ok(f"{check} -> {shown}")
            return
        finally:
            cur.close()
        self.c.fail(check, f"expected errno {errno}, statement succeeded")

    # ------------------------------------------------------------------
    def check_connect(self):
        c = self.c
        self.conn = self.d.connect()
        self.observer = self.d.connect()
        version = self.one(self.conn, "SELECT VERSION()")
        if not isinstance(version, str) or not version[:1].isdigit():
            c.fail("connect: SELECT VERSION()", f"not a version string: {version!r}")
        c.ok(f"connect: SELECT VERSION() = {version}")
        c.expect("connect: SELECT 1 + 1, CONCAT('x', 'y')",
                 self.rows(self.conn, "SELECT 1 + 1, CONCAT('x', 'y')"), [(2, "xy")])
        c.expect("connect: SELECT DATABASE()", self.one(self.conn, "SELECT DATABASE()"), DATABASE)
        c.expect("connect(autocommit=True): @@autocommit", self.one(self.conn, "SELECT @@autocommit"), 1)
        charset = self.one(self.conn, "SELECT @@character_set_client")
        c.expect("connect: @@character_set_client", charset, "utf8mb4")

    def check_ddl(self):
        count = self.run(f"""
            CREATE TABLE {table('types')} (
                id INT AUTO_INCREMENT PRIMARY KEY,
                email VARCHAR(64) NOT NULL UNIQUE,
                name VARCHAR(40) NOT NULL,
                c_int INT, c_big BIGINT, c_small SMALLINT, c_double DOUBLE,
                c_bool TINYINT(1), c_dt DATETIME(6), c_date DATE, c_text TEXT
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""")
        self.c.expect("CREATE TABLE rowcount", count, 0)
        self.run(f"""
            CREATE TABLE {table('kv')} (
                k VARCHAR(32) NOT NULL PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))""")
        self.run(f"CREATE TABLE {table('blobs')} (id INT PRIMARY KEY, b BLOB)")
        self.c.ok("CREATE TABLE with AUTO_INCREMENT, PRIMARY KEY, UNIQUE, NOT NULL")

    ROW_MIN = {
        "email": "min@example.com", "name": "O'Brien \\ \"quoted\"",
        "c_int": -2147483648, "c_big": -9223372036854775808, "c_small": -32768,
        "c_double": 3.141592653589793, "c_bool": 1,
        "c_dt": datetime.datetime(2024, 1, 2, 3, 4, 5, 678901),
        "c_date": datetime.date(2024, 2, 29),
        "c_text": "héllo wörld ✓ 日本語 😀 it's a \\ backslash",
    }
    ROW_MAX = {
        "email": "max@example.com", "name": "max",
        "c_int": 2147483647, "c_big": 9223372036854775807, "c_small": 32767,
        "c_double": -1.5e-300, "c_bool": 0,
        "c_dt": datetime.datetime(1999, 12, 31, 23, 59, 59),
        "c_date": datetime.date(1970, 1, 1),
        "c_text": "",
    }

    def insert_row(self, row):
        cols = list(row)
        cur = self.d.cursor(self.conn)
        cur.execute(f"INSERT INTO {table('types')} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})",
                    tuple(row[col] for col in cols))
        result = (cur.rowcount, cur.lastrowid)
        cur.close()
        return result

    def check_types(self):
        c = self.c
        count, first_id = self.insert_row(self.ROW_MIN)
        c.expect("parameterised INSERT rowcount", count, 1)
        if not isinstance(first_id, int) or first_id < 1:
            c.fail("cursor.lastrowid after an AUTO_INCREMENT insert", f"got {first_id!r}")
        c.ok(f"cursor.lastrowid after an AUTO_INCREMENT insert = {first_id}")
        c.expect("SELECT LAST_INSERT_ID()", self.one(self.conn, "SELECT LAST_INSERT_ID()"), first_id)
        count, max_id = self.insert_row(self.ROW_MAX)
        c.expect("second AUTO_INCREMENT id is the next one", max_id, first_id + 1)
        count, null_id = self.insert_row({"email": "null@example.com", "name": "nulls"})
        c.expect("third AUTO_INCREMENT id", null_id, first_id + 2)
        c.expect("LAST_INSERT_ID() follows the last insert", self.one(self.conn, "SELECT LAST_INSERT_ID()"), null_id)

        cols = list(self.ROW_MIN)
        for row_id, want in ((first_id, self.ROW_MIN), (max_id, self.ROW_MAX)):
            got = self.rows(self.conn, f"SELECT {', '.join(cols)} FROM {table('types')} WHERE id = %s", (row_id,))
            c.expect(f"SELECT by id {row_id}: one row", len(got), 1)
            got = dict(zip(cols, got[0]))
            for col in cols:
                c.expect(f"round trip {col} = {want[col]!r}", got[col], want[col])
        got = self.rows(self.conn, f"SELECT {', '.join(cols[2:])} FROM {table('types')} WHERE id = %s", (null_id,))
        c.expect("round trip NULL in every nullable column", got, [tuple([None] * (len(cols) - 2))])
        c.expect("SELECT with unicode and integer parameters",
                 self.rows(self.conn, f"SELECT id FROM {table('types')} WHERE c_text = %s AND c_bool = %s",
                           (self.ROW_MIN["c_text"], 1)), [(first_id,)])
        c.expect("SELECT ... IS NULL", self.rows(self.conn, f"SELECT id FROM {table('types')} WHERE c_int IS NULL"),
                 [(null_id,)])
        c.expect("LIMIT offset, count",
                 self.rows(self.conn, f"SELECT email FROM {table('types')} ORDER BY id LIMIT 1, 2"),
                 [("max@example.com",), ("null@example.com",)])
        c.expect("IFNULL and CONCAT",
                 self.rows(self.conn, f"SELECT IFNULL(c_int, 'none'), CONCAT(name, '-', email) FROM {table('types')} "
                                      f"WHERE id = %s", (null_id,)),
                 [("none", "nulls-null@example.com")])
        c.expect("COUNT(*), MIN, MAX of BIGINT",
                 self.rows(self.conn, f"SELECT COUNT(*), MIN(c_big), MAX(c_big) FROM {table('types')}"),
                 [(3, -9223372036854775808, 9223372036854775807)])

    def check_blob(self):
        data = bytes(range(256))
        self.c.expect("INSERT BLOB of all 256 byte values",
                      self.run(f"INSERT INTO {table('blobs')} (id, b) VALUES (%s, %s)", (1, data)), 1)
        got = self.one(self.conn, f"SELECT b FROM {table('blobs')} WHERE id = 1")
        self.c.expect("round trip BLOB", bytes(got), data)
        self.c.expect("LENGTH of the BLOB", self.one(self.conn, f"SELECT LENGTH(b) FROM {table('blobs')}"), 256)

    def check_update_delete(self):
        c = self.c
        kv = table("kv")
        cur = self.d.cursor(self.conn)
        cur.executemany(f"INSERT INTO {kv} (k, v, note) VALUES (%s, %s, %s)",
                        [("a", 1, "one"), ("b", 2, "two"), ("c", 3, None)])
        c.expect("executemany INSERT rowcount", cur.rowcount, 3)
        cur.close()
        c.expect("UPDATE rowcount", self.run(f"UPDATE {kv} SET v = v + %s WHERE v < %s", (10, 3)), 2)
        c.expect("UPDATE of no row: rowcount", self.run(f"UPDATE {kv} SET v = 0 WHERE k = %s", ("zz",)), 0)
        c.expect("UPDATE to the same value: rowcount counts changed rows",
                 self.run(f"UPDATE {kv} SET v = 3 WHERE k = 'c'"), 0)
        c.expect("INSERT ... SET rowcount", self.run(f"INSERT INTO {kv} SET k = 'd', v = 4, note = 'set'"), 1)
        c.expect("DELETE rowcount", self.run(f"DELETE FROM {kv} WHERE k = %s", ("d",)), 1)
        c.expect("rows after UPDATE/DELETE", self.rows(self.conn, f"SELECT k, v, note FROM {kv} ORDER BY k"),
                 [("a", 11, "one"), ("b", 12, "two"), ("c", 3, None)])

        upsert = f"INSERT INTO {kv} (k, v, note) VALUES (%s, %s, %s) ON DUPLICATE KEY UPDATE v = VALUES(v), note = VALUES(note)"
        c.expect("ON DUPLICATE KEY UPDATE inserting: rowcount 1", self.run(upsert, ("e", 5, "new")), 1)
        c.expect("ON DUPLICATE KEY UPDATE updating: rowcount 2", self.run(upsert, ("e", 50, "updated")), 2)
        c.expect("ON DUPLICATE KEY UPDATE with unchanged values: rowcount 0", self.run(upsert, ("e", 50, "updated")), 0)
        c.expect("row after ON DUPLICATE KEY UPDATE",
                 self.rows(self.conn, f"SELECT v, note FROM {kv} WHERE k = 'e'"), [(50, "updated")])
        c.expect("REPLACE of a new row: rowcount 1",
                 self.run(f"REPLACE INTO {kv} (k, v, note) VALUES (%s, %s, %s)", ("f", 6, "replace")), 1)
        c.expect("REPLACE of an existing row: rowcount 2",
                 self.run(f"REPLACE INTO {kv} (k, v, note) VALUES (%s, %s, %s)", ("f", 60, "replaced")), 2)
        c.expect("INSERT IGNORE of a duplicate: rowcount 0",
                 self.run(f"INSERT IGNORE INTO {kv} (k, v) VALUES (%s, %s)", ("a", 99)), 0)
        c.expect("INSERT IGNORE left the row alone", self.one(self.conn, f"SELECT v FROM {kv} WHERE k = 'a'"), 11)
        c.expect("DELETE of several rows: rowcount",
                 self.run(f"DELETE FROM {kv} WHERE k IN (%s, %s)", ("e", "f")), 2)

    def check_transactions(self):
        c = self.c
        kv = table("kv")
        self.d.set_autocommit(self.conn, False)
        c.expect("autocommit off: @@autocommit", self.one(self.conn, "SELECT @@autocommit"), 0)
        self.run(f"INSERT INTO {kv} (k, v, note) VALUES (%s, %s, %s)", ("t1", 100, "committed"))
        self.run(f"UPDATE {kv} SET v = v + 1 WHERE k = 'a'")
        c.expect("read-your-own-writes inside a transaction",
                 self.one(self.conn, f"SELECT COUNT(*) FROM {kv} WHERE note = 'committed'"), 1)
        c.expect("second connection does not see uncommitted rows",
                 self.one(self.observer, f"SELECT COUNT(*) FROM {kv} WHERE note = 'committed'"), 0)
        self.conn.commit()
        c.expect("committed transaction visible to a second connection",
                 self.rows(self.observer, f"SELECT k, v FROM {kv} WHERE k IN ('a', 't1') ORDER BY k"),
                 [("a", 12), ("t1", 100)])

        self.run(f"INSERT INTO {kv} (k, v, note) VALUES (%s, %s, %s)", ("t2", 200, "rolled back"))
        self.run(f"UPDATE {kv} SET v = 0 WHERE k = 'a'")
        self.conn.rollback()
        c.expect("rolled-back insert not visible",
                 self.one(self.conn, f"SELECT COUNT(*) FROM {kv} WHERE k = 't2'"), 0)
        c.expect("rolled-back update not visible", self.one(self.observer, f"SELECT v FROM {kv} WHERE k = 'a'"), 12)
        self.conn.commit()
        self.d.set_autocommit(self.conn, True)
        c.expect("autocommit back on: @@autocommit", self.one(self.conn, "SELECT @@autocommit"), 1)

        self.run("START TRANSACTION")
        self.run(f"INSERT INTO {kv} (k, v) VALUES ('t3', 300)")
        c.expect("START TRANSACTION: uncommitted row hidden from a second connection",
                 self.one(self.observer, f"SELECT COUNT(*) FROM {kv} WHERE k = 't3'"), 0)
        self.run("ROLLBACK")
        c.expect("START TRANSACTION ... ROLLBACK leaves nothing",
                 self.one(self.observer, f"SELECT COUNT(*) FROM {kv} WHERE k = 't3'"), 0)
        self.run("START TRANSACTION")
        self.run(f"INSERT INTO {kv} (k, v) VALUES ('t4', 400)")
        self.run("COMMIT")
        c.expect("START TRANSACTION ... COMMIT visible to a second connection",
                 self.one(self.observer, f"SELECT v FROM {kv} WHERE k = 't4'"), 400)

        self.run("START TRANSACTION")
        self.run(f"INSERT INTO {kv} (k, v) VALUES ('t5', 500)")
        self.expect_error("duplicate key inside a transaction", f"INSERT INTO {kv} (k, v) VALUES ('a', 1)", None,
                          ER_DUP_ENTRY, "23000")
        c.expect("the transaction goes on after a failed statement",
                 self.one(self.conn, f"SELECT COUNT(*) FROM {kv} WHERE k = 't5'"), 1)
        self.run("COMMIT")
        c.expect("rows of the transaction with a failed statement are committed",
                 self.one(self.observer, f"SELECT v FROM {kv} WHERE k = 't5'"), 500)

    def check_errors(self, integrity_error=None, programming_error=None):
        kv = table("kv")
        types = table("types")
        self.expect_error("duplicate PRIMARY KEY", f"INSERT INTO {kv} (k, v) VALUES (%s, %s)", ("a", 1),
                          ER_DUP_ENTRY, "23000", error_class=integrity_error)
        self.expect_error("duplicate UNIQUE column", f"INSERT INTO {types} (email, name) VALUES (%s, %s)",
                          ("min@example.com", "dup"), ER_DUP_ENTRY, "23000", error_class=integrity_error)
        self.expect_error("NULL into a NOT NULL column", f"INSERT INTO {types} (email, name) VALUES (%s, %s)",
                          ("x@example.com", None), ER_BAD_NULL, "23000", error_class=integrity_error)
        self.expect_error("unknown table", f"SELECT * FROM {table('missing')}", None,
                          ER_NO_SUCH_TABLE, "42S02", error_class=programming_error)
        self.expect_error("unknown column", f"SELECT no_such_column FROM {kv}", None, ER_BAD_FIELD, "42S22")
        self.expect_error("syntax error", "SELEC 1", None, ER_PARSE, "42000", error_class=programming_error)
        self.c.expect("connection usable after errors", self.one(self.conn, f"SELECT COUNT(*) FROM {kv}"), 6)

    def check_wrong_password(self):
        try:
            conn = self.d.connect(password=PASSWORD + "-wrong")
        except self.d.error as error:
            got = self.d.errno(error)
            if got != ER_ACCESS_DENIED:
                self.c.fail("wrong password", f"expected errno {ER_ACCESS_DENIED}, got {got}: {error!r}")
            state = self.d.sqlstate(error)
            if state is not None and state != "28000":
                self.c.fail("wrong password", f"expected SQLSTATE 28000, got {state}: {error!r}")
            self.c.ok(f"wrong password refused -> {ER_ACCESS_DENIED}" + (" / 28000" if state else ""))
            return
        conn.close()
        self.c.fail("wrong password", "the connection succeeded")

    def check_system_views(self):
        """rowchain records every chain tx in rowchain.transactions; MariaDB has no such view.
        Written from the PostgreSQL programs' checks and node/exec's __rc_transactions schema;
        the LIKE patterns match the statement whether it is kept as sent or as translated."""
        if TARGET != "rowchain":
            return
        c = self.c
        found = self.rows(self.conn, "SELECT status, sqlstate, rows_affected, height FROM rowchain.transactions "
                                     "WHERE statement LIKE %s", (f"%{PREFIX}kv%+ 10 WHERE %< 3%",))
        c.expect("rowchain.transactions: one committed tx for the UPDATE",
                 [(r[0], r[1], r[2]) for r in found], [("committed", None, 2)])
        c.expect("rowchain.blocks holds the tx's block",
                 self.one(self.conn, "SELECT COUNT(*) FROM rowchain.blocks WHERE height = %s", (found[0][3],)), 1)
        c.expect("rowchain.transactions: the committed transaction's INSERT",
                 self.one(self.conn, "SELECT COUNT(*) FROM rowchain.transactions WHERE status = 'committed' "
                                     "AND statement LIKE %s", (f"%{PREFIX}kv%'t1'%",)), 1)
        c.expect("rowchain.transactions: a rolled-back transaction never reached the chain",
                 self.one(self.conn, "SELECT COUNT(*) FROM rowchain.transactions WHERE statement LIKE %s",
                          (f"%{PREFIX}kv%'t2'%",)), 0)

    def drop_tables(self):
        self.run(f"DROP TABLE {table('types')}, {table('kv')}, {table('blobs')}")
        self.run(f"DROP TABLE IF EXISTS {table('types')}")
        self.c.expect("tables dropped",
                      self.rows(self.conn, "SHOW TABLES LIKE %s", (PREFIX.replace("_", "\\_") + "%",)), [])

    def run_all(self, integrity_error=None, programming_error=None, extra=()):
        try:
            self._run_all(integrity_error, programming_error, extra)
        except BaseException:
            self.drop_leftovers()
            raise

    def drop_leftovers(self):
        """After a failure: drop whatever tables exist, on a fresh connection, ignoring errors."""
        try:
            conn = self.d.connect()
            cur = self.d.cursor(conn)
            cur.execute(f"DROP TABLE IF EXISTS {table('types')}, {table('kv')}, {table('blobs')}")
            conn.close()
        except Exception:
            pass

    def _run_all(self, integrity_error, programming_error, extra):
        self.check_connect()
        self.check_ddl()
        self.check_types()
        self.check_update_delete()
        self.check_transactions()
        self.check_errors(integrity_error, programming_error)
        self.check_blob()
        for check in extra:
            check(self)
        self.check_wrong_password()
        self.check_system_views()
        self.drop_tables()
        self.observer.close()
        self.conn.close()
