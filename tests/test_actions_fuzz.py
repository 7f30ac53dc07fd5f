"""Discovery and actions never raise, whatever shape the live object has, and agree with the
Python reference of the definition. Random objects, real Lua 5.1 sandbox without string/math."""

from __future__ import annotations

import pathlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.action_runner import create_merge_patch, run_discovery, run_operations, same_json
from flink_gitops.argocd.actions.definition import actions_for, expected_discovery, expected_operations
from flink_gitops.argocd.actions.luagen import action_lua, discovery_lua
from flink_gitops.argocd.sandbox import LuaSandbox

pytestmark = pytest.mark.slow

NOW = 1793611800
SANDBOX = LuaSandbox(open_libs=False, frozen_time=NOW)
ROOT = pathlib.Path(__file__).resolve().parents[1]

# No null inside lists: the API server never hands those over, and Lua cannot hold them.
scalars = st.one_of(
    st.booleans(), st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(["", "running", "suspended", "SUSPENDED", "5", "later"]),
)
def _no_nulls(value):
    """Argo CD decodes JSON null to Lua nil: a null member is simply absent for the script."""
    if isinstance(value, dict):
        return {k: _no_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_nulls(v) for v in value]
    return value


def _no_empty_map_in_a_list(value, in_list=False) -> bool:
    """Argo CD's cleanReturnedArray does not repair an empty map that sits directly in a list
    ([{}] comes back as [[]]); that is Argo CD's behaviour for any action, so keep it out here
    (tests/test_actions_argocd.py pins it)."""
    if isinstance(value, dict):
        return not (in_list and not value) and all(_no_empty_map_in_a_list(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_empty_map_in_a_list(v, True) for v in value)
    return True


values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "state", "job", "x.y", "emptyDir"]), st.one_of(st.none(), inner), max_size=3),
    ),
    max_leaves=8,
)
jobs = st.one_of(
    values,
    st.fixed_dictionaries(
        {},
        optional={
            "state": st.one_of(st.sampled_from(["running", "suspended"]), values),
            "savepointTriggerNonce": st.one_of(st.integers(0, 10**6), values),
            "jarURI": st.just("local:///opt/flink/usrlib/job.jar"),
            "args": st.lists(st.text(max_size=5), max_size=2),
            "flinkConfiguration": st.just({}),
        },
    ),
)
specs = st.one_of(
    values,
    st.fixed_dictionaries(
        {},
        optional={"job": jobs, "restartNonce": st.one_of(st.integers(0, 10**6), values), "podTemplate": values},
    ),
)
objects = st.fixed_dictionaries(
    {"apiVersion": st.just("flink.apache.org/v1beta1"), "metadata": st.one_of(
        st.fixed_dictionaries({"name": st.just("x")}, optional={
            "deletionTimestamp": st.one_of(st.none(), st.just("2026-11-20T09:00:00Z")),
            "annotations": st.just({})}),
        values)},
    optional={"spec": specs, "status": values},
).filter(lambda obj: _no_empty_map_in_a_list(_no_nulls(obj)))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(kind=st.sampled_from(["FlinkDeployment", "FlinkSessionJob"]), obj=objects)
def test_discovery_and_actions_on_any_object(kind, obj):
    obj = dict(obj, kind=kind)
    listed = run_discovery(SANDBOX, discovery_lua(kind), obj)
    assert listed == expected_discovery(kind, _no_nulls(obj))
    for action in actions_for(kind):
        operations = run_operations(SANDBOX, action_lua(action), obj)
        want = expected_operations(action, _no_nulls(obj), NOW)
        assert [op for op, _ in operations] == [w["operation"] for w in want], action.name
        assert all(same_json(got, w["resource"]) for (_, got), w in zip(operations, want)), (action.name, operations)
        if not action.path:
            continue  # it creates a resource and leaves the object alone
        got = operations[0][1]
        # The patch Argo CD sends touches nothing but the action's field.
        patch = create_merge_patch(_no_nulls(obj), got)
        node = patch
        for key in action.path[:-1]:
            if node == {}:
                break
            assert set(node) == {key}, (action.name, patch)
            node = node[key]
        assert node == {} or set(node) == {action.path[-1]}, (action.name, patch)
