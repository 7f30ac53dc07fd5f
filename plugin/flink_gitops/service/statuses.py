"""The health statuses a Flink resource can have, in the order an on-call engineer reads them."""

from __future__ import annotations

from functools import lru_cache

#: Argo CD's health statuses, worst first (the dashboard's order: Degraded, then Progressing and
#: Unknown, then the rest).
ORDER = ("Degraded", "Progressing", "Unknown", "Missing", "Suspended", "Healthy")


@lru_cache(maxsize=1)
def statuses() -> tuple[str, ...]:
    """Every status the health tables can decide, plus Unknown (a script error), in :data:`ORDER`."""
    from flink_gitops.health.tables import TABLES

    decided = {rule.status for table in TABLES.values() for rule in table.rules} | {"Unknown"}
    return tuple(s for s in ORDER if s in decided) + tuple(sorted(decided - set(ORDER)))
