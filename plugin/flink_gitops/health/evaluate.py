"""The Python back end of the decision tables: evaluates a table on a live object.

Value semantics are Lua's (see :mod:`.model`), so this agrees with the generated Lua byte
for byte; ``string_lib`` says whether the Lua side would have its ``string`` library, which
only changes how operator errors are shown.
"""

from __future__ import annotations

import math

from flink_gitops.flink import group_of
from flink_gitops.health.model import (
    ERROR_TEXT_LIMIT,
    All,
    Any_,
    Cond,
    Eq,
    ErrorText,
    In,
    IsTable,
    Less,
    Not,
    Opt,
    Present,
    Table,
    Val,
)
from flink_gitops.health.tables import TABLES


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _read(obj, path: str):
    value = obj
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def read_fields(table: Table, obj) -> dict:
    values = {}
    for f in table.fields:
        value = None
        for path in f.paths:
            candidate = _read(obj, path)
            if f.text:
                if isinstance(candidate, str) and candidate != "":
                    value = candidate
                    break
            elif candidate is not None:
                value = candidate
                break
        if isinstance(value, int) and not isinstance(value, bool):
            value = _as_double(value)  # Lua numbers are doubles: compare and print as Lua would
        values[f.name] = value
    return values


def _as_double(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _lua_eq(a, b) -> bool:
    if isinstance(b, bool):
        return a is b
    if isinstance(b, str):
        return isinstance(a, str) and a == b
    return _is_number(a) and a == b


def holds(cond: Cond, v: dict) -> bool:
    if isinstance(cond, Eq):
        return _lua_eq(v[cond.field], cond.value)
    if isinstance(cond, In):
        value = v[cond.field]
        return isinstance(value, str) and value in cond.values
    if isinstance(cond, Present):
        return v[cond.field] is not None
    if isinstance(cond, IsTable):
        return isinstance(v[cond.field], (dict, list))
    if isinstance(cond, Less):
        a, b = v[cond.left], v[cond.right]
        return _is_number(a) and _is_number(b) and a < b
    if isinstance(cond, All):
        return all(holds(c, v) for c in cond.conds)
    if isinstance(cond, Any_):
        return any(holds(c, v) for c in cond.conds)
    if isinstance(cond, Not):
        return not holds(cond.cond, v)
    raise TypeError(cond)


def lua_tostring(value) -> str:
    """What the generated Lua's ``show()`` prints for a value."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if _is_number(value):
        return "%.14g" % value
    return "?"  # a table: Lua would print an address, which is useless to a user


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", '"': '"', "\\": "\\", "/": "/"}


def _json_message(text: str) -> str | None:
    """The ``message`` member of the operator's JSON error, scanned exactly as the Lua does."""
    if not text.lstrip(" \t\r\n").startswith("{"):
        return None
    key = text.find('"message"')
    while key != -1:
        i = key + len('"message"')
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i < len(text) and text[i] == ":":
            i += 1
            while i < len(text) and text[i] in " \t\r\n":
                i += 1
            if i < len(text) and text[i] == '"':
                break
        key = text.find('"message"', key + 1)
    else:
        return None
    i += 1
    out = []
    while i < len(text):
        c = text[i]
        if c == '"':
            return "".join(out)
        if c == "\\":
            n = text[i + 1 : i + 2]
            if n in _ESCAPES:
                out.append(_ESCAPES[n])
                i += 2
            elif n == "u":
                out.append(text[i : i + 6])  # kept as written: no UTF-8 encoder without libraries
                i += 6
            else:
                out.append(n)
                i += 2
            continue
        out.append(c)
        i += 1
    return None  # unterminated: show the raw text


def error_text(text: str, string_lib: bool) -> str:
    if not string_lib:
        return text
    message = _json_message(text)
    if message:
        text = message
    raw = text.encode("utf-8")
    if len(raw) > ERROR_TEXT_LIMIT:
        n = ERROR_TEXT_LIMIT
        while n > 0 and 0x80 <= raw[n] <= 0xBF:  # do not cut a UTF-8 sequence in half
            n -= 1
        text = raw[:n].decode("utf-8") + "..."
    return text


def format_message(parts: tuple, v: dict, string_lib: bool) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Val):
            out.append(lua_tostring(v[part.field]))
        elif isinstance(part, ErrorText):
            value = v[part.field]
            out.append(error_text(value, string_lib) if isinstance(value, str) else lua_tostring(value))
        elif isinstance(part, Opt):
            if v[part.field] is not None:
                out.append(format_message(part.parts, v, string_lib))
        else:
            raise TypeError(part)
    return "".join(out)


def decide(table: Table, obj, string_lib: bool = False) -> tuple[str, str, str]:
    """(status, message, rule name) for ``obj``."""
    v = read_fields(table, obj if isinstance(obj, dict) else {})
    for rule in table.rules:
        if holds(rule.when, v):
            return rule.status, format_message(rule.message, v, string_lib), rule.name
    raise AssertionError(f"{table.kind}: the last rule must always match")


def evaluate(obj, string_lib: bool = False) -> dict | None:
    """Health of a Flink resource as ``{"status", "message"}``; None for other kinds."""
    kind = obj.get("kind") if isinstance(obj, dict) else None
    table = TABLES.get(kind) if isinstance(kind, str) else None
    if table is None or group_of(obj) != table.group:
        return None
    status, message, _ = decide(table, obj, string_lib)
    return {"status": status, "message": message}
