"""Argo CD's health engine: each kind's health script, compiled from its table, run in the reproduced sandbox.

The scripts are compiled from the tables at run time (:mod:`.health_lua`, once per kind), so
this works from a wheel with no files; the text is the same as the committed ``lua/`` files and
argocd-cm (a test keeps them byte-identical). The assessment layer evaluates with this Lua, not
with the Python evaluator: what you see is what Argo CD will show.
"""

from __future__ import annotations

from functools import lru_cache

from flink_gitops.argocd.sandbox import HealthResult, LuaSandbox, LuaScriptError
from flink_gitops.flink import API_GROUP
from flink_gitops.health.tables import TABLES


@lru_cache(maxsize=None)
def script_for(kind: str) -> str:
    """The health.lua for ``kind``, compiled from its table (works from a wheel, no files needed)."""
    from flink_gitops.argocd.health_lua import compile_table  # only when a kind is first evaluated

    return compile_table(TABLES[kind])


def evaluate(obj: dict, sandbox: LuaSandbox | None = None) -> HealthResult:
    """Health of one Flink resource, computed by its generated Lua exactly as Argo CD would."""
    box = sandbox or LuaSandbox.for_thread()
    kind = obj["kind"]
    return box.health(script_for(kind), obj, name=f"{API_GROUP}/{kind}/health.lua")


def shown_health(obj: dict, sandbox: LuaSandbox | None = None) -> tuple[str, str]:
    """(status, message) as Argo CD shows them: a script error is the resource's health, not a crash."""
    try:
        result = evaluate(obj, sandbox)
    except LuaScriptError as exc:
        return "Unknown", f"health check failed: {exc}"
    return result.status, result.message
