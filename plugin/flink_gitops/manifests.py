"""Kubernetes objects from YAML/JSON text: the one reader every command uses.

A document must be a Kubernetes object (apiVersion, kind, a name, string labels and
annotations, as the API server would insist); ``List`` kinds are flattened into their items.
Every problem names file, document (and List item) and field.
"""

from __future__ import annotations

import os

from flink_gitops import yamlio
from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import Located


def read_text(path: str, shown: str, max_bytes: int) -> str:
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise UserError(Problem(f"file is {size:,} bytes, above the limit of {max_bytes:,} "
                                    "(parameter max-file-size)", file=shown))
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise UserError(Problem(f"cannot read: {exc.strerror}", file=shown)) from None
    if len(data) > max_bytes:  # grew while we looked
        raise UserError(Problem(f"file is above the limit of {max_bytes:,} bytes", file=shown))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(Problem(f"not UTF-8 text (byte {exc.start})", file=shown)) from None


def objects_from_text(text: str, source: str, applicable: bool = True) -> list[Located]:
    """Every Kubernetes object in a YAML/JSON stream; ``List`` kinds are flattened into their items.

    ``applicable``: also insist on what the API server would (a name, string labels and
    annotations). Off for objects that are only read, e.g. to assess their health.
    """
    out: list[Located] = []
    problems: list[Problem] = []
    for index, doc in yamlio.iter_documents(text, source):
        if not isinstance(doc, dict):
            problems.append(Problem(f"expected a Kubernetes object (a mapping), got a {type(doc).__name__}",
                                    file=source, document=index))
            continue
        if _is_list_kind(doc):
            items = doc.get("items")
            if items is not None and not isinstance(items, list):
                problems.append(Problem(f"items of a {doc['kind']} must be a list, got a {type(items).__name__}",
                                        file=source, document=index))
                continue
            for i, item in enumerate(items or []):
                loc = Located(item if isinstance(item, dict) else {}, source, index, i)
                if _check_object(item, loc, problems, applicable):
                    out.append(loc)
            continue
        loc = Located(doc, source, index)
        if _check_object(doc, loc, problems, applicable):
            out.append(loc)
    if problems:
        raise UserError(problems)
    return out


def _is_list_kind(doc: dict) -> bool:
    kind = doc.get("kind")
    return kind == "List" or (isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list))


def _check_object(doc: object, loc: Located, problems: list[Problem], applicable: bool) -> bool:
    if not isinstance(doc, dict):
        problems.append(Problem(f"List item {(loc.item or 0) + 1} is not a mapping", file=loc.file,
                                document=loc.document))
        return False
    missing = [k for k in ("apiVersion", "kind") if not (isinstance(doc.get(k), str) and doc.get(k))]
    if missing:
        where = f"List item {loc.item + 1}: " if loc.item is not None else ""
        problems.append(Problem(
            f"{where}not a Kubernetes object: no {' and no '.join(missing)}", file=loc.file, document=loc.document,
            hint="every document must be a Kubernetes object; move other YAML out of the app folder",
        ))
        return False
    if not applicable:
        return True
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not (
        (isinstance(meta.get("name"), str) and meta["name"]) or isinstance(meta.get("generateName"), str)
    ):
        problems.append(loc.problem("missing: every object needs a name", "metadata.name"))
        return False
    ok = True
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is None:
            continue
        if not isinstance(value, dict):
            problems.append(loc.problem(f"must be a mapping of strings, got a {type(value).__name__}",
                                        f"metadata.{field}"))
            ok = False
            continue
        for key, item in value.items():
            if not isinstance(item, str):
                # The API server refuses it ("cannot unmarshal number into ... of type string").
                shown = "true" if item is True else "false" if item is False else item
                problems.append(loc.problem(f"value {shown!r} is not a string", f"metadata.{field}[{key}]",
                                            f'quote it: "{shown}"' if item is not None else "give it a text value"))
                ok = False
    return ok
