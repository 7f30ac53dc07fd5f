"""YAML/JSON in and out, safely and fast.

* libyaml's C loader and dumper only (the pure-Python ones are ~10x slower).
* Timestamps stay strings, as they do when Kubernetes and Argo CD read YAML: re-dumping a
  parsed ``datetime`` would silently change the text of the manifest.
* Duplicate mapping keys are an error: PyYAML would keep the last one and silently drop data.
* An alias budget refuses "billion laughs" documents, while ordinary anchors keep working.

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


def _expanded_size(root: yaml.Node) -> tuple[int, int]:
    """(unique nodes, nodes once every alias is expanded), memoised per node."""
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
            continue
        memo[key] = 0  # placeholder; a cycle (recursive alias) counts as 0 here
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


def _json_problem(exc: json.JSONDecodeError) -> str:
    return f"invalid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"


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
    json_error: json.JSONDecodeError | None = None
    deep = _may_be_deep(text)
    if stripped[:1] in ("{", "["):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            if source.endswith(".json"):  # a .json file is JSON: its own error says what is wrong
                raise UserError(Problem(_json_problem(exc), file=source, document=1)) from None
            json_error = exc  # may still be YAML (a flow mapping); report JSON's error if it is not
        except RecursionError:
            raise UserError(Problem("JSON nesting is too deep", file=source, document=1)) from None
        else:
            if deep:
                _check_depth(doc, source, 1)
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
                unique, expanded = _expanded_size(node)
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
            raise UserError(Problem(_json_problem(json_error), file=source, document=1)) from None
        raise UserError(Problem(f"invalid YAML: {_mark(exc)}", file=source, document=index or 1,
                                hint=_yaml_hint(exc, text))) from None
    except RecursionError:
        raise UserError(Problem("YAML nesting is too deep", file=source, document=index or 1)) from None
    finally:
        loader.dispose()


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
