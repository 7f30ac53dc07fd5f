"""What the generated CEL reads at the top level of an object: each key must exist, or Flux's evaluation errors."""

from __future__ import annotations

from flink_gitops.health.model import Table


def top_level_variables(table: Table) -> tuple[str, ...]:
    """The object's top-level keys the table's fields read (``status`` for ``status.lifecycleState``)."""
    return tuple(sorted({path.split(".", 1)[0] for field in table.fields for path in field.paths}))
