# Two commands on a fresh machine (Python 3.10+ and pip):  make test  |  make reports
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
RAW       ?= data/raw
PROCESSED ?= data/processed

.PHONY: install test reports lab bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

reports: $(STAMP)
	$(PY) -m analysis ingest --raw $(RAW) --out $(PROCESSED)
	$(PY) -m analysis themes --processed $(PROCESSED)
	$(PY) -m analysis targets --processed $(PROCESSED)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks

clean:
	rm -rf $(PROCESSED)/*.csv $(PROCESSED)/*.json reports/executed reports/*.html
