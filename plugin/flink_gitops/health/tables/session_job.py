"""The FlinkSessionJob health table: a job submitted to a session cluster."""

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
    Rule,
    Table,
    Val,
    absent,
    all_absent,
)
from flink_gitops.health.tables.common import (
    COMMON_FIELDS,
    GROUP,
    JOB_STOPPED,
    NEVER_RECONCILED,
    NOT_FAILING,
    SUSPEND_WANTED,
    deleting,
    detail,
    failure_rules,
    job_rules,
    not_observed,
    pending_generation,
    rejected,
    rejected_before_deployment,
    resume_rules,
)

FLINK_SESSION_JOB = Table(
    kind=flink.FLINK_SESSION_JOB.kind,
    group=GROUP,
    doc="A job submitted to the session cluster named in spec.deploymentName.",
    fields=COMMON_FIELDS + (Field("deployment_name", ("spec.deploymentName",)),),
    rules=(
        deleting("The operator cancels the job before it removes its finalizer."),
        not_observed("session job"),
        rejected(),
        pending_generation(),
        rejected_before_deployment("submitted"),
        Rule(
            "no-job-spec",
            Not(IsTable("job")),
            "Degraded",
            ("A session job needs spec.job, which is not set", Opt("error", ("; operator error: ", ErrorText("error")))),
            "The operator rejects a session job without spec.job (DefaultValidator.validateJobNotEmpty: "
            "\"The job spec should not be empty\"). Its own error, once written, is shown by the rules above.",
        ),
        Rule(
            "suspended-never-submitted",
            SUSPEND_WANTED & NOT_FAILING & Not(Eq("job_state", "FAILED")) & (Eq("lifecycle", "CREATED")
                               | (all_absent("lifecycle", "reconciled_spec", "error") & NEVER_RECONCILED)),
            "Healthy",
            ("Suspended (created with job.state suspended; not submitted until it is set to running)",),
            "A session job created suspended is never submitted; that is its desired state (argo-cd #26818). "
            "A status reporting a failing or failed job contradicts \"never submitted\".",
        ),
        Rule(
            "suspended",
            SUSPEND_WANTED & NOT_FAILING & (
                Eq("lifecycle", "SUSPENDED")
                | (absent("lifecycle") & Eq("reconciliation", "DEPLOYED")
                   & (In("job_state", JOB_STOPPED) | absent("job_state")))
            ),
            "Healthy",
            ("Suspended",),
            "The reconciled spec is the suspended one (lifecycle SUSPENDED, or for older operators a "
            "deployed reconciliation with the job stopped). Suspended on purpose is Healthy; a job still "
            "FAILING or RESTARTING is alive, so the suspension has not finished (see suspending).",
        ),
        *failure_rules(
            "the first submission failed with an error (e.g. the session cluster does not exist or rejected "
            "the jar), or the job failed terminally"
        ),
        Rule(
            "suspending",
            SUSPEND_WANTED,
            "Progressing",
            ("Suspending the job", detail("job", "job_state")),
            "spec.job.state is suspended but the reconciled spec is not yet.",
        ),
        *resume_rules(),
        Rule(
            "created",
            Eq("lifecycle", "CREATED"),
            "Progressing",
            ("Created; waiting for submission", Opt("deployment_name", (" to session cluster ", Val("deployment_name")))),
            "Accepted by the operator, not submitted yet (the session cluster may still be starting).",
        ),
        Rule(
            "upgrading",
            Eq("lifecycle", "UPGRADING") | Eq("reconciliation", "UPGRADING"),
            "Progressing",
            ("Upgrading", detail("job", "job_state"), Opt("error", ("; last error: ", ErrorText("error")))),
            "A new spec is being submitted.",
        ),
    ) + job_rules() + (
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
            ("Unrecognised status", detail("lifecycle", "lifecycle"), detail("job", "job_state")),
            "No rule matched: an operator newer than this table or a hand-edited status.",
        ),
    ),
)
