"""Compile the health decision tables to the CEL ``healthCheckExprs`` Flux evaluates.

Flux (fluxcd/pkg ``runtime/cel``) only *parses* these expressions, never type-checks them, and
binds the object's top-level keys as variables. Any missing key or wrong type met on the way is
an evaluation error, which makes the resource Unknown until the Kustomization times out. So
every read below a top-level key is guarded with ``has()`` and ``type(...)`` checks, in the
order CEL evaluates them; only a missing top-level key itself (``has(status)`` does not parse)
cannot be guarded.

Each table is an ordered decision list; ``current`` holds when the first matching rule is
Healthy, ``failed`` when it is Degraded (see :func:`health_check_exprs` for ``inProgress``).
The list compiles to nested ``||``/``&&`` (each rule's condition appears once), so ``failed``
and ``current`` are mutually exclusive by construction.
"""

from __future__ import annotations

import re

from flink_gitops.health.status import CURRENT, FAILED, FLUX_STATUS_OF, IN_PROGRESS
from flink_gitops.health.model import All, Any_, Cond, Eq, Field, In, IsTable, Less, Not, Present, Table

#: Which table statuses each Flux expression stands for (each maps to the expression's Flux status).
EXPRESSION_STATUSES = {
    "inProgress": tuple(s for s, f in FLUX_STATUS_OF.items() if f == IN_PROGRESS),
    "failed": tuple(s for s, f in FLUX_STATUS_OF.items() if f == FAILED),
    "current": tuple(s for s, f in FLUX_STATUS_OF.items() if f == CURRENT),
}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# CEL's reserved words cannot be selected with `.`; none of the operator's keys is one.
_RESERVED = {"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
             "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"}
_NUMBER = ("int", "uint", "double")


def cel_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _keys(path: str) -> list[str]:
    keys = path.split(".")
    for key in keys:
        if not _IDENT.fullmatch(key) or key in _RESERVED:
            raise ValueError(f"{path}: {key!r} cannot be selected in CEL")
    return keys


def _reach(path: str) -> tuple[list[str], str]:
    """(guards, expression): the guards make selecting ``expression`` safe, then test it exists."""
    keys = _keys(path)
    guards, expr = [], keys[0]
    for key in keys[1:]:
        guards += [f"type({expr}) == map", f"has({expr}.{key})"]
        expr = f"{expr}.{key}"
    return guards, expr


def _valid(field: Field, path: str, typed: bool = False) -> tuple[list[str], str]:
    """Guards that hold when ``path`` carries the field's value (present, not null; text: non-empty).
    ``typed``: the caller tests the value's type itself, which already rules out null."""
    guards, expr = _reach(path)
    if field.text:
        return guards + [f"type({expr}) == string", f'{expr} != ""'], expr
    return guards + ([] if typed else [f"type({expr}) != null_type"]), expr


def _join(parts: list[str], op: str) -> str:
    return parts[0] if len(parts) == 1 else "(" + f" {op} ".join(parts) + ")"


def _on_field(field: Field, test) -> str:
    """``test(expr)`` on the field's value: the first path that carries one decides (as the evaluator reads)."""
    alternatives, earlier_invalid = [], []
    for path in field.paths:
        own = test("\0")
        guards, expr = _valid(field, path, typed=bool(own) and not field.text)
        alternatives.append(_join(earlier_invalid + guards + ([own.replace("\0", expr)] if own else []), "&&"))
        earlier_invalid.append("!" + _join(_valid(field, path)[0], "&&"))
    return _join(alternatives, "||")


def compile_cond(table: Table, cond: Cond) -> str:
    """A CEL boolean that never errors once the top-level keys exist."""
    if isinstance(cond, Eq):
        f = table.field(cond.field)
        if isinstance(cond.value, bool):
            lit = "true" if cond.value else "false"
            return _on_field(f, lambda e: f"type({e}) == bool && {e} == {lit}")
        return _on_field(f, lambda e: f"type({e}) == string && {e} == {cel_string(cond.value)}")
    if isinstance(cond, In):
        values = ", ".join(cel_string(v) for v in cond.values)
        return _on_field(table.field(cond.field), lambda e: f"type({e}) == string && {e} in [{values}]")
    if isinstance(cond, Present):
        return _on_field(table.field(cond.field), lambda e: "")
    if isinstance(cond, IsTable):
        return _on_field(table.field(cond.field), lambda e: f"(type({e}) == map || type({e}) == list)")
    if isinstance(cond, Less):
        left, right = table.field(cond.left), table.field(cond.right)
        if len(left.paths) != 1 or len(right.paths) != 1:
            raise ValueError(f"{table.kind}: Less needs single-path fields")
        lg, le = _valid(left, left.paths[0], typed=True)
        rg, re_ = _valid(right, right.paths[0], typed=True)
        numeric = [_join([f"type({e}) == {t}" for t in _NUMBER], "||") for e in (le, re_)]
        # Flux enables CrossTypeNumericComparisons: an int compares with a double as numbers.
        return _join(lg + rg + numeric + [f"{le} < {re_}"], "&&")
    if isinstance(cond, All):
        return "true" if not cond.conds else _join([compile_cond(table, c) for c in cond.conds], "&&")
    if isinstance(cond, Any_):
        return _join([compile_cond(table, c) for c in cond.conds], "||")
    if isinstance(cond, Not):
        inner = compile_cond(table, cond.cond)
        return "!" + (inner if inner.startswith("(") and _balanced(inner) else f"({inner})")
    raise TypeError(cond)


def _balanced(text: str) -> bool:
    """True when the opening parenthesis of ``text`` closes at its very end."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return i == len(text) - 1
    return False


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.split("\n"))


def _run_block(table: Table, run: list) -> str:
    """The rules of ``run`` or'ed, one per line, each after a comment naming it."""
    lines = []
    for i, rule in enumerate(run):
        lines.append(f"// {rule.name} ({rule.status})")
        lines.append(compile_cond(table, rule.when) + (" ||" if i < len(run) - 1 else ""))
    return "\n".join(lines)


def compile_expression(table: Table, rules: list, statuses: tuple[str, ...]) -> str:
    """True exactly when the first of ``rules`` that holds has a status in ``statuses``
    (the last rule must hold unconditionally)."""
    if rules[-1].when != All(()):
        raise ValueError(f"{table.kind}: the last rule must hold unconditionally")
    # Runs of consecutive rules with the same outcome; the unconditional last run is the tail.
    runs: list[tuple[bool, list]] = []
    for rule in rules:
        hit = rule.status in statuses
        if runs and runs[-1][0] == hit:
            runs[-1][1].append(rule)
        else:
            runs.append((hit, [rule]))
    tail = "true" if runs.pop()[0] else "false"
    for hit, run in reversed(runs):
        body = _run_block(table, run)
        if hit:
            block = body if len(run) == 1 else "(\n" + _indent(body) + "\n)"
            tail = block if tail == "false" else f"{block} ||\n{tail}"
        else:
            negated = "!(\n" + _indent(body) + "\n)"
            tail = negated if tail == "true" else f"{negated} && (\n{_indent(tail)}\n)"
    return tail


def leading_in_progress(table: Table) -> list:
    """The rules before the first Healthy or Degraded one: what ``inProgress`` decides alone."""
    out = []
    for rule in table.rules:
        if rule.status not in EXPRESSION_STATUSES["inProgress"]:
            break
        out.append(rule)
    return out


def health_check_exprs(table: Table) -> dict[str, str]:
    """One ``spec.healthCheckExprs`` entry for the table's kind.

    Flux evaluates inProgress, failed, current in that order. ``inProgress`` holds for the rules
    that come before any Healthy or Degraded one (being deleted, not reconciled yet); ``failed``
    and ``current`` are the rest of the table, so each stays short and the two exclude each
    other; whatever neither claims is InProgress, Flux's answer when no expression holds.
    """
    from flink_gitops.flink import API_VERSION

    leading = leading_in_progress(table)
    rest = list(table.rules[len(leading):])
    entry = {"apiVersion": f"{table.group}/{API_VERSION}", "kind": table.kind}
    if leading:
        entry["inProgress"] = _run_block(table, leading)
    entry["failed"] = compile_expression(table, rest, EXPRESSION_STATUSES["failed"])
    entry["current"] = compile_expression(table, rest, EXPRESSION_STATUSES["current"])
    return entry


def all_health_check_exprs() -> list[dict[str, str]]:
    from flink_gitops.health.tables import TABLES

    return [health_check_exprs(t) for t in TABLES.values()]
