"""What the live object says the operator last did: its reconciled spec, its reconciliation state, its job's status.

The operator records the spec it last reconciled as a JSON string in
``status.reconciliationStatus.lastReconciledSpec`` (``{"spec": ..., "resource_metadata": ...}``,
``SpecUtils.writeSpecWithMeta``; a bare spec in old versions), and a FlinkBlueGreenDeployment in
``status.lastReconciledSpec`` (``{"spec": ...}``, ``BlueGreenUtils.setLastReconciledSpec``). A string
that is not such JSON is bad input, named by file, object and field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flink_gitops.errors import UserError
from flink_gitops.flink import Located
from flink_gitops.plan.shape import check_spec

# Flink's JobStatus.isGloballyTerminalState
TERMINAL_JOB_STATES = ("FINISHED", "CANCELED", "FAILED")


def mapping(node, *keys) -> dict:
    """``node[k1][k2]...`` when every step is a mapping, else ``{}``."""
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def text(node, *keys) -> str | None:
    *head, last = keys
    value = mapping(node, *head).get(last)
    return value if isinstance(value, str) and value != "" else None


def parse_spec_json(loc: Located, raw, field: str) -> dict | None:
    """The spec in one of the operator's serialized-spec fields; None when the field is unset."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, dict):  # already an object (a hand-written fixture): accept it as the operator's JSON
        data = raw
    elif isinstance(raw, str):
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise UserError(loc.problem(f"not the operator's serialized spec (JSON): {exc}", field)) from None
    else:
        raise UserError(loc.problem(f"expected the operator's serialized spec (a JSON string), got a "
                                    f"{type(raw).__name__}", field))
    if not isinstance(data, dict):
        raise UserError(loc.problem("expected a JSON object", field))
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else data
    problems: list = []
    check_spec(loc, mapping(spec, "template", "spec") if loc.obj.get("kind") == "FlinkBlueGreenDeployment" else spec,
               field, problems)
    if problems:
        raise UserError(problems)
    return spec


@dataclass
class LiveStatus:
    """The parts of a FlinkDeployment's or FlinkSessionJob's status the reconcilers read."""

    kind: str
    present: bool  # the object has a status at all (the operator has seen it)
    last_reconciled: dict | None  # the spec the operator last reconciled
    last_stable: dict | None
    reconciliation_state: str | None  # DEPLOYED, UPGRADING, ROLLING_BACK, ROLLED_BACK
    job_state: str | None  # Flink's JobStatus: RUNNING, FAILING, CANCELLING, FINISHED, ...
    jm_status: str | None  # READY, DEPLOYED_NOT_READY, DEPLOYING, MISSING, ERROR
    upgrade_savepoint: str | None
    last_savepoint: str | None
    savepoint_trigger: str | None
    lifecycle: str | None

    @property
    def terminal(self) -> bool:
        return self.job_state in TERMINAL_JOB_STATES

    @property
    def running(self) -> bool:
        return self.job_state == "RUNNING"

    @property
    def jm_accessible(self) -> bool:
        """``isJmAccessible``: a FlinkDeployment's JobManager REST API is up (READY; the status defaults to MISSING);
        always for a session job."""
        return self.kind != "FlinkDeployment" or (self.jm_status or "MISSING") == "READY"

    @property
    def cancellable(self) -> bool:
        """``isJobCancellable``: a known, non-terminal state other than RECONCILING (and, for a FlinkDeployment, its
        JobManager accessible: ``FlinkDeploymentStatus.isJobCancellable``)."""
        return (self.job_state is not None and self.job_state != "RECONCILING" and not self.terminal
                and self.jm_accessible)

    @property
    def known_savepoint(self) -> str | None:
        """Where a restore from the status would start: ``upgradeSavepointPath``, else the last savepoint."""
        return self.upgrade_savepoint or self.last_savepoint


def read_status(loc: Located) -> LiveStatus:
    status = loc.obj.get("status")
    rec = mapping(status, "reconciliationStatus")
    job = mapping(status, "jobStatus")
    return LiveStatus(
        kind=loc.obj.get("kind", ""),
        present=isinstance(status, dict) and bool(status),
        last_reconciled=parse_spec_json(loc, rec.get("lastReconciledSpec"),
                                        "status.reconciliationStatus.lastReconciledSpec"),
        last_stable=parse_spec_json(loc, rec.get("lastStableSpec"), "status.reconciliationStatus.lastStableSpec"),
        reconciliation_state=text(rec, "state"),
        job_state=text(job, "state"),
        jm_status=text(status, "jobManagerDeploymentStatus") if isinstance(status, dict) else None,
        upgrade_savepoint=text(job, "upgradeSavepointPath"),
        last_savepoint=text(job, "savepointInfo", "lastSavepoint", "location"),
        savepoint_trigger=text(job, "savepointInfo", "triggerId"),
        lifecycle=text(status, "lifecycleState") if isinstance(status, dict) else None,
    )
