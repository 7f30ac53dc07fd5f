"""The runner reproduces Argo CD's sandbox: libraries, obj decoding, result validation, time limit."""

import pytest

from flink_gitops.argocd.sandbox import INVALID_HEALTH_STATUS, LuaSandbox, LuaScriptError

STRICT = LuaSandbox(open_libs=False)
OPEN = LuaSandbox(open_libs=True)


def ret(expr, obj=None, box=STRICT):
    return box.health(f"return {{status = 'Healthy', message = tostring({expr})}}", obj or {}).message


def test_strict_sandbox_has_only_base_table_package_and_safe_os():
    for lib in ("string", "math", "io", "debug", "coroutine"):
        assert ret(lib) == "nil"
    assert ret("type(table.concat)") == "function"
    assert ret("type(pairs)") == "function" and ret("type(pcall)") == "function"
    assert ret("type(os.time)") == "function" and ret("type(os.date)") == "function"
    assert ret("os.exit") == "nil" and ret("os.getenv") == "nil"
    assert ret("_VERSION") == "Lua 5.1"
    with pytest.raises(LuaScriptError):
        STRICT.health("local m = require('string'); return {status = 'Healthy'}", {})
    with pytest.raises(LuaScriptError):
        STRICT.health("return {status = ('x'):upper()}", {})


def test_open_libs_have_string_and_math_but_still_a_safe_os():
    assert ret("type(string.find)", box=OPEN) == "function"
    assert ret("type(math.floor)", box=OPEN) == "function"
    assert ret("os.exit", box=OPEN) == "nil"


def test_obj_is_decoded_like_argo_cd():
    obj = {"a": [10, 20], "n": None, "i": 3, "f": 2.5, "b": False, "t": "2026-01-01T00:00:00Z"}
    assert ret("obj.a[1]", obj) == "10"  # arrays are 1-based
    assert ret("obj.n", obj) == "nil"  # null is nil
    assert ret("obj.i + 0.5", obj) == "3.5"
    assert ret("obj.b", obj) == "false"
    assert ret("type(obj.t)", obj) == "string"


def test_result_validation():
    assert STRICT.health("return {status = 'Fine'}", {}).as_dict() == {"status": "Unknown", "message": INVALID_HEALTH_STATUS}
    assert STRICT.health("return {}", {}).status == ""
    with pytest.raises(LuaScriptError, match="expect table"):
        STRICT.health("return 'Healthy'", {})
    with pytest.raises(LuaScriptError, match="does not compile"):
        STRICT.health("return {status = 'Healthy'}\nlocal x = 1", {})  # code after return


@pytest.mark.slow
def test_time_limit():
    with pytest.raises(LuaScriptError, match="deadline"):
        STRICT.health("while true do end", {})
    # the runtime is still usable afterwards
    assert STRICT.health("return {status = 'Healthy'}", {}).status == "Healthy"


@pytest.mark.parametrize("text", ['say "hi"\\n', "tab\there\r\nnext", "bell\x07 nul\x00 esc\x1b", "über ✓", ""])
def test_the_lua_string_escaper_round_trips_in_real_lua(text):
    """One escaper writes every string literal of the generated Lua (health and actions)."""
    from flink_gitops.argocd.health_lua import lua_string

    assert LuaSandbox().run(f"return {lua_string(text)}", {}) == text
