"""``flink-gitops health``: what Argo CD will show for each Flink resource, and why."""

from __future__ import annotations

import json
import sys

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import API_GROUP, is_flink, kind_names

# Bad input exits 2, like every command (flink_gitops.cli.main turns a UserError into 2).
EXIT_HEALTHY, EXIT_DEGRADED, EXIT_NOT_HEALTHY = 0, 1, 3


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
    from flink_gitops.cluster.cli import add_cluster_arguments  # argparse only; the client loads on use

    add_cluster_arguments(p)
    p.set_defaults(func=run, parser=p)


def _explain(obj: dict) -> dict:
    from flink_gitops.health.evaluate import decide
    from flink_gitops.health.tables import TABLES

    table = TABLES[obj["kind"]]
    _, _, name = decide(table, obj)
    rule = next(r for r in table.rules if r.name == name)
    return {"rule": name, "why": rule.why}


def assess_all(objs, open_libs: bool = False, why: bool = False) -> list[dict]:
    from flink_gitops.argocd.health_scripts import shown_health
    from flink_gitops.argocd.sandbox import LuaSandbox

    box = LuaSandbox.for_thread(open_libs=open_libs)
    rows = []
    for loc in objs:
        obj = loc.obj
        if not is_flink(obj):
            continue
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        status, message = shown_health(obj, box)
        row = {
            "kind": obj["kind"],
            "namespace": meta.get("namespace") if isinstance(meta.get("namespace"), str) else "",
            "name": meta.get("name") if isinstance(meta.get("name"), str) else "",
            "status": status,
            "message": message,
        }
        if why:  # the Python evaluator agrees with the Lua (tests prove it) and knows rule names
            row.update(_explain(obj))
        rows.append(row)
    return rows


def exit_code(rows: list[dict]) -> int:
    statuses = {r["status"] for r in rows}
    if "Degraded" in statuses:
        return EXIT_DEGRADED
    if statuses - {"Healthy"}:
        return EXIT_NOT_HEALTHY
    return EXIT_HEALTHY


def format_table(rows: list[dict]) -> str:
    header = ("KIND", "NAMESPACE", "NAME", "HEALTH", "MESSAGE")
    cells = [header] + [(r["kind"], r["namespace"] or "-", r["name"] or "-", r["status"], r["message"]) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]
    lines = []
    for n, c in enumerate(cells):
        lines.append("  ".join(c[i].ljust(widths[i]) for i in range(4)) + "  " + c[4].replace("\n", " "))
        if n and "rule" in rows[n - 1]:
            lines.append(f"    rule {rows[n - 1]['rule']}: {rows[n - 1]['why']}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def assess_rows(objs, args):
    """(rows, table formatter, exit code of rows) for ``--engine``: Argo CD's Lua (default) or Flux's CEL."""
    if args.engine == "flux":  # Flux's CEL checks and rules (docs/flux.md)
        from flink_gitops.flux import cli as flux

        return flux.assess_all(objs), flux.format_table, flux.exit_code
    return assess_all(objs, open_libs=args.lua_libs == "open", why=args.why), format_table, exit_code


def print_rows(rows: list[dict], output: str, format_rows=format_table) -> None:
    """The rows on stdout, as JSON or as the table ``format_rows`` lays out."""
    if output == "json":
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(format_rows(rows))


def _refuse_malformed_api_versions(objs) -> None:
    """An apiVersion that starts with the operator's group but is not GROUP/VERSION: the API server
    refuses it, and neither Argo CD nor Flux would apply a health check. Say so instead of skipping it."""
    from flink_gitops.flink import in_api_group

    problems = [loc.problem(f"{loc.obj['apiVersion']!r} is not {API_GROUP}/VERSION, so no health check "
                            "(Argo CD's or Flux's) matches it", "apiVersion")
                for loc in objs
                if isinstance(loc.obj.get("apiVersion"), str) and loc.obj["apiVersion"].split("/", 1)[0] == API_GROUP
                and not in_api_group(loc.obj)]
    if problems:
        raise UserError(problems)


def run(args) -> int:
    from flink_gitops.cluster.cli import run_cluster_health, wants_cluster
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
    _refuse_malformed_api_versions(objs)
    rows, format_rows, code_of = assess_rows(objs, args)
    if not rows:
        raise UserError(Problem(f"no {API_GROUP} resources found (kinds: {', '.join(kind_names())})", file=where))
    skipped = len(objs) - len(rows)
    if skipped:
        print(f"flink-gitops health: skipped {skipped} object(s) that are not Flink resources", file=sys.stderr)
    print_rows(rows, args.output, format_rows)
    return code_of(rows)


__all__ = ["register", "run", "assess_all", "assess_rows", "print_rows", "exit_code"]
