"""``flink-gitops render``: placeholder wired by the plugin issue (see flink_gitops.render)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("render", help="render an app folder for Argo CD (config-management plugin)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from flink_gitops.render.cli import run

    return run(args)
