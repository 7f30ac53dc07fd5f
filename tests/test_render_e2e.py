"""End to end: plugin/plugin.yaml's commands run exactly as argocd-cmp-server runs them.

cmpserver/plugin/plugin.go: the repository arrives as a fresh temporary copy; generate and
discover.find.command run with the app folder as working directory (no shell), with the
sidecar's environment plus Argo CD's build variables and parameters (reposerver getPluginEnvs,
types.go Environ); stdout is split as a YAML stream; a non-zero exit fails the generation.

Not verified here (no Argo CD, no cluster in this environment): the real argocd-cmp-server
binary, the tar stream it unpacks, and what Argo CD then applies.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from tests.helpers import install_recorder

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
APPS = Path(__file__).parent / "fixtures" / "apps"
PLUGIN = yaml.safe_load((ROOT / "plugin" / "plugin.yaml").read_text())["spec"]
#: The install variant with discovery by content (argocd/discover-by-content/).
BY_CONTENT = yaml.safe_load((ROOT / "argocd" / "discover-by-content" / "plugin.yaml").read_text())["spec"]
WAVE = "argocd.argoproj.io/sync-wave"


def argocd_env(app_path: str, home: Path, parameters: list[dict] | None = None, plugin_env: dict | None = None,
               repo_url: str = "https://git.example.com/platform/streaming.git") -> dict:
    """The environment argocd-cmp-server gives a plugin command."""
    env = {  # the sidecar's own environment: the plugin image's PATH (here: the venv) and HOME
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "ARGOCD_APP_NAME": "streaming",
        "ARGOCD_APP_NAMESPACE": "streaming-prod",
        "ARGOCD_APP_PROJECT_NAME": "default",
        "ARGOCD_APP_REVISION": "f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8",
        "ARGOCD_APP_REVISION_SHORT": "f913b6c",
        "ARGOCD_APP_REVISION_SHORT_8": "f913b6cb",
        "ARGOCD_APP_SOURCE_PATH": app_path,
        "ARGOCD_APP_SOURCE_REPO_URL": repo_url,
        "ARGOCD_APP_SOURCE_TARGET_REVISION": "main",
        "KUBE_VERSION": "1.30.2",
        "KUBE_API_VERSIONS": "v1,apps/v1,autoscaling/v2,flink.apache.org/v1beta1",
    }
    for name, value in (plugin_env or {}).items():
        env[f"ARGOCD_ENV_{name}"] = value
    if parameters is not None:  # types.go ApplicationSourcePluginParameters.Environ
        env["ARGOCD_APP_PARAMETERS"] = json.dumps(parameters)
        for p in parameters:
            base = "PARAM_" + re.sub("[^A-Z0-9_]", "_", p["name"].upper())
            if "string" in p:
                env[base] = p["string"]
            for i, item in enumerate(p.get("array", [])):
                env[f"{base}_{i}"] = item
    return env


def checkout(tmp_path: Path, source: Path, app_path: str) -> Path:
    """A fresh copy of the repository, as the cmp-server unpacks it; returns the app folder."""
    repo = tmp_path / "cmp-workdir"
    if app_path == ".":
        shutil.copytree(source, repo)
        return repo
    shutil.copytree(source, repo / app_path)
    return repo / app_path


def run_command(command: dict, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    argv = list(command["command"]) + list(command.get("args", []))
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def generate(app_dir: Path, env: dict) -> tuple[subprocess.CompletedProcess, list[dict]]:
    proc = run_command(PLUGIN["generate"], app_dir, env)
    docs = [d for d in yaml.safe_load_all(proc.stdout)] if proc.returncode == 0 else []
    return proc, [d for d in docs if d is not None]


def discover(app_dir: Path, env: dict) -> bool:
    proc = run_command(BY_CONTENT["discover"]["find"], app_dir, env)
    return proc.returncode == 0 and proc.stdout.strip() != ""


def discovery_configured(spec: dict) -> bool:
    """cmpserver/plugin/plugin.go isDiscoveryConfigured."""
    rule = spec.get("discover") or {}
    return bool(rule.get("fileName") or (rule.get("find") or {}).get("glob") or (rule.get("find") or {}).get("command"))


def rule_matches(spec: dict, app_dir: Path, env: dict) -> bool:
    """cmpserver matchRepository: fileName (a glob in the app folder), else find.glob (** allowed), else
    find.command (a match is exit 0 with non-empty stdout)."""
    rule = spec.get("discover") or {}
    find = rule.get("find") or {}
    if rule.get("fileName"):
        return any(app_dir.glob(rule["fileName"]))
    if find.get("glob"):
        return any(app_dir.glob(find["glob"]))
    proc = run_command(find, app_dir, env)
    return proc.returncode == 0 and proc.stdout != ""


def plugin_takes(spec: dict, app_dir: Path, env: dict, named: bool) -> bool:
    """Does Argo CD render this app with the plugin? util/app/discovery/discovery.go cmpSupports.

    ``named``: the Application sets spec.source.plugin.name to this plugin. Otherwise (no tool
    named at all) Discover asks every plugin's rule before Helm/Kustomize/Directory detection.
    """
    if not discovery_configured(spec):
        return named  # a named plugin without discovery supports every folder; unnamed apps never reach it
    return rule_matches(spec, app_dir, env)  # with discovery, even a named app must match the rule


def test_generate_renders_the_example_app(tmp_path):
    app = checkout(tmp_path, ROOT / "examples" / "app", "examples/app")
    proc, docs = generate(app, argocd_env("examples/app", tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert all(isinstance(d.get("apiVersion"), str) and isinstance(d.get("kind"), str) for d in docs)
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    assert len(by_name) == len(docs) == 11
    waves = {key: (d["metadata"].get("annotations") or {}).get(WAVE) for key, d in by_name.items()}
    # Only what must follow a deployment moves (to wave 1); the deployments and everything they
    # need keep Argo CD's default wave 0, so nothing they need syncs after them.
    assert {key: w for key, w in waves.items() if w is not None} == {
        ("ConfigMap", "flink-config-orders-pipeline"): "1",
        ("FlinkSessionJob", "clickstream-sessionizer"): "1",
        ("FlinkStateSnapshot", "orders-pipeline-before-1-5"): "1",
    }
    # Render again from the rendered output: byte for byte the same.
    again_dir = tmp_path / "again" / "examples" / "app"
    again_dir.mkdir(parents=True)
    (again_dir / "rendered.yaml").write_text(proc.stdout)
    again = run_command(PLUGIN["generate"], again_dir, argocd_env("examples/app", tmp_path))
    assert again.returncode == 0 and again.stdout == proc.stdout


def test_parameters_from_the_application_reach_the_render(tmp_path):
    app = checkout(tmp_path, ROOT / "examples" / "app", "examples/app")
    env = argocd_env("examples/app", tmp_path, parameters=[{"name": "log4j-strategy", "string": "inline"},
                                                          {"name": "sync-waves", "string": "false"}])
    proc, docs = generate(app, env)
    assert proc.returncode == 0, proc.stderr
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("ConfigMap", "flink-config-orders-pipeline") not in kinds
    fd = next(d for d in docs if d["metadata"]["name"] == "orders-pipeline" and d["kind"] == "FlinkDeployment")
    assert "monitorInterval = 30" in fd["spec"]["logConfiguration"]["log4j-console.properties"]
    assert not any(WAVE in (d["metadata"].get("annotations") or {}) for d in docs)


def test_plugin_env_variables_reach_the_render(tmp_path):
    app = checkout(tmp_path, ROOT / "examples" / "app", "examples/app")
    env = argocd_env("examples/app", tmp_path, plugin_env={"SYNC_WAVES": "false"})
    proc, docs = generate(app, env)
    assert proc.returncode == 0 and not any(WAVE in (d["metadata"].get("annotations") or {}) for d in docs)


def test_app_of_apps_reads_children_from_the_checkout(tmp_path):
    repo = checkout(tmp_path, APPS / "app-of-apps-repo", ".")
    proc, docs = generate(repo / "apps", argocd_env("apps", tmp_path))
    assert proc.returncode == 0, proc.stderr
    fraud = next(d for d in docs if d["metadata"]["name"] == "fraud")
    assert {"group": "flink.apache.org", "kind": "FlinkDeployment", "name": "fraud-detector",
            "jsonPointers": ["/spec/job/parallelism"]} in fraud["spec"]["ignoreDifferences"]
    assert "cannot inspect its source" in proc.stderr  # the external child, said on stderr
    # The rendered output, put back in place of the parent's files and rendered again: the same bytes.
    for f in (repo / "apps").iterdir():
        f.unlink()
    (repo / "apps" / "rendered.yaml").write_text(proc.stdout)
    second = run_command(PLUGIN["generate"], repo / "apps", argocd_env("apps", tmp_path))
    assert second.returncode == 0 and second.stdout == proc.stdout


@pytest.mark.parametrize("case", ["not-k8s", "bad-yaml", "alias-bomb", "wave-hang", "empty", "bad-log4j"])
def test_generate_failure_prints_nothing_and_exits_non_zero(tmp_path, case):
    app = checkout(tmp_path, APPS / "broken" / case, "apps/broken")
    proc = run_command(PLUGIN["generate"], app, argocd_env("apps/broken", tmp_path))
    assert proc.returncode != 0
    assert proc.stdout == ""  # Argo CD would otherwise prune the live resources
    errors = [line for line in proc.stderr.splitlines() if line.startswith("flink-gitops render: error: ")]
    assert errors and "Traceback" not in proc.stderr


NOT_OPTED_IN = [
    pytest.param(APPS / "helm-app", id="helm-chart-with-flink-templates"),
    pytest.param(APPS / "kustomize-app", id="kustomize-folder"),
    pytest.param(ROOT / "examples" / "app", id="plain-folder-of-flink-manifests"),
    pytest.param(APPS / "marker-only", id="folder-with-the-marker-file"),
]


@pytest.mark.parametrize("folder", NOT_OPTED_IN)
def test_installing_the_default_plugin_takes_over_no_app(tmp_path, folder):
    # An Application that names no plugin keeps Argo CD's own Helm/Kustomize/Directory rendering,
    # whatever its folder holds: the default plugin.yaml has no rule that could match it.
    app = checkout(tmp_path, folder, "apps/x")
    assert "discover" not in PLUGIN
    assert plugin_takes(PLUGIN, app, argocd_env("apps/x", tmp_path), named=False) is False


@pytest.mark.parametrize("folder", [*NOT_OPTED_IN, pytest.param(APPS / "no-flink", id="no-flink-at-all")])
def test_an_app_opts_in_by_naming_the_plugin_whatever_its_folder_holds(tmp_path, folder):
    app = checkout(tmp_path, folder, "apps/x")
    assert plugin_takes(PLUGIN, app, argocd_env("apps/x", tmp_path), named=True) is True


def test_the_discover_by_content_variant_takes_over_and_needs_named_apps_to_match(tmp_path):
    env = argocd_env("apps/x", tmp_path)
    helm = checkout(tmp_path / "helm", APPS / "helm-app", "apps/x")
    # What its header says it takes over: a Helm chart that names no tool is rendered by the plugin.
    assert plugin_takes(BY_CONTENT, helm, env, named=False) is True
    # And its trap: an app naming the plugin without a Flink manifest or the marker is refused.
    plain = checkout(tmp_path / "plain", APPS / "no-flink", "apps/x")
    assert plugin_takes(BY_CONTENT, plain, env, named=True) is False
    header = (ROOT / "argocd" / "discover-by-content" / "plugin.yaml").read_text()
    assert "TAKES OVER" in header and "Helm chart and\n# kustomize folders included" in header
    assert {k: v for k, v in BY_CONTENT.items() if k != "discover"} == \
        {k: v for k, v in PLUGIN.items() if k in ("generate", "preserveFileMode")}


def test_the_discover_by_content_component_mounts_its_plugin_yaml(tmp_path):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("needs kubectl (it carries kustomize) to build argocd/discover-by-content")
    shutil.copytree(ROOT / "argocd", tmp_path / "argocd")
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "kustomization.yaml").write_text(
        "resources: [../argocd]\ncomponents: [../argocd/discover-by-content]\n")
    proc = subprocess.run([kubectl, "kustomize", str(tmp_path / "site")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    docs = {(d["kind"], d["metadata"]["name"].split("-")[0]): d for d in yaml.safe_load_all(proc.stdout) if d}
    plugin_cm = next(d for (kind, _), d in docs.items() if kind == "ConfigMap" and "plugin.yaml" in d.get("data", {}))
    assert plugin_cm["metadata"]["namespace"] == "argocd"
    assert yaml.safe_load(plugin_cm["data"]["plugin.yaml"])["spec"] == BY_CONTENT
    pod = docs[("Deployment", "argocd")]["spec"]["template"]["spec"]
    sidecar = next(c for c in pod["containers"] if c["name"] == "flink-gitops")
    mount = next(m for m in sidecar["volumeMounts"] if m["mountPath"] == "/home/argocd/cmp-server/config/plugin.yaml")
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert mount["subPath"] == "plugin.yaml" and volume["configMap"]["name"] == plugin_cm["metadata"]["name"]


@pytest.mark.parametrize("folder, matches", [
    (ROOT / "examples" / "app", True),
    (APPS / "session-mode", True),
    (APPS / "helm-app", True),  # its templates create a FlinkDeployment
    (APPS / "marker-only", True),  # remote kustomize base: only the opt-in marker tells
    (APPS / "no-flink", False),
    (APPS / "app-of-apps-repo" / "apps", False),  # Applications only: opt in with the marker
])
def test_discover(tmp_path, folder, matches):
    app = checkout(tmp_path, folder, "apps/x")
    assert discover(app, argocd_env("apps/x", tmp_path)) is matches


def test_discover_does_not_follow_symlinks_out_of_the_folder(tmp_path):
    app = checkout(tmp_path, APPS / "no-flink", "apps/x")
    outside = tmp_path / "outside.yaml"
    outside.write_text("apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata: {name: x}\n")
    (app / "link.yaml").symlink_to(outside)
    assert discover(app, argocd_env("apps/x", tmp_path)) is False


def test_discover_never_fails_on_broken_files(tmp_path):
    app = checkout(tmp_path, APPS / "broken" / "bad-yaml", "apps/x")
    (app / "binary.yaml").write_bytes(b"\xff\xfe\x00 not text")
    proc = run_command(BY_CONTENT["discover"]["find"], app, argocd_env("apps/x", tmp_path))
    assert proc.returncode == 0 and proc.stdout == ""


def test_render_path_imports_nothing_heavy(tmp_path):
    probe = (
        "import sys, io, contextlib\n"
        "from flink_gitops.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main(['render', {str(ROOT / 'examples' / 'app')!r}])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'lupa', 'flask', 'kubernetes', 'jsonschema', "
        "'requests', 'urllib3', 'hypothesis', 'gunicorn', 'prometheus_client', 'werkzeug'})\n"
        "import yaml\n"
        "from flink_gitops import yamlio\n"
        "print(code, heavy, issubclass(yamlio.Loader, yaml.CSafeLoader), issubclass(yamlio.Dumper, yaml.CSafeDumper))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "0 [] True True", proc.stderr


@pytest.mark.parametrize("tool, folder", [("kustomize", "kustomize-app"), ("helm", "helm-app")])
def test_generate_delegates_to_the_sidecar_tool(tmp_path, tool, folder):
    canned = (APPS / "hpa" / "clickstream.yaml").read_text()
    bindir = install_recorder(tmp_path, tool, canned)
    app = checkout(tmp_path, APPS / folder, f"deploy/{folder}")
    env = argocd_env(f"deploy/{folder}", tmp_path,
                     parameters=[{"name": "values-files", "array": ["values-prod.yaml"]}] if tool == "helm" else None)
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    proc, docs = generate(app, env)
    assert proc.returncode == 0, proc.stderr
    assert [d["kind"] for d in docs] == ["FlinkDeployment", "HorizontalPodAutoscaler"]
    record = (tmp_path / f"{tool}.record").read_text()
    assert f"cwd: {app}" in record
    if tool == "helm":
        assert (f"argv: [template] [streaming] [.] [--include-crds] [--namespace] [streaming-prod] "
                f"[--kube-version] [1.30.2] [--api-versions] [v1] [--api-versions] [apps/v1] [--api-versions] "
                f"[autoscaling/v2] [--api-versions] [flink.apache.org/v1beta1] [--values] [{app}/values-prod.yaml]"
                ) in record
    else:
        assert "argv: [build] [.] [--load-restrictor] [LoadRestrictionsRootOnly]\n" in record


def test_generate_without_the_tool_fails_cleanly(tmp_path):
    app = checkout(tmp_path, APPS / "kustomize-app", "deploy/k")
    env = argocd_env("deploy/k", tmp_path)
    env["PATH"] = str(tmp_path / "empty-bin")
    proc = subprocess.run([str(Path(sys.executable).parent / "flink-gitops"), "render", "."], cwd=app, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "this app needs `kustomize` but 'kustomize' on PATH was not found" in proc.stderr
