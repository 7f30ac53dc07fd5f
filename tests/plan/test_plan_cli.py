"""``flink-gitops plan`` as a user runs it: the installed console script, its three outputs, its exit codes, its errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e
CASES = Path(__file__).parent / "cases"
SAFE = CASES / "upgrade" / "from-savepoint-to-savepoint"  # a savepoint upgrade: state kept
LOSES = CASES / "upgrade" / "from-savepoint-to-stateless"  # a stateless upgrade: state lost


def run(env, *argv, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["flink-gitops", "plan", *argv], capture_output=True, text=True, env=env, input=stdin,
                          timeout=60)


def files(case: Path) -> list[str]:
    return [str(case / "desired.yaml"), "--live", str(case / "live.yaml")]


def assert_one_line_error(result, *parts: str) -> None:
    assert result.returncode == 2, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("flink-gitops plan: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for part in parts:
        assert part in lines[0], (part, lines[0])


def test_exit_0_when_no_state_is_lost_and_json_is_the_example_decision(cli_env):
    result = run(cli_env, *files(SAFE), "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads((SAFE / "expected.json").read_text())
    assert result.stderr == ""


def test_exit_1_when_a_job_loses_its_state_in_every_format(cli_env):
    table = run(cli_env, *files(LOSES))
    assert table.returncode == 1
    header, row = table.stdout.splitlines()[:2]
    assert header.split() == ["KIND", "NAMESPACE", "NAME", "CHANGE", "DIFF", "UPGRADE", "STATE"]
    assert row.split() == ["FlinkDeployment", "payments", "payments", "update", "upgrade", "stateless", "lost"]
    assert "    spec.image: upgrade" in table.stdout
    assert "    - spec.job.upgradeMode stateless: the job is cancelled and starts from empty state" in table.stdout
    md = run(cli_env, *files(LOSES), "-o", "markdown")
    assert md.returncode == 1
    assert "| FlinkDeployment | payments | payments | update | upgrade | stateless | **lost** |" in md.stdout
    assert "**1 job(s) lose their state, 0 at risk**" in md.stdout
    assert "<details><summary>FlinkDeployment payments/payments: stateless, state lost</summary>" in md.stdout
    js = run(cli_env, *files(LOSES), "-o", "json")
    assert js.returncode == 1
    (row,) = json.loads(js.stdout)["resources"]
    assert set(row) == {"kind", "namespace", "name", "change", "diff", "fields", "upgrade", "state", "reasons"}


def test_live_objects_from_stdin(cli_env):
    result = run(cli_env, str(LOSES / "desired.yaml"), "--live", "-", "-o", "json",
                 stdin=(LOSES / "live.yaml").read_text())
    assert result.returncode == 1
    assert json.loads(result.stdout) == json.loads((LOSES / "expected.json").read_text())


def test_operator_config_from_the_operators_configmap(cli_env, tmp_path):
    case = CASES / "upgrade" / "fallback-off-in-operator-config"
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flink-operator-config"},
          "data": {"config.yaml": "kubernetes.operator:\n  job.upgrade.last-state-fallback.enabled: false\n"}}
    (tmp_path / "cm.yaml").write_text(yaml.safe_dump(cm))
    with_cm = run(cli_env, *files(case), "--operator-config", str(tmp_path / "cm.yaml"), "-o", "json")
    without = run(cli_env, *files(case), "-o", "json")
    assert json.loads(with_cm.stdout)["resources"][0]["upgrade"] == "blocked"
    assert json.loads(without.stdout)["resources"][0]["upgrade"] == "last-state"
    assert (with_cm.returncode, without.returncode) == (0, 1)


def test_an_app_folder_is_rendered_by_the_plugin_first(cli_env, tmp_path, repo):
    app = repo / "examples" / "app" / "orders-pipeline"
    empty = tmp_path / "empty.yaml"
    empty.write_text("apiVersion: v1\nkind: List\nitems: []\n")
    result = run(cli_env, str(app), "--live", str(empty), "-o", "json")
    assert result.returncode == 0, result.stderr
    rows = {(r["kind"], r["name"]): r for r in json.loads(result.stdout)["resources"]}
    assert rows[("FlinkDeployment", "orders-pipeline")]["change"] == "create"
    assert rows[("FlinkDeployment", "orders-pipeline")]["upgrade"] == "deploy"
    assert rows[("FlinkStateSnapshot", "orders-pipeline-before-1-5")]["change"] == "create"
    # the plugin's validation runs on a folder: what the operator's webhook would refuse is refused here too
    bad = tmp_path / "bad-app"
    bad.mkdir()
    doc = yaml.safe_load((LOSES / "desired.yaml").read_text())
    doc["spec"]["job"]["upgradeMode"] = "last-state"
    del doc["spec"]["flinkConfiguration"]["state.checkpoints.dir"]
    (bad / "job.yaml").write_text(yaml.safe_dump(doc))
    refused = run(cli_env, str(bad), "--live", str(empty))
    assert refused.returncode == 2 and refused.stdout == ""
    assert "state.checkpoints.dir" in refused.stderr and "Traceback" not in refused.stderr


def test_bad_reconciled_spec_names_file_object_and_field(cli_env, tmp_path):
    live = yaml.safe_load((LOSES / "live.yaml").read_text())
    live["items"][0]["status"]["reconciliationStatus"]["lastReconciledSpec"] = '{"spec": {'
    (tmp_path / "live.yaml").write_text(yaml.safe_dump(live))
    result = run(cli_env, str(LOSES / "desired.yaml"), "--live", str(tmp_path / "live.yaml"))
    assert_one_line_error(result, str(tmp_path / "live.yaml"), "FlinkDeployment payments/payments",
                          "status.reconciliationStatus.lastReconciledSpec")


def test_bad_boolean_option_names_file_object_and_field(cli_env, tmp_path):
    desired = yaml.safe_load((SAFE / "desired.yaml").read_text())
    desired["spec"]["flinkConfiguration"]["kubernetes.operator.job.upgrade.last-state-fallback.enabled"] = "maybe"
    desired["spec"]["flinkConfiguration"]["kubernetes.operator.job.savepoint-on-deletion"] = "yes please"
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(desired))
    live = yaml.safe_load((SAFE / "live.yaml").read_text())
    live["items"][0]["status"]["jobStatus"]["state"] = "FAILING"
    (tmp_path / "l.yaml").write_text(yaml.safe_dump(live))
    result = run(cli_env, str(tmp_path / "d.yaml"), "--live", str(tmp_path / "l.yaml"))
    assert_one_line_error(result, str(tmp_path / "d.yaml"), "FlinkDeployment payments/payments",
                          "spec.flinkConfiguration.kubernetes.operator.job.upgrade.last-state-fallback.enabled",
                          "'maybe' is not a boolean")


def test_blue_green_without_a_template_spec_is_bad_input(cli_env, tmp_path):
    bg = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkBlueGreenDeployment",
          "metadata": {"name": "checkout", "namespace": "shop"}, "spec": {"template": {"metadata": {}}}}
    (tmp_path / "bg.yaml").write_text(yaml.safe_dump(bg))
    result = run(cli_env, str(tmp_path / "bg.yaml"), "--live", "-", stdin="apiVersion: v1\nkind: List\nitems: []\n")
    assert_one_line_error(result, str(tmp_path / "bg.yaml"), "FlinkBlueGreenDeployment shop/checkout",
                          "spec.template.spec")


def test_bad_invocations_are_exit_2(cli_env, tmp_path):
    assert_one_line_error(run(cli_env, str(SAFE / "desired.yaml")), "--live", "--cluster")
    assert_one_line_error(run(cli_env, str(SAFE / "desired.yaml"), "--live", str(tmp_path / "nope.yaml")),
                          str(tmp_path / "nope.yaml"), "no such file")
    assert_one_line_error(run(cli_env, *files(SAFE), "--context", "prod"), "--context only apply with --cluster")
    assert_one_line_error(run(cli_env, "-", "--live", "-"), "stdin (-) can be read once")
    assert_one_line_error(run(cli_env, *files(SAFE), "--operator-config", str(tmp_path / "missing.yaml")),
                          str(tmp_path / "missing.yaml"))
    dup = tmp_path / "dup.yaml"
    dup.write_text((SAFE / "desired.yaml").read_text() + "---\n" + (SAFE / "desired.yaml").read_text())
    assert_one_line_error(run(cli_env, str(dup), "--live", str(SAFE / "live.yaml")), "given twice")


def test_a_value_the_operator_cannot_read_is_bad_input(cli_env, tmp_path):
    desired = yaml.safe_load((SAFE / "desired.yaml").read_text())
    desired["spec"]["job"]["upgradeMode"] = "savepiont"
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(desired))
    result = run(cli_env, str(tmp_path / "d.yaml"), "--live", str(SAFE / "live.yaml"))
    assert_one_line_error(result, str(tmp_path / "d.yaml"), "FlinkDeployment payments/payments",
                          "spec.job.upgradeMode", "'savepiont' is not one of stateless, savepoint, last-state")
