#!/usr/bin/env bash
# Runs the benchmark: bench/run.sh [FIGURE...] [--runs N]   (default: every figure, 5 runs each).
# The Markdown report goes to stdout, progress to stderr: bench/run.sh --runs 3 > report.md
# Afterwards tests/check-leftovers.sh checks that nothing the bench started is still running
# (its verdict goes to stderr; a test run going on at the same time shows up there too).
set -uo pipefail

# The backend's Python packages come from Debian: make pyenv's shim use /usr/bin/python3.
export PYENV_VERSION=system
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 1

dotnet run -c Release --project bench -- "$@"
status=$?
case " $* " in
  *" --help "*|*" -h "*|*" --list "*) exit "$status" ;;
esac
if ! tests/check-leftovers.sh >&2; then
  [ "$status" -eq 0 ] && status=1
fi
exit "$status"
