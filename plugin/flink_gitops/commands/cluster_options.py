"""Live-cluster options shared by ``health --cluster``, ``wait`` and ``plan --cluster``: targets, durations,
connection flags, one list of the cluster.

Only argparse-level imports: the ``kubernetes`` client is imported by :func:`connect`, inside a
handler, so building the parser (every command, ``render`` too) never loads it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from flink_gitops.errors import UserError


@dataclass(frozen=True)
class Target:
    kind: str  # the kind, e.g. FlinkDeployment
    name: str | None

    def label(self, namespace: str) -> str:
        return f"{self.kind} {namespace}/{self.name}"


def parse_targets(texts, need_name: bool) -> list[Target]:
    """``KIND[/NAME]`` arguments, KIND as kubectl reads it (kind, plural, singular, short name)."""
    from flink_gitops.flink import kinds, resolve_kind

    targets, problems = [], []
    for text in texts:
        kind_text, _, name = text.partition("/")
        kind = resolve_kind(kind_text) if kind_text else None
        if kind is None:
            known = "; ".join(", ".join((k.kind,) + k.aliases[1:]) for k in kinds())
            problems.append(f"{text}: {kind_text or '(empty)'} is not a Flink kind (one of: {known})")
        elif need_name and not name:
            problems.append(f"{text}: give the resource as KIND/NAME, e.g. {kind.short_names[0] if kind.short_names else kind.singular}/my-app")
        elif "/" in name:
            problems.append(f"{text}: expected KIND/NAME")
        else:
            target = Target(kind.kind, name or None)
            if target not in targets:
                targets.append(target)
    if problems:
        raise UserError(problems)
    return targets


def parse_duration(text: str) -> float:
    """Seconds in ``--timeout``: ``90``, ``30s``, ``10m``, ``1h30m``, ``500ms`` (kubectl's forms), at most a week."""
    from flink_gitops.quantities import parse_duration as parse

    return parse(text, "--timeout")


def add_connection_arguments(p) -> None:
    p.add_argument("--kubeconfig", metavar="FILE",
                   help="kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config, then the pod's service account)")
    p.add_argument("--context", metavar="NAME", help="kubeconfig context to use (default: its current-context)")


def add_cluster_arguments(p) -> None:
    """``health``'s live-cluster options."""
    g = p.add_argument_group("live cluster")
    g.add_argument("--cluster", action="store_true",
                   help="assess the live objects of a cluster instead of files; the positional arguments are then "
                   "KIND or KIND/NAME (e.g. flinkdep/orders); none means every Flink kind")
    g.add_argument("-n", "--namespace", action="append", default=[], metavar="NS",
                   help="namespace to read (repeatable; default: the context's namespace)")
    g.add_argument("-A", "--all-namespaces", action="store_true", help="read every namespace")
    add_connection_arguments(g)


def wants_cluster(args) -> bool:
    """True for ``health --cluster``; cluster-only options without ``--cluster`` are bad input."""
    if args.cluster:
        return True
    used = [flag for flag, value in (("--namespace", args.namespace), ("--all-namespaces", args.all_namespaces),
                                     ("--kubeconfig", args.kubeconfig), ("--context", args.context)) if value]
    if used:
        raise UserError(f"{', '.join(used)} only apply with --cluster")
    return False


def connect(args):
    from flink_gitops.cluster.config import connect

    return connect(args.kubeconfig, args.context)


def list_flink(args, kinds=None):
    """One list of ``kinds`` (None: every Flink kind) in the namespaces asked (``-n``, ``-A``, else the context's),
    as ``health --cluster`` and ``plan --cluster`` read a cluster. Returns (cluster, namespaces, objects, absent
    kinds, unreadable items); a list that fails is one error line naming the cluster."""
    from flink_gitops.cluster.watcher import ListError, list_once

    cluster = connect(args)
    namespaces = () if args.all_namespaces else tuple(dict.fromkeys(args.namespace or [cluster.namespace]))
    unreadable: list[str] = []
    try:
        objects, absent = list_once(cluster.api_client, kinds, namespaces, skipped=unreadable)
    except ListError as exc:
        raise UserError(f"{cluster.describe()}: {exc.kind}: {exc.cause}") from None
    return cluster, namespaces, objects, absent, unreadable


def note(command: str, text: str) -> None:
    print(f"flink-gitops {command}: {text}", file=sys.stderr)
