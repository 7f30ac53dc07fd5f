"""``flink-gitops plan``: what the Flink operator will do to each job when the desired objects sync, and whether its state survives.

Desired objects from app folders or manifests; live objects from ``--live FILE|-`` or the cluster
(``--cluster``, listed once, read-only, as ``health --cluster``); the operator's configuration from
``--operator-config``. The decisions come from :mod:`flink_gitops.plan`; exit code 0 when no job's
state is lost or at risk, 1 when any is, 2 for bad input.
"""

from __future__ import annotations

import gc
import os
import sys

from flink_gitops.commands.cluster_options import add_connection_arguments, list_flink, note
from flink_gitops.errors import UserError


def register(sub) -> None:
    p = sub.add_parser(
        "plan",
        help="predict what the Flink operator does to each job when a change syncs, and whether its state survives",
        description="Compare desired Flink resources (app folders, rendered by the plugin, or manifests) with the "
        "live ones (--live FILE or -, or --cluster) and decide, as the operator's source does, what a sync changes, "
        "the operator's diff type, what happens to each job (scale in place, savepoint, last-state, stateless, "
        "suspend, resume, blocked, ...) and whether its state is kept, lost or at risk. See docs/plan.md. "
        "Exit code: 0 no job's state lost or at risk, 1 some is, 2 bad input or no cluster.",
    )
    p.add_argument("desired", nargs="+", metavar="DESIRED",
                   help="app folders (rendered with the plugin's pipeline first) or manifest files; - reads stdin")
    src = p.add_argument_group("live objects (one of)")
    src.add_argument("--live", metavar="FILE", help="live objects: kubectl get ... -o yaml output (a List or a "
                     "stream), a folder of them, or - for stdin")
    src.add_argument("--cluster", action="store_true", help="read the live Flink resources from the cluster "
                     "(read-only: list, never watch or write)")
    g = p.add_argument_group("live cluster")
    g.add_argument("-n", "--namespace", action="append", default=[], metavar="NS",
                   help="namespace to read (repeatable; default: the context's namespace); the first is also the "
                   "namespace of desired objects that name none")
    g.add_argument("-A", "--all-namespaces", action="store_true", help="read every namespace")
    add_connection_arguments(g)
    p.add_argument("--operator-config", metavar="FILE",
                   help="the operator's defaultConfiguration (flink-conf.yaml lines, nested config.yaml, JSON, or "
                   "its ConfigMap); a resource's flinkConfiguration overrides it. Default: the operator's defaults")
    p.add_argument("-o", "--output", choices=("table", "json", "markdown"), default="table",
                   help="table (default), json, or markdown for a pull-request comment")
    p.set_defaults(func=run, parser=p)


def _check_arguments(args) -> None:
    if bool(args.live) == bool(args.cluster):
        raise UserError("give the live objects with exactly one of --live FILE (or -) and --cluster")
    if args.desired.count("-") + (args.live == "-") > 1:
        raise UserError("stdin (-) can be read once: give the desired objects or the live ones as files")
    if not args.cluster:
        used = [flag for flag, value in (("--all-namespaces", args.all_namespaces), ("--kubeconfig", args.kubeconfig),
                                         ("--context", args.context)) if value]
        if used:
            raise UserError(f"{', '.join(used)} only apply with --cluster")
    if args.all_namespaces and args.namespace:
        raise UserError("--namespace and --all-namespaces exclude each other")


def _live_from_cluster(args):
    """Every Flink resource of the namespaces asked, listed once (``cluster.watcher.list_once``), as Located objects."""
    from flink_gitops.flink import Located

    cluster, namespaces, objects, absent, unreadable = list_flink(args)
    if unreadable:  # planning without it would call its desired twin a create: refuse rather than mislead
        raise UserError([f"{cluster.describe()}: {line} (cannot be read; plan needs every live object)"
                         for line in unreadable])
    for kind in absent:
        note("plan", f"note: {kind} is not installed in {cluster.describe()} (no CustomResourceDefinition)")
    located = [Located(o, cluster.describe(), i + 1) for i, o in enumerate(objects)]
    default_ns = namespaces[0] if namespaces else cluster.namespace
    return located, default_ns


def run(args) -> int:
    # Reading and deciding allocate many small objects and no cycles: the collector would only re-walk
    # a growing heap, so it is paused for this one short process (as render_text does).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(args)
    finally:
        if was_enabled:
            gc.enable()


def _run(args) -> int:
    from flink_gitops.plan.engine import plan
    from flink_gitops.plan.inputs import read_desired, read_live, read_operator_config
    from flink_gitops.plan.output import FORMATS, exit_code

    _check_arguments(args)
    operator = read_operator_config(args.operator_config) if args.operator_config else {}
    desired = read_desired(args.desired, os.environ, lambda text: note("plan", text))
    if args.cluster:
        live, default_ns = _live_from_cluster(args)
    else:
        live = read_live(args.live)
        default_ns = args.namespace[0] if args.namespace else "default"
    decisions = plan(desired, live, operator, args.operator_config or "operator configuration", default_ns)
    if not decisions:
        note("plan", "no Flink resources in the desired or live objects; nothing to plan")
        return 0
    sys.stdout.write(FORMATS[args.output](decisions))
    return exit_code(decisions)


__all__ = ["register", "run"]
