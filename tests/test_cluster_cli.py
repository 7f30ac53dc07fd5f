"""``flink-gitops health --cluster`` through the installed console script, against the API-server stand-in."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from flink_gitops.simulation.apiserver import ApiServer
from tests.kubeapi.samples import HEALTHY, LIVE, SESSION_JOB, load, seed

def flink_gitops(env: dict, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(["flink-gitops", *argv], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture
def server(kubeapi):
    return kubeapi


@pytest.fixture
def env(kube_env):
    return kube_env


def seed_examples(server, namespace: str = "streaming") -> None:
    """Every example of examples/live, under its own name, in ``namespace``."""
    for path in sorted(LIVE.glob("*.yaml")):
        obj = load(path.stem)
        seed(server, path.stem, namespace, obj["metadata"]["name"])


def test_prints_exactly_what_file_mode_prints(server, env, tmp_path, repo):
    seed_examples(server)
    kc = server.kubeconfig(tmp_path / "kc")
    for extra in ([], ["--why"]):
        files = flink_gitops(env, "health", str(repo / "examples" / "live"), "-o", "json", *extra)
        live = flink_gitops(env, "health", "--cluster", "-n", "streaming", "--kubeconfig", kc, "-o", "json", *extra)
        assert (live.returncode, files.returncode) == (1, 1), live.stderr
        key = lambda r: (r["namespace"], r["kind"], r["name"])  # noqa: E731
        assert sorted(json.loads(live.stdout), key=key) == sorted(json.loads(files.stdout), key=key)
        assert live.stderr == ""
    table_files = flink_gitops(env, "health", str(repo / "examples" / "live"), "--why")
    table_live = flink_gitops(env, "health", "--cluster", "-n", "streaming", "--kubeconfig", kc, "--why")
    lines = table_live.stdout.splitlines()
    assert lines[0] == table_files.stdout.splitlines()[0]  # same header, same column widths
    assert sorted(lines) == sorted(table_files.stdout.splitlines())
    assert "rule spec-rejected:" in table_live.stdout


def test_exit_codes_follow_file_mode(server, env, tmp_path):
    seed(server, HEALTHY, "good", "orders")
    seed(server, SESSION_JOB, "good", "fraud")
    seed_examples(server, "mixed")
    seed(server, HEALTHY, "moving", "orders")
    spec = dict(load(HEALTHY)["spec"], restartNonce=2)
    server.update("FlinkDeployment", "moving", "orders", spec=spec)  # generation 4, operator at 3
    kc = server.kubeconfig(tmp_path / "kc")

    good = flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "-n", "good")
    assert good.returncode == 0, good.stderr
    assert [line.split()[:4] for line in good.stdout.splitlines()[1:]] == [
        ["FlinkDeployment", "good", "orders", "Healthy"], ["FlinkSessionJob", "good", "fraud", "Healthy"]]
    assert flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "-n", "mixed").returncode == 1
    moving = flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "-n", "moving")
    assert moving.returncode == 3 and "Progressing" in moving.stdout
    # several namespaces, all namespaces
    both = flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "-n", "good", "-n", "moving", "-o", "json")
    assert both.returncode == 3
    assert {(r["namespace"], r["name"]) for r in json.loads(both.stdout)} == {
        ("good", "orders"), ("good", "fraud"), ("moving", "orders")}
    every = flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "-A", "-o", "json")
    assert every.returncode == 1 and len(json.loads(every.stdout)) == 2 + 4 + 1


def test_kind_and_name_select(server, env, tmp_path):
    seed_examples(server)
    kc = server.kubeconfig(tmp_path / "kc")
    one = flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "-n", "streaming", "flinkdep/orders", "-o", "json")
    assert one.returncode == 0, one.stderr
    assert [(r["kind"], r["name"], r["status"]) for r in json.loads(one.stdout)] == [("FlinkDeployment", "orders", "Healthy")]
    jobs = flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "-n", "streaming", "FlinkSessionJobs", "-o", "json")
    assert [r["name"] for r in json.loads(jobs.stdout)] == ["fraud-scoring"]
    assert server.count("FlinkDeployment", "list") == 1  # only the kinds asked for are listed
    missing = flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "-n", "streaming", "flinkdep/orders",
                           "flinkdep/nope")
    assert missing.returncode == 3
    assert "FlinkDeployment/nope not found in namespace streaming of cluster stand-in-cluster" in missing.stderr
    assert "orders" in missing.stdout


def test_an_empty_result_is_not_an_error(server, env, tmp_path):
    kc = server.kubeconfig(tmp_path / "kc")
    empty = flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "-n", "nothing-here")
    assert (empty.returncode, empty.stdout) == (0, "")
    assert "no Flink resources found in namespace nothing-here of cluster stand-in-cluster" in empty.stderr


def test_the_context_namespace_is_the_default_and_kubeconfig_comes_from_the_environment(server, env, tmp_path):
    seed(server, HEALTHY, "team-a", "orders")
    seed(server, HEALTHY, "default", "other")
    kc = tmp_path / "kc"
    doc = yaml.safe_load(Path(server.kubeconfig(kc)).read_text())
    doc["contexts"].append({"name": "team-a", "context": {"cluster": "stand-in-cluster", "user": "tester",
                                                          "namespace": "team-a"}})
    kc.write_text(yaml.safe_dump(doc))
    env = dict(env, KUBECONFIG=str(kc))
    default_ns = flink_gitops(env, "health", "--cluster", "-o", "json")
    assert [r["name"] for r in json.loads(default_ns.stdout)] == ["other"]
    team = flink_gitops(env, "health", "--cluster", "--context", "team-a", "-o", "json")
    assert [r["name"] for r in json.loads(team.stdout)] == ["orders"]
    # ~/.kube/config when neither --kubeconfig nor $KUBECONFIG is given
    home_kube = Path(env["HOME"]) / ".kube"
    home_kube.mkdir(parents=True)
    (home_kube / "config").write_text(kc.read_text())
    no_var = {k: v for k, v in env.items() if k != "KUBECONFIG"}
    home = flink_gitops(no_var, "health", "--cluster", "--context", "team-a", "-o", "json")
    assert [r["name"] for r in json.loads(home.stdout)] == ["orders"]


def test_a_missing_crd_is_a_note(tmp_path, env):
    with ApiServer(installed=["FlinkDeployment"]) as server:
        seed(server, HEALTHY, "default", "orders")
        result = flink_gitops(env, "health", "--cluster", "--kubeconfig", server.kubeconfig(tmp_path / "kc"))
        assert result.returncode == 0, result.stderr
        assert "note: FlinkSessionJob is not installed in cluster stand-in-cluster" in result.stderr
        assert "orders" in result.stdout


def test_an_unreadable_object_is_a_warning_and_never_an_all_healthy_exit(server, env, tmp_path):
    seed(server, HEALTHY, "streaming", "orders")
    server.add_unreadable("FlinkDeployment", {"apiVersion": "apps/v1", "kind": "Deployment",
                                              "metadata": {"name": "web", "namespace": "streaming"}})
    kc = server.kubeconfig(tmp_path / "kc")
    result = flink_gitops(env, "health", "--cluster", "-n", "streaming", "--kubeconfig", kc, "-o", "json")
    assert result.returncode == 3, result.stderr  # not healthy: one object's health is unknown
    assert [(r["name"], r["status"]) for r in json.loads(result.stdout)] == [("orders", "Healthy")]
    assert result.stderr == ("flink-gitops health: warning: FlinkDeployment streaming/web: kind 'Deployment', "
                             "not FlinkDeployment (cannot be read, left out)\n")
    # asked for by name, the readable object's health decides
    named = flink_gitops(env, "health", "--cluster", "-n", "streaming", "--kubeconfig", kc, "flinkdep/orders")
    assert named.returncode == 0, named.stderr


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_bad_input_and_unreachable_clusters_exit_2_with_one_line(server, env, tmp_path):
    kc = server.kubeconfig(tmp_path / "kc")
    line = one_error_line(flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "deployment/orders"))
    assert "deployment/orders: deployment is not a Flink kind" in line and "flinkdep" in line
    line = one_error_line(flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "-A", "-n", "x"))
    assert "exclude each other" in line
    line = one_error_line(flink_gitops(env, "health", "-n", "x", "examples/live"))
    assert "--namespace only apply with --cluster" in line

    stale = server.kubeconfig(tmp_path / "stale", token="stale")
    line = one_error_line(flink_gitops(env, "health", "--cluster", "--kubeconfig", stale))
    assert line.startswith("flink-gitops health: error: cluster stand-in-cluster (http://127.0.0.1:")
    assert "FlinkDeployment: 401 Unauthorized" in line

    server.forbid("FlinkSessionJob")
    line = one_error_line(flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "sessionjob"))
    assert "FlinkSessionJob: 403 Forbidden" in line

    gone = tmp_path / "gone"
    doc = yaml.safe_load(Path(kc).read_text())
    doc["clusters"][0]["cluster"]["server"] = f"http://127.0.0.1:{closed_port()}"
    gone.write_text(yaml.safe_dump(doc))
    line = one_error_line(flink_gitops(env, "health", "--cluster", "--kubeconfig", str(gone)))
    assert "cluster stand-in-cluster" in line and "FlinkDeployment: cannot reach the API server" in line

    line = one_error_line(flink_gitops(env, "health", "--cluster", "--kubeconfig", str(tmp_path / "absent")))
    assert "absent: kubeconfig file not found" in line
    line = one_error_line(flink_gitops(env, "health", "--cluster", "--kubeconfig", kc, "--context", "elsewhere"))
    assert "no context named elsewhere (contexts: stand-in)" in line
    broken = tmp_path / "broken"
    broken.write_text("clusters: [\n")
    line = one_error_line(flink_gitops(env, "health", "--cluster", "--kubeconfig", str(broken)))
    assert f"{broken}: cannot load kubeconfig" in line
    line = one_error_line(flink_gitops(env, "health", "--cluster"))
    assert "no cluster configuration" in line


def test_engine_flux_on_the_cluster_prints_what_flux_decides_as_file_mode_does(server, env, tmp_path, repo):
    pytest.importorskip("cel_expr_python", reason="cel-expr-python (the test extra) runs the CEL")
    seed_examples(server)
    kc = server.kubeconfig(tmp_path / "kc")
    files = flink_gitops(env, "health", "--engine", "flux", str(repo / "examples" / "live"), "-o", "json")
    live = flink_gitops(env, "health", "--engine", "flux", "--cluster", "-n", "streaming", "--kubeconfig", kc,
                        "-o", "json")
    assert live.returncode == files.returncode, live.stderr
    key = lambda r: (r["namespace"], r["kind"], r["name"])  # noqa: E731
    rows = sorted(json.loads(live.stdout), key=key)
    assert rows == sorted(json.loads(files.stdout), key=key)
    statuses = {r["status"] for r in rows}
    assert statuses <= {"Current", "InProgress", "Failed", "Unknown"} and "Current" in statuses
