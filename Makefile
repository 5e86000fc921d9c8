# Two commands on a fresh machine:
#   make demo   – compute the bundled examples, print their explanations, record them as decisions (SQLite)
#   make test   – lint, type-check, run every test (golden cases, properties, CLI, API) with line coverage
PY ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint typecheck docs bench differential bench-api bench-hostile clean

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PY)" || { echo "ekbist needs Python 3.11 or 3.12 (python3.12 / python3.11 on PATH)"; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	@for f in exempel/*.yaml; do echo "### $$f"; $(BIN)/ekbist berakna "$$f" || exit $$?; echo; done
	@echo "### Exemplen som beslut i beslutsloggen (ekbist serve, SQLite), omprövade och verifierade"
	@$(BIN)/python scripts/demo_beslut.py

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

docs: $(STAMP)
	$(BIN)/sphinx-build -q -W -b html docs docs/_build/html

test: $(STAMP)
	scripts/ensure-services
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/ekbist validera
	$(BIN)/ekbist testa tests/golden $(wildcard ../shared/exempel)
	$(BIN)/python -m pytest --cov --cov-report=term
	$(BIN)/sphinx-build -q -W -b html docs docs/_build/html

PEER_VENV := bench/.venv-openfisca
$(PEER_VENV)/.installed:
	$(PY) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install -q 'openfisca-core[web-api]==46.0.1' pyyaml
	@touch $@

# ekbist and the OpenFisca peer side by side (the peer in a venv of the benchmark's own), then the
# engine alone with and without control rules.
bench: $(STAMP) $(PEER_VENV)/.installed
	$(BIN)/python bench/bench_batch.py
	$(BIN)/python bench/bench_engine.py
	$(BIN)/python bench/bench_engine.py --kontroller

# The columnar batch path against the engine over a million applications, 2025–2028.
differential: $(STAMP)
	$(BIN)/python bench/differential.py --antal 1000000

bench-api: $(STAMP)
	$(BIN)/python bench/bench_api.py

bench-hostile: $(STAMP)
	$(BIN)/python bench/bench_hostile.py

clean:
	rm -rf $(VENV) docs/_build .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
