# Two commands on a fresh machine (Python 3.10+ and pip):  make test  |  make reports
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
RAW       ?= data/raw
PROCESSED ?= data/processed
REPORTS   ?= reports

.PHONY: install test reports lab bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

# The analysis steps re-run only when a raw file, the package code or its data changed
# (the reports step then skips every report whose inputs hash the same).
PIPELINE := $(PROCESSED)/.pipeline-stamp
$(PIPELINE): $(STAMP) $(wildcard $(RAW)/*) $(wildcard src/analysis/*.py src/analysis/*/*.py src/analysis/data/*)
	$(PY) -m analysis ingest --raw $(RAW) --out $(PROCESSED)
	$(PY) -m analysis themes --processed $(PROCESSED)
	$(PY) -m analysis targets --processed $(PROCESSED)
	$(PY) -m analysis shifts --processed $(PROCESSED) --base "city=青岛市,year=2021" --compare "city=青岛市,year=2024"
	for c in 青岛市 池州市 西安市 万州区; do \
	  $(PY) -m analysis shifts --processed $(PROCESSED) --base "year=2024,city!=$$c" --compare "year=2024,city=$$c" || exit 1; done
	touch $@

reports: $(PIPELINE)
	$(PY) -m analysis reports --processed $(PROCESSED) --out $(REPORTS)

lab: $(STAMP)
	test -f $(PROCESSED)/documents.csv || $(MAKE) reports
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP)
	$(PY) scripts/bench.py

clean:
	rm -rf $(PROCESSED)/*.csv $(PROCESSED)/*.json $(PIPELINE) reports/executed reports/*.html reports/state.json
