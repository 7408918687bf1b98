#!/usr/bin/env bash
# Makes sure the services that the test suite and the benchmarks talk to answer on this machine:
#   MariaDB on 127.0.0.1:3306 (user root, empty password) and Redis on 127.0.0.1:6379.
#
# Idempotent. For each service: if it answers, nothing is done; if its server is installed but down,
# it is started; if it is not installed, it is installed from Debian's packages (root only) and started.
# Then it waits (ENSURE_SERVICES_TIMEOUT seconds, default 60) until both answer, and makes root log in
# over TCP with an empty password if a fresh MariaDB only lets root in through its unix socket.
# Prints one line per service saying what it did; exits non-zero if a service does not answer.
#
# DVORIK_SKIP_SERVICES=1 skips all of this (for servers of your own: point DVORIK_TEST_MYSQL_URL,
# DVORIK_TEST_REDIS_URL and BENCH_DATABASE_URL at them).
set -euo pipefail

readonly MARIADB_HOST=127.0.0.1
readonly MARIADB_PORT=3306
readonly REDIS_HOST=127.0.0.1
readonly REDIS_PORT=6379
readonly MARIADBD=/usr/sbin/mariadbd
readonly WAIT_SECONDS="${ENSURE_SERVICES_TIMEOUT:-60}"

if [[ "${DVORIK_SKIP_SERVICES:-0}" == 1 ]]; then
    echo "ensure-services: skipped (DVORIK_SKIP_SERVICES=1)"
    exit 0
fi

die() {
    printf 'ensure-services: %s\n' "$*" >&2
    exit 1
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

need_root() {
    is_root || die "$1 needs root: run 'sudo $0', or start MariaDB on ${MARIADB_HOST}:${MARIADB_PORT} (root, empty password) and Redis on ${REDIS_HOST}:${REDIS_PORT} yourself"
}

# A TCP connection to host:port succeeds.
port_open() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# ---------------------------------------------------------------------------------------------- MariaDB

MARIADB_CLI=""
find_mariadb_client() {
    local c
    for c in mariadb mysql; do
        if command -v "$c" >/dev/null 2>&1; then
            MARIADB_CLI="$c"
            return 0
        fi
    done
    return 1
}
find_mariadb_client || true

# root logs in over TCP with an empty password (--password= also overrides any ~/.my.cnf password).
mariadb_tcp_ok() {
    [[ -n "$MARIADB_CLI" ]] || return 1
    "$MARIADB_CLI" --protocol=TCP -h "$MARIADB_HOST" -P "$MARIADB_PORT" -uroot --password= \
        --connect-timeout=3 -e 'select 1' </dev/null >/dev/null 2>&1
}

mariadb_version() {
    "$MARIADB_CLI" --protocol=TCP -h "$MARIADB_HOST" -P "$MARIADB_PORT" -uroot --password= \
        --connect-timeout=3 -N -B -e 'select version()' </dev/null 2>/dev/null || true
}

mariadb_datadir() {
    local dir
    dir="$("$MARIADBD" --verbose --help 2>/dev/null | awk '$1 == "datadir" { print $2; exit }')" || true
    printf '%s\n' "${dir:-/var/lib/mysql/}"
}

start_mariadb() {
    need_root "starting MariaDB"
    mkdir -p /run/mysqld
    chown mysql:mysql /run/mysqld
    local datadir log
    datadir="$(mariadb_datadir)"
    if [[ ! -d "${datadir%/}/mysql" ]]; then
        log="$(mktemp)"
        if ! mariadb-install-db --user=mysql --datadir="$datadir" >"$log" 2>&1; then
            cat "$log" >&2
            die "mariadb-install-db failed for datadir $datadir"
        fi
        rm -f "$log"
        mariadb_did+=" (initialised $datadir)"
    fi
    start-stop-daemon --start --oknodo --background --exec "$MARIADBD" -- --user=mysql >/dev/null
}

# A fresh Debian install lets root in only through the unix socket (as the OS user root). Keep that and
# add the empty password, for root@localhost (matched from 127.0.0.1 when host names are resolved) and
# for root@127.0.0.1 (matched when the server runs with skip-name-resolve).
fix_mariadb_root_login() {
    need_root "letting MariaDB's root log in over TCP"
    [[ -n "$MARIADB_CLI" ]] || die "no mariadb client to fix root's login with"
    "$MARIADB_CLI" --protocol=SOCKET -uroot </dev/null -e "
        ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
        CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
        GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
        FLUSH PRIVILEGES;" ||
        die "MariaDB answers on ${MARIADB_HOST}:${MARIADB_PORT} but root cannot log in over TCP with an empty password, and logging in through the socket to fix it failed"
}

# ------------------------------------------------------------------------------------------------ Redis

REDIS_SERVER="$(command -v redis-server 2>/dev/null || true)"

redis_ok() {
    if command -v redis-cli >/dev/null 2>&1; then
        [[ "$(timeout 5 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
    else
        # shellcheck disable=SC2016 # expanded by the inner bash
        timeout 5 bash -c 'exec 3<>"/dev/tcp/$0/$1" && printf "PING\r\n" >&3 &&
            IFS= read -r line <&3 && [[ $line == "+PONG"* ]]' "$REDIS_HOST" "$REDIS_PORT" 2>/dev/null
    fi
}

redis_version() {
    command -v redis-cli >/dev/null 2>&1 || return 0
    timeout 5 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" info server 2>/dev/null |
        awk -F: '$1 == "redis_version" { sub(/\r$/, "", $2); print $2 }' || true
}

start_redis() {
    local dir=/var/lib/redis
    [[ -d "$dir" && -w "$dir" ]] || dir="${TMPDIR:-/tmp}"
    local args=(--daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no --dir "$dir")
    if [[ -d /var/log/redis && -w /var/log/redis ]]; then
        args+=(--logfile /var/log/redis/ensure-services.log)
    fi
    # If another start is under way the second server fails to bind and exits; the wait below decides.
    "$REDIS_SERVER" "${args[@]}" >/dev/null 2>&1 || true
}

# ------------------------------------------------------------------------------------------------- main

mariadb_did=""
redis_did=""
packages=()

if mariadb_tcp_ok; then
    mariadb_did="already up"
elif port_open "$MARIADB_HOST" "$MARIADB_PORT"; then
    mariadb_did="already up"
elif [[ -x "$MARIADBD" ]]; then
    mariadb_did="started"
else
    mariadb_did="installed and started"
    packages+=(mariadb-server)
fi

if redis_ok; then
    redis_did="already up"
elif [[ -n "$REDIS_SERVER" ]]; then
    redis_did="started"
else
    redis_did="installed and started"
    packages+=(redis-server)
fi

# The PDF tests read documents back with poppler's pdftotext, as a viewer would.
if ! command -v pdftotext >/dev/null 2>&1; then
    packages+=(poppler-utils)
fi

if ((${#packages[@]} > 0)); then
    need_root "installing ${packages[*]}"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ${packages[*]} yourself"
    echo "ensure-services: installing ${packages[*]} with apt-get ..."
    apt_log="$(mktemp)"
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"; } >"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        die "apt-get install ${packages[*]} failed (full log: $apt_log)"
    fi
    rm -f "$apt_log"
    find_mariadb_client || true
    REDIS_SERVER="$(command -v redis-server 2>/dev/null || true)"
    [[ -n "$REDIS_SERVER" ]] || die "redis-server is still not found after installing it"
    [[ -x "$MARIADBD" ]] || die "$MARIADBD is still not found after installing mariadb-server"
fi

# The package scripts may have started a server already; start only what does not answer.
case "$mariadb_did" in
*started) port_open "$MARIADB_HOST" "$MARIADB_PORT" || start_mariadb ;;
esac
case "$redis_did" in
*started) redis_ok || start_redis ;;
esac

deadline=$((SECONDS + WAIT_SECONDS))
mariadb_up=0
redis_up=0
while :; do
    ((mariadb_up)) || { port_open "$MARIADB_HOST" "$MARIADB_PORT" && mariadb_up=1; } || true
    ((redis_up)) || { redis_ok && redis_up=1; } || true
    if ((mariadb_up && redis_up)) || ((SECONDS >= deadline)); then
        break
    fi
    sleep 1
done

failed=0

if ((mariadb_up)); then
    if [[ -z "$MARIADB_CLI" ]]; then
        echo "mariadb: $mariadb_did, answers on ${MARIADB_HOST}:${MARIADB_PORT} (root login not checked: no mariadb/mysql client)"
    else
        if ! mariadb_tcp_ok; then
            # A server that has just opened its port may still refuse logins for a moment.
            sleep 2
            if ! mariadb_tcp_ok; then
                fix_mariadb_root_login
                mariadb_did+=", enabled root's TCP login with an empty password"
            fi
        fi
        if mariadb_tcp_ok; then
            echo "mariadb: $mariadb_did, answers on ${MARIADB_HOST}:${MARIADB_PORT} ($(mariadb_version))"
        else
            echo "mariadb: $mariadb_did, but root cannot log in over TCP on ${MARIADB_HOST}:${MARIADB_PORT} with an empty password" >&2
            failed=1
        fi
    fi
else
    echo "mariadb: $mariadb_did, but nothing answers on ${MARIADB_HOST}:${MARIADB_PORT} after ${WAIT_SECONDS}s (see the server's error log, log-error in /etc/mysql)" >&2
    failed=1
fi

if ((redis_up)); then
    version="$(redis_version)"
    echo "redis: $redis_did, answers on ${REDIS_HOST}:${REDIS_PORT}${version:+ ($version)}"
else
    echo "redis: $redis_did, but ${REDIS_HOST}:${REDIS_PORT} does not answer PING after ${WAIT_SECONDS}s" >&2
    failed=1
fi

exit "$failed"
