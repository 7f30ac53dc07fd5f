"""What the operator does to a FlinkBlueGreenDeployment: ``FlinkBlueGreenDeploymentSpecDiff`` and the blue/green state handlers.

Read from flink-kubernetes-operator ``reconciler/diff/FlinkBlueGreenDeploymentSpecDiff.java``
(``compare``: a job state change is ``suspend``/``resume`` first; then ``ReflectiveDiffBuilder`` over
``spec.template.spec`` in native mode: ``savepoint-redeploy``; equal specs ``ignore``; an ignorable
diff ``patch-child``; anything else ``transition``; ``spec.configuration``, ``spec.ingress`` and
``spec.template.metadata`` are never compared), ``utils/bluegreen/BlueGreenUtils.java`` (the
baseline is ``status.lastReconciledSpec``; a transition takes a savepoint unless the upgrade mode
is stateless) and ``controller/bluegreen/BlueGreenDeploymentService.java`` (in-place suspend and
resume, changes to a suspended child, what waits during a transition).
"""

from __future__ import annotations

from flink_gitops.errors import UserError
from flink_gitops.flink import Located
from flink_gitops.plan import model as M
from flink_gitops.plan.jobs import job_state, upgrade_mode
from flink_gitops.plan.live import mapping, parse_spec_json, text
from flink_gitops.plan.specdiff import NATIVE, diff_type, leaf_paths, read_spec, spec_diff

TEMPLATE_SPEC = "spec.template.spec"


def template_spec(loc: Located, spec: dict, where: str) -> dict:
    """``spec.template.spec``; the operator refuses a spec without one (``validateSpecs``)."""
    inner = mapping(spec, "template", "spec")
    if not inner and not isinstance(mapping(spec, "template").get("spec"), dict):
        raise UserError(loc.problem("missing: a FlinkBlueGreenDeployment needs spec.template.spec", where))
    return inner


def compare(left: dict, right: dict) -> tuple[str, list[M.FieldDiff]]:
    """``FlinkBlueGreenDeploymentSpecDiff.compare`` on two template specs: the blue/green diff type and the fields."""
    fields = spec_diff("FlinkDeployment", left, right, NATIVE, TEMPLATE_SPEC)
    lstate, rstate = job_state(left), job_state(right)  # getJobState: RUNNING unless suspended
    if lstate != rstate:
        if rstate == "suspended":
            return M.SUSPEND, fields
        if lstate == "suspended" and rstate == "running":
            return M.RESUME, fields
    kind = diff_type(fields)
    if kind == M.SAVEPOINT_REDEPLOY:
        return M.SAVEPOINT_REDEPLOY, fields
    if read_spec("FlinkDeployment", left) == read_spec("FlinkDeployment", right):
        return M.IGNORE, fields
    return (M.PATCH_CHILD if kind == M.IGNORE else M.TRANSITION), fields


def outer_fields(left: dict, right: dict) -> list[M.FieldDiff]:
    """Changes outside ``spec.template.spec``: the blue/green diff never looks at them."""
    out = []
    for key in ("configuration", "ingress"):
        if left.get(key) != right.get(key):
            out += [M.FieldDiff(p, M.IGNORE) for p in leaf_paths(left.get(key), right.get(key), f"spec.{key}")]
    lm, rm = mapping(left, "template").get("metadata"), mapping(right, "template").get("metadata")
    if lm != rm:
        out += [M.FieldDiff(p, M.IGNORE) for p in leaf_paths(lm, rm, "spec.template.metadata")]
    return out


def plan_blue_green(d: M.Decision, desired: Located | None, live: Located | None, savepoint_on_deletion) -> M.Decision:
    if desired is None:
        kept = savepoint_on_deletion(live)
        d.upgrade = M.DELETE
        d.state = M.KEPT if kept[0] else M.LOST
        return d.why(f"removed from the desired objects: its child FlinkDeployments are garbage-collected and each "
                     f"cancels its job {'with' if kept[0] else 'without'} a savepoint ({kept[1]})")
    dspec = mapping(desired.obj, "spec")
    right = template_spec(desired, dspec, TEMPLATE_SPEC)
    if live is None:
        d.upgrade = M.DEPLOY
        path = mapping(right, "job").get("initialSavepointPath")
        d.state = M.KEPT if path else M.NOT_APPLICABLE
        return d.why("new: the operator deploys the blue child FlinkDeployment (INITIALIZING_BLUE)"
                     + (f" from spec.template.spec.job.initialSavepointPath {path}" if path else
                        "; it starts from empty state (there is none to lose)"))
    status = live.obj.get("status")
    last = parse_spec_json(live, mapping(status).get("lastReconciledSpec") if isinstance(status, dict) else None,
                           "status.lastReconciledSpec")
    baseline_outer = last if last is not None else mapping(live.obj, "spec")
    left = template_spec(live, baseline_outer, "status.lastReconciledSpec.spec.template.spec" if last is not None
                         else TEMPLATE_SPEC)
    kind, fields = compare(left, right)
    d.fields = sorted(fields + outer_fields(baseline_outer, dspec), key=lambda f: f.path)
    if d.change == M.UNCHANGED:
        if kind != M.IGNORE:
            d.why(f"pending: the operator has not reconciled this spec yet ({kind} against status.lastReconciledSpec);"
                  " this sync changes nothing")
        d.fields = []
        return d
    d.diff = kind
    bg_state = text(status, "blueGreenState") if isinstance(status, dict) else None
    job_state = text(status, "jobStatus", "state") if isinstance(status, dict) else None
    base = "status.lastReconciledSpec" if last is not None else "the live spec"
    if kind == M.IGNORE:
        d.why(f"spec.template.spec is unchanged against {base}: spec.configuration, spec.ingress and "
              "spec.template.metadata are not compared (FlinkBlueGreenDeploymentSpecDiff.compare)")
        return d
    transitioning = bool(bg_state and bg_state.startswith(("TRANSITIONING", "SAVEPOINTING")))
    if transitioning and kind == M.SUSPEND:
        d.upgrade, d.state = M.BLOCKED, M.NOT_APPLICABLE
        return d.why(f"blocked: suspend during a transition (status.blueGreenState {bg_state}): the operator waits for "
                     "the transition to finish (handleSpecChangesDuringTransition)")
    mode = upgrade_mode(right)
    if kind == M.SUSPEND:
        d.upgrade = M.SUSPEND
        d.state = M.LOST if mode == "stateless" else M.KEPT
        return d.why("spec.template.spec.job.state suspended: the active child is suspended in place "
                     f"(upgradeMode {mode}: " + ("its state is not kept)" if mode == "stateless" else
                                                  "its state is kept for the resume)"))
    if kind == M.RESUME:
        d.upgrade = M.RESUME
        d.state = M.LOST if mode == "stateless" else M.KEPT
        return d.why(f"spec.template.spec.job.state running after suspended: the child resumes in place with the new "
                     f"spec (upgradeMode {mode}" + (": starts from empty state)" if mode == "stateless" else
                                                   ": from the state it was suspended with)"))
    if job_state == "SUSPENDED":
        d.upgrade, d.state = M.PATCH_CHILD, M.NOT_APPLICABLE
        return d.why("the child is suspended (status.jobStatus.state SUSPENDED): the change is patched into it without "
                     "a restart")
    if transitioning:
        d.upgrade, d.state = M.PATCH_CHILD, M.AT_RISK
        return d.why(f"at-risk: a transition is in progress (status.blueGreenState {bg_state}): the change is patched "
                     "into the child being started, which restarts it (handleSpecChangesDuringTransition)")
    if kind == M.PATCH_CHILD:
        d.upgrade, d.state = M.PATCH_CHILD, M.NOT_APPLICABLE
        changed = ", ".join(f.path for f in fields) or "fields"
        return d.why(f"only fields the operator's spec diff ignores changed ({changed}): the active child is patched, "
                     "its job is not restarted")
    if kind == M.SAVEPOINT_REDEPLOY:
        path = mapping(right, "job").get("initialSavepointPath")
        d.upgrade = M.SAVEPOINT_REDEPLOY
        d.state = M.KEPT if path else M.LOST
        return d.why("spec.template.spec.job.savepointRedeployNonce changed: a new child starts "
                     + (f"from spec.template.spec.job.initialSavepointPath {path}" if path else
                        "with no initialSavepointPath, from empty state") + " and replaces the active one")
    d.upgrade = M.TRANSITION
    changed = ", ".join(f.path for f in fields if f.diff != M.IGNORE)
    d.why(f"spec.template.spec changes ({changed}): the operator starts the other colour and switches over "
          "(BlueGreenDeploymentService.startTransition)")
    if mode == "stateless":
        d.state = M.LOST
        return d.why("spec.template.spec.job.upgradeMode stateless: no savepoint is taken, the new child starts from "
                     "empty state (BlueGreenUtils.isSavepointRequired)")
    d.state = M.KEPT
    if job_state and job_state not in ("RUNNING",):
        d.state = M.AT_RISK
        d.why(f"at-risk: the active child is not running (status.jobStatus.state {job_state}): the savepoint or the "
              "transition may fail")
    return d.why(f"upgradeMode {mode}: the operator takes a savepoint of the active child and the new child starts "
                 "from it (BlueGreenDeploymentService.handleSavepoint)")
