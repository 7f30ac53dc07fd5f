"""The ``savepoint`` action creates a FlinkStateSnapshot owned by the resource; ``savepoint-nonce`` keeps the old way.

Run in the reproduced Lua 5.1 sandbox (no string/math, as argocd-cm customizations get), then handed to what
Argo CD's server does with a list of operations: every resource checked and every create dry-run first, then
the creates and patches (tests/action_runner.py). Expectations are written out by hand from the issue and the
operator's snapshot documentation.
"""

from __future__ import annotations

import copy
import pathlib
import re
import time

import pytest

from flink_gitops.argocd.actions.samples import SAMPLES
from flink_gitops.argocd.sandbox import LuaSandbox, LuaScriptError
from flink_gitops.flink import Located
from flink_gitops.render.validation.validator import validate_objects
from tests.action_runner import ActionRefused, Cluster, run_operations

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOW = 1793611800  # 2026-11-02T09:30:00Z
DEPLOYMENT = SAMPLES["FlinkDeployment"]["application-running"]
SESSION_JOB = SAMPLES["FlinkSessionJob"]["sessionjob-running"]


def script(kind: str, action: str) -> str:
    return (ROOT / "lua" / "flink.apache.org" / kind / "actions" / action / "action.lua").read_text()


@pytest.fixture(scope="module")
def sandbox() -> LuaSandbox:
    return LuaSandbox(open_libs=False, frozen_time=NOW)


def test_savepoint_creates_a_snapshot_owned_by_the_deployment(sandbox):
    operations = run_operations(sandbox, script("FlinkDeployment", "savepoint"), DEPLOYMENT)
    assert operations == [("create", {
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkStateSnapshot",
        "metadata": {
            "name": "fraud-detection-savepoint-20261102093000",
            "namespace": "flink-prod",
            "ownerReferences": [{"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                                 "name": "fraud-detection", "uid": DEPLOYMENT["metadata"]["uid"]}],
        },
        "spec": {"jobReference": {"kind": "FlinkDeployment", "name": "fraud-detection"},
                 "savepoint": {"disposeOnDelete": False}},
    })]


def test_what_argo_cd_does_with_it_the_snapshot_exists_and_the_deployment_is_untouched(sandbox):
    live = copy.deepcopy(DEPLOYMENT)
    cluster = Cluster(live)
    cluster.apply(live, run_operations(sandbox, script("FlinkDeployment", "savepoint"), live))
    snapshot = cluster.get({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkStateSnapshot",
                            "metadata": {"namespace": "flink-prod",
                                         "name": "fraud-detection-savepoint-20261102093000"}})
    assert snapshot is not None
    assert cluster.get(live) == DEPLOYMENT  # nothing patched: no nonce, no drift for Argo CD to report
    # No tracking label or annotation: Argo CD shows it under its owner and never prunes it.
    assert "labels" not in snapshot["metadata"] and "annotations" not in snapshot["metadata"]


def test_a_second_run_in_the_same_second_is_refused_whole_a_later_one_creates_another(sandbox):
    live = copy.deepcopy(DEPLOYMENT)
    cluster = Cluster(live)
    ops = run_operations(sandbox, script("FlinkDeployment", "savepoint"), live)
    cluster.apply(live, ops)
    before = dict(cluster.objects)
    with pytest.raises(ActionRefused, match="already exists"):
        cluster.apply(live, run_operations(sandbox, script("FlinkDeployment", "savepoint"), live))
    assert cluster.objects == before
    later = LuaSandbox(open_libs=False, frozen_time=NOW + 1)
    cluster.apply(live, run_operations(later, script("FlinkDeployment", "savepoint"), live))
    names = sorted(k[3] for k in cluster.objects if k[1] == "FlinkStateSnapshot")
    assert names == ["fraud-detection-savepoint-20261102093000", "fraud-detection-savepoint-20261102093001"]


def test_a_project_that_does_not_permit_snapshots_gets_nothing(sandbox):
    live = copy.deepcopy(DEPLOYMENT)
    cluster = Cluster(live, permitted=lambda obj: obj["kind"] != "FlinkStateSnapshot")
    with pytest.raises(ActionRefused, match="not permitted"):
        cluster.apply(live, run_operations(sandbox, script("FlinkDeployment", "savepoint"), live))
    assert list(cluster.objects.values()) == [live]


def test_session_job_snapshot_references_the_session_job(sandbox):
    [(op, snapshot)] = run_operations(sandbox, script("FlinkSessionJob", "savepoint"), SESSION_JOB)
    name = SESSION_JOB["metadata"]["name"]
    assert op == "create"
    assert snapshot["spec"]["jobReference"] == {"kind": "FlinkSessionJob", "name": name}
    assert snapshot["metadata"]["ownerReferences"][0]["kind"] == "FlinkSessionJob"
    assert snapshot["metadata"]["name"] == f"{name}-savepoint-20261102093000"


def test_the_created_snapshot_passes_the_operators_webhook_rules(sandbox):
    for kind, obj in (("FlinkDeployment", DEPLOYMENT), ("FlinkSessionJob", SESSION_JOB)):
        [(_, snapshot)] = run_operations(sandbox, script(kind, "savepoint"), obj)
        errors, warnings = validate_objects([Located(obj, "live.yaml", 1), Located(snapshot, "action", 1)],
                                            {"namespace": "flink-prod"})
        assert [e for e in errors if e.obj and "FlinkStateSnapshot" in e.obj] == []


@pytest.mark.parametrize("kind,sample", [
    ("FlinkDeployment", "application-suspended"),
    ("FlinkDeployment", "session-cluster"),
    ("FlinkDeployment", "deleting"),
    ("FlinkDeployment", "odd-no-spec"),
    ("FlinkSessionJob", "odd-no-job"),
])
def test_without_a_running_job_the_list_is_empty_and_nothing_happens(sandbox, kind, sample):
    obj = SAMPLES[kind][sample]
    operations = run_operations(sandbox, script(kind, "savepoint"), obj)
    assert operations == []
    cluster = Cluster(copy.deepcopy(obj))
    cluster.apply(obj, operations)
    assert list(cluster.objects.values()) == [obj]


def test_the_real_clock_names_it_after_now_in_utc():
    before = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    [(_, snapshot)] = run_operations(LuaSandbox(open_libs=False), script("FlinkDeployment", "savepoint"), DEPLOYMENT)
    after = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    stamp = re.fullmatch(r"fraud-detection-savepoint-(\d{14})", snapshot["metadata"]["name"]).group(1)
    assert before <= stamp <= after


def test_savepoint_nonce_is_the_old_field_action(sandbox):
    [(op, patched)] = run_operations(sandbox, script("FlinkDeployment", "savepoint-nonce"), DEPLOYMENT)
    assert op == "patch"
    assert patched["spec"]["job"]["savepointTriggerNonce"] == DEPLOYMENT["spec"]["job"]["savepointTriggerNonce"] + 1
    live = copy.deepcopy(DEPLOYMENT)
    cluster = Cluster(live)
    cluster.apply(live, [(op, patched)])
    assert cluster.get(live)["spec"]["job"]["savepointTriggerNonce"] == patched["spec"]["job"]["savepointTriggerNonce"]
    assert len(cluster.objects) == 1


def test_the_runner_refuses_what_argo_cd_refuses(sandbox):
    with pytest.raises(LuaScriptError, match="unsupported operation"):
        run_operations(sandbox, 'return {{operation = "delete", resource = obj}}', DEPLOYMENT)
    with pytest.raises(LuaScriptError, match="not an object"):
        run_operations(sandbox, 'return {{operation = "create"}}', DEPLOYMENT)
