"""Validation as users meet it: through ``flink-gitops render`` (what the Argo CD plugin runs).

A manifest the operator would refuse fails the render: non-zero exit, nothing on stdout (so Argo CD
never applies or prunes on a partial stream), one line per problem on stderr.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

FIXTURES = Path(__file__).parent / "fixtures" / "validate"


def render(app: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flink_gitops", "render", "."], cwd=app, capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(app)})


def test_refused_manifest_fails_the_render_with_nothing_on_stdout(tmp_path):
    shutil.copy(FIXTURES / "invalid" / "upgrade-mode-stateful.yaml", tmp_path / "fraud.yaml")
    shutil.copy(FIXTURES / "valid" / "orders-pipeline.yaml", tmp_path / "orders.yaml")
    result = render(tmp_path)
    assert result.returncode != 0
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if "[upgrade-mode]" in line]
    assert len(lines) == 1
    assert "fraud.yaml (document 1): FlinkDeployment risk/fraud-detector: spec.job.upgradeMode:" in lines[0]
    assert "Traceback" not in result.stderr


def test_valid_manifests_render_and_warnings_stay_on_stderr(tmp_path):
    doc = yaml.safe_load((FIXTURES / "valid" / "orders-pipeline.yaml").read_text())
    doc["spec"]["flinkVersion"] = "v1_18"  # deprecated: a warning, not a failure
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(doc))
    result = render(tmp_path)
    assert result.returncode == 0, result.stderr
    rendered = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert [d["metadata"]["name"] for d in rendered] == ["orders-pipeline"]
    assert "v1_18 is deprecated" in result.stderr


def test_operator_defaults_from_the_sidecar_environment_apply_to_every_app(tmp_path):
    # docs/install.md: one ARGOCD_ENV_VALIDATE_OPERATOR_CONFIG in the sidecar's env serves every app.
    doc = yaml.safe_load((FIXTURES / "valid" / "orders-pipeline.yaml").read_text())
    conf = doc["spec"]["flinkConfiguration"]
    for key in [k for k in conf if "checkpoints.dir" in k or "checkpointing.dir" in k]:
        del conf[key]
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(doc))
    refused = render(tmp_path)
    assert refused.returncode != 0 and "[checkpoint-dir]" in refused.stderr and refused.stdout == ""
    told = subprocess.run(
        [sys.executable, "-m", "flink_gitops", "render", "."], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
             "ARGOCD_ENV_VALIDATE_OPERATOR_CONFIG": "state.checkpoints.dir: s3://platform-flink/checkpoints\n"})
    assert told.returncode == 0, told.stderr
    assert [d["kind"] for d in yaml.safe_load_all(told.stdout) if d] == ["FlinkDeployment"]


def test_operator_defaults_in_the_helm_charts_nested_config_yaml_format(tmp_path):
    # The operator chart's defaultConfiguration may be config.yaml (nested, Flink 2) instead of
    # flink-conf.yaml lines: pasted as it is, it must mean the same keys, not "execution" = "".
    doc = yaml.safe_load((FIXTURES / "valid" / "orders-pipeline.yaml").read_text())
    conf = doc["spec"]["flinkConfiguration"]
    for key in [k for k in conf if "checkpoints.dir" in k or "checkpointing.dir" in k]:
        del conf[key]
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(doc))
    config_yaml = ("kubernetes.operator:\n  reconcile.interval: 15 s\n"
                   "execution:\n  checkpointing:\n    dir: s3://platform-flink/checkpoints\n")
    told = subprocess.run(
        [sys.executable, "-m", "flink_gitops", "render", ".", "--param", f"validate-operator-config={config_yaml}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert told.returncode == 0, told.stderr
    assert [d["kind"] for d in yaml.safe_load_all(told.stdout) if d] == ["FlinkDeployment"]


def test_misspelled_kind_fails_the_render_instead_of_losing_its_wave(tmp_path):
    docs = list(yaml.safe_load_all((FIXTURES / "valid" / "reporting-session.yaml").read_text()))
    job = next(d for d in docs if d and d["kind"] == "FlinkSessionJob")
    job["kind"] = "FlinkSesionJob"
    (tmp_path / "reporting.yaml").write_text(yaml.safe_dump_all([d for d in docs if d]))
    result = render(tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    line = next(line for line in result.stderr.splitlines() if "[kind]" in line)
    assert f"FlinkSesionJob reporting/{job['metadata']['name']}: kind: " in line
    assert "did you mean FlinkSessionJob?" in line


def test_a_yaml_error_in_one_file_hides_no_other_error(tmp_path):
    # Every file's reading errors and every readable object's validation errors, in one run: before,
    # the broken YAML of a.yaml was all a user saw, and the next run showed fraud.yaml's problem.
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\ndata: {x: '1'}\n")
    shutil.copy(FIXTURES / "invalid" / "upgrade-mode-stateful.yaml", tmp_path / "fraud.yaml")
    orders = yaml.safe_load((FIXTURES / "valid" / "orders-pipeline.yaml").read_text())
    orders["spec"]["job"]["parallelism"] = 0
    # orders.yaml: a valid object before a broken document is still validated.
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(orders) + "---\nkind: ConfigMap\nx: [1\n")
    result = render(tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    errors = [line.split(": error: ", 1)[1] for line in result.stderr.splitlines() if ": error: " in line]
    assert [e.split(": ")[0] for e in errors] == [
        "a.yaml (document 1)", "orders.yaml (document 2)", "fraud.yaml (document 1)", "orders.yaml (document 1)"]
    assert "invalid YAML" in errors[0] and "invalid YAML" in errors[1]
    assert errors[2].endswith("[upgrade-mode] (fix: last-state resumes from the latest checkpoint (what 'stateful' "
                              "usually means), savepoint takes a savepoint before each upgrade, stateless starts from "
                              "empty state)")
    assert "[parallelism]" in errors[3]


def test_a_broken_stream_still_validates_the_documents_before_the_break(tmp_path):
    orders = yaml.safe_load((FIXTURES / "valid" / "orders-pipeline.yaml").read_text())
    orders["spec"]["job"]["upgradeMode"] = "savepiont"
    stream = yaml.safe_dump(orders) + "---\nmetadata: {name: [\n"
    result = subprocess.run([sys.executable, "-m", "flink_gitops", "render", "-"], input=stream, capture_output=True,
                            text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and "<stdin> (document 2): invalid YAML" in lines[0]
    assert "<stdin> (document 1)" in lines[1] and lines[1].endswith("(fix: write upgradeMode: savepoint)")
