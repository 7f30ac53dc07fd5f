"""The ``validate`` step: what the operator's webhook would reject, checked before Argo CD applies anything."""

from __future__ import annotations

from flink_gitops.errors import UserError
from flink_gitops.flink import Located
from flink_gitops.render.context import RenderContext
from flink_gitops.render.validation.validator import validate_objects


def validate(objs: list[Located], ctx: RenderContext) -> list[Located]:
    """Errors stop the render (exit 2); warnings go to stderr. The objects pass through unchanged."""
    # The validator resolves objects without a namespace to the app's, as Argo CD applies them.
    errors, warnings = validate_objects(objs, {**ctx.params, "namespace": ctx.namespace})
    for warning in warnings:
        ctx.warn(str(warning))
    if errors:
        raise UserError(list(errors))
    return objs
