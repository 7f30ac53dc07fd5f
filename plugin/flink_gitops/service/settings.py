"""The service's settings: explicit values, else ``FLINK_GITOPS_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

from flink_gitops.cluster.reflector import WATCH_IDLE_TIMEOUT

#: Largest body POST /api/v1/evaluate accepts (larger gets 413).
MAX_EVALUATE_BYTES = 4 * 1024 * 1024



@dataclass(frozen=True)
class Settings:
    kubeconfig: str | None = None  # None: $KUBECONFIG, ~/.kube/config, or in-cluster, as kubectl does
    context: str | None = None
    namespaces: tuple[str, ...] = ()  # empty: all namespaces
    watch: bool = True  # False: serve a store filled by someone else (tests, embedding)
    watch_idle_timeout: float = WATCH_IDLE_TIMEOUT  # a watch silent this long (no event, no bookmark) is stalled


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.replace(",", " ").split() if part)


def seconds(value, name: str) -> float:
    """``value`` (text or a number) as a number of seconds above 0; ValueError naming ``name`` if not."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not 0 < number < float("inf"):
        raise ValueError(f"{name} must be a number of seconds above 0, got {value!r}")
    return number


def from_env(environ=os.environ) -> Settings:
    """``FLINK_GITOPS_KUBECONFIG``, ``FLINK_GITOPS_CONTEXT``, ``FLINK_GITOPS_NAMESPACES`` (comma or
    space separated), ``FLINK_GITOPS_WATCH`` (``0``/``false`` turns the watcher off) and
    ``FLINK_GITOPS_WATCH_IDLE_TIMEOUT`` (seconds)."""
    idle = environ.get("FLINK_GITOPS_WATCH_IDLE_TIMEOUT", "").strip()
    return Settings(
        kubeconfig=environ.get("FLINK_GITOPS_KUBECONFIG") or None,
        context=environ.get("FLINK_GITOPS_CONTEXT") or None,
        namespaces=_split(environ.get("FLINK_GITOPS_NAMESPACES", "")),
        watch=environ.get("FLINK_GITOPS_WATCH", "1").strip().lower() not in ("0", "false", "no", "off"),
        watch_idle_timeout=seconds(idle, "FLINK_GITOPS_WATCH_IDLE_TIMEOUT") if idle else WATCH_IDLE_TIMEOUT,
    )


def resolve(config: dict | None, environ=os.environ) -> Settings:
    """Explicit ``config`` keys (KUBECONFIG, CONTEXT, NAMESPACES, WATCH, WATCH_IDLE_TIMEOUT) over the
    environment."""
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
        watch_idle_timeout=seconds(config["WATCH_IDLE_TIMEOUT"], "WATCH_IDLE_TIMEOUT")
        if config.get("WATCH_IDLE_TIMEOUT") is not None else base.watch_idle_timeout,
    )
