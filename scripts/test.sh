#!/usr/bin/env bash
# Runs the whole test suite: makes sure MariaDB and Redis answer (scripts/ensure-services.sh), then
# runs cargo-nextest if it is installed, else cargo test. Extra arguments go to the test runner,
# e.g. `scripts/test.sh -p dvorik redeem` (nextest) or `scripts/test.sh -- --nocapture` (cargo test).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-services.sh

export DVORIK_TEST_MYSQL_URL="${DVORIK_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306}"
export DVORIK_TEST_REDIS_URL="${DVORIK_TEST_REDIS_URL:-redis://127.0.0.1:6379}"

if cargo nextest --version >/dev/null 2>&1; then
    exec cargo nextest run --workspace --no-fail-fast "$@"
else
    echo "test.sh: cargo-nextest not found, running cargo test" >&2
    exec cargo test --workspace "$@"
fi
