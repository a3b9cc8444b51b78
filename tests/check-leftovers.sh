#!/usr/bin/env bash
# Fails when a test run left something behind: a process started by the flyctl simulator (they
# all carry FLYSIM_STATE_DIR in their environment), a throwaway PostgreSQL cluster, or its folder.
set -uo pipefail

# Cleanup that is under way (a supervisor noticing its state folder is gone, a cluster's watcher
# noticing its test host exited) gets a few seconds; what is still there after that leaked.
scan() {
found=0
for environ in /proc/[0-9]*/environ; do
  pid=${environ#/proc/}; pid=${pid%/environ}
  [ "$pid" = "$$" ] && continue
  if { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -q '^FLYSIM_STATE_DIR='; then
    echo "left behind: pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-150))"
    found=1
  fi
done
for pid in $(pgrep -x postgres 2>/dev/null); do
  if { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q 'deploy-testbed-pg-'; then
    echo "left behind: PostgreSQL pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-150))"
    found=1
  fi
done
for directory in "${TMPDIR:-/tmp}"/deploy-testbed-pg-*; do
  [ -e "$directory" ] || continue
  echo "left behind: $directory"
  found=1
done

}

for _ in $(seq 1 20); do
  scan >/dev/null
  [ "$found" = 0 ] && break
  sleep 0.5
done
scan

if [ "$found" = 1 ]; then
  echo "check-leftovers: the test run did not clean up after itself."
  exit 1
fi
echo "check-leftovers: nothing left running."
