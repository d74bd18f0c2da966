#!/usr/bin/env bash
# The one entry point for a machine: install what is missing, then run the app or the tests.
#
#   scripts/setup.sh run  [streamlit args...]   install, vendor static assets, create and fill the
#                                               database with demo data, start the dashboard and,
#                                               beside it, the early-warning watcher
#   scripts/setup.sh test [pytest args...]      install (with Chromium, CJK fonts, nginx), make sure
#                                               PostgreSQL is up, vendor static assets, run pytest
#   scripts/setup.sh lock [uv args...]          regenerate requirements.lock and requirements-test.lock
#                                               from requirements*.txt (e.g. --upgrade-package pandas)
#
# Python packages go into the project's own environment, .venv (made with $PYTHON), from the lock
# files, never into $PYTHON itself. Quick when everything is there: nothing is reinstalled unless a
# lock file changed, and no apt-get update unless a Debian package is missing.
# Under CI=true nothing may be skipped: what cannot be installed or reached fails the run.
# Environment: PYTHON (default python3), DATABASE_URL (run), TEST_DATABASE_URL (test; default
# postgresql+psycopg://postgres@127.0.0.1:5432/test), DEMO_ARGS (run; e.g. "--scale city"),
# SKIP_DEMO=1 (run: keep the database as it is).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
IN_CI=false
[ "${CI:-}" = "true" ] && IN_CI=true
DEFAULT_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test"
# nginx: tests/browser/test_proxy.py runs two app processes behind it (deploy/serve.py), as an
# unprivileged process of its own; Debian's nginx service is not used and may stay stopped.
TEST_DEBS=(chromium chromium-driver fonts-noto-cjk fonts-noto-color-emoji nginx)
RUN_DEBS=(fonts-noto-cjk)   # the source of the CJK webfont (scripts/vendor_static.py)
UV_VERSION=0.13.9           # makes the lock files (`lock`); installing needs only the venv's pip

log() { echo "[setup] $*" >&2; }
die() { echo "[setup] ERROR: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else return 1
    fi
}

# Installs the Debian packages that are not installed yet; `required` makes a failure fatal.
ensure_debs() {
    local required="$1"; shift
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        [ "$required" = required ] && die "apt-get not found; install ${missing[*]} by hand"
        log "WARNING: apt-get not found; ${missing[*]} not installed"
        return 0
    fi
    log "installing Debian packages: ${missing[*]}"
    if as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q \
        && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    then return 0
    fi
    [ "$required" = required ] && die "could not install ${missing[*]}"
    log "WARNING: could not install ${missing[*]}"
}

# The project's own environment, .venv, made with $PYTHON (never installing into $PYTHON itself).
# Remade when $PYTHON is another interpreter than the one it was made with.
VENV=.venv
VENV_PY="$VENV/bin/python"
BASE_STAMP="$VENV/.made-with"

ensure_venv() {
    command -v "$PYTHON" >/dev/null 2>&1 || die "PYTHON=$PYTHON not found (Python 3.11 or newer is needed)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "$PYTHON is Python $("$PYTHON" -c 'import platform; print(platform.python_version())'); 3.11 or newer is needed"
    local base
    base="$("$PYTHON" -c 'import sys; print(sys.base_prefix, sys.version.split()[0])')"
    if [ -x "$VENV_PY" ] && [ "$(cat "$BASE_STAMP" 2>/dev/null)" = "$base" ] && "$VENV_PY" -c '' 2>/dev/null; then
        return 0
    fi
    # Debian and Ubuntu ship venv's pip bootstrap (ensurepip) as a package of its own.
    if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        local minor
        minor="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        ensure_debs required "python${minor}-venv"
    fi
    log "creating the project's environment $VENV with $PYTHON ($base)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || die "could not create $VENV with $PYTHON"
    echo "$base" >"$BASE_STAMP"
}

# Installs a lock file's exact versions (hashes checked) into .venv, unless this very lock
# file was installed last time: a second run starts at once, a changed lock reinstalls.
ensure_locked() {
    local lock="$1" stamp="$VENV/.installed-${1%.lock}" digest
    digest="$(sha256sum "$lock" | cut -d' ' -f1)"
    [ "$(cat "$stamp" 2>/dev/null)" = "$digest" ] && return 0
    log "installing $lock into $VENV"
    # --no-compile: Python writes the bytecode of what it imports when it first does, instead of
    # pip compiling every file of every package (the install takes 16 s instead of 26 s here).
    "$VENV_PY" -m pip install --disable-pip-version-check -q --no-compile --require-hashes --no-deps -r "$lock" \
        || die "pip install -r $lock failed"
    echo "$digest" >"$stamp"
}

# Regenerates the lock files from requirements*.txt with uv (a universal resolution: one lock
# for every platform and Python 3.11+), using a uv of its own in .venv-tools.
lock() {
    local uv=".venv-tools/bin/uv"
    if [ ! -x "$uv" ]; then
        "$PYTHON" -m venv .venv-tools || die "could not create .venv-tools with $PYTHON"
        .venv-tools/bin/python -m pip install --disable-pip-version-check -q "uv==$UV_VERSION" \
            || die "could not install uv $UV_VERSION"
    fi
    local common=(--universal --python-version 3.11 --generate-hashes --quiet
                  --custom-compile-command "bash scripts/setup.sh lock")
    "$uv" pip compile requirements.txt "${common[@]}" -o requirements.lock "$@"
    # The tests' lock keeps the runtime's versions exactly.
    "$uv" pip compile requirements-test.txt "${common[@]}" -c requirements.lock -o requirements-test.lock "$@"
    log "requirements.lock and requirements-test.lock written; commit them"
}

vendor_static() {
    local args=()
    $IN_CI && args+=(--require-font)
    "$VENV_PY" scripts/vendor_static.py "${args[@]}"
}

# Is the PostgreSQL of $1 reachable within $2 seconds (default: one try)?
pg_reachable() {
    "$VENV_PY" - "$1" "${2:-0}" <<'PY' >/dev/null 2>&1
import sys
import time

from sqlalchemy import create_engine, text

engine = create_engine(sys.argv[1], connect_args={"connect_timeout": 3})
deadline = time.monotonic() + float(sys.argv[2])
while True:
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        sys.exit(0)
    except Exception:
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(0.5)
PY
}

ensure_postgres() {
    local url="$1" host version
    pg_reachable "$url" && return 0
    host="$("$VENV_PY" -c 'import sys; from sqlalchemy.engine import make_url; print(make_url(sys.argv[1]).host or "")' "$url")"
    if [[ "$host" =~ ^(127\.0\.0\.1|localhost|::1|)$ ]] && command -v pg_ctlcluster >/dev/null 2>&1 \
        && [ -d /etc/postgresql ]; then
        for version in $(ls /etc/postgresql); do
            log "starting PostgreSQL $version"
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        done
        pg_reachable "$url" 30 && return 0
    fi
    return 1
}

mode="${1:-}"
[ $# -gt 0 ] && shift
case "$mode" in
    run)
        ensure_debs optional "${RUN_DEBS[@]}"
        ensure_venv
        ensure_locked requirements.lock
        vendor_static
        "$VENV_PY" -m data_access init
        if [ "${SKIP_DEMO:-}" = 1 ]; then
            log "SKIP_DEMO=1: not loading demo data"
        # shellcheck disable=SC2086  # DEMO_ARGS is a list of words on purpose
        elif ! "$VENV_PY" -m data_access demo ${DEMO_ARGS:-}; then
            # It refuses a database holding real records (see its --force); show what is there.
            log "WARNING: demo data not loaded (see above); starting the dashboard on the data as it is"
        fi
        # The early-warning watcher runs beside the dashboard and stops with it (Ctrl-C, or a TERM
        # to this script); a deployment runs it as a service of its own (README "Early warning").
        "$VENV_PY" -m data_access watch &
        watcher=$!
        "$VENV_PY" -m streamlit run app.py "$@" &
        app=$!
        stop() { kill "$app" "$watcher" 2>/dev/null || true; wait 2>/dev/null || true; }
        trap 'stop; exit 130' INT
        trap 'stop; exit 143' TERM
        status=0
        wait "$app" || status=$?
        stop
        exit "$status"
        ;;
    test)
        ensure_debs required "${TEST_DEBS[@]}"
        ensure_venv
        ensure_locked requirements-test.lock
        export TEST_DATABASE_URL="${TEST_DATABASE_URL:-$DEFAULT_TEST_DATABASE_URL}"
        if ! ensure_postgres "$TEST_DATABASE_URL"; then
            $IN_CI && die "PostgreSQL at $TEST_DATABASE_URL cannot be reached (CI=true: it may not be skipped)"
            log "WARNING: PostgreSQL at $TEST_DATABASE_URL cannot be reached; running SQLite tests only"
            unset TEST_DATABASE_URL
        fi
        vendor_static
        mkdir -p test-artifacts
        exec "$VENV_PY" -m pytest "$@"
        ;;
    lock)
        lock "$@"
        ;;
    *)
        echo "usage: scripts/setup.sh run [streamlit args...] | test [pytest args...] | lock [uv args...]" >&2
        exit 2
        ;;
esac
