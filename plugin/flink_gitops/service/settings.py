"""The service's settings: explicit values, else ``FLINK_GITOPS_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

#: Largest body POST /api/v1/evaluate accepts (larger gets 413).
MAX_EVALUATE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    kubeconfig: str | None = None  # None: $KUBECONFIG, ~/.kube/config, or in-cluster, as kubectl does
    context: str | None = None
    namespaces: tuple[str, ...] = ()  # empty: all namespaces
    watch: bool = True  # False: serve a store filled by someone else (tests, embedding)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.replace(",", " ").split() if part)


def from_env(environ=os.environ) -> Settings:
    """``FLINK_GITOPS_KUBECONFIG``, ``FLINK_GITOPS_CONTEXT``, ``FLINK_GITOPS_NAMESPACES`` (comma or
    space separated) and ``FLINK_GITOPS_WATCH`` (``0``/``false`` turns the watcher off)."""
    return Settings(
        kubeconfig=environ.get("FLINK_GITOPS_KUBECONFIG") or None,
        context=environ.get("FLINK_GITOPS_CONTEXT") or None,
        namespaces=_split(environ.get("FLINK_GITOPS_NAMESPACES", "")),
        watch=environ.get("FLINK_GITOPS_WATCH", "1").strip().lower() not in ("0", "false", "no", "off"),
    )


def resolve(config: dict | None, environ=os.environ) -> Settings:
    """Explicit ``config`` keys (KUBECONFIG, CONTEXT, NAMESPACES, WATCH) over the environment."""
    base = from_env(environ)
    config = config or {}
    namespaces = config.get("NAMESPACES", base.namespaces)
    if isinstance(namespaces, str):
        namespaces = _split(namespaces)
    return Settings(
        kubeconfig=config.get("KUBECONFIG", base.kubeconfig),
        context=config.get("CONTEXT", base.context),
        namespaces=tuple(namespaces),
        watch=bool(config.get("WATCH", base.watch)),
    )
