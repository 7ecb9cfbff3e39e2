# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make demo   -- create .venv, install, run the main job on the shipped data (writes out/)
#   make test   -- same install, run the whole test suite
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test install data bench clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "python3.11 not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/taobao-geo demo --out out --overwrite

test: $(STAMP)
	$(PY) -m pytest -q

# Rebuild the shipped layers from ../shared/data/raw (only this target reads ../shared).
data: $(STAMP)
	$(PY) data/build.py

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,bench]"
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache test-artifacts
