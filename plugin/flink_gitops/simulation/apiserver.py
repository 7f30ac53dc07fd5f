"""A simulated Kubernetes API server for the four Flink kinds, on 127.0.0.1, speaking real HTTP.

``flink-gitops demo`` runs it as its cluster; the test suite uses it as its API-server stand-in. It
serves what the real ``kubernetes`` client and kubectl-style readers ask of an API server:
discovery, list (resourceVersion, limit/continue), get, watch as chunked JSON lines (BOOKMARK
events, ``timeoutSeconds``, ERROR 410 after a compaction), 401 without the bearer token, 403 for a
forbidden kind, 503 in an outage (open watches are cut), 404 for a kind whose CRD is not installed.
The simulated operator and the tests drive it from Python: create/update/delete objects, compact(),
outage(), install/uninstall(), forbid(), drop_watches(), stall(), short_watches(), slow_lists(), and
read count() of requests per kind and verb. Faults in the stream itself: mute_watches() (open
watches go silent, no bookmarks either), inject_watch_line() (a malformed line, or an event whose
object cannot be read) and add_unreadable() (a list item that cannot be read). Standard library
only (``http.server``): no web framework, no Kubernetes client.

It also answers TokenReviews and SubjectAccessReviews (POST, as kube-apiserver does) from a small
policy the test sets with set_policy(): tokens of :class:`Identity`s and RBAC-like :class:`Rule`s;
fail_reviews() makes both fail (503, or any code); reviews() counts them and access_reviews holds
every SubjectAccessReview's spec.
"""

from __future__ import annotations

import base64
import bisect
import copy
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from flink_gitops.flink import API_GROUP, API_VERSION, kinds, resolve_kind

GROUP_VERSION = f"{API_GROUP}/{API_VERSION}"
PREFIX = f"/apis/{API_GROUP}/{API_VERSION}"


@dataclass(frozen=True)
class Event:
    rv: int
    plural: str
    namespace: str
    type: str
    obj: dict


@dataclass(frozen=True)
class Identity:
    """Who a token is, as a TokenReview answers it."""

    username: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Rule:
    """A grant, as a (Cluster)Role and its binding make one: ``verbs`` on ``resources`` of
    ``api_groups`` (or on ``non_resource_urls``), to these ``users`` and members of these ``groups``;
    in every namespace and cluster-wide (a ClusterRoleBinding) unless ``namespaces`` names the only
    ones (RoleBindings). ``"*"`` matches any verb, resource or URL."""

    verbs: tuple[str, ...]
    resources: tuple[str, ...] = ()
    api_groups: tuple[str, ...] = (API_GROUP,)
    namespaces: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()

    def allows(self, spec: dict) -> bool:
        user, groups = spec.get("user") or "", set(spec.get("groups") or ())
        if user not in self.users and not groups & set(self.groups):
            return False
        if "nonResourceAttributes" in spec:
            attrs = spec["nonResourceAttributes"] or {}
            return _any(self.verbs, attrs.get("verb")) and _any(self.non_resource_urls, attrs.get("path"))
        attrs = spec.get("resourceAttributes") or {}
        namespace = attrs.get("namespace") or ""
        return (_any(self.verbs, attrs.get("verb")) and _any(self.resources, attrs.get("resource"))
                and _any(self.api_groups, attrs.get("group") or "")
                and (not self.namespaces or (namespace and namespace in self.namespaces)))


def _any(allowed: tuple[str, ...], value) -> bool:
    return "*" in allowed or value in allowed


class _Dropped(Exception):
    """The watch must end abruptly (outage): no terminating chunk, the connection is cut."""


def _status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class ApiServer:
    """The simulated API server. Use as a context manager, or call :meth:`start` and :meth:`stop`.

    ``token``: the bearer token every request must carry (None: no authentication).
    ``bookmark_interval``: seconds between BOOKMARK events on a watch that asked for them.
    ``tls``: what has ``ca``, ``server_cert`` and ``server_key`` paths (the suite's ``tests/kubeapi/tls.Pki``)
    to serve HTTPS; a client certificate signed by its
    CA then authenticates like the token does.
    """

    def __init__(self, token: str | None = "test-token", bookmark_interval: float = 0.5,
                 installed=None, tls=None):
        self.token = token
        self.tls = tls
        self.bookmark_interval = bookmark_interval
        self._kinds = {k.plural: k for k in kinds()}
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._rv = 1000
        self._objects: dict[tuple[str, str, str], dict] = {}  # (plural, namespace, name) -> object
        self._history: list[Event] = []
        self._history_rvs: list[int] = []  # the events' resourceVersions, for bisect
        self._compacted = 0  # events at or below this resourceVersion are gone
        self._installed = {self._plural(k) for k in installed} if installed is not None else set(self._kinds)
        self._forbidden: set[str] = set()
        self._outage = False
        self._stalled = False  # watches send nothing and ignore timeoutSeconds (a half-open connection)
        self._short = False  # watches end cleanly at once, without an event
        self._list_delay = 0.0  # seconds each list page takes (a large, slow list)
        self._muted = False  # every watch, open or new, sends nothing (no events, no bookmarks) and stays open
        self._injected: dict[str, list[bytes]] = {}  # plural -> raw lines for the next watch line of that kind
        self._unreadable: dict[str, list] = {}  # plural -> items served first in its lists
        self._epoch = 0  # bumped to cut every open watch
        self._stopping = False
        self._snapshots: dict[str, tuple[int, list[dict]]] = {}  # list id -> (rv, items) for continue
        self._counts: dict[tuple[str, str], int] = {}
        self.open_watches = 0
        self._tokens: dict[str, Identity] = {}  # TokenReview: token -> who
        self._rules: list[Rule] = []  # SubjectAccessReview: what they may do
        self._review_failure: int | None = None  # both reviews answer this code instead
        self.access_reviews: list[dict] = []  # every SubjectAccessReview's spec, in order
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- life -------------------------------------------------------------------------

    def start(self) -> "ApiServer":
        server = self

        class Handler(_Handler):
            api = server

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        if self.tls is not None:
            import ssl

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.tls.server_cert, self.tls.server_key)
            ctx.load_verify_locations(self.tls.ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL  # a client certificate, or else the bearer token
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="kubeapi", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._epoch += 1
            self._cond.notify_all()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(5)
            self._httpd = None

    def __enter__(self) -> "ApiServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def kubeconfig(self, path, token: str | None = None, context: str = "stand-in",
                   cluster: str = "stand-in-cluster", user: dict | None = None) -> str:
        """Write a kubeconfig pointing at this server; its user has ``token`` (default: the right
        one) unless ``user`` gives the whole user entry (client certificate, exec plugin)."""
        import yaml

        if user is None:
            user = {"token": token if token is not None else (self.token or "none")}
        server = {"server": self.url}
        if self.tls is not None:
            server["certificate-authority"] = str(self.tls.ca)
        doc = {
            "apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": cluster, "cluster": server}],
            "users": [{"name": "tester", "user": user}],
            "contexts": [{"name": context, "context": {"cluster": cluster, "user": "tester"}}],
        }
        with open(path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(doc, fh)
        return str(path)

    # --- test controls -----------------------------------------------------------------

    def _plural(self, kind: str) -> str:
        k = resolve_kind(kind)
        if k is None:
            raise ValueError(f"not a Flink kind: {kind}")
        return k.plural

    def _record(self, plural: str, type_: str, obj: dict) -> None:
        """Caller holds the lock; ``obj`` already carries the new resourceVersion."""
        self._history.append(Event(self._rv, plural, obj["metadata"].get("namespace", ""), type_, copy.deepcopy(obj)))
        self._history_rvs.append(self._rv)
        self._cond.notify_all()

    def create(self, kind: str, namespace: str, name: str, spec: dict | None = None,
               status: dict | None = None, generation: int = 1, labels: dict | None = None,
               owner_references: list | None = None) -> dict:
        plural = self._plural(kind)
        with self._cond:
            key = (plural, namespace, name)
            if key in self._objects:
                raise ValueError(f"{kind} {namespace}/{name} exists")
            self._rv += 1
            obj = {
                "apiVersion": GROUP_VERSION, "kind": self._kinds[plural].kind,
                "metadata": {"name": name, "namespace": namespace, "uid": str(uuid.uuid4()),
                             "resourceVersion": str(self._rv), "generation": generation,
                             "creationTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                "spec": copy.deepcopy(spec) if spec is not None else {},
            }
            if labels:
                obj["metadata"]["labels"] = dict(labels)
            if owner_references:
                obj["metadata"]["ownerReferences"] = copy.deepcopy(owner_references)
            if status is not None:
                obj["status"] = copy.deepcopy(status)
            self._objects[key] = obj
            self._record(plural, "ADDED", obj)
            return copy.deepcopy(obj)

    def update(self, kind: str, namespace: str, name: str, spec: dict | None = None,
               status: dict | None = None) -> dict:
        """Replace spec (generation + 1) and/or status; a new resourceVersion."""
        plural = self._plural(kind)
        with self._cond:
            obj = self._objects[(plural, namespace, name)]
            self._rv += 1
            if spec is not None:
                obj["spec"] = copy.deepcopy(spec)
                obj["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
            if status is not None:
                obj["status"] = copy.deepcopy(status)
            obj["metadata"]["resourceVersion"] = str(self._rv)
            self._record(plural, "MODIFIED", obj)
            return copy.deepcopy(obj)

    def delete(self, kind: str, namespace: str, name: str) -> None:
        plural = self._plural(kind)
        with self._cond:
            obj = self._objects.pop((plural, namespace, name))
            self._rv += 1
            obj["metadata"]["resourceVersion"] = str(self._rv)
            self._record(plural, "DELETED", obj)

    def objects(self, kind: str) -> list[dict]:
        plural = self._plural(kind)
        with self._lock:
            return [copy.deepcopy(o) for (p, _, _), o in sorted(self._objects.items()) if p == plural]

    @property
    def resource_version(self) -> int:
        with self._lock:
            return self._rv

    def compact(self) -> None:
        """Drop the whole event history: a watch from any older resourceVersion gets 410 Expired."""
        with self._cond:
            self._compacted = self._rv
            self._history.clear()
            self._history_rvs.clear()
            self._snapshots.clear()

    def outage(self, on: bool = True) -> None:
        """While on, every request gets 503; turning it on cuts every open watch."""
        with self._cond:
            self._outage = on
            if on:
                self._epoch += 1
            self._cond.notify_all()

    def drop_watches(self) -> None:
        """Cut every open watch connection (no outage)."""
        with self._cond:
            self._epoch += 1
            self._cond.notify_all()

    def stall(self, on: bool = True) -> None:
        """While on, new watches get their headers, then silence: no events, no bookmarks, no end,
        as through a half-open connection."""
        with self._cond:
            self._stalled = on
            self._cond.notify_all()

    def mute_watches(self, on: bool = True) -> None:
        """While on, every watch (open now or opened later) stays open and sends nothing: no events,
        no bookmarks, no end (``timeoutSeconds`` waits too), as a stuck API server or proxy does. Turned
        off, each one carries on from where it was, the events it held back first."""
        with self._cond:
            self._muted = on
            self._cond.notify_all()

    def inject_watch_line(self, kind: str, line: str | bytes) -> None:
        """Send ``line`` as is (a newline is added) on the next watch line of ``kind``: on a watch open
        now, else on the next one. Malformed JSON, a JSON value that is not a watch event, or an event
        whose object cannot be read."""
        data = line.encode() if isinstance(line, str) else bytes(line)
        with self._cond:
            self._injected.setdefault(self._plural(kind), []).append(data)
            self._cond.notify_all()

    def add_unreadable(self, kind: str, item) -> None:
        """Serve ``item`` (any JSON value: a string, an object without metadata, one of another kind)
        first in every list of ``kind`` from now on (namespaced lists: when its metadata.namespace matches)."""
        with self._cond:
            self._unreadable.setdefault(self._plural(kind), []).append(copy.deepcopy(item))

    def short_watches(self, on: bool = True) -> None:
        """While on, every new watch ends cleanly right after its headers, without an event."""
        with self._cond:
            self._short = on

    def slow_lists(self, seconds: float) -> None:
        """Every list page from now on is answered after ``seconds``."""
        with self._cond:
            self._list_delay = seconds

    def install(self, kind: str) -> None:
        with self._cond:
            self._installed.add(self._plural(kind))

    def uninstall(self, kind: str) -> None:
        """Remove the CRD: its objects go and its open watches are cut."""
        plural = self._plural(kind)
        with self._cond:
            self._installed.discard(plural)
            for key in [k for k in self._objects if k[0] == plural]:
                del self._objects[key]
            self._epoch += 1
            self._cond.notify_all()

    def forbid(self, kind: str, on: bool = True) -> None:
        """RBAC: 403 for every request on ``kind``."""
        with self._cond:
            (self._forbidden.add if on else self._forbidden.discard)(self._plural(kind))

    def set_policy(self, tokens: dict[str, Identity] | None = None, rules=None) -> None:
        """Who each token is (TokenReview) and what they may do (SubjectAccessReview); tokens not
        named are rejected, what no rule allows is denied."""
        with self._cond:
            if tokens is not None:
                self._tokens = dict(tokens)
            if rules is not None:
                self._rules = list(rules)

    def fail_reviews(self, code: int | None = 503) -> None:
        """TokenReviews and SubjectAccessReviews answer ``code`` (None: answer again)."""
        with self._cond:
            self._review_failure = code

    def reviews(self, resource: str) -> int:
        """How many ``tokenreviews`` or ``subjectaccessreviews`` were posted (failed ones included)."""
        with self._lock:
            return self._counts.get((resource, "create"), 0)

    def count(self, kind: str, verb: str) -> int:
        """How many ``verb`` ("list", "watch", "get") requests reached ``kind`` (outages included)."""
        with self._lock:
            return self._counts.get((self._plural(kind), verb), 0)

    # --- serving (called from handler threads) ------------------------------------------

    def _count(self, plural: str, verb: str) -> None:
        with self._lock:
            self._counts[(plural, verb)] = self._counts.get((plural, verb), 0) + 1

    def _discovery(self, path: str):
        with self._lock:
            installed = sorted(self._installed)
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
        if path == "/version":
            return 200, {"major": "1", "minor": "31", "gitVersion": "v1.31.0-standin"}
        if path == "/apis":
            groups = []
            if installed:
                gv = {"groupVersion": GROUP_VERSION, "version": API_VERSION}
                groups.append({"name": API_GROUP, "versions": [gv], "preferredVersion": gv})
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        if path in (f"/apis/{API_GROUP}", PREFIX) and not installed:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        if path == f"/apis/{API_GROUP}":
            gv = {"groupVersion": GROUP_VERSION, "version": API_VERSION}
            return 200, {"kind": "APIGroup", "apiVersion": "v1", "name": API_GROUP, "versions": [gv],
                         "preferredVersion": gv}
        if path == PREFIX:
            resources = [{"name": p, "singularName": self._kinds[p].singular, "namespaced": True,
                          "kind": self._kinds[p].kind, "shortNames": list(self._kinds[p].short_names),
                          "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}
                         for p in installed]
            return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GROUP_VERSION,
                         "resources": resources}
        return None

    def _check(self, plural: str):
        """(code, Status) when the request must fail before serving, else None. Lock held."""
        if self._outage:
            return 503, _status(503, "ServiceUnavailable", "the server is currently unable to handle the request")
        if plural not in self._kinds or plural not in self._installed:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        if plural in self._forbidden:
            return 403, _status(403, "Forbidden", f'{plural}.{API_GROUP} is forbidden: User "tester" cannot '
                                f'list resource "{plural}" in API group "{API_GROUP}"')
        return None

    def _list(self, plural: str, namespace: str | None, query: dict):
        kind = self._kinds[plural].kind
        limit = int(query.get("limit", "0") or 0)
        token = query.get("continue")
        with self._lock:
            if token:
                try:
                    state = json.loads(base64.urlsafe_b64decode(token.encode()))
                    rv, items = self._snapshots[state["id"]]
                    offset = int(state["offset"])
                except (ValueError, KeyError, TypeError):
                    return 410, _status(410, "Expired", "The provided continue parameter is too old to display "
                                        "a consistent list result. You can start a new list without the continue "
                                        "parameter.")
            else:
                rv = self._rv
                items = [copy.deepcopy(o) for o in self._unreadable.get(plural, ())
                         if namespace is None or _namespace_of(o) == namespace]
                items += [copy.deepcopy(o) for (p, ns, _), o in sorted(self._objects.items())
                          if p == plural and (namespace is None or ns == namespace)]
                offset = 0
            meta = {"resourceVersion": str(rv)}
            page = items[offset:offset + limit] if limit else items[offset:]
            end = offset + len(page)
            if end < len(items):
                list_id = state["id"] if token else uuid.uuid4().hex
                self._snapshots[list_id] = (rv, items)
                meta["continue"] = base64.urlsafe_b64encode(
                    json.dumps({"id": list_id, "offset": end}).encode()).decode()
                meta["remainingItemCount"] = len(items) - end
        return 200, {"apiVersion": GROUP_VERSION, "kind": f"{kind}List", "metadata": meta, "items": page}

    def _get(self, plural: str, namespace: str, name: str):
        with self._lock:
            obj = self._objects.get((plural, namespace, name))
            if obj is None:
                return 404, _status(404, "NotFound", f'{plural}.{API_GROUP} "{name}" not found')
            return 200, copy.deepcopy(obj)

    def _watch(self, handler: "_Handler", plural: str, namespace: str | None, query: dict) -> None:
        """Stream events as chunked JSON lines until timeoutSeconds, a cut, or the server stops."""
        kind = self._kinds[plural].kind
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else None
        deadline = time.monotonic() + timeout if timeout is not None else None
        rv_text = query.get("resourceVersion", "")
        with self._lock:
            epoch = self._epoch
            initial: list[dict] = []
            if rv_text in ("", "0"):  # "start at most recent": synthetic ADDED for what exists
                cursor = self._rv
                initial = [{"type": "ADDED", "object": copy.deepcopy(o)} for (p, ns, _), o in
                           sorted(self._objects.items()) if p == plural and (namespace is None or ns == namespace)]
            else:
                try:
                    cursor = int(rv_text)
                except ValueError:
                    cursor = -1
                if cursor < self._compacted or cursor < 0:
                    initial = [{"type": "ERROR", "object": _status(
                        410, "Expired", f"too old resource version: {rv_text} ({self._compacted})")}]
                    cursor = None
        handler.start_chunked()
        with self._lock:
            self.open_watches += 1
        try:
            with self._cond:
                if self._short:
                    return
                if self._stalled:
                    self._cond.wait_for(lambda: self._stopping or self._epoch != epoch or not self._stalled)
                    raise _Dropped()
            for ev in initial:
                handler.write_chunk(ev)
            if cursor is None:
                return
            next_bookmark = time.monotonic() + self.bookmark_interval
            while True:
                with self._cond:
                    def ready():
                        return (self._stopping or self._epoch != epoch or plural in self._injected
                                or (self._history and self._history[-1].rv > cursor))
                    now = time.monotonic()
                    wake = min(t for t in (next_bookmark if bookmarks else None, deadline) if t is not None) \
                        if (bookmarks or deadline is not None) else None
                    self._cond.wait_for(ready, timeout=None if wake is None else max(0.0, wake - now))
                    if self._muted:  # silence, whatever is due; what happens meanwhile is sent afterwards
                        self._cond.wait_for(lambda: self._stopping or self._epoch != epoch or not self._muted)
                    if self._stopping or self._epoch != epoch:
                        raise _Dropped()
                    injected = self._injected.pop(plural, [])
                    if cursor < self._compacted:  # compacted while this watch was behind: real servers end it
                        events = None
                    else:
                        events = self._history[bisect.bisect_right(self._history_rvs, cursor):]
                    latest = self._rv
                for data in injected:
                    handler.write_line(data)
                if events is None:
                    handler.write_chunk({"type": "ERROR", "object": _status(410, "Expired", "too old resource version")})
                    return
                for e in events:
                    if e.plural == plural and (namespace is None or e.namespace == namespace):
                        handler.write_chunk({"type": e.type, "object": e.obj})
                # history holds every event after the compaction point, so this watch has now seen
                # everything up to ``latest`` (what a bookmark may announce)
                cursor = latest
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return
                if bookmarks and now >= next_bookmark:
                    handler.write_chunk({"type": "BOOKMARK", "object": {
                        "kind": kind, "apiVersion": GROUP_VERSION, "metadata": {"resourceVersion": str(cursor)}}})
                    next_bookmark = now + self.bookmark_interval
        finally:
            with self._lock:
                self.open_watches -= 1

    def _authenticated(self, handler: "_Handler") -> bool:
        """The server's bearer token (the scheme in any case) or a client certificate; anyone without a token set."""
        scheme, _, credential = (handler.headers.get("Authorization") or "").partition(" ")
        bearer_ok = scheme.lower() == "bearer" and credential.strip() == self.token
        return self.token is None or bearer_ok or handler.client_certificate()

    def handle(self, handler: "_Handler") -> None:
        url = urlsplit(handler.path)
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if not self._authenticated(handler):
            return handler.send_json(401, _status(401, "Unauthorized", "Unauthorized"))
        with self._lock:
            outage = self._outage
        if outage:
            return handler.send_json(503, _status(503, "ServiceUnavailable",
                                                  "the server is currently unable to handle the request"))
        found = self._discovery(path)
        if found is not None:
            return handler.send_json(*found)
        if not path.startswith(PREFIX + "/"):
            return handler.send_json(404, _status(404, "NotFound", "the server could not find the requested resource"))
        parts = path[len(PREFIX) + 1:].split("/")
        namespace = name = None
        if parts[0] == "namespaces" and len(parts) in (3, 4):
            namespace, plural = parts[1], parts[2]
            name = parts[3] if len(parts) == 4 else None
        elif len(parts) == 1:
            plural = parts[0]
        else:
            return handler.send_json(404, _status(404, "NotFound", "the server could not find the requested resource"))
        watch = query.get("watch") in ("true", "1")
        verb = "get" if name else ("watch" if watch else "list")
        self._count(plural, verb)
        with self._lock:
            failed = self._check(plural)
        if failed:
            return handler.send_json(*failed)
        if name:
            return handler.send_json(*self._get(plural, namespace, name))
        if watch:
            try:
                self._watch(handler, plural, namespace, query)
                handler.end_chunked()
            except (_Dropped, OSError):
                handler.cut()
            return
        with self._lock:
            delay = self._list_delay
        time.sleep(delay)
        return handler.send_json(*self._list(plural, namespace, query))


    _REVIEWS = {"/apis/authentication.k8s.io/v1/tokenreviews": ("tokenreviews", "TokenReview"),
                "/apis/authorization.k8s.io/v1/subjectaccessreviews": ("subjectaccessreviews", "SubjectAccessReview")}

    def _review(self, resource: str, kind: str, body: dict):
        """A TokenReview or SubjectAccessReview answered from the policy, echoing the spec as
        kube-apiserver does."""
        spec = body.get("spec") if isinstance(body, dict) else None
        if not isinstance(spec, dict):
            return 400, _status(400, "BadRequest", f"{kind} without a spec")
        group = "authentication.k8s.io" if resource == "tokenreviews" else "authorization.k8s.io"
        answer = {"kind": kind, "apiVersion": f"{group}/v1", "metadata": {"creationTimestamp": None}, "spec": spec}
        with self._lock:
            if resource == "tokenreviews":
                who = self._tokens.get(spec.get("token") or "")
                answer["status"] = {"authenticated": True, "user": {
                    "username": who.username, "uid": who.uid, "groups": list(who.groups),
                    "extra": {k: list(v) for k, v in who.extra}}} if who else {
                    "user": {}, "error": "invalid bearer token"}
                return 201, answer
            if ("resourceAttributes" in spec) == ("nonResourceAttributes" in spec):
                return 422, _status(422, "Invalid", "exactly one of nonResourceAttributes and resourceAttributes "
                                    "must be specified")
            if not spec.get("user") and not spec.get("groups"):
                return 422, _status(422, "Invalid", "at least one of user or group must be specified")
            self.access_reviews.append(copy.deepcopy(spec))
            allowed = any(rule.allows(spec) for rule in self._rules)
        answer["status"] = {"allowed": allowed} if allowed else {"allowed": False, "reason": "no rule allows it"}
        return 201, answer

    def handle_post(self, handler: "_Handler") -> None:
        path = urlsplit(handler.path).path.rstrip("/")
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if not self._authenticated(handler):
            return handler.send_json(401, _status(401, "Unauthorized", "Unauthorized"))
        if path not in self._REVIEWS:
            return handler.send_json(405, _status(405, "MethodNotAllowed", "the server does not allow this method"))
        resource, kind = self._REVIEWS[path]
        with self._lock:
            self._counts[(resource, "create")] = self._counts.get((resource, "create"), 0) + 1
            failure = 503 if self._outage else self._review_failure
        if failure is not None:
            return handler.send_json(failure, _status(failure, "ServiceUnavailable" if failure == 503 else "Failure",
                                                      f"{resource} cannot be created now"))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return handler.send_json(400, _status(400, "BadRequest", "the body is not JSON"))
        return handler.send_json(*self._review(resource, kind, body))


def _namespace_of(item) -> str | None:
    meta = item.get("metadata") if isinstance(item, dict) else None
    return meta.get("namespace") if isinstance(meta, dict) else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], OSError):  # clients hanging up are normal here
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    api: ApiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet: tests read counters, not logs
        pass

    def setup(self) -> None:
        super().setup()
        # as Go's net/http (kube-apiserver) does: without it, a response written as headers then
        # body waits ~40 ms for the client's delayed ACK (Nagle), e.g. on every review
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.api.handle(self)

    def do_POST(self) -> None:
        self.api.handle_post(self)

    def client_certificate(self) -> bool:
        """A client certificate signed by the stand-in's CA was presented (TLS only)."""
        getpeercert = getattr(self.connection, "getpeercert", None)
        return bool(getpeercert and getpeercert())

    def send_json(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_chunked(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def write_chunk(self, event: dict) -> None:
        self.write_line(json.dumps(event).encode())

    def write_line(self, data: bytes) -> None:
        """One raw line in the stream, whatever it holds."""
        data = data + b"\n"
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self) -> None:
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def cut(self) -> None:
        """End the connection abruptly, as a dropped network path or a dying server does."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
