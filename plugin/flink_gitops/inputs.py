"""Read Kubernetes objects from files, folders or stdin (YAML or JSON, multi-document, Lists)."""

from __future__ import annotations

import sys
from pathlib import Path

from flink_gitops.errors import Located, Problem, UserError
from flink_gitops.yamlio import iter_documents

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 16 * 1024 * 1024


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
    """Every object in ``args``; ``List`` kinds are flattened. Raises UserError, never partial."""
    out: list[Located] = []
    problems: list[Problem] = []
    for arg in args or ["-"]:
        for name, path in _expand(arg):
            try:
                if path is None:
                    text = sys.stdin.read()
                else:
                    if path.stat().st_size > MAX_FILE_BYTES:
                        raise UserError(Problem(f"file is larger than {MAX_FILE_BYTES // 2**20} MiB", file=name))
                    text = path.read_text(encoding="utf-8")
                for index, doc in iter_documents(text, name):
                    if not isinstance(doc, dict):
                        problems.append(Problem("expected a Kubernetes object (a mapping)", file=name, document=index))
                        continue
                    if doc.get("kind") == "List" or (
                        isinstance(doc.get("kind"), str) and doc["kind"].endswith("List") and isinstance(doc.get("items"), list)
                    ):
                        for i, item in enumerate(doc.get("items") or []):
                            if isinstance(item, dict):
                                out.append(Located(item, name, index, item=i))
                            else:
                                problems.append(Problem(f"List item {i + 1} is not an object", file=name, document=index))
                        continue
                    out.append(Located(doc, name, index))
            except UnicodeDecodeError:
                problems.append(Problem("not UTF-8 text", file=name))
            except UserError as exc:
                problems.extend(exc.problems)
            except OSError as exc:
                problems.append(Problem(exc.strerror or str(exc), file=name))
    if problems:
        raise UserError(problems)
    return out
