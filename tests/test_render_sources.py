"""Sources and the failure contract: what goes in, and what comes out when it is bad."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from tests.helpers import install_recorder
from flink_gitops.cli import main

APPS = Path(__file__).parent / "fixtures" / "apps"
BROKEN = APPS / "broken"


pytestmark = pytest.mark.usefixtures("clean_argocd_env")


def render(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["render", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def objects(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d is not None]


def test_folder_is_read_recursively_in_a_fixed_order(capsys):
    code, out, _ = render(capsys, str(APPS / "podtemplate-deps"), "--param", "validate=false")
    assert code == 0
    names = [(o["kind"], o["metadata"]["name"]) for o in objects(out)]
    # dependencies.yaml sorts before deployment.yaml.
    assert names[0] == ("ServiceAccount", "billing-flink")
    assert names[-1] == ("FlinkDeployment", "billing")
    assert len(names) == 10


def test_list_kinds_are_flattened(tmp_path, capsys):
    (tmp_path / "list.yaml").write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b"}},
        ]}))
    code, out, _ = render(capsys, str(tmp_path), "--param", "validate=false")
    assert code == 0
    assert [o["kind"] for o in objects(out)] == ["ConfigMap", "Secret"]


def test_well_known_non_manifests_are_skipped_with_a_line_on_stderr(tmp_path, capsys):
    shutil.copytree(APPS / "session-mode", tmp_path / "app")
    (tmp_path / "app" / "values-prod.yaml").write_text("replicas: 3\n")
    (tmp_path / "app" / "flink-gitops.yaml").write_text("parameters: {explain: 'false'}\n")
    code, out, err = render(capsys, str(tmp_path / "app"), "--param", "validate=false")
    assert code == 0
    assert "skipped values-prod.yaml: not a manifest" in err
    assert "skipped flink-gitops.yaml" in err
    assert len(objects(out)) == 5


def test_json_manifests_are_read(tmp_path, capsys):
    (tmp_path / "cm.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}')
    code, out, _ = render(capsys, str(tmp_path), "--param", "validate=false")
    assert code == 0 and objects(out)[0]["metadata"]["name"] == "j"


def test_stdin(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO((APPS / "hpa" / "clickstream.yaml").read_text()))
    code, out, _ = render(capsys, "-", "--param", "validate=false")
    assert code == 0 and [o["kind"] for o in objects(out)] == ["FlinkDeployment", "HorizontalPodAutoscaler"]


def test_json_output_is_a_stream_of_objects(capsys):
    import json

    code, out, _ = render(capsys, str(APPS / "hpa"), "-o", "json", "--param", "validate=false")
    assert code == 0
    decoder, pos, docs = json.JSONDecoder(), 0, []
    while pos < len(out):
        doc, pos = decoder.raw_decode(out, pos)
        docs.append(doc)
        pos += len(out[pos:]) - len(out[pos:].lstrip())
    assert [d["kind"] for d in docs] == ["FlinkDeployment", "HorizontalPodAutoscaler"]


def test_ordinary_anchors_keep_working(capsys):
    code, out, _ = render(capsys, str(APPS / "anchors"), "--param", "validate=false")
    fd = objects(out)[0]
    assert code == 0 and fd["spec"]["taskManager"]["resource"] == {"memory": "2048m", "cpu": 1}


@pytest.mark.parametrize("case, expected", [
    ("not-k8s", "settings.yaml (document 1): not a Kubernetes object: no apiVersion and no kind"),
    ("bad-yaml", "tabs.yaml (document 1): invalid YAML: line 6"),
    ("duplicate-key", "fd.yaml (document 1): invalid YAML: line 9, column 3: duplicate key 'job'"),
    ("alias-bomb", "bomb.yaml (document 1): YAML aliases expand to"),
    ("bad-log4j", "cm.yaml (document 2): ConfigMap flink-config-noisy: data[log4j-console.properties]: line 2: "
                  "rootLogger.level = 'VERBOSE' is not one of"),
    ("bad-wave", "fd.yaml (document 1): FlinkDeployment eager: metadata.annotations[argocd.argoproj.io/sync-wave]: "
                 "sync wave 'soon' is not an integer"),
    ("wave-hang", "app.yaml (document 1): ServiceAccount flink: metadata.annotations[argocd.argoproj.io/sync-wave]: "
                  "sync wave 3 is not at or before wave 0 of FlinkDeployment stuck"),
    ("empty", "empty: nothing to render: no Kubernetes objects found"),
])
def test_bad_input_fails_with_one_line_per_problem_and_nothing_on_stdout(capsys, case, expected):
    code, out, err = render(capsys, str(BROKEN / case), "--param", "validate=false")
    assert code != 0
    assert out == ""
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert errors, err
    assert any(expected in line for line in errors), err
    assert "Traceback" not in err


def test_every_problem_of_a_broken_log4j_file_is_reported(capsys):
    code, _, err = render(capsys, str(BROKEN / "bad-log4j"), "--param", "validate=false")
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert code == 2 and len(errors) == 3, err
    assert any("logger 'kafka' has a level but no logger.kafka.name" in e for e in errors)
    assert any("line 4: malformed \\uxxxx escape" in e for e in errors)


def test_empty_output_allowed_by_parameter(capsys):
    code, out, _ = render(capsys, str(BROKEN / "empty"), "--param", "allow-empty=true")
    assert code == 0 and out == ""


def test_symlink_outside_the_app_folder_is_refused(tmp_path, capsys):
    app = tmp_path / "app"
    app.mkdir()
    secret = tmp_path / "outside.yaml"
    secret.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\n")
    (app / "link.yaml").symlink_to(secret)
    code, out, err = render(capsys, str(app))
    assert code == 2 and out == ""
    assert err == ("flink-gitops render: error: link.yaml: symlink points outside the app folder; refusing it "
                   "(fix: put a copy of what it points to in the app folder)\n")


def test_a_symlinked_values_file_pointing_out_is_skipped_like_any_values_file(tmp_path, capsys):
    # values.yaml -> ../shared/values.yaml is never read (it is not a manifest), so where it points
    # is no reason to fail the render.
    shutil.copytree(APPS / "session-mode", tmp_path / "app")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "values.yaml").write_text("replicas: 3\n")
    (tmp_path / "app" / "values.yaml").symlink_to(tmp_path / "shared" / "values.yaml")
    code, out, err = render(capsys, str(tmp_path / "app"), "--param", "validate=false")
    assert code == 0, err
    assert "skipped values.yaml: not a manifest" in err and len(objects(out)) == 5


def test_symlinked_folder_outside_is_refused(tmp_path, capsys):
    app = tmp_path / "app"
    app.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (app / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (app / "more").symlink_to(tmp_path / "elsewhere")
    code, out, err = render(capsys, str(app))
    assert code == 2 and out == "" and "more: symlink points outside the app folder" in err


def test_oversized_file_is_refused(tmp_path, capsys):
    (tmp_path / "big.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: '"
                                       + "a" * 5000 + "'\n")
    code, out, err = render(capsys, str(tmp_path), "--param", "max-file-size=4Ki")
    assert code == 2 and out == ""
    assert "big.yaml: file is 5,067 bytes" in err and "above the limit of 4,096" in err


# --- kustomize and helm: delegated to the binaries on PATH ---------------------------------------


CANNED = (APPS / "kustomize-app" / "base" / "flinkdeployment.yaml").read_text().replace(
    "name: kustomized", "name: kustomized\n  namespace: streaming")


def test_kustomization_is_built_by_kustomize_on_path(tmp_path, capsys, monkeypatch):
    bindir = install_recorder(tmp_path, "kustomize", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    code, out, _ = render(capsys, str(APPS / "kustomize-app"), "--param", "validate=false")
    assert code == 0
    assert objects(out)[0]["metadata"] == {"name": "kustomized", "namespace": "streaming"}
    record = (tmp_path / "kustomize.record").read_text()
    assert "argv: [build] [.] [--load-restrictor] [LoadRestrictionsRootOnly]\n" in record
    assert f"cwd: {os.path.realpath(APPS / 'kustomize-app')}" in record


def test_helm_chart_is_templated_with_release_namespace_and_values(tmp_path, capsys, monkeypatch):
    bindir = install_recorder(tmp_path, "helm", CANNED.replace("kustomized", "orders"))
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("ARGOCD_APP_NAME", "orders")
    monkeypatch.setenv("ARGOCD_APP_NAMESPACE", "streaming")
    monkeypatch.setenv("KUBE_VERSION", "1.30.2")
    monkeypatch.setenv("KUBE_API_VERSIONS", "v1,flink.apache.org/v1beta1")
    monkeypatch.setenv("ARGOCD_APP_PARAMETERS", '[{"name": "values-files", "array": ["values-prod.yaml"]}, '
                                                '{"name": "validate", "string": "false"}]')
    code, out, err = render(capsys, str(APPS / "helm-app"))
    assert code == 0, err
    assert objects(out)[0]["metadata"]["name"] == "orders"
    chart = os.path.realpath(APPS / "helm-app")
    record = (tmp_path / "helm.record").read_text()
    assert ("argv: [template] [orders] [.] [--include-crds] [--namespace] [streaming] [--kube-version] [1.30.2] "
            "[--api-versions] [v1] [--api-versions] [flink.apache.org/v1beta1] "
            f"[--values] [{chart}/values-prod.yaml]") in record


@pytest.mark.parametrize("app_name,param,release", [
    ("team-a_orders", None, "orders"),  # an app outside Argo CD's namespace: Argo CD's Helm uses the name part
    ("orders-prod", "orders", "orders"),  # what the Application's helm.releaseName said, before it opted in
])
def test_helm_release_name_is_the_one_argo_cds_helm_would_use(tmp_path, capsys, monkeypatch, app_name, param, release):
    bindir = install_recorder(tmp_path, "helm", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("ARGOCD_APP_NAME", app_name)
    code, _, err = render(capsys, str(APPS / "helm-app"), "--param", "validate=false",
                          *(["--param", f"helm-release-name={param}"] if param else []))
    assert code == 0, err
    assert f"argv: [template] [{release}] [.] [--include-crds]" in (tmp_path / "helm.record").read_text()


def test_a_helm_release_name_that_is_not_one_is_refused_and_helm_never_runs(tmp_path, capsys, monkeypatch):
    bindir = install_recorder(tmp_path, "helm", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = render(capsys, str(APPS / "helm-app"), "--param", "helm-release-name=--post-renderer=./x")
    assert code == 2 and out == ""
    assert err == ("flink-gitops render: error: parameter helm-release-name: '--post-renderer=./x' is not a Helm "
                   "release name (fix: set parameter helm-release-name: lower-case letters, digits, '-' and '.', "
                   "at most 53 characters)\n")
    assert not (tmp_path / "helm.record").exists()


def test_helm_values_file_outside_the_repository_is_refused(tmp_path, capsys, monkeypatch):
    bindir = install_recorder(tmp_path, "helm", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = render(capsys, str(APPS / "helm-app"), "--param", "values-files=../../../../../../etc/passwd")
    assert code == 2 and out == ""
    assert "parameter values-files: values file '../../../../../../etc/passwd' is outside the repository" in err
    assert not (tmp_path / "helm.record").exists()


def test_failing_tool_fails_the_render_with_its_message(tmp_path, capsys, monkeypatch):
    bindir = install_recorder(tmp_path, "kustomize", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("RECORDER_FAIL", "accumulating resources: missing base")
    code, out, err = render(capsys, str(APPS / "kustomize-app"))
    assert code == 2 and out == ""
    assert "`kustomize build` failed with exit code 1: Error: accumulating resources: missing base" in err


def test_missing_binary_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    monkeypatch.setenv("ARGOCD_APP_NAME", "orders")  # in Argo CD's sidecar: the image is the answer
    code, out, err = render(capsys, str(APPS / "helm-app"))
    assert code == 2 and out == ""
    assert "this app needs `helm` but 'helm' on PATH was not found" in err
    assert ("run the sidecar from the flink-gitops image, which ships helm, or set FLINK_GITOPS_HELM to the helm "
            "binary in the sidecar (a Helm chart is not plain manifests: source=directory would not render it)") in err


@pytest.mark.parametrize("app, advice", [
    ("kustomize-app", "install kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/) or set "
                      "FLINK_GITOPS_KUSTOMIZE to its path; or render kubectl's build: kubectl kustomize . | "
                      "flink-gitops render - (in Argo CD, the flink-gitops sidecar image ships kustomize) (a "
                      "kustomization is not plain manifests: source=directory would not render it)"),
    ("helm-app", "install helm (https://helm.sh/docs/intro/install/) or set FLINK_GITOPS_HELM to its path (in Argo "
                 "CD, the flink-gitops sidecar image ships helm) (a Helm chart is not plain manifests: "
                 "source=directory would not render it)"),
])
def test_missing_binary_on_a_laptop_says_how_to_get_it(app, advice, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("ARGOCD_APP_NAME", raising=False)  # not in Argo CD: a laptop or a CI job
    monkeypatch.chdir(APPS / app)
    code, out, err = render(capsys, ".")
    assert code == 2 and out == ""
    assert err.endswith(f"(fix: {advice})\n"), err


def test_source_directory_forces_plain_reading(capsys):
    # kustomization.yaml is then a non-manifest, skipped; the base is read as plain YAML.
    code, out, err = render(capsys, str(APPS / "kustomize-app"), "--param", "source=directory",
                           "--param", "validate=false")
    assert code == 0 and objects(out)[0]["metadata"]["name"] == "kustomized"
    assert "skipped kustomization.yaml" in err


def test_a_binary_inside_the_repository_is_never_run(tmp_path, capsys, monkeypatch):
    repo = tmp_path / "repo"
    shutil.copytree(APPS / "kustomize-app", repo / "app")
    (repo / ".git").mkdir()
    bindir = install_recorder(repo, "kustomize", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = render(capsys, str(repo / "app"))
    assert code == 2 and out == ""
    assert "it is inside the repository being rendered" in err
    assert not (repo / "kustomize.record").exists()


def test_unquoted_annotation_values_are_refused_as_the_api_server_would(tmp_path, capsys):
    (tmp_path / "fd.yaml").write_text("apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n"
                                      "  name: job\n  annotations:\n    argocd.argoproj.io/sync-wave: -1\n"
                                      "  labels:\n    enabled: true\nspec: {}\n")
    code, out, err = render(capsys, str(tmp_path))
    assert code == 2 and out == ""
    assert ('fd.yaml (document 1): FlinkDeployment job: metadata.annotations[argocd.argoproj.io/sync-wave]: '
            'value -1 is not a string (fix: quote it: "-1")') in err
    assert "metadata.labels[enabled]: value 'true' is not a string" in err


def test_list_items_are_checked_one_by_one(tmp_path, capsys):
    (tmp_path / "list.yaml").write_text("apiVersion: v1\nkind: List\nitems:\n- just text\n"
                                        "- {apiVersion: v1, kind: ConfigMap}\n")
    code, out, err = render(capsys, str(tmp_path))
    assert code == 2 and out == ""
    assert "list.yaml (document 1): List item 1 is not a mapping" in err
    assert "list.yaml (document 1): ConfigMap ? (List item 2): metadata.name: missing: every object needs a name" in err


# --- issue 14: a render's budget, set by the sidecar, lowered by the repository -------------------

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata:\n  x: '{data}'\n"


def write_cms(folder: Path, count: int, size: int = 10) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"cm-{i:03d}.yaml").write_text(CM.format(name=f"cm-{i}", data="a" * size))


def test_the_bytes_of_all_files_together_are_bounded(tmp_path, capsys):
    write_cms(tmp_path / "app", 5, size=1000)  # each file ~1,060 bytes, under any per-file limit
    code, out, err = render(capsys, str(tmp_path / "app"), "--param", "max-total-size=3Ki")
    assert code == 2 and out == ""
    assert err.endswith(
        "error: cm-002.yaml: reading this takes the render to 3,204 bytes, past its limit of 3Ki (parameter "
        "max-total-size; the sidecar's ceiling is FLINK_GITOPS_MAX_TOTAL_SIZE) (fix: render less in one app (split "
        "it into several Applications), or raise the limit)\n")
    code, _, _ = render(capsys, str(tmp_path / "app"), "--param", "max-total-size=6Ki")
    assert code == 0


def test_dense_yaml_is_refused_by_its_node_count_before_it_is_parsed(tmp_path, capsys, monkeypatch):
    # 300 KB of `[1,1,...]`: a few bytes, 150,000 nodes. Parsing is what would cost (about 400 B a node).
    app = tmp_path / "app"
    app.mkdir()
    (app / "dense.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nx: [" + "1," * 150_000
                                    + "1]\n")
    monkeypatch.setenv("FLINK_GITOPS_MAX_TOTAL_NODES", "100000")
    import flink_gitops.manifests as manifests

    parsed = []
    monkeypatch.setattr(manifests.yamlio, "iter_documents", lambda *a: parsed.append(a) or iter(()))
    code, out, err = render(capsys, str(app))
    assert code == 2 and out == "" and parsed == []
    assert ("error: dense.yaml: parsing this takes the render to 150,012 YAML nodes, past its limit of 100,000 "
            "(parameter max-total-nodes; the sidecar's ceiling is FLINK_GITOPS_MAX_TOTAL_NODES)") in err


def test_objects_are_bounded_and_parsing_stops_past_the_limit(tmp_path, capsys, monkeypatch):
    app = tmp_path / "app"
    app.mkdir()
    (app / "many.yaml").write_text("".join("---\n" + CM.format(name=f"cm-{i}", data="x") for i in range(50)))
    monkeypatch.setenv("FLINK_GITOPS_MAX_OBJECTS", "10")
    import flink_gitops.yamlio as yamlio

    real, seen = yamlio.iter_documents, []

    def counting(text, source):
        for item in real(text, source):
            seen.append(item[0])
            yield item

    monkeypatch.setattr("flink_gitops.manifests.yamlio.iter_documents", counting)
    code, out, err = render(capsys, str(app))
    assert code == 2 and out == ""
    assert ("error: many.yaml: this takes the render past its limit of 10 objects (parameter max-objects; the "
            "sidecar's ceiling is FLINK_GITOPS_MAX_OBJECTS)") in err
    assert len(seen) == 12  # not all 50 documents: it stopped once past the limit


def test_stdin_is_charged_to_the_budget(tmp_path, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(
        "".join("---\n" + CM.format(name=f"cm-{i}", data="x") for i in range(5)).encode())))
    code, out, err = render(capsys, "-", "--param", "max-objects=4")
    assert code == 2 and "<stdin>: this takes the render past its limit of 4 objects" in err


def test_a_bad_ceiling_in_the_sidecar_is_named(tmp_path, capsys, monkeypatch):
    write_cms(tmp_path / "app", 1)
    monkeypatch.setenv("FLINK_GITOPS_TOOL_TIMEOUT", "forever")
    code, out, err = render(capsys, str(tmp_path / "app"))
    assert code == 2 and out == ""
    assert "FLINK_GITOPS_TOOL_TIMEOUT: 'forever' is not a duration (e.g. 90s, 10m, 1h30m)" in err


def slow_tool(tmp_path: Path, name: str, body: str) -> Path:
    """A stand-in ``name`` that runs ``body`` (sh), in tmp_path/bin; returns that folder for PATH."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    exe = bindir / name
    exe.write_text("#!/bin/sh\n" + body)
    exe.chmod(0o755)
    return bindir


def test_a_tool_past_its_time_is_stopped_with_its_children(tmp_path, capsys, monkeypatch):
    import time

    pidfile = tmp_path / "child.pid"
    # kustomize that starts a child (as a remote base's git would) and never finishes
    bindir = slow_tool(tmp_path, "kustomize", f"sleep 300 & echo $! > {pidfile}\nwait\n")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    started = time.monotonic()
    code, out, err = render(capsys, str(APPS / "kustomize-app"), "--param", "tool-timeout=1s")
    assert code == 2 and out == ""
    assert ("`kustomize build` did not finish within 1s (parameter tool-timeout; the sidecar's ceiling is "
            "FLINK_GITOPS_TOOL_TIMEOUT)") in err
    assert time.monotonic() - started < 30
    child = int(pidfile.read_text())
    for _ in range(50):  # the whole process group was killed: the child is gone too
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the tool's child {child} still runs")


def test_a_tool_printing_without_end_is_stopped_at_the_byte_budget(tmp_path, capsys, monkeypatch):
    bindir = slow_tool(tmp_path, "helm", "exec yes 'apiVersion: v1'\n")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = render(capsys, str(APPS / "helm-app"), "--param", "max-total-size=1Mi")
    assert code == 2 and out == ""
    assert "helm template: reading this takes the render to " in err
    assert "past its limit of 1Mi (parameter max-total-size" in err


# --- issue 14: kustomize and helm read only the repository ----------------------------------------

def kustomize_repo(tmp_path: Path) -> Path:
    """A repository with an app folder holding a kustomization; returns the app folder."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    app = repo / "apps" / "orders"
    app.mkdir(parents=True)
    (repo / "apps" / "base").mkdir()
    (repo / "apps" / "base" / "kustomization.yaml").write_text("resources: [fd.yaml]\n")
    (repo / "apps" / "base" / "fd.yaml").write_text(CANNED)
    return app


@pytest.mark.parametrize("kustomization, entry", [
    ("resources: [../../../elsewhere]\n", "resources entry '../../../elsewhere'"),
    ("resources: [../base]\ncomponents: [/tmp]\n", "components entry '/tmp'"),
    ("configMapGenerator:\n- name: x\n  files: [key=../../../elsewhere/cm.yaml]\n",
     "configMapGenerator.files entry '../../../elsewhere/cm.yaml'"),
    ("resources: [../base]\npatches:\n- path: ../../../elsewhere/cm.yaml\n",
     "patches entry '../../../elsewhere/cm.yaml'"),
])
def test_a_kustomization_reaching_outside_the_repository_is_refused_before_kustomize_runs(
        kustomization, entry, tmp_path, capsys, monkeypatch):
    app = kustomize_repo(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    (tmp_path / "elsewhere" / "cm.yaml").write_text(CM.format(name="another-apps-secret", data="x"))
    (app / "kustomization.yaml").write_text(kustomization)
    bindir = install_recorder(tmp_path, "kustomize", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = render(capsys, str(app))
    assert code == 2 and out == ""
    assert f"error: apps/orders/kustomization.yaml: {entry} is " in err
    assert f", outside the repository {tmp_path / 'repo'}; refusing it" in err
    assert not (tmp_path / "kustomize.record").exists()


def test_a_base_reached_through_another_base_is_checked_too(tmp_path, capsys, monkeypatch):
    app = kustomize_repo(tmp_path)
    (app / "kustomization.yaml").write_text("resources: [../base]\n")
    (tmp_path / "repo" / "apps" / "base" / "link.yaml").symlink_to("/etc/hostname")
    (tmp_path / "repo" / "apps" / "base" / "kustomization.yaml").write_text("resources: [fd.yaml, link.yaml]\n")
    bindir = install_recorder(tmp_path, "kustomize", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = render(capsys, str(app))
    assert code == 2 and "apps/base/kustomization.yaml: resources entry 'link.yaml' is /etc/hostname, outside" in err
    assert not (tmp_path / "kustomize.record").exists()


def test_bases_inside_the_repository_and_remote_bases_are_kustomizes_business(tmp_path, capsys, monkeypatch):
    app = kustomize_repo(tmp_path)
    (app / "kustomization.yaml").write_text(
        "resources:\n- ../base\n- https://git.example.com/platform/flink-bases//orders?ref=v1.2.0\n"
        "- github.com/example/bases/orders?ref=v1\n")
    bindir = install_recorder(tmp_path, "kustomize", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = render(capsys, str(app), "--param", "validate=false")
    assert code == 0, err
    assert (tmp_path / "kustomize.record").exists()


def test_a_fifo_a_kustomization_names_is_refused_before_kustomize_would_hang_on_it(tmp_path, capsys, monkeypatch):
    app = kustomize_repo(tmp_path)
    os.mkfifo(app / "stream.yaml")
    (app / "kustomization.yaml").write_text("resources: [../base, stream.yaml]\n")
    bindir = install_recorder(tmp_path, "kustomize", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = render(capsys, str(app))
    assert code == 2
    assert ("apps/orders/kustomization.yaml: resources entry 'stream.yaml' is a FIFO (named pipe), not a regular "
            "file; refusing it") in err


def helm_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shutil.copytree(APPS / "helm-app", repo / "charts" / "orders")
    return repo / "charts" / "orders"


def test_a_chart_holding_a_symlink_out_of_the_repository_is_refused(tmp_path, capsys, monkeypatch):
    chart = helm_repo(tmp_path)
    (tmp_path / "other-checkout").mkdir()
    (tmp_path / "other-checkout" / "secret.yaml").write_text("password: x\n")
    (chart / "files").mkdir()
    (chart / "files" / "shared").symlink_to(tmp_path / "other-checkout")  # helm follows it: .Files.Get reads it
    bindir = install_recorder(tmp_path, "helm", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = render(capsys, str(chart))
    assert code == 2 and out == ""
    assert (f"charts/orders/files/shared: the chart's file 'shared' is {tmp_path / 'other-checkout'}, outside the "
            f"repository {tmp_path / 'repo'}; refusing it") in err
    assert not (tmp_path / "helm.record").exists()


def test_a_fifo_in_a_chart_or_as_a_values_file_is_refused(tmp_path, capsys, monkeypatch):
    chart = helm_repo(tmp_path)
    os.mkfifo(chart / "templates" / "stream.yaml")
    bindir = install_recorder(tmp_path, "helm", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    code, out, err = render(capsys, str(chart))
    assert code == 2 and "charts/orders/templates/stream.yaml: a FIFO (named pipe), not a regular file" in err
    (chart / "templates" / "stream.yaml").unlink()
    os.mkfifo(chart / "values-stream.yaml")
    code, out, err = render(capsys, str(chart), "--param", "values-files=values-stream.yaml")
    assert code == 2 and "values file 'values-stream.yaml' is a FIFO (named pipe), not a regular file" in err
    assert not (tmp_path / "helm.record").exists()


def test_an_app_folder_reached_through_a_symlink_inside_the_repository_finds_its_root(tmp_path, capsys, monkeypatch):
    # Argo CD's working directory arrives resolved; ARGOCD_APP_SOURCE_PATH names the way in.
    app = kustomize_repo(tmp_path)
    (app / "kustomization.yaml").write_text("resources: [../base]\n")
    (tmp_path / "repo" / "deploy").mkdir()
    (tmp_path / "repo" / "deploy" / "orders").symlink_to(app)
    bindir = install_recorder(tmp_path, "kustomize", CANNED)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("ARGOCD_APP_SOURCE_PATH", "deploy/orders")
    code, out, err = render(capsys, str(app), "--param", "validate=false")
    assert code == 0, err  # ../base is inside the repository, found from deploy/orders
