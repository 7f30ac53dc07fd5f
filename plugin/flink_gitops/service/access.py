"""Who a caller is and what it may see, asked of the cluster (TokenReview, SubjectAccessReview) and kept briefly.

The API server decides, as for kubectl: a TokenReview turns a bearer token into a user (name, uid,
groups, extra), a SubjectAccessReview says whether that user may ``list`` a Flink kind in a
namespace (or cluster-wide), or ``get`` a non-resource URL such as ``/metrics``. Answers are kept
for :data:`CACHE_SECONDS` in bounded caches, as kube-rbac-proxy and controller-runtime's metrics
filter keep theirs, so a dashboard polling every 2 s costs the API server a few reviews per
minute, not one per request. A review that fails (API server down, the service's own rights
missing) is never kept and never lets anyone in: :class:`ReviewFailed`.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from flink_gitops.flink import API_GROUP, resolve_kind

log = logging.getLogger("flink_gitops.service")

#: How long a TokenReview's or SubjectAccessReview's answer is used (a revoked right or token
#: stops working within this time).
CACHE_SECONDS = 20.0
#: Bounds of the caches: distinct tokens, and distinct (caller, verb, namespace, kind) decisions.
MAX_TOKENS = 4096
MAX_DECISIONS = 50_000
#: One review's (connect, read) timeouts, in seconds: past them the request is a 503, not a hang.
REVIEW_TIMEOUT = (3.0, 5.0)
#: Per-namespace reviews of one request run this many at a time.
PARALLEL_REVIEWS = 8
#: An answer this close to its end (a share of CACHE_SECONDS) is asked again in the background by the
#: first request that uses it, so a caller who keeps polling never waits for a review; an answer
#: is still never used past its time.
REFRESH_AT = 0.25


class ReviewFailed(Exception):
    """The cluster did not answer a TokenReview or SubjectAccessReview: nobody is let in (503).

    ``str()`` is what the caller is told; ``detail`` (for the log) may name the API server."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.detail = detail or message


@dataclass(frozen=True)
class Caller:
    """An authenticated user as the TokenReview named it."""

    username: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()


class ExpiringCache:
    """At most ``size`` entries, each forgotten ``ttl`` seconds after it was stored; when full, the
    least recently used goes first."""

    def __init__(self, size: int, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.size, self.ttl, self._clock = size, ttl, clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[object, tuple[float, object]] = OrderedDict()

    def get(self, key) -> tuple[bool, object]:
        """(True, value) for a live entry, else (False, None)."""
        return self.lookup(key)[:2]

    def lookup(self, key, ending: float = 0.0) -> tuple[bool, object, bool]:
        """(live, value, ending): ``ending`` is true when the entry has less than that share of
        ``ttl`` left."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False, None, False
            left = entry[0] - self._clock()
            if left <= 0:
                del self._entries[key]
                return False, None, False
            self._entries.move_to_end(key)
            return True, entry[1], left < ending * self.ttl

    def put(self, key, value) -> None:
        with self._lock:
            self._entries[key] = (self._clock() + self.ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class _Pending:
    """One review in flight that other requests for the same answer wait on."""

    def __init__(self):
        self.done = threading.Event()
        self.value: object = None
        self.error: ReviewFailed | None = None


def _failure(what: str, exc: BaseException) -> ReviewFailed:
    status = getattr(exc, "status", None)
    if status:  # an ApiException: the API server answered, but not with a review
        return ReviewFailed(f"{what}: {status} {getattr(exc, 'reason', '') or ''}".rstrip())
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    # the caller learns what happened, not where the API server is (urllib3's text names it)
    how = "timed out" if "timed out" in text.lower() or isinstance(exc, TimeoutError) else "no connection"
    return ReviewFailed(f"{what}: cannot reach the API server ({how})", f"{what}: {text[:300]}")


class Reviewer:
    """Asks the cluster (through ``connect()``'s ApiClient, made once per process) who a token is
    and what its user may do, keeping each answer :data:`CACHE_SECONDS`."""

    def __init__(self, connect: Callable[[], object], ttl: float = CACHE_SECONDS,
                 max_tokens: int = MAX_TOKENS, max_decisions: int = MAX_DECISIONS,
                 clock: Callable[[], float] = time.monotonic):
        self._connect = connect
        self._tokens = ExpiringCache(max_tokens, ttl, clock)
        self._decisions = ExpiringCache(max_decisions, ttl, clock)
        self._lock = threading.Lock()
        self._pending: dict[object, _Pending] = {}
        self._apis: tuple[int, object, object] | None = None  # (pid, AuthenticationV1Api, AuthorizationV1Api)
        self._pool: tuple[int, ThreadPoolExecutor] | None = None

    # --- the cluster ----------------------------------------------------------------------

    def _clients(self):
        """The review APIs of this process (an ApiClient's pool does not survive a fork)."""
        apis = self._apis
        if apis is not None and apis[0] == os.getpid():
            return apis[1], apis[2]
        with self._lock:
            if self._apis is None or self._apis[0] != os.getpid():
                from kubernetes import client

                try:
                    api_client = self._connect()
                except Exception as exc:  # a kubeconfig that cannot be loaded: tried again next time
                    raise ReviewFailed("the service cannot load its cluster configuration",
                                       f"cannot load the cluster configuration: {exc}") from None
                self._apis = (os.getpid(), client.AuthenticationV1Api(api_client),
                              client.AuthorizationV1Api(api_client))
            return self._apis[1], self._apis[2]

    def _once(self, cache: ExpiringCache, key, compute: Callable[[], object]):
        """``cache``'s answer for ``key``, else ``compute()``'s, asked once however many requests want it."""
        hit, value, ending = cache.lookup(key, REFRESH_AT)
        if hit:
            if ending:
                self._refresh(cache, key, compute)
            return value
        with self._lock:
            hit, value = cache.get(key)  # answered while this request waited for the lock
            if hit:
                return value
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                pending = self._pending[key] = _Pending()
        if not owner:
            if not pending.done.wait(sum(REVIEW_TIMEOUT) + 1):
                raise ReviewFailed("a review in flight did not finish")
            if pending.error is not None:
                raise ReviewFailed(str(pending.error), pending.error.detail)
            return pending.value
        try:
            value = compute()
            cache.put(key, value)
            pending.value = value
            return value
        except ReviewFailed as exc:
            pending.error = exc
            raise
        except Exception as exc:  # urllib3, ssl, a model the client refuses: never an open door
            failed = _failure("review", exc)
            pending.error = failed
            raise failed from None
        finally:
            with self._lock:
                self._pending.pop(key, None)
            pending.done.set()

    def _refresh(self, cache: ExpiringCache, key, compute: Callable[[], object]) -> None:
        """Ask ``compute()`` again in the background (unless already asked); the kept answer serves
        meanwhile and expires as before if this fails."""
        with self._lock:
            if key in self._pending:
                return
            pending = self._pending[key] = _Pending()

        def ask():
            try:
                pending.value = compute()
                cache.put(key, pending.value)
            except Exception as exc:  # the kept answer runs out; the next request asks again
                pending.error = exc if isinstance(exc, ReviewFailed) else _failure("review", exc)
            finally:
                with self._lock:
                    self._pending.pop(key, None)
                pending.done.set()

        try:
            self._pool_of_this_process().submit(ask)
        except RuntimeError:  # the pool is shutting down with the process
            with self._lock:
                self._pending.pop(key, None)
            pending.done.set()

    # --- who ----------------------------------------------------------------------------

    def authenticate(self, token: str) -> Caller | None:
        """The user the token belongs to, or None when the API server rejects it."""
        key = ("token", hashlib.sha256(token.encode()).digest())  # the token itself is not kept
        return self._once(self._tokens, key, lambda: self._token_review(token))

    def _token_review(self, token: str) -> Caller | None:
        from kubernetes import client

        authn, _ = self._clients()
        body = client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token))
        try:
            review = authn.create_token_review(body, _request_timeout=REVIEW_TIMEOUT)
        except Exception as exc:
            raise _failure("TokenReview", exc) from None
        status = review.status
        user = status.user if status is not None and status.authenticated else None
        if user is None or not user.username:
            return None
        extra = tuple(sorted((k, tuple(v or ())) for k, v in (user.extra or {}).items()))
        return Caller(user.username, user.uid or "", tuple(user.groups or ()), extra)

    # --- may ----------------------------------------------------------------------------

    def allowed(self, caller: Caller, verb: str, *, kind: str | None = None, namespace: str = "",
                path: str | None = None) -> bool:
        """May ``caller`` do ``verb`` on Flink ``kind`` in ``namespace`` ("" for cluster-wide), or on
        the non-resource URL ``path``?"""
        key = ("sar", caller, verb, namespace, kind, path)  # namespaces_allowed reads the same keys
        return bool(self._once(self._decisions, key,
                               lambda: self._access_review(caller, verb, kind, namespace, path)))

    def _access_review(self, caller: Caller, verb: str, kind: str | None, namespace: str,
                       path: str | None) -> bool:
        from kubernetes import client

        _, authz = self._clients()
        if path is not None:
            target = {"non_resource_attributes": client.V1NonResourceAttributes(path=path, verb=verb)}
        else:
            found = resolve_kind(kind or "")
            if found is None:
                raise ValueError(f"not a Flink kind: {kind}")
            target = {"resource_attributes": client.V1ResourceAttributes(
                namespace=namespace or None, verb=verb, group=API_GROUP, resource=found.plural)}
        spec = client.V1SubjectAccessReviewSpec(
            user=caller.username, uid=caller.uid or None, groups=list(caller.groups) or None,
            extra={k: list(v) for k, v in caller.extra} or None, **target)
        try:
            review = authz.create_subject_access_review(client.V1SubjectAccessReview(spec=spec),
                                                        _request_timeout=REVIEW_TIMEOUT)
        except Exception as exc:
            raise _failure("SubjectAccessReview", exc) from None
        status = review.status
        return bool(status is not None and status.allowed and not status.denied)

    def namespaces_allowed(self, caller: Caller, verb: str, kind: str, namespaces: Iterable[str]) -> frozenset[str]:
        """Those of ``namespaces`` where ``caller`` may ``verb`` ``kind``; the reviews not already
        answered run :data:`PARALLEL_REVIEWS` at a time."""
        allowed, unknown = set(), []
        for ns in set(namespaces):
            hit, ok = self._decisions.get(("sar", caller, verb, ns, kind, None))  # as allowed() keys it
            if not hit:
                unknown.append(ns)
            elif ok:
                allowed.add(ns)
        if len(unknown) == 1:
            allowed.update(ns for ns in unknown if self.allowed(caller, verb, kind=kind, namespace=ns))
        elif unknown:  # kept answers are read above: the pool only for reviews to be made
            answers = self._pool_of_this_process().map(
                lambda ns: self.allowed(caller, verb, kind=kind, namespace=ns), unknown)
            allowed.update(ns for ns, ok in zip(unknown, answers) if ok)
        return frozenset(allowed)

    def _pool_of_this_process(self) -> ThreadPoolExecutor:
        pool = self._pool
        if pool is None or pool[0] != os.getpid():
            with self._lock:
                if self._pool is None or self._pool[0] != os.getpid():
                    self._pool = (os.getpid(), ThreadPoolExecutor(PARALLEL_REVIEWS, thread_name_prefix="review"))
                pool = self._pool
        return pool[1]


def _namespace(record) -> str:
    return record.namespace


class View:
    """What one caller may see of the store: per Flink kind, every namespace (None) or these."""

    def __init__(self, kinds: Mapping[str, frozenset[str] | None]):
        self.kinds = dict(kinds)

    def shows(self, namespace: str, kind: str) -> bool:
        if kind not in self.kinds:
            return False
        namespaces = self.kinds[kind]
        return namespaces is None or namespace in namespaces

    def filter(self, records: Sequence) -> list:
        """The records (anything with ``namespace`` and ``kind``, sorted by namespace as the store
        sorts them) this view shows, in order."""
        kinds, nowhere = self.kinds, frozenset()
        if any(ns is None for ns in kinds.values()):
            candidates: Iterable = records  # some kind is seen everywhere: every row is a candidate
        else:
            # only these namespaces: their rows are runs of the sorted list, found by bisection, so a
            # caller of a few namespaces costs its rows, not all of them
            candidates = []
            for namespace in sorted(frozenset().union(*kinds.values())):
                start = bisect.bisect_left(records, namespace, key=_namespace)
                candidates.extend(records[start:bisect.bisect_right(records, namespace, lo=start, key=_namespace)])
        out = []
        for rec in candidates:
            namespaces = kinds.get(rec.kind, nowhere)
            if namespaces is None or rec.namespace in namespaces:
                out.append(rec)
        return out

    @property
    def everything(self) -> bool:
        return all(ns is None for ns in self.kinds.values())

    @property
    def tag(self) -> str:
        """A short digest of the view, for ETags: two callers share a tag only when they see the same."""
        text = ";".join(f"{kind}={'*' if ns is None else ','.join(sorted(ns))}" for kind, ns in sorted(self.kinds.items()))
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def view_for(reviewer: Reviewer, caller: Caller,
             present: Mapping[str, Iterable[str]] | Callable[[], Mapping[str, Iterable[str]]],
             kinds: Iterable[str]) -> View:
    """The caller's view of ``kinds``: one cluster-wide ``list`` review per kind, and for a kind it
    may not list everywhere, one per namespace that holds resources of it (``present``, or a
    function giving it, called only then)."""
    out: dict[str, frozenset[str] | None] = {}
    for kind in kinds:
        if reviewer.allowed(caller, "list", kind=kind):
            out[kind] = None
            continue
        if callable(present):
            present = present()
        out[kind] = reviewer.namespaces_allowed(caller, "list", kind, present.get(kind, ()))
    return View(out)


__all__ = ["Caller", "ExpiringCache", "Reviewer", "ReviewFailed", "View", "view_for", "CACHE_SECONDS"]
