"""Example tests of ``plan``: every folder under tests/plan/cases (found, not listed) is planned and must give its expected.json.

Each case also carries, in case.yaml, what the operator's own test asserts (the diff type and the
number of diffs of ``ReflectiveDiffBuilder``, the blue/green diff type, the upgrade path the
reconciler takes); that is checked on its own, so a wrong expected.json cannot hide a wrong rule.
"""

from __future__ import annotations

import json

import pytest

from tests.plan.cases import about, case_dirs, case_id, run_case

CASES = case_dirs()


def operator_diffs(fields) -> int:
    """How many diffs ``DiffResult.getNumDiffs`` counts: a Diffable field's (job, taskManager) sub-fields and each
    flinkConfiguration key one each, any other field one whatever changed inside it."""
    seen = set()
    for f in fields:
        parts = f["path"].split(".")
        if parts[:3] == ["spec", "template", "spec"]:
            parts = ["spec"] + parts[3:]
        if parts[1] == "flinkConfiguration":
            seen.add(f["path"])
        elif parts[1] in ("job", "taskManager") and len(parts) > 2:
            seen.add(tuple(parts[:3]))
        else:
            seen.add(tuple(parts[:2]))
    return len(seen)


def test_cases_are_found():
    assert len(CASES) >= 40, [case_id(c) for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_gives_expected_json(case):
    rows = {"resources": [d.row() for d in run_case(case)]}
    expected = json.loads((case / "expected.json").read_text())
    assert rows == expected


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_case_agrees_with_the_operator_test_it_reexpresses(case):
    meta = about(case)
    expect = meta["expect"]
    kind, _, name = expect["resource"].partition("/")
    (row,) = [d.row() for d in run_case(case) if (d.kind, d.name) == (kind, name)]
    for key in ("change", "diff", "upgrade", "state"):
        if key in expect:
            assert row[key] == expect[key], (key, meta["about"])
    if "operator_diffs" in expect:
        assert operator_diffs(row["fields"]) == expect["operator_diffs"], meta["about"]
    if "paths" in expect:
        assert [f["path"] for f in row["fields"]] == expect["paths"]
    if "reason" in expect:
        assert any(expect["reason"] in r for r in row["reasons"]), row["reasons"]
