# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make demo   -- create .venv, install, run the main job on the shipped data (writes out/)
#   make test   -- same install, run the whole test suite
# and for developers:
#   make lint   -- ruff check, ruff format --check, mypy, no function over 80 lines
#   make docs   -- the Sphinx site in docs/_build/html (warnings are errors, no network)
# Installs use constraints.txt, the versions CI tests (`make constraints` regenerates it).
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PIP    := $(PY) -m pip install --quiet -c constraints.txt
LINT_PATHS := taobao_geo tests benchmarks tools notebooks docs/conf.py

.PHONY: demo test install data bench lint docs constraints clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "python3.11 not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet --upgrade pip
	$(PIP) -e ".[test]"
	@touch $(STAMP)

$(VENV)/.lint: $(STAMP)
	$(PIP) -e ".[test,lint]"
	@touch $@

$(VENV)/.docs: $(STAMP)
	$(PIP) -e ".[test,docs]"
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/taobao-geo demo --out out --overwrite

test: $(STAMP)
	$(PY) -m pytest -q

# All four checks run, and the target fails if any of them did.
lint: $(VENV)/.lint
	@rc=0; \
	echo "== ruff check"; $(VENV)/bin/ruff check $(LINT_PATHS) || rc=1; \
	echo "== ruff format --check"; $(VENV)/bin/ruff format --check $(LINT_PATHS) || rc=1; \
	echo "== mypy"; $(VENV)/bin/mypy taobao_geo || rc=1; \
	echo "== functions over 80 lines"; $(PY) tools/function_length.py taobao_geo || rc=1; \
	exit $$rc

docs: $(VENV)/.docs
	rm -rf docs/_build
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: open docs/_build/html/index.html"

# Rebuild the shipped layers from ../shared/data/raw (only this target reads ../shared).
data: $(STAMP)
	$(PY) data/build.py

bench: $(STAMP)
	$(PIP) -e ".[test,bench]"
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# Regenerate constraints.txt from a fresh venv that resolves every extra without constraints.
# Run the suite, `make lint` and `make docs` with the new file before committing it.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet --upgrade pip
	.venv-constraints/bin/python -m pip install --quiet -e ".[test,lint,docs,bench]"
	{ echo "# Versions CI tests (make constraints; pip freeze of all extras, Python 3.11)."; \
	  .venv-constraints/bin/python -m pip freeze --exclude-editable | grep -v '^taobao-geo'; } > constraints.txt
	rm -rf .venv-constraints

clean:
	rm -rf $(VENV) out .pytest_cache test-artifacts docs/_build docs/examples
