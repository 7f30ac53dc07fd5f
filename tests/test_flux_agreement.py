"""The CEL health checks, run by a real CEL engine under Flux's rules, agree with the Python
evaluator on every combination the Lua agreement test covers and on hostile objects.

Flux's answer is the mapping of the evaluator's status (Healthy -> Current, Degraded -> Failed,
anything else -> InProgress) except where Flux decides before any expression runs (its
observedGeneration pre-check: InProgress) and where a top-level key the expressions read is
missing (an evaluation error that cannot be guarded: Unknown). Everything else is an error.
"""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flink_gitops.flux.health_cel import all_health_check_exprs
from tests.cel_reads import top_level_variables
from flink_gitops.health.status import FLUX_STATUS_OF
from flink_gitops.flux.evaluate import CelEngine, evaluate
from flink_gitops.health.evaluate import decide
from flink_gitops.health.tables import TABLES
from test_health_agreement import (
    TREES,
    VOCAB,
    blue_green_combinations,
    deployment_combinations,
    old_operator_deployments,
    session_job_combinations,
    snapshot_combinations,
)

pytest.importorskip("cel_expr_python", reason="cel-expr-python (the test extra) runs the CEL")

ENTRIES = {e["kind"]: e for e in all_health_check_exprs()}
ENGINE = CelEngine()


def flux_vs_evaluator(obj) -> tuple[str, str, str]:
    """(what Flux decided, what the evaluator's status maps to, why they may differ: '' | pre-empted | missing)."""
    kind = obj["kind"]
    status, _, rule = decide(TABLES[kind], obj)
    result = evaluate(ENTRIES[kind], obj, ENGINE)
    expected = FLUX_STATUS_OF[status]
    if result.decided_by == "observedGeneration":
        assert result.status == "InProgress"
        return result.status, expected, "pre-empted"
    missing = [v for v in top_level_variables(TABLES[kind]) if v not in obj]
    if result.status == "Unknown":
        # Only an absent top-level key may fail; a status that is a map never makes Flux error.
        assert missing, (result.error, obj)
        assert "No value with name" in result.error
        return result.status, expected, "missing"
    return result.status, expected, ""


def _check_all(objs) -> dict:
    seen = {"": 0, "pre-empted": 0, "missing": 0}
    for obj in objs:
        flux, expected, why = flux_vs_evaluator(obj)
        if not why:
            assert flux == expected, obj
        seen[why] += 1
    return seen


def _with_spec(objs):
    # A live FlinkDeployment always has a spec (a session cluster's names its image); only
    # `status` can be absent for real, before the operator's first reconcile.
    for obj in objs:
        obj.setdefault("spec", {})
    return objs


def test_flink_deployment_every_combination():
    seen = _check_all(_with_spec(deployment_combinations()))
    assert sum(seen.values()) == 190_080
    assert seen["missing"] == 4  # no status at all, not being deleted: Unknown until the operator writes one


def test_flink_deployment_old_operator_shapes():
    assert _check_all(old_operator_deployments()) == {"": 1_728, "pre-empted": 0, "missing": 0}


def test_flink_session_job_every_combination():
    seen = _check_all(session_job_combinations())
    assert sum(seen.values()) == 31_680 and seen["missing"] == 4  # one per desired-state variant, no status


def test_snapshot_and_blue_green_every_combination():
    assert _check_all(snapshot_combinations())["missing"] == 1
    assert _check_all(_with_spec(blue_green_combinations()))["missing"] == 2


def test_pre_empted_only_where_docs_say(repo):
    """Flux's generation pre-check changes the answer for exactly the rules docs/flux.md lists."""
    docs = (repo / "docs/flux.md").read_text().split("## Where Flux pre-empts with InProgress", 1)[1]
    listed = set(re.findall(r"^\| (Flink\w+) \| `([\w-]+)` \|", docs.split("\n## ", 1)[0], re.M))
    changed = set()
    for obj in _with_spec(deployment_combinations()[::7]) + session_job_combinations():
        flux, expected, why = flux_vs_evaluator(obj)
        if why == "pre-empted" and expected != "InProgress":
            changed.add((obj["kind"], decide(TABLES[obj["kind"]], obj)[2]))
    assert changed == listed == {("FlinkDeployment", "spec-rejected"), ("FlinkSessionJob", "spec-rejected")}


def test_a_missing_status_is_unknown_and_a_deleted_one_is_not():
    entry = ENTRIES["FlinkDeployment"]
    fresh = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
             "metadata": {"name": "x", "generation": 1}, "spec": {"job": {}}}
    result = evaluate(entry, fresh, ENGINE)
    assert (result.status, result.decided_by) == ("Unknown", "inProgress")
    assert 'No value with name "status"' in result.error
    deleting = dict(fresh, metadata={"name": "x", "deletionTimestamp": "2026-11-22T10:00:00Z"})
    assert evaluate(entry, deleting, ENGINE).status == "InProgress"


# --- hostile objects ----------------------------------------------------------------------

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(TABLES)), body=st.dictionaries(st.sampled_from(VOCAB), TREES, max_size=6))
def test_hostile_objects(kind, body):
    obj = dict(body, apiVersion="flink.apache.org/v1beta1", kind=kind)
    flux, expected, why = flux_vs_evaluator(obj)
    if not why:
        assert flux == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(TABLES)), status=st.dictionaries(st.sampled_from(VOCAB), TREES, max_size=6),
       metadata=TREES, spec=TREES)
def test_a_status_map_never_makes_flux_error(kind, status, metadata, spec):
    obj = {"apiVersion": "flink.apache.org/v1beta1", "kind": kind, "metadata": metadata, "spec": spec,
           "status": status}
    flux, expected, why = flux_vs_evaluator(obj)
    assert why != "missing"
    if not why:
        assert flux == expected


# --- the generation pre-check, as unstructured.NestedInt64 reads it ------------------------

def _running(observed, generation, metadata_extra=None) -> dict:
    metadata = {"name": "orders", "namespace": "streaming", **(metadata_extra or {})}
    if generation is not _ABSENT:
        metadata["generation"] = generation
    return {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "metadata": metadata,
            "spec": {"job": {"jarURI": "local:///x.jar"}},
            "status": {"observedGeneration": observed, "lifecycleState": "STABLE",
                       "jobStatus": {"state": "RUNNING"}}}


_ABSENT = object()


@pytest.mark.parametrize("observed,generation", [(1, 2), (3, 2), (0, 2**63 - 1)],
                         ids=["behind", "ahead", "int64-max"])
def test_pre_check_fires_when_both_are_int64_and_differ(observed, generation):
    result = evaluate(ENTRIES["FlinkDeployment"], _running(observed, generation), ENGINE)
    assert (result.status, result.decided_by) == ("InProgress", "observedGeneration")


@pytest.mark.parametrize("observed,generation", [
    (2, 2),            # equal: the expressions decide
    (True, 2),         # a bool is no int64 (Python's True == 1 must not leak in)
    (1.0, 2),          # a JSON number with a fraction decodes as float64
    ("1", 2),          # a string (some CRDs type it so): Flux skips its check
    (2**63, 2),        # beyond int64: decoded as float64
    (1, 2**63),
    (1, "2"),
    (1, _ABSENT),      # no metadata.generation
], ids=["equal", "bool", "float", "string", "observed-beyond-int64", "generation-beyond-int64",
        "generation-string", "no-generation"])
def test_pre_check_skipped_unless_both_are_int64(observed, generation):
    obj = _running(observed, generation)
    result = evaluate(ENTRIES["FlinkDeployment"], obj, ENGINE)
    assert result.decided_by != "observedGeneration"
    flux, expected, why = flux_vs_evaluator(obj)
    assert why == "" and flux == expected


def test_pre_check_skipped_when_a_parent_is_not_a_map():
    # NestedInt64 errors on a non-map step; Flux then skips the check (and the guarded CEL decides).
    for obj in (dict(_running(1, 2), metadata=[{"generation": 2}]),
                dict(_running(1, 2), status=[{"observedGeneration": 1}])):
        result = evaluate(ENTRIES["FlinkDeployment"], obj, ENGINE)
        assert result.decided_by != "observedGeneration" and not result.error
        flux, expected, why = flux_vs_evaluator(obj)
        assert why == "" and flux == expected
