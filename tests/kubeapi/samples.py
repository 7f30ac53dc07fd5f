"""Flink objects for the stand-in, taken from the examples a user reads (examples/live)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

LIVE = Path(__file__).resolve().parents[2] / "examples" / "live"

#: example file -> the health flink-gitops gives it (examples/README and `make run` show it)
HEALTHY, DEGRADED = "orders-running", "pricing-rejected"
SESSION_JOB = "fraud-scoring"


def load(name: str) -> dict:
    return yaml.safe_load((LIVE / f"{name}.yaml").read_text())


def seed(server, example: str, namespace: str, name: str) -> dict:
    """Create ``namespace/name`` in ``server`` with the spec, status and generation of ``example``."""
    obj = load(example)
    return server.create(obj["kind"], namespace, name, spec=obj.get("spec"), status=obj.get("status"),
                         generation=obj["metadata"].get("generation", 1))


def status_of(example: str, observed_generation: int | None = None) -> dict:
    status = copy.deepcopy(load(example)["status"])
    if observed_generation is not None:
        status["observedGeneration"] = observed_generation
    return status


def job_failed_status(example: str = HEALTHY) -> dict:
    """``example``'s status with its job FAILED: Degraded at any generation (rule job-failed)."""
    status = status_of(example)
    status["jobStatus"]["state"] = "FAILED"
    status["error"] = "java.lang.RuntimeException: the job failed"
    return status
