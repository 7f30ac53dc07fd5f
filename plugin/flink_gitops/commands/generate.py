"""``flink-gitops generate``: rewrite the generated files from their single source of truth."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("generate", help="write generated files (Lua, argocd-cm, docs)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    raise NotImplementedError
