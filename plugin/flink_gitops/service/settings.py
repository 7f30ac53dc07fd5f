"""The service's settings: explicit values, else ``FLINK_GITOPS_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

from flink_gitops.cluster.reflector import WATCH_IDLE_TIMEOUT

#: Largest body POST /api/v1/evaluate accepts (larger gets 413).
MAX_EVALUATE_BYTES = 4 * 1024 * 1024
#: Where ``serve`` listens without ``--bind`` or ``FLINK_GITOPS_BIND``.
DEFAULT_BIND = "127.0.0.1:8080"
#: gunicorn's request threads without ``--threads`` or ``FLINK_GITOPS_THREADS``. A thread is held while
#: a request is read and answered: requests take milliseconds, so most of these wait for slow or idle
#: clients. 32 leaves room for the probes behind 16 idle connections and a few slow clients at once
#: (docs/service.md, "Limits"); a thread costs about 100 KiB.
DEFAULT_THREADS = 32

#: Who may call the service: ``kubernetes`` (a bearer token checked with a TokenReview, rights with
#: SubjectAccessReviews; see :mod:`flink_gitops.service.auth`) or ``none`` (everything open).
AUTH_MODES = ("kubernetes", "none")
#: Closed unless told otherwise: a forgotten flag must ask for a token, not show every namespace.
DEFAULT_AUTH = "kubernetes"


@dataclass(frozen=True)
class Settings:
    kubeconfig: str | None = None  # None: $KUBECONFIG, ~/.kube/config, or in-cluster, as kubectl does
    context: str | None = None
    namespaces: tuple[str, ...] = ()  # empty: all namespaces
    watch: bool = True  # False: serve a store filled by someone else (tests, embedding)
    watch_idle_timeout: float = WATCH_IDLE_TIMEOUT  # a watch silent this long (no event, no bookmark) is stalled
    auth: str = DEFAULT_AUTH  # one of AUTH_MODES
    simulation: bool = False  # the cluster is `flink-gitops demo`'s simulation: the dashboard says so


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
        concurrent = environ.get("FLINK_GITOPS_EVALUATE_CONCURRENCY", "").strip()
        body = environ.get("FLINK_GITOPS_EVALUATE_BODY_SECONDS", "").strip()
        cpu = environ.get("FLINK_GITOPS_EVALUATE_CPU_SECONDS", "").strip()
        return cls(
            concurrent=whole_number(concurrent, "FLINK_GITOPS_EVALUATE_CONCURRENCY") if concurrent else cls.concurrent,
            body_seconds=seconds(body, "FLINK_GITOPS_EVALUATE_BODY_SECONDS") if body else cls.body_seconds,
            cpu_seconds=seconds(cpu, "FLINK_GITOPS_EVALUATE_CPU_SECONDS") if cpu else cls.cpu_seconds,
        )


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


def whole_number(text: str, name: str) -> int:
    """``text`` as a whole number of at least 1; ValueError naming ``name`` if not."""
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {text!r}")
    return int(text)
def auth_mode(value: str, where: str) -> str:
    """``value`` as an auth mode, or a ValueError naming ``where`` it came from."""
    mode = value.strip().lower()
    if mode not in AUTH_MODES:
        raise ValueError(f"{where}: auth mode {value!r} is not one of {', '.join(AUTH_MODES)}")
    return mode


def from_env(environ=os.environ) -> Settings:
    """``FLINK_GITOPS_KUBECONFIG``, ``FLINK_GITOPS_CONTEXT``, ``FLINK_GITOPS_NAMESPACES`` (comma or
    space separated), ``FLINK_GITOPS_WATCH`` (``0``/``false`` turns the watcher off),
    ``FLINK_GITOPS_WATCH_IDLE_TIMEOUT`` (seconds) and ``FLINK_GITOPS_AUTH`` (``kubernetes``, the
    default, or ``none``)."""
    idle = environ.get("FLINK_GITOPS_WATCH_IDLE_TIMEOUT", "").strip()
    return Settings(
        kubeconfig=environ.get("FLINK_GITOPS_KUBECONFIG") or None,
        context=environ.get("FLINK_GITOPS_CONTEXT") or None,
        namespaces=_split(environ.get("FLINK_GITOPS_NAMESPACES", "")),
        watch=environ.get("FLINK_GITOPS_WATCH", "1").strip().lower() not in ("0", "false", "no", "off"),
        watch_idle_timeout=seconds(idle, "FLINK_GITOPS_WATCH_IDLE_TIMEOUT") if idle else WATCH_IDLE_TIMEOUT,
        auth=auth_mode(environ.get("FLINK_GITOPS_AUTH") or DEFAULT_AUTH, "FLINK_GITOPS_AUTH"),
    )


def server_from_env(environ=os.environ) -> dict:
    """The gunicorn settings ``FLINK_GITOPS_BIND``, ``FLINK_GITOPS_THREADS`` and ``FLINK_GITOPS_LOG_FORMAT``
    give, those that are set.
    A bad value is a ValueError naming the variable."""
    settings: dict = {}
    bind = environ.get("FLINK_GITOPS_BIND", "").strip()
    if bind:
        settings["bind"] = [bind]
    threads = environ.get("FLINK_GITOPS_THREADS", "").strip()
    if threads:
        settings["threads"] = whole_number(threads, "FLINK_GITOPS_THREADS")
    fmt = environ.get("FLINK_GITOPS_LOG_FORMAT", "").strip()
    if fmt:
        settings.update(log_format_settings(fmt, "FLINK_GITOPS_LOG_FORMAT"))
    return settings


#: ``--log-format`` / ``FLINK_GITOPS_LOG_FORMAT``: gunicorn's own line format, or one JSON object per line.
LOG_FORMATS = ("text", "json")
#: The gunicorn ``logger_class`` that writes JSON lines (flink_gitops.service.logformat; named here, not
#: imported, so reading the settings loads no gunicorn).
JSON_LOGGER_CLASS = "flink_gitops.service.logformat.JsonLogger"


def log_format_settings(value: str, where: str) -> dict:
    """The gunicorn settings of log format ``value`` (``text``: gunicorn's own); a ValueError naming
    ``where`` when it is neither."""
    fmt = value.strip().lower()
    if fmt not in LOG_FORMATS:
        raise ValueError(f"{where}: log format {value!r} is not one of {', '.join(LOG_FORMATS)}")
    return {"logger_class": JSON_LOGGER_CLASS if fmt == "json" else "gunicorn.glogging.Logger"}


def resolve(config: dict | None, environ=os.environ) -> Settings:
    """Explicit ``config`` keys (KUBECONFIG, CONTEXT, NAMESPACES, WATCH, WATCH_IDLE_TIMEOUT, AUTH,
    SIMULATION) over the environment."""
    config = config or {}
    if config.get("AUTH"):  # an explicit mode wins; a stray variable must not stop it from loading
        environ = {k: v for k, v in environ.items() if k != "FLINK_GITOPS_AUTH"}
    base = from_env(environ)
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
        auth=auth_mode(config["AUTH"], "AUTH") if config.get("AUTH") else base.auth,
        simulation=bool(config.get("SIMULATION", False)),
    )
