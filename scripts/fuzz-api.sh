#!/usr/bin/env bash
# `make fuzz-api`: schemathesis (from PyPI) against the admin API's own OpenAPI document, signed in as an
# owner, with every check: no 5xx, no status, header, content type or body outside the document.
#
# Starts `dvorik serve` on a fresh SQLite file with rate limits off, makes an owner with
# `dvorik admin add`, signs in with a one-time token from `dvorik admin token`, runs `st run`.
# FUZZ_MAX_EXAMPLES (default 100) and FUZZ_PHASES (default examples,coverage,fuzzing,stateful) tune it;
# the report goes to target/fuzz-api/.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-100}
PHASES=${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}

if ! command -v st >/dev/null || ! st --version | grep -q "$SCHEMATHESIS_VERSION"; then
    python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo build --quiet -p dvorik-bots --bin dvorik
BIN="$TARGET/debug/dvorik"
WORK=$(mktemp -d)
REPORT="$TARGET/fuzz-api"
mkdir -p "$REPORT"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
export DVORIK_DATA_DIR="$WORK/data" DVORIK_HTTP_ADDR="127.0.0.1:$PORT" DVORIK_LOG=warn
export DVORIK_API_RATE_PER_IP=0 DVORIK_API_RATE_PER_TOKEN=0 DVORIK_API_LOGIN_RATE_PER_IP=0
unset DATABASE_URL REDIS_URL DVORIK_SECRET_KEY DVORIK_JWT_SECRET DVORIK_OWNER_TELEGRAM_ID
# FUZZ_DATABASE_URL=mysql://root@127.0.0.1:3306/<an empty database> runs it on MariaDB instead.
if [ -n "${FUZZ_DATABASE_URL:-}" ]; then export DATABASE_URL="$FUZZ_DATABASE_URL"; fi

(cd "$WORK" && "$BIN" admin add --telegram-id 1 --role owner --name fuzz >/dev/null)
(cd "$WORK" && exec "$BIN" serve 2>"$REPORT/server.log") &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$REPORT/server.log"; echo "dvorik serve exited" >&2; exit 1; }
    sleep 0.1
done
LOGIN=$(cd "$WORK" && "$BIN" admin token --telegram-id 1)
ACCESS=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/token" -H 'content-type: application/json' \
    -d "{\"token\":\"$LOGIN\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

started=$(date +%s)
# PATCH /admins/{id} is left out: the fuzzer, as the only owner, would sooner or later switch itself off
# (after making another owner), and every later request would be a 403.
status=0
st --config-file "$ROOT/scripts/schemathesis.toml" run "http://127.0.0.1:$PORT/api/openapi.json" \
    --checks all \
    --header "Authorization: Bearer $ACCESS" \
    --exclude-operation-id update_admin \
    --phases "$PHASES" \
    --max-examples "$MAX_EXAMPLES" \
    --report junit --report-dir "$REPORT" \
    --no-color || status=$?
echo "fuzz-api: $(( $(date +%s) - started )) s, exit $status (report in $REPORT)"
exit $status
