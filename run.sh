#!/usr/bin/env bash
# Set everything up and run one job.
#   ./run.sh demo   the demo zone, Hengzhong Education's brief, a ranked shortlist (and its PDF)
#   ./run.sh test   the whole test suite
#   ./run.sh setup  only set up: .venv, the package (reinstalled when pyproject.toml changes), GDAL tools
# Needs only Python 3.11+; creates .venv/ beside this file. As root on Debian it also installs
# GDAL's command-line tools and GeoPackage validator (gdal-bin, python3-gdal), which the store's
# conformance tests use as an independent reader.
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
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
  printf '%s\n' "$want" > "$stamp"
fi

system_deps() {
  # GDAL's ogrinfo and validate_gpkg.py: an independent check of the GeoPackage we write.
  if command -v ogrinfo >/dev/null 2>&1 && /usr/bin/python3 -c "import osgeo_utils" 2>/dev/null; then
    return 0
  fi
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "installing gdal-bin and python3-gdal from Debian"
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q gdal-bin python3-gdal) \
      >/tmp/assetmatch-apt.log 2>&1 || log "could not install GDAL tools (see /tmp/assetmatch-apt.log); their tests will be skipped"
  else
    log "GDAL tools not installed and not root: the GDAL conformance tests will be skipped"
  fi
}

case "$job" in
  demo)
    exec .venv/bin/python -m assetmatch demo "$@"
    ;;
  test)
    system_deps
    exec .venv/bin/python -m pytest "$@"
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
