"""YAML/JSON in and out, safely and fast.

* libyaml's C loader and dumper only (the pure-Python ones are ~10x slower).
* Timestamps stay strings, as they do when Kubernetes and Argo CD read YAML: re-dumping a
  parsed ``datetime`` would silently change the text of the manifest.
* Duplicate mapping keys are an error, in YAML and in JSON: both parsers would keep the last one
  and silently drop data.
* An alias budget refuses "billion laughs" documents, while ordinary anchors keep working; an
  alias inside the collection it names (a document that contains itself) is refused.
* Only what JSON can carry comes out: no ``!!binary`` or ``!!set``, no integer too long to be
  written back as text, no lone UTF-16 surrogate from a JSON ``\\ud800`` escape, no NaN or
  Infinity in a ``.json`` file (Python's extensions, not JSON).

Deliberately imports nothing heavy: this module sits on the render path.
"""

from __future__ import annotations

import json
import re
from typing import Iterator

import yaml

from flink_gitops.errors import Problem, UserError

try:  # pragma: no cover - exercised implicitly; PyPI wheels ship libyaml
    _CLoader = yaml.CSafeLoader
    _CDumper = yaml.CSafeDumper
except AttributeError as exc:  # pragma: no cover
    raise ImportError("PyYAML was built without libyaml; reinstall PyYAML from a wheel") from exc

#: How many nodes aliases may add to one document once expanded. Real manifests that use
#: anchors add a few hundred at most; an alias bomb adds billions.
ALIAS_EXPANSION_BUDGET = 100_000

_TIMESTAMP = "tag:yaml.org,2002:timestamp"

#: Integers longer than this are refused: Python will not turn them back into text (its int/str
#: conversion limit, the same 4,300 digits by default), and no Kubernetes number comes near (int64
#: has 19 digits). Hex and sexagesimal YAML integers are measured by their value, not their text.
MAX_INT_DIGITS = 4300
_MAX_INT_BITS = MAX_INT_DIGITS * 3322 // 1000  # log2(10) bits per digit, rounded down
_TOO_LONG = f"an integer of more than {MAX_INT_DIGITS:,} digits; no Kubernetes number is this long"
#: Tags the safe loader builds into types JSON has no word for (bytes, set).
_NOT_JSON_TAGS = ("tag:yaml.org,2002:binary", "tag:yaml.org,2002:set")


class Loader(_CLoader):
    """Safe C loader: no timestamps, no duplicate keys."""

    def construct_mapping(self, node, deep=False):  # noqa: D401 - PyYAML API
        # Only the keys written in this mapping: keys merged in with `<<: *anchor` may be
        # overridden on purpose, so the check runs before PyYAML flattens the merge.
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value if k.__class__ is yaml.ScalarNode]
            if len(set(keys)) != len(keys):
                seen = set()
                for key_node, _ in node.value:
                    if key_node.__class__ is yaml.ScalarNode:
                        if key_node.value in seen:
                            raise yaml.constructor.ConstructorError(
                                None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
                            )
                        seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):  # noqa: D401 - PyYAML API
        try:
            value = super().construct_yaml_int(node)
        except ValueError:  # Python's int/str conversion limit
            value = None
        if value is None or value.bit_length() > _MAX_INT_BITS:
            raise yaml.constructor.ConstructorError(None, None, _TOO_LONG, node.start_mark)
        return value

    def construct_not_json(self, node):
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise yaml.constructor.ConstructorError(
            None, None, f"{tag} is not JSON data: a Kubernetes object holds strings, numbers, booleans, null, "
            "lists and mappings", node.start_mark)


Loader.add_constructor("tag:yaml.org,2002:int", Loader.construct_yaml_int)
for _tag in _NOT_JSON_TAGS:
    Loader.add_constructor(_tag, Loader.construct_not_json)

Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _CLoader.yaml_implicit_resolvers.items()
}
# Timestamps are plain strings for us; make the constructor agree for explicit tags too.
Loader.add_constructor(_TIMESTAMP, Loader.construct_yaml_str)


class Dumper(_CDumper):
    """Block-style, key order preserved, wide lines: stable and diff-friendly output."""


def _represent_str(dumper: Dumper, value: str) -> yaml.ScalarNode:
    # Multi-line text (log4j properties, SQL, scripts) as a literal block scalar, so a diff shows
    # the changed line. The emitter falls back to a quoted scalar by itself where a block cannot
    # hold the text exactly (trailing spaces, special characters), so loading gives the same string.
    # One call per string, keys included: as cheap as PyYAML's own represent_str.
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


Dumper.add_representer(str, _represent_str)

#: How deep a document may nest. Real Kubernetes objects, CRD schemas included, stay far below;
#: deeper input would exhaust Python's stack in later steps, where the file is no longer known.
MAX_DEPTH = 200


class _RecursiveAlias(Exception):
    """An alias inside the collection it names: the node met again while its own children are walked."""

    def __init__(self, node: yaml.Node):
        super().__init__()
        self.node = node


def _expanded_size(root: yaml.Node) -> tuple[int, int]:
    """(unique nodes, nodes once every alias is expanded), memoised per node.

    Raises :class:`_RecursiveAlias` for a node that contains itself."""
    memo: dict[int, int] = {}
    unique = 0
    # Iterative post-order walk: deep documents must not hit Python's recursion limit.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            if isinstance(node, yaml.MappingNode):
                total = 1 + sum(memo[id(k)] + memo[id(v)] for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                total = 1 + sum(memo[id(c)] for c in node.value)
            else:
                total = 1
            memo[key] = min(total, 1 << 62)
            continue
        if key in memo:
            # 0 marks a node whose children are still being walked: meeting it again from below is a
            # cycle (every finished node counts at least 1). Post-order on one stack: everything popped
            # between a node's start and its finish is one of its descendants.
            if memo[key] == 0:
                raise _RecursiveAlias(node)
            continue
        memo[key] = 0
        unique += 1
        stack.append((node, True))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append((k, False))
                stack.append((v, False))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((c, False) for c in node.value)
    return unique, memo[id(root)]


def _mark(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)


def _yaml_hint(exc: yaml.YAMLError, text: str) -> str | None:
    """A fix for the YAML mistakes people make most, where libyaml's words do not say it."""
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return None
    lines = text.splitlines()
    line = lines[mark.line] if 0 <= mark.line < len(lines) else ""
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    if "\t" in indent or (mark.column < len(line) and line[mark.column] == "\t"):
        return "YAML does not allow tabs for indentation: indent with spaces"
    return None


class _NotJson(ValueError):
    """What Python's json module accepts and JSON, as Kubernetes reads it, does not."""


def _json_object(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):  # the rare path: find which key came twice
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _NotJson(f"duplicate key {key!r}")
            seen.add(key)
    return obj


def _json_constant(name: str) -> object:
    raise _NotJson(f"{name} is not a JSON number (JSON has no NaN or Infinity)")


def parse_json(text: str) -> object:
    """One JSON document; raises ValueError for what JSON, as Kubernetes reads it, does not allow
    (duplicate keys, NaN and Infinity, an integer past Python's conversion limit) as for bad syntax."""
    return json.loads(text, object_pairs_hook=_json_object, parse_constant=_json_constant)


def _json_problem(exc: ValueError, text: str) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if isinstance(exc, _NotJson):
        return f"invalid JSON: {_duplicate_mark(text) if 'duplicate' in str(exc) else ''}{exc}"
    # int() refused a number past Python's int/str conversion limit; say where it starts
    found = re.search(r"[0-9]{%d}" % (MAX_INT_DIGITS + 1), text)
    where = f"line {text.count(chr(10), 0, found.start()) + 1}: " if found else ""
    return f"invalid JSON: {where}{_TOO_LONG}"


def _duplicate_mark(text: str) -> str:
    """'line L, column C: ' of the first duplicate key, found by the YAML loader (JSON is YAML to it)."""
    try:
        for _ in yaml.load_all(text, Loader=Loader):
            pass
    except yaml.constructor.ConstructorError as exc:
        if exc.problem_mark is not None and "duplicate key" in str(exc.problem):
            return f"line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1}: "
    except (yaml.YAMLError, RecursionError):
        pass
    return ""


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _lone_surrogate(doc: object) -> tuple[str, str] | None:
    """(field path, the surrogate as an escape) of the first string, key or value, holding a lone
    UTF-16 surrogate: JSON's ``"\\ud800"`` decodes to one, and it is not Unicode text."""
    stack: list[tuple[object, str]] = [(doc, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                bad = _surrogate_in(key) if isinstance(key, str) else None
                if bad:  # the mapping is named, not the key: the message must stay printable text
                    return path, bad
                where = f"{path}.{key}" if path else str(key)
                bad = _surrogate_in(value) if isinstance(value, str) else None
                if bad:
                    return where, bad
                stack.append((value, where))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                bad = _surrogate_in(value) if isinstance(value, str) else None
                if bad:
                    return f"{path}[{i}]", bad
                stack.append((value, f"{path}[{i}]"))
        elif isinstance(node, str) and _surrogate_in(node):
            return path, _surrogate_in(node) or ""
    return None


def _surrogate_in(text: str) -> str | None:
    if text.isascii():
        return None
    for ch in text:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            return f"\\u{ord(ch):04x}"
    return None


def _may_be_deep(text: str) -> bool:
    """Cheap bound: nesting deeper than MAX_DEPTH needs that many flow brackets or that much indentation."""
    if text.count("[") + text.count("{") >= MAX_DEPTH:
        return True
    return re.search(r"^[ \t-]{%d}" % MAX_DEPTH, text, re.M) is not None


def _depth(doc: object) -> int:
    """How many collections deep ``doc`` nests (iterative: never hits the recursion limit)."""
    deepest = 0
    stack = [(doc, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:  # past the limit the answer is known; do not walk a bomb
            stack.extend((c, level + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def _check_depth(doc: object, source: str, index: int) -> None:
    if _depth(doc) > MAX_DEPTH:
        raise UserError(Problem(f"nested more than {MAX_DEPTH} levels deep; no Kubernetes object is",
                                file=source, document=index))


def iter_documents(text: str, source: str) -> Iterator[tuple[int, object]]:
    """Yield (1-based document index, parsed document) for a YAML or JSON stream.

    Empty documents (``---`` with nothing after it) are skipped, as kubectl does.
    Raises :class:`UserError` naming the file and document on any syntax problem.
    """
    stripped = text.lstrip()
    json_error: str | None = None
    deep = _may_be_deep(text)
    if stripped[:1] in ("{", "["):
        try:
            doc = parse_json(text)
        except ValueError as exc:  # JSONDecodeError, _NotJson, or an integer past Python's limit
            if source.endswith(".json"):  # a .json file is JSON: its own error says what is wrong
                raise UserError(Problem(_json_problem(exc, text), file=source, document=1)) from None
            json_error = _json_problem(exc, text)  # may still be YAML (a flow mapping); JSON's error if not
        except RecursionError:
            raise UserError(Problem("JSON nesting is too deep", file=source, document=1)) from None
        else:
            if deep:
                _check_depth(doc, source, 1)
            bad = _lone_surrogate(doc) if _SURROGATE_ESCAPE.search(text) else None
            if bad is not None:
                raise UserError(Problem(f"invalid JSON: a lone UTF-16 surrogate {bad[1]} in a string is not "
                                        "Unicode text", file=source, document=1, field=bad[0] or None,
                                        hint="escape a character outside the Basic Multilingual Plane as a "
                                             "surrogate pair, or write it as UTF-8"))
            yield 1, doc
            return
    loader = Loader(text)
    index = 0
    # Anchors need a '&': without one there is nothing to expand, skip the walk (hot path).
    may_alias = "&" in text
    try:
        while loader.check_node():
            index += 1
            node = loader.get_node()
            if node is None:
                continue
            if may_alias:
                try:
                    unique, expanded = _expanded_size(node)
                except _RecursiveAlias as exc:
                    mark = exc.node.start_mark
                    raise UserError(Problem(
                        f"line {mark.line + 1}, column {mark.column + 1}: an alias refers to the anchored collection "
                        "that contains it (a recursive alias); a Kubernetes object cannot contain itself",
                        file=source, document=index,
                        hint="an alias may only repeat a collection from outside it")) from None
                if expanded - unique > ALIAS_EXPANSION_BUDGET:
                    raise UserError(
                        Problem(
                            f"YAML aliases expand to {expanded:,} nodes (limit: {ALIAS_EXPANSION_BUDGET:,} "
                            "added by aliases); refusing a possible alias bomb",
                            file=source,
                            document=index,
                        )
                    )
            data = loader.construct_document(node)
            if data is None:
                continue
            if deep:
                _check_depth(data, source, index)
            yield index, data
    except yaml.YAMLError as exc:
        if json_error is not None:  # it looked like JSON and is not YAML either
            raise UserError(Problem(json_error, file=source, document=1)) from None
        raise UserError(Problem(f"invalid YAML: {_mark(exc)}", file=source, document=index or 1,
                                hint=_yaml_hint(exc, text))) from None
    except RecursionError:
        raise UserError(Problem("YAML nesting is too deep", file=source, document=index or 1)) from None
    finally:
        loader.dispose()


def count_nodes(text: str) -> int:
    """A cheap upper bound on the YAML nodes of ``text``, taken before parsing it: its line breaks,
    commas, colons and opening brackets. A node (a key, a value, a list, a mapping) needs one of
    them, nesting aside, which MAX_DEPTH bounds; what parsing costs follows the nodes
    (flink_gitops.render.budget has the figures)."""
    return text.count("\n") + text.count(",") + text.count(":") + text.count("[") + text.count("{") + 1


def load_documents(text: str, source: str) -> list[tuple[int, object]]:
    return list(iter_documents(text, source))


def dump_documents(docs: list[object]) -> str:
    """A YAML stream (``---`` separated), block style, key order kept, deterministic."""
    if not docs:
        return ""
    return yaml.dump_all(
        docs,
        Dumper=Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=1 << 16,
        explicit_start=True,
    )
