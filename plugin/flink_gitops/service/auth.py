"""``--auth kubernetes``: which requests need a caller, who the caller is, and what it may see.

- ``/livez``, ``/readyz`` (the kubelet has no token) and the dashboard's page, script and style
  (no cluster data in them; the page asks for a token when the API says 401) are open;
- every other request needs ``Authorization: Bearer <token>``: none, or a token the TokenReview
  rejects, is 401 with ``WWW-Authenticate: Bearer``;
- ``/metrics`` needs ``get`` on the non-resource URL ``/metrics`` (403 otherwise);
- the resources API shows a caller only the kinds and namespaces where it may ``list`` that
  kind (:func:`view`, :func:`may_see`); ``POST /api/v1/evaluate`` needs an authenticated caller;
- the reviews failing (API server down, the service's own rights missing) is 503, never open.

``--auth none`` lets every request through and says so in the log.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, Response, g, json, request

from flink_gitops.service.access import Caller, Reviewer, ReviewFailed, View, view_for
from flink_gitops.service.settings import Settings

log = logging.getLogger("flink_gitops.service")

#: Key of the guard in ``app.extensions``.
EXTENSION = "flink_gitops.auth"
#: Endpoints anyone may call.
OPEN = frozenset({"probes.livez", "probes.readyz", "dashboard.index", "dashboard.static", "dashboard.favicon"})
#: Endpoints that need ``get`` on a non-resource URL, as Kubernetes components guard theirs.
NON_RESOURCE = {"metrics.metrics": "/metrics"}
REALM = 'Bearer realm="flink-gitops"'
#: A failing review is logged at most this often (every poll of every dashboard would fail alike).
LOG_EVERY_SECONDS = 30.0


class Guard:
    """The app's auth mode, its reviewer, and the store's namespaces per kind (kept per store version)."""

    def __init__(self, mode: str, reviewer: Reviewer | None):
        self.mode = mode
        self.reviewer = reviewer
        self._present: tuple[int, int, dict[str, frozenset[str]]] | None = None
        self._logged_at = float("-inf")
        self._lock = threading.Lock()

    def present(self, store) -> dict[str, frozenset[str]]:
        """The namespaces holding resources, per kind: where a namespace-scoped caller is asked about."""
        cached = self._present
        version = store.version
        if cached is None or cached[:2] != (id(store), version):
            found: dict[str, set[str]] = {}
            for rec in store.all_records():
                found.setdefault(rec.kind, set()).add(rec.namespace)
            cached = self._present = (id(store), version, {k: frozenset(v) for k, v in found.items()})
        return cached[2]

    def note_failure(self, exc: ReviewFailed) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._logged_at < LOG_EVERY_SECONDS:
                return
            self._logged_at = now
        log.warning("flink-gitops serve: cannot check a caller, answering 503: %s", exc.detail)


def _guard(app: Flask | None = None) -> Guard:
    from flask import current_app

    return (app or current_app).extensions[EXTENSION]


def _json(body: dict, code: int, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), code, headers, mimetype="application/json")


def _bearer() -> str | None:
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _check() -> Response | None:
    """Before every request: let it through (None) or answer it (401, 403)."""
    guard = _guard()
    if guard.mode == "none" or request.endpoint in OPEN:
        return None
    token = _bearer()
    if token is None:
        return _json({"error": "authentication required: send Authorization: Bearer <token> (for example "
                      "the output of `kubectl create token <serviceaccount>`)"}, 401, {"WWW-Authenticate": REALM})
    caller = guard.reviewer.authenticate(token)
    if caller is None:
        return _json({"error": "the bearer token was rejected by the cluster (expired, revoked or not a token "
                      "of this cluster)"}, 401, {"WWW-Authenticate": REALM + ', error="invalid_token"'})
    g.flink_gitops_caller = caller
    path = NON_RESOURCE.get(request.endpoint or "")
    if path is not None and not guard.reviewer.allowed(caller, "get", path=path):
        return _json({"error": f"forbidden: user {caller.username!r} may not get {path}"}, 403)
    return None


def _unavailable(exc: ReviewFailed) -> Response:
    _guard().note_failure(exc)
    return _json({"error": f"cannot check the caller with the cluster, try again: {exc}"}, 503, {"Retry-After": "5"})


def caller() -> Caller | None:
    """The authenticated caller of this request; None when auth is off."""
    return g.get("flink_gitops_caller")


def view(store, kinds=(), namespaces=()) -> View | None:
    """What the caller may see of ``kinds`` (default: every kind of the store), asked only about
    ``namespaces`` when given; None when auth is off (everything)."""
    guard, who = _guard(), caller()
    if guard.mode == "none":
        return None
    if who is None:  # not reached through the guard: show nothing rather than everything
        return View({})

    def present():  # only for a caller who may not list some kind everywhere
        found = guard.present(store)
        return {k: ns & set(namespaces) for k, ns in found.items()} if namespaces else found

    return view_for(guard.reviewer, who, present, kinds or store.kinds)


def may_see(namespace: str, kind: str) -> bool:
    """May the caller see resources of ``kind`` in ``namespace`` (``list`` there or everywhere)?"""
    guard, who = _guard(), caller()
    if guard.mode == "none":
        return True
    if who is None:
        return False
    reviewer = guard.reviewer
    return reviewer.allowed(who, "list", kind=kind) or reviewer.allowed(who, "list", kind=kind, namespace=namespace)


def install(app: Flask, settings: Settings) -> None:
    """Guard ``app`` as ``settings.auth`` says, asking the cluster the watcher watches (the same
    kubeconfig and context, or the pod's service account) through an ApiClient of its own."""
    reviewer = None
    if settings.auth == "none":
        log.warning("flink-gitops serve: authentication is off (--auth none): whoever reaches this service reads "
                    "every watched resource with its messages and errors, and /metrics")
    else:
        log.info("flink-gitops serve: callers need a bearer token of the cluster (--auth kubernetes); "
                 "the probes and the dashboard's page are open")

        def connect():
            from kubernetes import client

            from flink_gitops.cluster.config import connect as load

            cluster = load(kubeconfig=settings.kubeconfig, context=settings.context)
            configuration = cluster.api_client.configuration
            cluster.api_client.close()
            # one retry, not urllib3's three: an unreachable API server costs a request at most
            # two connect timeouts before its 503
            configuration.retries = 1
            return client.ApiClient(configuration)

        reviewer = Reviewer(connect)
    app.extensions[EXTENSION] = Guard(settings.auth, reviewer)
    app.before_request(_check)
    app.register_error_handler(ReviewFailed, _unavailable)


__all__ = ["install", "caller", "view", "may_see", "OPEN", "NON_RESOURCE"]
