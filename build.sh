#!/usr/bin/env bash
# Runs the deploy build: ./build.sh --target=Deploy (see ./build.sh --help).
#
# Start-up is fast when nothing changed: the compiled build (ReadyToRun) is reused while the stamp of the
# build sources (a SHA-256 over every file under build/ and global.json) matches the one it
# was compiled from; otherwise it is rebuilt first. A stale build is never run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="$root/.build-cache"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "Error: 'dotnet' was not found. Install the .NET SDK named in global.json (https://dot.net), then run ./build.sh again." >&2
  exit 1
fi

if command -v sha256sum >/dev/null 2>&1; then sha=(sha256sum); else sha=(shasum -a 256); fi

# Same listing as build.ps1: "<sha256>  <path>" per file, paths sorted bytewise, then hashed.
sources_stamp() {
  (
    cd "$root"
    {
      find build -type f \
        -not -path 'build/bin/*' -not -path 'build/obj/*' -not -path '*/node_modules/*' -print0
      for extra in global.json Directory.Build.props Directory.Packages.props NuGet.config nuget.config; do
        if [ -f "$extra" ]; then printf '%s\0' "$extra"; fi
      done
    } | LC_ALL=C sort -z | xargs -0 "${sha[@]}" | "${sha[@]}" | cut -d' ' -f1
  )
}

# Each version of the sources gets its own folder, so a run in progress never has its build
# replaced under it; the newest three are kept. "r2r": compiled ahead of time (below); folders
# compiled the earlier way (bin-<stamp>) are not reused.
stamp="$(sources_stamp)"
out="$cache/bin-r2r-${stamp:0:20}"
if [ ! -f "$out/.complete" ]; then
  mkdir -p "$cache"
  # Two runs starting together must not compile at once (they share build/obj).
  exec 9>"$cache/compile.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if [ ! -f "$out/.complete" ]; then
    echo "Compiling the build (its sources changed)..." >&2
    staging="$out.partial"
    rm -rf "$staging" "$out"
    # Compiled ahead of time (ReadyToRun) for this machine's runtime, so that each run spends less
    # CPU on JIT at start-up (about a fifth less per run; bench/build-start.sh). Where that cannot be
    # done (the crossgen package cannot be restored), the plain build is used and the run says so.
    if ! dotnet publish "$root/build/Build.csproj" -c Release --use-current-runtime --self-contained false \
        -p:PublishReadyToRun=true -o "$staging" --nologo -v quiet -clp:ErrorsOnly >"$cache/compile.log" 2>&1; then
      mv "$cache/compile.log" "$cache/compile-readytorun.log"
      rm -rf "$staging"
      if ! dotnet build "$root/build/Build.csproj" -c Release -o "$staging" --nologo -v quiet -clp:ErrorsOnly >"$cache/compile.log" 2>&1; then
        cat "$cache/compile.log" >&2
        echo "Error: the build project does not compile (log: $cache/compile.log)." >&2
        rm -rf "$staging"
        exit 1
      fi
      echo "Compiled without ReadyToRun (start-up is slower; why: $cache/compile-readytorun.log)." >&2
    fi
    : >"$staging/.complete"
    mv "$staging" "$out"
    # Newest first; a .partial folder is another compile in progress, left alone.
    kept=0
    for old in $(cd "$cache" && ls -1dt bin-*); do
      case "$old" in *.partial) continue ;; esac
      kept=$((kept + 1))
      if [ "$kept" -gt 3 ]; then rm -rf "${cache:?}/$old"; fi
    done
  fi
  exec 9>&-
fi

# A run lasts seconds: the runtime's promotion of its busiest methods to optimized code (tiered
# compilation's call counting) costs it more CPU than it saves: the build's own CPU in a Deploy or a
# Plan of the tests' beds went from 4.1 to 2.5 s over four runs without it (process accounting).
# For the build alone: it takes the setting out of what its commands inherit.
if [ -z "${DOTNET_TC_CallCounting+set}" ]; then
  export DOTNET_TC_CallCounting=0 DEPLOY_BUILD_RUNTIME_SETTINGS=DOTNET_TC_CallCounting
fi
exec dotnet "$out/Build.dll" "$@"
