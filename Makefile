# Two commands for a new user: `make run` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test debian-tools generate bench crosscheck clean

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

# Debian tools the suite uses: chromium and chromedriver (the dashboard test), prometheus and promtool
# (the rules' unit tests and the Prometheus end-to-end test). Installed where we can (root with
# apt-get, as in CI); elsewhere the tests that need them skip and say why.
DEBIAN_TOOLS := chromium chromium-driver prometheus
debian-tools:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v promtool >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $(DEBIAN_TOOLS) for the dashboard and Prometheus tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    $(DEBIAN_TOOLS)) >/dev/null || echo "make: could not install $(DEBIAN_TOOLS); the tests that need them will skip"; \
	fi

## test: install test extras (and Debian tools where possible), check the import layers, run the whole suite
test: $(VENV)/.installed-test debian-tools
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

## generate: rewrite every generated file (lua/, argocd/, flux/, deploy/ rules and dashboard, docs/)
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
