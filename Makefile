# flowsim: the two commands a researcher needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench bench-sweep lint format clean dashboard

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/flowsim run configs/belgium-baseline.yaml --out results/belgium-baseline

# The results dashboard (notebooks/dashboard.ipynb) as a web page on this machine only.
DASHBOARD_PORT ?= 8866
dashboard: $(STAMP)
	@echo "flowsim dashboard: open http://127.0.0.1:$(DASHBOARD_PORT)/ (Ctrl-C stops it)"
	cd notebooks && PATH="$(abspath $(BIN)):$$PATH" $(abspath $(BIN))/voila dashboard.ipynb \
		--no-browser --port=$(DASHBOARD_PORT) --Voila.ip=127.0.0.1

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# Sweep throughput on 1 and 2 workers, then the overhead per run side by side (~10 min).
bench-sweep: $(STAMP)
	$(BIN)/python benchmarks/sweep.py --runs 200
	$(BIN)/python benchmarks/sweep_overhead.py --runs 100 --repeats 4

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) build src/*.egg-info
	rm -rf $${XDG_CACHE_HOME:-$$HOME/.cache}/flowsim/numba  # compiled kernels, one folder per source version
