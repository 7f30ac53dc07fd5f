"""The JSON API: live resources from the health cache, and evaluation of posted objects."""

from __future__ import annotations

import json
import time
import uuid

from flask import Blueprint, Response, request

from flink_gitops import __version__
from flink_gitops.assess import assess, no_flink_resources, rule_doc, statuses
from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import kind_names, resolve_kind
from flink_gitops.cluster.config import IN_CLUSTER
from flink_gitops.service import limits
from flink_gitops.service import auth
from flink_gitops.service.state import service
from flink_gitops.service.settings import MAX_EVALUATE_BYTES
from flink_gitops.service.recordtext import RecordTextCache

bp = Blueprint("api", __name__, url_prefix="/api/v1")

_EVALUATED = "request body"
# In every ETag, so a client's tag from another process (a restarted pod, another replica), whose
# store versions count from zero too, never matches by accident.
_PROCESS_TAG = uuid.uuid4().hex[:12]


def _json(body: object, code: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), code, headers,
                    mimetype="application/json")


def _error(message: str, code: int) -> Response:
    return _json({"error": message}, code)


def _values(name: str) -> list[str]:
    """A repeatable query parameter (``?status=Degraded&status=Unknown`` or ``?status=Degraded,Unknown``)."""
    return [part.strip() for value in request.args.getlist(name) for part in value.split(",") if part.strip()]


def _kind_filter(values: list[str]) -> list[str]:
    kinds = []
    for value in values:
        found = resolve_kind(value)
        if found is None:
            raise UserError(f"kind {value!r} is not a Flink kind (kinds: {', '.join(kind_names())})")
        kinds.append(found.kind)
    return kinds


def _status_filter(values: list[str]) -> list[str]:
    by_lower = {s.lower(): s for s in statuses()}
    unknown = [v for v in values if v.lower() not in by_lower]
    if unknown:
        raise UserError(f"status {unknown[0]!r} is not a health status (statuses: {', '.join(statuses())})")
    return [by_lower[v.lower()] for v in values]


#: The kinds a FlinkStateSnapshot's ``spec.jobReference`` can name.
SNAPSHOT_OWNERS = ("FlinkDeployment", "FlinkSessionJob")


def snapshot_row(record) -> dict:
    return {"name": record.name, "status": record.status, "message": record.message, "since": record.since}


def _row(record) -> str:
    return json.dumps(record.as_json(), ensure_ascii=False, separators=(",", ":"))


_rows = RecordTextCache(_row)


@bp.get("/resources")
def list_resources():
    store = service().store
    try:
        namespaces = _values("namespace")
        kinds = _kind_filter(_values("kind"))
        wanted = _status_filter(_values("status"))
    except UserError as exc:
        return _error(str(exc), 400)
    version = store.version  # read before the view: a tag never claims a newer view than the rows
    view = auth.view(store, kinds, namespaces)  # None: auth is off, everything is shown
    # the caller's view is part of the tag: another caller's tag never answers 304 with a different view
    tag = f"{_PROCESS_TAG}-{id(store):x}-{version}" + (f"-{view.tag}" if view is not None else "")
    etag = f'"{tag}"'
    if request.if_none_match.contains(tag):
        return Response(status=304, headers={"ETag": etag})

    rows = store.records(namespaces, kinds, wanted)
    if view is not None and not view.everything:
        rows = view.filter(rows)
    counts = dict.fromkeys(statuses(), 0)
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    rest = {
        "counts": counts,
        "synced": store.synced(),
        "kinds": {kind: state.as_json() for kind, state in store.kind_states().items()},
        "now": round(time.time(), 3),  # the server's clock: "time in status" without trusting the client's
    }
    # {"resources": [...], ...} assembled from each row's cached JSON
    texts = _rows.texts(rows, complete=not (namespaces or kinds or wanted or (view and not view.everything)))
    body = '{"resources":[' + ",".join(texts) + "]," + json.dumps(rest, ensure_ascii=False, separators=(",", ":"))[1:]
    return Response(body.encode(), 200, {"ETag": etag, "Cache-Control": "no-cache"}, mimetype="application/json")


@bp.get("/resources/<namespace>/<kind>/<name>")
def get_resource(namespace: str, kind: str, name: str):
    found = resolve_kind(kind)
    if found is None:
        return _error(f"kind {kind!r} is not a Flink kind (kinds: {', '.join(kind_names())})", 404)
    store = service().store
    # a resource the caller may not see is as absent as one that does not exist
    record = store.get(namespace, found.kind, name) if auth.may_see(namespace, found.kind) else None
    if record is None:
        return _error(f"{found.kind} {namespace}/{name} not found", 404)
    body = record.as_json()
    body["rule_doc"] = rule_doc(record.kind, record.rule)
    body["history"] = [entry.as_json() for entry in store.history(namespace, found.kind, name)]
    body["fields"] = dict(record.field_items)
    if record.web_ui:
        body["webUI"] = record.web_ui
    if found.kind in SNAPSHOT_OWNERS:  # its snapshots, grouped under it by their spec.jobReference
        # all in this namespace and of one kind: one access check for them all
        body["snapshots"] = [snapshot_row(r) for r in store.snapshots_of(namespace, found.kind, name)] \
            if auth.may_see(namespace, "FlinkStateSnapshot") else []
    return _json(body)


@bp.get("/info")
def info():
    """What this service watches: the cluster (kubeconfig context and API server, once connected), the
    namespaces, the product version, the auth mode, and whether the cluster is ``flink-gitops demo``'s
    simulation. Under ``--auth kubernetes`` it needs a token like the rest of the API: the server's
    address is a fact about the cluster."""
    svc = service()
    settings = svc.runner.settings
    cluster = svc.runner.cluster
    body = {
        "version": __version__,
        "cluster": {
            "context": cluster.context if cluster is not None else (settings.context or ""),
            "server": cluster.server if cluster is not None else "",
            "inCluster": cluster is not None and cluster.source == IN_CLUSTER,
            "connected": cluster is not None,
        },
        "namespaces": list(svc.store.namespaces),  # empty: all namespaces
        "auth": settings.auth,
        "simulation": settings.simulation,
        "watching": svc.runner.state(),
    }
    return _json(body)


@bp.post("/evaluate")
@limits.bounded
def evaluate():
    """Objects in the body (YAML or JSON, several documents, Lists) assessed as ``flink-gitops health``
    does: the same rows as ``flink-gitops health -o json`` (``?why=true`` adds the deciding rule).
    Bounded in size, concurrency, body time and CPU time (:mod:`flink_gitops.service.limits`)."""
    from flink_gitops.manifests import objects_from_text

    data = limits.read_body(MAX_EVALUATE_BYTES)
    why = request.args.get("why", "").lower() in ("1", "true", "yes")
    try:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UserError(Problem(f"not UTF-8 text (byte {exc.start})", file=_EVALUATED)) from None
        objs = objects_from_text(text, _EVALUATED, applicable=False)
        # in batches: the CPU time is checked between them (limits), whatever assess does inside
        verdicts = [v for batch in limits.batches_within_budget(objs) for v in assess(batch, why=why)]
        if not verdicts:
            raise no_flink_resources(_EVALUATED)
    except UserError as exc:
        return _error("; ".join(str(p) for p in exc.problems), 400)
    except RecursionError:
        return _error(f"{_EVALUATED}: input is nested too deeply to process", 400)
    return _json({"resources": [v.row(why) for v in verdicts], "skipped": len(objs) - len(verdicts)})
