"""Examples in the docs that a newcomer copies: they must work as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def yaml_blocks(doc: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / doc).read_text(), re.S)


def test_the_github_actions_example_installs_flink_gitops_before_running_it():
    requirements = pytest.importorskip("packaging.requirements")
    blocks = [b for b in yaml_blocks("cluster.md") if b.startswith("# GitHub Actions")]
    assert blocks, "docs/cluster.md has no GitHub Actions example"
    for block in blocks:
        steps = yaml.safe_load(block)
        runs = [(i, s["run"]) for i, s in enumerate(steps) if "run" in s]
        first_use = next(i for i, cmd in runs if cmd.startswith("flink-gitops "))
        installs = [(i, cmd) for i, cmd in runs if " pip install " in f" {cmd} " and i < first_use]
        assert installs, f"no pip install before step {first_use}: {block}"
        # The argument is a requirement pip accepts, and it is this project.
        spec = shlex.split(installs[0][1].split("pip install", 1)[1])[0]
        assert requirements.Requirement(spec).name == "flink-gitops"
        setup = [s for s in steps[:installs[0][0]] if str(s.get("uses", "")).startswith("actions/setup-python@")]
        assert setup and float(str(setup[0]["with"]["python-version"])) >= 3.11  # requires-python
