"""``flink-gitops wait``: watch Flink resources until they are Healthy, one is Degraded, or time runs out (CI after a sync)."""

from __future__ import annotations

import time

from flink_gitops.assess import EXIT_DEGRADED, EXIT_HEALTHY, EXIT_NOT_HEALTHY, Verdict, print_verdicts
from flink_gitops.commands.cluster_options import (Target, add_connection_arguments, connect, note,
                                                   parse_duration, parse_targets)
from flink_gitops.errors import UserError
from flink_gitops.health.status import DEGRADED, HEALTHY, MISSING


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
    cluster = connect(args)
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
                    note("wait", f"{kind}: watch failing ({st.reason}); still waiting")
                troubles[kind] = st.reason if st.state == FAILING else None
            ready = all(states[k].state != PENDING for k in kinds)
            if ready:
                current = {t: _describe_status(store.get(namespace, t.kind, t.name), states[t.kind]) for t in targets}
                for t, (status, message) in current.items():
                    if shown.get(t) != (status, message):
                        note("wait", f"{t.label(namespace)}: {status}" + (f": {message}" if message else ""))
                        shown[t] = (status, message)
                statuses = [s for s, _ in current.values()]
                if DEGRADED in statuses:
                    return _finish(current, namespace, args.output, EXIT_DEGRADED)
                if all(s == HEALTHY for s in statuses):
                    return _finish(current, namespace, args.output, EXIT_HEALTHY)
            now = time.monotonic()
            if not ready:
                if now >= first_answer_by:
                    raise UserError(f"{cluster.describe()}: no answer from the API server within "
                                    f"{max(timeout, 30.0) if timeout <= 0 else timeout:g}s")
                version = store.wait_for_change(version, first_answer_by - now)
                continue
            left = deadline - now
            if left <= 0:
                waiting = ", ".join(f"{t.label(namespace)} is {s}" for t, (s, _) in current.items() if s != HEALTHY)
                note("wait", f"timed out after {args.timeout}: {waiting}")
                return _finish(current, namespace, args.output, EXIT_NOT_HEALTHY)
            version = store.wait_for_change(version, left)
    finally:
        watcher.stop()


def _finish(current: dict, namespace: str, output: str, code: int) -> int:
    rows = [Verdict(t.kind, namespace, t.name, s, m) for t, (s, m) in current.items()]
    print_verdicts(rows, output)
    return code


__all__ = ["register", "run_wait"]
