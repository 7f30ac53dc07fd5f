"""The assessment layer: one :class:`Verdict` per Flink resource, whatever the engine, and what every front end shares.

Engines decide: ``argocd`` runs the Lua compiled from the tables in a reproduction of Argo CD's
sandbox (what Argo CD will show, a script error included); ``flux`` runs the generated CEL under
Flux's rules. The Python evaluator names the rule that decided. Every front end (``health`` on
files or a cluster, ``wait``, the live cache, the HTTP API) gets its verdicts, rows, table, JSON
and exit code here, so they cannot drift apart. Engines are imported when first used: the
render path never loads lupa or the CEL engine through this module.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Callable, Iterable

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import API_GROUP, Located, is_flink, kind_names, names_api_group, in_api_group
from flink_gitops.health.status import ARGOCD, DONE, FAILED_STATUS, FLUX, SEVERITY, UNKNOWN

#: Exit codes of every command that reports health (``health``, ``health --cluster``, ``wait``).
EXIT_HEALTHY = 0  # all Healthy (Flux: Current)
EXIT_DEGRADED = 1  # any Degraded (Flux: Failed)
EXIT_BAD_INPUT = 2  # bad input, no cluster: nothing was assessed
EXIT_NOT_HEALTHY = 3  # any other status (Progressing, Suspended, Unknown, Missing; Flux: InProgress, Unknown)
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
EXIT_BROKEN_PIPE = 1  # the reader went away (``| head``)

ENGINES = (ARGOCD, FLUX)


@dataclass(frozen=True)
class Verdict:
    """One Flink resource's health as an engine decided it, and which rule of its table decided."""

    kind: str
    namespace: str
    name: str
    status: str  # health.status: Argo CD's statuses, or Flux's for engine "flux"
    message: str
    rule: str = ""  # the table rule that decided ("" where none did: Flux's pre-check, an evaluation error)
    engine: str = ARGOCD
    decided_by: str = ""  # flux: the expression that held (observedGeneration, inProgress, failed, current, none)
    why: str = ""  # the rule's rationale (health --why)

    def row(self, why: bool = False) -> dict:
        """The JSON row ``health -o json`` prints (and the API's evaluate returns)."""
        if self.engine == FLUX:
            return {"kind": self.kind, "namespace": self.namespace, "name": self.name, "status": self.status,
                    "decidedBy": self.decided_by, "rule": self.rule, "message": self.message}
        row = {"kind": self.kind, "namespace": self.namespace, "name": self.name, "status": self.status,
               "message": self.message}
        if why:
            row.update(rule=self.rule, why=self.why)
        return row


def identity(obj: dict) -> tuple[str, str]:
    """(namespace, name) of an object, ``""`` for what is missing or not text."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    ns, name = meta.get("namespace"), meta.get("name")
    return (ns if isinstance(ns, str) else "", name if isinstance(name, str) else "")


def statuses() -> tuple[str, ...]:
    """Every status the tables can decide, plus Unknown (a script error), worst first."""
    from flink_gitops.health.tables import TABLES

    decided = {rule.status for table in TABLES.values() for rule in table.rules} | {UNKNOWN}
    return tuple(s for s in SEVERITY if s in decided)


# --- engines ------------------------------------------------------------------------------------


def rule_doc(kind: str, rule: str) -> str:
    """The one-line explanation of ``kind``'s rule ``rule`` (its ``why``, as docs/health.md shows it);
    "" for a rule the tables do not have (none decided: an evaluation error)."""
    from flink_gitops.health.tables import TABLES

    table = TABLES.get(kind)
    return next((r.why for r in table.rules if r.name == rule), "") if table is not None and rule else ""


def _rule_of(obj: dict) -> tuple[str, str]:
    """(rule name, its rationale) from the Python evaluator, which agrees with the Lua (tests prove it)."""
    from flink_gitops.health.evaluate import decide
    from flink_gitops.health.tables import TABLES

    _, _, name = decide(TABLES[obj["kind"]], obj)
    return name, rule_doc(obj["kind"], name)


def evaluator(open_libs: bool = False) -> Callable[[dict], Verdict]:
    """``obj -> Verdict`` by Argo CD's engine, the rule always named: what the live cache stores.

    Thread-safe: each calling thread gets its own Lua runtime."""
    from flink_gitops.argocd.health_scripts import shown_health
    from flink_gitops.argocd.sandbox import LuaSandbox
    from flink_gitops.health.evaluate import decide
    from flink_gitops.health.tables import TABLES

    def evaluate(obj: dict) -> Verdict:
        _, _, rule = decide(TABLES[obj["kind"]], obj)
        status, message = shown_health(obj, LuaSandbox.for_thread(open_libs=open_libs))
        return Verdict(obj["kind"], *identity(obj), status, message, rule)

    return evaluate


def _assess_argocd(objs: list[dict], open_libs: bool, why: bool) -> list[Verdict]:
    from flink_gitops.argocd.health_scripts import shown_health
    from flink_gitops.argocd.sandbox import LuaSandbox

    box = LuaSandbox.for_thread(open_libs=open_libs)
    out = []
    for obj in objs:
        status, message = shown_health(obj, box)
        rule, rationale = _rule_of(obj) if why else ("", "")
        out.append(Verdict(obj["kind"], *identity(obj), status, message, rule, why=rationale))
    return out


def _assess_flux(located: list[Located]) -> list[Verdict]:
    from flink_gitops.flux.health_cel import all_health_check_exprs
    from flink_gitops.flux.evaluate import CelEngine, entry_for, evaluate
    from flink_gitops.health.evaluate import decide
    from flink_gitops.health.tables import TABLES

    entries = all_health_check_exprs()
    engine = CelEngine()
    out = []
    for loc in located:
        obj = loc.obj
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
        elif result.status == UNKNOWN:
            message = f"{result.error}; Flux keeps waiting until the timeout"
        elif result.decided_by == "none":
            message = f"no expression holds ({message})"
        # The rule inside the expression that held; the pre-check and errors come before any rule.
        decided_rule = rule if result.decided_by in ("inProgress", "failed", "current", "none") and not result.error \
            else ""
        out.append(Verdict(obj["kind"], *identity(obj), result.status, message, decided_rule, FLUX,
                           result.decided_by))
    return out


def assess(located: Iterable[Located], engine: str = ARGOCD, open_libs: bool = False,
           why: bool = False) -> list[Verdict]:
    """A verdict for each Flink resource in ``located`` (other objects are skipped), in input order.

    ``open_libs``: Argo CD's sandbox with the standard libraries (a built-in script) instead of an
    argocd-cm customization's; ``why``: name the deciding rule and its rationale (Argo CD's engine;
    Flux's always names it)."""
    flink = [loc for loc in located if is_flink(loc.obj)]
    if engine == FLUX:
        return _assess_flux(flink)
    return _assess_argocd([loc.obj for loc in flink], open_libs, why)


def refuse_malformed_api_versions(located: Iterable[Located]) -> None:
    """An apiVersion that starts with the operator's group but is not GROUP/VERSION: the API server
    refuses it, and neither Argo CD nor Flux would apply a health check. Say so instead of skipping it."""
    problems = [loc.problem(f"{loc.obj['apiVersion']!r} is not {API_GROUP}/VERSION, so no health check "
                            "(Argo CD's or Flux's) matches it", "apiVersion")
                for loc in located if names_api_group(loc.obj.get("apiVersion")) and not in_api_group(loc.obj)]
    if problems:
        raise UserError(problems)


def no_flink_resources(where: str) -> UserError:
    return UserError(Problem(f"no {API_GROUP} resources found (kinds: {', '.join(kind_names())})", file=where))


# --- what front ends print ------------------------------------------------------------------------


def exit_code(verdicts: Iterable[Verdict], engine: str = ARGOCD) -> int:
    """:data:`EXIT_DEGRADED` if any failed, :data:`EXIT_NOT_HEALTHY` if any is not done, else :data:`EXIT_HEALTHY`."""
    found = {v.status for v in verdicts}
    if FAILED_STATUS[engine] in found:
        return EXIT_DEGRADED
    return EXIT_NOT_HEALTHY if found - {DONE[engine]} else EXIT_HEALTHY


def _columns(cells: list[tuple[str, ...]]) -> list[str]:
    """Every column but the last padded to its width; the last (a message) on one line."""
    n = len(cells[0]) - 1
    widths = [max(len(c[i]) for c in cells) for i in range(n)]
    return ["  ".join(c[i].ljust(widths[i]) for i in range(n)) + "  " + c[n].replace("\n", " ") for c in cells]


def format_table(verdicts: list[Verdict], engine: str = ARGOCD, why: bool = False) -> str:
    """The table ``health`` prints: Argo CD's columns (and each rule under its row with ``why``), or Flux's."""
    if engine == FLUX:
        cells = [("KIND", "NAMESPACE", "NAME", "FLUX", "DECIDED-BY", "MESSAGE")] + [
            (v.kind, v.namespace or "-", v.name or "-", v.status,
             v.decided_by + (f" [{v.rule}]" if v.rule else ""), v.message) for v in verdicts]
        lines = _columns(cells)
    else:
        cells = [("KIND", "NAMESPACE", "NAME", "HEALTH", "MESSAGE")] + [
            (v.kind, v.namespace or "-", v.name or "-", v.status, v.message) for v in verdicts]
        lines = []
        for n, line in enumerate(_columns(cells)):
            lines.append(line)
            if n and why:
                lines.append(f"    rule {verdicts[n - 1].rule}: {verdicts[n - 1].why}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def print_verdicts(verdicts: list[Verdict], output: str, engine: str = ARGOCD, why: bool = False) -> None:
    """The verdicts on stdout, as JSON rows or as the table."""
    if output == "json":
        sys.stdout.write(json.dumps([v.row(why) for v in verdicts], indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(format_table(verdicts, engine, why))


__all__ = ["Verdict", "assess", "evaluator", "exit_code", "format_table", "print_verdicts", "statuses",
           "rule_doc", "identity", "refuse_malformed_api_versions", "no_flink_resources", "ENGINES", "EXIT_HEALTHY",
           "EXIT_DEGRADED", "EXIT_BAD_INPUT", "EXIT_NOT_HEALTHY", "EXIT_INTERRUPTED", "EXIT_BROKEN_PIPE"]
