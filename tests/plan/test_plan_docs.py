"""docs/plan.md as a newcomer copies it: the CI workflow and the Role parse and do what the text says, and every
word of the decision tables is the planner's vocabulary."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from flink_gitops.plan import model as M

DOC = (Path(__file__).resolve().parents[2] / "docs" / "plan.md").read_text()


def blocks() -> list[dict]:
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", DOC, re.S)]


def test_the_workflow_installs_python_and_flink_gitops_plans_read_only_and_posts_markdown():
    (workflow,) = [b for b in blocks() if isinstance(b, dict) and "jobs" in b]
    assert workflow.get(True, workflow.get("on")) == "pull_request"  # YAML 1.1 reads the key `on` as true
    steps = workflow["jobs"]["plan"]["steps"]
    runs = [s.get("run", "") for s in steps]
    setup = next(i for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/setup-python@"))
    install = next(i for i, r in enumerate(runs) if "pip install" in r)
    use = next(i for i, r in enumerate(runs) if "flink-gitops plan" in r)
    assert setup < install < use
    assert float(steps[setup]["with"]["python-version"]) >= 3.11
    plan = runs[use]
    assert "--cluster" in plan and "-o markdown" in plan and "> plan.md" in plan
    assert any("gh pr comment" in r and "plan.md" in r for r in runs[use:])
    assert any('outputs.code }}" = 0' in r for r in runs[use:])  # the check fails when a state is lost or at risk


def test_the_role_only_reads_the_flink_kinds():
    (role,) = [b for b in blocks() if isinstance(b, dict) and b.get("kind") == "Role"]
    (rule,) = role["rules"]
    assert rule["verbs"] == ["get", "list"]  # plan lists once: no watch, no write
    assert set(rule["resources"]) == {"flinkdeployments", "flinksessionjobs", "flinkstatesnapshots",
                                      "flinkbluegreendeployments"}


def test_every_upgrade_and_state_in_the_tables_is_the_planners_word():
    words = set(re.findall(r"`([a-z-/]+)`", DOC))
    for upgrade in M.UPGRADES:
        assert upgrade in words, upgrade
    for state in M.STATES:
        assert state in words, state
    for diff in M.DIFF_TYPES + M.BLUE_GREEN_DIFF_TYPES:
        assert diff in words, diff
