# Two commands for a new user: `make run` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: run test browser golang generate bench lock crosscheck clean

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

# The deep-link tests run argocd-cm's resource.links in Go's text/template, sprig and expr
# (tools/deep-links-check), from Debian's packages. Installed where we can; elsewhere they skip and say why.
GO_PACKAGES := golang-go golang-github-masterminds-sprig-dev golang-github-antonmedv-expr-dev
golang:
	@if command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/Masterminds/sprig ] \
	  && [ -d /usr/share/gocode/src/github.com/antonmedv/expr ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $(GO_PACKAGES) for the deep-link tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(GO_PACKAGES)) >/dev/null \
	    || echo "make: could not install Go; the deep-link tests will skip"; \
	fi

## test: install test extras (and chromium and Go where possible), check the import layers, run the whole suite
test: $(VENV)/.installed-test browser golang
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

## generate: rewrite every generated file (lua/, argocd/, flux/, docs/health.md)
generate: $(VENV)/.installed
	$(BIN)/flink-gitops generate all

## bench: measure the Lua runner, the Python evaluator, the render path and the health service
bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

# The image's dependencies, pinned with their hashes for the Python of the Dockerfile's base image
# (requirements.lock: pyproject's dependencies; requirements-build.lock: its build-system, to build
# the wheel). The Dockerfile installs only these, with --require-hashes. uv is pinned so the same
# inputs give the same files.
LOCK_PYTHON := 3.12
UV_VERSION  := 0.13.9
UV_COMPILE   = $(BIN)/uv pip compile --quiet --universal --python-version $(LOCK_PYTHON) --generate-hashes $(LOCK_FLAGS) \
               --custom-compile-command 'make lock'

$(VENV)/.installed-uv: | $(BIN)/python
	$(PIP) 'uv==$(UV_VERSION)'
	touch $@

## lock: pin the image's dependencies with hashes (requirements.lock, requirements-build.lock; asks PyPI)
lock: $(VENV)/.installed-uv
	$(UV_COMPILE) pyproject.toml -o requirements.lock
	$(BIN)/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
	  | $(UV_COMPILE) - -o requirements-build.lock

## crosscheck: run the health scripts in real gopher-lua (needs Debian's golang-go and gopher-lua, see tools/)
crosscheck: $(VENV)/.installed-test
	GO111MODULE=off GOPATH=$(CURDIR)/.gopath:/usr/share/gocode go build -o .gopath/gopher-lua-check ./tools/gopher-lua-check
	$(BIN)/python tools/gopher-lua-check/check.py .gopath/gopher-lua-check

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .gopath
