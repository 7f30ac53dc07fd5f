"""``flink-gitops plan --cluster`` against the API-server stand-in (the real ``kubernetes`` client over HTTP): the same
decisions as planning against ``kubectl get -o yaml`` output, read-only."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.e2e
CASES = Path(__file__).parent / "cases"


def run(env, *argv) -> subprocess.CompletedProcess:
    return subprocess.run(["flink-gitops", "plan", *argv], capture_output=True, text=True, env=env, timeout=60)


def seed_case(server, case: Path) -> list[dict]:
    items = yaml.safe_load((case / "live.yaml").read_text())["items"]
    for obj in items:
        meta = obj["metadata"]
        server.create(obj["kind"], meta["namespace"], meta["name"], spec=obj["spec"], status=obj.get("status"),
                      owner_references=meta.get("ownerReferences"))
    return items


@pytest.mark.parametrize("case", ["upgrade/from-savepoint-to-stateless", "sessionjob/savepoint-upgrade",
                                  "bluegreen/transition-savepoint-kept"])
def test_cluster_gives_the_decisions_of_the_same_objects_as_files(kubeapi, kube_env, tmp_path, case):
    folder = CASES / case
    seed_case(kubeapi, folder)
    kc = kubeapi.kubeconfig(tmp_path / "kc")
    live = run(kube_env, str(folder / "desired.yaml"), "--cluster", "-n", "payments", "--kubeconfig", kc, "-o", "json")
    files = run(kube_env, str(folder / "desired.yaml"), "--live", str(folder / "live.yaml"), "-o", "json")
    assert live.returncode == files.returncode, live.stderr
    assert json.loads(live.stdout) == json.loads(files.stdout) == json.loads((folder / "expected.json").read_text())
    for kind in ("FlinkDeployment", "FlinkSessionJob", "FlinkBlueGreenDeployment", "FlinkStateSnapshot"):
        assert kubeapi.count(kind, "watch") == 0  # listed once, never watched


def test_cluster_objects_not_in_git_are_deletions_and_markdown_is_ready_for_a_comment(kubeapi, kube_env, tmp_path):
    folder = CASES / "upgrade" / "from-savepoint-to-savepoint"
    seed_case(kubeapi, folder)
    extra = yaml.safe_load((folder / "live.yaml").read_text())["items"][0]
    kubeapi.create("FlinkDeployment", "payments", "legacy-etl", spec=extra["spec"], status=extra["status"])
    kc = kubeapi.kubeconfig(tmp_path / "kc")
    result = run(kube_env, str(folder / "desired.yaml"), "--cluster", "-n", "payments", "--kubeconfig", kc,
                 "-o", "markdown")
    assert result.returncode == 1, result.stderr  # legacy-etl is deleted without a savepoint
    assert "| FlinkDeployment | payments | legacy-etl | delete | - | delete | **lost** |" in result.stdout
    assert "| FlinkDeployment | payments | payments | update | upgrade | savepoint | kept |" in result.stdout


def test_no_cluster_is_exit_2(kube_env, tmp_path):
    folder = CASES / "upgrade" / "from-savepoint-to-savepoint"
    result = run(kube_env, str(folder / "desired.yaml"), "--cluster")
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr and result.stderr.startswith("flink-gitops plan: error: ")


def test_an_unreadable_live_object_is_bad_input_not_a_create(kubeapi, kube_env, tmp_path):
    folder = CASES / "upgrade" / "from-savepoint-to-savepoint"
    seed_case(kubeapi, folder)
    kubeapi.add_unreadable("FlinkDeployment", {"apiVersion": "apps/v1", "kind": "Deployment",
                                               "metadata": {"name": "web", "namespace": "payments"}})
    kc = kubeapi.kubeconfig(tmp_path / "kc")
    result = run(kube_env, str(folder / "desired.yaml"), "--cluster", "-n", "payments", "--kubeconfig", kc)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"flink-gitops plan: error: cluster stand-in-cluster ({kubeapi.url}): FlinkDeployment payments/web: kind "
        "'Deployment', not FlinkDeployment (cannot be read; plan needs every live object)"]
