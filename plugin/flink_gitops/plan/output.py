"""How ``plan`` prints its decisions: a table (default), JSON, or Markdown for a pull-request comment; and its exit code.

Everything printed from the inputs (names, paths, values in reasons) is escaped for Markdown, so
a resource name cannot break the comment's table or inject markup.
"""

from __future__ import annotations

import json
import re

from flink_gitops.plan.model import Decision

EXIT_SAFE = 0  # no job's state is lost or at risk
EXIT_STATE_AT_RISK = 1  # some job's state is lost or at risk
COLUMNS = ("KIND", "NAMESPACE", "NAME", "CHANGE", "DIFF", "UPGRADE", "STATE")


def exit_code(decisions: list[Decision]) -> int:
    return EXIT_STATE_AT_RISK if any(d.alarming for d in decisions) else EXIT_SAFE


def to_json(decisions: list[Decision]) -> str:
    return json.dumps({"resources": [d.row() for d in decisions]}, indent=2, ensure_ascii=False) + "\n"


def _cells(d: Decision) -> tuple[str, ...]:
    return (d.kind, d.namespace, d.name, d.change, d.diff or "-", d.upgrade, d.state)


def to_table(decisions: list[Decision]) -> str:
    rows = [COLUMNS] + [_cells(d) for d in decisions]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if i:
            d = decisions[i - 1]
            for f in d.fields:
                lines.append(f"    {f.path}: {f.diff}")
            for r in d.reasons:
                lines.append(f"    - {r}")
    return "\n".join(lines) + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#+!|<>~])")


def md(text: str) -> str:
    """Markdown-escaped text on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def summary(decisions: list[Decision]) -> str:
    lost = sum(d.state == "lost" for d in decisions)
    risk = sum(d.state == "at-risk" for d in decisions)
    changed = sum(d.change != "unchanged" for d in decisions)
    if lost or risk:
        head = f"**{lost} job(s) lose their state, {risk} at risk**"
    else:
        head = "No job loses its state"
    return f"{head}; {changed} of {len(decisions)} Flink resource(s) change."


def to_markdown(decisions: list[Decision]) -> str:
    out = ["### flink-gitops plan", "", summary(decisions), ""]
    out.append("| Kind | Namespace | Name | Change | Diff | Upgrade | State |")
    out.append("|---|---|---|---|---|---|---|")
    for d in decisions:
        state = f"**{d.state}**" if d.alarming else d.state
        out.append("| " + " | ".join(md(c) for c in _cells(d)[:6]) + f" | {state} |")
    details = [d for d in decisions if d.reasons or d.fields]
    if details:
        out.append("")
    for d in details:
        out.append(f"<details><summary>{md(d.kind)} {md(d.namespace)}/{md(d.name)}: {md(d.upgrade)}, "
                   f"state {md(d.state)}</summary>")
        out.append("")
        for f in d.fields:
            out.append(f"- `{f.path.replace('`', '')}`: {md(f.diff)}")
        for r in d.reasons:
            out.append(f"- {md(r)}")
        out.append("")
        out.append("</details>")
    return "\n".join(out) + "\n"


FORMATS = {"table": to_table, "json": to_json, "markdown": to_markdown}
