"""Remove what the cluster owns, so objects pasted from ``kubectl get -o yaml`` stop diffing."""

from __future__ import annotations

from flink_gitops.flink import Located
from flink_gitops.render.context import RenderContext
from flink_gitops.render.objects import LAST_APPLIED, where, with_obj

CLUSTER_METADATA = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink",
                    "deletionTimestamp", "deletionGracePeriodSeconds")


def strip_cluster_fields(objs: list[Located], ctx: RenderContext) -> list[Located]:
    return [_strip(loc, ctx) for loc in objs]


def _strip(loc: Located, ctx: RenderContext) -> Located:
    obj = loc.obj
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    ann = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    gone_meta = [k for k in CLUSTER_METADATA if k in meta]
    has_status = "status" in obj
    has_last = LAST_APPLIED in ann
    if not (gone_meta or has_status or has_last):
        return loc  # the common case: nothing to copy
    obj = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in meta.items() if k not in CLUSTER_METADATA}
    if has_last:
        ann = {k: v for k, v in ann.items() if k != LAST_APPLIED}
        if ann:
            meta["annotations"] = ann
        else:
            meta.pop("annotations", None)
    obj["metadata"] = meta
    removed = (["status"] if has_status else []) + [f"metadata.{k}" for k in gone_meta] + (
        [f"annotation {LAST_APPLIED}"] if has_last else [])
    ctx.note(f"{where(loc)}: removed cluster-owned {', '.join(removed)}")
    return with_obj(loc, obj)
