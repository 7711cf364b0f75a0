# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE ?= examples/leiden_schulden_isolement.yaml

# System packages the tests need (Debian names). A missing one stops `make test` before it
# runs, with what to install; WEGWIJZER_ALLOW_MISSING=chromium,graphviz (or all) accepts
# a gap on purpose. tests/conftest.py turns the matching skips into failures as well.
CHROMIUM ?= /usr/bin/chromium
DOT      ?= dot

.PHONY: demo test install install-dev clean serve check-system

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
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
	@missing=""; \
	allow=",$${WEGWIJZER_ALLOW_MISSING},"; \
	if [ ! -x "$(CHROMIUM)" ] && [ "$${allow#*,chromium,}" = "$$allow" ] && [ "$${allow#*,all,}" = "$$allow" ]; then missing="$$missing chromium"; fi; \
	if ! command -v "$(DOT)" >/dev/null 2>&1 && [ "$${allow#*,graphviz,}" = "$$allow" ] && [ "$${allow#*,all,}" = "$$allow" ]; then missing="$$missing graphviz"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "make test: missing system package(s):$$missing" >&2; \
	  echo "  install them: sudo apt-get install$$missing   (the browser test needs Chromium, the svg test Graphviz)" >&2; \
	  echo "  or accept the gap on purpose: WEGWIJZER_ALLOW_MISSING=$$(echo $$missing | tr ' ' ',') make test" >&2; \
	  exit 1; \
	fi

test: check-system install-dev
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
