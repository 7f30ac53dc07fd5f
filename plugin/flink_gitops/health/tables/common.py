"""Shared by the tables: the operator's enum values, the CommonStatus fields and the rules that
FlinkDeployment and FlinkSessionJob have in common."""

from __future__ import annotations

from flink_gitops.health.model import (
    Cond,
    Eq,
    ErrorText,
    Field,
    In,
    IsTable,
    Less,
    Not,
    Opt,
    Rule,
    Present,
    Val,
    absent,
    all_absent,
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
# The only job states the operator writes into a session cluster's status: RECONCILING when its
# JobManager is missing or failed (AbstractFlinkDeploymentObserver.observeJmDeployment,
# FlinkDeploymentController on DeploymentFailedException) and FINISHED once the cluster was
# deleted for an upgrade (AbstractFlinkService.updateStatusAfterClusterDeletion). Any other job
# state comes from an application's job.
SESSION_CLUSTER_JOB_STATES = ("RECONCILING", "FINISHED")
APPLICATION_JOB_STATES = tuple(s for s in JOB_STATES if s not in SESSION_CLUSTER_JOB_STATES)
ACTIVE = ("ACTIVE_BLUE", "ACTIVE_GREEN")
TRANSITIONING = ("INITIALIZING_BLUE", "TRANSITIONING_TO_BLUE", "TRANSITIONING_TO_GREEN",
                 "SAVEPOINTING_BLUE", "SAVEPOINTING_GREEN")

# --- fields shared by FlinkDeployment and FlinkSessionJob (CommonStatus) -----------------

# Every kind: the status block (absent until the operator's first reconcile) and the deletion mark.
STATUS_FIELDS = (
    Field("status", ("status",), doc="the status block (absent until the operator's first reconcile)"),
    Field("deletion", ("metadata.deletionTimestamp",)),
)

COMMON_FIELDS = STATUS_FIELDS + (
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

NOT_OBSERVED = Not(IsTable("status")) | all_absent(
    "lifecycle", "reconciliation", "job_state", "error", "observed", "reconciled_spec"
)
BEHIND = Less("observed", "generation")
SUSPEND_WANTED = Eq("desired", "suspended")
# Status defaults before the first deployment: reconciliation state UPGRADING (or not written yet).
NEVER_RECONCILED = Eq("reconciliation", "UPGRADING") | absent("reconciliation")
# A job that is failing over right now: never Healthy, whatever else the status says.
NOT_FAILING = Not(In("job_state", JOB_FAILING))


def detail(label: str, name: str) -> Opt:
    """``; <label> <value>`` when the field is set, nothing otherwise (never "none")."""
    return Opt(name, ("; ", label, " ", Val(name)))


def deleting(why: str, lifecycle: bool = True) -> Rule:
    """Being deleted: the deletion mark, and for CommonStatus kinds lifecycle DELETING/DELETED."""
    return Rule(
        "deleting",
        Present("deletion") | In("lifecycle", ("DELETING", "DELETED")) if lifecycle else Present("deletion"),
        "Progressing",
        ("Being deleted",),
        why,
    )


def not_observed(what: str) -> Rule:
    return Rule(
        "not-observed",
        NOT_OBSERVED,
        "Progressing",
        ("Waiting for the Flink operator to reconcile this ", what),
        "The operator writes status on its first reconcile. No status means it has not seen the "
        "object yet: is the operator running and watching this namespace?",
    )


def rejected() -> Rule:
    return Rule(
        "spec-rejected",
        BEHIND & Present("error"),
        "Degraded",
        ("Generation ", Val("generation"), " was not applied (operator is at ", Val("observed"), "): ",
         ErrorText("error")),
        "On a validation failure the operator records status.error, keeps running the last accepted "
        "spec and leaves observedGeneration behind (ReconciliationUtils.applyValidationErrorAndResetSpec). "
        "Degraded, not Progressing: the operator will not retry until the spec changes, so a sync "
        "wave must fail instead of waiting forever.",
    )


def pending_generation() -> Rule:
    return Rule(
        "generation-pending",
        BEHIND,
        "Progressing",
        ("Waiting for the operator to apply generation ", Val("generation"), " (applied: ", Val("observed"), ")"),
        "observedGeneration moves with lastReconciledSpec; until it catches up the new spec is not "
        "running, so the resource must not look Healthy on the old one.",
    )


def rejected_before_deployment(deployed: str, cond: Cond | None = None) -> Rule:
    when = Present("error") & all_absent("lifecycle", "reconciled_spec", "job_state")
    return Rule(
        "rejected-before-deployment",
        when if cond is None else when & cond,
        "Degraded",
        (f"Rejected before anything was {deployed}: ", ErrorText("error")),
        "When validation fails and there is no lastReconciledSpec to fall back on, the operator "
        "records the error and stops (ReconciliationUtils.applyValidationErrorAndResetSpec: "
        "\"Validation failed before anything was deployed\"); nothing is retried until the spec "
        "changes. Operators with lifecycleState call this FAILED (CommonStatus.getLifecycleState: an "
        "error before the first deployment, whatever the reconciliation state); older ones write only "
        "the error next to the status defaults, which looked like a submission still in flight. The "
        "operator observes nothing before the first deployment, so there is no job state either.",
    )


def failure_rules(lifecycle_failed: str) -> tuple[Rule, ...]:
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


def resume_rules() -> tuple[Rule, ...]:
    """The reconciled spec is suspended while git asks for running: the operator is resuming."""
    return (
        Rule(
            "canceled-restoring",
            IsTable("job") & Eq("lifecycle", "SUSPENDED") & In("job_state", JOB_CANCELED),
            "Progressing",
            ("Job ", Val("job_state"), " outside the operator; the operator restores it because spec.job.state "
             "is running",),
            "Operators since FLINK-35414 (JobStatusObserver.markSuspended) record a job cancelled behind their "
            "back as suspended and then restore it, because the spec still asks for running. Older operators "
            "leave it cancelled (see job-canceled, Degraded).",
        ),
        Rule(
            "resuming",
            IsTable("job") & Eq("lifecycle", "SUSPENDED"),
            "Progressing",
            ("Resuming the suspended job",),
            "The reconciled spec is still the suspended one while git asks for a running job. Only a spec "
            "with a job can be suspended (CommonStatus.getLifecycleState reads lastReconciledSpec.job.state), "
            "so an object without spec.job is never told its job is resuming.",
        ),
    )


def job_rules() -> tuple[Rule, ...]:
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

