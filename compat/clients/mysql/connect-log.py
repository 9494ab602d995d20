"""Records what each MySQL client sends at connect, from MariaDB's general log.

Run with the venv's python against a MariaDB (not rowchain: it reads
mysql.general_log) after ../setup.sh:
    ~/.cache/rowchain/clients/venv/bin/python compat/clients/mysql/connect-log.py
Target from MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD MYSQL_DATABASE; the
user needs SUPER (it switches general_log to TABLE output and restores it).
For each client it connects the way the programs here do, runs `SELECT 1` (and
for mysql2 one execute()), and prints the log's command_type and argument per
line, for README.md's "What these clients send at connect".
"""

import os
import subprocess
import sys
import time

import pymysql

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("RC_CLIENTS_CACHE", os.path.expanduser("~/.cache/rowchain/clients"))
ENV = dict(HOST=os.environ.get("MYSQL_HOST", "127.0.0.1"), PORT=int(os.environ.get("MYSQL_PORT", "3306")),
           USER=os.environ.get("MYSQL_USER", "root"), PASSWORD=os.environ.get("MYSQL_PASSWORD", ""),
           DATABASE=os.environ.get("MYSQL_DATABASE", "test"))
PY = sys.executable

SNIPPETS = {
    "pymysql": f"""
import pymysql
c = pymysql.connect(host={ENV['HOST']!r}, port={ENV['PORT']}, user={ENV['USER']!r}, password={ENV['PASSWORD']!r},
                    database={ENV['DATABASE']!r}, charset='utf8mb4', autocommit=True)
c.cursor().execute('SELECT 1')""",
    "mysqlclient": f"""
import MySQLdb
c = MySQLdb.connect(host={ENV['HOST']!r}, port={ENV['PORT']}, user={ENV['USER']!r}, password={ENV['PASSWORD']!r},
                    database={ENV['DATABASE']!r}, charset='utf8mb4', autocommit=True)
c.cursor().execute('SELECT 1')""",
    "connector (pure)": f"""
import mysql.connector
c = mysql.connector.connect(host={ENV['HOST']!r}, port={ENV['PORT']}, user={ENV['USER']!r},
    password={ENV['PASSWORD']!r}, database={ENV['DATABASE']!r}, charset='utf8mb4',
    collation='utf8mb4_general_ci', autocommit=True, use_pure=True)
cur = c.cursor(); cur.execute('SELECT 1'); cur.fetchall()
cur = c.cursor(prepared=True); cur.execute('SELECT %s', (1,)); cur.fetchall()""",
    "connector (C extension)": f"""
import mysql.connector
c = mysql.connector.connect(host={ENV['HOST']!r}, port={ENV['PORT']}, user={ENV['USER']!r},
    password={ENV['PASSWORD']!r}, database={ENV['DATABASE']!r}, charset='utf8mb4',
    collation='utf8mb4_general_ci', autocommit=True, use_pure=False)
cur = c.cursor(); cur.execute('SELECT 1'); cur.fetchall()""",
    "sqlalchemy (mysql+pymysql)": f"""
import sqlalchemy
e = sqlalchemy.create_engine('mysql+pymysql://{ENV['USER']}:{ENV['PASSWORD']}@{ENV['HOST']}:{ENV['PORT']}/{ENV['DATABASE']}?charset=utf8mb4')
with e.connect() as c:
    c.execute(sqlalchemy.text('SELECT 1'))""",
    "django (mysqlclient)": f"""
import django
from django.conf import settings
settings.configure(DATABASES={{'default': {{'ENGINE': 'django.db.backends.mysql', 'NAME': {ENV['DATABASE']!r},
    'USER': {ENV['USER']!r}, 'PASSWORD': {ENV['PASSWORD']!r}, 'HOST': {ENV['HOST']!r}, 'PORT': {ENV['PORT']},
    'OPTIONS': {{'charset': 'utf8mb4'}}}}}})
django.setup()
from django.db import connection
with connection.cursor() as cur:
    cur.execute('SELECT 1')""",
}


def commands():
    env = dict(os.environ, MYSQL_HOST=ENV["HOST"], MYSQL_PORT=str(ENV["PORT"]), MYSQL_USER=ENV["USER"],
               MYSQL_PASSWORD=ENV["PASSWORD"], MYSQL_DATABASE=ENV["DATABASE"])
    for name, code in SNIPPETS.items():
        yield name, [PY, "-W", "ignore", "-c", code], env
    yield "mysql2 (node)", ["node", os.path.join(HERE, "node", "test.js"), "--connect-only"], env
    yield "Connector/J (useServerPrepStmts=true)", [
        "java", "-cp", f"{CACHE}/java:/usr/share/java/mariadb-java-client.jar", "MariaDbJdbcTest", "--connect-only"], env
    yield "mysql CLI", ["mysql", "--no-defaults", "--protocol=TCP", "-h", ENV["HOST"], "-P", str(ENV["PORT"]),
                        "-u", ENV["USER"], ENV["DATABASE"], "-e", "SELECT 1"], dict(env, MYSQL_PWD=ENV["PASSWORD"])
    yield "sysbench (oltp_point_select, 1 event)", [
        "sysbench", "oltp_point_select", "--db-driver=mysql", f"--mysql-host={ENV['HOST']}",
        f"--mysql-port={ENV['PORT']}", f"--mysql-user={ENV['USER']}", f"--mysql-password={ENV['PASSWORD']}",
        f"--mysql-db={ENV['DATABASE']}", "--tables=1", "--table-size=1", "--events=1", "--threads=1", "run"], env


def main():
    admin = pymysql.connect(host=ENV["HOST"], port=ENV["PORT"], user=ENV["USER"], password=ENV["PASSWORD"],
                            autocommit=True)
    cur = admin.cursor()
    cur.execute("SET SESSION sql_log_off = 1")
    cur.execute("SELECT @@GLOBAL.general_log, @@GLOBAL.log_output")
    saved = cur.fetchone()
    cur.execute("SET GLOBAL log_output = 'TABLE'")
    cur.execute("SET GLOBAL general_log = 1")
    try:
        for name, argv, env in commands():
            if name.startswith("sysbench"):
                subprocess.run(["sysbench", "oltp_point_select", *argv[2:9], "prepare"], env=env,
                               capture_output=True, check=False)
            cur.execute("TRUNCATE mysql.general_log")
            done = subprocess.run(argv, env=env, capture_output=True, text=True)
            time.sleep(0.2)
            cur.execute("SELECT thread_id, command_type, argument FROM mysql.general_log ORDER BY event_time")
            rows = cur.fetchall()
            print(f"== {name}" + ("" if done.returncode == 0 else f" (exit {done.returncode}: {done.stderr[-300:]})"))
            for thread, kind, argument in rows:
                argument = argument.decode("utf-8", "replace") if isinstance(argument, bytes) else argument
                argument = " ".join(argument.split())
                print(f"  [{thread}] {kind}: {argument}")
            if name.startswith("sysbench"):
                subprocess.run(["sysbench", "oltp_point_select", *argv[2:9], "cleanup"], env=env,
                               capture_output=True, check=False)
    finally:
        cur.execute(f"SET GLOBAL general_log = {int(saved[0])}")
        cur.execute(f"SET GLOBAL log_output = '{saved[1]}'")
        admin.close()


if __name__ == "__main__":
    main()
