#!/usr/bin/env bash
# Runs the tests with a trx logger and prints where their time goes: one row per test class
# (tests, summed seconds, share of the summed time), slowest first, then the wall time.
#   bench/test-times.sh                           # the whole suite (README: dotnet test Deploy.slnx)
#   bench/test-times.sh --filter "FullyQualifiedName~Faults"   # extra arguments go to dotnet test
#   bench/test-times.sh --from DIR                # only the table, from the .trx files in DIR
# Summed time is what each test's own clock says: with classes running side by side it can be
# more than the wall time. Exit code: dotnet test's.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
export PYENV_VERSION=system DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if command -v pyenv >/dev/null 2>&1; then export PATH="/usr/bin:$PATH"; fi

status=0
if [[ "${1:-}" == "--from" ]]; then
  results="${2:?--from needs a folder of .trx files}"
else
  results="$(mktemp -d "${TMPDIR:-/tmp}/test-times.XXXXXX")"
  echo "trx files: $results" >&2
  start=$(date +%s)
  dotnet test Deploy.slnx --logger trx --results-directory "$results" "$@" >&2
  status=$?
  echo "wall time: $(( $(date +%s) - start )) s (dotnet test, build included)"
fi

python3 - "$results" <<'PY'
import collections, glob, os, re, sys
import xml.etree.ElementTree as ET

ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
def seconds(text):
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)

rows = collections.defaultdict(lambda: [0, 0.0, 0])  # class -> tests, seconds, failed
files = sorted(glob.glob(os.path.join(sys.argv[1], "**", "*.trx"), recursive=True))
if not files:
    sys.exit(f"no .trx file under {sys.argv[1]}")
for path in files:
    root = ET.parse(path).getroot()
    classes = {u.get("id"): u.find("t:TestMethod", ns).get("className")
               for u in root.iterfind(".//t:UnitTest", ns)}
    for r in root.iterfind(".//t:UnitTestResult", ns):
        row = rows[classes.get(r.get("testId"), "?")]
        row[0] += 1
        row[1] += seconds(r.get("duration", "0:0:0"))
        row[2] += r.get("outcome") not in ("Passed", "NotExecuted")

total = sum(r[1] for r in rows.values()) or 1.0
print("| class | tests | seconds | share | failed |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, (n, s, failed) in sorted(rows.items(), key=lambda kv: -kv[1][1]):
    short = re.sub(r"^FlySim\.Tests\.", "FlySim: ", re.sub(r"^DeployBuild\.Tests\.", "", name))
    print(f"| {short} | {n} | {s:.1f} | {100 * s / total:.1f} % | {failed or ''} |")
print(f"| **all** | {sum(r[0] for r in rows.values())} | {total:.1f} | 100 % | {sum(r[2] for r in rows.values()) or ''} |")
PY
exit $status
