"""``flink-gitops health --cluster`` and ``flink-gitops wait``: live health for people and for CI.

Only argparse-level imports here: the ``kubernetes`` client is imported inside the handlers, so
building the parser (every command, ``render`` too) never loads it.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from flink_gitops.errors import UserError

MISSING = "Missing"  # Argo CD's word for a resource that does not exist (yet)


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


def _connect(args):
    from flink_gitops.cluster.config import connect

    return connect(args.kubeconfig, args.context)


def _note(command: str, text: str) -> None:
    print(f"flink-gitops {command}: {text}", file=sys.stderr)


def run_cluster_health(args) -> int:
    """``health --cluster``: list once, print exactly what file mode prints, same exit codes."""
    from flink_gitops.cluster.watcher import ListError, list_once
    from flink_gitops.flink import Located, kind_names
    from flink_gitops.health.cli import EXIT_NOT_HEALTHY, assess_rows, print_rows

    if args.all_namespaces and args.namespace:
        raise UserError("--namespace and --all-namespaces exclude each other")
    targets = parse_targets(args.files, need_name=False)
    cluster = _connect(args)
    namespaces = () if args.all_namespaces else tuple(dict.fromkeys(args.namespace or [cluster.namespace]))
    kinds = list(dict.fromkeys(t.kind for t in targets)) or None
    try:
        objects, absent = list_once(cluster.api_client, kinds, namespaces)
    except ListError as exc:
        raise UserError(f"{cluster.describe()}: {exc.kind}: {exc.cause}") from None
    if targets:
        wanted = {(t.kind, t.name) for t in targets}
        objects = [o for o in objects if (o["kind"], None) in wanted or (o["kind"], o["metadata"].get("name")) in wanted]
    order = {k: i for i, k in enumerate(kind_names())}
    objects.sort(key=lambda o: (o["metadata"].get("namespace", ""), order.get(o["kind"], 99),
                                o["metadata"].get("name", "")))
    where = "all namespaces" if not namespaces else "namespace " + ", ".join(namespaces)
    for kind in absent:
        _note("health", f"note: {kind} is not installed in {cluster.describe()} (no CustomResourceDefinition)")
    located = [Located(o, cluster.describe(), i + 1) for i, o in enumerate(objects)]
    rows, format_rows, exit_code = assess_rows(located, args)  # the same rows as file mode, either engine
    found = {(r["kind"], r["name"]) for r in rows}
    missing = [t for t in targets if t.name and (t.kind, t.name) not in found]
    for t in missing:
        _note("health", f"{t.kind}/{t.name} not found in {where} of {cluster.describe()}")
    if not rows:
        if not missing:
            _note("health", f"no Flink resources found in {where} of {cluster.describe()}")
            return 0
        return EXIT_NOT_HEALTHY
    print_rows(rows, args.output, format_rows)
    code = exit_code(rows)
    return EXIT_NOT_HEALTHY if missing and code == 0 else code


def register(sub) -> None:
    p = sub.add_parser(
        "wait",
        help="wait until Flink resources are Healthy (for CI after a sync)",
        description="Watch Flink resources in a cluster until all are Healthy (exit 0), one is Degraded (exit 1) "
        "or the timeout passes (exit 3; a resource that does not exist yet counts as not ready). Each status change "
        "is printed to stderr; the final health to stdout. Exit 2: bad input or the cluster cannot be reached.",
    )
    p.add_argument("targets", nargs="+", metavar="KIND/NAME",
                   help="e.g. flinkdep/orders, FlinkSessionJob/fraud, flinksnp/orders-savepoint-1")
    p.add_argument("-n", "--namespace", metavar="NS", help="the resources' namespace (default: the context's)")
    p.add_argument("--timeout", default="10m", help="give up after this long (default 10m; e.g. 90s, 1h)")
    p.add_argument("-o", "--output", choices=("table", "json"), default="table", help="output format (default: table)")
    add_connection_arguments(p)
    p.set_defaults(func=run_wait)


def _describe_status(rec, kind_state) -> tuple[str, str]:
    if rec is not None:
        return rec.status, rec.message
    if kind_state is not None and kind_state.state == "absent":
        return MISSING, "its CustomResourceDefinition is not installed"
    return MISSING, "not found"


def run_wait(args) -> int:
    """Watch the targets' kinds in one namespace until a verdict; no polling of the API."""
    from flink_gitops.cluster.reflector import Timeouts
    from flink_gitops.cluster.store import FAILING, PENDING, HealthStore
    from flink_gitops.cluster.watcher import Watcher

    targets = parse_targets(args.targets, need_name=True)
    timeout = parse_duration(args.timeout)
    cluster = _connect(args)
    namespace = args.namespace or cluster.namespace
    kinds = list(dict.fromkeys(t.kind for t in targets))
    store = HealthStore(kinds=kinds, namespaces=(namespace,))
    # a CRD installed while we wait is looked for every 5 s (a CI wait is short-lived)
    watcher = Watcher(cluster.api_client, store, namespaces=(namespace,), kinds=kinds,
                      timeouts=Timeouts(absent_retry=5.0))
    started = time.monotonic()
    deadline = started + timeout
    # --timeout 0 checks once: the first list still gets a fair chance to answer
    first_answer_by = deadline if timeout > 0 else started + 30.0
    shown: dict[Target, tuple[str, str]] = {}
    troubles: dict[str, str | None] = {}  # per kind, the reason its watch fails (noted once)
    watcher.start()
    try:
        version = store.version
        while True:
            states = store.kind_states()
            for kind in kinds:
                st = states[kind]
                if st.state == FAILING and (st.refused or not st.listed):
                    raise UserError(f"{cluster.describe()}: {kind}: {st.reason}")
                if st.state == FAILING and troubles.get(kind) != st.reason:  # a flap after the first list
                    _note("wait", f"{kind}: watch failing ({st.reason}); still waiting")
                troubles[kind] = st.reason if st.state == FAILING else None
            ready = all(states[k].state != PENDING for k in kinds)
            if ready:
                current = {t: _describe_status(store.get(namespace, t.kind, t.name), states[t.kind]) for t in targets}
                for t, (status, message) in current.items():
                    if shown.get(t) != (status, message):
                        _note("wait", f"{t.label(namespace)}: {status}" + (f": {message}" if message else ""))
                        shown[t] = (status, message)
                statuses = [s for s, _ in current.values()]
                if "Degraded" in statuses:
                    return _finish(current, namespace, args.output, 1)
                if all(s == "Healthy" for s in statuses):
                    return _finish(current, namespace, args.output, 0)
            now = time.monotonic()
            if not ready:
                if now >= first_answer_by:
                    raise UserError(f"{cluster.describe()}: no answer from the API server within "
                                    f"{max(timeout, 30.0) if timeout <= 0 else timeout:g}s")
                version = store.wait_for_change(version, first_answer_by - now)
                continue
            left = deadline - now
            if left <= 0:
                waiting = ", ".join(f"{t.label(namespace)} is {s}" for t, (s, _) in current.items() if s != "Healthy")
                _note("wait", f"timed out after {args.timeout}: {waiting}")
                return _finish(current, namespace, args.output, 3)
            version = store.wait_for_change(version, left)
    finally:
        watcher.stop()


def _finish(current: dict, namespace: str, output: str, code: int) -> int:
    rows = [{"kind": t.kind, "namespace": namespace, "name": t.name, "status": s, "message": m}
            for t, (s, m) in current.items()]
    from flink_gitops.health.cli import print_rows

    print_rows(rows, output)
    return code


__all__ = ["register", "add_cluster_arguments", "run_cluster_health", "wants_cluster", "run_wait", "parse_duration",
           "parse_targets"]
