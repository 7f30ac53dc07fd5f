"""``flink-gitops health``: evaluate Flink resources with the generated Lua in Argo CD's sandbox."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("health", help="assess the health of Flink resources as Argo CD would")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from flink_gitops.health.cli import run

    return run(args)
