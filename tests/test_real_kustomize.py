"""The install overlay and the plugin's kustomize source, built by a real kustomize.

kubectl carries kustomize (`kubectl kustomize`, v5 here) and is part of this project's machine
image, so these tests use the real thing instead of a recording stand-in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from flink_gitops import __version__

ROOT = Path(__file__).resolve().parents[1]
KUBECTL = shutil.which("kubectl")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(KUBECTL is None, reason="needs kubectl (it carries kustomize), not found on PATH: "
                                               "apt-get install kubectl"),
]


def kustomize(folder: Path) -> list[dict]:
    out = subprocess.run([KUBECTL, "kustomize", str(folder)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def by_kind(docs: list[dict]) -> dict[str, dict]:
    return {d["kind"]: d for d in docs}


def test_overlay_builds_and_carries_the_generated_argocd_cm_and_the_pinned_image():
    docs = by_kind(kustomize(ROOT / "argocd"))
    committed = yaml.safe_load((ROOT / "argocd" / "argocd-cm.yaml").read_text())
    cm = docs["ConfigMap"]
    assert cm["metadata"] == {"name": "argocd-cm", "namespace": "argocd"}
    assert cm["data"] == committed["data"]
    assert {k.rsplit("_", 1)[1] for k in cm["data"] if k.startswith("resource.customizations.health.")} == {
        "FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot", "FlinkBlueGreenDeployment"}
    sidecar = docs["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert sidecar["name"] == "flink-gitops"
    assert sidecar["image"] == f"ghcr.io/flink-gitops/flink-gitops:{__version__}"
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]


# A stand-in for Argo CD's install manifests: only what the patches meet (written for this test).
ARGO_INSTALL = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  labels: {app.kubernetes.io/part-of: argocd}
data:
  resource.exclusions: |
    - apiGroups: [cilium.io]
      kinds: [CiliumIdentity]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
  labels: {app.kubernetes.io/name: argocd-repo-server}
spec:
  selector:
    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
  template:
    metadata:
      labels: {app.kubernetes.io/name: argocd-repo-server}
    spec:
      initContainers:
        - name: copyutil
          image: quay.io/argoproj/argocd:v3.5.1
          command: [/bin/cp, -n, /usr/local/bin/argocd, /var/run/argocd/argocd-cmp-server]
          volumeMounts:
            - {name: var-files, mountPath: /var/run/argocd}
      containers:
        - name: argocd-repo-server
          image: quay.io/argoproj/argocd:v3.5.1
          volumeMounts:
            - {name: var-files, mountPath: /var/run/argocd}
            - {name: plugins, mountPath: /home/argocd/cmp-server/plugins}
            - {name: tmp, mountPath: /tmp}
      volumes:
        - {name: var-files, emptyDir: {}}
        - {name: plugins, emptyDir: {}}
        - {name: tmp, emptyDir: {}}
"""


def test_patches_merge_into_an_argo_cd_install(tmp_path):
    # docs/install.md 1b: the same two files as strategic-merge patches over Argo CD's manifests.
    (tmp_path / "install.yaml").write_text(ARGO_INSTALL)
    for name in ("argocd-cm.yaml", "repo-server-sidecar.yaml"):
        shutil.copy(ROOT / "argocd" / name, tmp_path / name)
    (tmp_path / "kustomization.yaml").write_text(
        "namespace: argocd\nresources: [install.yaml]\n"
        "patches:\n  - path: argocd-cm.yaml\n  - path: repo-server-sidecar.yaml\n"
        "images:\n  - {name: flink-gitops, newName: registry.example.com/platform/flink-gitops, newTag: 9.9.9}\n")
    docs = by_kind(kustomize(tmp_path))

    data = docs["ConfigMap"]["data"]
    assert "resource.exclusions" in data  # the install's own keys survive
    assert "resource.customizations.health.flink.apache.org_FlinkDeployment" in data

    pod = docs["Deployment"]["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    assert set(containers) == {"argocd-repo-server", "flink-gitops"}
    assert containers["argocd-repo-server"]["image"] == "quay.io/argoproj/argocd:v3.5.1"  # untouched
    sidecar = containers["flink-gitops"]
    assert sidecar["image"] == "registry.example.com/platform/flink-gitops:9.9.9"
    mounts = {m["name"]: m["mountPath"] for m in sidecar["volumeMounts"]}
    assert mounts["var-files"] == "/var/run/argocd" and mounts["plugins"] == "/home/argocd/cmp-server/plugins"
    assert mounts[next(n for n in mounts if n not in ("var-files", "plugins"))] == "/tmp"
    volumes = {v["name"] for v in pod["volumes"]}
    assert {"var-files", "plugins", "tmp"} <= volumes and set(mounts) <= volumes
    assert sidecar["securityContext"]["runAsUser"] == 999 and sidecar["securityContext"]["runAsNonRoot"] is True
    assert [c["name"] for c in pod["initContainers"]] == ["copyutil"]


def test_render_delegates_to_a_real_kustomize(tmp_path, cli_env):
    # The plugin runs `kustomize build .` in the app folder; here kustomize is kubectl's.
    tool = tmp_path / "bin" / "kustomize"
    tool.parent.mkdir()
    tool.write_text(f'#!/bin/sh\n[ "$1" = build ] || exit 64\nshift\nexec {KUBECTL} kustomize "$@"\n')
    tool.chmod(0o755)
    app = tmp_path / "repo" / "apps" / "orders"
    shutil.copytree(ROOT / "tests" / "fixtures" / "apps" / "kustomize-app", app)
    env = {k: v for k, v in cli_env.items() if not k.startswith(("ARGOCD_", "PARAM_", "FLINK_GITOPS_"))}
    env["FLINK_GITOPS_KUSTOMIZE"] = str(tool)
    run = subprocess.run(["flink-gitops", "render", "."], cwd=app, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    docs = [d for d in yaml.safe_load_all(run.stdout) if d]
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [("FlinkDeployment", "kustomized")]
    # The base has no namespace: only kustomize's `namespace: streaming` can have put it there.
    assert docs[0]["metadata"]["namespace"] == "streaming"


def test_a_broken_kustomization_fails_the_render_with_kustomizes_message(tmp_path, cli_env):
    missing = "nonexistent-base.yaml"
    tool = tmp_path / "kustomize"
    tool.write_text(f'#!/bin/sh\nshift\nexec {KUBECTL} kustomize "$@"\n')
    tool.chmod(0o755)
    app = tmp_path / "app"
    app.mkdir()
    (app / "kustomization.yaml").write_text(f"resources: [{missing}]\n")
    env = dict(cli_env, FLINK_GITOPS_KUSTOMIZE=str(tool))
    run = subprocess.run(["flink-gitops", "render", "."], cwd=app, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert "kustomize build" in run.stderr and missing in run.stderr


def real_kustomize_tool(tmp_path: Path) -> Path:
    tool = tmp_path / "bin" / "kustomize"
    tool.parent.mkdir(exist_ok=True)
    tool.write_text(f'#!/bin/sh\n[ "$1" = build ] || exit 64\nshift\nexec {KUBECTL} kustomize "$@"\n')
    tool.chmod(0o755)
    return tool


def test_a_base_outside_the_repository_that_kustomize_itself_would_read_is_refused(tmp_path, cli_env):
    # kustomize's load restrictor refuses files outside a kustomization's folder, but not folder bases:
    # in the sidecar's shared /tmp that reads another app's checkout.
    elsewhere = tmp_path / "another-apps-checkout" / "base"
    elsewhere.mkdir(parents=True)
    (elsewhere / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (elsewhere / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: another-apps-config}\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    app = repo / "apps" / "orders"
    shutil.copytree(ROOT / "tests" / "fixtures" / "apps" / "kustomize-app", app)
    (app / "kustomization.yaml").write_text("resources: [base/flinkdeployment.yaml, ../../../another-apps-checkout/base]\n")
    direct = subprocess.run([KUBECTL, "kustomize", str(app), "--load-restrictor", "LoadRestrictionsRootOnly"],
                            capture_output=True, text=True, timeout=60)
    assert direct.returncode == 0 and "another-apps-config" in direct.stdout  # kustomize alone reads it

    env = {k: v for k, v in cli_env.items() if not k.startswith(("ARGOCD_", "PARAM_", "FLINK_GITOPS_"))}
    env["FLINK_GITOPS_KUSTOMIZE"] = str(real_kustomize_tool(tmp_path))
    run = subprocess.run(["flink-gitops", "render", "."], cwd=app, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == (
        f"flink-gitops render: error: apps/orders/kustomization.yaml: resources entry "
        f"'../../../another-apps-checkout/base' is {elsewhere}, outside the repository {repo}; refusing it (fix: "
        "kustomize and helm may read only this repository: copy it into the repository, or refer to a remote base "
        "by its URL)\n")

    # the same base inside the repository renders, through the real kustomize
    shutil.copytree(elsewhere, repo / "apps" / "base")
    (app / "kustomization.yaml").write_text("resources: [base/flinkdeployment.yaml, ../base]\n")
    run = subprocess.run(["flink-gitops", "render", ".", "-p", "validate=false"], cwd=app, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert {d["metadata"]["name"] for d in yaml.safe_load_all(run.stdout) if d} == {"kustomized",
                                                                                    "another-apps-config"}


def test_a_fifo_resource_is_refused_before_the_real_kustomize_hangs_on_it(tmp_path, cli_env):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    app = repo / "app"
    app.mkdir()
    os.mkfifo(app / "stream.yaml")
    (app / "kustomization.yaml").write_text("resources: [stream.yaml]\n")
    env = dict(cli_env, FLINK_GITOPS_KUSTOMIZE=str(real_kustomize_tool(tmp_path)))
    run = subprocess.run(["flink-gitops", "render", "."], cwd=app, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2
    assert "resources entry 'stream.yaml' is a FIFO (named pipe), not a regular file" in run.stderr


def test_the_laptop_advice_without_kustomize_works_as_printed(tmp_path, cli_env):
    # No standalone kustomize: the error names a pipe through kubectl's own; run exactly that.
    app = tmp_path / "orders"
    shutil.copytree(ROOT / "tests" / "fixtures" / "apps" / "kustomize-app", app)
    env = {k: v for k, v in cli_env.items() if not k.startswith(("ARGOCD_", "PARAM_", "FLINK_GITOPS_"))}
    env["PATH"] = str(Path(shutil.which("flink-gitops", path=cli_env["PATH"])).parent)  # no kustomize, no kubectl
    failed = subprocess.run(["flink-gitops", "render", "."], cwd=app, env=env, capture_output=True, text=True,
                            timeout=60)
    assert failed.returncode == 2
    advice = "kubectl kustomize . | flink-gitops render -"
    assert f"render kubectl's build: {advice} " in failed.stderr
    env["PATH"] += f":{Path(KUBECTL).parent}"
    run = subprocess.run(["bash", "-o", "pipefail", "-c", advice], cwd=app, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    docs = [d for d in yaml.safe_load_all(run.stdout) if d]
    assert [(d["kind"], d["metadata"]["name"], d["metadata"]["namespace"]) for d in docs] == [
        ("FlinkDeployment", "kustomized", "streaming")]
