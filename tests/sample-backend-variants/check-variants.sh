#!/usr/bin/env bash
# Checks by hand-equivalent steps that the sample backend and each variant behave as described in
# README.md: migrations up/down against PostgreSQL, offline SQL, the seed script, the app served
# by uvicorn, and what each variant does wrong.
#
#   DATABASE_URL=postgresql://user:pw@127.0.0.1:5432/scratch ./check-variants.sh [variant ...]
#
# The database must be a throwaway one on this machine: its public schema is dropped and recreated
# many times. Without DATABASE_URL the script starts its own PostgreSQL cluster in a temp dir (as
# the postgres user when run as root) and removes it at the end. With variant names, only those
# are checked (the base backend always is). Needs Debian's python3 (PYENV_VERSION=system is set).
set -uo pipefail
export PYENV_VERSION=system PYTHONDONTWRITEBYTECODE=1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base="$here/../sample-backend"
work="$(mktemp -d "${TMPDIR:-/tmp}/check-variants.XXXXXX")"
passed=0 failed=0 app_pid="" cluster_dir="" cluster_port=""

log() { printf '%s\n' "$*"; }
ok() { passed=$((passed + 1)); log "  ok   $1"; }
ko() { failed=$((failed + 1)); log "  FAIL $1"; [[ -n "${2:-}" ]] && printf '%s\n' "$2" | tail -n 15 | sed 's/^/       | /'; return 0; }
# check "what" command...: passes when the command exits 0
check() { local what="$1" out; shift; if out="$("$@" 2>&1)"; then ok "$what"; else ko "$what" "$out"; fi; }
# check_fails "what" command...: passes when the command exits non-zero
check_fails() { local what="$1" out; shift; if out="$("$@" 2>&1)"; then ko "$what (it succeeded)" "$out"; else ok "$what"; fi; }
expect_eq() { if [[ "$2" == "$3" ]]; then ok "$1"; else ko "$1: expected '$3', got '$2'"; fi; }
expect_nonzero() { if [[ "$2" != 0 ]]; then ok "$1 (exit $2)"; else ko "$1: exited 0"; fi; }
expect_match() { if [[ "$2" =~ $3 ]]; then ok "$1"; else ko "$1: /$3/ not found" "$2"; fi; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cleanup() {
  stop_app
  if [[ -n "$cluster_dir" ]]; then
    as_postgres pg_ctl -D "$cluster_dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$cluster_dir"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

as_postgres() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_cluster() {
  local bin=/usr/lib/postgresql/15/bin
  [[ -x "$bin/initdb" ]] || bin="$(dirname "$(command -v initdb)")"
  cluster_dir="$(mktemp -d "${TMPDIR:-/tmp}/check-variants-pg.XXXXXX")"
  cluster_port="$(free_port)"
  [[ $EUID -eq 0 ]] && chown postgres: "$cluster_dir"
  as_postgres "$bin/initdb" -D "$cluster_dir/data" -U postgres --auth=trust >/dev/null || { log "initdb failed"; exit 1; }
  as_postgres "$bin/pg_ctl" -D "$cluster_dir/data" -l "$cluster_dir/server.log" -w \
    -o "-p $cluster_port -k $cluster_dir -c listen_addresses=127.0.0.1" start >/dev/null || { log "pg_ctl start failed"; exit 1; }
  # A password in the URL exercises the redaction paths even though trust auth ignores it.
  psql -qAt "postgresql://postgres@127.0.0.1:$cluster_port/postgres" \
    -c "CREATE ROLE nutri LOGIN PASSWORD 'check-only-password'" -c "CREATE DATABASE nutri OWNER nutri" >/dev/null
  export DATABASE_URL="postgres://nutri:check-only-password@127.0.0.1:$cluster_port/nutri"
  log "started a throwaway PostgreSQL on 127.0.0.1:$cluster_port"
}

# sql "STATEMENT": runs it against DATABASE_URL and prints rows, tab-separated
sql() { python3 - "$1" <<'PY'
import os, sys, psycopg2
conn = psycopg2.connect(os.environ["DATABASE_URL"]); conn.autocommit = True
with conn.cursor() as cur:
    cur.execute(sys.argv[1])
    if cur.description:
        for row in cur.fetchall():
            print("\t".join("" if v is None else str(v) for v in row))
PY
}
reset_db() { sql "DROP SCHEMA public CASCADE; CREATE SCHEMA public" >/dev/null; }
schema_snapshot() { sql "
  SELECT 'col', table_name, column_name, data_type, coalesce(character_maximum_length, numeric_precision), numeric_scale, is_nullable, column_default
    FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'alembic_version'
  UNION ALL SELECT 'idx', tablename, indexdef, null, null, null, null, null FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'alembic_version'
  UNION ALL SELECT 'con', conrelid::regclass::text, conname, pg_get_constraintdef(oid), null, null, null, null FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'alembic_version'
  ORDER BY 1, 2, 3, 4"; }
alembic() { (cd "$1" && shift && python3 -m alembic "$@"); }
current() { alembic "$1" current 2>/dev/null | awk '{print $1}' | sort | paste -sd, -; }

# start_app DIR [VAR=value ...]: uvicorn with the Dockerfile's CMD, on a free loopback port
start_app() {
  local dir="$1"; shift
  app_port="$(free_port)"; app_out="$work/app-$app_port.out"; app_err="$work/app-$app_port.err"
  (cd "$dir" && exec env "$@" python3 -m uvicorn app.main:app --host 127.0.0.1 --port "$app_port") >"$app_out" 2>"$app_err" &
  app_pid=$!
  for _ in $(seq 1 60); do
    kill -0 "$app_pid" 2>/dev/null || { wait "$app_pid"; app_exit=$?; app_pid=""; return 1; }
    curl -s -o /dev/null "http://127.0.0.1:$app_port/health" && return 0
    sleep 0.25
  done
  return 1
}
stop_app() { if [[ -n "$app_pid" ]]; then kill "$app_pid" 2>/dev/null; wait "$app_pid" 2>/dev/null; app_pid=""; fi; }
get() { curl -s -w '\n%{http_code}' "http://127.0.0.1:$app_port$1"; }          # body, then status on the last line
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
json() { python3 -c 'import json, sys; d = json.loads(sys.stdin.read().strip().rsplit("\n", 1)[0]); print(eval(sys.argv[1], {"d": d}))' "$1"; }

variant_dir() { local dir="$work/$1"; "$here/apply-variant.sh" "$1" "$dir" >/dev/null && echo "$dir"; }

# --- setup ------------------------------------------------------------------------------------
if [[ -z "${DATABASE_URL:-}" ]]; then start_cluster; fi
host="$(python3 -c 'import os; from urllib.parse import urlsplit; print(urlsplit(os.environ["DATABASE_URL"]).hostname or "")')"
case "$host" in 127.0.0.1|localhost|::1) ;; *) log "refusing: DATABASE_URL must point at a loopback server (its schema gets dropped)"; exit 2 ;; esac
password="$(python3 -c 'import os; from urllib.parse import urlsplit; print(urlsplit(os.environ["DATABASE_URL"]).password or "")')"
selected=("$@")
wants() { [[ ${#selected[@]} -eq 0 ]] || [[ " ${selected[*]} " == *" $1 "* ]]; }

# --- the base backend ---------------------------------------------------------------------------
log "== sample-backend"
b="$work/base"; mkdir -p "$b"; cp -r "$base/." "$b"; rm -rf "$b/.pytest_cache"
find "$b" -name __pycache__ -prune -exec rm -rf {} +
check "pytest without PostgreSQL" bash -c "cd '$b' && env -u DATABASE_URL -u TEST_DATABASE_URL python3 -m pytest -q -p no:cacheprovider"
check "pytest with TEST_DATABASE_URL" bash -c "cd '$b' && TEST_DATABASE_URL=\"\$DATABASE_URL\" python3 -m pytest -q -p no:cacheprovider tests/test_postgres.py"
reset_db
offline="$(cd "$b" && env -u DATABASE_URL python3 -m alembic upgrade 0001:head --sql 2>/dev/null)"
expect_match "offline upgrade 0001:head renders 0002 and 0003 without a database" "$offline" "ADD COLUMN category.*CREATE INDEX ix_meals_profile_id_eaten_at"
expect_eq "offline SQL has one transaction per revision" "$(grep -c '^BEGIN;' <<<"$offline")" "2"
check "offline downgrade 0003:base renders" bash -c "cd '$b' && env -u DATABASE_URL python3 -m alembic downgrade 0003:base --sql | grep -q 'DROP TABLE profiles'"
empty="$(schema_snapshot)"
check "alembic upgrade head" alembic "$b" upgrade head
expect_eq "alembic current after upgrade" "$(current "$b")" "0003"
at_head="$(schema_snapshot)"
expect_eq "0002 backfilled the categories" "$(sql "SELECT count(*) FROM foods WHERE category = 'other'")" "0"
for target in 0002 0001 base; do
  check "alembic downgrade to $target" alembic "$b" downgrade "$target"
done
expect_eq "alembic current after downgrade base" "$(current "$b")" ""
expect_eq "schema after downgrade base is empty again" "$(schema_snapshot)" "$empty"
check "alembic upgrade head again" alembic "$b" upgrade head
expect_eq "schema after up/down/up is the same" "$(schema_snapshot)" "$at_head"
check "seed 20000 rows" bash -c "cd '$b' && python3 -m app.seed --rows 20000 --seed 1"
expect_eq "meals after seed" "$(sql "SELECT count(*) FROM meals")" "20000"
production_at_head="$(schema_snapshot)"
if start_app "$b" DATABASE_URL="$DATABASE_URL"; then
  ok "uvicorn serves the app"
  expect_eq "/health" "$(get /health | head -1)" '{"status":"ok"}'
  r="$(get /api/v1/health)"
  expect_eq "/api/v1/health status" "$(tail -1 <<<"$r")" "200"
  expect_eq "/api/v1/health body" "$(json 'd["status"], d["database"], d["revision"], d["expected_revision"], d["version"]' <<<"$r")" "('ok', 'ok', '0003', '0003', '1.0.0')"
  expect_eq "GET /api/v1/foods total" "$(get '/api/v1/foods?limit=3' | json 'd["total"], len(d["items"])')" "(419, 3)"
  expect_eq "POST /api/v1/foods" "$(status_of -X POST -H 'content-type: application/json' -d '{"name":"Kiwi","kcal_per_100g":61,"protein_g":1.1,"carbs_g":14.7,"fat_g":0.5}' "http://127.0.0.1:$app_port/api/v1/foods")" "201"
  expect_eq "invalid food is 422" "$(status_of -X POST -H 'content-type: application/json' -d '{"name":"Kiwi","kcal_per_100g":-1}' "http://127.0.0.1:$app_port/api/v1/foods")" "422"
  expect_eq "unknown food is 404" "$(status_of "http://127.0.0.1:$app_port/api/v1/foods/999999")" "404"
  expect_eq "meals of profile 1" "$(status_of "http://127.0.0.1:$app_port/api/v1/meals?profile_id=1")" "200"
  stop_app
  # /health is also polled while waiting for the start, so count the other requests.
  expect_eq "one log line per request" "$(grep ' app.request method=' "$app_out" | grep -vc 'path=/health ')" "6"
  expect_eq "no ERROR in a healthy run's log" "$(grep -c ERROR "$app_out")" "0"
else
  ko "uvicorn serves the app" "$(cat "$app_err")"; stop_app
fi
down_url="postgres://nutri:${password:-pw}@127.0.0.1:$(free_port)/nutri"
if start_app "$b" DATABASE_URL="$down_url"; then
  r="$(get /api/v1/health)"
  expect_eq "database down: /health still 200" "$(status_of "http://127.0.0.1:$app_port/health")" "200"
  expect_eq "database down: /api/v1/health is 503 unreachable" "$(tail -1 <<<"$r") $(json 'd["database"]' <<<"$r")" "503 unreachable"
  expect_eq "database down: the API answers 503" "$(status_of "http://127.0.0.1:$app_port/api/v1/foods")" "503"
  stop_app
  if [[ -n "$password" ]] && grep -qF "$password" <<<"$r$(cat "$app_out" "$app_err")"; then ko "password never shown"; else ok "password never shown"; fi
  expect_match "database down is logged as ERROR" "$(cat "$app_out")" "ERROR app.health database check failed"
else
  ko "uvicorn starts without a database" "$(cat "$app_err")"; stop_app
fi

# Each migration variant starts from "production": the base schema at 0003 with data.
production() { reset_db; alembic "$b" upgrade head >/dev/null 2>&1 && (cd "$b" && python3 -m app.seed --rows 2000 --seed 2 >/dev/null 2>&1); }

# --- variants -------------------------------------------------------------------------------------
if wants next-release; then
  log "== next-release"; d="$(variant_dir next-release)"; production
  check "pytest" bash -c "cd '$d' && env -u DATABASE_URL python3 -m pytest -q -p no:cacheprovider"
  check "upgrade head" alembic "$d" upgrade head
  expect_eq "current" "$(current "$d")" "0004"
  expect_eq "servings backfilled by category" "$(sql "SELECT serving_g FROM foods WHERE name IN ('Apple', 'Olive oil') ORDER BY name")" $'120.0\n15.0'
  if start_app "$d" DATABASE_URL="$DATABASE_URL"; then
    expect_eq "/api/v1/health" "$(get /api/v1/health | json 'd["status"], d["revision"], d["version"]')" "('ok', '0004', '1.1.0')"
    expect_eq "endpoint uses 0004" "$(get /api/v1/foods/1 | json 'd["serving_g"], d["kcal_per_serving"]')" "(120.0, 62.4)"
    stop_app
  else ko "uvicorn serves next-release" "$(cat "$app_err")"; stop_app; fi
  check "downgrade 0003" alembic "$d" downgrade 0003
  expect_eq "current after rollback" "$(current "$d")" "0003"
  expect_eq "schema after rollback equals 0003's" "$(schema_snapshot)" "$production_at_head"
fi

if wants failing-migration; then
  log "== failing-migration"; d="$(variant_dir failing-migration)"; production
  out="$(alembic "$d" upgrade head 2>&1)"; rc=$?
  expect_nonzero "upgrade head fails" "$rc"
  expect_match "the error names the bad column" "$out" 'column "categroy" does not exist'
  expect_eq "current stays at the last good revision" "$(current "$d")" "0004"
  expect_eq "0004's changes are there" "$(sql "SELECT count(*) FROM foods WHERE serving_g IS NOT NULL AND serving_g <> 100")" "$(sql "SELECT count(*) FROM foods WHERE category NOT IN ('other')")"
  expect_eq "0005's half is rolled back" "$(sql "SELECT to_regclass('food_tags') IS NULL")" "True"
  check "downgrade 0003" alembic "$d" downgrade 0003
  expect_eq "schema after rollback equals 0003's" "$(schema_snapshot)" "$production_at_head"
fi

if wants irreversible-downgrade; then
  log "== irreversible-downgrade"; d="$(variant_dir irreversible-downgrade)"; production
  check "upgrade head" alembic "$d" upgrade head
  expect_eq "current" "$(current "$d")" "0004"
  expect_eq "macros rounded" "$(sql "SELECT count(*) FROM foods WHERE protein_g <> round(protein_g)")" "0"
  out="$(alembic "$d" downgrade 0003 2>&1)"; rc=$?
  expect_nonzero "downgrade fails" "$rc"
  expect_match "it says why" "$out" "revision 0004 is irreversible"
  expect_eq "current unchanged" "$(current "$d")" "0004"
fi

if wants multiple-heads; then
  log "== multiple-heads"; d="$(variant_dir multiple-heads)"; production
  expect_eq "alembic heads lists two" "$(alembic "$d" heads 2>/dev/null | awk '{print $1}' | sort | paste -sd, -)" "0004a,0004b"
  out="$(alembic "$d" upgrade head 2>&1)"; rc=$?
  expect_nonzero "upgrade head fails" "$rc"
  expect_match "with alembic's message" "$out" "Multiple head revisions"
  expect_eq "current unchanged" "$(current "$d")" "0003"
  if start_app "$d" DATABASE_URL="$DATABASE_URL"; then
    expect_eq "app expects both heads" "$(get /api/v1/health | json 'd["status"], d["expected_revision"]')" "('schema_mismatch', '0004a,0004b')"
    stop_app
  else ko "uvicorn serves multiple-heads" "$(cat "$app_err")"; stop_app; fi
fi

if wants unhealthy; then
  log "== unhealthy"; d="$(variant_dir unhealthy)"; production
  check "pytest passes" bash -c "cd '$d' && env -u DATABASE_URL python3 -m pytest -q -p no:cacheprovider"
  # start_app waits for /health to answer at all; a 500 is an answer.
  if start_app "$d" DATABASE_URL="$DATABASE_URL"; then
    expect_eq "/health is 500" "$(status_of "http://127.0.0.1:$app_port/health")" "500"
    expect_eq "/api/v1/health is still 200" "$(status_of "http://127.0.0.1:$app_port/api/v1/health")" "200"
    stop_app
    expect_match "logged as ERROR" "$(cat "$app_out")" "ERROR app.request method=GET path=/health status=500"
  else ko "uvicorn starts unhealthy" "$(cat "$app_err")"; stop_app; fi
fi

if wants crash-on-start; then
  log "== crash-on-start"; d="$(variant_dir crash-on-start)"
  check "pytest passes" bash -c "cd '$d' && env -u DATABASE_URL python3 -m pytest -q -p no:cacheprovider"
  app_exit=0
  if start_app "$d" DATABASE_URL="$DATABASE_URL"; then ko "the process should have exited"; stop_app
  else
    expect_eq "process exits with 1" "$app_exit" "1"
    expect_match "with its error" "$(cat "$app_err")" "ERROR FOOD_RECOGNITION_MODEL is not set"
  fi
fi

if wants broken-test; then
  log "== broken-test"; d="$(variant_dir broken-test)"
  out="$(cd "$d" && env -u DATABASE_URL python3 -m pytest -q -p no:cacheprovider 2>&1)"; rc=$?
  expect_nonzero "pytest fails" "$rc"
  expect_match "naming the test" "$out" "FAILED tests/test_totals.py::test_broken_total_calories"
fi

if wants syntax-error; then
  log "== syntax-error"; d="$(variant_dir syntax-error)"
  check "pytest passes (the module is not imported)" bash -c "cd '$d' && env -u DATABASE_URL python3 -m pytest -q -p no:cacheprovider"
  out="$(cd "$d" && find . -name '*.py' -print0 | xargs -0 python3 -m py_compile 2>&1)"; rc=$?
  expect_nonzero "py_compile fails" "$rc"
  expect_match "on app/exports.py" "$out" "app/exports.py"
fi

if wants slow; then
  log "== slow"; d="$(variant_dir slow)"; production
  check "pytest passes" bash -c "cd '$d' && env -u DATABASE_URL python3 -m pytest -q -p no:cacheprovider"
  if start_app "$d" DATABASE_URL="$DATABASE_URL"; then
    t="$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$app_port/api/v1/foods")"
    check "GET /api/v1/foods takes >= 0.65 s (took $t)" python3 -c "import sys; sys.exit(float('$t') < 0.65)"
    t="$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$app_port/health")"
    check "GET /health takes >= 0.65 s (took $t)" python3 -c "import sys; sys.exit(float('$t') < 0.65)"
    expect_eq "and still answers 200" "$(status_of "http://127.0.0.1:$app_port/api/v1/health")" "200"
    stop_app
  else ko "uvicorn serves slow" "$(cat "$app_err")"; stop_app; fi
fi

if wants error-logs; then
  log "== error-logs"; d="$(variant_dir error-logs)"; production
  check "pytest passes" bash -c "cd '$d' && env -u DATABASE_URL python3 -m pytest -q -p no:cacheprovider"
  if start_app "$d" DATABASE_URL="$DATABASE_URL"; then
    expect_eq "GET /api/v1/foods is 200" "$(status_of "http://127.0.0.1:$app_port/api/v1/foods")" "200"
    expect_eq "GET /api/v1/health is 200" "$(status_of "http://127.0.0.1:$app_port/api/v1/health")" "200"
    stop_app
    expect_match "requests log ERROR" "$(cat "$app_out")" "ERROR app.metrics metrics push to statsd .* failed"
    expect_eq "every request line is a 2xx" "$(grep ' app.request ' "$app_out" | grep -vc 'status=2')" "0"
  else ko "uvicorn serves error-logs" "$(cat "$app_err")"; stop_app; fi
  if start_app "$d" DATABASE_URL="$DATABASE_URL" STATSD_FLUSH_EVERY=20; then
    for _ in $(seq 1 40); do status_of "http://127.0.0.1:$app_port/health" >/dev/null; done
    stop_app
    reqs="$(grep -c ' app.request ' "$app_out")"; errs="$(grep -c 'ERROR app.metrics' "$app_out")"
    expect_eq "STATSD_FLUSH_EVERY=20: one ERROR per 20 requests, the first included ($reqs requests)" "$errs" "$(( (reqs + 19) / 20 ))"
  else ko "uvicorn serves error-logs with STATSD_FLUSH_EVERY=20" "$(cat "$app_err")"; stop_app; fi
fi

reset_db
log ""
log "check-variants: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
