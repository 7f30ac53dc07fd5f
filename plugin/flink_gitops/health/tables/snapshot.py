"""The FlinkStateSnapshot health table: a savepoint or checkpoint."""

from __future__ import annotations

from flink_gitops import flink
from flink_gitops.health.model import (
    TRUE,
    Eq,
    ErrorText,
    Field,
    IsTable,
    Not,
    Opt,
    Present,
    Rule,
    Table,
    Val,
    all_absent,
)
from flink_gitops.health.tables.common import (
    GROUP,
    SNAPSHOT_STATES,
    STATUS_FIELDS,
    deleting,
    detail,
)

FLINK_STATE_SNAPSHOT = Table(
    kind=flink.FLINK_STATE_SNAPSHOT.kind,
    group=GROUP,
    doc="A savepoint or checkpoint of a job, triggered or recorded by the operator.",
    fields=STATUS_FIELDS + (
        Field("state", ("status.state",), values=SNAPSHOT_STATES),
        Field("error", ("status.error",), text=True),
        Field("path", ("status.path",), text=True),
        Field("failures", ("status.failures",)),
    ),
    rules=(
        deleting("The operator may dispose of the snapshot's files before it removes its finalizer.",
                 lifecycle=False),
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
            ("Retrying", Opt("failures", (" after ", Val("failures"), " failure(s)")), ": ", ErrorText("error")),
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
            ("Unrecognised snapshot status", detail("state", "state")),
            "No rule matched: an operator newer than this table or a hand-edited status.",
        ),
    ),
)
