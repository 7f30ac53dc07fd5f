"""Properties of the whole render: idempotence, determinism, and "a failure prints nothing"."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from tests.helpers import run_cli
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st


ROOT = Path(__file__).resolve().parents[1]
APPS = Path(__file__).parent / "fixtures" / "apps"
GOOD = [ROOT / "examples" / "app"] + [APPS / n for n in ("session-mode", "autoscaler", "hpa", "podtemplate-deps",
                                                          "pasted-from-cluster", "user-waves", "anchors")]


pytestmark = [pytest.mark.usefixtures("clean_argocd_env"), pytest.mark.slow]


def run(*argv: str) -> tuple[int, str, str]:
    return run_cli("render", *argv)


@pytest.mark.parametrize("app", GOOD, ids=lambda p: p.name)
@pytest.mark.parametrize("strategy", ["configmap", "inline"])
def test_rendering_the_rendered_output_is_byte_identical(app, strategy, tmp_path):
    code, first, err = run(str(app), "--param", f"log4j-strategy={strategy}")
    assert code == 0, err
    (tmp_path / "rendered.yaml").write_text(first)
    code, second, err = run(str(tmp_path), "--param", f"log4j-strategy={strategy}")
    assert code == 0, err
    assert second == first
    assert run(str(app), "--param", f"log4j-strategy={strategy}")[1] == first  # and deterministic


def test_pasted_objects_lose_what_the_cluster_owns():
    code, out, err = run(str(APPS / "pasted-from-cluster"))
    assert code == 0, err
    fd, sa = list(yaml.safe_load_all(out))
    assert "status" not in fd
    for key in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        assert key not in fd["metadata"] and key not in sa["metadata"]
    assert "annotations" not in fd["metadata"] or \
        "kubectl.kubernetes.io/last-applied-configuration" not in fd["metadata"]["annotations"]
    assert fd["spec"]["job"]["parallelism"] == 2 and fd["metadata"]["finalizers"]  # the user's part stays
    assert "FlinkDeployment default/basic: removed cluster-owned status, metadata.resourceVersion, metadata.uid" in err


def test_strip_can_be_switched_off():
    code, out, _ = run(str(APPS / "pasted-from-cluster"), "--param", "strip-cluster-fields=false",
                       "--param", "validate=false")
    assert code == 0 and "status" in next(yaml.safe_load_all(out))


# --- generated apps -----------------------------------------------------------------------------

NAMES = st.sampled_from(["alpha", "beta", "gamma"])


@st.composite
def app_files(draw) -> dict[str, str]:
    docs = []
    for name in draw(st.lists(NAMES, min_size=1, max_size=3, unique=True)):
        meta = {"name": name}
        if draw(st.booleans()):
            meta["annotations"] = {"argocd.argoproj.io/sync-wave": str(draw(st.integers(-2, 2)))}
        if draw(st.booleans()):  # pasted from a cluster
            meta.update(uid=f"uid-{name}", resourceVersion="42", creationTimestamp="2026-01-01T00:00:00Z")
        fd = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "metadata": meta,
              "spec": {"flinkVersion": "v1_20", "serviceAccount": "flink",
                       "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
                       "taskManager": {"resource": {"memory": "2048m", "cpu": 1}},
                       "job": {"jarURI": "local:///opt/flink/usrlib/job.jar", "parallelism": 2,
                               "upgradeMode": "stateless"}}}
        if draw(st.booleans()):
            fd["status"] = {"lifecycleState": "STABLE"}
        docs.append(fd)
        if draw(st.booleans()):
            docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"flink-config-{name}"},
                         "data": {"log4j-console.properties": draw(st.sampled_from([
                             "monitorInterval=30\nrootLogger.level=INFO\n", "rootLogger.level=WARN\n"]))}})
        if draw(st.booleans()):
            docs.append({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob",
                         "metadata": {"name": f"{name}-job"},
                         "spec": {"deploymentName": draw(NAMES), "job": {"jarURI": "https://x.example/j.jar",
                                                                       "parallelism": 1,
                                                                       "upgradeMode": "stateless"}}})
    docs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "flink"}})
    docs = draw(st.permutations(docs))
    files: dict[str, str] = {}
    for i, doc in enumerate(docs):
        files.setdefault(f"f{draw(st.integers(0, 2))}.yaml", "")
    names = sorted(files)
    for i, doc in enumerate(docs):
        target = names[i % len(names)]
        files[target] += "---\n" + yaml.safe_dump(doc, sort_keys=draw(st.booleans()))
    return files


CORRUPTIONS = [
    "owner: nobody\n",  # not a Kubernetes object
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n",  # bad YAML
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\n  name: dup\n",  # duplicate key
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\n  annotations: {argocd.argoproj.io/sync-wave: later}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: flink-config-alpha}\ndata:\n"
    "  log4j-console.properties: 'rootLogger.level = LOUD'\n",
    "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e]\n",  # alias bomb
]


def write(folder: str, files: dict[str, str]) -> None:
    for name, text in files.items():
        Path(folder, name).write_text(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app_files())
def test_property_render_is_idempotent_and_deterministic(files):
    with tempfile.TemporaryDirectory() as src, tempfile.TemporaryDirectory() as again:
        write(src, files)
        code, first, err = run(src, "--param", "validate=false")
        if code != 0:  # user waves may conflict; then nothing may be printed
            assert first == "" and ": error: " in err
            return
        write(again, {"out.yaml": first})
        code, second, err = run(again, "--param", "validate=false")
        assert code == 0, err
        assert second == first


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(app_files(), st.sampled_from(CORRUPTIONS), st.sampled_from(["yaml", "json"]))
def test_property_any_failure_prints_nothing(files, corruption, fmt):
    with tempfile.TemporaryDirectory() as src:
        files = dict(files)
        files["zz-broken.yaml"] = corruption
        write(src, files)
        code, out, err = run(src, "-o", fmt)
        assert code == 2
        assert out == ""
        lines = err.splitlines()
        assert any(line.startswith("flink-gitops render: error: ") for line in lines)
        assert all(line.startswith(("flink-gitops render: error: ", "flink-gitops render: warning: ",
                                    "flink-gitops render: note: ")) for line in lines), err
