"""A Lua 5.1 runner that reproduces the sandbox Argo CD runs health checks and actions in.

Argo CD (``util/lua/lua.go``) runs scripts in gopher-lua, a Lua 5.1 VM:

* ``argocd-cm`` customizations run with the standard libraries *skipped*: only ``base``,
  ``package``, ``table`` and a safe ``os`` (``time``/``date`` only). No ``string``, ``math``,
  ``io``, ``debug`` or ``coroutine``; strings have no metatable, so ``s:find()`` raises.
* Built-in scripts and ``useOpenLibs: true`` customizations get every library, but ``os``
  is still replaced by the safe one.
* The object is the global ``obj``, decoded from JSON (maps and arrays become tables, arrays
  1-based, numbers are floats, ``null`` is nil). A script has one second.
* The returned table is JSON-encoded and read back as ``{status, message}``; a status outside
  the six Argo CD knows becomes ``Unknown`` / "Lua returned an invalid health status".

We run real Lua 5.1 (lupa's ``lua51`` runtime), one runtime per library mode, in which the
global table *is* the sandbox: what the script can reach is exactly what Argo CD gives it.
Deviation, on purpose: ``dofile``/``loadfile`` exist (as in gopher-lua) but refuse to read
files, and ``print`` writes to :attr:`LuaSandbox.printed` instead of stdout.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from lupa import lua51

from flink_gitops.health.status import ARGOCD_STATUSES, UNKNOWN

INVALID_HEALTH_STATUS = "Lua returned an invalid health status"
TIME_LIMIT_SECONDS = 1.0

# Runs once per runtime, with the full standard library still present. It keeps private
# references to what the runner itself needs (hook, clock, loadstring), then strips the
# globals down to what Argo CD's VM has. Returns the runner's private functions.
_BOOTSTRAP = r"""
local open_libs = ...
local sethook, clock, loadstring, pcall, error = debug.sethook, os.clock, loadstring, pcall, error
local setmetatable_raw = debug.setmetatable
local G = _G

-- Argo CD's safe os: only time() and date(), for both library modes. A test may freeze "now"
-- (set_frozen_time) so that a script deriving a name from the clock gives a known answer.
local real_time, real_date = os.time, os.date
local frozen = nil
local safe_os = {
  time = function(...)
    if select("#", ...) == 0 and frozen then return frozen end
    return real_time(...)
  end,
  date = function(format, t, ...)
    if t == nil and frozen then t = frozen end
    if t == nil then return real_date(format) end
    return real_date(format, t, ...)
  end,
}
local function set_frozen_time(t) frozen = t end
G.os = safe_os
package.loaded.os = safe_os
package.preload.os = function() return safe_os end

if not open_libs then
  for _, name in ipairs({ "string", "math", "io", "debug", "coroutine" }) do
    G[name] = nil
    package.loaded[name] = nil
  end
  -- gopher-lua gives strings a metatable only when the string library is opened.
  setmetatable_raw("", nil)
else
  G.io = G.io and { write = function() end } or nil  -- no file access from a script
  package.loaded.io = G.io
  G.debug = nil
  package.loaded.debug = nil
end
-- require() finds only what is already loaded or preloaded, never a file.
package.path, package.cpath = "", ""
if package.loaders then
  package.loaders = { package.loaders[1] }
end
G.dofile = function() error("dofile is not available in the Argo CD sandbox", 2) end
G.loadfile = function() return nil, "loadfile is not available in the Argo CD sandbox" end
G._GOPHER_LUA_VERSION = "GopherLua (reproduced by flink-gitops)"

local printed = {}
G.print = function(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end
  printed[#printed + 1] = table.concat(parts, "\t")
end

local function compile(source, name)
  local fn, err = loadstring(source, "=" .. name)
  return fn, err  -- always two values, so the caller always gets a pair
end

local function run(fn, limit)
  local deadline = clock() + limit
  sethook(function()
    if clock() > deadline then
      sethook()
      error("context deadline exceeded (script ran longer than " .. limit .. "s)", 0)
    end
  end, "", 1000)
  local ok, result = pcall(fn)
  sethook()
  return ok, result
end

local function take_printed()
  local out = printed
  printed = {}
  return out
end

return compile, run, take_printed, set_frozen_time
"""


class LuaScriptError(Exception):
    """The script failed to compile, raised, timed out or returned something Argo CD rejects."""


@dataclass(frozen=True)
class HealthResult:
    status: str
    message: str = ""

    def as_dict(self) -> dict:
        return {"status": self.status, "message": self.message}


class LuaSandbox:
    """One Lua 5.1 runtime set up like Argo CD's VM. Compile scripts once, run them often.

    A runtime is not thread-safe; :meth:`for_thread` hands each thread its own.
    """

    def __init__(self, open_libs: bool = False, time_limit: float = TIME_LIMIT_SECONDS,
                 frozen_time: int | None = None):
        """``frozen_time``: epoch seconds ``os.time()`` and ``os.date(format)`` report instead of now (tests)."""
        self.open_libs = open_libs
        self.time_limit = time_limit
        self._lua = lua51.LuaRuntime(unpack_returned_tuples=True, register_eval=False, register_builtins=False)
        self._table_from = self._lua.table_from
        self._globals = self._lua.globals()
        boot = self._lua.execute(_BOOTSTRAP, open_libs)
        self._compile, self._run, self._take_printed, set_frozen_time = boot
        if frozen_time is not None:
            set_frozen_time(float(frozen_time))
        self._cache: dict[str, object] = {}
        self.printed: list[str] = []

    _local = threading.local()

    @classmethod
    def for_thread(cls, open_libs: bool = False) -> "LuaSandbox":
        key = "open" if open_libs else "safe"
        box = getattr(cls._local, key, None)
        if box is None:
            box = cls(open_libs=open_libs)
            setattr(cls._local, key, box)
        return box

    # -- compiling and running ---------------------------------------------------------
    def compile(self, source: str, name: str = "script.lua"):
        fn = self._cache.get(source)
        if fn is None:
            fn, err = self._compile(source, name)
            if fn is None:
                raise LuaScriptError(f"{name}: does not compile: {err}")
            self._cache[source] = fn
        return fn

    def _call(self, source: str, obj: dict, name: str):
        fn = self.compile(source, name)
        g = self._globals
        g.obj = self.to_lua(obj)
        try:
            ok, result = self._run(fn, self.time_limit)
        finally:
            g.obj = None
            self.printed.extend(self._take_printed().values())
        if not ok:
            raise LuaScriptError(f"{name}: {result}")
        return result

    def run(self, source: str, obj: dict, name: str = "script.lua"):
        """Run a script and return its result converted the way Argo CD's JSON encoder does."""
        return lua_to_json(self._call(source, obj, name))

    def health(self, source: str, obj: dict, name: str = "health.lua") -> HealthResult:
        """Run a health script and apply Argo CD's checks to what it returns."""
        result = self._call(source, obj, name)
        if result is None:
            return HealthResult("", "")
        if _lua_type(result) != "table":
            raise LuaScriptError(f"{name}: expect table output from Lua script, not {_lua_type(result)}")
        status = result["status"]
        message = result["message"]
        for key, value in (("status", status), ("message", message)):
            if value is not None and not isinstance(value, str):
                raise LuaScriptError(f"{name}: {key} must be a string, got {_lua_type(value)}")
        if status not in ARGOCD_STATUSES:
            if status is None and message is None and next(iter(result.keys()), None) is None:
                return HealthResult("", "")  # `return {}`: Argo CD reads an empty status
            return HealthResult(UNKNOWN, INVALID_HEALTH_STATUS)
        return HealthResult(status, message or "")

    # -- conversion ----------------------------------------------------------------------
    def to_lua(self, value):
        """Python (JSON-like) -> Lua, as Argo CD's decodeValue does: null becomes nil."""
        if isinstance(value, (dict, list, tuple)):
            return self._table_from(_jsonable(value), recursive=True)
        return _scalar(value)


def _scalar(value):
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:  # beyond a double: what a JSON decoder into float64 would saturate to
            return math.inf if value > 0 else -math.inf
    # YAML can hand us dates or other scalars; Argo CD only ever sees JSON scalars.
    return str(value)


def _jsonable(value):
    """Drop None members (nil in Lua) and make every scalar a JSON scalar."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        # A nil inside a Lua array truncates it for `#`/ipairs, exactly as in gopher-lua.
        return [_jsonable(v) for v in value]
    return _scalar(value)


def _lua_type(value) -> str:
    t = lua51.lua_type(value)
    if t is not None:
        return t
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def lua_to_json(value):
    """Lua -> JSON-like Python the way gopher-json encodes it for Argo CD.

    A table with a positive border (``#t > 0``) is an array of its items 1..n; any other
    table is an object whose keys must be strings; an empty table encodes as ``[]``.
    """
    t = lua51.lua_type(value)
    if t is None:
        if isinstance(value, float) and value.is_integer() and math.isfinite(value):
            return int(value)
        return value
    if t != "table":
        raise LuaScriptError(f"cannot encode a Lua {t} as JSON")
    n = len(value)
    if n > 0:
        return [lua_to_json(value[i]) for i in range(1, n + 1)]
    out = {}
    for key, item in value.items():
        if not isinstance(key, str):
            raise LuaScriptError("cannot encode a table with mixed or non-string keys as a JSON object")
        out[key] = lua_to_json(item)
    return out if out else []
