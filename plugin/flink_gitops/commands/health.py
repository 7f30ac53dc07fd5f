"""``flink-gitops health``: what Argo CD (or Flux) will show for each Flink resource, and why.

Files, stdin, or a live cluster (``--cluster``, listed once); either way the verdicts come from
:mod:`flink_gitops.assess` and are printed the same way, with the same exit codes.
"""

from __future__ import annotations

import sys

from flink_gitops.assess import (EXIT_HEALTHY, EXIT_NOT_HEALTHY, assess, exit_code, no_flink_resources, print_verdicts,
                                 refuse_malformed_api_versions)
from flink_gitops.commands.cluster_options import (add_cluster_arguments, list_flink, note, parse_targets,
                                                   wants_cluster)
from flink_gitops.errors import UserError
from flink_gitops.flink import Located, kind_names


def register(sub) -> None:
    p = sub.add_parser(
        "health",
        help="assess the health of Flink resources as Argo CD would",
        description="Evaluate Flink resources from files, stdin or a live cluster (--cluster) with the generated "
        "Lua health checks in a reproduction of Argo CD's Lua sandbox, or with Flux's CEL checks (--engine flux). "
        "Exit code: 0 all Healthy, 1 any Degraded, 3 any other non-Healthy, 2 bad input or no cluster.",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="YAML/JSON files or folders; '-' or nothing reads stdin")
    p.add_argument("-o", "--output", choices=("table", "json"), default="table", help="output format (default: table)")
    p.add_argument(
        "--lua-libs",
        choices=("strict", "open"),
        default="strict",
        help="sandbox to reproduce: 'strict' = argocd-cm customization (default, how the bundle installs it); "
        "'open' = useOpenLibs / built-in script (operator errors shown as their JSON message)",
    )
    p.add_argument("--engine", choices=("argocd", "flux"), default="argocd",
                   help="whose decision to show: 'argocd' (default; the Lua in Argo CD's sandbox) or 'flux' (the CEL "
                   "healthCheckExprs under Flux's rules: Current/InProgress/Failed/Unknown; exit 0 Current, "
                   "1 Failed, 3 InProgress/Unknown). See docs/flux.md")
    p.add_argument("--why", action="store_true",
                   help="also show which rule of the decision table decided, and its rationale (docs/health.md)")
    add_cluster_arguments(p)
    p.set_defaults(func=run, parser=p)


def _assess(located, args):
    return assess(located, engine=args.engine, open_libs=args.lua_libs == "open", why=args.why)


def run(args) -> int:
    from flink_gitops.manifests import read_objects

    if wants_cluster(args):
        return run_cluster_health(args)

    if not args.files and sys.stdin.isatty():  # nothing piped in: say how to use it instead of waiting
        args.parser.print_usage(sys.stderr)
        raise UserError("give files or folders, or pipe objects in (kubectl get flinkdeployments -o yaml | "
                        "flink-gitops health -)")
    objs = read_objects(args.files)
    where = ", ".join("<stdin>" if f == "-" else f for f in args.files) or "<stdin>"
    if not objs:  # an empty List: `kubectl get ... -o yaml` on a namespace with nothing in it
        print(f"flink-gitops health: note: no objects in {where}; nothing to assess", file=sys.stderr)
        return EXIT_HEALTHY
    refuse_malformed_api_versions(objs)
    verdicts = _assess(objs, args)
    if not verdicts:
        raise no_flink_resources(where)
    skipped = len(objs) - len(verdicts)
    if skipped:
        print(f"flink-gitops health: skipped {skipped} object(s) that are not Flink resources", file=sys.stderr)
    print_verdicts(verdicts, args.output, args.engine, args.why)
    return exit_code(verdicts, args.engine)


def run_cluster_health(args) -> int:
    """``health --cluster``: list once, print exactly what file mode prints, same exit codes."""
    if args.all_namespaces and args.namespace:
        raise UserError("--namespace and --all-namespaces exclude each other")
    targets = parse_targets(args.files, need_name=False)
    kinds = list(dict.fromkeys(t.kind for t in targets)) or None
    cluster, namespaces, objects, absent, unreadable = list_flink(args, kinds)
    if targets:
        wanted = {(t.kind, t.name) for t in targets}
        objects = [o for o in objects if (o["kind"], None) in wanted or (o["kind"], o["metadata"].get("name")) in wanted]
    order = {k: i for i, k in enumerate(kind_names())}
    objects.sort(key=lambda o: (o["metadata"].get("namespace", ""), order.get(o["kind"], 99),
                                o["metadata"].get("name", "")))
    where = "all namespaces" if not namespaces else "namespace " + ", ".join(namespaces)
    for kind in absent:
        note("health", f"note: {kind} is not installed in {cluster.describe()} (no CustomResourceDefinition)")
    for line in unreadable:
        note("health", f"warning: {line} (cannot be read, left out)")
    # an unreadable object's health is unknown: no all-healthy exit code when it may be one asked for
    # (a named target it hides is reported missing anyway)
    unknown = bool(unreadable) and (not targets or any(t.name is None for t in targets))
    located = [Located(o, cluster.describe(), i + 1) for i, o in enumerate(objects)]
    verdicts = _assess(located, args)  # the same verdicts as file mode, either engine
    found = {(v.kind, v.name) for v in verdicts}
    missing = [t for t in targets if t.name and (t.kind, t.name) not in found]
    for t in missing:
        note("health", f"{t.kind}/{t.name} not found in {where} of {cluster.describe()}")
    if not verdicts:
        if not missing and not unknown:
            note("health", f"no Flink resources found in {where} of {cluster.describe()}")
            return EXIT_HEALTHY
        return EXIT_NOT_HEALTHY
    print_verdicts(verdicts, args.output, args.engine, args.why)
    code = exit_code(verdicts, args.engine)
    return EXIT_NOT_HEALTHY if (missing or unknown) and code == EXIT_HEALTHY else code


__all__ = ["register", "run", "run_cluster_health"]
