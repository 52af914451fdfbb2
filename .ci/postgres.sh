#!/usr/bin/env bash
# Start a throw-away PostgreSQL server for the batch-store tests.
#
#   source .ci/postgres.sh      # exports PLANNER_TEST_PG_URL; call planner_pg_stop when done
#   bash .ci/postgres.sh        # prints the URL and leaves the server running
#   bash .ci/postgres.sh stop DIR   # stops a server started that way (DIR is printed at start)
#
# Installs Debian's postgresql if no server binaries are found (needs root),
# initialises a temporary data directory, starts the server on a free loopback
# port as the `postgres` user when run as root (PostgreSQL refuses to run as
# root), creates the database `planner_test`, and exports
#   PLANNER_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:PORT/planner_test
# and PLANNER_PG_DIR (the temporary folder). planner_pg_stop stops the server
# and removes the folder. On any failure it says why and returns non-zero
# without exiting the calling shell; the postgres tests then skip with a reason.

_planner_pg_fail() {
    echo "postgres.sh: $*" >&2
    return 1
}

_planner_pg_bin() {
    local dir
    if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
        echo /usr/lib/postgresql/15/bin
        return 0
    fi
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

_planner_pg_as() {
    # run a command as the server's owner (postgres when we are root)
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

planner_pg_stop() {
    if [ -n "${PLANNER_PG_DIR:-}" ] && [ -d "$PLANNER_PG_DIR" ]; then
        local bin
        bin=$(_planner_pg_bin)
        (cd "$PLANNER_PG_DIR" && _planner_pg_as "$bin/pg_ctl" -D "$PLANNER_PG_DIR/data" -m immediate -w stop \
            >/dev/null 2>&1) || true
        rm -rf "$PLANNER_PG_DIR"
    fi
    unset PLANNER_PG_DIR PLANNER_TEST_PG_URL
}

planner_pg_start() {
    local bin dir port
    bin=$(_planner_pg_bin)
    if [ -z "$bin" ]; then
        if [ "$(id -u)" != 0 ]; then
            _planner_pg_fail "no PostgreSQL server found and not root: install Debian's postgresql" || return 1
        fi
        echo "postgres.sh: installing Debian's postgresql" >&2
        export DEBIAN_FRONTEND=noninteractive
        { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; } \
            || { _planner_pg_fail "apt-get install postgresql failed"; return 1; }
        bin=$(_planner_pg_bin)
        [ -n "$bin" ] || { _planner_pg_fail "postgresql installed but no initdb found"; return 1; }
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        _planner_pg_fail "running as root but there is no 'postgres' user to run the server"
        return 1
    fi
    dir=$(mktemp -d /tmp/planner-pg.XXXXXX) || { _planner_pg_fail "mktemp failed"; return 1; }
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    (
        cd "$dir" || exit 1
        _planner_pg_as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        _planner_pg_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" \
            start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
        _planner_pg_as "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres planner_test
    ) || { _planner_pg_fail "could not start PostgreSQL (see messages above)"; rm -rf "$dir"; return 1; }
    export PLANNER_PG_DIR="$dir"
    export PLANNER_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/planner_test"
    echo "PLANNER_TEST_PG_URL=$PLANNER_TEST_PG_URL"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    # executed, not sourced
    if [ "${1:-}" = stop ]; then
        [ -n "${2:-}" ] || { echo "usage: bash .ci/postgres.sh stop DIR" >&2; exit 2; }
        PLANNER_PG_DIR="$2" planner_pg_stop
        exit 0
    fi
    planner_pg_start || exit 1
    echo "stop with: bash .ci/postgres.sh stop $PLANNER_PG_DIR" >&2
else
    planner_pg_start
fi
