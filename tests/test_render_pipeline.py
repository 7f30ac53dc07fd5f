"""The pipeline: every step switchable, validation wired into the failure contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers import run_cli
import yaml

from flink_gitops.errors import Problem
from flink_gitops.render import pipeline
from flink_gitops.render import validate as validate_step
from flink_gitops.render.params import PARAMETERS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "app"
WAVE = "argocd.argoproj.io/sync-wave"


pytestmark = pytest.mark.usefixtures("clean_argocd_env")


def run(*argv: str) -> tuple[int, str, str]:
    return run_cli("render", *argv)


def test_every_step_is_switched_by_an_announced_boolean_parameter():
    booleans = {p.name for p in PARAMETERS if p.kind == "boolean"}
    assert [name for name, _ in pipeline.STEPS] == ["strip-cluster-fields", "log4j", "validate", "sync-waves",
                                                   "ignore-differences", "ignore-differences-annotation",
                                                   "crd-server-side-apply"]
    assert {name for name, _ in pipeline.STEPS} <= booleans


def test_all_steps_off_passes_objects_through_unchanged():
    off = [f"{name}=false" for name, _ in pipeline.STEPS]
    code, out, err = run(str(EXAMPLE), *[a for p in off for a in ("--param", p)])
    assert code == 0, err
    rendered = list(yaml.safe_load_all(out))
    originals = [d for f in sorted(EXAMPLE.rglob("*.yaml")) for d in yaml.safe_load_all(f.read_text())]
    assert sorted(map(repr, rendered)) == sorted(map(repr, originals))


def fake_validator(errors, warnings, seen):
    def validate_objects(objs, params):
        seen.append((len(objs), dict(params)))
        return errors, warnings
    return validate_objects


def test_validation_errors_fail_the_render_one_line_each_nothing_on_stdout(monkeypatch):
    seen: list = []
    problems = [Problem("upgradeMode 'stateful' does not exist", file="a.yaml", document=1,
                        obj="FlinkDeployment x", field="spec.job.upgradeMode", hint="use savepoint"),
                Problem("no checkpoint directory", file="b.yaml", document=2, obj="FlinkDeployment y")]
    monkeypatch.setattr(validate_step, "validate_objects", fake_validator(problems, ["w1"], seen))
    code, out, err = run(str(EXAMPLE))
    assert code == 2 and out == ""
    assert err.splitlines()[-2:] == [
        "flink-gitops render: error: a.yaml (document 1): FlinkDeployment x: spec.job.upgradeMode: "
        "upgradeMode 'stateful' does not exist (fix: use savepoint)",
        "flink-gitops render: error: b.yaml (document 2): FlinkDeployment y: no checkpoint directory"]
    assert "flink-gitops render: warning: w1" in err  # warnings gathered before the failure still shown
    assert seen[0][0] == 11 and seen[0][1]["validate-strict"] == "false"


def test_validation_warnings_go_to_stderr_and_the_render_succeeds(monkeypatch):
    monkeypatch.setattr(validate_step, "validate_objects", fake_validator([], ["FlinkDeployment x: consider HA"], []))
    code, out, err = run(str(EXAMPLE))
    assert code == 0 and out
    assert "flink-gitops render: warning: FlinkDeployment x: consider HA" in err


def test_validation_sees_the_app_namespace(monkeypatch):
    seen: list = []
    monkeypatch.setattr(validate_step, "validate_objects", fake_validator([], [], seen))
    monkeypatch.setenv("ARGOCD_APP_NAMESPACE", "streaming-prod")
    assert run(str(EXAMPLE))[0] == 0
    assert seen[0][1]["namespace"] == "streaming-prod"


def test_validate_false_skips_the_validator(monkeypatch):
    seen: list = []
    monkeypatch.setattr(validate_step, "validate_objects", fake_validator([Problem("no")], [], seen))
    code, _, _ = run(str(EXAMPLE), "--param", "validate=false")
    assert code == 0 and seen == []


def test_real_validator_rejects_an_unknown_upgrade_mode(tmp_path):
    # `upgradeMode: stateful` reads plausibly, but the operator does not know it.
    text = (EXAMPLE / "orders-pipeline" / "flinkdeployment.yaml").read_text()
    (tmp_path / "fd.yaml").write_text(text.replace("upgradeMode: last-state", "upgradeMode: stateful"))
    code, out, err = run(str(tmp_path))
    assert code == 2 and out == ""
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert any("fd.yaml (document 1): FlinkDeployment orders-pipeline: spec.job.upgradeMode" in e for e in errors), err


def test_explain_prints_the_plan_on_stderr_only():
    code, out, err = run(str(EXAMPLE), "--explain")
    assert code == 0
    assert "sync-wave plan" in err and "sync-wave plan" not in out
    assert "wave   0 stays  FlinkDeployment orders-pipeline: before its log4j ConfigMap" in err
