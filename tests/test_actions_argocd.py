"""The Argo CD behaviour the action tests lean on (util/lua/lua.go, server/application), pinned
case by case so a change in the emulation shows up here first."""

from __future__ import annotations

import pytest

from tests.action_runner import (
    apply_merge_patch,
    clean_returned_obj,
    create_merge_patch,
    run_action,
    run_discovery,
    same_json,
)
from flink_gitops.argocd.sandbox import LuaSandbox, LuaScriptError


@pytest.fixture(scope="module")
def sandbox():
    return LuaSandbox(open_libs=False)


def test_clean_returned_obj_restores_empty_maps_the_live_object_had():
    live = {"spec": {"conf": {}, "args": [], "vols": [{"emptyDir": {}}]}, "status": {}}
    returned = {"spec": {"conf": [], "args": [], "vols": [{"emptyDir": []}]}, "status": []}
    assert clean_returned_obj(returned, live) == live


def test_clean_returned_obj_leaves_what_the_live_object_did_not_have():
    # a key the script added, or one that was a list before, keeps what Lua returned
    assert clean_returned_obj({"new": [], "was_list": []}, {"was_list": []}) == {"new": [], "was_list": []}
    # an empty map sitting directly in a list is NOT repaired by Argo CD (cleanReturnedArray)
    assert clean_returned_obj({"l": [[]]}, {"l": [{}]}) == {"l": [[]]}


def test_merge_patch_is_minimal_and_round_trips():
    live = {"a": 1, "b": {"c": "x", "d": [1, 2]}, "gone": True}
    new = {"a": 1.0, "b": {"c": "y", "d": [1, 2]}, "added": {}}
    patch = create_merge_patch(live, new)
    assert patch == {"b": {"c": "y"}, "gone": None, "added": {}}
    assert apply_merge_patch(live, patch) == {"a": 1, "b": {"c": "y", "d": [1, 2]}, "added": {}}
    assert create_merge_patch(live, live) == {}


def test_same_json_is_json_equality():
    assert same_json(4, 4.0)
    assert not same_json(True, 1)
    assert not same_json("1", 1)
    assert not same_json({}, [])


def test_discovery_parsing_like_argo_cd(sandbox):
    assert run_discovery(sandbox, "return {}", {}) == []  # empty table: no actions
    got = run_discovery(
        sandbox, 'return {b = {}, a = {disabled = true, displayName = "A"}, c = {"x"}}', {}
    )
    assert got == [
        {"name": "a", "disabled": True, "displayName": "A"},
        {"name": "b", "disabled": False},  # empty table: enabled, no details
        {"name": "c", "disabled": False},  # any array: enabled, no details
    ]
    for bad in ('return "nope"', 'return {a = {disabled = "yes"}}', "return {a = {iconClass = 1}}", "return {a = true}"):
        with pytest.raises(LuaScriptError):
            run_discovery(sandbox, bad, {})


def test_action_output_must_be_the_object(sandbox):
    assert run_action(sandbox, "obj.spec.x = 1 return obj", {"spec": {"m": {}}}) == {"spec": {"m": {}, "x": 1}}
    with pytest.raises(LuaScriptError):
        run_action(sandbox, "return 1", {"spec": {}})
