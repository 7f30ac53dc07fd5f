# Two commands for a new user: `make run` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test browser generate bench crosscheck clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installed markers: re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test]'
	touch $@ $(VENV)/.installed

## run: render the bundled example app as Argo CD would, then show the health of example live objects
run: $(VENV)/.installed
	$(BIN)/flink-gitops render examples/app --explain > /tmp/flink-gitops-render.yaml
	@echo "--- rendered $$(grep -c '^---' /tmp/flink-gitops-render.yaml) objects to /tmp/flink-gitops-render.yaml"
	$(BIN)/flink-gitops health examples/live || test $$? -ne 2

# The dashboard test drives Debian's chromium through chromedriver. Installed where we can (root
# with apt-get, as in CI); elsewhere that one test skips and says why.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium and chromium-driver for the dashboard test"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null \
	    || echo "make: could not install chromium; the dashboard test will skip"; \
	fi

## test: install test extras (and chromium where possible), check the import layers, run the whole suite
test: $(VENV)/.installed-test browser
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

## generate: rewrite every generated file (lua/, argocd/, flux/, docs/health.md)
generate: $(VENV)/.installed
	$(BIN)/flink-gitops generate all

## bench: measure the Lua runner, the Python evaluator, the render path and the health service
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

## crosscheck: run the health scripts in real gopher-lua (needs Debian's golang-go and gopher-lua, see tools/)
crosscheck: $(VENV)/.installed-test
	GO111MODULE=off GOPATH=$(CURDIR)/.gopath:/usr/share/gocode go build -o .gopath/gopher-lua-check ./tools/gopher-lua-check
	$(BIN)/python tools/gopher-lua-check/check.py .gopath/gopher-lua-check

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .gopath
