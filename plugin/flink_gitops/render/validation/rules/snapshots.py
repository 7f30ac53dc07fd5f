"""FlinkStateSnapshot (``DefaultValidator.validateStateSnapshot``): exactly one of savepoint / checkpoint, and
a job reference the operator can find."""

from __future__ import annotations

from typing import Callable

from flink_gitops.flink import Located
from flink_gitops.render.validation.registry import DEFAULT_VALIDATOR, register
from flink_gitops.render.validation.rules.common import Report, enum_value, mapping_at, string_at, type_name

JOB_KINDS = ("FlinkDeployment", "FlinkSessionJob")
FORMAT_TYPES = ("CANONICAL", "NATIVE", "UNKNOWN")


register(
    "snapshot", "FlinkStateSnapshot without exactly one of savepoint/checkpoint, or without a job reference",
    operator="Exactly one of checkpoint or savepoint configurations has to be set.",
    source=DEFAULT_VALIDATOR,
    fix="exactly one of `savepoint: {}` / `checkpoint: {}` and `jobReference: {kind: FlinkDeployment, name: …}`.",
    details="A FlinkStateSnapshot with neither or both of `savepoint` / `checkpoint` (*\"Exactly one of checkpoint "
            "or savepoint configurations has to be set.\"*); without `jobReference` unless `savepoint.alreadyExists: "
            "true` (*\"Job reference must be supplied for this snapshot\"*); a `jobReference` without kind or name "
            "(the operator reports *\"Target for snapshot ns/name was not found\"*); a kind outside FlinkDeployment "
            "/ FlinkSessionJob, a `formatType` outside CANONICAL / NATIVE / UNKNOWN. **Warnings:** a reference to a "
            "kind that is not in the stream while the other kind of that name is (likely the wrong kind); "
            "`alreadyExists: true` without a `path`.",
    example="""\
apiVersion: flink.apache.org/v1beta1
kind: FlinkStateSnapshot
metadata: {name: orders-before-upgrade, namespace: streaming}
spec:
  jobReference: {kind: FlinkDeployment, name: orders}
""",
    expected="example.yaml (document 1): FlinkStateSnapshot streaming/orders-before-upgrade: spec: the snapshot is "
             "neither a savepoint nor a checkpoint (operator: \"Exactly one of checkpoint or savepoint "
             "configurations has to be set.\") [snapshot] (fix: add savepoint: {} (or savepoint: {path: ..., "
             "alreadyExists: true}) or checkpoint: {})")


def check_snapshot(rep: Report, namespace: str, find: Callable[[str, str, str], Located | None]) -> None:
    obj = rep.loc.obj
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        rep.error("schema", "spec", "FlinkStateSnapshot has no spec" if spec is None else
                  f"spec must be a mapping, got {type_name(spec)}", None,
                  "add spec.jobReference and one of spec.savepoint / spec.checkpoint")
        return
    savepoint, checkpoint = spec.get("savepoint"), spec.get("checkpoint")
    quote = "Exactly one of checkpoint or savepoint configurations has to be set."
    if savepoint is None and checkpoint is None:
        rep.error("snapshot", "spec", "the snapshot is neither a savepoint nor a checkpoint", quote,
                  "add savepoint: {} (or savepoint: {path: ..., alreadyExists: true}) or checkpoint: {}")
        return
    if savepoint is not None and checkpoint is not None:
        rep.error("snapshot", "spec.checkpoint", "the snapshot sets both savepoint and checkpoint", quote,
                  "keep one of spec.savepoint / spec.checkpoint")
        return
    if savepoint is not None:
        sp = mapping_at(rep, spec, "savepoint", "spec.savepoint") or {}
        already = sp.get("alreadyExists")
        if already is not None and not isinstance(already, bool):
            rep.error("schema", "spec.savepoint.alreadyExists", f"must be a boolean, got {type_name(already)} "
                      f"{already!r}", "the CRD schema declares a boolean here", "write true or false, unquoted")
        enum_value(rep, "snapshot", sp.get("formatType"), FORMAT_TYPES, "spec.savepoint.formatType", "formatType",
                   "use CANONICAL or NATIVE")
        if already is True:
            if not sp.get("path"):
                rep.warn("snapshot", "spec.savepoint.path", "alreadyExists: true without a path: the operator "
                         "records a completed snapshot that points nowhere", None,
                         "set spec.savepoint.path to the existing savepoint")
            return
    elif not isinstance(checkpoint, dict):
        rep.error("schema", "spec.checkpoint", f"must be a mapping, got {type_name(checkpoint)}",
                  "the CRD schema declares an object here", "write checkpoint: {}")
    ref = spec.get("jobReference")
    if ref is None:
        rep.error("snapshot", "spec.jobReference", "the snapshot names no job to snapshot",
                  "Job reference must be supplied for this snapshot",
                  "add jobReference: {kind: FlinkDeployment, name: <deployment>} (or kind: FlinkSessionJob); only "
                  "savepoint.alreadyExists: true snapshots may omit it")
        return
    ref = mapping_at(rep, spec, "jobReference", "spec.jobReference")
    if ref is None:
        return
    kind, name = ref.get("kind"), ref.get("name")
    if kind is None or not name:
        missing = " and ".join(w for w, v in (("kind", kind), ("name", name)) if not v)
        rep.error("snapshot", "spec.jobReference", f"jobReference has no {missing}: the operator cannot find the job",
                  f"Target for snapshot {namespace or '<namespace>'}/{name} was not found",
                  "set jobReference.kind (FlinkDeployment or FlinkSessionJob) and jobReference.name")
        return
    if not enum_value(rep, "snapshot", kind, JOB_KINDS, "spec.jobReference.kind", "jobReference.kind",
                      "use FlinkDeployment or FlinkSessionJob"):
        return
    if not isinstance(name, str):
        string_at(rep, ref, "name", "spec.jobReference.name")
        return
    if find(kind, namespace, name) is not None:
        return
    other = "FlinkSessionJob" if kind == "FlinkDeployment" else "FlinkDeployment"
    twin = find(other, namespace, name)
    if twin is not None:
        rep.warn("snapshot", "spec.jobReference.kind",
                 f"no {kind} {name!r} in this render, but a {other} of that name is ({twin.file}); unless a {kind} "
                 "exists in the cluster the operator will not find the target",
                 f"Target for snapshot {namespace or '<namespace>'}/{name} was not found",
                 f"set jobReference.kind: {other}")

