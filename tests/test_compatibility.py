"""docs/compatibility.md's claims: each row names a test that exists or says it is not tested here, and the claims
about health across operator releases, Python and the Argo CD image hold."""

from __future__ import annotations

import copy
import re
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from flink_gitops.assess import assess
from flink_gitops.flink import Located
from flink_gitops.health.status import ARGOCD, FLUX
from flink_gitops.health.tables import common

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "compatibility.md"
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def rows_with_a_tested_by_column() -> list[str]:
    """The last cell of every table row under a header whose last column is "tested by"."""
    cells, in_table = [], False
    for line in PAGE.read_text().splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        last = line.rstrip("|").rsplit("|", 1)[1].strip()
        if last == "tested by":
            in_table = True
        elif in_table and not set(last) <= set("-"):
            cells.append(last)
    return cells


def test_every_claim_names_a_test_or_says_it_is_not_tested_here():
    cells = rows_with_a_tested_by_column()
    assert len(cells) > 20
    for cell in cells:
        assert TEST_REF.search(cell) or "not tested here" in cell, cell


def test_every_test_the_page_names_exists():
    refs = TEST_REF.findall(PAGE.read_text())
    assert refs
    for path, name in refs:
        source = (ROOT / path).read_text()
        assert re.search(rf"^def {name}\(", source, re.M), f"{path}::{name} does not exist"


def test_the_generated_release_block_is_current(repo):
    from flink_gitops.render.validation.docs import generate_compatibility_doc

    assert PAGE.read_text() == generate_compatibility_doc(repo), "run `flink-gitops generate docs`"


def test_the_python_this_page_states_is_the_packages():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    minimum = project["requires-python"].removeprefix(">=")
    assert f"`requires-python = \">={minimum}\"`" in PAGE.read_text()
    assert f"| Python | {minimum} or newer" in PAGE.read_text()
    assert sys.version_info >= tuple(int(p) for p in minimum.split("."))  # and this suite runs on one


def test_the_argo_cd_image_this_page_names_is_the_dockerfiles():
    pinned = re.search(r"^ARG ARGOCD_IMAGE=(\S+)$", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    image, _, tag = pinned.rpartition(":")
    assert f"`{image}:{tag}`" in PAGE.read_text() and f"Argo CD {tag}" in PAGE.read_text()


# The values the operator writes, as read in apache/flink-kubernetes-operator at release-1.11.0, release-1.15.0
# and main (6e9caeb4): ResourceLifecycleState, JobManagerDeploymentStatus, ReconciliationState, Flink's JobStatus,
# FlinkStateSnapshotStatus.State and (from release-1.14.0) FlinkBlueGreenDeploymentState. Equal at each.
UPSTREAM = {
    "LIFECYCLE": ("CREATED", "SUSPENDED", "UPGRADING", "DEPLOYED", "STABLE", "ROLLING_BACK", "ROLLED_BACK",
                  "FAILED", "DELETING", "DELETED"),
    "JM_STATUS": ("READY", "DEPLOYED_NOT_READY", "DEPLOYING", "MISSING", "ERROR"),
    "RECONCILIATION": ("DEPLOYED", "UPGRADING", "ROLLING_BACK", "ROLLED_BACK"),
    "JOB_STATES": ("INITIALIZING", "CREATED", "RUNNING", "FAILING", "FAILED", "CANCELLING", "CANCELED", "FINISHED",
                   "RESTARTING", "SUSPENDED", "RECONCILING"),
    "SNAPSHOT_STATES": ("COMPLETED", "FAILED", "IN_PROGRESS", "TRIGGER_PENDING", "ABANDONED"),
    "BLUE_GREEN_STATES": ("INITIALIZING_BLUE", "ACTIVE_BLUE", "ACTIVE_GREEN", "TRANSITIONING_TO_BLUE",
                          "TRANSITIONING_TO_GREEN", "SAVEPOINTING_BLUE", "SAVEPOINTING_GREEN"),
}


def test_the_health_vocabulary_is_every_supported_release():
    for name, values in UPSTREAM.items():
        assert set(getattr(common, name)) == set(values), name


def running_condition(obj: dict) -> dict:
    """What operator 1.15 adds to a FlinkDeployment's status (FlinkDeploymentStatus.setRunningConditionIfRequired,
    ConditionsUtils): for an application the job state, for a session cluster the JobManager's."""
    status = obj.get("status") or {}
    if isinstance(obj.get("spec", {}).get("job"), dict):
        state = (status.get("jobStatus") or {}).get("state") or "CREATED"
        ok, reason, message = state == "RUNNING", state.capitalize(), f"Job status {state}"
    else:
        jm = status.get("jobManagerDeploymentStatus") or "MISSING"
        ok, reason, message = jm == "READY", jm.title().replace("_", ""), f"JobManager deployment {jm}"
    return {"type": "Running", "status": "True" if ok else "False", "reason": reason, "message": message,
            "lastTransitionTime": "2026-05-07T10:00:00Z"}


def newer_operator_shape(obj: dict) -> dict:
    newer = copy.deepcopy(obj)
    if isinstance(newer.get("status"), dict):
        newer["status"]["conditions"] = [running_condition(obj)]
    for component in ("jobManager", "taskManager"):  # 1.16: resource requirements next to resource
        if isinstance(newer.get("spec", {}).get(component), dict):
            newer["spec"][component]["resources"] = {"requests": {"memory": "2Gi", "cpu": "1"}}
    return newer


def fixtures() -> list[dict]:
    folder = ROOT / "lua" / "flink.apache.org" / "FlinkDeployment" / "testdata"
    return [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]


@pytest.mark.parametrize("engine", [ARGOCD, FLUX])
def test_what_operators_1_15_and_1_16_add_changes_no_health(engine):
    if engine == FLUX:
        pytest.importorskip("cel_expr_python", reason="the flux extra (cel-expr-python) is not installed")
    objs = fixtures()
    assert len(objs) > 30 and sum(isinstance(o.get("status"), dict) for o in objs) > 30
    before = assess([Located(o, "fixture.yaml", 1) for o in objs], engine)
    after = assess([Located(newer_operator_shape(o), "fixture.yaml", 1) for o in objs], engine)
    assert [(v.status, v.message, v.rule) for v in after] == [(v.status, v.message, v.rule) for v in before]
    # The fixtures span the statuses, so "unchanged" covers more than one answer.
    assert {v.status for v in before} >= ({"Healthy", "Degraded", "Progressing"} if engine == ARGOCD
                                          else {"Current", "Failed", "InProgress"})
