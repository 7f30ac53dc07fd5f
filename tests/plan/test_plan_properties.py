"""Properties of ``plan`` over generated Flink resources: identical is unchanged, ignored fields are ignored, order never matters."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flink_gitops.flink import Located
from flink_gitops.plan.engine import plan

pytestmark = pytest.mark.slow
API = "flink.apache.org/v1beta1"

names = st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True)
text = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="\\"), min_size=1, max_size=12)
conf_keys = st.sampled_from(["taskmanager.numberOfTaskSlots", "state.checkpoints.dir", "state.savepoints.dir",
                             "high-availability.type", "jobmanager.scheduler", "execution.checkpointing.interval",
                             "pipeline.jobvertex-parallelism-overrides", "kubernetes.operator.job.restart.failed",
                             "job.autoscaler.enabled", "parallelism.default", "scheduler-mode"])
conf = st.dictionaries(conf_keys, text, max_size=5)
job = st.fixed_dictionaries({"jarURI": text}, optional={
    "parallelism": st.integers(1, 64), "upgradeMode": st.sampled_from(["stateless", "savepoint", "last-state"]),
    "state": st.sampled_from(["running", "suspended"]), "args": st.lists(text, max_size=3), "entryClass": text,
    "allowNonRestoredState": st.booleans(), "initialSavepointPath": text, "savepointRedeployNonce": st.integers(0, 9)})
resource = st.fixed_dictionaries({"memory": st.sampled_from(["1024m", "2g", "1Gi"]),
                                  "cpu": st.sampled_from([0.5, 1, 2])})
deployment_spec = st.fixed_dictionaries({"flinkVersion": st.sampled_from(["v1_17", "v1_18", "v1_19", "v1_20", "v2_0"])},
                                        optional={
    "image": text, "mode": st.sampled_from(["native", "standalone"]), "flinkConfiguration": conf, "job": job,
    "jobManager": st.fixed_dictionaries({"resource": resource}), "restartNonce": st.integers(0, 5),
    "taskManager": st.fixed_dictionaries({"resource": resource}, optional={"replicas": st.integers(1, 9)}),
    "podTemplate": st.fixed_dictionaries({"spec": st.fixed_dictionaries({"hostname": names})})})
session_job_spec = st.fixed_dictionaries({"deploymentName": names, "job": job}, optional={"flinkConfiguration": conf})
job_states = st.sampled_from(["RUNNING", "FAILING", "RESTARTING", "CANCELLING", "FINISHED", "FAILED", "RECONCILING"])
jm_states = st.sampled_from(["READY", "DEPLOYING", "MISSING", "ERROR"])


def obj(kind, name, ns, spec):
    return {"apiVersion": API, "kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": spec}


@st.composite
def live_object(draw, kind, spec):
    """A live object whose operator has reconciled its spec (or that has no status yet)."""
    o = obj(kind, draw(names), draw(st.sampled_from(["team-a", "team-b"])), spec)
    if draw(st.booleans()):
        o["status"] = {"jobManagerDeploymentStatus": draw(jm_states),
                       "jobStatus": {"state": draw(job_states)},
                       "reconciliationStatus": {"state": "DEPLOYED",
                                                "lastReconciledSpec": json.dumps({"spec": spec})}}
    return o


@st.composite
def bg_object(draw):
    spec = {"template": {"spec": draw(deployment_spec)}, "configuration": draw(conf)}
    o = obj("FlinkBlueGreenDeployment", draw(names), "team-a", spec)
    o["status"] = {"lastReconciledSpec": json.dumps({"spec": spec}), "blueGreenState": "ACTIVE_BLUE",
                   "jobStatus": {"state": "RUNNING"}}
    return o


@st.composite
def live_sets(draw):
    objs = [draw(live_object("FlinkDeployment", draw(deployment_spec))) for _ in range(draw(st.integers(1, 4)))]
    objs += [draw(live_object("FlinkSessionJob", draw(session_job_spec))) for _ in range(draw(st.integers(0, 2)))]
    objs += [draw(bg_object()) for _ in range(draw(st.integers(0, 1)))]
    seen, out = set(), []
    for o in objs:  # one object per kind, namespace and name
        key = (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out


def located(objs, where):
    return [Located(copy.deepcopy(o), where, i + 1) for i, o in enumerate(objs)]


def desired_of(live):
    return [{k: v for k, v in o.items() if k != "status"} for o in live]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(live_sets())
def test_identical_desired_and_live_is_unchanged_everywhere(live):
    decisions = plan(located(desired_of(live), "desired"), located(live, "live"))
    assert len(decisions) == len(live)
    for d in decisions:
        assert (d.change, d.diff, d.fields, d.upgrade, d.state) == ("unchanged", None, [], "none", "n/a"), d.row()


IGNORED_JOB_FIELDS = {
    "upgradeMode": st.sampled_from(["stateless", "savepoint", "last-state"]), "allowNonRestoredState": st.booleans(),
    "initialSavepointPath": text, "savepointTriggerNonce": st.integers(0, 99), "checkpointTriggerNonce": st.integers(0, 99),
    "autoscalerResetNonce": st.integers(0, 99)}
IGNORED_CONF_KEYS = st.sampled_from(["kubernetes.operator.periodic.savepoint.interval", "job.autoscaler.enabled",
                                     "job.autoscaler.metrics.window", "parallelism.default",
                                     "kubernetes.operator.job.restart.failed"])


@st.composite
def ignored_change(draw, spec):
    """``spec`` with only fields the operator's spec diff ignores changed (at least one)."""
    new = copy.deepcopy(spec)
    for _ in range(draw(st.integers(1, 4))):
        if "job" in new and draw(st.booleans()):
            field = draw(st.sampled_from(sorted(IGNORED_JOB_FIELDS)))
            new["job"][field] = draw(IGNORED_JOB_FIELDS[field])
        else:
            new.setdefault("flinkConfiguration", {})[draw(IGNORED_CONF_KEYS)] = draw(text)
    return new


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_change_to_ignored_fields_only_is_ignore_with_no_upgrade(data):
    kind, spec = data.draw(st.sampled_from(["FlinkDeployment", "FlinkSessionJob"]).flatmap(
        lambda k: st.tuples(st.just(k), deployment_spec if k == "FlinkDeployment" else session_job_spec)))
    live = data.draw(live_object(kind, spec))
    new_spec = data.draw(ignored_change(spec))
    desired = dict(desired_of([live])[0], spec=new_spec)
    (d,) = [x for x in plan(located([desired], "desired"), located([live], "live")) if x.kind == kind]
    if d.change == "unchanged":  # the draw set a field to the value it had
        return
    assert d.diff == "ignore" and d.upgrade == "none" and d.state == "n/a", d.row()
    assert all(f.diff == "ignore" for f in d.fields)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(live_sets(), st.data())
def test_the_result_never_depends_on_the_order_of_documents(live, data):
    # a desired set that differs from the live one: some changed, some new, some gone
    desired = desired_of(live)
    for o in desired:
        if data.draw(st.booleans()) and "job" in o["spec"]:
            o["spec"]["job"]["parallelism"] = data.draw(st.integers(1, 64))
    desired = [o for o in desired if data.draw(st.integers(0, 4))]
    first = [d.row() for d in plan(located(desired, "desired"), located(live, "live"))]
    shuffled = [d.row() for d in plan(located(data.draw(st.permutations(desired)), "desired"),
                                      located(data.draw(st.permutations(live)), "live"))]
    assert shuffled == first


json_values = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | text,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                           max_leaves=8)
spec_keys = st.sampled_from(["job", "flinkConfiguration", "taskManager", "jobManager", "podTemplate", "mode",
                             "flinkVersion", "restartNonce", "deploymentName", "template", "savepoint", "ingress"])
status_keys = st.sampled_from(["reconciliationStatus", "jobStatus", "jobManagerDeploymentStatus", "lastReconciledSpec",
                               "blueGreenState", "state"])


@st.composite
def odd_object(draw, kind):
    """A Flink object with arbitrary values where the planner reads (wrong types, nulls, strings for mappings)."""
    spec = draw(st.dictionaries(spec_keys, json_values, max_size=5))
    o = obj(kind, "odd", "team-a", spec)
    if draw(st.booleans()):
        status = draw(st.dictionaries(status_keys, json_values, max_size=4))
        if draw(st.booleans()):
            status["reconciliationStatus"] = {"lastReconciledSpec": json.dumps({"spec": draw(
                st.dictionaries(spec_keys, json_values, max_size=4))})}
        o["status"] = status
    return o


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["FlinkDeployment", "FlinkSessionJob", "FlinkBlueGreenDeployment", "FlinkStateSnapshot"])
       .flatmap(lambda k: st.tuples(odd_object(k), odd_object(k))), st.booleans(), st.booleans())
def test_odd_objects_are_planned_or_refused_never_a_crash(pair, with_desired, with_live):
    from flink_gitops.errors import UserError

    desired, live = pair
    try:
        decisions = plan(located([desired] if with_desired else [], "desired"),
                         located([live] if with_live else [], "live"))
    except UserError as exc:
        assert all(p.file and p.field for p in exc.problems), [str(p) for p in exc.problems]
        return
    for d in decisions:
        json.dumps(d.row())  # printable
