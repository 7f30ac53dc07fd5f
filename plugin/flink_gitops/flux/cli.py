"""``flink-gitops health --engine flux``: what Flux's health check decides for each Flink resource, and why.

flink_gitops.health.cli reads the objects and prints; this module decides the rows."""

from __future__ import annotations

from flink_gitops.flink import Located

EXIT_CURRENT, EXIT_FAILED, EXIT_WAITING = 0, 1, 3
_HEADER = ("KIND", "NAMESPACE", "NAME", "FLUX", "DECIDED-BY", "MESSAGE")


def assess_all(objs: list[Located]) -> list[dict]:
    from flink_gitops.errors import UserError
    from flink_gitops.flink import API_GROUP, is_flink
    from flink_gitops.flux.celgen import all_health_check_exprs
    from flink_gitops.flux.evaluate import CelEngine, entry_for, evaluate
    from flink_gitops.health.evaluate import decide
    from flink_gitops.health.tables import TABLES

    entries = all_health_check_exprs()
    engine = CelEngine()
    rows = []
    for loc in objs:
        obj = loc.obj
        if not is_flink(obj):
            continue
        entry = entry_for(obj, entries)
        if entry is None:
            # Only an apiVersion that is not GROUP/VERSION gets here; the API server refuses it.
            raise UserError(loc.problem(f"{obj.get('apiVersion')!r} is not {API_GROUP}/VERSION, so no "
                                        "Flux health check matches it", "apiVersion"))
        result = evaluate(entry, obj, engine)
        table_status, message, rule = decide(TABLES[obj["kind"]], obj)
        if result.decided_by == "observedGeneration":
            message = (f"status.observedGeneration {obj['status']['observedGeneration']} differs from "
                       f"metadata.generation {obj['metadata']['generation']}: Flux waits before any expression runs"
                       f" (the table says {table_status}: {message})")
        elif result.status == "Unknown":
            message = f"{result.error}; Flux keeps waiting until the timeout"
        elif result.decided_by == "none":
            message = f"no expression holds ({message})"
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        rows.append({
            "kind": obj["kind"],
            "namespace": meta.get("namespace") if isinstance(meta.get("namespace"), str) else "",
            "name": meta.get("name") if isinstance(meta.get("name"), str) else "",
            "status": result.status,
            "decidedBy": result.decided_by,
            # The rule inside the expression that held; the pre-check and errors come before any rule.
            "rule": rule if result.decided_by in ("inProgress", "failed", "current", "none") and not result.error
            else "",
            "message": message,
        })
    return rows


def exit_code(rows: list[dict]) -> int:
    statuses = {r["status"] for r in rows}
    if "Failed" in statuses:
        return EXIT_FAILED
    return EXIT_WAITING if statuses - {"Current"} else EXIT_CURRENT


def format_table(rows: list[dict]) -> str:
    cells = [_HEADER] + [(r["kind"], r["namespace"] or "-", r["name"] or "-", r["status"],
                          r["decidedBy"] + (f" [{r['rule']}]" if r["rule"] else ""), r["message"]) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(5)) + "  " + c[5].replace("\n", " ") for c in cells]
    return "\n".join(line.rstrip() for line in lines) + "\n"
