# flowsim: the two commands a researcher needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench bench-sweep lint format clean dashboard calibrate configs forecast backtest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/flowsim run configs/belgium-baseline.yaml --out results/belgium-baseline

# One calibrated model (docs/validation.md): fit the history 2015-2022 (under an hour on two
# cores; run again, it resumes), carry it forward into the baseline and the 2023-2024
# hindcast, and backtest the whole pipeline from the ends of 2019, 2020 and 2021 (1-2.5 hours).
CALIBRATION := results/calibration/belgium-history
calibrate: $(STAMP)
	$(BIN)/flowsim calibrate configs/belgium-history.yaml --until 2022-12-31 --out $(CALIBRATION) \
		--docs docs/validation.md

configs: $(STAMP)
	$(BIN)/flowsim forward $(CALIBRATION)/fitted.yaml --origin 2022-12-31 \
		--template configs/templates/belgium-from-2023.yaml --out configs/belgium-baseline.yaml
	$(BIN)/flowsim forward $(CALIBRATION)/fitted.yaml --origin 2022-12-31 --end 2024-12-31 \
		--template configs/templates/belgium-from-2023.yaml --out configs/hindcast-2023-2024.yaml

# The 2023-2024 forecast table of docs/validation.md (40 replications: one per member).
forecast: $(STAMP)
	$(BIN)/flowsim run configs/hindcast-2023-2024.yaml --replications 40 --out results/hindcast-2023-2024 --overwrite
	$(BIN)/flowsim forecast results/hindcast-2023-2024 --on 2023-03-31 --on 2024-05-31 \
		--docs docs/validation.md
	cp results/hindcast-2023-2024/figures/overview.png docs/figures/forecast_2023_2024_overview.png

backtest: $(STAMP)
	$(BIN)/flowsim backtest configs/belgium-history.yaml --out results/backtest --docs docs/validation.md

# The results dashboard (notebooks/dashboard.ipynb) as a web page on this machine only.
DASHBOARD_PORT ?= 8866
dashboard: $(STAMP)
	$(BIN)/flowsim dashboard --port $(DASHBOARD_PORT)

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
	$(BIN)/lint-imports  # the layers' contracts in pyproject.toml

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean:
	rm -rf $(VENV) build src/*.egg-info
	rm -rf $${XDG_CACHE_HOME:-$$HOME/.cache}/flowsim/numba  # compiled kernels, one folder per source version
