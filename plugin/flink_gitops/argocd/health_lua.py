"""Compile the decision tables to the Lua that Argo CD runs.

Output follows Argo CD's ``resource_customizations/<group>/<Kind>/`` layout: ``health.lua``,
``health_test.yaml`` and ``testdata/``. The script is written for the *strict* sandbox of
argocd-cm customizations (Lua 5.1; base, table, package and a safe os only): fields are read
once into locals with a type check at every step (so no object shape can make it raise), and
the rules become a flat chain of ``if`` statements. The ``string`` library, when present
(built-in scripts, ``useOpenLibs``), is used only to show the ``message`` inside the
operator's JSON errors; it never changes a decision.
"""

from __future__ import annotations

import textwrap

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
    fields_of,
    message_fields,
)

SOURCE = "plugin/flink_gitops/health/tables/"


def lua_string(s: str) -> str:
    """``s`` as a Lua 5.1 string literal (the one escaper: health scripts and resource actions)."""
    out = ['"']
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 32:
            out.append("\\%03d" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _ident(path: str) -> str:
    return "t_" + path.replace(".", "_")


def _var(name: str) -> str:
    return "f_" + name


_SHOW = """\
-- How a value appears in a message: strings as they are, never a table address.
local function show(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" or t == "boolean" then return tostring(v) end
  if v == nil then return "none" end
  return "?"
end
"""

_ERROR_TEXT = """\
-- With the string library, show the "message" member of the operator's JSON error, cut to
-- {limit} bytes on a UTF-8 boundary; without it, the raw text (nothing can look inside it).
local function error_text(v)
  if type(v) ~= "string" then return show(v) end
  if not has_string then return v end
  local text = v
  if string.find(v, "^[ \\t\\r\\n]*{{") then
    local init = 1
    while true do
      local k, e = string.find(v, '"message"', init, true)
      if not k then break end
      local _, q = string.find(v, '^[ \\t\\r\\n]*:[ \\t\\r\\n]*"', e + 1)
      if q then
        local parts, j, n, closed = {{}}, q + 1, #v, false
        while j <= n do
          local s = string.find(v, '["\\\\]', j)
          if not s then break end
          parts[#parts + 1] = string.sub(v, j, s - 1)
          if string.sub(v, s, s) == '"' then
            closed = true
            break
          end
          local c = string.sub(v, s + 1, s + 1)
          j = s + 2
          if c == "n" then c = "\\n"
          elseif c == "t" then c = "\\t"
          elseif c == "r" then c = "\\r"
          elseif c == "b" then c = "\\b"
          elseif c == "f" then c = "\\f"
          elseif c == "u" then
            c = string.sub(v, s, s + 5)
            j = s + 6
          end
          parts[#parts + 1] = c
        end
        local message = table.concat(parts)
        if closed and message ~= "" then text = message end
        break
      end
      init = k + 1
    end
  end
  if #text > {limit} then
    local cut = {limit}
    while cut > 0 do
      local b = string.byte(text, cut + 1)
      if b >= 128 and b <= 191 then cut = cut - 1 else break end
    end
    text = string.sub(text, 1, cut) .. "..."
  end
  return text
end
""".format(limit=ERROR_TEXT_LIMIT)


def compile_cond(cond: Cond) -> str:
    if isinstance(cond, Eq):
        value = cond.value
        lit = ("true" if value else "false") if isinstance(value, bool) else lua_string(value)
        return f"{_var(cond.field)} == {lit}"
    if isinstance(cond, In):
        return "(" + " or ".join(f"{_var(cond.field)} == {lua_string(v)}" for v in cond.values) + ")"
    if isinstance(cond, Present):
        return f"{_var(cond.field)} ~= nil"
    if isinstance(cond, IsTable):
        return f'type({_var(cond.field)}) == "table"'
    if isinstance(cond, Less):
        a, b = _var(cond.left), _var(cond.right)
        return f'(type({a}) == "number" and type({b}) == "number" and {a} < {b})'
    if isinstance(cond, All):
        if not cond.conds:
            return "true"
        return "(" + " and ".join(compile_cond(c) for c in cond.conds) + ")"
    if isinstance(cond, Any_):
        return "(" + " or ".join(compile_cond(c) for c in cond.conds) + ")"
    if isinstance(cond, Not):
        inner = cond.cond
        if isinstance(inner, Present):
            return f"{_var(inner.field)} == nil"
        if isinstance(inner, IsTable):
            return f'type({_var(inner.field)}) ~= "table"'
        return f"not {compile_cond(inner)}" if isinstance(inner, (All, Any_, In, Less)) else f"not ({compile_cond(inner)})"
    raise TypeError(cond)


def compile_message(parts: tuple) -> str:
    pieces = []
    for part in parts:
        if isinstance(part, str):
            pieces.append(lua_string(part))
        elif isinstance(part, Val):
            pieces.append(f"show({_var(part.field)})")
        elif isinstance(part, ErrorText):
            pieces.append(f"error_text({_var(part.field)})")
        elif isinstance(part, Opt):
            pieces.append(f"({_var(part.field)} ~= nil and ({compile_message(part.parts)}) or \"\")")
        else:
            raise TypeError(part)
    return " .. ".join(pieces) if pieces else '""'


def _comment(text: str, indent: str = "") -> list[str]:
    return [indent + "-- " + line for line in textwrap.wrap(text, 96 - len(indent))]


def compile_table(table: Table) -> str:
    used = set()
    for rule in table.rules:
        used |= fields_of(rule.when) | message_fields(rule.message)
    fields = [f for f in table.fields if f.name in used]
    uses_error_text = any("error_text(" in compile_message(r.message) for r in table.rules)

    lines = [
        f"-- GENERATED by flink-gitops from the {table.kind} health decision table. Do not edit:",
        f"-- change {SOURCE} and run `flink-gitops generate lua`.",
        "-- Runs in Argo CD's argocd-cm sandbox (Lua 5.1; no string or math library needed).",
        "-- Rules are tried in order; the first that holds decides. docs/health.md explains each.",
        "",
    ]
    if uses_error_text:
        lines.append('local has_string = type(string) == "table" and type(string.find) == "function"'
                     ' and type(string.sub) == "function" and type(string.byte) == "function"')
        lines.append("")
    lines.append(_SHOW)
    if uses_error_text:
        lines.append(_ERROR_TEXT)

    # Read every field once. Each step is type-checked, so no object shape makes this raise.
    lines.append("-- Fields (every step checked: a string or list where a map belongs reads as nil)")
    lines.append("local root = obj")
    lines.append('if type(root) ~= "table" then root = nil end')
    declared = {"": "root"}

    def table_var(prefix: str) -> str:
        if prefix in declared:
            return declared[prefix]
        parent, _, key = prefix.rpartition(".")
        pvar = table_var(parent)
        var = _ident(prefix)
        lines.append(f"local {var} = {pvar} and {pvar}[{lua_string(key)}]")
        lines.append(f'if type({var}) ~= "table" then {var} = nil end')
        declared[prefix] = var
        return var

    for f in fields:
        var = _var(f.name)
        first = True
        for path in f.paths:
            parent, _, key = path.rpartition(".")
            pvar = table_var(parent)
            read = f"{pvar} and {pvar}[{lua_string(key)}]"
            if first:
                lines.append(f"local {var} = {read}")
            else:
                guard = f'type({var}) ~= "string" or {var} == ""' if f.text else f"{var} == nil"
                lines.append(f"if {guard} then {var} = {read} end")
            first = False
        if f.text:
            lines.append(f'if type({var}) ~= "string" or {var} == "" then {var} = nil end')
    lines.append("")

    for i, rule in enumerate(table.rules):
        ret = f'return {{status = {lua_string(rule.status)}, message = {compile_message(rule.message)}}}'
        lines.append(f"-- [{rule.name}] -> {rule.status}")
        lines.extend(_comment(rule.why))
        last = i == len(table.rules) - 1
        if last:
            if rule.when != All(()):
                raise ValueError(f"{table.kind}: the last rule must hold unconditionally")
            lines.append(ret)
        else:
            lines.append(f"if {compile_cond(rule.when)} then")
            lines.append("  " + ret)
            lines.append("end")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def health_script_path(table: Table) -> str:
    return f"lua/{table.group}/{table.kind}/health.lua"


def generate_health_files() -> dict[str, str]:
    """Repo-relative path -> text of every generated health script."""
    from flink_gitops.health.tables import TABLES

    return {health_script_path(t): compile_table(t) for t in TABLES.values()}
