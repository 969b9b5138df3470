# Two commands set up a fresh machine and do the work: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench build weights data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m salesapp

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# Every benchmark at the size its budget names (hours on two cores), JSON to benchmarks/results/;
# `make bench BENCH=--quick` runs the few that take a minute or two.
bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks.run_all $(BENCH)

build: $(STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --clean build.spec

# The default data set and the default model bundle; both are committed, these rebuild them.
data: $(STAMP)
	$(PY) -m salesapp generate-data data --scale 0.05 --seed 0

weights: $(STAMP)
	$(PY) -m salesapp train --data data --out weights --seed 0

clean:
	rm -rf build dist $(VENV)
