#!/usr/bin/env bash
# Installs what the client programs need on a Debian machine; safe to rerun.
# Everything comes from Debian's packages, PyPI and the npm registry:
#   apt: libpostgresql-jdbc-java, plus postgresql-client, mariadb-client, a JDK,
#        python3-venv, nodejs/npm, openssl (the TLS test's certificate) only
#        where missing; for the MySQL programs libmariadb-java, sysbench, and
#        libmariadb-dev + pkg-config (mysqlclient compiles against them), also
#        only where missing
#   ${RC_CLIENTS_CACHE:-~/.cache/rowchain/clients}/venv  (python/requirements.txt,
#                                                         mysql/requirements.txt)
#   node/node_modules, mysql/node/node_modules           (npm ci, package-lock.json)
#   ${RC_CLIENTS_CACHE}/java/JdbcTest.class,
#   ${RC_CLIENTS_CACHE}/java/MariaDbJdbcTest.class        (javac)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${RC_CLIENTS_CACHE:-$HOME/.cache/rowchain/clients}
jar=/usr/share/java/postgresql.jar
mariadb_jar=/usr/share/java/mariadb-java-client.jar
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo

packages=()
[ -f "$jar" ] || packages+=(libpostgresql-jdbc-java)
command -v psql >/dev/null && command -v pgbench >/dev/null || packages+=(postgresql-client)
command -v javac >/dev/null || packages+=(default-jdk-headless)
command -v openssl >/dev/null || packages+=(openssl)
command -v mysql >/dev/null || packages+=(mariadb-client)
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
command -v python3 >/dev/null || packages+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
[ -f "$mariadb_jar" ] || packages+=(libmariadb-java)
command -v sysbench >/dev/null || packages+=(sysbench)
command -v pkg-config >/dev/null || packages+=(pkg-config)
[ -f /usr/include/mariadb/mysql.h ] || packages+=(libmariadb-dev)
if [ ${#packages[@]} -gt 0 ]; then
    echo "setup: apt-get install ${packages[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi

mkdir -p "$cache"
if [ ! -x "$cache/venv/bin/python" ]; then
    python3 -m venv "$cache/venv"
fi
# pip only reaches the registry when a pinned version is missing from the venv.
"$cache/venv/bin/pip" install -q --disable-pip-version-check -r "$here/python/requirements.txt" \
    -r "$here/mysql/requirements.txt"
echo "setup: python venv ready at $cache/venv"

for dir in "$here/node" "$here/mysql/node"; do
    lock_sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
    if [ "$(cat "$dir/node_modules/.rowchain-lock-sha256" 2>/dev/null)" != "$lock_sum" ]; then
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        echo "$lock_sum" >"$dir/node_modules/.rowchain-lock-sha256"
    fi
    echo "setup: node_modules ready in $dir"
done

if [ ! -f "$cache/java/JdbcTest.class" ] || [ "$here/java/JdbcTest.java" -nt "$cache/java/JdbcTest.class" ]; then
    mkdir -p "$cache/java"
    javac -d "$cache/java" -cp "$jar" "$here/java/JdbcTest.java"
fi
echo "setup: JdbcTest compiled into $cache/java"

if [ ! -f "$cache/java/MariaDbJdbcTest.class" ] || [ "$here/mysql/java/MariaDbJdbcTest.java" -nt "$cache/java/MariaDbJdbcTest.class" ]; then
    mkdir -p "$cache/java"
    javac -d "$cache/java" -cp "$mariadb_jar" "$here/mysql/java/MariaDbJdbcTest.java"
fi
echo "setup: MariaDbJdbcTest compiled into $cache/java"
