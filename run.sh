#!/usr/bin/env bash
# Set everything up and run one job.
#   ./run.sh demo   the demo zone, Hengzhong Education's brief, a ranked shortlist (and its PDF)
#   ./run.sh test   the whole test suite
#   ./run.sh setup  only set up: .venv, the package (reinstalled when pyproject.toml changes), GDAL tools
# Needs only Python 3.11+; creates .venv/ beside this file. As root on Debian it also installs
# GDAL's command-line tools and GeoPackage validator (gdal-bin, python3-gdal), which the store's
# conformance tests use as an independent reader, and PostGIS for PostgreSQL 15 (the PostGIS
# store's tests run on a throwaway database of the local server).
set -euo pipefail
cd "$(dirname "$0")"
job="${1:-demo}"
shift || true
PY="${PYTHON:-python3}"

log() { printf '[run.sh] %s\n' "$*" >&2; }

if [ ! -x .venv/bin/python ]; then
  log "creating .venv with $($PY --version 2>&1)"
  "$PY" -m venv .venv
fi
# Install only when pyproject.toml changed since the last install (the stamp holds its hash):
# every run would otherwise spend half a minute reinstalling what is there.
stamp=.venv/.assetmatch-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing assetmatch and its dependencies into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[plot,test]"
  printf '%s\n' "$want" > "$stamp"
fi

system_deps() {
  # GDAL's ogrinfo and validate_gpkg.py: an independent check of the GeoPackage we write;
  # poppler's pdffonts and qpdf: independent readers of the PDF reports.
  local want=()
  if ! { command -v ogrinfo >/dev/null 2>&1 && /usr/bin/python3 -c "import osgeo_utils" 2>/dev/null; }; then
    want+=(gdal-bin python3-gdal)
  fi
  command -v pdffonts >/dev/null 2>&1 || want+=(poppler-utils)
  command -v qpdf >/dev/null 2>&1 || want+=(qpdf)
  [ "${#want[@]}" = 0 ] && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing ${want[*]} from Debian"
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${want[@]}") \
      >/tmp/assetmatch-apt.log 2>&1 || log "could not install ${want[*]} (see /tmp/assetmatch-apt.log); their tests will be skipped"
  else
    log "${want[*]} not installed and not root: the tests that use them will be skipped"
  fi
}

postgis_db() {
  # The PostGIS tests need a server: a throwaway database assetmatch_test_<pid> on the local
  # PostgreSQL (trust auth on localhost:5432), dropped when the tests end. A URL given in
  # ASSETMATCH_TEST_PG_URL is used as it is.
  [ -n "${ASSETMATCH_TEST_PG_URL:-}" ] && return 0
  if ! command -v psql >/dev/null 2>&1; then
    log "no PostgreSQL client: the PostGIS tests will be skipped (set ASSETMATCH_TEST_PG_URL)"
    return 0
  fi
  if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 \
      && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing postgresql-15-postgis-3 from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-15-postgis-3 \
      >/tmp/assetmatch-apt-postgis.log 2>&1 \
      || log "could not install PostGIS (see /tmp/assetmatch-apt-postgis.log)"
  fi
  local pg="postgresql://postgres@localhost:5432"
  pg_db="assetmatch_test_$$"
  if psql "$pg/postgres" -Atqc "CREATE DATABASE $pg_db" >/dev/null 2>&1; then
    export ASSETMATCH_TEST_PG_URL="$pg/$pg_db"
    trap 'psql "postgresql://postgres@localhost:5432/postgres" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
    log "PostGIS tests on $ASSETMATCH_TEST_PG_URL (dropped afterwards)"
  else
    log "no PostgreSQL server on localhost:5432: the PostGIS tests will be skipped (set ASSETMATCH_TEST_PG_URL)"
  fi
}

case "$job" in
  demo)
    exec .venv/bin/python -m assetmatch demo "$@"
    ;;
  test)
    system_deps
    postgis_db
    .venv/bin/python -m pytest "$@"
    ;;
  setup)
    system_deps
    log "ready: .venv/bin/python -m assetmatch --help"
    ;;
  *)
    echo "usage: ./run.sh demo|test|setup" >&2
    exit 2
    ;;
esac
