"""The FlinkDeployment health table: application and session clusters."""

from __future__ import annotations

from flink_gitops import flink
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
    APPLICATION_JOB_STATES,
    JOB_FAILING,
    JOB_STOPPED,
    NEVER_RECONCILED,
    NOT_FAILING,
    NOT_OBSERVED,
    SESSION_CLUSTER_JOB_STATES,
    SUSPEND_WANTED,
    deleting,
    detail,
    failure_rules,
    job_rules,
    pending_generation,
    rejected,
    rejected_before_deployment,
    resume_rules,
)

# Mode.getMode: spec.job set means an application cluster, none a session cluster; for what is
# running the operator goes by the last reconciled spec. The status shows that spec's mode without
# parsing its JSON: only an application reports a job (see SESSION_CLUSTER_JOB_STATES), and only an
# application's last reconciled spec can be suspended (lifecycle SUSPENDED).
SESSION_CLUSTER = Not(IsTable("job")) & (absent("job_state") | In("job_state", SESSION_CLUSTER_JOB_STATES)) \
    & Not(Eq("lifecycle", "SUSPENDED"))
RUNS_AN_APPLICATION = In("job_state", APPLICATION_JOB_STATES) | Eq("lifecycle", "SUSPENDED")

FLINK_DEPLOYMENT = Table(
    kind=flink.FLINK_DEPLOYMENT.kind,
    group=GROUP,
    doc="An application cluster (spec.job set) or a session cluster (no spec.job), as the operator's "
        "Mode.getMode decides. What runs follows the last reconciled spec, which the status shows without "
        "parsing it: only an application reports a job state other than RECONCILING or FINISHED.",
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
        rejected_before_deployment("deployed", absent("legacy_success") & (absent("jm") | Eq("jm", "MISSING"))),
        Rule(
            "session-spec-application-running",
            Not(IsTable("job")) & RUNS_AN_APPLICATION,
            "Degraded",
            ("spec.job is not set, so this is a session cluster, but its status reports a job",
             Opt("job_state", (" (", Val("job_state"), ")")), Opt("error", (": ", ErrorText("error")))),
            "Mode.getMode: without spec.job the spec is a session cluster; what runs follows the last reconciled "
            "spec. A session cluster's status carries no job state but RECONCILING or FINISHED, and only an "
            "application's spec can be suspended, so this status is an application's. If the last reconciled "
            "spec holds the job, the operator keeps running it and rejects the switch (DefaultValidator: "
            "\"Cannot switch from job to session cluster\"); if not, status and spec contradict each other. "
            "Either way git's session cluster is not what runs: Degraded, and never \"Session cluster ready\" "
            "over a failing or restarting job.",
        ),
        Rule(
            "suspended-never-deployed",
            SUSPEND_WANTED & Not(In("job_state", JOB_FAILING + ("FAILED",)))
            & (Eq("lifecycle", "CREATED")
               | (all_absent("lifecycle", "reconciled_spec", "error", "legacy_success") & NEVER_RECONCILED)),
            "Healthy",
            ("Suspended (created with job.state suspended; not deployed until it is set to running)",),
            "A spec created suspended is never deployed: its status keeps the defaults (lifecycle "
            "CREATED, reconciliation UPGRADING, JobManager MISSING). That is the desired state; "
            "Progressing here hung syncs forever (argo-cd #26818). A status reporting a failing or failed "
            "job contradicts \"never deployed\" and is left to the rules below.",
        ),
        Rule(
            "suspended",
            SUSPEND_WANTED & NOT_FAILING & (
                Eq("lifecycle", "SUSPENDED")
                | (absent("lifecycle") & (Eq("reconciliation", "DEPLOYED") | Eq("legacy_success", True))
                   & (In("job_state", JOB_STOPPED) | Eq("jm", "MISSING")))
            ),
            "Healthy",
            ("Suspended",),
            "lifecycleState SUSPENDED means the last reconciled spec is the suspended one. Operators "
            "without lifecycleState show it as a deployed reconciliation with the job stopped or the "
            "JobManager gone. Suspended on purpose is the desired state, so Healthy. A job still FAILING or "
            "RESTARTING is alive, so the suspension has not finished (see suspending); a job that FAILED and "
            "was then suspended is suspended (CommonStatus.getLifecycleState ranks SUSPENDED before FAILED).",
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
            ("Suspending the job", detail("job", "job_state"), detail("JobManager", "jm")),
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
            ("Upgrading", detail("JobManager", "jm"), detail("job", "job_state"),
             Opt("error", ("; last error: ", ErrorText("error")))),
            "A new spec is being deployed (savepoint, cluster restart, job submission).",
        ),
        Rule(
            "session-ready",
            SESSION_CLUSTER & Eq("jm", "READY"),
            "Healthy",
            ("Session cluster ready",),
            "A session cluster has no job: its JobManager answering REST calls is its desired state. A job "
            "state of RECONCILING or FINISHED is what the operator leaves behind after a JobManager outage "
            "(AbstractFlinkDeploymentObserver.observeJmDeployment) or an upgrade of the session cluster "
            "(SessionReconciler deletes it: AbstractFlinkService.updateStatusAfterClusterDeletion); any other "
            "job state is an application's (see session-spec-application-running).",
        ),
        Rule(
            "session-starting",
            SESSION_CLUSTER & In("jm", ("DEPLOYING", "DEPLOYED_NOT_READY")),
            "Progressing",
            ("Session cluster starting (JobManager ", Val("jm"), ")"),
            "The JobManager deployment exists but is not ready for REST calls yet.",
        ),
        Rule(
            "session-missing",
            SESSION_CLUSTER & Eq("jm", "MISSING"),
            "Degraded",
            ("Session cluster JobManager deployment is missing", Opt("error", (": ", ErrorText("error")))),
            "The spec was deployed but its JobManager deployment is gone (deleted by hand or never created).",
        ),
        Rule(
            "session-unrecognised",
            SESSION_CLUSTER,
            "Unknown",
            ("Unrecognised session cluster status", detail("JobManager", "jm"), detail("job", "job_state")),
            "A session cluster with no JobManager status the rules above know. The job rules below are about "
            "an application's job and must not answer for a session cluster.",
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
            ("Unrecognised status", detail("lifecycle", "lifecycle"), detail("JobManager", "jm"),
             detail("job", "job_state")),
            "No rule matched: an operator newer than this table or a hand-edited status. Unknown says so "
            "instead of guessing.",
        ),
    ),
)
