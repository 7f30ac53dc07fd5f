"""Objects for ``flink-gitops health``: from files, folders (recursively) or stdin."""

from __future__ import annotations

import sys
from pathlib import Path

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import Located
from flink_gitops.manifests import objects_from_text, read_text

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MAX_INPUT_BYTES = 16 * 1024 * 1024


def _expand(arg: str) -> list[tuple[str, Path | None]]:
    if arg == "-":
        return [("<stdin>", None)]
    path = Path(arg)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in MANIFEST_SUFFIXES)
        return [(str(p), p) for p in files]
    if not path.exists():
        raise UserError(Problem("no such file or directory", file=arg))
    return [(arg, path)]


def read_objects(args: list[str]) -> list[Located]:
    """Every object in ``args`` (``List`` kinds flattened). Raises UserError with every problem."""
    out: list[Located] = []
    problems: list[Problem] = []
    for arg in args or ["-"]:
        try:
            sources = _expand(arg)
        except UserError as exc:
            problems.extend(exc.problems)
            continue
        for name, path in sources:
            try:
                text = sys.stdin.read() if path is None else read_text(str(path), name, MAX_INPUT_BYTES)
                out.extend(objects_from_text(text, name, applicable=False))  # health needs no name
            except UserError as exc:  # keep going: report every broken file at once
                problems.extend(exc.problems)
    if problems:
        raise UserError(problems)
    return out
