"""The render pipeline: small, pure steps over a list of objects, each switched by a parameter; a target picks its steps.

A step is ``step(objs, ctx) -> objs``: it returns a new list and never edits its input (edits
copy the dicts they touch), reports problems by raising :class:`UserError`, and sends
warnings and notes to ``ctx``. The order matters and is fixed here:

1. ``strip-cluster-fields``: pasted objects first lose what the cluster owns;
2. ``log4j``: check log configuration (and move it inline) before anything reads it;
3. ``validate``: what the operator's webhook would reject, on the objects as they will be applied;
4. ``sync-waves``: order what remains;
5. ``ignore-differences``: edit Applications of an app-of-apps;
6. ``ignore-differences-annotation``: per-resource ignore rules on autoscaled FlinkDeployments;
7. ``crd-server-side-apply``: ``ServerSideApply=true`` on the operator's CRDs;
8. ``flux-target`` (the Flux target only): remove what only Argo CD reads, handle HPA-owned replicas.

The Flux target runs the same steps with other defaults (``flux_target.FLUX_DEFAULTS``: no waves,
no ignoreDifferences and no Argo CD annotations, log4j inline), then its own.
"""

from __future__ import annotations

from typing import Callable

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import Located
from flink_gitops.render.context import RenderContext
from flink_gitops.render.crd_sync import add_crd_server_side_apply
from flink_gitops.render.flux_target import STEP as FLUX_TARGET, apply_flux_target
from flink_gitops.render.ignore_differences import add_ignore_differences
from flink_gitops.render.ignore_pointers import annotate_ignore_pointers
from flink_gitops.render.log4j import check_log_configuration
from flink_gitops.render.strip import strip_cluster_fields
from flink_gitops.render.validate import validate
from flink_gitops.render.waves import assign_sync_waves

Step = Callable[[list[Located], RenderContext], list[Located]]

#: The steps every target runs, each switched by the parameter of the same name.
STEPS: tuple[tuple[str, Step], ...] = (
    ("strip-cluster-fields", strip_cluster_fields),
    ("log4j", check_log_configuration),
    ("validate", validate),
    ("sync-waves", assign_sync_waves),
    ("ignore-differences", add_ignore_differences),
    ("ignore-differences-annotation", annotate_ignore_pointers),
    ("crd-server-side-apply", add_crd_server_side_apply),
)

ARGOCD, FLUX = "argocd", "flux"
#: Each target's steps, in order. ``flux-target`` is switched on by the Flux target's parameters
#: (``flux_target.collect_params``), never announced to Argo CD.
TARGET_STEPS: dict[str, tuple[tuple[str, Step], ...]] = {
    ARGOCD: STEPS,
    FLUX: STEPS + ((FLUX_TARGET, apply_flux_target),),
}


def target_of(ctx: RenderContext) -> str:
    return FLUX if ctx.on(FLUX_TARGET) else ARGOCD


def run_pipeline(objs: list[Located], ctx: RenderContext) -> list[Located]:
    for param, step in TARGET_STEPS[target_of(ctx)]:
        if ctx.on(param):
            objs = step(objs, ctx)
    return objs


#: The last step that judges objects; the ones after it only edit them.
LAST_CHECKING_STEP = "validate"


def problems_in(objs: list[Located], ctx: RenderContext) -> list[Problem]:
    """What the checking steps find in ``objs`` when the render already failed (files that did not
    read): every step up to ``validate`` runs and reports, so one run shows every problem."""
    problems: list[Problem] = []
    for param, step in TARGET_STEPS[target_of(ctx)]:
        if ctx.on(param):
            try:
                objs = step(objs, ctx)
            except UserError as exc:
                problems.extend(exc.problems)
        if param == LAST_CHECKING_STEP:
            break
    return problems
