"""Flink objects for the service tests, built from the committed Lua testdata (what the operator writes),
and the service in-process on a store the test fills."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

TESTDATA = Path(__file__).resolve().parents[1] / "lua" / "flink.apache.org" / "FlinkDeployment" / "testdata"


@lru_cache(maxsize=None)
def _base(name: str) -> dict:
    return yaml.safe_load((TESTDATA / name).read_text())


def deployment(name: str, namespace: str = "streaming", health: str = "Healthy", error: str = "boom",
               rv: int | str = 1, generation: int = 3) -> dict:
    """A FlinkDeployment the tables judge ``health`` (Healthy, Degraded or Progressing).

    Degraded is a failed job whose error message is ``error`` (it shows up in the health message).
    """
    source = {"Healthy": "healthy_running_stable.yaml", "Degraded": "degraded_job_failed.yaml",
              "Progressing": "progressing_no_status.yaml"}[health]
    obj = copy.deepcopy(_base(source))
    meta = obj["metadata"]
    meta.update(name=name, namespace=namespace, resourceVersion=str(rv), uid=f"uid-{namespace}-{name}",
                generation=generation)
    if "status" in obj:
        obj["status"]["observedGeneration"] = generation
        for key in ("lastReconciledSpec", "lastStableSpec"):
            spec = obj["status"].get("reconciliationStatus", {}).get(key)
            if spec:
                doc = json.loads(spec)
                doc["resource_metadata"]["metadata"]["generation"] = generation
                obj["status"]["reconciliationStatus"][key] = json.dumps(doc)
    if health == "Degraded":
        obj["status"]["error"] = json.dumps({"type": "org.apache.flink.runtime.JobException", "message": error})
    return obj


def evaluate_body(limit: int = 4 * 1024 * 1024) -> tuple[bytes, int]:
    """A body for POST /api/v1/evaluate: operator-written FlinkDeployments (Degraded), as many as
    fit in ``limit`` bytes; (body, how many objects)."""
    doc = yaml.safe_dump(deployment("pricing", "streaming", "Degraded", error="checkpoint storage unreachable"))
    count = limit // (len(doc) + 4)
    return "---\n".join([doc] * count).encode(), count


# --- the service in-process, on a store the test fills (import these fixtures into a test module) ---


@pytest.fixture
def store():
    """An empty health cache that evaluates with the generated Lua, as the service's does."""
    from flink_gitops.assess import evaluator
    from flink_gitops.cluster.store import HealthStore

    return HealthStore(evaluator=evaluator())


def client_for(store):
    """Flask's test client of the service serving ``store`` (no watcher, no authentication)."""
    from flink_gitops.service import create_app

    return create_app({"STORE": store, "WATCH": False, "AUTH": "none"}).test_client()


@pytest.fixture
def client(store):
    return client_for(store)
