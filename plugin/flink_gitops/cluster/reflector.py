"""One kind's list-then-watch loop with client-go's reflector semantics, feeding a HealthStore.

Written on ``CustomObjectsApi`` (the client's SharedInformer cannot read custom objects); the watch
stream's lines are read and checked here (:mod:`flink_gitops.cluster.events`), not by
``kubernetes.watch.Watch``, whose decoder yields ``None`` for a line that is not JSON and raises a bare
``TypeError`` for one that is not an event. What client-go's ``tools/cache/reflector.go`` does, and how
the Python client's traps are avoided:

- list (paged with limit/continue) -> ``HealthStore.replace``; then watch from the list's
  resourceVersion with ``allowWatchBookmarks``; a BOOKMARK only advances the resourceVersion;
- a 410 Gone (``ApiException(410)`` or an ERROR event) -> list again;
- a dropped or refused connection, a 5xx, a 429 -> watch again from the last resourceVersion,
  after a jittered exponential backoff (0.8 s doubling to 30 s, reset after 2 healthy minutes);
- ``timeout_seconds`` (randomised between 5 and 10 minutes) is always passed, so the server ends
  each watch; every read is bounded by ``Timeouts.watch_idle``: a watch that delivers neither an
  event nor a bookmark for that long (a half-open connection, a stuck API server or proxy; the API
  server sends a bookmark about once a minute) is closed and watched again, and the kind is FAILING
  until the new watch delivers an event or a bookmark (or a list succeeds);
- a watch line that cannot be read (not JSON, not an event, an object without a name, ...) is
  counted and logged, the kind is FAILING, and after the backoff it is listed again (client-go ends
  such a watch too); a list item that cannot be read is skipped, counted and logged, the others kept;
- 404 on list: the kind's CRD is not installed -> ABSENT, looked for again within 30 s;
- a list or watch request that fails (401/403, 5xx, refused, TLS) -> FAILING with the code and
  message (logged), retried with backoff; the next list or watch the server accepts -> SYNCED
  again. A kind listed once keeps its objects meanwhile (``HealthStore.ready``); never a crash,
  and never SYNCED while the loop is recovering from an error.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
from dataclasses import dataclass, field

from flink_gitops.cluster.events import (ADDED, DELETED, ERROR as ERROR_EVENT, LIST_ITEM, MODIFIED, WATCH_LINE,
                                         Unreadable, complete, decode_line, describe_item, excerpt, object_problem)
from flink_gitops.cluster.store import ABSENT, FAILING, PENDING, SYNCED, HealthStore
from flink_gitops.flink import API_GROUP, API_VERSION, KindName

log = logging.getLogger(__name__)

#: Restart reasons counted by ``HealthStore.note_watch_restart`` (the service's metrics show them).
#: TIMEOUT: no event and no bookmark within the idle timeout; MALFORMED: a line that cannot be read.
EXPIRED, CLOSED, DROPPED, TIMEOUT, ERROR, MALFORMED = "expired", "closed", "dropped", "timeout", "error", "malformed"

#: Seconds a watch may deliver neither an event nor a bookmark before it is taken for stalled. The
#: API server sends a bookmark about once a minute to a watch that asks for them (Kubernetes 1.19+,
#: the watch cache's default): this is three of those intervals.
WATCH_IDLE_TIMEOUT = 180.0


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
    read_margin: float = 30.0  # a read waits at most timeoutSeconds + this (or watch_idle, if shorter)
    absent_retry: float = 30.0  # a kind whose CRD is missing is looked for again within this
    watch_idle: float = WATCH_IDLE_TIMEOUT  # no event and no bookmark for this long: the watch is stalled

    def __post_init__(self):
        if not self.watch_idle > 0:
            raise ValueError(f"watch_idle must be more than 0 seconds, got {self.watch_idle!r}")


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
        self._resp = None  # the open watch's response, so abort() can cut its connection
        self._stalled = False  # a watch went silent: only an event, a bookmark or a list make the kind current
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
                # not current until the list succeeds (objects may have been missed meanwhile)
                self._set_state(FAILING, f"unexpected error: {type(exc).__name__}: {exc}; listing again")
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
        """The API server answered a watch request with 200: a kind failing because its requests were
        refused is current again. Not one whose last watch went silent: a stuck server answers too."""
        if self.state == FAILING and not self._stalled:
            self._set_state(SYNCED)

    def _alive(self) -> None:
        """An event or a bookmark arrived: the watch delivers, the kind is current."""
        if self.state != SYNCED:
            self._stalled = False
            self._set_state(SYNCED)

    def list_all(self) -> tuple[list[dict], str, list[str]]:
        """Every object of the kind, page by page: (objects, the list's resourceVersion, one line for
        each item that cannot be read and was left out). :class:`Unreadable` if a page is not a list."""
        kind = self.kind.kind
        items: list[dict] = []
        skipped: list[str] = []
        token = None
        while True:
            kwargs = {"limit": self.page_size, "_request_timeout": (self.timeouts.connect, self.timeouts.list_read)}
            if token:
                kwargs["_continue"] = token
            page = self._list_fn()(*self._args(), **kwargs)
            if not isinstance(page, dict) or not isinstance(page.get("items") or [], list):
                raise Unreadable(f"a list response that is not a {kind}List: {excerpt(page)}")
            for obj in page.get("items") or ():
                problem = object_problem(obj, kind)
                if problem:
                    skipped.append(f"{describe_item(obj, len(items) + len(skipped))}: {problem}")
                else:  # items of a List may lack kind/apiVersion; the tables need kind
                    items.append(complete(obj, kind))
            meta = page.get("metadata") if isinstance(page.get("metadata"), dict) else {}
            token = meta.get("continue")
            if not token or not isinstance(token, str):
                return items, str(meta.get("resourceVersion") or ""), skipped

    def _list(self) -> str | None:
        """List into the store; the resourceVersion to watch from, or None to list again."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        try:
            items, rv, skipped = self.list_all()
        except Unreadable as exc:
            self.store.note_decode_error(self.kind.kind, LIST_ITEM)
            self._set_state(FAILING, f"cannot read the list: {exc}; listing again")
            self._wait(self.backoff.next())
            return None
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
        if skipped:  # counted and logged, the rest of the list kept: one odd object must not hide the others
            self.store.note_decode_error(self.kind.kind, LIST_ITEM, len(skipped))
            for line in skipped[:5]:
                log.warning("%s: left out a list item that cannot be read: %s", self.name, line)
            if len(skipped) > 5:
                log.warning("%s: left out %d more list items that cannot be read", self.name, len(skipped) - 5)
        self.store.replace(self.kind.kind, items, namespace=self.namespace, skipped=len(skipped))
        self._log_state(SYNCED, f"{len(items)} objects" + (f", {len(skipped)} unreadable left out" if skipped else ""))
        self.synced_once = True
        self._stalled = False
        self.resource_version = rv
        if not rv:  # nothing to watch from: list again, but not in a tight loop
            log.warning("%s: the list carried no resourceVersion", self.name)
            self._wait(self.backoff.next())
            return None
        return rv

    def _watch_once(self, rv: str) -> str | None:
        """One watch from ``rv``; the resourceVersion to watch from next, or None to list again."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        kind = self.kind.kind
        timeout = int(random.uniform(self.timeouts.min_watch, 2 * self.timeouts.min_watch)) or 1
        # every read of the stream waits at most this long: silence past it is a stalled watch
        idle = min(self.timeouts.watch_idle, timeout + self.timeouts.read_margin)
        started, events = time.monotonic(), 0
        try:
            resp = self._list_fn()(*self._args(), watch=True, resource_version=rv, allow_watch_bookmarks=True,
                                   timeout_seconds=timeout, _preload_content=False,
                                   _request_timeout=(self.timeouts.connect, idle))
        except ApiException as exc:
            return self._watch_refused(exc, rv)
        except (urllib3.exceptions.HTTPError, OSError) as exc:  # refused, unreachable, TLS, no answer
            if self._stop.is_set():
                return rv
            self.store.note_watch_restart(kind, _transport_reason(exc))
            self._fail(exc)
            return rv
        with self._lock:
            stopping = self._stop.is_set()
            if not stopping:
                self._resp = resp
        if stopping:
            _close(resp)
            return rv
        self._accepted()
        last = time.monotonic()
        try:
            for line in _lines(resp):
                if self._stop.is_set():
                    return rv
                if not line.strip():  # whitespace keeps a connection busy, but is no sign of a live watch
                    if time.monotonic() - last >= idle:
                        raise TimeoutError("only blank lines")
                    continue
                event = decode_line(line, kind)
                if event.type == ERROR_EVENT:  # a Status: 410 Expired, or another failure
                    status = event.object
                    raise ApiException(status=status["code"],
                                       reason=f"{status.get('reason', '')}: {status.get('message', '')}".strip(": "))
                last = time.monotonic()
                events += 1
                self._alive()
                if event.type in (ADDED, MODIFIED):
                    self.store.upsert(kind, event.object)
                elif event.type == DELETED:
                    self.store.delete(kind, event.object)
                if event.resource_version:  # BOOKMARKs land here too: they only move the resourceVersion on
                    rv = self.resource_version = event.resource_version
        except Unreadable as exc:
            if self._stop.is_set():
                return rv
            self.store.note_decode_error(kind, WATCH_LINE)
            self.store.note_watch_restart(kind, MALFORMED)
            # the event it held is lost: not current until listed again
            self._set_state(FAILING, f"cannot read the watch stream: {exc}; listing again")
            self._wait(self.backoff.next())
            return None
        except ApiException as exc:
            if self._stop.is_set():
                return rv
            return self._watch_refused(exc, rv)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            if self._stop.is_set():
                return rv
            reason = _transport_reason(exc)
            self.store.note_watch_restart(kind, reason)
            if reason == TIMEOUT:  # silent for ``idle`` seconds: stalled, and so is what we hold of the kind
                self._stalled = True
                self._set_state(FAILING, f"the watch sent no event and no bookmark for {idle:g}s; watching again")
            else:
                log.info("%s: watch %s (%s); watching again from %s", self.name, reason, api_error(exc)[1], rv)
            self._wait(self.backoff.next())
            return rv
        finally:
            with self._lock:
                self._resp = None
            _close(resp)
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

    def _watch_refused(self, exc, rv: str) -> str | None:
        """A watch the API server refused (an HTTP error) or ended with an ERROR event."""
        if self._stop.is_set():
            return rv
        kind = self.kind.kind
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

    def abort(self) -> None:
        """Cut the open watch's connection so the thread notices ``stop`` at once."""
        with self._lock:
            resp = self._resp
        sock = getattr(getattr(resp, "connection", None), "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _transport_reason(exc: BaseException) -> str:
    """The restart reason for a urllib3 or socket error."""
    import urllib3

    if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
        return TIMEOUT
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        return DROPPED
    return ERROR


def _lines(resp):
    """The response's lines as they arrive (chunks joined and split at newlines)."""
    pending = b""
    for chunk in resp.stream(amt=None, decode_content=False):
        pending += chunk
        if b"\n" in chunk:
            *lines, pending = pending.split(b"\n")
            yield from lines
    if pending.strip():  # a last line without its newline: let the decoder judge it
        yield pending


def _close(resp) -> None:
    try:
        resp.close()
        resp.release_conn()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail in many ways; it is gone either way
        pass


__all__ = ["Reflector", "Backoff", "Timeouts", "api_error", "WATCH_IDLE_TIMEOUT", "EXPIRED", "CLOSED", "DROPPED",
           "TIMEOUT", "ERROR", "MALFORMED"]
