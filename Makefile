# dvorik — everyday commands. `make help` lists them.

CARGO ?= cargo

# Benchmarks of the root package run by `make bench` ([[bench]] targets, harness = false; the bots
# crate's benches have their own lines in the `bench` target).
# Add new ones here. BENCH_SCALE and BENCH_DATABASE_URL pass through from the environment or the
# command line: `make bench BENCH_SCALE=0.1`.
BENCHES ?= redeem signing api

# Extra arguments for the test runner: `make test ARGS="-p dvorik redeem"`.
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run sim test lint fmt migrate bench up down fuzz-api

help: ## List the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  make %-8s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

run: ## Run the service (SQLite file and in-process state unless configured otherwise)
	$(CARGO) run -p dvorik-bots --bin dvorik -- serve

sim: ## Try both bots in the terminal with the built-in Telegram simulator (no token needed)
	$(CARGO) run -p dvorik-bots --bin dvorik -- sim

test: ## Run all tests (starts or installs MariaDB and Redis first)
	bash scripts/test.sh $(ARGS)

lint: ## clippy with warnings as errors, and the rustfmt check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) fmt --all -- --check

fmt: ## Format the code
	$(CARGO) fmt --all

migrate: ## Apply database migrations (DATABASE_URL)
	$(CARGO) run -p dvorik-bots --bin dvorik -- migrate

bench: ## Run the benchmarks (results in target/bench/*.json)
	bash scripts/ensure-services.sh
	$(CARGO) bench $(addprefix --bench ,$(BENCHES))
	$(CARGO) bench -p dvorik-bots --bench bot_throughput
	$(CARGO) bench -p dvorik-bots --bench broadcast

fuzz-api: ## schemathesis against the served OpenAPI as an owner (FUZZ_MAX_EXAMPLES, FUZZ_DATABASE_URL)
	bash scripts/fuzz-api.sh

up: ## Build and start the production stack (docker compose: MySQL 8.4, Redis 7, dvorik)
	docker compose up -d --build

down: ## Stop the docker compose stack
	docker compose down
