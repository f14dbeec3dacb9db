#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks.
#   scripts/postgres-cluster.sh start [DIR]   initdb + pg_ctl start in DIR (default: a new temporary
#                                             folder); prints the path of an environment file to source
#   scripts/postgres-cluster.sh stop [DIR]    stops the cluster and removes DIR
#   scripts/postgres-cluster.sh url [DIR]     prints the test URL (postgres://subimport@127.0.0.1:PORT/postgres)
#   scripts/postgres-cluster.sh available     exits 0 when a cluster can be started here
# Without DIR, stop and url use $SUBIMPORT_TEST_POSTGRES_DIR.
#
# The cluster listens only on 127.0.0.1 (a free port) and on a unix socket in DIR. Local and
# loopback connections of the superuser are trusted (a test cluster, nothing else can reach it);
# the role `subimport` (CREATEDB, so tests can create and drop their own databases, and allowed
# to create tables in the `postgres` database) must give its password, which is random, kept in DIR/password (mode 0600) and never printed. The environment
# file DIR/env (mode 0600) sets:
#   SUBIMPORT_TEST_POSTGRES_URL        postgres://subimport@127.0.0.1:PORT/postgres (no password)
#   SUBIMPORT_TEST_POSTGRES_PASSWORD   the role's password
#   SUBIMPORT_TEST_POSTGRES_DIR        DIR (for stop)
#   SUBIMPORT_TEST_POSTGRES_SOCKET     DIR/socket (the unix socket folder; superuser: the OS user)
#   SUBIMPORT_TEST_POSTGRES_PORT       the port (of the socket too)
#   SUBIMPORT_TEST_POSTGRES_SUPERUSER  the superuser's name
# A cluster whose holder process (the pid in SUBIMPORT_TEST_POSTGRES_HOLDER at `start`, if set)
# died without `stop` is stopped and removed by the next `start`; so is a stale DIR given to `start`.
# fsync is on unless SUBIMPORT_TEST_POSTGRES_FSYNC=off at `start`: scripts/test.sh turns it off
# (no test crashes the server, and a CREATE DATABASE per test then costs milliseconds, not a
# third of a second of disk syncs); benchmarks keep it on, as a real server. initdb refuses to run as root: as root, the
# cluster runs as the `postgres` user (runuser).
set -euo pipefail

command="${1:-}"
dir="${2:-${SUBIMPORT_TEST_POSTGRES_DIR:-}}"

find_bin() {
    local name="$1" candidate
    for candidate in /usr/lib/postgresql/*/bin/"$name"; do
        [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
    command -v "$name" 2>/dev/null && return 0
    echo "postgres-cluster: $name not found (install Debian's postgresql)" >&2
    return 1
}

# Runs a server binary as the cluster's owner: `postgres` when we are root.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

owner_name() {
    if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

# "PID STARTTIME" of a process (the start time tells a reused pid apart), empty when it is gone.
process_tag() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    # Field 22 (start time) counted after the ")" that ends the command name.
    echo "$1 $(echo "${stat##*)}" | awk '{print $20}')"
}

# Stops the clusters left in PARENT by runs that died without `stop` (their holder is gone).
# Clusters of live runs (another test run on the same machine) are left alone.
reap_stale() {
    local parent="$1" folder holder
    for folder in "$parent"/subimport-pg.*; do
        [ -f "$folder/.subimport-test-cluster" ] || continue
        # A folder without a holder (started by hand, or being made right now) is left alone.
        holder="$(cat "$folder/holder" 2>/dev/null || true)"
        if [ -n "$holder" ] && [ "$(process_tag "${holder%% *}")" != "$holder" ]; then
            stop_cluster "$folder" || true
        fi
    done
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Stops a cluster in $1 if one runs there, and removes the folder. Safe on a stale or half-made folder.
stop_cluster() {
    local folder="$1" pg_ctl
    [ -n "$folder" ] && [ -d "$folder" ] || return 0
    # Only ever remove a folder this script made.
    if [ ! -f "$folder/.subimport-test-cluster" ]; then
        echo "postgres-cluster: $folder is not a test cluster folder; not removing it" >&2
        return 1
    fi
    if [ -f "$folder/data/postmaster.pid" ]; then
        pg_ctl="$(find_bin pg_ctl)"
        as_owner "$pg_ctl" -D "$folder/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        # A server whose pg_ctl could not stop it (a broken data folder): end it by its pid.
        local pid
        pid="$(head -n 1 "$folder/data/postmaster.pid" 2>/dev/null || true)"
        if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
            grep -q postgres "/proc/$pid/comm" 2>/dev/null; then
            kill -QUIT "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$folder"
}

start_cluster() {
    local initdb pg_ctl psql port password owner
    initdb="$(find_bin initdb)"
    pg_ctl="$(find_bin pg_ctl)"
    psql="$(find_bin psql)"
    if [ -n "$dir" ]; then
        # A stale folder of a killed run: stop whatever is left and start afresh.
        stop_cluster "$dir"
        mkdir -p "$dir"
    else
        # The server's owner (`postgres` when we are root) must reach the folder: the first
        # temporary folder it can enter (/tmp may be private to root).
        local parent
        for parent in "${TMPDIR:-/tmp}" /tmp /var/tmp ""; do
            [ -n "$parent" ] || { echo "postgres-cluster: no temporary folder $(owner_name) can enter" >&2; exit 1; }
            as_owner test -x "$parent" -a -d "$parent" && break
        done
        reap_stale "$parent"
        dir="$(mktemp -d "$parent/subimport-pg.XXXXXX")"
    fi
    dir="$(cd "$dir" && pwd)"
    touch "$dir/.subimport-test-cluster"
    # The process that will stop the cluster: when it is gone, a later `start` reaps the folder.
    if [ -n "${SUBIMPORT_TEST_POSTGRES_HOLDER:-}" ]; then
        process_tag "$SUBIMPORT_TEST_POSTGRES_HOLDER" >"$dir/holder"
    fi
    owner="$(owner_name)"
    mkdir -p "$dir/socket"
    chmod 0700 "$dir"
    password="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
    (umask 077 && printf '%s\n' "$password" >"$dir/password")
    if [ "$(id -u)" = 0 ]; then
        # The server's owner writes the data and socket folders.
        chown -R postgres: "$dir"
    fi
    # The password of the bootstrap superuser is never used (trust); the role `subimport` is.
    as_owner "$initdb" -D "$dir/data" -U "$owner" --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        stop_cluster "$dir"
        exit 1
    }
    # Loopback connections of the superuser are trusted; every other role gives its password.
    cat >"$dir/data/pg_hba.conf" <<EOF
local all all trust
host all $owner 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
EOF
    local attempt
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        cat >>"$dir/data/postgresql.conf" <<EOF
# subimport test cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
max_connections = 200
shared_buffers = 32MB
fsync = ${SUBIMPORT_TEST_POSTGRES_FSYNC:-on}
synchronous_commit = ${SUBIMPORT_TEST_POSTGRES_FSYNC:-on}
full_page_writes = ${SUBIMPORT_TEST_POSTGRES_FSYNC:-on}
log_min_messages = warning
logging_collector = off
EOF
        if as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1; then
            break
        fi
        # The port was taken between the choice and the start: try another one.
        [ "$attempt" = 5 ] && {
            cat "$dir/server.log" >&2
            stop_cluster "$dir"
            exit 1
        }
    done
    as_owner "$psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/socket" -p "$port" -U "$owner" -d postgres \
        -v password="$password" >/dev/null <<'EOF'
CREATE ROLE subimport LOGIN CREATEDB PASSWORD :'password';
GRANT ALL ON SCHEMA public TO subimport;
EOF
    (
        umask 077
        cat >"$dir/env" <<EOF
export SUBIMPORT_TEST_POSTGRES_URL='postgres://subimport@127.0.0.1:$port/postgres'
export SUBIMPORT_TEST_POSTGRES_PASSWORD='$password'
export SUBIMPORT_TEST_POSTGRES_DIR='$dir'
export SUBIMPORT_TEST_POSTGRES_SOCKET='$dir/socket'
export SUBIMPORT_TEST_POSTGRES_PORT='$port'
export SUBIMPORT_TEST_POSTGRES_SUPERUSER='$owner'
EOF
    )
    echo "$dir/env"
}

case "$command" in
start) start_cluster ;;
available)
    # Whether a cluster can be started here: the server binaries, psql, and (as root) the postgres user.
    find_bin initdb >/dev/null && find_bin pg_ctl >/dev/null && find_bin psql >/dev/null || exit 1
    [ "$(id -u)" != 0 ] || id postgres >/dev/null 2>&1 || {
        echo "postgres-cluster: no postgres user to run the server as" >&2
        exit 1
    }
    ;;
stop)
    [ -n "$dir" ] || { echo "postgres-cluster: stop needs DIR or SUBIMPORT_TEST_POSTGRES_DIR" >&2; exit 2; }
    stop_cluster "$dir"
    ;;
url)
    [ -n "$dir" ] && [ -f "$dir/env" ] || { echo "postgres-cluster: no cluster at '${dir}'" >&2; exit 1; }
    # shellcheck disable=SC1091
    (source "$dir/env" && echo "$SUBIMPORT_TEST_POSTGRES_URL")
    ;;
*)
    echo "usage: scripts/postgres-cluster.sh start [DIR] | stop [DIR] | url [DIR] | available" >&2
    exit 2
    ;;
esac
