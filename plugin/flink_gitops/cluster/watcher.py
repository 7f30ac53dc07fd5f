"""The watch cache's engine: one reflector thread per kind (per namespace) feeding a HealthStore,
and a one-shot paged list for ``health --cluster``."""

from __future__ import annotations

import copy
import logging
import threading
import time
from typing import Iterable

from flink_gitops.cluster.reflector import Backoff, Reflector, Timeouts, api_error
from flink_gitops.cluster.store import HealthStore
from flink_gitops.errors import UserError
from flink_gitops.flink import KindName, kinds as flink_kinds, resolve_kind

log = logging.getLogger(__name__)


def resolve_kinds(names: Iterable[str] | None) -> tuple[KindName, ...]:
    """The Flink kinds named (any name kubectl accepts); all four for None."""
    if names is None:
        return flink_kinds()
    out = []
    for name in names:
        k = resolve_kind(name)
        if k is None:
            raise UserError(f"{name}: not a Flink kind (one of {', '.join(k.kind for k in flink_kinds())})")
        if k not in out:
            out.append(k)
    return tuple(out)


class Watcher:
    """Keeps ``store`` in step with the cluster: ``start()`` runs one daemon reflector thread per
    kind (per namespace when ``namespaces`` is given), ``stop()`` ends them within about a second.

    Nothing starts at construction or import: under gunicorn the watcher must start in the
    worker, after the fork.
    """

    def __init__(self, api_client, store: HealthStore, namespaces: Iterable[str] = (),
                 kinds: Iterable[str] | None = None, *, page_size: int = 500,
                 timeouts: Timeouts = Timeouts(), backoff: Backoff | None = None):
        self.store = store
        self.namespaces = tuple(dict.fromkeys(namespaces))
        self.kinds = resolve_kinds(kinds)
        unknown = [k.kind for k in self.kinds if k.kind not in store.kinds]
        if unknown:
            raise ValueError(f"the store does not hold {', '.join(unknown)} (HealthStore(kinds=...))")
        if store.namespaces != self.namespaces:
            store.watch_namespaces(self.namespaces)
        self._stop = threading.Event()
        self.reflectors = [
            Reflector(api_client, store, k, ns, stop=self._stop, page_size=page_size, timeouts=timeouts,
                      backoff=copy.copy(backoff) if backoff else None)
            for k in self.kinds for ns in (self.namespaces or ("",))
        ]
        self._threads: list[threading.Thread] = []

    def start(self) -> "Watcher":
        if self._threads:
            raise RuntimeError("Watcher already started")
        for r in self.reflectors:
            t = threading.Thread(target=r.run, name=r.name, daemon=True)
            t.start()
            self._threads.append(t)
        log.info("watching %s in %s", ", ".join(k.kind for k in self.kinds),
                 ", ".join(self.namespaces) or "all namespaces")
        return self

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop every reflector; True when all threads ended within ``timeout`` seconds."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        while True:
            running = [(r, t) for r, t in zip(self.reflectors, self._threads) if t.is_alive()]
            if not running or time.monotonic() >= deadline:
                return not running
            # again and again: a watch whose request is still in flight has no socket to cut yet
            for r, _ in running:
                r.abort()
            running[0][1].join(0.02)

    def alive(self) -> bool:
        """Every reflector thread is running (``/livez``)."""
        return bool(self._threads) and not self._stop.is_set() and all(t.is_alive() for t in self._threads)

    def __enter__(self) -> "Watcher":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ListError(Exception):
    """Listing ``kind`` failed; ``cause`` says why in one line (status code and message)."""

    def __init__(self, kind: str, namespace: str, status: int | None, cause: str):
        super().__init__(f"{kind}: {cause}")
        self.kind, self.namespace, self.status, self.cause = kind, namespace, status, cause


def list_once(api_client, kinds: Iterable[str] | None = None, namespaces: Iterable[str] = (),
              page_size: int = 500, timeouts: Timeouts = Timeouts(),
              skipped: list[str] | None = None) -> tuple[list[dict], list[str]]:
    """Every object of ``kinds`` in ``namespaces`` (all when empty), listed once, page by page:
    (objects, the kinds whose CRD is not installed). Any other failure raises :class:`ListError`.
    List items that cannot be read are left out; ``skipped`` gets one line for each."""
    import urllib3
    from kubernetes.client.exceptions import ApiException

    from flink_gitops.cluster.events import Unreadable

    stop = threading.Event()
    store = HealthStore(kinds=(), evaluator=lambda obj: ("", "", ""))  # unused: list_all does not write
    objects: list[dict] = []
    absent: list[str] = []
    for k in resolve_kinds(kinds):
        for ns in tuple(dict.fromkeys(namespaces)) or ("",):
            reflector = Reflector(api_client, store, k, ns, stop=stop, page_size=page_size, timeouts=timeouts)
            try:
                items, _, unreadable = reflector.list_all()
            except Unreadable as exc:
                raise ListError(k.kind, ns, None, f"cannot read the list: {exc}") from None
            except ApiException as exc:
                if exc.status == 404:
                    if k.kind not in absent:
                        absent.append(k.kind)
                    continue
                raise ListError(k.kind, ns, *api_error(exc)) from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise ListError(k.kind, ns, *api_error(exc)) from None
            objects.extend(items)
            if skipped is not None:
                skipped.extend(f"{k.kind} {line}" for line in unreadable)
    return objects, absent


__all__ = ["Watcher", "ListError", "list_once", "resolve_kinds"]
