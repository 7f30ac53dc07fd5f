"""The FlinkDeployment health table: application and session clusters."""

from __future__ import annotations

from flink_gitops.health.model import (
    TRUE,
    Eq,
    ErrorText,
    Field,
    In,
    IsTable,
    Not,
    Opt,
    Present,
    Rule,
    Table,
    Val,
    absent,
    all_absent,
)
from flink_gitops.health.tables.common import (
    COMMON_FIELDS,
    GROUP,
    JM_STATUS,
    JOB_STOPPED,
    NEVER_RECONCILED,
    NOT_OBSERVED,
    SUSPEND_WANTED,
    deleting,
    failure_rules,
    job_rules,
    pending_generation,
    rejected,
    resume_rules,
)

FLINK_DEPLOYMENT = Table(
    kind="FlinkDeployment",
    group=GROUP,
    short_names=("flinkdep",),
    doc="An application cluster (spec.job set) or a session cluster (no spec.job).",
    fields=COMMON_FIELDS + (
        Field("jm", ("status.jobManagerDeploymentStatus",), values=JM_STATUS),
        Field("legacy_success", ("status.reconciliationStatus.success",), doc="0.1.x operators only"),
    ),
    rules=(
        deleting("The operator tears down the cluster and its HA data before it removes its finalizer."),
        Rule(
            "not-observed",
            NOT_OBSERVED & absent("jm") & absent("legacy_success"),
            "Progressing",
            ("Waiting for the Flink operator to reconcile this deployment",),
            "The operator writes status on its first reconcile. No status means it has not seen the "
            "object yet: is the operator running and watching this namespace?",
        ),
        rejected(),
        pending_generation(),
        Rule(
            "suspended-never-deployed",
            SUSPEND_WANTED & (Eq("lifecycle", "CREATED")
                               | (all_absent("lifecycle", "reconciled_spec", "error", "legacy_success")
                                  & NEVER_RECONCILED)),
            "Healthy",
            ("Suspended (created with job.state suspended; not deployed until it is set to running)",),
            "A spec created suspended is never deployed: its status keeps the defaults (lifecycle "
            "CREATED, reconciliation UPGRADING, JobManager MISSING). That is the desired state; "
            "Progressing here hung syncs forever (argo-cd #26818).",
        ),
        Rule(
            "suspended",
            SUSPEND_WANTED & (
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
        *failure_rules(
            "the first deployment failed with an error, or the job or cluster failed terminally (HA metadata "
            "lost, manual restore required)"
        ),
        Rule(
            "suspending",
            SUSPEND_WANTED,
            "Progressing",
            ("Suspending the job (job ", Val("job_state"), ", JobManager ", Val("jm"), ")"),
            "spec.job.state is suspended but the reconciled spec is not yet: the operator is "
            "cancelling or savepointing the job.",
        ),
        *resume_rules(),
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
    ) + job_rules() + (
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
