"""The service's settings: explicit values, else ``FLINK_GITOPS_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

#: Largest body POST /api/v1/evaluate accepts (larger gets 413).
MAX_EVALUATE_BYTES = 4 * 1024 * 1024
#: Where ``serve`` listens without ``--bind`` or ``FLINK_GITOPS_BIND``.
DEFAULT_BIND = "127.0.0.1:8080"
#: gunicorn's request threads without ``--threads`` or ``FLINK_GITOPS_THREADS``. A thread is held while
#: a request is read and answered: requests take milliseconds, so most of these wait for slow or idle
#: clients. 32 leaves room for the probes behind 16 idle connections and a few slow clients at once
#: (docs/service.md, "Limits"); a thread costs about 100 KiB.
DEFAULT_THREADS = 32


@dataclass(frozen=True)
class Settings:
    kubeconfig: str | None = None  # None: $KUBECONFIG, ~/.kube/config, or in-cluster, as kubectl does
    context: str | None = None
    namespaces: tuple[str, ...] = ()  # empty: all namespaces
    watch: bool = True  # False: serve a store filled by someone else (tests, embedding)


@dataclass(frozen=True)
class EvaluateLimits:
    """The bounds of ``POST /api/v1/evaluate`` (:mod:`flink_gitops.service.limits` applies them)."""

    concurrent: int = 2  # one evaluating, one reading its body; more would only share the one CPU
    body_seconds: float = 30.0  # 4 MiB at 140 KB/s
    cpu_seconds: float = 5.0  # 4 MiB of realistic objects take about 1.5 s here

    @classmethod
    def from_env(cls, environ=os.environ) -> "EvaluateLimits":
        """The limits, each from its ``FLINK_GITOPS_EVALUATE_*`` variable when set; a bad value is a
        ValueError naming the variable."""
        return cls(
            concurrent=int(_number(environ, "FLINK_GITOPS_EVALUATE_CONCURRENCY", cls.concurrent, whole=True)),
            body_seconds=_number(environ, "FLINK_GITOPS_EVALUATE_BODY_SECONDS", cls.body_seconds),
            cpu_seconds=_number(environ, "FLINK_GITOPS_EVALUATE_CPU_SECONDS", cls.cpu_seconds),
        )


def _number(environ, name: str, default: float, whole: bool = False) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = 0
    if not value > 0 or value == float("inf"):
        kind = "a whole number of at least 1" if whole else "a number of seconds above 0"
        raise ValueError(f"{name} must be {kind}, got {text!r}")
    return value


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


def server_from_env(environ=os.environ) -> dict:
    """The gunicorn settings ``FLINK_GITOPS_BIND`` and ``FLINK_GITOPS_THREADS`` give, those that are set.
    A bad value is a ValueError naming the variable."""
    settings: dict = {}
    bind = environ.get("FLINK_GITOPS_BIND", "").strip()
    if bind:
        settings["bind"] = [bind]
    threads = environ.get("FLINK_GITOPS_THREADS", "").strip()
    if threads:
        if not threads.isdigit() or int(threads) < 1:
            raise ValueError(f"FLINK_GITOPS_THREADS must be a whole number of at least 1, got {threads!r}")
        settings["threads"] = int(threads)
    return settings


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
