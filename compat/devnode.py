"""What compat/bench and compat/run share: a fresh `rowchain dev` on free
loopback ports, and a scratch database on the machine's PostgreSQL, each
with the libpq environment that reaches it."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(http_port, seconds):
    """True once a node's JSON-RPC /health answers, False after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health", timeout=1)
            return True
        except OSError:
            time.sleep(0.05)
    return False


@contextlib.contextmanager
def rowchain(binary, tag, pg_port=None, config="", args=()):
    """Runs `binary dev` in a temporary data directory; yields the libpq
    environment for its PostgreSQL port and removes everything after.
    `pg_port` fixes the PostgreSQL port (else a free one); `config` is the
    text of the node's rowchain.toml (else the defaults); `args` go to
    `rowchain dev` (`--suite sm`)."""
    if pg_port:
        with socket.socket() as s:
            # As the node's own listener does: connections of an earlier run
            # lingering in TIME_WAIT do not make the port taken; a listener does.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", pg_port))
            except OSError as e:
                sys.exit(f"{tag}: this suite needs 127.0.0.1:{pg_port}, which is taken ({e.strerror}); stop what runs there")
    data = tempfile.mkdtemp(prefix=f"rowchain-{tag}-")
    if config:
        with open(os.path.join(data, "rowchain.toml"), "w") as f:
            f.write(config)
    http, pg, mysql = free_port(), pg_port or free_port(), free_port()
    proc = subprocess.Popen([binary, "dev", "--data", data, "--http-addr", f"127.0.0.1:{http}",
                             "--pg-addr", f"127.0.0.1:{pg}", "--mysql-addr", f"127.0.0.1:{mysql}", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not wait_health(http, seconds=10):
            proc.kill()
            sys.exit(f"{tag}: rowchain dev did not start: {proc.stderr.read().decode()[-500:]}")
        yield dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(pg), PGUSER="admin", PGPASSWORD="admin",
                   PGDATABASE="rowchain", MYSQL_HOST="127.0.0.1", MYSQL_PORT=str(mysql), MYSQL_USER="admin",
                   MYSQL_PASSWORD="admin", MYSQL_DATABASE="rowchain", RC_HTTP_PORT=str(http))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def postgres_scratch(tag):
    """Creates a scratch database on the machine's PostgreSQL (PGHOST, PGPORT,
    PGUSER; default 127.0.0.1:5432, postgres), yields the environment that
    reaches it, and drops it after."""
    env = dict(os.environ)
    env.setdefault("PGHOST", "127.0.0.1")
    env.setdefault("PGPORT", "5432")
    env.setdefault("PGUSER", "postgres")
    database = f"rc_{tag}_{os.getpid()}"
    subprocess.run(["createdb", database], env=env, check=True)
    try:
        yield dict(env, PGDATABASE=database)
    finally:
        subprocess.run(["dropdb", "--if-exists", database], env=dict(env, PGDATABASE="postgres"), check=False)
