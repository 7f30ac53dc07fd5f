"""The render pipeline: small, pure steps over a list of objects, each switched by a parameter.

A step is ``step(objs, ctx) -> objs``: it returns a new list and never edits its input (edits
copy the dicts they touch), reports problems by raising :class:`UserError`, and sends
warnings and notes to ``ctx``. The order matters and is fixed here:

1. ``strip-cluster-fields``: pasted objects first lose what the cluster owns;
2. ``log4j``: check log configuration (and move it inline) before anything reads it;
3. ``validate``: what the operator's webhook would reject, on the objects as they will be applied;
4. ``sync-waves``: order what remains;
5. ``ignore-differences``: finally, edit Applications of an app-of-apps.
"""

from __future__ import annotations

from typing import Callable

from flink_gitops.errors import UserError
from flink_gitops.flink import Located
from flink_gitops.flux.render import STEP as FLUX_TARGET, apply_flux_target
from flink_gitops.render.context import RenderContext
from flink_gitops.render.ignore_differences import add_ignore_differences
from flink_gitops.render.log4j import check_log_configuration
from flink_gitops.render.strip import strip_cluster_fields
from flink_gitops.render.validate import validate_objects
from flink_gitops.render.waves import assign_sync_waves

Step = Callable[[list[Located], RenderContext], list[Located]]


def validate(objs: list[Located], ctx: RenderContext) -> list[Located]:
    # The validator resolves objects without a namespace to the app's, as Argo CD applies them.
    errors, warnings = validate_objects(objs, {**ctx.params, "namespace": ctx.namespace})
    for warning in warnings:
        ctx.warn(str(warning))
    if errors:
        raise UserError(list(errors))
    return objs


STEPS: tuple[tuple[str, Step], ...] = (
    ("strip-cluster-fields", strip_cluster_fields),
    ("log4j", check_log_configuration),
    ("validate", validate),
    ("sync-waves", assign_sync_waves),
    ("ignore-differences", add_ignore_differences),
)


def run_pipeline(objs: list[Located], ctx: RenderContext) -> list[Located]:
    for param, step in STEPS:
        if ctx.on(param):
            objs = step(objs, ctx)
    if ctx.on(FLUX_TARGET):  # `render --target flux` only: a target, not a parameter (flink_gitops.flux.render)
        objs = apply_flux_target(objs, ctx)
    return objs
