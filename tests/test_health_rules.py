"""What the health tables promise a user, checked on every combination of the operator's fields
(the Lua agrees with these answers: test_health_agreement)."""

import functools
import json
import re

import pytest

from flink_gitops.health.evaluate import decide
from flink_gitops.health.tables import TABLES
from test_health_agreement import (
    blue_green_combinations,
    deployment_combinations,
    old_operator_deployments,
    session_job_combinations,
    snapshot_combinations,
)

SESSION_CLUSTER_JOB_STATES = (None, "RECONCILING", "FINISHED")


@functools.cache
def answers(kind: str) -> list[tuple[dict, str, str]]:
    objs = {
        "FlinkDeployment": lambda: deployment_combinations() + old_operator_deployments(),
        "FlinkSessionJob": session_job_combinations,
        "FlinkStateSnapshot": snapshot_combinations,
        "FlinkBlueGreenDeployment": blue_green_combinations,
    }[kind]()
    return [(obj, *decide(TABLES[kind], obj, string_lib=True)[:2]) for obj in objs]


def _job_state(obj):
    return obj.get("status", {}).get("jobStatus", {}).get("state")


def _has_job_spec(obj):
    return isinstance(obj.get("spec", {}).get("job"), dict)


@pytest.mark.parametrize("kind", ["FlinkDeployment", "FlinkSessionJob", "FlinkBlueGreenDeployment"])
def test_never_healthy_while_the_job_is_failing_or_restarting(kind):
    healthy = [(obj, message) for obj, status, message in answers(kind)
               if _job_state(obj) in ("FAILING", "RESTARTING") and status == "Healthy"]
    assert healthy == []


def test_session_cluster_answers_only_for_a_session_clusters_status():
    # Mode.getMode: no spec.job is a session cluster; a status reporting an application's job
    # (anything but RECONCILING or FINISHED, or lifecycle SUSPENDED) is not a ready session cluster.
    checked = 0
    for obj, status, message in answers("FlinkDeployment"):
        observed = obj.get("status", {})
        if message.startswith("Session cluster"):
            checked += 1
            assert not _has_job_spec(obj), message
            assert _job_state(obj) in SESSION_CLUSTER_JOB_STATES, (message, observed)
            assert observed.get("lifecycleState") != "SUSPENDED"
        settled = (observed.get("observedGeneration") in (None, obj.get("metadata", {}).get("generation"))
                   and observed.get("lifecycleState") not in ("DELETING", "DELETED"))
        if settled and not _has_job_spec(obj) and _job_state(obj) == "RESTARTING":
            assert status == "Degraded" and "spec.job is not set" in message, message
    assert checked > 500  # the session-cluster rules did answer


def test_a_session_cluster_after_an_upgrade_is_ready():
    # Deleting the cluster for an upgrade leaves job state FINISHED (updateStatusAfterClusterDeletion).
    obj = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "metadata": {"generation": 2},
           "spec": {"image": "flink:1.20"},
           "status": {"observedGeneration": 2, "lifecycleState": "STABLE", "jobManagerDeploymentStatus": "READY",
                      "jobStatus": {"state": "FINISHED"}, "reconciliationStatus": {"state": "DEPLOYED"}}}
    assert decide(TABLES["FlinkDeployment"], obj)[:2] == ("Healthy", "Session cluster ready")
    obj["status"]["jobStatus"]["state"] = "RESTARTING"
    assert decide(TABLES["FlinkDeployment"], obj)[:2] == (
        "Degraded", "spec.job is not set, so this is a session cluster, but its status reports a job (RESTARTING)")


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_messages_never_show_a_missing_field_as_none(kind):
    shown = {message for _, _, message in answers(kind) if re.search(r"\bnone\b", message)}
    assert shown == set()


@pytest.mark.parametrize("kind", ["FlinkDeployment", "FlinkSessionJob"])
def test_messages_about_the_job_spec_need_a_job_spec(kind):
    for obj, _, message in answers(kind):
        if "Resuming the suspended job" in message or "spec.job.state is running" in message:
            assert _has_job_spec(obj), message


ERROR = json.dumps({"type": "org.apache.flink.kubernetes.operator.exception.ValidationException",
                    "message": "Can not submit session job to application cluster", "throwableList": []})


@pytest.mark.parametrize("status", [
    {"error": ERROR},  # what the brief's older operators write
    {"error": ERROR, "jobStatus": {}, "reconciliationStatus": {"state": "UPGRADING"}},  # 1.1+ defaults
    {"error": ERROR, "jobStatus": {}, "reconciliationStatus": {"state": "DEPLOYED"}},  # 1.0 defaults
], ids=["error-only", "defaults-1.1", "defaults-1.0"])
@pytest.mark.parametrize("kind,desired", [("FlinkSessionJob", "running"), ("FlinkSessionJob", "suspended"),
                                          ("FlinkDeployment", "running")])
def test_rejected_before_anything_was_deployed_is_degraded_with_the_error(kind, desired, status):
    obj = {"apiVersion": "flink.apache.org/v1beta1", "kind": kind, "metadata": {"name": "x", "generation": 1},
           "spec": {"deploymentName": "orders", "job": {"jarURI": "local:///x.jar", "state": desired}},
           "status": status | ({"jobManagerDeploymentStatus": "MISSING"} if kind == "FlinkDeployment" else {})}
    for string_lib, shown in ((True, "Can not submit session job to application cluster"), (False, ERROR)):
        health, message, rule = decide(TABLES[kind], obj, string_lib)
        assert (health, rule) == ("Degraded", "rejected-before-deployment")
        assert message.endswith(": " + shown)
