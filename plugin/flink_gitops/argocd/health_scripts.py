"""Load the generated health scripts and run them in the Argo CD sandbox.

The CLI (and the cluster health cache) evaluate with the generated Lua (the same text as the committed
``lua/`` files and argocd-cm, which a test keeps byte-identical), not with the Python
evaluator: what you see is what Argo CD will show.
"""

from __future__ import annotations

from functools import lru_cache

from flink_gitops.argocd.sandbox import HealthResult, LuaSandbox, LuaScriptError
from flink_gitops.flink import API_GROUP
from flink_gitops.health.tables import TABLES


@lru_cache(maxsize=None)
def script_for(kind: str) -> str:
    """The health.lua for ``kind``, compiled from its table (works from a wheel, no files needed)."""
    from flink_gitops.health.luagen import compile_table

    return compile_table(TABLES[kind])


def assess(obj: dict, sandbox: LuaSandbox | None = None) -> HealthResult:
    """Health of one Flink resource, computed by its generated Lua exactly as Argo CD would."""
    box = sandbox or LuaSandbox.for_thread()
    kind = obj["kind"]
    return box.health(script_for(kind), obj, name=f"{API_GROUP}/{kind}/health.lua")


def shown_health(obj: dict, sandbox: LuaSandbox | None = None) -> tuple[str, str]:
    """(status, message) as Argo CD shows them: a script error is the resource's health, not a crash."""
    try:
        result = assess(obj, sandbox)
    except LuaScriptError as exc:
        return "Unknown", f"health check failed: {exc}"
    return result.status, result.message
