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


def iter_documents(text: str, source: str) -> Iterator[tuple[int, object]]:
    """Yield (1-based document index, parsed document) for a YAML or JSON stream.

    Empty documents (``---`` with nothing after it) are skipped, as kubectl does.
    Raises :class:`UserError` naming the file and document on any syntax problem.
    """
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            doc = json.loads(text)
        except ValueError:
            pass  # not JSON after all (e.g. a YAML flow mapping); fall through to YAML
        except RecursionError:
            raise UserError(Problem("JSON nesting is too deep", file=source, document=1)) from None
        else:
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
            yield index, data
    except yaml.YAMLError as exc:
        raise UserError(Problem(f"invalid YAML: {_mark(exc)}", file=source, document=index or 1)) from None
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
