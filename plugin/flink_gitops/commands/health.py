"""``flink-gitops health``: evaluate Flink resources with the generated Lua in Argo CD's sandbox."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "health",
        help="assess the health of Flink resources as Argo CD would",
        description="Evaluate Flink resources with the generated Lua health checks in a reproduction of "
        "Argo CD's Lua sandbox. Exit code: 0 all Healthy, 1 any Degraded, 3 any other non-Healthy, 2 bad input.",
    )
    from flink_gitops.health.cli import add_arguments

    add_arguments(p)
    from flink_gitops.cluster.cli import add_cluster_arguments

    add_cluster_arguments(p)
    p.set_defaults(func=_run)


def _run(args) -> int:
    from flink_gitops.cluster.cli import run_cluster_health, wants_cluster
    from flink_gitops.health.cli import run

    if wants_cluster(args):
        return run_cluster_health(args)

    return run(args)
