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
  if ! rustup component list --installed | grep -q '^clippy'; then
    step "Adding clippy and rustfmt (rustup)"
    rustup component add clippy rustfmt
  fi
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

# start_test_imap: a real IMAP server (Debian's dovecot) on loopback for the Webmail
# tests, with its own config, a test CA and a passwd-file user who has one message.
# Exports IMAP_TEST_HOST, IMAP_TEST_STARTTLS_PORT (143-style), IMAP_TEST_TLS_PORT
# (993-style), IMAP_TEST_USER, IMAP_TEST_PASSWORD and IMAP_TEST_CA (the CA to trust).
start_test_imap() {
  ensure_debian_packages dovecot-imapd openssl
  local dir; dir="$(data_root)/imap"
  IMAP_DIR="$dir"
  stop_test_imap
  # A fresh run folder: sockets left by an earlier config must not be found.
  rm -rf "$dir/run"
  mkdir -p "$dir/run" "$dir/state"
  chmod 755 "$dir"
  if [ ! -f "$dir/server.crt" ]; then
    step "Making a test CA and a certificate for the test IMAP server"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Intranet test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > "$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 3650 \
      -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
  fi
  export IMAP_TEST_HOST=localhost IMAP_TEST_USER=mailtest IMAP_TEST_PASSWORD=imap-test-pass-7 IMAP_TEST_CA="$dir/ca.crt"
  IMAP_TEST_STARTTLS_PORT="$(free_port)"; IMAP_TEST_TLS_PORT="$(free_port)"
  export IMAP_TEST_STARTTLS_PORT IMAP_TEST_TLS_PORT
  printf '%s:{PLAIN}%s::::::\n' "$IMAP_TEST_USER" "$IMAP_TEST_PASSWORD" > "$dir/users"
  # One message in the INBOX, so a check has something to count.
  local maildir="$dir/home/$IMAP_TEST_USER/Maildir"
  mkdir -p "$maildir/new" "$maildir/cur" "$maildir/tmp"
  printf 'From: Bob <bob@example.test>\r\nTo: mailtest@example.test\r\nSubject: Welcome\r\n\r\nHello.\r\n' > "$maildir/new/1.test"
  local mail_user=dovecot
  if [ "$(id -u)" -eq 0 ]; then chown -R "$mail_user:$mail_user" "$dir/home"; else mail_user="$(id -un)"; fi
  local dh=""
  [ -f /usr/share/dovecot/dh.pem ] && dh="ssl_dh = </usr/share/dovecot/dh.pem"
  local users=""
  [ "$(id -u)" -eq 0 ] || users=$'default_internal_user = '"$mail_user"$'\ndefault_login_user = '"$mail_user"
  [ "$(id -u)" -eq 0 ] && users=$'default_internal_user = dovecot\ndefault_login_user = dovenull'
  cat > "$dir/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
ssl = yes
ssl_cert = <$dir/server.crt
ssl_key = <$dir/server.key
$dh
# No log-in before TLS: a STARTTLS test really upgrades the connection.
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
# No growing delay after failed log-ins from one address (dovecot's auth penalty, 2 to 15
# s): the tests fail log-ins on purpose, and the app's own throttle is what they check.
# The auth process finds no penalty socket under its usual name and so keeps no penalties.
# (Dovecot's documented switch, "mode = 0", leaves a socket that refuses connections,
# and the auth process then retries it for 5 s before its first log-in.)
service anvil {
  unix_listener anvil-auth-penalty {
    path = anvil-auth-penalty-off
  }
}
first_valid_uid = $(id -u "$mail_user")
mail_location = maildir:~/Maildir
$users
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=$mail_user gid=$(id -gn "$mail_user") home=$dir/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_TEST_STARTTLS_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAP_TEST_TLS_PORT
    ssl = yes
  }
}
CONF
  step "Starting the test IMAP server (dovecot) on 127.0.0.1:$IMAP_TEST_STARTTLS_PORT (STARTTLS) and :$IMAP_TEST_TLS_PORT (TLS)"
  # Detached from our output: a daemon holding the pipe would keep callers waiting for EOF.
  /usr/sbin/dovecot -c "$dir/dovecot.conf" </dev/null >/dev/null 2>&1
  for _ in $(seq 50); do
    python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1', $IMAP_TEST_TLS_PORT), 0.2)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "The test IMAP server did not start; its log:" >&2
  cat "$dir/dovecot.log" >&2 || true
  return 1
}

stop_test_imap() {
  local dir="${IMAP_DIR:-}"
  [ -n "$dir" ] && [ -f "$dir/dovecot.conf" ] && /usr/sbin/dovecot -c "$dir/dovecot.conf" stop >/dev/null 2>&1 || true
}

# The key that seals Webmail passwords: made once into the ignored data folder (keep it
# with the database's backups: without it, saved mailboxes must be connected again).
ensure_mailbox_key() {
  if [ -n "${MAILBOX_KEY_FILE:-}" ] || [ -n "${MAILBOX_KEY:-}" ]; then return; fi
  local file; file="$(data_root)/mailbox.key"
  if [ ! -s "$file" ]; then
    step "Making the development Webmail key in $file"
    (umask 077 && head -c 32 /dev/urandom | base64 > "$file")
  fi
  export MAILBOX_KEY_FILE="$file"
}
