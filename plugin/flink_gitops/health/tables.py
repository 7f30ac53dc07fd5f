"""The health decision tables: the single source of truth for Flink resource health.

One ordered table per kind; the first rule whose condition holds decides. Everything else is
derived from these tables: ``lua/flink.apache.org/<Kind>/health.lua`` (Argo CD), the Python
evaluator (CLI, service), and ``docs/health.md``.

Two constraints shape every rule (see docs/health.md for the long form):

* Sync waves must not hang. In a multi-wave sync Argo CD waits until a resource is Healthy
  (task succeeded) or Degraded (task failed); Progressing, Suspended and Unknown keep the wave
  waiting with no timeout. So a resource whose *desired* state is reached is Healthy, with a
  message that says what it is (a job suspended on purpose is Healthy "Suspended").
* Never Healthy on a stale or rejected spec. ``status.observedGeneration`` is written together
  with ``lastReconciledSpec``: while it is behind ``metadata.generation`` the new spec is not
  running yet. Older operators (1.0-1.2, 0.1.x) write neither it nor ``lifecycleState``; no
  rule depends on a field they never write.
"""

from __future__ import annotations

from flink_gitops.health.model import (
    TRUE,
    Eq,
    ErrorText,
    Field,
    In,
    IsTable,
    Less,
    Not,
    Opt,
    Present,
    Rule,
    Table,
    absent,
    all_absent,
    Val,
)

from flink_gitops.flink import API_GROUP as GROUP

LIFECYCLE = ("CREATED", "SUSPENDED", "UPGRADING", "DEPLOYED", "STABLE", "ROLLING_BACK", "ROLLED_BACK",
             "FAILED", "DELETING", "DELETED")
JM_STATUS = ("READY", "DEPLOYED_NOT_READY", "DEPLOYING", "MISSING", "ERROR")
RECONCILIATION = ("DEPLOYED", "UPGRADING", "ROLLING_BACK", "ROLLED_BACK")
JOB_STATES = ("INITIALIZING", "CREATED", "RUNNING", "FAILING", "FAILED", "CANCELLING", "CANCELED",
              "FINISHED", "RESTARTING", "SUSPENDED", "RECONCILING")
SNAPSHOT_STATES = ("COMPLETED", "FAILED", "IN_PROGRESS", "TRIGGER_PENDING", "ABANDONED")
BLUE_GREEN_STATES = ("INITIALIZING_BLUE", "ACTIVE_BLUE", "ACTIVE_GREEN", "TRANSITIONING_TO_BLUE",
                     "TRANSITIONING_TO_GREEN", "SAVEPOINTING_BLUE", "SAVEPOINTING_GREEN")

# Job states grouped by what they mean for the user (Flink's org.apache.flink.api.common.JobStatus).
JOB_STARTING = ("INITIALIZING", "CREATED", "RECONCILING")
JOB_FAILING = ("FAILING", "RESTARTING")
JOB_CANCELED = ("CANCELLING", "CANCELED")
# What a suspended job looks like to operators that predate lifecycleState.
JOB_STOPPED = ("SUSPENDED", "CANCELED", "FINISHED")
ACTIVE = ("ACTIVE_BLUE", "ACTIVE_GREEN")
TRANSITIONING = ("INITIALIZING_BLUE", "TRANSITIONING_TO_BLUE", "TRANSITIONING_TO_GREEN",
                 "SAVEPOINTING_BLUE", "SAVEPOINTING_GREEN")

# --- fields shared by FlinkDeployment and FlinkSessionJob (CommonStatus) -----------------

_COMMON_FIELDS = (
    Field("status", ("status",), doc="the status block (absent until the operator's first reconcile)"),
    Field("deletion", ("metadata.deletionTimestamp",)),
    Field("generation", ("metadata.generation",)),
    Field("observed", ("status.observedGeneration",), doc="written with lastReconciledSpec (operator >= 1.3)"),
    Field("lifecycle", ("status.lifecycleState",), values=LIFECYCLE, doc="derived by CommonStatus.getLifecycleState"),
    Field("reconciliation", ("status.reconciliationStatus.state",), values=RECONCILIATION),
    Field("reconciled_spec", ("status.reconciliationStatus.lastReconciledSpec",), text=True),
    Field("job_state", ("status.jobStatus.state",), values=JOB_STATES),
    Field("error", ("status.error", "status.reconciliationStatus.error"), text=True,
          doc="status.error; 0.1.x operators wrote reconciliationStatus.error"),
    Field("job", ("spec.job",), doc="absent for a session cluster"),
    Field("desired", ("spec.job.state",), doc="running (default) or suspended"),
)

_NOT_OBSERVED = Not(IsTable("status")) | all_absent(
    "lifecycle", "reconciliation", "job_state", "error", "observed", "reconciled_spec"
)
_BEHIND = Less("observed", "generation")
_SUSPEND_WANTED = Eq("desired", "suspended")
# Status defaults before the first deployment: reconciliation state UPGRADING (or not written yet).
_NEVER_RECONCILED = Eq("reconciliation", "UPGRADING") | absent("reconciliation")


def _deleting(why: str) -> Rule:
    return Rule(
        "deleting",
        Present("deletion") | In("lifecycle", ("DELETING", "DELETED")),
        "Progressing",
        ("Being deleted",),
        why,
    )


def _not_observed(what: str) -> Rule:
    return Rule(
        "not-observed",
        _NOT_OBSERVED,
        "Progressing",
        ("Waiting for the Flink operator to reconcile this ", what),
        "The operator writes status on its first reconcile. No status means it has not seen the "
        "object yet: is the operator running and watching this namespace?",
    )


def _rejected() -> Rule:
    return Rule(
        "spec-rejected",
        _BEHIND & Present("error"),
        "Degraded",
        ("Generation ", Val("generation"), " was not applied (operator is at ", Val("observed"), "): ",
         ErrorText("error")),
        "On a validation failure the operator records status.error, keeps running the last accepted "
        "spec and leaves observedGeneration behind (ReconciliationUtils.applyValidationErrorAndResetSpec). "
        "Degraded, not Progressing: the operator will not retry until the spec changes, so a sync "
        "wave must fail instead of waiting forever.",
    )


def _pending_generation() -> Rule:
    return Rule(
        "generation-pending",
        _BEHIND,
        "Progressing",
        ("Waiting for the operator to apply generation ", Val("generation"), " (applied: ", Val("observed"), ")"),
        "observedGeneration moves with lastReconciledSpec; until it catches up the new spec is not "
        "running, so the resource must not look Healthy on the old one.",
    )


def _failure_rules(lifecycle_failed: str) -> tuple[Rule, ...]:
    """Terminal failures and rollbacks, shared by deployments and session jobs (CommonStatus)."""
    return (
        Rule(
            "job-failed",
            Eq("job_state", "FAILED"),
            "Degraded",
            ("Job FAILED", Opt("error", (": ", ErrorText("error")))),
            "FAILED is Flink's terminal failure state; the operator does not restart it by itself.",
        ),
        Rule(
            "failed",
            Eq("lifecycle", "FAILED"),
            "Degraded",
            ("Failed", Opt("error", (": ", ErrorText("error")))),
            f"Lifecycle FAILED: {lifecycle_failed}.",
        ),
        Rule(
            "rolled-back",
            Eq("lifecycle", "ROLLED_BACK") | Eq("reconciliation", "ROLLED_BACK"),
            "Degraded",
            ("Rolled back to the last stable spec; the desired spec is not running",
             Opt("error", (": ", ErrorText("error")))),
            "After a rollback the operator runs lastStableSpec, not what git asks for.",
        ),
        Rule(
            "rolling-back",
            Eq("lifecycle", "ROLLING_BACK") | Eq("reconciliation", "ROLLING_BACK"),
            "Progressing",
            ("Rolling back to the last stable spec", Opt("error", (": ", ErrorText("error")))),
            "The new spec did not become stable in time; the operator is restoring the last stable one "
            "(ends in ROLLED_BACK, which is Degraded).",
        ),
    )


def _resume_rules() -> tuple[Rule, ...]:
    """The reconciled spec is suspended while git asks for running: the operator is resuming."""
    return (
        Rule(
            "canceled-restoring",
            Eq("lifecycle", "SUSPENDED") & In("job_state", JOB_CANCELED),
            "Progressing",
            ("Job ", Val("job_state"), " outside the operator; the operator restores it because spec.job.state "
             "is running",),
            "Operators since FLINK-35414 (JobStatusObserver.markSuspended) record a job cancelled behind their "
            "back as suspended and then restore it, because the spec still asks for running. Older operators "
            "leave it cancelled (see job-canceled, Degraded).",
        ),
        Rule(
            "resuming",
            Eq("lifecycle", "SUSPENDED"),
            "Progressing",
            ("Resuming the suspended job",),
            "The reconciled spec is still the suspended one while git asks for a running job.",
        ),
    )


def _job_rules() -> tuple[Rule, ...]:
    """Rules on the Flink job state, shared by application deployments and session jobs."""
    return (
        Rule(
            "job-finished",
            Eq("job_state", "FINISHED"),
            "Healthy",
            ("Job finished",),
            "A bounded (batch) job reached its end: that is its desired final state.",
        ),
        Rule(
            "running-stable",
            Eq("job_state", "RUNNING") & (Eq("lifecycle", "STABLE") | absent("lifecycle")),
            "Healthy",
            ("Job running",),
            "The last reconciled spec runs and the operator marked it stable (or predates lifecycleState).",
        ),
        Rule(
            "running-deployed",
            Eq("job_state", "RUNNING") & Eq("lifecycle", "DEPLOYED"),
            "Healthy",
            ("Job running (deployed, not yet marked stable)",),
            "The desired spec runs. DEPLOYED only means it could still be rolled back later; waiting "
            "for STABLE would hold sync waves for the whole stability window or forever.",
        ),
        Rule(
            "job-canceled",
            In("job_state", JOB_CANCELED),
            "Degraded",
            ("Job ", Val("job_state"), " outside the operator while spec.job.state is running",),
            "The spec asks for a running job and no upgrade is in flight, so the job was cancelled "
            "behind the operator's back (Flink UI/REST); it will not come back by itself.",
        ),
        Rule(
            "job-failing",
            In("job_state", JOB_FAILING),
            "Degraded",
            ("Job ", Val("job_state"), " after a task failure", Opt("error", (": ", ErrorText("error")))),
            "Flink only fails over after a task failure; a crash-looping job shows RESTARTING between "
            "attempts. Healthy would hide the crash loop and Progressing would hang a sync wave on it.",
        ),
        Rule(
            "job-starting",
            In("job_state", JOB_STARTING),
            "Progressing",
            ("Job ", Val("job_state")),
            "The job is being scheduled or the operator is reconciling it; RUNNING follows.",
        ),
        Rule(
            "job-suspended-by-flink",
            Eq("job_state", "SUSPENDED"),
            "Progressing",
            ("Job SUSPENDED by Flink (JobManager failover); waiting for it to recover",),
            "spec.job.state is running, so Flink's own SUSPENDED means the JobManager lost leadership; "
            "high availability brings the job back.",
        ),
    )


# --- FlinkDeployment ---------------------------------------------------------------------

FLINK_DEPLOYMENT = Table(
    kind="FlinkDeployment",
    group=GROUP,
    short_names=("flinkdep",),
    doc="An application cluster (spec.job set) or a session cluster (no spec.job).",
    fields=_COMMON_FIELDS + (
        Field("jm", ("status.jobManagerDeploymentStatus",), values=JM_STATUS),
        Field("legacy_success", ("status.reconciliationStatus.success",), doc="0.1.x operators only"),
    ),
    rules=(
        _deleting("The operator tears down the cluster and its HA data before it removes its finalizer."),
        Rule(
            "not-observed",
            _NOT_OBSERVED & absent("jm") & absent("legacy_success"),
            "Progressing",
            ("Waiting for the Flink operator to reconcile this deployment",),
            "The operator writes status on its first reconcile. No status means it has not seen the "
            "object yet: is the operator running and watching this namespace?",
        ),
        _rejected(),
        _pending_generation(),
        Rule(
            "suspended-never-deployed",
            _SUSPEND_WANTED & (Eq("lifecycle", "CREATED")
                               | (all_absent("lifecycle", "reconciled_spec", "error", "legacy_success")
                                  & _NEVER_RECONCILED)),
            "Healthy",
            ("Suspended (created with job.state suspended; not deployed until it is set to running)",),
            "A spec created suspended is never deployed: its status keeps the defaults (lifecycle "
            "CREATED, reconciliation UPGRADING, JobManager MISSING). That is the desired state; "
            "Progressing here hung syncs forever (argo-cd #26818).",
        ),
        Rule(
            "suspended",
            _SUSPEND_WANTED & (
                Eq("lifecycle", "SUSPENDED")
                | (absent("lifecycle") & (Eq("reconciliation", "DEPLOYED") | Eq("legacy_success", True))
                   & (In("job_state", JOB_STOPPED) | Eq("jm", "MISSING")))
            ),
            "Healthy",
            ("Suspended",),
            "lifecycleState SUSPENDED means the last reconciled spec is the suspended one. Operators "
            "without lifecycleState show it as a deployed reconciliation with the job stopped or the "
            "JobManager gone. Suspended on purpose is the desired state, so Healthy.",
        ),
        Rule(
            "jobmanager-error",
            Eq("jm", "ERROR"),
            "Degraded",
            ("JobManager deployment failed", Opt("error", (": ", ErrorText("error")))),
            "JobManagerDeploymentStatus ERROR is terminal: it needs a spec change to recover.",
        ),
        Rule(
            "legacy-failed",
            Eq("legacy_success", False) & Present("error"),
            "Degraded",
            ("Reconciliation failed: ", ErrorText("error")),
            "0.1.x operators report a failed reconcile as reconciliationStatus.success false with an error.",
        ),
        *_failure_rules(
            "the first deployment failed with an error, or the job or cluster failed terminally (HA metadata "
            "lost, manual restore required)"
        ),
        Rule(
            "suspending",
            _SUSPEND_WANTED,
            "Progressing",
            ("Suspending the job (job ", Val("job_state"), ", JobManager ", Val("jm"), ")"),
            "spec.job.state is suspended but the reconciled spec is not yet: the operator is "
            "cancelling or savepointing the job.",
        ),
        *_resume_rules(),
        Rule(
            "created",
            Eq("lifecycle", "CREATED"),
            "Progressing",
            ("Created; waiting for the first deployment",),
            "Lifecycle CREATED: accepted by the operator, not deployed yet.",
        ),
        Rule(
            "upgrading",
            Eq("lifecycle", "UPGRADING") | Eq("reconciliation", "UPGRADING"),
            "Progressing",
            ("Upgrading (JobManager ", Val("jm"), ", job ", Val("job_state"), ")",
             Opt("error", ("; last error: ", ErrorText("error")))),
            "A new spec is being deployed (savepoint, cluster restart, job submission).",
        ),
        Rule(
            "session-ready",
            Not(IsTable("job")) & Eq("jm", "READY"),
            "Healthy",
            ("Session cluster ready",),
            "A session cluster has no job: its JobManager answering REST calls is its desired state.",
        ),
        Rule(
            "session-starting",
            Not(IsTable("job")) & In("jm", ("DEPLOYING", "DEPLOYED_NOT_READY")),
            "Progressing",
            ("Session cluster starting (JobManager ", Val("jm"), ")"),
            "The JobManager deployment exists but is not ready for REST calls yet.",
        ),
        Rule(
            "session-missing",
            Not(IsTable("job")) & Eq("jm", "MISSING"),
            "Degraded",
            ("Session cluster JobManager deployment is missing", Opt("error", (": ", ErrorText("error")))),
            "The spec was deployed but its JobManager deployment is gone (deleted by hand or never created).",
        ),
    ) + _job_rules() + (
        Rule(
            "jobmanager-missing",
            Eq("jm", "MISSING"),
            "Degraded",
            ("JobManager deployment is missing", Opt("error", (": ", ErrorText("error")))),
            "A running job is wanted and the last spec was deployed, but the JobManager deployment is "
            "gone (deleted, or the job terminated and the cluster was torn down).",
        ),
        Rule(
            "jobmanager-starting",
            In("jm", ("DEPLOYING", "DEPLOYED_NOT_READY")),
            "Progressing",
            ("JobManager ", Val("jm")),
            "The JobManager is starting; the job is submitted once its REST API answers.",
        ),
        Rule(
            "waiting-for-job",
            Eq("jm", "READY") & absent("job_state"),
            "Progressing",
            ("JobManager ready; waiting for the job status",),
            "The cluster is up and the operator has not observed the job yet.",
        ),
        Rule(
            "legacy-success",
            Eq("legacy_success", True),
            "Healthy",
            ("Reconciled",),
            "0.1.x operators: a successful reconcile with nothing else to go on.",
        ),
        Rule(
            "unrecognised",
            TRUE,
            "Unknown",
            ("Unrecognised status (lifecycle ", Val("lifecycle"), ", JobManager ", Val("jm"), ", job ",
             Val("job_state"), ")"),
            "No rule matched: an operator newer than this table or a hand-edited status. Unknown says so "
            "instead of guessing.",
        ),
    ),
)

# --- FlinkSessionJob ---------------------------------------------------------------------

FLINK_SESSION_JOB = Table(
    kind="FlinkSessionJob",
    group=GROUP,
    short_names=("sessionjob",),
    doc="A job submitted to the session cluster named in spec.deploymentName.",
    fields=_COMMON_FIELDS + (Field("deployment_name", ("spec.deploymentName",)),),
    rules=(
        _deleting("The operator cancels the job before it removes its finalizer."),
        _not_observed("session job"),
        _rejected(),
        _pending_generation(),
        Rule(
            "suspended-never-submitted",
            _SUSPEND_WANTED & (Eq("lifecycle", "CREATED")
                               | (all_absent("lifecycle", "reconciled_spec", "error") & _NEVER_RECONCILED)),
            "Healthy",
            ("Suspended (created with job.state suspended; not submitted until it is set to running)",),
            "A session job created suspended is never submitted; that is its desired state (argo-cd #26818).",
        ),
        Rule(
            "suspended",
            _SUSPEND_WANTED & (
                Eq("lifecycle", "SUSPENDED")
                | (absent("lifecycle") & Eq("reconciliation", "DEPLOYED")
                   & (In("job_state", JOB_STOPPED) | absent("job_state")))
            ),
            "Healthy",
            ("Suspended",),
            "The reconciled spec is the suspended one (lifecycle SUSPENDED, or for older operators a "
            "deployed reconciliation with the job stopped). Suspended on purpose is Healthy.",
        ),
        *_failure_rules(
            "the first submission failed with an error (e.g. the session cluster does not exist or rejected "
            "the jar), or the job failed terminally"
        ),
        Rule(
            "suspending",
            _SUSPEND_WANTED,
            "Progressing",
            ("Suspending the job (job ", Val("job_state"), ")"),
            "spec.job.state is suspended but the reconciled spec is not yet.",
        ),
        *_resume_rules(),
        Rule(
            "created",
            Eq("lifecycle", "CREATED"),
            "Progressing",
            ("Created; waiting for submission to session cluster ", Val("deployment_name")),
            "Accepted by the operator, not submitted yet (the session cluster may still be starting).",
        ),
        Rule(
            "upgrading",
            Eq("lifecycle", "UPGRADING") | Eq("reconciliation", "UPGRADING"),
            "Progressing",
            ("Upgrading (job ", Val("job_state"), ")", Opt("error", ("; last error: ", ErrorText("error")))),
            "A new spec is being submitted.",
        ),
    ) + _job_rules() + (
        Rule(
            "waiting-for-job",
            absent("job_state"),
            "Progressing",
            ("Submitted; waiting for the job status",),
            "The operator has not observed the job on the session cluster yet.",
        ),
        Rule(
            "unrecognised",
            TRUE,
            "Unknown",
            ("Unrecognised status (lifecycle ", Val("lifecycle"), ", job ", Val("job_state"), ")"),
            "No rule matched: an operator newer than this table or a hand-edited status.",
        ),
    ),
)

# --- FlinkStateSnapshot ------------------------------------------------------------------

FLINK_STATE_SNAPSHOT = Table(
    kind="FlinkStateSnapshot",
    group=GROUP,
    short_names=("flinksnp",),
    doc="A savepoint or checkpoint of a job, triggered or recorded by the operator.",
    fields=(
        Field("status", ("status",)),
        Field("deletion", ("metadata.deletionTimestamp",)),
        Field("state", ("status.state",), values=SNAPSHOT_STATES),
        Field("error", ("status.error",), text=True),
        Field("path", ("status.path",), text=True),
        Field("failures", ("status.failures",)),
    ),
    rules=(
        Rule(
            "deleting",
            Present("deletion"),
            "Progressing",
            ("Being deleted",),
            "The operator may dispose of the snapshot's files before it removes its finalizer.",
        ),
        Rule(
            "completed",
            Eq("state", "COMPLETED"),
            "Healthy",
            ("Completed", Opt("path", (": ", Val("path")))),
            "The snapshot exists at status.path: the desired state.",
        ),
        Rule(
            "failed",
            Eq("state", "FAILED"),
            "Degraded",
            ("Failed", Opt("error", (": ", ErrorText("error")))),
            "The trigger failed (the operator retries up to spec.backoffLimit, then stays FAILED). "
            "Degraded while it is failed; it turns Healthy if a retry completes.",
        ),
        Rule(
            "abandoned",
            Eq("state", "ABANDONED"),
            "Degraded",
            ("Abandoned: the job failed or was upgraded before the snapshot completed",),
            "ABANDONED is terminal: the snapshot will never exist, which is not what git asks for.",
        ),
        Rule(
            "retrying",
            Eq("state", "TRIGGER_PENDING") & Present("error"),
            "Progressing",
            ("Retrying after ", Val("failures"), " failure(s): ", ErrorText("error")),
            "On a failure with retries left (spec.backoffLimit) the operator records the error, counts it and "
            "sets TRIGGER_PENDING again (FlinkStateSnapshotController.updateErrorStatus); FAILED comes only "
            "when the retries are used up.",
        ),
        Rule(
            "in-progress",
            Eq("state", "IN_PROGRESS"),
            "Progressing",
            ("Snapshot in progress",),
            "Triggered on the job; completes or fails.",
        ),
        Rule(
            "trigger-pending",
            Eq("state", "TRIGGER_PENDING") | (Not(IsTable("status")) | all_absent("state", "error")),
            "Progressing",
            ("Waiting for the operator to trigger the snapshot",),
            "TRIGGER_PENDING is the default state; no status means the operator has not seen it yet.",
        ),
        Rule(
            "unrecognised",
            TRUE,
            "Unknown",
            ("Unrecognised snapshot state ", Val("state")),
            "No rule matched: an operator newer than this table or a hand-edited status.",
        ),
    ),
)

# --- FlinkBlueGreenDeployment ------------------------------------------------------------

FLINK_BLUE_GREEN_DEPLOYMENT = Table(
    kind="FlinkBlueGreenDeployment",
    group=GROUP,
    short_names=("flinkbgdep",),
    doc="Two FlinkDeployments (blue and green) with zero-downtime transitions between them.",
    fields=(
        Field("status", ("status",)),
        Field("deletion", ("metadata.deletionTimestamp",)),
        Field("bg_state", ("status.blueGreenState",), values=BLUE_GREEN_STATES),
        Field("job_state", ("status.jobStatus.state",), values=JOB_STATES),
        Field("error", ("status.error",), text=True),
        Field("desired", ("spec.template.spec.job.state",), doc="running (default) or suspended"),
    ),
    rules=(
        Rule(
            "deleting",
            Present("deletion"),
            "Progressing",
            ("Being deleted",),
            "The operator removes the blue and green deployments first.",
        ),
        Rule(
            "not-observed",
            Not(IsTable("status")) | all_absent("bg_state", "job_state", "error"),
            "Progressing",
            ("Waiting for the Flink operator to reconcile this blue/green deployment",),
            "The operator writes status on its first reconcile.",
        ),
        Rule(
            "job-failed",
            Eq("job_state", "FAILED"),
            "Degraded",
            ("Job FAILED", Opt("error", (": ", ErrorText("error")))),
            "FAILED is Flink's terminal failure state.",
        ),
        Rule(
            "transition-aborted",
            In("bg_state", ACTIVE) & (Present("error") | Eq("job_state", "FAILING")),
            "Degraded",
            ("Transition aborted; still serving ", Val("bg_state"), Opt("error", (": ", ErrorText("error")))),
            "On abort the operator sets the previous ACTIVE_* state, job FAILING and the error "
            "(BlueGreenDeploymentService.abortDeployment): the new spec is not running.",
        ),
        Rule(
            "suspended-never-deployed",
            Eq("desired", "suspended") & Eq("job_state", "SUSPENDED")
            & (Eq("bg_state", "INITIALIZING_BLUE") | absent("bg_state")),
            "Healthy",
            ("Suspended (created with job.state suspended; not deployed until it is set to running)",),
            "The operator blocks the first deployment while job.state is suspended and reports job SUSPENDED "
            "(InitializingBlueStateHandler): the desired state, so Healthy, or the sync would wait forever.",
        ),
        Rule(
            "suspended",
            In("bg_state", ACTIVE) & Eq("job_state", "SUSPENDED") & Eq("desired", "suspended"),
            "Healthy",
            ("Suspended (", Val("bg_state"), ")"),
            "The operator finalizes a suspend with ACTIVE_* and job SUSPENDED "
            "(BlueGreenDeploymentService.finalizeSuspendedDeployment): suspended on purpose is Healthy.",
        ),
        Rule(
            "active",
            In("bg_state", ACTIVE) & (Eq("job_state", "RUNNING") | Eq("job_state", "FINISHED")),
            "Healthy",
            (Val("bg_state"), ": job ", Val("job_state")),
            "A transition finished: the operator sets ACTIVE_* with job RUNNING and clears the error.",
        ),
        Rule(
            "active-failing",
            In("bg_state", ACTIVE) & In("job_state", ("RESTARTING",) + JOB_CANCELED),
            "Degraded",
            (Val("bg_state"), ": job ", Val("job_state")),
            "The active deployment's job is restarting after a failure or was cancelled.",
        ),
        Rule(
            "active-starting",
            In("bg_state", ACTIVE) & (In("job_state", JOB_STARTING + ("SUSPENDED",)) | absent("job_state")),
            "Progressing",
            (Val("bg_state"), ": job ", Val("job_state")),
            "Active, job not running yet (reconciling, initializing, or suspended by Flink).",
        ),
        Rule(
            "transitioning",
            In("bg_state", TRANSITIONING),
            "Progressing",
            ("Transition in progress: ", Val("bg_state"), Opt("error", ("; last error: ", ErrorText("error")))),
            "Deploying, savepointing or switching over; ends in ACTIVE_* (or aborts after abortGracePeriod).",
        ),
        Rule(
            "unrecognised",
            TRUE,
            "Unknown",
            ("Unrecognised blue/green state ", Val("bg_state"), " (job ", Val("job_state"), ")"),
            "No rule matched: an operator newer than this table or a hand-edited status.",
        ),
    ),
)

TABLES: dict[str, Table] = {
    t.kind: t for t in (FLINK_DEPLOYMENT, FLINK_SESSION_JOB, FLINK_STATE_SNAPSHOT, FLINK_BLUE_GREEN_DEPLOYMENT)
}
