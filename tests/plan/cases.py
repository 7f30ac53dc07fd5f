"""The plan example cases: folders under tests/plan/cases, each a desired.yaml, a live.yaml, an optional operator.yaml,
the exact expected.json, and case.yaml (which operator test or rule it re-expresses, and what that test asserts)."""

from __future__ import annotations

from pathlib import Path

import yaml

from flink_gitops.manifests import read_objects
from flink_gitops.plan.engine import plan
from flink_gitops.plan.inputs import read_operator_config

CASES = Path(__file__).parent / "cases"


def case_dirs() -> list[Path]:
    """Every case folder (one with a case.yaml), found, not listed."""
    return sorted(p.parent for p in CASES.rglob("case.yaml"))


def case_id(path: Path) -> str:
    return str(path.relative_to(CASES))


def run_case(path: Path, desired_order=None, live_order=None):
    desired = read_objects([str(path / "desired.yaml")]) if (path / "desired.yaml").exists() else []
    live = read_objects([str(path / "live.yaml")]) if (path / "live.yaml").exists() else []
    operator = read_operator_config(str(path / "operator.yaml")) if (path / "operator.yaml").exists() else {}
    if desired_order:
        desired = desired_order(desired)
    if live_order:
        live = live_order(live)
    return plan(desired, live, operator, "operator.yaml", "payments")


def about(path: Path) -> dict:
    return yaml.safe_load((path / "case.yaml").read_text())
