"""What the operator does to a FlinkStateSnapshot: trigger it once, never act on a spec change, dispose a savepoint on delete.

Read from flink-kubernetes-operator ``reconciler/snapshot/StateSnapshotReconciler.java``:
``reconcile`` acts only while the snapshot is ``TRIGGER_PENDING`` (a new one: trigger the savepoint or
checkpoint, or record an existing savepoint with ``alreadyExists``); ``cleanup`` disposes a
savepoint's files when ``spec.savepoint.disposeOnDelete`` (default true) and it completed;
checkpoints are never disposed. A snapshot holds state but is no running job, so its state is
``n/a`` except for a savepoint deletion that removes files.
"""

from __future__ import annotations

from flink_gitops.flink import Located
from flink_gitops.plan import model as M
from flink_gitops.plan.live import mapping, text
from flink_gitops.plan.specdiff import leaf_paths


def _what(spec: dict) -> str:
    if isinstance(spec.get("savepoint"), dict):
        return "savepoint"
    if isinstance(spec.get("checkpoint"), dict):
        return "checkpoint"
    return "snapshot"


def _job(spec: dict) -> str:
    ref = mapping(spec, "jobReference")
    return f"{ref.get('kind', '?')} {ref.get('name', '?')}" if ref else "no spec.jobReference"


def plan_snapshot(d: M.Decision, desired: Located | None, live: Located | None) -> M.Decision:
    if desired is None:
        spec = mapping(live.obj, "spec")
        d.upgrade = M.DELETE
        state = text(live.obj, "status", "state")
        path = text(live.obj, "status", "path") or mapping(spec, "savepoint").get("path")
        if _what(spec) != "savepoint":
            return d.why("removed from the desired objects: a checkpoint snapshot is only forgotten, nothing is "
                         "disposed (StateSnapshotReconciler.cleanup)")
        if mapping(spec, "savepoint").get("disposeOnDelete") is False:
            return d.why("removed from the desired objects: spec.savepoint.disposeOnDelete is false, the savepoint "
                         f"{path or ''} stays in storage".replace("  ", " "))
        if state != "COMPLETED":
            return d.why(f"removed from the desired objects; the savepoint is not completed (status.state "
                         f"{state or 'unset'}): nothing to dispose")
        d.state = M.AT_RISK
        return d.why(f"at-risk: removed from the desired objects and spec.savepoint.disposeOnDelete is true (the "
                     f"default): the operator disposes the savepoint {path or '(path in status.path)'} through "
                     f"{_job(spec)} (StateSnapshotReconciler.cleanup)")
    spec = mapping(desired.obj, "spec")
    if live is None:
        sp = mapping(spec, "savepoint")
        if sp.get("alreadyExists") in (True, "true"):
            return d.why(f"new: records the existing savepoint {sp.get('path')} (spec.savepoint.alreadyExists); "
                         "nothing is triggered")
        d.upgrade = M.NONE
        return d.why(f"new: the operator triggers a {_what(spec)} of {_job(spec)}; the job keeps running "
                     "(StateSnapshotReconciler.reconcile)")
    if d.change == M.UPDATE:
        lspec = mapping(live.obj, "spec")
        d.diff = M.IGNORE
        d.fields = [M.FieldDiff(p, M.IGNORE) for p in leaf_paths(lspec, spec, "spec")]
        state = text(live.obj, "status", "state")
        if state in (None, "TRIGGER_PENDING"):
            return d.why("the snapshot has not been triggered yet (status.state "
                         f"{state or 'unset'}): it is triggered with the new spec")
        return d.why(f"the snapshot is {state} (status.state): the operator acts only on TRIGGER_PENDING snapshots, "
                     "a spec change does nothing; create a new FlinkStateSnapshot instead")
    return d
