# syntax=docker/dockerfile:1
#
# flink-gitops sidecar image for argocd-repo-server (see docs/install.md).
#
# Argo CD starts the plugin itself (the pod spec's `command: [/var/run/argocd/argocd-cmp-server]`),
# so the image has no ENTRYPOINT; the same image runs the health service (`flink-gitops serve`,
# deploy/health-service) and any other flink-gitops command.
# Runs as uid 999 and writes only to /tmp: works with readOnlyRootFilesystem and an emptyDir /tmp.
#
#   make image     # = make wheelhouse, then docker build (or buildah bud where there is no Docker engine)
#
# The build is offline: it installs only wheels from build/wheelhouse (`make wheelhouse`), checked
# against the lock files' hashes. PYTHON_IMAGE and ARGOCD_IMAGE may be substituted through build
# args (`make image-check` builds with a local Debian base; docs/install.md).

# Pinned base images (pin them by digest too: docs/install.md, "The image"). kustomize and helm come
# from the official Argo CD image, so the plugin renders with the same tool versions the repo-server
# itself would use. The Python minor version is the one the lock files are made for (Makefile's LOCK_PYTHON).
ARG PYTHON_IMAGE=docker.io/library/python:3.12.8-slim-bookworm
ARG ARGOCD_IMAGE=quay.io/argoproj/argocd:v3.5.1

FROM ${ARGOCD_IMAGE} AS argocd-tools

# --- build: the wheel, installed with its dependencies into a self-contained venv -------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
# Every dependency at the version and with the hashes of the lock files (`make lock`): pip refuses
# a file whose hash differs and any package the lock does not list. Only binary wheels (lupa,
# PyYAML with libyaml): nothing is compiled. The setuptools that builds the wheel is pinned too.
# Offline: the wheels come from the wheelhouse `make wheelhouse` downloads on the host for this
# image's Python and platforms, never from an index during the build.
COPY requirements.lock requirements-build.lock ./
COPY build/wheelhouse/ /wheelhouse/
RUN python -m venv /opt/build \
 && /opt/build/bin/python -m pip install --no-index --find-links /wheelhouse \
      --require-hashes --only-binary=:all: -r requirements-build.lock \
 && python -m venv /opt/flink-gitops \
 && /opt/flink-gitops/bin/python -m pip install --no-index --find-links /wheelhouse \
      --require-hashes --only-binary=:all: -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY plugin/ plugin/
# The project itself, built with the pinned setuptools and installed without its dependencies (they
# are in already); pip check proves the lock held everything it needs.
RUN /opt/build/bin/python -m pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
 && /opt/flink-gitops/bin/python -m pip install --no-deps /wheels/*.whl \
 && /opt/flink-gitops/bin/python -m pip check \
 && /opt/flink-gitops/bin/python -m pip uninstall --yes pip \
 && /opt/flink-gitops/bin/flink-gitops --version

# --- runtime ----------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG SOURCE=https://github.com/flink-gitops/flink-gitops
LABEL org.opencontainers.image.title="flink-gitops" \
      org.opencontainers.image.description="Argo CD config-management plugin and health checks for the Apache Flink Kubernetes Operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"

# No installer left behind (a base without pip, like Debian's python3, has none to remove); the user
# Argo CD runs plugins as (uid/gid 999, like the argocd image).
RUN if python -m pip --version >/dev/null 2>&1; then python -m pip uninstall --yes pip; fi \
 && groupadd --gid 999 argocd \
 && useradd --uid 999 --gid 999 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin argocd

COPY --from=argocd-tools /usr/local/bin/kustomize /usr/local/bin/kustomize
COPY --from=argocd-tools /usr/local/bin/helm /usr/local/bin/helm
COPY --from=build /opt/flink-gitops /opt/flink-gitops
# argocd-cmp-server reads the plugin definition from here.
COPY plugin/plugin.yaml /home/argocd/cmp-server/config/plugin.yaml

# Every tool keeps its state under /tmp (the sidecar's own emptyDir); nothing writes elsewhere.
ENV PATH=/opt/flink-gitops/bin:$PATH \
    HOME=/tmp \
    TMPDIR=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    XDG_CONFIG_HOME=/tmp/.config \
    XDG_DATA_HOME=/tmp/.local/share \
    HELM_CACHE_HOME=/tmp/helm/cache \
    HELM_CONFIG_HOME=/tmp/helm/config \
    HELM_DATA_HOME=/tmp/helm/data \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

USER 999:999
WORKDIR /tmp
CMD ["flink-gitops", "--help"]
