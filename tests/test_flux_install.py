"""The Flux install: every folder under flux/ built by a real kustomize (kubectl's)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from flink_gitops.flux.health_cel import all_health_check_exprs

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = sorted(p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "flux").rglob("kustomization.yaml"))
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl (it carries kustomize) is not installed")


def kustomize(folder: str) -> list[dict]:
    out = subprocess.run([KUBECTL, "kustomize", str(ROOT / folder)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def by_name(docs: list[dict]) -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def test_every_folder_is_known():
    assert FOLDERS == ["flux/examples/flink-operator", "flux/examples/helmrelease", "flux/examples/kustomizations",
                       "flux/health-checks"]


@needs_kubectl
@pytest.mark.parametrize("folder", FOLDERS)
def test_every_folder_builds(folder):
    docs = kustomize(folder)
    assert folder == "flux/health-checks" or docs  # a Component builds to nothing on its own


@needs_kubectl
def test_kustomizations_carry_the_checks_and_order_operator_clusters_session_jobs():
    docs = by_name(kustomize("flux/examples/kustomizations"))
    expected = all_health_check_exprs()
    operator = docs[("Kustomization", "flink-operator")]
    apps = docs[("Kustomization", "flink-apps")]
    jobs = docs[("Kustomization", "flink-session-jobs")]
    for ks in (operator, apps, jobs):
        assert ks["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1"
        assert ks["spec"]["healthCheckExprs"] == expected
        assert ks["spec"]["wait"] is True and ks["spec"]["timeout"]  # expressions run only with wait
    assert apps["spec"]["dependsOn"] == [{"name": "flink-operator"}]
    assert jobs["spec"]["dependsOn"] == [{"name": "flink-apps"}]
    # The operator's Kustomization applies the folder that holds its HelmRelease.
    operator_objs = by_name(kustomize("flux/examples/flink-operator"))
    release = operator_objs[("HelmRelease", "flink-kubernetes-operator")]
    assert release["spec"]["chart"]["spec"]["sourceRef"]["name"] == "flink-kubernetes-operator"
    assert ("HelmRepository", "flink-kubernetes-operator") in operator_objs


@needs_kubectl
def test_the_helmrelease_polls_with_the_checks_after_the_operator():
    [release] = kustomize("flux/examples/helmrelease")
    assert release["apiVersion"] == "helm.toolkit.fluxcd.io/v2" and release["kind"] == "HelmRelease"
    assert release["spec"]["waitStrategy"] == {"name": "poller"}
    assert release["spec"]["healthCheckExprs"] == all_health_check_exprs()
    assert release["spec"]["dependsOn"] == [{"name": "flink-kubernetes-operator"}]


@needs_kubectl
def test_the_component_replaces_a_list_already_there(tmp_path):
    (tmp_path / "ks.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: x}\n"
        "spec:\n  healthCheckExprs: [{apiVersion: example.com/v1, kind: Old, current: 'true'}]\n")
    (tmp_path / "kustomization.yaml").write_text(
        f"resources: [ks.yaml]\ncomponents: [{os.path.relpath(ROOT / 'flux/health-checks', tmp_path)}]\n")
    out = subprocess.run([KUBECTL, "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(out.stdout)["spec"]["healthCheckExprs"] == all_health_check_exprs()


@needs_kubectl
def test_own_checks_appended_after_the_component_as_docs_show(tmp_path, repo):
    # docs/flux.md's recipe for keeping checks of your own next to the Component's.
    recipe = (repo / "docs/flux.md").read_text().split("kustomize applies it after the Component:", 1)[1]
    patches = yaml.safe_load(recipe.split("```yaml\n", 1)[1].split("```", 1)[0])
    (tmp_path / "ks.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: x}\nspec: {wait: true}\n")
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({
        "resources": ["ks.yaml"], "components": [os.path.relpath(ROOT / "flux/health-checks", tmp_path)],
        **patches}))
    out = subprocess.run([KUBECTL, "kustomize", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    kinds = [e["kind"] for e in yaml.safe_load(out.stdout)["spec"]["healthCheckExprs"]]
    assert kinds == [e["kind"] for e in all_health_check_exprs()] + ["Widget"]
