"""``ServerSideApply=true`` on the Flink operator's CustomResourceDefinitions: no annotation size limit to run into.

Argo CD applies client-side by default (``kubectl apply``), which keeps the whole object as JSON in the
``kubectl.kubernetes.io/last-applied-configuration`` annotation; all annotations of an object together may
hold at most 262,144 bytes. The operator's FlinkDeployment and FlinkBlueGreenDeployment CRDs are the largest
objects an app of this kind carries and grow with every release (measured in the operator's chart: 160 KB
of compact JSON in 1.10, 178 KB on main in 2026). With ``ServerSideApply=true`` (Argo CD 2.5 and later, as an
Application option or per resource in ``argocd.argoproj.io/sync-options``) the API server tracks field
ownership instead and no such annotation is written; Argo CD's sync-options annotation is a comma-separated
list (gitops-engine ``HasAnnotationOption``), so the option is appended to what is there.

An explicit ``ServerSideApply=false`` is the user's choice and stays (with a warning); ``Replace=true`` takes
precedence over server-side apply in Argo CD and, for a CRD, updates it without the annotation too, so it
stays as it is.
"""

from __future__ import annotations

import json

from flink_gitops.flink import API_GROUP, Located, group_of
from flink_gitops.render.context import RenderContext
from flink_gitops.render.ignore_pointers import annotation_text, split_csv
from flink_gitops.render.objects import dig, set_annotation, where

SYNC_OPTIONS = "argocd.argoproj.io/sync-options"
SERVER_SIDE_APPLY = "ServerSideApply=true"
NO_SERVER_SIDE_APPLY = "ServerSideApply=false"
REPLACE = "Replace=true"
#: Kubernetes' limit on the total size of an object's annotations (apimachinery TotalAnnotationSizeLimitB).
ANNOTATIONS_LIMIT = 262_144


def is_flink_crd(obj: dict) -> bool:
    return (obj.get("kind") == "CustomResourceDefinition" and group_of(obj) == "apiextensions.k8s.io"
            and dig(obj, "spec", "group") == API_GROUP)


def last_applied_size(obj: dict) -> int:
    """Bytes kubectl's client-side apply would store for ``obj``: its compact JSON."""
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())


def add_crd_server_side_apply(objs: list[Located], ctx: RenderContext) -> list[Located]:
    out, plan = [], []
    for loc in objs:
        if not is_flink_crd(loc.obj):
            out.append(loc)
            continue
        options = split_csv(annotation_text(loc, SYNC_OPTIONS))
        size = f"{last_applied_size(loc.obj):,} bytes of JSON for last-applied-configuration (limit " \
               f"{ANNOTATIONS_LIMIT:,})"
        field = f"metadata.annotations[{SYNC_OPTIONS}]"
        if SERVER_SIDE_APPLY in options:
            plan.append(f"  {where(loc)}: {SERVER_SIDE_APPLY} already set ({size})")
            out.append(loc)
        elif NO_SERVER_SIDE_APPLY in options:
            ctx.warn(loc.problem(f"{NO_SERVER_SIDE_APPLY} is kept as you set it: Argo CD applies this CRD "
                                 f"client-side and stores {size}", field,
                                 f"remove {NO_SERVER_SIDE_APPLY}, or set parameter crd-server-side-apply=false to "
                                 "silence this"))
            plan.append(f"  {where(loc)}: {NO_SERVER_SIDE_APPLY} kept as you set it ({size})")
            out.append(loc)
        elif REPLACE in options:
            plan.append(f"  {where(loc)}: {REPLACE} kept (Argo CD updates a CRD in place with it, without "
                        "last-applied-configuration)")
            out.append(loc)
        else:
            out.append(set_annotation(loc, SYNC_OPTIONS, ",".join(options + [SERVER_SIDE_APPLY])))
            plan.append(f"  {where(loc)}: {SERVER_SIDE_APPLY} added (client-side apply would store {size})")
    if plan:
        ctx.plan.append(f"operator CRDs ({SYNC_OPTIONS}; server-side apply needs Argo CD 2.5+; "
                        "parameter crd-server-side-apply=false leaves them alone):")
        ctx.plan.extend(plan)
    return out
