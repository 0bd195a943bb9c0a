# Shared by scripts/test, scripts/demo and scripts/bench: dependency install and throwaway
# services (a PostgreSQL 15 cluster and moto_server on loopback). Source it; do not run it.

DRD_APT_PACKAGES="libpq-dev zlib1g-dev libdeflate-dev libcurl4-openssl-dev libssl-dev postgresql-15 postgresql-client-15 postgresql-contrib python3-pip"
PG_BIN=/usr/lib/postgresql/15/bin

# Toolchains installed outside the default PATH on the project's machines (Swift under /opt/swift,
# Python under pyenv); harmless where they do not exist.
for dir in /usr/sbin /sbin /opt/swift/usr/bin "$HOME/.local/bin"; do
  case ":$PATH:" in *":$dir:"*) ;; *) [ -d "$dir" ] && PATH="$PATH:$dir" ;; esac
done
# pyenv's Python (with pip and the test tools) goes first when it exists but is not on PATH.
case ":$PATH:" in *":$HOME/.pyenv/shims:"*) ;; *) [ -d "$HOME/.pyenv/shims" ] && PATH="$HOME/.pyenv/shims:$PATH" ;; esac
export PATH

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Installs what is missing (apt, pip). Quiet when everything is there.
# Extra Debian packages may be named as arguments (scripts/test adds prometheus for promtool).
install_deps() {
  local missing=()
  for p in $DRD_APT_PACKAGES "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing apt packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if ! command -v swift >/dev/null; then
    echo "swift is not on PATH: install the Swift 6 toolchain (see README.md)" >&2; exit 2
  fi
  if ! command -v moto_server >/dev/null || ! command -v aws >/dev/null || ! python3 -c 'import moto, botocore' 2>/dev/null; then
    log "installing moto[server] and awscli from PyPI"
    # Debian's own Python refuses pip installs into it (PEP 668) unless told otherwise.
    python3 -m pip install -q 'moto[server]' awscli botocore 2>/dev/null ||
      python3 -m pip install -q --break-system-packages 'moto[server]' awscli botocore
    hash -r
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# start_postgres DIR [PORT]: initdb a throwaway cluster in DIR, start it on 127.0.0.1:PORT.
# Exports DRD_TEST_PG (superuser conninfo), PGHOST/PGPORT/PGUSER for psql and pg_dump.
start_postgres() {
  local dir=$1 port=${2:-$(free_port)}
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; chmod 700 "$dir"; fi
  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=trust \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  # Password authentication for members of drd_password_auth (created below), so tests can check
  # wrong-password errors; every other role gets in by trust. (A regex user name would need 16+.)
  as_pg sh -c "printf 'host all +drd_password_auth 127.0.0.1/32 scram-sha-256\n' | cat - '$dir/data/pg_hba.conf' > '$dir/data/hba.tmp' && mv '$dir/data/hba.tmp' '$dir/data/pg_hba.conf'"
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 256MB
max_locks_per_transaction = 256
log_min_messages = warning
CONF
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
  export DRD_TEST_PG="host=127.0.0.1 port=$port user=postgres dbname=postgres"
  psql -X -q -d "$DRD_TEST_PG" -c "CREATE ROLE drd_password_auth NOLOGIN" >/dev/null
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
  DRD_PG_DIR=$dir
  log "postgresql 15 running on 127.0.0.1:$port (data in $dir/data)"
}

stop_postgres() {
  [ -n "${DRD_PG_DIR:-}" ] && [ -d "$DRD_PG_DIR/data" ] && \
    as_pg "$PG_BIN/pg_ctl" -D "$DRD_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
}

# start_moto DIR [PORT]: moto_server on 127.0.0.1:PORT. Exports DRD_TEST_S3_ENDPOINT.
start_moto() {
  local dir=$1 port=${2:-$(free_port)}
  mkdir -p "$dir"
  moto_server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
  DRD_MOTO_PID=$!
  for _ in $(seq 1 100); do
    if curl -fs "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 || curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
    sleep 0.2
  done
  export DRD_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
  log "moto_server running on 127.0.0.1:$port"
}

stop_moto() { [ -n "${DRD_MOTO_PID:-}" ] && kill "$DRD_MOTO_PID" 2>/dev/null; wait "${DRD_MOTO_PID:-}" 2>/dev/null || true; }
