#!/usr/bin/env bash
# Runs Debian's PgBouncer in transaction pooling mode in front of the machine's PostgreSQL, for the
# test run that checks Tessera behind a transaction pooler (.ci/run). Usage:
#   scripts/pgbouncer.sh start [listen-port] [target-port] [database]   (prints the pooled URL)
#   scripts/pgbouncer.sh stop
set -euo pipefail
dir=/tmp/tessera-pgbouncer
command=${1:-start}
if [ "$command" = stop ]; then
  [ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
  exit 0
fi
port=${2:-6432}
target=${3:-5432}
database=${4:-test}
mkdir -p "$dir"
cat > "$dir/pgbouncer.ini" <<INI
[databases]
$database = host=127.0.0.1 port=$target dbname=$database user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
chown -R postgres "$dir" 2>/dev/null || true
user_flag=()
[ "$(id -u)" = 0 ] && user_flag=(-u postgres)
pgbouncer -d "${user_flag[@]}" "$dir/pgbouncer.ini"
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -p "$port" -q 2>/dev/null && break
  sleep 0.2
done
echo "postgres://postgres@127.0.0.1:$port/$database"
