"""``render --target flux``: the same pipeline without Argo CD's annotations, and replicas an HPA owns.

Flux has no plugin hook: the render runs in CI or a pre-commit hook and its output is committed.
What changes against the Argo CD target (docs/flux.md has the long form):

* no sync waves: kustomize-controller applies CRDs, Namespaces and ClusterRoles first, then
  everything else in one go; order between groups of objects comes from Kustomizations with
  ``dependsOn``, not from annotations;
* log4j ``inline`` by default: a ``flink-config-<name>`` ConfigMap cannot be applied after its
  FlinkDeployment, so the operator and Flux would overwrite each other's copy;
* no ``ignoreDifferences`` step (it edits Argo CD Applications);
* no Argo CD annotations at all: ``argocd.argoproj.io/*`` annotations written for Argo CD (a
  wave, sync options, a hook, a tracking id pasted from a live object) are removed, since Flux
  ignores them and a reader of the committed output would expect an order or a hook Flux does
  not give; Argo CD's own objects (``argoproj.io``) keep theirs;
* a FlinkDeployment scaled by a HorizontalPodAutoscaler (scale subresource
  ``spec.taskManager.replicas``): with Flux >= 2.9 the field stays and a ``spec.ignore`` rule for
  the Kustomization is printed; before 2.9 the field is dropped from the manifest, the Flux FAQ's
  advice for replicas an autoscaler owns (``flux-version`` decides).
"""

from __future__ import annotations

import re

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import API_GROUP, Located, group_of, in_api_group
from flink_gitops.render.context import RenderContext
from flink_gitops.render.objects import annotations_of, dig, hpa_targets, name_of, where, with_obj

#: Parameters only the Flux target knows (they are not announced to Argo CD).
FLUX_PARAMETERS = {"flux-version": ""}
FLUX_PARAMETER_HELP = {
    "flux-version": "Flux version: 2.9 or later keeps HPA-owned spec.taskManager.replicas and prints the "
                    "Kustomization's spec.ignore rule; older or unset drops the field",
}
#: Defaults that differ from the Argo CD target; anything set explicitly still wins (but no wave survives:
#: sync-waves=true only earns a warning, as every argocd.argoproj.io annotation is removed).
FLUX_DEFAULTS = {"sync-waves": "false", "log4j-strategy": "inline", "ignore-differences": "false",
                 "ignore-differences-annotation": "false", "crd-server-side-apply": "false"}
STEP = "flux-target"
SPEC_IGNORE_SINCE = (2, 9)  # kustomize-controller 1.9
SCALE_PATH = "/spec/taskManager/replicas"
_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?")
ARGOCD_ANNOTATION_PREFIX = "argocd.argoproj.io/"
ARGOCD_HOOK = "argocd.argoproj.io/hook"


def collect_params(collect, app_dir, env, cli_pairs: list[str], explain: bool) -> dict:
    """Parameters for a Flux render: ``collect`` is the Argo CD collector, run on Flux's defaults."""
    from flink_gitops.render import params as P

    rest, flux = [], dict(FLUX_PARAMETERS)
    for pair in cli_pairs:
        name, sep, value = pair.partition("=")
        if sep and name.strip() in FLUX_PARAMETERS:
            flux[name.strip()] = value.strip()
        else:
            rest.append(pair)
    params = collect(app_dir, env, rest, explain, base={**P.defaults(), **FLUX_DEFAULTS})
    parse_flux_version(flux["flux-version"])
    return {**params, **flux, STEP: "true"}


def parse_flux_version(text: str) -> tuple[int, int] | None:
    if not text:
        return None
    m = _VERSION.fullmatch(text.strip())
    if not m:
        raise UserError(Problem(f"parameter 'flux-version' must be a Flux version such as 2.9 or v2.8.3; got {text!r}",
                                file="--param"))
    return int(m.group(1)), int(m.group(2))


def ignore_rule(namespace: str, name: str) -> dict:
    """A kustomize-controller ``spec.ignore`` entry for one FlinkDeployment (target fields are regexes)."""
    target = {"group": API_GROUP, "kind": "FlinkDeployment", "name": f"^{re.escape(name)}$"}
    if namespace:
        target["namespace"] = f"^{re.escape(namespace)}$"
    return {"paths": [SCALE_PATH], "target": target}


def _without_argocd_annotations(loc: Located, ctx: RenderContext, plan: list[str]) -> Located:
    """``loc`` without ``argocd.argoproj.io/*`` annotations (Argo CD's own objects keep theirs)."""
    if group_of(loc.obj).endswith("argoproj.io"):
        return loc
    ann = annotations_of(loc.obj)
    gone = [k for k in ann if isinstance(k, str) and k.startswith(ARGOCD_ANNOTATION_PREFIX)]
    if not gone:
        return loc
    if ARGOCD_HOOK in ann:
        ctx.warn(f"{where(loc)}: an Argo CD {ann[ARGOCD_HOOK]} hook; Flux has no hooks and applies it with "
                 "everything else (run it from a separate Kustomization with dependsOn, or drop it)")
    kept = {k: v for k, v in ann.items() if k not in gone}
    meta = {k: v for k, v in loc.obj["metadata"].items() if k != "annotations"}
    if kept:
        meta["annotations"] = kept
    ctx.note(f"{where(loc)}: removed Argo CD annotation{'s' if len(gone) > 1 else ''} {', '.join(gone)} "
             "(Flux ignores them)")
    plan.append(f"flux target: {where(loc)}: removed {', '.join(gone)} (Argo CD only)")
    return with_obj(loc, {**loc.obj, "metadata": meta})


def apply_flux_target(objs: list[Located], ctx: RenderContext) -> list[Located]:
    version = parse_flux_version(str(ctx.params.get("flux-version", "")))
    use_ignore = version is not None and version >= SPEC_IGNORE_SINCE
    plan = ["flux target: no sync waves (kustomize-controller applies CRDs, Namespaces and ClusterRoles first, "
            "then the rest; order groups of objects with Kustomizations and dependsOn)",
            f"flux target: log4j strategy {ctx.params.get('log4j-strategy')}"
            + (" (a flink-config-<name> ConfigMap cannot be ordered after its deployment in Flux)"
               if ctx.params.get("log4j-strategy") == "inline" else "")]
    if ctx.params.get("log4j-strategy") == "configmap" and ctx.on("log4j"):
        ctx.warn("log4j-strategy=configmap with Flux: nothing orders a flink-config-<name> ConfigMap after its "
                 "FlinkDeployment, so the operator and Flux overwrite each other's copy (use the inline strategy)")
    if ctx.on("sync-waves"):
        ctx.warn("sync-waves=true has no effect with --target flux: Flux has no sync waves, so the annotations are "
                 "removed; order groups of objects with Kustomizations and dependsOn")
    objs = [_without_argocd_annotations(loc, ctx, plan) for loc in objs]
    scaled = hpa_targets((loc.obj for loc in objs), ctx.namespace)
    rules, out = [], []
    for loc in objs:
        key = (ctx.namespace_of(loc.obj), name_of(loc.obj))
        if not in_api_group(loc.obj, "FlinkDeployment") or key not in scaled:
            out.append(loc)
            continue
        hpa = scaled[key]
        has_replicas = dig(loc.obj, "spec", "taskManager", "replicas") is not None
        if not has_replicas:
            # Flux never owns a field its manifest lacks: nothing reverts the autoscaler's value.
            plan.append(f"flux target: {where(loc)}: HorizontalPodAutoscaler {hpa} scales it; "
                        "spec.taskManager.replicas not in the manifest, nothing to do")
            out.append(loc)
        elif use_ignore:
            rules.append(ignore_rule(*key))
            plan.append(f"flux target: {where(loc)}: HorizontalPodAutoscaler {hpa} scales it; "
                        f"spec.taskManager.replicas kept, spec.ignore rule for {SCALE_PATH} (Flux >= 2.9)")
            out.append(loc)
        else:
            parallelism = dig(loc.obj, "spec", "job", "parallelism")
            if isinstance(dig(loc.obj, "spec", "job"), dict) and not (isinstance(parallelism, int) and parallelism >= 1):
                # Without replicas the operator sizes the job from parallelism, which must then be set.
                raise UserError(loc.problem(
                    f"HorizontalPodAutoscaler {hpa} owns spec.taskManager.replicas and Flux before 2.9 cannot ignore "
                    "it, so it is dropped; the job then needs spec.job.parallelism (1 or more), which is not set",
                    "spec.job.parallelism", "set spec.job.parallelism, or flux-version=2.9 to keep the replicas"))
            obj = dict(loc.obj)
            task_manager = dict(obj["spec"]["taskManager"])
            del task_manager["replicas"]
            obj["spec"] = {**obj["spec"], "taskManager": task_manager}
            ctx.note(f"{where(loc)}: removed spec.taskManager.replicas, which HorizontalPodAutoscaler {hpa} owns "
                     "(Flux before 2.9 has no field-level ignore; set flux-version=2.9 to keep it with spec.ignore)")
            plan.append(f"flux target: {where(loc)}: HorizontalPodAutoscaler {hpa} scales it; "
                        "spec.taskManager.replicas dropped (flux-version "
                        f"{ctx.params.get('flux-version') or 'not set'}: no spec.ignore before Flux 2.9)")
            out.append(with_obj(loc, obj))
    if rules:
        import json

        ctx.note("add to the Kustomization that applies this output, so Flux leaves the replicas to the "
                 f"HorizontalPodAutoscaler: spec.ignore: {json.dumps(rules, separators=(', ', ': '))}")
    ctx.plan.extend(plan)
    return out
