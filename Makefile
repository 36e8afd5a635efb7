# orderloop: `make demo` and `make test` are all a new user needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
ARGS ?=
PYTEST_ARGS ?=

# No telemetry from any tool, in every target.
export RUNTIME__DLTHUB_TELEMETRY := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false

.PHONY: demo test lint run dashboard venv lock clean bench bench-10m soak

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/orderloop demo $(ARGS)

run: $(STAMP)
	$(BIN)/orderloop run $(ARGS)

dashboard: $(STAMP)
	$(BIN)/orderloop dashboard $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

test: $(STAMP) lint
	$(BIN)/pytest $(PYTEST_ARGS)

# Speed figures (bench/results/): loop latency and dashboard render times in the demo world, the
# whole loop over HTTP at 10k orders, then the ladder of world sizes against the limit and the pandas peer (docs/PERFORMANCE.md).
bench: $(STAMP)
	$(BIN)/python -m bench.loop_latency
	$(BIN)/python -m bench.dashboard_render
	$(BIN)/python -m bench.http_world --orders 10000
	$(BIN)/orderloop bench --orders 10000
	$(BIN)/orderloop bench --orders 100000
	$(BIN)/orderloop bench --orders 1000000

# 10 million orders: most of an hour on 2 cores and tens of GB of disk, so on its own.
bench-10m: $(STAMP)
	$(BIN)/orderloop bench --orders 10000000 --repeat 1 --no-dashboards

# Longer reliability runs (docs/RELIABILITY.md): the tests marked soak (a pass killed during dbt
# build, two passes at once), 1,000 random examples per bad-input property instead of 40, then the
# soak itself: a simulated week at ten times the demo's volume with faults injected, reconciled
# (bench/results/soak.json). A quick check: make soak SOAK_ARGS="--days 2".
SOAK_ARGS ?=
soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(BIN)/pytest -m "soak or not soak" tests/reliability
	$(BIN)/python -m orderloop.soak $(SOAK_ARGS)

# Regenerate the lock from requirements.in (needs uv, installed into the venv on demand).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv==0.13.8
	$(BIN)/uv pip compile --python-version 3.11 requirements.in -o requirements.lock

clean:
	rm -rf data dbt_project/target dbt_project/logs .pytest_cache artifacts
