"""The health decision tables: the single source of truth for Flink resource health.

One ordered table per kind; the first rule whose condition holds decides. Everything else is
derived from these tables: ``lua/flink.apache.org/<Kind>/health.lua`` (Argo CD), the Python
evaluator (CLI, service), and ``docs/health.md``. One module per kind; ``common`` holds the
enum values, the CommonStatus fields and the rules deployments and session jobs share.

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

from flink_gitops.health.model import Table
from flink_gitops.health.tables.blue_green import FLINK_BLUE_GREEN_DEPLOYMENT
from flink_gitops.health.tables.common import (
    ACTIVE,
    BLUE_GREEN_STATES,
    GROUP,
    JM_STATUS,
    JOB_CANCELED,
    JOB_FAILING,
    JOB_STARTING,
    JOB_STATES,
    JOB_STOPPED,
    LIFECYCLE,
    RECONCILIATION,
    SNAPSHOT_STATES,
    TRANSITIONING,
)
from flink_gitops.health.tables.deployment import FLINK_DEPLOYMENT
from flink_gitops.health.tables.session_job import FLINK_SESSION_JOB
from flink_gitops.health.tables.snapshot import FLINK_STATE_SNAPSHOT

TABLES: dict[str, Table] = {
    t.kind: t for t in (FLINK_DEPLOYMENT, FLINK_SESSION_JOB, FLINK_STATE_SNAPSHOT, FLINK_BLUE_GREEN_DEPLOYMENT)
}

__all__ = [
    "ACTIVE", "BLUE_GREEN_STATES", "FLINK_BLUE_GREEN_DEPLOYMENT", "FLINK_DEPLOYMENT", "FLINK_SESSION_JOB",
    "FLINK_STATE_SNAPSHOT", "GROUP", "JM_STATUS", "JOB_CANCELED", "JOB_FAILING", "JOB_STARTING", "JOB_STATES",
    "JOB_STOPPED", "LIFECYCLE", "RECONCILIATION", "SNAPSHOT_STATES", "TABLES", "TRANSITIONING",
]
