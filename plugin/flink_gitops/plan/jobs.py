"""What the operator does to a FlinkDeployment or FlinkSessionJob when its spec changes: the job reconcilers, step by step.

Read from flink-kubernetes-operator ``reconciler/deployment/AbstractFlinkResourceReconciler.java``
(first deployment, the spec diff against ``lastReconciledSpec``, in-place scaling before anything
else, the rolled-back spec), ``AbstractJobReconciler.java`` (``reconcileSpecChange``: savepoint
redeploy, suspend, resume; ``getJobUpgrade``: the upgrade mode the job state allows, the last-state
fallback, Flink version changes, cancel instead of HA metadata), ``ApplicationReconciler.java``
(the HA-metadata fallback, deletion with ``job.savepoint-on-deletion``), ``SessionReconciler.java``
(session clusters are deleted and redeployed), ``sessionjob/SessionJobReconciler.java`` (a session
job waits for its session cluster), ``service/NativeFlinkService.java`` (in-place scaling: Flink
1.18+, the adaptive scheduler, parallelism overrides) and ``StandaloneFlinkService.java`` (reactive
mode scales the TaskManagers). Each decision lists, in ``reasons``, the spec field, the status
field and the rule that decided.

The planner sees files, not the Flink cluster: where the operator asks the cluster (is there HA
metadata? how old is the last checkpoint?) the planner assumes the answer the configuration
implies and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from flink_gitops.flink import Located
from flink_gitops.plan import model as M
from flink_gitops.plan.live import LiveStatus, mapping
from flink_gitops.plan.settings import (BLOCK_ON_SESSION_JOBS, IGNORE_PENDING_SAVEPOINT, INPLACE_SCALING,
                                        JM_DEPLOYMENT_RECOVERY, LAST_STATE_CANCEL, LAST_STATE_FALLBACK,
                                        SAVEPOINT_ON_DELETION, Settings)
from flink_gitops.plan.specdiff import NATIVE, STANDALONE, diff_type, read_spec, unknown_fields
from flink_gitops.render.validation.flinkconf import version_tuple

DEPLOYMENT, SESSION_JOB = "FlinkDeployment", "FlinkSessionJob"
LAST_STATE_DUMMY_SP_PATH = "KUBERNETES_OPERATOR_LAST_STATE"  # AbstractJobReconciler


def spec_of(loc: Located | None) -> dict:
    return mapping(loc.obj, "spec") if loc is not None else {}


def job_of(spec: dict) -> dict | None:
    job = spec.get("job") if isinstance(spec, dict) else None
    return job if isinstance(job, dict) else None


def job_state(spec: dict) -> str:
    job = job_of(spec) or {}
    return job.get("state") or "running"


def upgrade_mode(spec: dict) -> str:
    job = job_of(spec) or {}
    return job.get("upgradeMode") or "stateless"


@dataclass
class Resource:
    """One FlinkDeployment or FlinkSessionJob being planned, with what its reconciler reads."""

    kind: str
    desired: Located | None
    live: Located | None
    # deployConfig (the desired spec's configuration) and observeConfig (the deployed spec's), built when
    # first read: most resources (unchanged, ignored changes) never need them
    deploy_settings: Callable[[], Settings] | None = None
    observe_settings: Callable[[], Settings] | None = None
    mode: str = NATIVE
    flink_version: str | None = None  # of the deployed spec (a session job: its session cluster's)
    version_changed: bool = False
    session_cluster: Located | None = None  # a session job's FlinkDeployment (live)
    session_cluster_desired: bool = False  # ... and whether the desired objects have it
    session_jobs: list[str] = field(default_factory=list)  # a session cluster's session jobs (live or desired)

    @property
    def obj(self) -> Located:
        return self.desired or self.live

    @cached_property
    def deploy(self) -> Settings:
        return self.deploy_settings()

    @cached_property
    def observe(self) -> Settings:
        return self.observe_settings()


class Job:
    """The decision for one job resource, built as the reconciler walks (each step may add reasons)."""

    def __init__(self, res: Resource, decision: M.Decision, status: LiveStatus | None, desired: dict,
                 baseline: dict):
        self.res, self.d, self.status, self.desired, self.baseline = res, decision, status, desired, baseline

    # -- outcomes --------------------------------------------------------------------------------
    def done(self, upgrade: str, state: str, *reasons: str) -> M.Decision:
        self.d.upgrade, self.d.state = upgrade, state
        self.d.reasons.extend(reasons)
        return self.d

    def blocked(self, why: str) -> M.Decision:
        # The job keeps running as it is until the operator can go on: nothing is lost yet.
        return self.done(M.BLOCKED, M.NOT_APPLICABLE, f"blocked: {why}")

    # -- facts -----------------------------------------------------------------------------------
    def job_state_text(self) -> str:
        s = self.status
        return f"status.jobStatus.state {s.job_state}" if s and s.job_state else "status.jobStatus.state unknown"

    def risks(self, restoring: bool) -> list[str]:
        """Why a restore may not bring back all the state: the at-risk reasons that apply."""
        out = []
        if not restoring:
            return out
        job = job_of(self.desired) or {}
        if job.get("allowNonRestoredState") in (True, "true"):
            out.append("at-risk: spec.job.allowNonRestoredState is true: state of operators missing from the new "
                       "job graph is dropped without error")
        if self.res.version_changed:
            out.append(f"at-risk: spec.flinkVersion changes ({self.baseline.get('flinkVersion')} -> "
                       f"{self.desired.get('flinkVersion')}): the state is restored by another Flink version")
        return out


def _restore_state(risks: list[str]) -> str:
    return M.AT_RISK if risks else M.KEPT


# --- create and delete -------------------------------------------------------------------------------


def first_deployment(job: Job, why: str) -> M.Decision:
    """``reconcile`` before the first deployment: deploy the spec, from ``initialSavepointPath`` if set."""
    spec = job.desired
    j = job_of(spec)
    if j is not None and job_state(spec) == "suspended":
        return job.done(M.NONE, M.NOT_APPLICABLE, f"{why}; spec.job.state is suspended: the operator deploys nothing "
                        "until it is running (AbstractFlinkResourceReconciler.reconcile)")
    if job.res.kind == SESSION_JOB:
        if job.res.session_cluster is None and job.res.session_cluster_desired:
            why += (f"; its session cluster {job.desired.get('deploymentName')} is created by the same sync: the job "
                    "is submitted once that is READY (SessionJobReconciler.readyToReconcile)")
        else:
            waiting = session_cluster_not_ready(job)
            if waiting:
                return job.blocked(waiting)
    if j is None:
        return job.done(M.DEPLOY, M.NOT_APPLICABLE, f"{why}; a session cluster: no job state")
    path = j.get("initialSavepointPath")
    if path:
        risks = job.risks(True)
        return job.done(M.DEPLOY, _restore_state(risks),
                        f"{why}; the job starts from spec.job.initialSavepointPath {path}", *risks)
    return job.done(M.DEPLOY, M.NOT_APPLICABLE,
                    f"{why}; no spec.job.initialSavepointPath: the job starts from empty state (there is none to lose)")


def deletion(job: Job) -> M.Decision:
    """``cleanupInternal``: cancel the job (with a savepoint when ``job.savepoint-on-deletion``), delete the cluster."""
    res, s = job.res, job.status
    live_spec = spec_of(res.live)
    j = job_of(live_spec)
    if res.kind == DEPLOYMENT and j is None:
        jobs = res.session_jobs
        if jobs and res.observe.flag(BLOCK_ON_SESSION_JOBS):
            return job.blocked(f"session jobs {', '.join(jobs)} run in this session cluster: the operator deletes "
                               f"it only after them ({res.observe.where(BLOCK_ON_SESSION_JOBS)}, "
                               "SessionReconciler.cleanupInternal)")
        return job.done(M.DELETE, M.NOT_APPLICABLE, "removed from the desired objects: the session cluster is deleted")
    if s is None or not s.present or s.last_reconciled is None:
        return job.done(M.DELETE, M.NOT_APPLICABLE, "removed from the desired objects; never deployed by the operator")
    deployed = s.last_reconciled
    if job_state(deployed) == "suspended" or s.terminal:
        where = ("suspended (status.reconciliationStatus.lastReconciledSpec job.state)" if job_state(deployed) ==
                 "suspended" else f"not running ({job.job_state_text()})")
        if upgrade_mode(deployed) == "last-state" and job_state(deployed) == "suspended" and res.kind == DEPLOYMENT:
            return job.done(M.DELETE, M.LOST, f"removed from the desired objects; the job is {where} with last-state: "
                            "deleting the cluster deletes the HA metadata it would resume from "
                            "(ApplicationReconciler.cleanupInternal)")
        kept = s.known_savepoint if s.known_savepoint != LAST_STATE_DUMMY_SP_PATH else None
        if kept:
            return job.done(M.DELETE, M.KEPT, f"removed from the desired objects; the job is {where}: its last "
                            f"savepoint {kept} (status.jobStatus) stays in storage; restore it with "
                            "spec.job.initialSavepointPath")
        return job.done(M.DELETE, M.NOT_APPLICABLE, f"removed from the desired objects; the job is {where}")
    if res.observe.flag(SAVEPOINT_ON_DELETION):
        return job.done(M.DELETE, M.KEPT, "removed from the desired objects: the job is cancelled with a savepoint "
                        f"({res.observe.where(SAVEPOINT_ON_DELETION)}); restore it with spec.job.initialSavepointPath")
    gone = ("its cluster and HA data deleted (ApplicationReconciler.cleanupInternal" if res.kind == DEPLOYMENT
            else "its state dropped (SessionJobReconciler.cleanupInternal")
    return job.done(M.DELETE, M.LOST, "removed from the desired objects: the job is cancelled without a savepoint "
                    f"({res.observe.where(SAVEPOINT_ON_DELETION)}) and {gone}, SuspendMode.STATELESS)")


def session_cluster_not_ready(job: Job) -> str | None:
    """``SessionJobReconciler.readyToReconcile``: the session cluster must exist with its JobManager READY."""
    name = job.desired.get("deploymentName") if job.desired else None
    cluster = job.res.session_cluster
    if cluster is None:
        return f"spec.deploymentName {name}: no such FlinkDeployment among the live objects; the session job waits for it"
    jm = mapping(cluster.obj, "status").get("jobManagerDeploymentStatus")
    if jm != "READY":
        return (f"session cluster {name} is not ready (status.jobManagerDeploymentStatus {jm or 'unset'}): the session "
                "job waits (SessionJobReconciler.readyToReconcile)")
    return None


# --- update --------------------------------------------------------------------------------------------


def plan_update(job: Job) -> M.Decision:
    """``AbstractFlinkResourceReconciler.reconcile`` for a spec change against the last reconciled spec."""
    d, s, res = job.d, job.status, job.res
    diff = diff_type(d.fields)
    d.diff = diff
    upgrading = s is not None and s.reconciliation_state == "UPGRADING"
    for path in unknown_fields(res.kind, job.desired):
        d.reasons.append(f"{path} is not a field of the operator's spec: it is dropped when read and never diffed")
    if diff == M.IGNORE and not upgrading:
        return ignored(job)
    changed = ", ".join(f.path for f in d.fields if f.diff == diff) or "none"
    d.reasons.append(f"{diff} change: {changed} (ReflectiveDiffBuilder against "
                     f"{'status.reconciliationStatus.lastReconciledSpec' if s and s.last_reconciled else 'the live spec'},"
                     f" {res.mode} mode)")
    if upgrading and diff == M.IGNORE:
        d.reasons.append("status.reconciliationStatus.state is UPGRADING: the operator finishes the upgrade in flight")
    if s is not None and s.savepoint_trigger and not res.observe.flag(IGNORE_PENDING_SAVEPOINT):
        return job.blocked(f"a savepoint is in progress (status.jobStatus.savepointInfo.triggerId "
                           f"{s.savepoint_trigger}): the operator waits for it "
                           f"({res.observe.where(IGNORE_PENDING_SAVEPOINT)}, AbstractJobReconciler.readyToReconcile)")
    if res.kind == SESSION_JOB:
        waiting = session_cluster_not_ready(job)
        if waiting:
            return job.blocked(waiting)
    if s is not None and s.reconciliation_state == "ROLLED_BACK" and s.last_stable is not None \
            and read_spec(res.kind, job.desired) == read_spec(res.kind, s.last_stable):
        return job.done(M.NONE, M.NOT_APPLICABLE, "the desired spec is the last stable spec the deployment was rolled "
                        "back to (status.reconciliationStatus.lastStableSpec): no upgrade "
                        "(checkNewSpecAlreadyDeployed)")
    if job_of(job.desired) is None and res.kind == DEPLOYMENT:
        return session_cluster_change(job, diff)
    if diff not in (M.SAVEPOINT_REDEPLOY, M.UPGRADE):
        scaled = try_scale(job)
        if scaled:
            return scaled
    return reconcile_spec_change(job, diff)


def ignored(job: Job) -> M.Decision:
    """Only ignored fields changed: the operator records the spec and leaves the job alone."""
    d = job.d
    if not d.fields:
        base = ("status.reconciliationStatus.lastReconciledSpec" if job.status and job.status.last_reconciled
                else "the live spec")
        d.reasons.append(f"the desired spec reads the same as {base} (what the operator compares): the job is not "
                         "touched")
        return job.done(M.NONE, M.NOT_APPLICABLE)
    d.reasons.append("every changed field is ignored by the operator's spec diff (@SpecDiff(IGNORE) or an ignored "
                     "flinkConfiguration prefix): the job is not touched")
    paths = {f.path for f in d.fields}
    if "spec.job.upgradeMode" in paths:
        d.reasons.append("spec.job.upgradeMode applies from the next upgrade on")
    if "spec.job.savepointTriggerNonce" in paths:
        d.reasons.append("spec.job.savepointTriggerNonce changed: the operator triggers a manual savepoint "
                         "(reconcileOtherChanges); the job keeps running")
    if "spec.job.checkpointTriggerNonce" in paths:
        d.reasons.append("spec.job.checkpointTriggerNonce changed: the operator triggers a manual checkpoint")
    if "spec.job.initialSavepointPath" in paths:
        d.reasons.append("spec.job.initialSavepointPath is only read at the first deployment or with a "
                         "savepointRedeployNonce change")
    if any(p.startswith("spec.flinkConfiguration.job.autoscaler") for p in paths):
        d.reasons.append("job.autoscaler.* keys change the autoscaler, which may rescale the job on its own later")
    return job.done(M.NONE, M.NOT_APPLICABLE)


def session_cluster_change(job: Job, diff: str) -> M.Decision:
    """``SessionReconciler``: standalone TaskManagers scale in place; any other change redeploys the cluster."""
    res = job.res
    if diff == M.SCALE and res.mode == STANDALONE:
        return job.done(M.SCALE, M.NOT_APPLICABLE, "standalone session cluster: the TaskManager deployment is scaled "
                        "in place (StandaloneFlinkService.scale)")
    jobs = res.session_jobs
    text = ("the session cluster is deleted and deployed again (SessionReconciler.reconcileSpecChange, HA data kept)")
    if not jobs:
        return job.done(M.DEPLOY, M.NOT_APPLICABLE, text)
    if res.observe.ha:
        return job.done(M.DEPLOY, M.KEPT, text, f"its session jobs {', '.join(jobs)} are recovered from HA metadata "
                        f"({res.observe.ha_key()})")
    return job.done(M.DEPLOY, M.AT_RISK, text, f"at-risk: its session jobs {', '.join(jobs)} stop with the cluster and "
                    "without HA (high-availability.type not set) nothing brings their state back")


def try_scale(job: Job) -> M.Decision | None:
    """``FlinkService.scale``: in place where the operator can, else None (the regular upgrade follows)."""
    res, s, d = job.res, job.status, job.d
    if res.kind == SESSION_JOB and res.mode == STANDALONE:
        d.reasons.append("standalone session job: StandaloneFlinkService.scale looks for a TaskManager deployment "
                         "named after the session job, which does not exist: falls back to an upgrade")
        return None
    if res.mode == STANDALONE:
        if res.observe.reactive():
            return job.done(M.SCALE, M.KEPT, "standalone with scheduler-mode: reactive: the operator scales the "
                            "TaskManager deployment and the job rescales itself (StandaloneFlinkService.scale)")
        d.reasons.append("standalone without scheduler-mode: reactive: no in-place scaling "
                         "(StandaloneFlinkService.scale), falls back to an upgrade")
        return None
    # native: NativeFlinkService.supportsInPlaceScaling
    if not res.observe.flag(INPLACE_SCALING):
        d.reasons.append(f"in-place scaling disabled ({res.observe.where(INPLACE_SCALING)}): falls back to an upgrade")
        return None
    version = version_tuple(res.flink_version)
    if version is None or version < (1, 18):
        d.reasons.append(f"in-place scaling needs Flink 1.18+ (flinkVersion {res.flink_version or 'unset'}): falls "
                         "back to an upgrade (NativeFlinkService.supportsInPlaceScaling)")
        return None
    if not res.observe.adaptive():
        d.reasons.append(f"in-place scaling needs jobmanager.scheduler: adaptive ({res.observe.where('jobmanager.scheduler')}):"
                         " falls back to an upgrade (NativeFlinkService.supportsInPlaceScaling)")
        return None
    if s is not None and (s.terminal or s.job_state == "RECONCILING"):
        d.reasons.append(f"the job cannot be rescaled in place ({job.job_state_text()}): falls back to an upgrade")
        return None
    new, old = res.deploy.overrides(), res.observe.overrides()
    if not new and not old:
        d.reasons.append("no pipeline.jobvertex-parallelism-overrides before or after: falls back to an upgrade")
        return None
    dropped = sorted(set(old) - set(new))
    if dropped:
        d.reasons.append(f"parallelism overrides removed for {', '.join(dropped)}: falls back to an upgrade "
                         "(NativeFlinkService.scale)")
        return None
    return job.done(M.SCALE, M.KEPT, "pipeline.jobvertex-parallelism-overrides applied in place through the "
                    f"resource requirements API (Flink {'.'.join(map(str, version))}, adaptive scheduler; "
                    "NativeFlinkService.scale)")


def reconcile_spec_change(job: Job, diff: str) -> M.Decision:
    """``AbstractJobReconciler.reconcileSpecChange``."""
    s = job.status
    current = job_state(s.last_reconciled if s and s.last_reconciled else job.baseline)
    desired = job_state(job.desired)
    if diff == M.SAVEPOINT_REDEPLOY:
        return savepoint_redeploy(job, desired)
    if current == "running":
        return upgrade_running(job, desired)
    if desired == "running":
        return resume(job)
    return job.done(M.NONE, M.NOT_APPLICABLE, "the job stays suspended (spec.job.state suspended): the change applies "
                    "when it is resumed")


def savepoint_redeploy(job: Job, desired: str) -> M.Decision:
    path = (job_of(job.desired) or {}).get("initialSavepointPath")
    head = ("spec.job.savepointRedeployNonce changed: the job is cancelled without a savepoint and "
            + ("deployed again" if desired == "running" else "left stopped (spec.job.state suspended)")
            + " (AbstractJobReconciler.redeployWithSavepoint)")
    if path:
        risks = job.risks(True)
        return job.done(M.SAVEPOINT_REDEPLOY, _restore_state(risks), head,
                        f"it starts from spec.job.initialSavepointPath {path}; the running job's newer state is "
                        "discarded", *risks)
    return job.done(M.SAVEPOINT_REDEPLOY, M.LOST, head, "no spec.job.initialSavepointPath: the job starts from empty "
                    "state")


@dataclass
class Upgrade:
    """``AbstractJobReconciler.JobUpgrade``: how the running job is stopped and how the new one restores."""

    suspend: str  # savepoint | last-state (HA metadata) | cancel | stateless | noop
    restore: str  # savepoint | last-state | stateless
    reasons: list[str]
    risks: list[str]


def upgrade_running(job: Job, desired: str) -> M.Decision:
    """The job was running: ``getJobUpgrade`` decides how it is stopped and restored."""
    found = get_job_upgrade(job)
    if isinstance(found, str):
        s, res = job.status, job.res
        if res.kind == DEPLOYMENT and s is not None and s.present and (s.jm_status or "MISSING") == "MISSING" \
                and res.observe.ha and res.observe.flag(JM_DEPLOYMENT_RECOVERY):
            job.d.reasons.append("meanwhile the operator recreates the missing JobManager deployment from HA "
                                 f"metadata ({res.observe.where(JM_DEPLOYMENT_RECOVERY)}, "
                                 "AbstractFlinkResourceReconciler.shouldRecoverDeployment)")
        return job.blocked(found)
    risks = found.risks + job.risks(found.restore != "stateless")
    if desired == "suspended":
        if found.restore == "stateless":
            return job.done(M.SUSPEND, M.LOST, *found.reasons, "spec.job.state suspended: the job is cancelled without "
                            "keeping state; resuming starts from empty state")
        return job.done(M.SUSPEND, M.AT_RISK if found.risks else M.KEPT, *found.reasons,
                        "spec.job.state suspended: the job stops; its state is kept for the resume", *found.risks)
    if found.restore == "stateless":
        return job.done(M.STATELESS, M.LOST, *found.reasons)
    upgrade = M.LAST_STATE if found.suspend in ("last-state", "cancel") or found.restore == "last-state" else M.SAVEPOINT
    return job.done(upgrade, _restore_state(risks), *found.reasons, *risks)


def get_job_upgrade(job: Job) -> Upgrade | str:
    """``AbstractJobReconciler.getJobUpgrade`` (and ``ApplicationReconciler.getJobUpgrade``); a str: blocked, and why."""
    res, s = job.res, job.status
    mode = upgrade_mode(job.desired)
    state = job.job_state_text()
    if mode == "stateless":
        return Upgrade("stateless", "stateless", [
            "spec.job.upgradeMode stateless: the job is cancelled and starts from empty state (JobUpgrade.stateless)"],
            [])
    if s is not None and s.terminal and (s.job_state == "CANCELED" or not res.observe.ha or s.jm_accessible):
        # useStatusSavepoint: a terminal job restores from what the status recorded
        if s.known_savepoint == LAST_STATE_DUMMY_SP_PATH:
            return (f"the job is terminal ({state}) but its last checkpoint is unknown "
                    "(status.jobStatus.upgradeSavepointPath is the last-state marker): the operator fails the upgrade "
                    "and a manual restore is needed (UpgradeFailureException)")
        if s.known_savepoint:
            return Upgrade("noop", "savepoint", [f"the job is not running ({state}): it restores from the savepoint or "
                           f"checkpoint in the status, {s.known_savepoint} (useStatusSavepoint)"], [])
        return Upgrade("noop", "savepoint", [f"the job is not running ({state}) and the status records no savepoint "
                       "or checkpoint (status.jobStatus.upgradeSavepointPath, savepointInfo.lastSavepoint)"],
                       ["at-risk: nothing recorded to restore from: the job may start from empty state"])
    if s is not None and s.job_state == "CANCELLING":
        return "the job is being cancelled (status.jobStatus.state CANCELLING): the operator waits for it"
    running = s is None or not s.present or s.running
    if s is None or not s.present:
        job.d.reasons.append("the live object has no status: assuming its job runs as its spec says")
    if mode == "savepoint":
        if running:
            return Upgrade("savepoint", "savepoint", [
                f"spec.job.upgradeMode savepoint, the job is running ({state}): the operator takes a savepoint, "
                "stops the job and restores from it (JobUpgrade.savepoint)"], [])
        if res.version_changed or res.deploy.flag(LAST_STATE_FALLBACK):
            why = ("the Flink version changes" if res.version_changed
                   else res.deploy.where(LAST_STATE_FALLBACK))
            fallback = [f"at-risk: spec.job.upgradeMode savepoint but the job is not running ({state}): no savepoint "
                        f"can be taken, so it falls back to last-state ({why}) and restores the latest checkpoint, "
                        "which may be old"]
            found = last_state(job, running=False)
            if isinstance(found, str):
                return found
            found.risks[:0] = fallback
            return found
        return (f"spec.job.upgradeMode savepoint and the job is not running ({state}): with "
                f"{res.deploy.where(LAST_STATE_FALLBACK)} the operator waits for the job to run")
    return last_state(job, running)


def last_state(job: Job, running: bool) -> Upgrade | str:
    """The last-state branch of ``getJobUpgrade`` (also reached by the savepoint fallback)."""
    res, s = job.res, job.status
    state = job.job_state_text()
    cancellable = s is None or not s.present or s.cancellable
    if res.version_changed:
        if running and res.observe.savepoint_dir:
            return Upgrade("savepoint", "savepoint", [
                "the Flink version changes: HA metadata cannot carry the state across versions, so the operator "
                "takes a savepoint (getJobUpgrade, versionChanged)"], [])
        if cancellable:
            return Upgrade("cancel", "savepoint", [
                "the Flink version changes and no savepoint can be taken (job not running or no savepoint "
                "directory): the job is cancelled and restores its last checkpoint"], [])
        return (f"the Flink version changes and neither a savepoint nor a cancellation is possible ({state}): the "
                "operator waits for an upgradeable state")
    allow_cancel = cancellable and (res.kind == SESSION_JOB or not res.observe.ha
                                    or res.observe.flag(LAST_STATE_CANCEL))
    if running:
        age = res.deploy.checkpoint_max_age
        if allow_cancel:
            why = ("a session job" if res.kind == SESSION_JOB else
                   f"no HA ({res.observe.ha_key()})" if not res.observe.ha else res.observe.where(LAST_STATE_CANCEL))
            risks = [] if res.kind == SESSION_JOB or res.observe.ha else [
                f"at-risk: last-state without HA ({res.observe.ha_key()}): the job is cancelled and restores the "
                "latest completed checkpoint; anything after it is replayed or lost"]
            reasons = [f"spec.job.upgradeMode last-state, the job is running: it is cancelled ({why}) and restores "
                       "its latest checkpoint (JobUpgrade.lastStateUsingCancel)"]
        else:
            risks = []
            reasons = [f"spec.job.upgradeMode last-state, the job is running: the cluster is deleted keeping its HA "
                       f"metadata ({res.observe.ha_key()}) and the job resumes from its latest checkpoint "
                       "(JobUpgrade.lastStateUsingHaMeta)"]
        if age:
            reasons.append(f"if its latest checkpoint is older than {age} "
                           "(kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age) the operator "
                           "takes a savepoint instead, or waits for a checkpoint in progress")
        return Upgrade("cancel" if allow_cancel else "last-state", "last-state", reasons, risks)
    if allow_cancel:
        return Upgrade("cancel", "savepoint", [
            f"the job is not running ({state}) but can be cancelled: it restores its latest checkpoint "
            "(JobUpgrade.lastStateUsingCancel)"],
            [f"at-risk: the job is not running ({state}): its latest checkpoint may be old"])
    # unavailable: ApplicationReconciler's HA-metadata fallback
    if res.kind == DEPLOYMENT and res.deploy.ha and res.observe.ha:
        return Upgrade("last-state", "last-state", [
            f"the job is not running ({state}): HA is configured ({res.observe.ha_key()}), so, assuming its HA "
            "metadata exists, the job resumes from it (ApplicationReconciler.getJobUpgrade)"],
            [f"at-risk: the job is not running ({state}): the checkpoint in its HA metadata may be old"])
    if res.kind == DEPLOYMENT and s is not None and s.jm_status in ("MISSING", "ERROR"):
        return (f"the JobManager deployment is {s.jm_status} (status.jobManagerDeploymentStatus) and without HA "
                "metadata no stateful upgrade is possible: the operator fails the upgrade and a manual restore is "
                "needed (ApplicationReconciler.getJobUpgrade)")
    return (f"the job is not running ({state}) and checkpoint information is not available: the operator waits for an "
            "upgradeable state (JobUpgrade.unavailable)")


def resume(job: Job) -> M.Decision:
    """Suspended -> running: restore with the mode the job was suspended with (unless stateless is asked)."""
    s = job.status
    suspended_with = upgrade_mode(s.last_reconciled if s and s.last_reconciled else job.baseline)
    asked = upgrade_mode(job.desired)
    head = "spec.job.state running after suspended (status.reconciliationStatus.lastReconciledSpec): the job is resumed"
    if asked == "stateless" or suspended_with == "stateless":
        why = ("spec.job.upgradeMode stateless" if asked == "stateless"
               else "it was suspended stateless (lastReconciledSpec job.upgradeMode)")
        return job.done(M.RESUME, M.LOST, head, f"{why}: it starts from empty state")
    risks = job.risks(True)
    if suspended_with == "last-state":
        return job.done(M.RESUME, _restore_state(risks), head, "it was suspended with last-state: it resumes from its "
                        "HA metadata (restoreJob, requireHaMetadata)", *risks)
    path = s.known_savepoint if s else None
    if path and path != LAST_STATE_DUMMY_SP_PATH:
        return job.done(M.RESUME, _restore_state(risks), head, f"it restores from the savepoint taken when it was "
                        f"suspended, {path} (status.jobStatus.upgradeSavepointPath)", *risks)
    return job.done(M.RESUME, M.AT_RISK, head, "at-risk: the status records no savepoint to restore from "
                    "(status.jobStatus.upgradeSavepointPath, savepointInfo.lastSavepoint): it may start from "
                    "empty state", *risks)
