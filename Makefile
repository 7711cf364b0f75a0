# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE ?= examples/leiden_schulden_isolement.yaml

# System packages the tests need (Debian's Chromium, Graphviz, PostgreSQL): listed once, in
# .ci/system-packages, which `make test` and .ci/run both run. A missing one is installed
# when it can be (root, or sudo without a password), saying so; otherwise `make test` stops
# before it runs, with the one line to run. WEGWIJZER_ALLOW_MISSING=chromium,graphviz (or
# all) accepts a gap on purpose. tests/conftest.py turns the matching skips into failures.
CHROMIUM  ?= /usr/bin/chromium
DOT       ?= dot
PG_INITDB ?= /usr/lib/postgresql/*/bin/initdb

.PHONY: demo test install install-dev clean serve check-system

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# compileall: the engine's bytecode, as an installed wheel has it; where Python writes none
# itself (PYTHONDONTWRITEBYTECODE) every start would compile each module again (about a
# sixth of the cold start of `wegwijzer recommend`). An edited module is compiled afresh.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	$(BIN)/python -m compileall -q engine
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -m compileall -q engine
	touch $(VENV)/.installed $@

# axe-core (npm, pinned by the lock) for the accessibility checks of the browser journey
AXE := tests/a11y/node_modules/axe-core/axe.min.js
$(AXE): tests/a11y/package-lock.json
	cd tests/a11y && npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev $(AXE)

demo: install
	$(BIN)/wegwijzer recommend $(EXAMPLE)

# `make serve ADMIN=beheer` the first time: adds that admin (asks for a password) before serving.
serve: install
	@if [ -n "$(ADMIN)" ]; then $(BIN)/wegwijzer user add "$(ADMIN)" --role admin --password >/dev/null; fi
	$(BIN)/wegwijzer serve $(SERVE_ARGS)

check-system:
	@CHROMIUM='$(CHROMIUM)' DOT='$(DOT)' PG_INITDB='$(PG_INITDB)' sh .ci/system-packages

test: check-system install-dev
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
