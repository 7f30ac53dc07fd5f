"""Per-resource ignore rules: ``argocd.argoproj.io/ignore-differences-json-pointers`` on FlinkDeployments whose
parallelism the job autoscaler owns or whose TaskManager replicas a HorizontalPodAutoscaler of the app scales.

Argo CD reads the annotation on any managed resource (argo-cd PR #29616, issue #12686, first in Argo CD 3.6):
a comma-separated list of RFC 6901 JSON pointers, split and trimmed as gitops-engine's ``GetAnnotationCSVs``
splits every Argo CD option annotation (``util/argo/diff/ignore.go``), ignored in that resource's diff and
merged with the Application's own ``ignoreDifferences``. A sync leaves the ignored fields alone only when the
Application has ``RespectIgnoreDifferences=true``. Argo CD before 3.6 does not know the annotation and ignores
it; for it the render prints the Application-level entry. Unlike ``ignore_differences`` (which edits child
Applications of an app-of-apps), this works for an ordinary Application: the annotation travels on the
resource itself.
"""

from __future__ import annotations

import json

from flink_gitops.errors import UserError
from flink_gitops.flink import API_GROUP, Located, in_api_group
from flink_gitops.render.context import RenderContext
from flink_gitops.render.objects import (annotations_of, autoscaler_enabled, dig, hpa_targets, name_of, set_annotation,
                                         where)

ANNOTATION = "argocd.argoproj.io/ignore-differences-json-pointers"
#: The first Argo CD release with the annotation: PR #29616 was merged after 3.5 (master then said 3.6.0).
SINCE = "Argo CD 3.6"
PARALLELISM = "/spec/job/parallelism"
REPLICAS = "/spec/taskManager/replicas"
RESPECT = "RespectIgnoreDifferences=true"


def split_csv(text: str) -> list[str]:
    """An Argo CD option annotation as gitops-engine reads it: split on ',', trimmed, empty and repeated items
    dropped (the first of each stays, in order)."""
    out: list[str] = []
    for item in text.split(","):
        item = item.strip()
        if item and item not in out:
            out.append(item)
    return out


def annotation_text(loc: Located, key: str) -> str:
    """The annotation's text ('' when absent); anything but a string is an error (the API server refuses it)."""
    value = annotations_of(loc.obj).get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UserError(loc.problem(f"must be a string, got {type(value).__name__} {value!r}",
                                    f"metadata.annotations[{key}]",
                                    "write the value as one string, items separated by commas"))
    return value


def wanted_pointers(loc: Located, scaled: dict[tuple[str, str], str], ctx: RenderContext) -> list[tuple[str, str]]:
    """(pointer, why) for each field of this FlinkDeployment that something other than Git owns."""
    obj = loc.obj
    out = []
    if isinstance(dig(obj, "spec", "job"), dict) and autoscaler_enabled(obj):
        out.append((PARALLELISM, "the job autoscaler is enabled (job.autoscaler.enabled)"))
    hpa = scaled.get((ctx.namespace_of(obj), name_of(obj)))
    if hpa is not None:
        out.append((REPLICAS, f"HorizontalPodAutoscaler {hpa} scales it"))
    return out


def application_entry(obj: dict, pointers: list[str]) -> dict:
    """The Application-level ``spec.ignoreDifferences`` entry with the same effect (for Argo CD before 3.6)."""
    entry = {"group": API_GROUP, "kind": "FlinkDeployment", "name": name_of(obj)}
    ns = dig(obj, "metadata", "namespace")
    if isinstance(ns, str) and ns:
        entry["namespace"] = ns
    entry["jsonPointers"] = pointers
    return entry


def annotate_ignore_pointers(objs: list[Located], ctx: RenderContext) -> list[Located]:
    scaled = hpa_targets((loc.obj for loc in objs), ctx.namespace)
    out, entries, plan = [], [], []
    for loc in objs:
        if not in_api_group(loc.obj, "FlinkDeployment"):
            out.append(loc)
            continue
        wanted = wanted_pointers(loc, scaled, ctx)
        if not wanted:
            out.append(loc)
            continue
        text = annotation_text(loc, ANNOTATION)
        present = split_csv(text)
        for pointer in present:
            if not pointer.startswith("/"):
                ctx.warn(loc.problem(f"{pointer!r} is not a JSON pointer (RFC 6901: it starts with '/'); Argo CD "
                                     "ignores nothing for it", f"metadata.annotations[{ANNOTATION}]",
                                     f"write it as /{pointer.lstrip('.').replace('.', '/')}"))
        missing = [p for p, _ in wanted if p not in present]
        # The user's text stays byte for byte when nothing is missing: render(render(x)) == render(x).
        new = set_annotation(loc, ANNOTATION, ",".join(present + missing)) if missing else loc
        out.append(new)
        reasons = "; ".join(f"{p}: {why}" for p, why in wanted)
        done = f"added {', '.join(missing)}" if missing else "already there"
        plan.append(f"  {where(loc)}: {done} ({reasons})")
        entries.append(application_entry(loc.obj, [p for p, _ in wanted]))
    if entries:
        names = ", ".join(e["name"] for e in entries)
        ctx.note(f"{ANNOTATION} set on {len(entries)} FlinkDeployment(s) ({names}): {SINCE} or later honours it "
                 f"(argo-cd PR #29616) when the Application syncs with {RESPECT}; older Argo CD ignores it, so "
                 "there add to the Application spec.ignoreDifferences: "
                 f"{json.dumps(entries, separators=(', ', ': '))} and spec.syncPolicy.syncOptions: [{RESPECT}]")
        ctx.plan.append(f"per-resource ignore rules ({ANNOTATION}; needs {SINCE}+ and {RESPECT} on the "
                        "Application, see the note above):")
        ctx.plan.extend(plan)
    return out
