"""The JSON API: live resources from the health cache, and evaluation of posted objects."""

from __future__ import annotations

import json
import time
import uuid

from flask import Blueprint, Response, request
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

from flink_gitops.assess import assess, no_flink_resources, statuses
from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import kind_names, resolve_kind
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
    tag = f"{_PROCESS_TAG}-{id(store):x}-{store.version}"
    etag = f'"{tag}"'
    if request.if_none_match.contains(tag):
        return Response(status=304, headers={"ETag": etag})

    rows = store.records(namespaces, kinds, wanted)
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
    texts = _rows.texts(rows, complete=not (namespaces or kinds or wanted))
    body = '{"resources":[' + ",".join(texts) + "]," + json.dumps(rest, ensure_ascii=False, separators=(",", ":"))[1:]
    return Response(body.encode(), 200, {"ETag": etag, "Cache-Control": "no-cache"}, mimetype="application/json")


@bp.get("/resources/<namespace>/<kind>/<name>")
def get_resource(namespace: str, kind: str, name: str):
    found = resolve_kind(kind)
    if found is None:
        return _error(f"kind {kind!r} is not a Flink kind (kinds: {', '.join(kind_names())})", 404)
    record = service().store.get(namespace, found.kind, name)
    if record is None:
        return _error(f"{found.kind} {namespace}/{name} not found", 404)
    return _json(record.as_json())


def _body(limit: int) -> bytes:
    """The request body, or 413 past ``limit`` bytes. Werkzeug refuses a declared Content-Length over
    MAX_CONTENT_LENGTH by itself; a chunked body declares none, so it is counted here as it is read."""
    stream, parts, size = request.stream, [], 0
    while size <= limit:
        try:
            part = stream.read(min(65536, limit + 1 - size))
        except HTTPException:  # werkzeug's own 413 past MAX_CONTENT_LENGTH
            raise
        except Exception as exc:  # gunicorn's InvalidChunkSize, ChunkMissingTerminator, NoMoreData...: the client's
            raise BadRequest(f"{_EVALUATED}: malformed or cut short ({type(exc).__name__})") from None
        if not part:
            return b"".join(parts)
        parts.append(part)
        size += len(part)
    raise RequestEntityTooLarge()


@bp.post("/evaluate")
def evaluate():
    """Objects in the body (YAML or JSON, several documents, Lists) assessed as ``flink-gitops health``
    does: the same rows as ``flink-gitops health -o json`` (``?why=true`` adds the deciding rule)."""
    from flink_gitops.manifests import objects_from_text

    data = _body(MAX_EVALUATE_BYTES)
    why = request.args.get("why", "").lower() in ("1", "true", "yes")
    try:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UserError(Problem(f"not UTF-8 text (byte {exc.start})", file=_EVALUATED)) from None
        objs = objects_from_text(text, _EVALUATED, applicable=False)
        verdicts = assess(objs, why=why)
        if not verdicts:
            raise no_flink_resources(_EVALUATED)
    except UserError as exc:
        return _error("; ".join(str(p) for p in exc.problems), 400)
    except RecursionError:
        return _error(f"{_EVALUATED}: input is nested too deeply to process", 400)
    return _json({"resources": [v.row(why) for v in verdicts], "skipped": len(objs) - len(verdicts)})
