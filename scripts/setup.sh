#!/usr/bin/env bash
# The one entry point for a machine: install what is missing, then run the app or the tests.
#
#   scripts/setup.sh run  [streamlit args...]   install, vendor static assets, create and fill the
#                                               database with demo data, start the dashboard
#   scripts/setup.sh test [pytest args...]      install (with Chromium and CJK fonts), make sure
#                                               PostgreSQL is up, vendor static assets, run pytest
#
# Quick when everything is there (no apt-get update unless a Debian package is missing).
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
TEST_DEBS=(chromium chromium-driver fonts-noto-cjk fonts-noto-color-emoji)
RUN_DEBS=(fonts-noto-cjk)   # the source of the CJK webfont (scripts/vendor_static.py)

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

# pip only when a requirement is not met: `pip install` resolves for seconds even then.
ensure_python_requirements() {
    local file="$1"
    if "$PYTHON" - "$file" <<'PY' 2>/dev/null; then return 0; fi
import sys
from importlib.metadata import PackageNotFoundError, requires, version
from pathlib import Path

from packaging.requirements import Requirement

def unmet(path):
    for raw in Path(path).read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            yield from unmet(Path(path).parent / line[3:].strip())
            continue
        yield from unmet_requirement(Requirement(line))

def unmet_requirement(req, extra=""):
    if req.marker and not req.marker.evaluate({"extra": extra}):
        return
    try:
        installed = version(req.name)
    except PackageNotFoundError:
        yield str(req)
        return
    if not req.specifier.contains(installed, prereleases=True):
        yield str(req)
    for wanted in req.extras:  # e.g. psycopg[binary] needs psycopg-binary too
        for dependency in requires(req.name) or []:
            dep = Requirement(dependency)
            if dep.marker and dep.marker.evaluate({"extra": wanted}):
                dep.marker = None
                yield from unmet_requirement(dep)

missing = list(unmet(sys.argv[1]))
sys.exit(1 if missing else 0)
PY
    log "installing Python requirements ($file)"
    "$PYTHON" -m pip install --disable-pip-version-check -q -r "$file" || die "pip install -r $file failed"
}

vendor_static() {
    local args=()
    $IN_CI && args+=(--require-font)
    "$PYTHON" scripts/vendor_static.py "${args[@]}"
}

# Is the PostgreSQL of $1 reachable within $2 seconds (default: one try)?
pg_reachable() {
    "$PYTHON" - "$1" "${2:-0}" <<'PY' >/dev/null 2>&1
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
    host="$("$PYTHON" -c 'import sys; from sqlalchemy.engine import make_url; print(make_url(sys.argv[1]).host or "")' "$url")"
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
        ensure_python_requirements requirements.txt
        vendor_static
        "$PYTHON" -m data_access init
        if [ "${SKIP_DEMO:-}" = 1 ]; then
            log "SKIP_DEMO=1: not loading demo data"
        # shellcheck disable=SC2086  # DEMO_ARGS is a list of words on purpose
        elif ! "$PYTHON" -m data_access demo ${DEMO_ARGS:-}; then
            # It refuses a database holding real records (see its --force); show what is there.
            log "WARNING: demo data not loaded (see above); starting the dashboard on the data as it is"
        fi
        exec "$PYTHON" -m streamlit run app.py "$@"
        ;;
    test)
        ensure_debs required "${TEST_DEBS[@]}"
        ensure_python_requirements requirements-test.txt
        export TEST_DATABASE_URL="${TEST_DATABASE_URL:-$DEFAULT_TEST_DATABASE_URL}"
        if ! ensure_postgres "$TEST_DATABASE_URL"; then
            $IN_CI && die "PostgreSQL at $TEST_DATABASE_URL cannot be reached (CI=true: it may not be skipped)"
            log "WARNING: PostgreSQL at $TEST_DATABASE_URL cannot be reached; running SQLite tests only"
            unset TEST_DATABASE_URL
        fi
        vendor_static
        mkdir -p test-artifacts
        exec "$PYTHON" -m pytest "$@"
        ;;
    *)
        echo "usage: scripts/setup.sh run [streamlit args...] | test [pytest args...]" >&2
        exit 2
        ;;
esac
