"""One kind's list-then-watch loop with client-go's reflector semantics, feeding a HealthStore.

Written on ``kubernetes.watch.Watch`` and ``CustomObjectsApi`` (the client's SharedInformer
cannot read custom objects). What client-go's ``tools/cache/reflector.go`` does, and how the
Python client's traps are avoided:

- list (paged with limit/continue) -> ``HealthStore.replace``; then watch from the list's
  resourceVersion with ``allowWatchBookmarks``; a BOOKMARK only advances the resourceVersion;
- a 410 Gone (``ApiException(410)`` or an ERROR event) -> list again;
- a dropped or refused connection, a 5xx, a 429 -> watch again from the last resourceVersion,
  after a jittered exponential backoff (0.8 s doubling to 30 s, reset after 2 healthy minutes);
- ``timeout_seconds`` (randomised between 5 and 10 minutes) is always passed, which also stops
  ``Watch.stream`` from silently re-watching on its own; ``_request_timeout`` bounds every read,
  so a half-open connection ends in a urllib3 ``ReadTimeoutError`` instead of hanging;
- 404 on list: the kind's CRD is not installed -> ABSENT, looked for again within 30 s;
- a list or watch request that fails (401/403, 5xx, refused, TLS) -> FAILING with the code and
  message (logged), retried with backoff; the next list or watch the server accepts -> SYNCED
  again. A kind listed once keeps its objects meanwhile (``HealthStore.ready``); never a crash.
"""

from __future__ import annotations

import functools
import json
import logging
import random
import socket
import threading
import time
from dataclasses import dataclass, field

from flink_gitops.cluster.store import ABSENT, FAILING, PENDING, SYNCED, HealthStore
from flink_gitops.flink import API_GROUP, API_VERSION, KindName

log = logging.getLogger(__name__)

#: Restart reasons counted by ``HealthStore.note_watch_restart`` (the service's metrics show them).
EXPIRED, CLOSED, DROPPED, TIMEOUT, ERROR = "expired", "closed", "dropped", "timeout", "error"


@dataclass
class Backoff:
    """client-go's reflector backoff: ``initial`` doubling to ``cap``, each delay stretched by up to
    ``jitter`` x itself, the count reset when no failure happened for ``reset_after`` seconds."""

    initial: float = 0.8
    cap: float = 30.0
    factor: float = 2.0
    jitter: float = 1.0
    reset_after: float = 120.0
    _steps: int = field(default=0, repr=False)
    _last: float | None = field(default=None, repr=False)

    def next(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        if self._last is not None and now - self._last > self.reset_after:
            self._steps = 0
        delay = min(self.cap, self.initial * self.factor ** self._steps)
        self._steps += 1
        self._last = now
        return delay * (1 + self.jitter * random.random())


@dataclass(frozen=True)
class Timeouts:
    """Every duration a reflector uses, in seconds (tests shrink them)."""

    connect: float = 10.0
    list_read: float = 60.0
    min_watch: float = 300.0  # the server-side timeoutSeconds is random in [min_watch, 2 * min_watch]
    read_margin: float = 30.0  # client-side read timeout = timeoutSeconds + this
    absent_retry: float = 30.0  # a kind whose CRD is missing is looked for again within this


def api_error(exc: BaseException) -> tuple[int | None, str]:
    """(HTTP status or None, one-line cause) for an ApiException, a urllib3 error or an OSError."""
    from kubernetes.client.exceptions import ApiException

    if isinstance(exc, ApiException):
        message = ""
        try:
            body = json.loads(exc.body) if exc.body else {}
            message = body.get("message", "") if isinstance(body, dict) else ""
        except (ValueError, TypeError):
            message = ""
        reason = (exc.reason or "").strip()
        text = f"{exc.status} {reason}" if exc.status else reason
        if message and message != reason:
            text = f"{text}: {message}"
        return (exc.status or None), text
    cause = getattr(exc, "reason", None) or exc  # MaxRetryError wraps the real cause
    text = str(cause)
    if "Connection refused" in text or isinstance(cause, ConnectionRefusedError):
        text = "connection refused"
    return None, f"cannot reach the API server: {text}"


class Reflector:
    """List and watch one kind (in one namespace, or all) into ``store`` until ``stop`` is set."""

    def __init__(self, api_client, store: HealthStore, kind: KindName, namespace: str = "", *,
                 stop: threading.Event, page_size: int = 500, timeouts: Timeouts = Timeouts(),
                 backoff: Backoff | None = None):
        from kubernetes import client

        self.api = client.CustomObjectsApi(api_client)
        self.store = store
        self.kind = kind
        self.namespace = namespace
        self.page_size = page_size
        self.timeouts = timeouts
        self.backoff = backoff or Backoff()
        self._stop = stop
        self._watch = None  # the open Watch, so stop() can cut its connection
        self.synced_once = False
        self._logged: tuple[str, str] | None = None
        self.state = PENDING  # as last reported to the store
        self.resource_version = ""  # the last one seen (list, event or bookmark)
        self._lock = threading.Lock()
        self.name = f"reflector-{kind.plural}" + (f"-{namespace}" if namespace else "")

    # --- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        """The thread's body: never raises, returns once ``stop`` is set."""
        rv: str | None = None
        while not self._stop.is_set():
            try:
                rv = self._list() if rv is None else self._watch_once(rv)
            except Exception as exc:  # a bug or an unforeseen client error must not end the loop
                log.exception("%s: unexpected error; listing again", self.name)
                if not self.synced_once:
                    self._set_state(FAILING, f"unexpected error: {type(exc).__name__}: {exc}")
                self._wait(self.backoff.next())
                rv = None

    def _args(self) -> tuple:
        if self.namespace:
            return (API_GROUP, API_VERSION, self.namespace, self.kind.plural)
        return (API_GROUP, API_VERSION, self.kind.plural)

    def _list_fn(self):
        return self.api.list_namespaced_custom_object if self.namespace else self.api.list_cluster_custom_object

    def _set_state(self, state: str, reason: str = "", code: int | None = None) -> None:
        self.store.set_kind_state(self.kind.kind, state, reason, code, namespace=self.namespace)
        self._log_state(state, reason)

    def _log_state(self, state: str, reason: str = "") -> None:
        """Remember this reflector's standing; log it when it changes (not on every retry)."""
        self.state = state
        if self._logged != (state, reason):
            self._logged = (state, reason)
            level = logging.WARNING if state == FAILING else logging.INFO
            log.log(level, "%s: %s%s", self.name, state, f" ({reason})" if reason else "")

    def _wait(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _fail(self, exc: BaseException) -> None:
        """A list or watch request the API server refused or never answered: FAILING, then backoff.

        Also after the first sync: the cached health is then no longer current, and /readyz, the
        dashboard and the watch-state metric (its alert) must say so."""
        status, text = api_error(exc)
        self._set_state(FAILING, text, status)
        self._wait(self.backoff.next())

    def _accepted(self) -> None:
        """The API server answered a watch request with 200: a failing kind is current again."""
        if self.state == FAILING:
            self._set_state(SYNCED)

    def list_all(self) -> tuple[list[dict], str]:
        """Every object of the kind, page by page: (objects, the list's resourceVersion)."""
        items: list[dict] = []
        token = None
        while True:
            kwargs = {"limit": self.page_size, "_request_timeout": (self.timeouts.connect, self.timeouts.list_read)}
            if token:
                kwargs["_continue"] = token
            page = self._list_fn()(*self._args(), **kwargs)
            for obj in page.get("items") or ():
                if isinstance(obj, dict):  # items of a List may lack kind/apiVersion; the tables need kind
                    obj.setdefault("apiVersion", f"{API_GROUP}/{API_VERSION}")
                    obj.setdefault("kind", self.kind.kind)
                    items.append(obj)
            meta = page.get("metadata") or {}
            token = meta.get("continue")
            if not token:
                return items, str(meta.get("resourceVersion") or "")

    def _list(self) -> str | None:
        """List into the store; the resourceVersion to watch from, or None to list again."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        try:
            items, rv = self.list_all()
        except ApiException as exc:
            if exc.status == 404:
                self._set_state(ABSENT, f"the CustomResourceDefinition {self.kind.plural}.{API_GROUP} "
                                        "is not installed")
                self._wait(self.timeouts.absent_retry * random.uniform(0.5, 1.0))
                return None
            self._fail(exc)
            return None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            self._fail(exc)
            return None
        self.store.replace(self.kind.kind, items, namespace=self.namespace)
        self._log_state(SYNCED, f"{len(items)} objects")
        self.synced_once = True
        self.resource_version = rv
        if not rv:  # nothing to watch from: list again, but not in a tight loop
            log.warning("%s: the list carried no resourceVersion", self.name)
            self._wait(self.backoff.next())
            return None
        return rv

    def _watch_once(self, rv: str) -> str | None:
        """One watch from ``rv``; the resourceVersion to watch from next, or None to list again."""
        import urllib3
        from kubernetes import watch
        from kubernetes.client.exceptions import ApiException

        timeout = int(random.uniform(self.timeouts.min_watch, 2 * self.timeouts.min_watch)) or 1
        w = watch.Watch()
        with self._lock:
            if self._stop.is_set():
                return rv
            self._watch = w
        started, events = time.monotonic(), 0
        kind = self.kind.kind
        list_fn = self._list_fn()
        accepted = False

        @functools.wraps(list_fn)  # Watch.stream reads the function's name and docstring
        def request(*args, **kwargs):
            nonlocal accepted
            response = list_fn(*args, **kwargs)  # an ApiException when refused
            accepted = True
            self._accepted()
            return response

        try:
            stream = w.stream(request, *self._args(), resource_version=rv, allow_watch_bookmarks=True,
                              timeout_seconds=timeout,
                              _request_timeout=(self.timeouts.connect, timeout + self.timeouts.read_margin))
            for event in stream:
                if self._stop.is_set():
                    break
                obj = event.get("raw_object")
                if not isinstance(obj, dict):
                    continue
                type_ = event.get("type")
                if type_ in ("ADDED", "MODIFIED"):
                    obj.setdefault("apiVersion", f"{API_GROUP}/{API_VERSION}")
                    obj.setdefault("kind", kind)
                    self.store.upsert(kind, obj)
                elif type_ == "DELETED":
                    self.store.delete(kind, obj)
                new_rv = (obj.get("metadata") or {}).get("resourceVersion")
                if new_rv:  # BOOKMARKs land here too: they only move the resourceVersion on
                    rv = self.resource_version = str(new_rv)
                events += 1
        except ApiException as exc:
            if self._stop.is_set():
                return rv
            if exc.status == 410:
                log.info("%s: resourceVersion %s expired; listing again", self.name, rv)
                self.store.note_watch_restart(kind, EXPIRED)
                return None
            self.store.note_watch_restart(kind, ERROR)
            if exc.status in (401, 403, 404):  # list again: it decides FAILING or ABSENT and sets SYNCED again
                if exc.status != 404:
                    self._fail(exc)
                return None
            self._fail(exc)
            return rv
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if self._stop.is_set():
                return rv
            if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
                reason = TIMEOUT
            elif isinstance(exc, urllib3.exceptions.ProtocolError):
                reason = DROPPED
            else:
                reason = ERROR
            self.store.note_watch_restart(kind, reason)
            if not accepted:  # the request itself failed: refused, unreachable, TLS, no answer
                self._fail(exc)
                return rv
            log.info("%s: watch %s (%s); watching again from %s", self.name, reason, api_error(exc)[1], rv)
            self._wait(self.backoff.next())
            return rv
        finally:
            with self._lock:
                self._watch = None
        if self._stop.is_set():
            return rv
        self.store.note_watch_restart(kind, CLOSED)
        if events == 0 and time.monotonic() - started < 1.0:
            # client-go's "very short watch": something is wrong with this resourceVersion (an older
            # client swallows a 410 ERROR event this way), so back off and list again
            log.info("%s: very short watch from %s; listing again", self.name, rv)
            self._wait(self.backoff.next())
            return None
        return rv

    def abort(self) -> None:
        """Cut the open watch's connection so the thread notices ``stop`` at once."""
        with self._lock:
            w = self._watch
        if w is None:
            return
        resp = getattr(w, "_resp", None)
        w.stop()
        sock = getattr(getattr(resp, "connection", None), "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


__all__ = ["Reflector", "Backoff", "Timeouts", "api_error", "EXPIRED", "CLOSED", "DROPPED", "TIMEOUT", "ERROR"]
