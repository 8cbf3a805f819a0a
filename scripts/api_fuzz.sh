#!/usr/bin/env bash
# The API against its own OpenAPI document: schemathesis (4.x, `st run`) generates requests for
# every operation (the examples, the coverage phase's edge values - too large, wrong types,
# missing fields - and random fuzzing) and checks every answer: never a server error, and every
# answer matches the schema documented for its status code (errors included: problem details).
#
# It serves Qudao like `qudao serve` does (waitress, DEBUG off, a fresh SQLite database seeded
# with the demo data) on a free port of 127.0.0.1, then runs once as an HQ administrator and once
# as a partner administrator, each with a personal API token, bounded in time.
#
#   scripts/api_fuzz.sh                      # 20 examples per operation, at most 180 s per user
#   API_FUZZ_EXAMPLES=100 API_FUZZ_SECONDS=900 scripts/api_fuzz.sh
#
# Left out, on purpose: the webhook operations that send HTTP requests (creating, changing, pinging
# and replaying endpoints: generated URLs would be called from this machine), revoking API tokens
# (the run would revoke its own) and the stateful phase (its links are not declared).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
st="$PWD/.venv/bin/st"
EXAMPLES=${API_FUZZ_EXAMPLES:-20}
SECONDS_PER_USER=${API_FUZZ_SECONDS:-180}
PASSWORD=${QUDAO_DEMO_PASSWORD:-qudao-demo-2026}

work=$(mktemp -d)
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:${port}"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export QUDAO_DATABASE_URL="sqlite:///${work}/qudao.sqlite3"
export QUDAO_VAR_DIR="$work/var" QUDAO_MEDIA_ROOT="$work/media"
export QUDAO_EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
export QUDAO_DEBUG=0 QUDAO_LANGUAGE=en
export QUDAO_LOGIN_FAILURE_LIMIT=1000
unset QUDAO_REDIS_URL

echo "serving Qudao on $base (demo data, SQLite in $work)"
"$PYTHON" manage.py serve --port "$port" --demo-partners 30 --no-worker >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 180); do
  curl -sf "$base/api/v1/openapi.json" -o "$work/openapi.json" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "the server stopped"; exit 1; }
  sleep 1
done
[ -s "$work/openapi.json" ] || { cat "$work/server.log"; echo "the server did not answer"; exit 1; }

token_for() {
  curl -sf -X POST "$base/api/v1/auth/tokens" -H 'Content-Type: application/json' \
    -d "{\"name\": \"api-fuzz\", \"username\": \"$1\", \"password\": \"$PASSWORD\", \"expires_in_days\": 1}" |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

total=0
status=0
for user in admin dist_admin; do
  token=$(token_for "$user")
  echo
  echo "== schemathesis as $user: at most $EXAMPLES examples per operation, at most ${SECONDS_PER_USER} s"
  set +e
  # run from the scratch folder: schemathesis keeps a .schemathesis/ folder where it runs
  (cd "$work" && "$st" run "$base/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "$EXAMPLES" \
    --max-time "$SECONDS_PER_USER" \
    --workers 1 \
    --request-timeout 30 \
    --seed 20261207 \
    --generation-database none \
    --exclude-path-regex '^/api/v1/webhooks/endpoints' \
    --exclude-path-regex '^/api/v1/webhooks/deliveries/\{delivery_id\}/replay' \
    --exclude-path-regex '^/api/v1/auth/tokens/\{token_id\}' \
    --suppress-health-check all \
    --no-color) 2>&1 | tee "$work/$user.txt"
  result=${PIPESTATUS[0]}
  set -e
  # schemathesis closes with "Test cases:" then "  508 generated, 508 passed"
  cases=$(grep -A1 '^Test cases:' "$work/$user.txt" | grep -oE '^ *[0-9]+ generated' | grep -oE '[0-9]+' || echo 0)
  echo "schemathesis as $user: $cases test cases, exit status $result"
  total=$((total + cases))
  [ "$result" = 0 ] || status=1
done

echo
if grep -q "Internal Server Error" "$work/server.log"; then
  echo "the server logged errors:"
  grep -B2 -A25 "Internal Server Error" "$work/server.log" | head -200
  status=1
fi
echo "api fuzz: $total test cases in all, $([ $status = 0 ] && echo passed || echo FAILED)"
exit $status
