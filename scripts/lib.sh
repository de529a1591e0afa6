# Shared by scripts/serve and scripts/test: install what this checkout needs, once.
# Each step is skipped when its inputs have not changed since the last run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

log() { printf '==> %s\n' "$*" >&2; }

# The Python environment: a venv with the project (editable) and its dev tools.
ensure_python_env() {
  local stamp="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    log "installing the Python environment into .venv"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[dev]"
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
  # Bytecode for our own modules, brought up to date each time (a no-op takes 0.1 s):
  # pip compiles what it installs but not an editable project, and where
  # PYTHONDONTWRITEBYTECODE is set every `sheetbrain audit` process would compile them
  # again, about half of a one-file run.
  "$VENV/bin/python" -m compileall -q "$ROOT/service/sheetbrain"
}

# The Supabase CLI, pinned in package.json / package-lock.json.
ensure_node_modules() {
  local stamp="$ROOT/node_modules/.installed-$(sha256sum "$ROOT/package-lock.json" | cut -c1-16)"
  if [ -f "$stamp" ]; then return 0; fi
  log "installing the Supabase CLI (npm ci)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
}

# Debian packages: pgTAP for the server's major version, pg_prove, and Chromium.
ensure_system_packages() {
  local major="$1" missing=()
  [ -f "/usr/share/postgresql/$major/extension/pgtap.control" ] || missing+=("postgresql-$major-pgtap")
  command -v pg_prove >/dev/null || missing+=("libtap-parser-sourcehandler-pgtap-perl")
  [ -x /usr/bin/chromium ] || missing+=("chromium")  # the dashboard's browser test
  if [ "${#missing[@]}" -eq 0 ]; then return 0; fi
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The local PostgreSQL server (started before the session on our machines).
ensure_postgres_running() {
  if pg_isready -h "$PGHOST" -p "$PGPORT" -q; then return 0; fi
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
  for _ in $(seq 1 30); do pg_isready -h "$PGHOST" -p "$PGPORT" -q && return 0; sleep 1; done
  log "PostgreSQL did not start on $PGHOST:$PGPORT"
  return 1
}
