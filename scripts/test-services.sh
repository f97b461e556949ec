# Sourced by scripts/test and scripts/with-test-services: makes sure PostgreSQL and Redis are
# reachable for the tests, starting throwaway ones where they are installed but not running
# (a temporary data directory, free ports; stopped and removed when the shell exits, however it
# exits), and exports ADSYNC_TEST_POSTGRES_URL and ADSYNC_TEST_REDIS_URL. Without them, says
# what to install and returns 1.

pg_url=${ADSYNC_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
redis_url=${ADSYNC_TEST_REDIS_URL:-redis://127.0.0.1:6379}

# host:port of a URL like scheme://user@host:port/db
host_port() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; echo "${rest%:*} ${rest##*:}"; }
reachable() { read -r host port <<<"$(host_port "$1")"; (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

# A port nothing listens on, for a throwaway server.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  return 1
}

# Throwaway servers started here are stopped, and their data removed, however the tests end.
scratch=""
pg_ctl_bin=""
redis_pid=""
as_postgres=()
cleanup() {
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  [ -n "$pg_ctl_bin" ] && "${as_postgres[@]}" "$pg_ctl_bin" -D "$scratch/pg" -m immediate stop >/dev/null 2>&1
  [ -n "$scratch" ] && rm -rf "$scratch"
  return 0
}
trap cleanup EXIT

# PostgreSQL installed but not running (or not where the URL says): a throwaway cluster in a
# temporary directory on a free port, trust auth, user postgres.
start_postgres() {
  local bindir initdb port
  initdb=$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$initdb" ] && [ -x "$initdb" ] || return 1
  bindir=$(dirname "$initdb")
  port=$(free_port) || return 1
  scratch=${scratch:-$(mktemp -d "${TMPDIR:-/tmp}/adsync-test.XXXXXX")}
  mkdir -p "$scratch/pg"
  # PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || return 1
    chown postgres "$scratch" "$scratch/pg"
    as_postgres=(runuser -u postgres --)
  fi
  echo "== starting a throwaway PostgreSQL ($bindir) on 127.0.0.1:$port"
  "${as_postgres[@]}" "$initdb" -D "$scratch/pg" -U postgres --auth=trust -E UTF8 >"$scratch/initdb.log" 2>&1 || {
    cat "$scratch/initdb.log" >&2; return 1; }
  pg_ctl_bin="$bindir/pg_ctl"
  "${as_postgres[@]}" "$pg_ctl_bin" -D "$scratch/pg" -l "$scratch/pg.log" -w -o \
    "-p $port -k $scratch/pg -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off" start >/dev/null || {
    cat "$scratch/pg.log" >&2; return 1; }
  pg_url="postgres://postgres@127.0.0.1:$port/postgres"
}

# Redis installed but not running: a throwaway one on a free port, keeping nothing on disk.
start_redis() {
  local port
  command -v redis-server >/dev/null 2>&1 || return 1
  port=$(free_port) || return 1
  echo "== starting a throwaway Redis on 127.0.0.1:$port"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no >/dev/null 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { redis_url="redis://127.0.0.1:$port"; return 0; }
    sleep 0.1
  done
  return 1
}

ensure_test_services() {
  missing=0
  if ! reachable "$pg_url" && ! start_postgres; then
    echo "PostgreSQL is not reachable at $(host_port "$pg_url" | tr ' ' ':') (ADSYNC_TEST_POSTGRES_URL=$pg_url), and no PostgreSQL is installed to start one." >&2
    missing=1
  fi
  if ! reachable "$redis_url" && ! start_redis; then
    echo "Redis is not reachable at $(host_port "$redis_url" | tr ' ' ':') (ADSYNC_TEST_REDIS_URL=$redis_url), and redis-server is not installed to start one." >&2
    missing=1
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "redis-server is not on PATH: the Redis-restart test starts (and kills) a Redis of its own." >&2
    missing=1
  fi
  if [ "$missing" = 1 ]; then
    cat >&2 <<'MSG'

The tests need a PostgreSQL server (user postgres, trust auth or a password in the URL),
a Redis server, and the redis-server program. Installed but stopped, they are started here
for the run (a temporary data directory, free ports, stopped afterwards). To install them
from your distribution's packages:
    sudo apt-get install postgresql redis-server
or run PostgreSQL and Redis in Docker (redis-server must still be installed for the restart test):
    docker run -d --name adsync-test-pg -p 127.0.0.1:5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16
    docker run -d --name adsync-test-redis -p 127.0.0.1:6379:6379 redis:7 --save '' --appendonly no
or point ADSYNC_TEST_POSTGRES_URL / ADSYNC_TEST_REDIS_URL at servers you have.
MSG
    return 1
  fi
  export ADSYNC_TEST_POSTGRES_URL=$pg_url ADSYNC_TEST_REDIS_URL=$redis_url
}
