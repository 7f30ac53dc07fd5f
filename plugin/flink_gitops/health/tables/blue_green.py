"""The FlinkBlueGreenDeployment health table: blue and green deployments and the switch between them."""

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
    ACTIVE,
    BLUE_GREEN_STATES,
    GROUP,
    JOB_CANCELED,
    JOB_STARTING,
    JOB_STATES,
    STATUS_FIELDS,
    TRANSITIONING,
    deleting,
    detail,
)

FLINK_BLUE_GREEN_DEPLOYMENT = Table(
    kind=flink.FLINK_BLUE_GREEN_DEPLOYMENT.kind,
    group=GROUP,
    doc="Two FlinkDeployments (blue and green) with zero-downtime transitions between them.",
    fields=STATUS_FIELDS + (
        Field("bg_state", ("status.blueGreenState",), values=BLUE_GREEN_STATES),
        Field("job_state", ("status.jobStatus.state",), values=JOB_STATES),
        Field("error", ("status.error",), text=True),
        Field("desired", ("spec.template.spec.job.state",), doc="running (default) or suspended"),
    ),
    rules=(
        deleting("The operator removes the blue and green deployments first.", lifecycle=False),
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
            In("bg_state", ACTIVE) & In("job_state", JOB_STARTING + ("SUSPENDED",)),
            "Progressing",
            (Val("bg_state"), ": job ", Val("job_state")),
            "Active, job not running yet (reconciling, initializing, or suspended by Flink).",
        ),
        Rule(
            "active-waiting-for-job",
            In("bg_state", ACTIVE) & absent("job_state"),
            "Progressing",
            (Val("bg_state"), ": waiting for the job status"),
            "Active, and no job state reported yet. The operator writes one with every state change "
            "(BlueGreenDeploymentService.patchStatusUpdateControl), so this is a status it has not finished "
            "writing; the message names what is known instead of \"job none\".",
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
            ("Unrecognised blue/green status", detail("state", "bg_state"), detail("job", "job_state")),
            "No rule matched: an operator newer than this table or a hand-edited status.",
        ),
    ),
)
