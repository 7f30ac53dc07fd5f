"""The vocabulary of the health decision tables: fields, conditions, messages, rules.

A table is data. Four back ends read it and must agree: the Python evaluator (:mod:`.evaluate`),
the docs generator (:mod:`.docs`), and the compilers beside the engines they target: Lua for Argo
CD (:mod:`flink_gitops.argocd.health_lua`) and CEL for Flux (:mod:`flink_gitops.flux.health_cel`).
The vocabulary is deliberately tiny so that every condition compiles to a flat chain of
comparisons in Lua 5.1 *without* the ``string`` or ``math`` libraries.

Value semantics follow Lua (the strictest back end): a field is read by walking tables;
anything that is not a table on the way makes the field ``nil``; equality never converts
types (``"1" ~= 1``, ``1 ~= true``).
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from flink_gitops.health.status import ARGOCD_STATUSES

# --- fields -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A named value read from the object.

    ``paths`` are dotted paths tried in order; the first *present* value wins (for old
    operator versions that kept a value elsewhere). ``text`` fields count as present only
    when they are non-empty strings. ``values`` lists the enum values the operator writes;
    the table must give each one an explicit answer (a test checks this).
    """

    name: str
    paths: tuple[str, ...]
    text: bool = False
    values: tuple[str, ...] = ()
    doc: str = ""


# --- conditions ---------------------------------------------------------------------------


class Cond:
    def __and__(self, other: "Cond") -> "All":
        return All((self, other))

    def __or__(self, other: "Cond") -> "Any_":
        return Any_((self, other))

    def __invert__(self) -> "Not":
        return Not(self)


@dataclass(frozen=True)
class Eq(Cond):
    field: str
    value: str | bool


@dataclass(frozen=True)
class In(Cond):
    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Present(Cond):
    """The field is not nil (for ``text`` fields: a non-empty string)."""

    field: str


@dataclass(frozen=True)
class IsTable(Cond):
    field: str


@dataclass(frozen=True)
class Less(Cond):
    """Both fields are numbers and ``left < right``; false otherwise (never an error)."""

    left: str
    right: str


@dataclass(frozen=True)
class All(Cond):
    conds: tuple[Cond, ...]


@dataclass(frozen=True)
class Any_(Cond):
    conds: tuple[Cond, ...]


@dataclass(frozen=True)
class Not(Cond):
    cond: Cond


TRUE = All(())


def absent(name: str) -> Not:
    return Not(Present(name))


def all_absent(*names: str) -> All:
    return All(tuple(absent(n) for n in names))


# --- messages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Val:
    """The value of a field, shown like Lua's tostring (numbers as ``%.14g``); nil as ``none``."""

    field: str


@dataclass(frozen=True)
class ErrorText:
    """An operator error. With Lua's ``string`` library present, the ``message`` member of
    the JSON the operator writes, cut to :data:`ERROR_TEXT_LIMIT` bytes; otherwise the raw
    text (without ``string`` a script cannot look inside a string)."""

    field: str


@dataclass(frozen=True)
class Opt:
    """Parts shown only when ``field`` is present."""

    field: str
    parts: tuple


ERROR_TEXT_LIMIT = 200


@dataclass(frozen=True)
class Rule:
    name: str
    when: Cond
    status: str  # one of health.status.ARGOCD_STATUSES (checked here, so a typo fails at import)
    message: tuple  # parts: str | Val | ErrorText | Opt
    why: str

    def __post_init__(self):
        if self.status not in ARGOCD_STATUSES:
            raise ValueError(f"rule {self.name!r}: {self.status!r} is not one of {', '.join(ARGOCD_STATUSES)}")


@dataclass(frozen=True)
class Table:
    kind: str
    group: str
    fields: tuple[Field, ...]
    rules: tuple[Rule, ...]
    doc: str = ""
    field_index: dict = dc_field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        self.field_index.update({f.name: f for f in self.fields})

    def field(self, name: str) -> Field:
        return self.field_index[name]


def fields_of(cond: Cond) -> set[str]:
    if isinstance(cond, (Eq, In, Present, IsTable)):
        return {cond.field}
    if isinstance(cond, Less):
        return {cond.left, cond.right}
    if isinstance(cond, (All, Any_)):
        return set().union(*(fields_of(c) for c in cond.conds)) if cond.conds else set()
    if isinstance(cond, Not):
        return fields_of(cond.cond)
    raise TypeError(cond)


def values_of(cond: Cond, name: str) -> set:
    """Enum values of field ``name`` that ``cond`` mentions."""
    if isinstance(cond, Eq):
        return {cond.value} if cond.field == name else set()
    if isinstance(cond, In):
        return set(cond.values) if cond.field == name else set()
    if isinstance(cond, (All, Any_)):
        return set().union(*(values_of(c, name) for c in cond.conds)) if cond.conds else set()
    if isinstance(cond, Not):
        return values_of(cond.cond, name)
    return set()


def message_fields(parts: tuple) -> set[str]:
    out: set[str] = set()
    for part in parts:
        if isinstance(part, (Val, ErrorText)):
            out.add(part.field)
        elif isinstance(part, Opt):
            out.add(part.field)
            out |= message_fields(part.parts)
    return out
