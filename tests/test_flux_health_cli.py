"""`flink-gitops health --engine flux`: Flux's decision per resource, the expression that decided, exit codes."""

import json
import subprocess

import pytest

from tests.helpers import run_cli

pytest.importorskip("cel_expr_python", reason="cel-expr-python (the test extra) runs the CEL")

HEAD = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata: {name: %s, namespace: ns, generation: %d}\n"


def _deployment(name: str, generation: int, status: str, spec: str = "spec: {job: {jarURI: local:///x.jar}}\n") -> str:
    return HEAD % (name, generation) + spec + status


RUNNING = "status: {observedGeneration: 2, lifecycleState: STABLE, jobStatus: {state: RUNNING}}\n"
CRASHING = "status: {observedGeneration: 2, lifecycleState: DEPLOYED, jobStatus: {state: RESTARTING}}\n"
UPGRADING = "status: {observedGeneration: 2, lifecycleState: UPGRADING, jobManagerDeploymentStatus: DEPLOYING}\n"


RUNNING_DOC = _deployment("ok", 2, RUNNING)


def _write(tmp_path, text: str):
    path = tmp_path / "objs.yaml"
    path.write_text(text)
    return str(path)


def test_examples_live_pre_check_pre_empts_the_rejected_spec(repo):
    code, out, err = run_cli("health", "--engine", "flux", str(repo / "examples/live"), "-o", "json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 3  # InProgress somewhere, nothing Failed
    assert (rows["orders"]["status"], rows["orders"]["decidedBy"], rows["orders"]["rule"]) == (
        "Current", "current", "running-stable")
    # Argo CD says Degraded; Flux answers InProgress before any expression can run.
    assert (rows["pricing"]["status"], rows["pricing"]["decidedBy"]) == ("InProgress", "observedGeneration")
    assert "the table says Degraded" in rows["pricing"]["message"]


def test_a_crash_loop_fails_the_flux_check(tmp_path):
    path = _write(tmp_path, _deployment("ok", 2, RUNNING) + "---\n" + _deployment("crash", 2, CRASHING))
    code, out, _ = run_cli("health", "--engine", "flux", path)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split() == ["KIND", "NAMESPACE", "NAME", "FLUX", "DECIDED-BY", "MESSAGE"]
    assert lines[2].split()[:6] == ["FlinkDeployment", "ns", "crash", "Failed", "failed", "[job-failing]"]


def test_no_expression_holds_while_upgrading(tmp_path):
    code, out, _ = run_cli("health", "--engine", "flux", "-o", "json", _write(tmp_path, _deployment("up", 2, UPGRADING)))
    row = json.loads(out)[0]
    assert code == 3 and (row["status"], row["decidedBy"], row["rule"]) == ("InProgress", "none", "upgrading")


def test_no_status_yet_is_unknown_with_the_cel_error(tmp_path):
    code, out, _ = run_cli("health", "--engine", "flux", "-o", "json", _write(tmp_path, _deployment("new", 1, "")))
    row = json.loads(out)[0]
    assert code == 3 and row["status"] == "Unknown" and row["decidedBy"] == "inProgress"
    assert '"status"' in row["message"] and "timeout" in row["message"]


def test_default_engine_is_still_argocd(tmp_path):
    code, out, _ = run_cli("health", _write(tmp_path, _deployment("crash", 2, CRASHING)))
    assert code == 1 and "Degraded" in out and "Failed" not in out


def test_bad_input_is_one_line_and_exit_2(tmp_path, cli_env):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed\n")
    run = subprocess.run(["flink-gitops", "health", "--engine", "flux", str(bad)], capture_output=True, text=True,
                         env=cli_env)
    assert run.returncode == 2 and run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1 and "bad.yaml" in run.stderr and "Traceback" not in run.stderr
    none = subprocess.run(["flink-gitops", "health", "--engine", "flux", "-"], input="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
                          capture_output=True, text=True, env=cli_env)
    assert none.returncode == 2 and "no flink.apache.org resources" in none.stderr


def test_without_the_cel_engine_one_line_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "cel_expr_python", None)  # as if not installed
    code, out, err = run_cli("health", "--engine", "flux", _write(tmp_path, _deployment("ok", 2, RUNNING)))
    assert (code, out) == (2, "")
    assert err.strip().splitlines() == ["flink-gitops health: error: the Flux engine needs cel-expr-python "
                                        "(fix: pip install 'flink-gitops[flux]')"]


@pytest.mark.parametrize("api_version", ["flink.apache.org", "flink.apache.org/v1beta1/extra"])
def test_an_apiversion_flux_cannot_match_is_one_line_and_exit_2(tmp_path, cli_env, api_version):
    # apimachinery reads neither as group flink.apache.org, so no entry would match in Flux.
    path = _write(tmp_path, RUNNING_DOC.replace("flink.apache.org/v1beta1", api_version))
    run = subprocess.run(["flink-gitops", "health", "--engine", "flux", path], capture_output=True, text=True,
                         env=cli_env)
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr.strip().splitlines() == [
        f"flink-gitops health: error: {path} (document 1): FlinkDeployment ns/ok: apiVersion: '{api_version}' is not "
        "flink.apache.org/VERSION, so no health check (Argo CD's or Flux's) matches it"]
    argocd = subprocess.run(["flink-gitops", "health", path], capture_output=True, text=True, env=cli_env)
    assert (argocd.returncode, argocd.stderr) == (run.returncode, run.stderr)  # both engines say the same


def test_any_version_of_the_group_gets_the_checks(tmp_path):
    # Flux ignores the version in an entry's apiVersion: a v1 object gets the v1beta1 entry.
    code, out, _ = run_cli("health", "--engine", "flux", "-o", "json",
                           _write(tmp_path, RUNNING_DOC.replace("flink.apache.org/v1beta1", "flink.apache.org/v1")))
    assert code == 0 and json.loads(out)[0]["status"] == "Current"

