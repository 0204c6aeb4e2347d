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
	bash scripts/system_packages.sh --tests
	$(PY) -m pytest

# One entry point: every step re-runs only when the content hashes of its inputs,
# parameters or code changed (data/processed/state.json); no file times, no file lists.
reports: $(STAMP)
	bash scripts/system_packages.sh
	$(PY) -m analysis run --raw $(RAW) --processed $(PROCESSED) --out $(REPORTS)

lab: $(STAMP)
	test -f $(PROCESSED)/documents.csv || $(MAKE) reports
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP)
	$(PY) scripts/bench.py

clean:
	rm -rf $(PROCESSED)/*.csv $(PROCESSED)/*.json $(PROCESSED)/*.broken $(PROCESSED)/shifts $(PROCESSED)/.lock \
	  $(REPORTS)/executed $(REPORTS)/.staging $(REPORTS)/figures $(REPORTS)/tables $(REPORTS)/*.html $(REPORTS)/*.json $(REPORTS)/*.xlsx
	find $(PROCESSED) $(REPORTS) -name '.*.tmp' -delete -o -name '.*.*.ipynb' -delete
