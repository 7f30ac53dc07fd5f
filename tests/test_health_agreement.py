"""Lua in the sandbox and the Python evaluator agree on every combination of discrete fields,
and on hostile objects; the Lua never raises and always returns a valid status."""

import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flink_gitops.health.evaluate import evaluate
from flink_gitops.argocd.health_lua import compile_table
from flink_gitops.argocd.sandbox import LuaSandbox
from flink_gitops.health.status import ARGOCD_STATUSES
from flink_gitops.health.tables import (
    BLUE_GREEN_STATES,
    JM_STATUS,
    JOB_STATES,
    LIFECYCLE,
    RECONCILIATION,
    SNAPSHOT_STATES,
    TABLES,
)

pytestmark = pytest.mark.slow

BOXES = {True: LuaSandbox(open_libs=True), False: LuaSandbox(open_libs=False)}
SCRIPTS = {kind: compile_table(t) for kind, t in TABLES.items()}
ERROR = json.dumps({"type": "org.apache.flink.kubernetes.operator.exception.ValidationException",
                    "message": "Job parallelism must be larger than 0 " + "é" * 120, "throwableList": []}, ensure_ascii=False)
GENERATIONS = {"behind": (5, 4), "equal": (5, 5), "absent": (5, None)}


def _agree(objs, kind):
    """Compare both back ends in both library modes; return how many objects were checked."""
    script = SCRIPTS[kind]
    for obj in objs:
        for string_lib, box in BOXES.items():
            lua = box.health(script, obj)
            py = evaluate(obj, string_lib=string_lib)
            assert lua.status in ARGOCD_STATUSES
            assert (lua.status, lua.message) == (py["status"], py["message"]), (string_lib, obj)
    return len(objs)


def _put(d, path, value):
    if value is None:
        return
    keys = path.split(".")
    for k in keys[:-1]:
        d = d.setdefault(k, {})
    d[keys[-1]] = value


def _flink(kind, gen, observed, fields):
    obj = {"apiVersion": "flink.apache.org/v1beta1", "kind": kind, "metadata": {"name": "x", "generation": gen}}
    _put(obj, "status.observedGeneration", observed)
    for path, value in fields.items():
        _put(obj, path, value)
    return obj


def deployment_combinations() -> list[dict]:
    objs = []
    for lifecycle, jm, recon, job, gen, error, desired, session, reconciled in itertools.product(
        (None,) + LIFECYCLE, (None,) + JM_STATUS, (None,) + RECONCILIATION, (None,) + JOB_STATES,
        GENERATIONS.values(), (None, ERROR), (None, "running", "suspended"), (False, True), (None, '{"spec":{}}'),
    ):
        if session and desired is not None:
            continue  # a session cluster has no spec.job to hold a desired state
        obj = _flink("FlinkDeployment", *gen, {
            "status.lifecycleState": lifecycle, "status.jobManagerDeploymentStatus": jm,
            "status.reconciliationStatus.state": recon, "status.jobStatus.state": job, "status.error": error,
            "status.reconciliationStatus.lastReconciledSpec": reconciled,
        })
        if not session:
            obj["spec"] = {"job": {"jarURI": "local:///x.jar"} | ({"state": desired} if desired else {})}
        objs.append(obj)
    return objs


def old_operator_deployments() -> list[dict]:
    objs = []
    for success, jm, job, error, desired, reconciled in itertools.product(
        (None, True, False), (None,) + JM_STATUS, (None,) + JOB_STATES, (None, "plain text error"),
        (None, "suspended"), (None, '{"spec":{}}'),
    ):
        status = {"jobManagerDeploymentStatus": jm, "jobStatus": {"state": job},
                  "reconciliationStatus": {"success": success, "error": error, "lastReconciledSpec": reconciled}}
        spec = {"job": {"state": desired}} if desired else {"job": {}}
        objs.append({"apiVersion": "flink.apache.org/v1alpha1", "kind": "FlinkDeployment",
                     "metadata": {"name": "old"}, "spec": spec, "status": status})
    return objs


def session_job_combinations() -> list[dict]:
    objs = []
    for lifecycle, recon, job, gen, error, desired, reconciled in itertools.product(
        (None,) + LIFECYCLE, (None,) + RECONCILIATION, (None,) + JOB_STATES, GENERATIONS.values(),
        (None, ERROR), (None, "running", "suspended", "no spec.job"), (None, '{"spec":{}}'),
    ):
        obj = _flink("FlinkSessionJob", *gen, {
            "status.lifecycleState": lifecycle, "status.reconciliationStatus.state": recon,
            "status.reconciliationStatus.lastReconciledSpec": reconciled,
            "status.jobStatus.state": job, "status.error": error, "spec.deploymentName": "session",
        })
        if desired != "no spec.job":
            obj["spec"]["job"] = {"jarURI": "local:///x.jar"} | ({"state": desired} if desired else {})
        objs.append(obj)
    return objs


def snapshot_combinations() -> list[dict]:
    return [
        _flink("FlinkStateSnapshot", 1, None, {"status.state": s, "status.error": e, "status.path": p,
                                               "metadata.deletionTimestamp": d})
        for s, e, p, d in itertools.product((None,) + SNAPSHOT_STATES, (None, ERROR), (None, "s3://b/sp-1"),
                                            (None, "2026-11-20T10:00:00Z"))
    ]


def blue_green_combinations() -> list[dict]:
    return [
        _flink("FlinkBlueGreenDeployment", 1, None, {"status.blueGreenState": b, "status.jobStatus.state": j,
                                                     "status.error": e, "spec.template.spec.job.state": d})
        for b, j, e, d in itertools.product((None,) + BLUE_GREEN_STATES, (None,) + JOB_STATES, (None, ERROR),
                                            (None, "suspended"))
    ]


def test_flink_deployment_every_combination():
    assert _agree(deployment_combinations(), "FlinkDeployment") == 190_080


def test_flink_deployment_old_operator_shapes():
    assert _agree(old_operator_deployments(), "FlinkDeployment") == 1_728


def test_flink_session_job_every_combination():
    assert _agree(session_job_combinations(), "FlinkSessionJob") == 31_680


def test_snapshot_and_blue_green_every_combination():
    assert _agree(snapshot_combinations(), "FlinkStateSnapshot") == 48
    assert _agree(blue_green_combinations(), "FlinkBlueGreenDeployment") == 8 * 12 * 2 * 2


# --- hostile objects ----------------------------------------------------------------------

VOCAB = ["status", "metadata", "spec", "job", "state", "lifecycleState", "jobManagerDeploymentStatus",
         "reconciliationStatus", "jobStatus", "error", "observedGeneration", "generation", "success",
         "lastReconciledSpec", "deletionTimestamp", "blueGreenState", "template", "path", "x"]
SCALARS = (st.none() | st.booleans() | st.integers(-3, 2**40) | st.sampled_from([10**400, -(10**400), 2**63, 2**63 + 1])
           | st.floats(allow_nan=False)
           | st.sampled_from(list(LIFECYCLE + JM_STATUS + JOB_STATES + SNAPSHOT_STATES + BLUE_GREEN_STATES)
                             + ["suspended", "running", "", "{", '{"message": "x\\"y', '{"message":"' + "ü" * 90 + '"}'])
           | st.text(max_size=30))
TREES = st.recursive(SCALARS, lambda children: st.lists(children, max_size=4)
                     | st.dictionaries(st.sampled_from(VOCAB), children, max_size=6), max_leaves=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(TABLES)), body=st.dictionaries(st.sampled_from(VOCAB), TREES, max_size=6))
def test_hostile_objects_never_break_the_lua(kind, body):
    obj = dict(body, apiVersion="flink.apache.org/v1beta1", kind=kind)
    _agree([obj], kind)
