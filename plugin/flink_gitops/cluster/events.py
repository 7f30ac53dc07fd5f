"""Reading what the API server sends: a watch line into an event the reflector can apply, a list item
into an object the store can keep, or a one-line reason why not.

The ``kubernetes`` client's own decoder (``Watch.unmarshal_event``) turns a line that is not JSON into
a ``None`` event and lets a JSON value that is not an event escape as a ``TypeError`` or ``KeyError``;
client-go ends the watch on a line it cannot decode and skips an object whose type it does not expect.
The reflector follows client-go, on top of these checks: an unreadable watch line ends the watch and
the kind is listed again; an unreadable list item is skipped, counted and logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flink_gitops.flink import API_GROUP, API_VERSION

ADDED, MODIFIED, DELETED, BOOKMARK, ERROR = "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"
TYPES = (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR)

#: Where something could not be read, as counted by ``HealthStore.note_decode_error``
#: (``flink_gitops_decode_errors_total``): a watch line, a list (its response or an item), an
#: object the health evaluator failed on.
WATCH_LINE, LIST_ITEM, EVALUATION = "watch", "list", "evaluation"


class Unreadable(ValueError):
    """A watch line or a list response that cannot be applied; ``str()`` says why, in one line."""


@dataclass(frozen=True)
class WatchEvent:
    type: str
    object: dict

    @property
    def resource_version(self) -> str:
        meta = self.object.get("metadata")
        rv = meta.get("resourceVersion") if isinstance(meta, dict) else None
        return rv if isinstance(rv, str) else ""


def excerpt(data, limit: int = 80) -> str:
    """A short, printable rendering of what was received (logs and the kind's reason)."""
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8", errors="replace")
    text = data if isinstance(data, str) else json.dumps(data, default=str)
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _json_type(value) -> str:
    for t, name in ((bool, "boolean"), (str, "string"), ((int, float), "number"), (list, "array"),
                    (dict, "object")):
        if isinstance(value, t):
            return name
    return "null"


def object_problem(obj, kind: str) -> str | None:
    """Why ``obj`` cannot be kept as one ``kind`` object (it has no identity, or is another kind); None
    when it can. A missing ``kind`` or ``apiVersion`` is fine: items of a List may leave them out."""
    if not isinstance(obj, dict):
        return f"not an object but a JSON {_json_type(obj)} {excerpt(obj)}"
    if obj.get("kind", kind) != kind:
        return f"kind {excerpt(obj.get('kind'))}, not {kind}"
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return "no metadata" if meta is None else f"metadata is a JSON {_json_type(meta)}"
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return "no metadata.name"
    if not isinstance(meta.get("namespace", ""), str):
        return "metadata.namespace is not a string"
    return None


def complete(obj: dict, kind: str) -> dict:
    """``obj`` with the apiVersion and kind the health tables need (a List's items may leave them out)."""
    obj.setdefault("apiVersion", f"{API_GROUP}/{API_VERSION}")
    obj.setdefault("kind", kind)
    return obj


def decode_line(line: bytes | str, kind: str) -> WatchEvent:
    """One line of a watch stream as an event of ``kind``; :class:`Unreadable` when it is not one."""
    try:
        doc = json.loads(line)
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        raise Unreadable(f"a line that is not JSON ({getattr(exc, 'msg', exc)}): {excerpt(line)}") from None
    if not isinstance(doc, dict):
        raise Unreadable(f"a line that is a JSON {_json_type(doc)}, not an event: {excerpt(line)}")
    type_, obj = doc.get("type"), doc.get("object")
    if type_ not in TYPES:
        what = "an event without a type" if type_ is None else f"an event of unknown type {excerpt(type_)}"
        raise Unreadable(f"{what}: {excerpt(line)}")
    if not isinstance(obj, dict):
        raise Unreadable(f"{'an' if type_[0] in 'AEIOU' else 'a'} {type_} event without an object: {excerpt(line)}")
    event = WatchEvent(type_, obj)
    if type_ == ERROR:
        if not isinstance(obj.get("code"), int):
            raise Unreadable(f"an ERROR event without a status code: {excerpt(line)}")
    elif type_ == BOOKMARK:
        if not event.resource_version:
            raise Unreadable(f"a BOOKMARK without metadata.resourceVersion: {excerpt(line)}")
    else:
        problem = object_problem(obj, kind)
        if problem:
            raise Unreadable(f"{'an' if type_[0] in 'AEIOU' else 'a'} {type_} event whose object cannot be read "
                             f"({problem})")
        complete(obj, kind)
    return event


def describe_item(obj, index: int) -> str:
    """Which list item: namespace/name when it has them, else its position."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get("name"), str) and meta.get("name"):
        ns = meta.get("namespace")
        return f"{ns}/{meta['name']}" if isinstance(ns, str) and ns else meta["name"]
    return f"item {index + 1}"


__all__ = ["Unreadable", "WatchEvent", "decode_line", "object_problem", "complete", "describe_item", "excerpt",
           "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR", "WATCH_LINE", "LIST_ITEM", "EVALUATION"]
