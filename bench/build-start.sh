#!/usr/bin/env bash
# What one ./build.sh run costs in CPU before and beside its work, compiled the two ways build.sh
# can compile it: a plain 'dotnet build' (JIT at every start) and the ReadyToRun publish it uses.
#   bench/build-start.sh [RUNS]     # RUNS per way and command (default 10)
# Prints, per way and command, the mean user+system CPU seconds and wall seconds of one run,
# measured on the same machine in one go. The builds are compiled into a temporary folder, not
# into .build-cache.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
runs="${1:-10}"
work="$(mktemp -d "${TMPDIR:-/tmp}/build-start.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "compiling both ways into $work ..." >&2
dotnet build build/Build.csproj -c Release -o "$work/jit" --nologo -v quiet -clp:ErrorsOnly >&2
dotnet publish build/Build.csproj -c Release --use-current-runtime --self-contained false \
  -p:PublishReadyToRun=true -o "$work/r2r" --nologo -v quiet -clp:ErrorsOnly >&2

# Commands that need no backend, database or platform: start-up, argument parsing, Cake's graph,
# and the config loader with its checks (a dry run of Deploy against the shipped backend-config).
commands=("--version" "--tree" "--target=Deploy --dryrun --config=backend-config --backend=tests/sample-backend --state-dir=$work/state")

printf '| build | command | runs | CPU s per run | wall s per run |\n| --- | --- | ---: | ---: | ---: |\n'
for way in jit r2r; do
  for command in "${commands[@]}"; do
    : >"$work/times"
    for _ in $(seq "$runs"); do
      # %U %S: user and system CPU of the run and its children; %e: wall.
      read -r -a words <<<"$command"
      /usr/bin/time -f '%U %S %e' -a -o "$work/times" dotnet "$work/$way/Build.dll" "${words[@]}" >/dev/null 2>&1 || true
    done
    awk -v way="$way" -v command="${command%% --config*}" '{ cpu += $1 + $2; wall += $3; n++ }
      END { printf "| %s | %s | %d | %.2f | %.2f |\n", way, command, n, cpu / n, wall / n }' "$work/times"
  done
done
