# Shared by scripts/run and scripts/test: install what is missing, start a project-local
# Postgres. Every step says what it does before it starts, so a long first run never
# looks hung.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION=0.3.10       # 0.3.11 needs a newer Rust than this machine's 1.95
WASM_BINDGEN_VERSION=0.2.130      # must equal the wasm-bindgen pin in Cargo.toml
export PATH="$HOME/.cargo/bin:$ROOT/end2end/node_modules/.bin:$PATH"

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_rust_tools() {
  if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    step "Adding the wasm32 target (rustup)"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
    step "Installing cargo-leptos $CARGO_LEPTOS_VERSION — first time only, about 20 minutes on 2 cores"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    step "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION — first time only, about 3 minutes"
    # Without --locked: its lock file wants a webpki-roots version the registry lacks.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

# npm packages: wasm-opt (binaryen, for the release WASM) and Playwright.
ensure_node_packages() {
  if [ ! -x "$ROOT/end2end/node_modules/.bin/wasm-opt" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    step "Installing npm packages in end2end/ (wasm-opt, Playwright)"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
  fi
}

ensure_debian_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "Installing Debian packages: ${missing[*]}"
    as_root apt-get install -y "${missing[@]}" || { as_root apt-get update && as_root apt-get install -y "${missing[@]}"; }
  fi
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$dir" ]; then
    ensure_debian_packages postgresql
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  echo "$dir"
}

# The folder for a cluster. Under the checkout when the postgres user can reach it;
# otherwise (a checkout under /root, say) a folder under /var/tmp named after the
# checkout's path, so two checkouts never share a cluster.
data_root() {
  local candidate="$ROOT/.data"
  mkdir -p "$candidate"
  if [ "$(id -u)" -ne 0 ] || runuser -u postgres -- test -x "$candidate" 2>/dev/null; then
    if [ ${#candidate} -lt 70 ]; then echo "$candidate"; return; fi
  fi
  local fallback="/var/tmp/intranet-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)"
  mkdir -p "$fallback"
  chmod 755 "$fallback"
  echo "$fallback"
}

as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# start_cluster NAME [extra postgres -c settings...]: creates (first time) and starts a
# cluster that listens only on a Unix socket in its own folder. Sets PGDIR, PGSOCK.
start_cluster() {
  local name="$1"; shift
  local bin; bin=$(pg_bin)
  local base; base=$(data_root)
  PGDIR="$base/$name"
  PGSOCK="$PGDIR/socket"
  mkdir -p "$PGDIR/socket"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$PGDIR"; fi
  if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
    step "Creating a Postgres cluster in $PGDIR (first time only)"
    as_pg "$bin/initdb" -D "$PGDIR/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
    step "Starting Postgres ($name)"
    local opts="-c listen_addresses='' -k $PGSOCK -c max_connections=300"
    for setting in "$@"; do opts="$opts -c $setting"; done
    as_pg "$bin/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -o "$opts" start >/dev/null
  fi
  export PGHOST="$PGSOCK" PGUSER=postgres PGOPTIONS="-c client_min_messages=warning"
}

stop_cluster() {
  [ -n "${PGDIR:-}" ] && as_pg "$(pg_bin)/pg_ctl" -D "$PGDIR/data" -m fast stop >/dev/null 2>&1 || true
}

db_url() { echo "postgres://postgres@localhost/$1?host=$PGSOCK"; }

create_db() {
  psql -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1 || psql -d postgres -qc "CREATE DATABASE \"$1\"" >/dev/null
}

# A database holding exactly the migrations, for sqlx's compile-time query checks.
fresh_schema_db() {
  psql -d postgres -qc "DROP DATABASE IF EXISTS schema_check WITH (FORCE)" >/dev/null
  psql -d postgres -qc "CREATE DATABASE schema_check" >/dev/null
  for migration in "$ROOT"/migrations/*.sql; do
    psql -d schema_check -q -v ON_ERROR_STOP=1 -f "$migration" >/dev/null
  done
  db_url schema_check
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
