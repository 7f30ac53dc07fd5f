"""`flink-gitops render --target flux`: YAML in, exact output out."""

import io
import json
import re

import pytest

from tests.helpers import run_cli

DEPLOYMENT = """\
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata: {name: orders, namespace: streaming}
spec:
  image: flink:1.20
  flinkVersion: v1_20
  serviceAccount: flink
  jobManager: {resource: {memory: 2048m, cpu: 1}}
  taskManager: {replicas: 2, resource: {memory: 2048m, cpu: 1}}
  job: {jarURI: "local:///opt/flink/usrlib/orders.jar", parallelism: 4, upgradeMode: stateless}
"""
HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: orders-tm, namespace: streaming}
spec:
  scaleTargetRef: {apiVersion: flink.apache.org/v1beta1, kind: FlinkDeployment, name: orders}
  maxReplicas: 4
"""
# The rendered head of a FlinkDeployment, as both examples below print it.
CLUSTER_OUT = """\
---
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: {name}
  namespace: streaming
spec:
  image: flink:1.20
  flinkVersion: v1_20
  serviceAccount: flink
  jobManager:
    resource:
      memory: 2048m
      cpu: 1
  taskManager:
{{replicas}}    resource:
      memory: 2048m
      cpu: 1
"""
DEPLOYMENT_OUT = CLUSTER_OUT.format(name="orders") + """\
  job:
    jarURI: local:///opt/flink/usrlib/orders.jar
    parallelism: 4
    upgradeMode: stateless
"""
HPA_OUT = """\
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: orders-tm
  namespace: streaming
spec:
  scaleTargetRef:
    apiVersion: flink.apache.org/v1beta1
    kind: FlinkDeployment
    name: orders
  maxReplicas: 4
"""


@pytest.fixture
def render(monkeypatch, clean_argocd_env):
    def run(text: str, *argv: str):
        monkeypatch.setattr("sys.stdin", io.StringIO(text))
        return run_cli("render", "-", *argv)
    return run


def test_before_flux_2_9_the_replicas_an_hpa_owns_are_dropped(render):
    code, out, err = render(DEPLOYMENT + "---\n" + HPA, "--target", "flux", "--explain")
    assert code == 0
    assert out == DEPLOYMENT_OUT.format(replicas="") + HPA_OUT
    assert "removed spec.taskManager.replicas, which HorizontalPodAutoscaler orders-tm owns" in err
    assert ("flux target: <stdin> (document 1): FlinkDeployment streaming/orders: HorizontalPodAutoscaler orders-tm "
            "scales it; spec.taskManager.replicas dropped (flux-version not set: no spec.ignore before Flux 2.9)") in err
    assert "spec.ignore:" not in err


def test_from_flux_2_9_the_field_stays_and_a_spec_ignore_rule_is_printed(render):
    code, out, err = render(DEPLOYMENT + "---\n" + HPA, "--target", "flux", "-p", "flux-version=v2.9.0")
    assert code == 0
    assert out == DEPLOYMENT_OUT.format(replicas="    replicas: 2\n") + HPA_OUT
    rule = json.loads(re.search(r"spec\.ignore: (\[.*\])$", err, re.M).group(1))
    assert rule == [{"paths": ["/spec/taskManager/replicas"],
                     "target": {"group": "flink.apache.org", "kind": "FlinkDeployment", "name": "^orders$",
                                "namespace": "^streaming$"}}]


def test_without_an_hpa_nothing_changes_and_argocd_output_is_untouched(render):
    code, out, err = render(DEPLOYMENT, "--target", "flux")
    assert code == 0 and out == DEPLOYMENT_OUT.format(replicas="    replicas: 2\n") and err == ""
    # The Argo CD target keeps replicas even with an HPA: the per-resource ignore rule handles it there.
    code, out, _ = render(DEPLOYMENT + "---\n" + HPA, "-p", "sync-waves=false")
    annotated = DEPLOYMENT_OUT.replace("  namespace: streaming\n", "  namespace: streaming\n  annotations:\n"
                                       "    argocd.argoproj.io/ignore-differences-json-pointers: "
                                       "/spec/taskManager/replicas\n", 1)
    assert code == 0 and out == annotated.format(replicas="    replicas: 2\n") + HPA_OUT


SESSION = """\
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata: {name: shared, namespace: streaming, resourceVersion: "7"}
spec:
  image: flink:1.20
  flinkVersion: v1_20
  serviceAccount: flink
  jobManager: {resource: {memory: 2048m, cpu: 1}}
  taskManager: {resource: {memory: 2048m, cpu: 1}}
status: {lifecycleState: STABLE}
---
apiVersion: flink.apache.org/v1beta1
kind: FlinkSessionJob
metadata: {name: fraud, namespace: streaming}
spec:
  deploymentName: shared
  job: {jarURI: "https://repo/fraud.jar", parallelism: 2, upgradeMode: stateless}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: flink-config-shared, namespace: streaming}
data:
  log4j-console.properties: "rootLogger.level = WARN\\n"
"""
SESSION_OUT = CLUSTER_OUT.format(name="shared").format(replicas="") + """\
  logConfiguration:
    log4j-console.properties: |
      rootLogger.level = WARN
---
apiVersion: flink.apache.org/v1beta1
kind: FlinkSessionJob
metadata:
  name: fraud
  namespace: streaming
spec:
  deploymentName: shared
  job:
    jarURI: https://repo/fraud.jar
    parallelism: 2
    upgradeMode: stateless
"""


def test_no_sync_waves_log4j_inline_and_cluster_fields_stripped(render):
    code, out, err = render(SESSION, "--target", "flux", "--explain")
    assert code == 0
    assert out == SESSION_OUT
    assert "argocd.argoproj.io" not in out
    assert "removed cluster-owned status, metadata.resourceVersion" in err
    assert "flux target: log4j strategy inline" in err
    # The Argo CD target orders the same objects with waves and keeps the ConfigMap.
    code, argocd, _ = render(SESSION)
    assert code == 0 and "argocd.argoproj.io/sync-wave" in argocd and "flink-config-shared" in argocd


def test_an_explicit_configmap_strategy_is_kept_with_a_warning(render):
    code, out, err = render(SESSION, "--target", "flux", "-p", "log4j-strategy=configmap")
    assert code == 0 and "name: flink-config-shared" in out and "sync-wave" not in out
    assert "log4j-strategy=configmap with Flux" in err


def test_validation_runs_as_for_argocd(render):
    bad = DEPLOYMENT.replace("replicas: 2", "replicas: 0")
    code, out, err = render(bad, "--target", "flux")
    assert code == 2 and out == ""
    assert "spec.taskManager.replicas" in err and "[parallelism]" in err


def test_dropping_replicas_needs_a_parallelism_to_size_the_job(render):
    sized_by_replicas = DEPLOYMENT.replace("parallelism: 4, ", "")
    code, out, err = render(sized_by_replicas + "---\n" + HPA, "--target", "flux")
    assert (code, out) == (2, "")
    assert "FlinkDeployment streaming/orders: spec.job.parallelism: HorizontalPodAutoscaler orders-tm owns" in err
    code, out, _ = render(sized_by_replicas + "---\n" + HPA, "--target", "flux", "-p", "flux-version=2.9")
    assert code == 0 and "replicas: 2" in out


def test_a_bad_flux_version_is_one_line_and_exit_2(render):
    code, out, err = render(DEPLOYMENT, "--target", "flux", "-p", "flux-version=latest")
    assert (code, out) == (2, "")
    assert err.strip().splitlines() == [
        "flink-gitops render: error: --param: parameter 'flux-version' must be a Flux version such as 2.9 or "
        "v2.8.3; got 'latest'"]


def test_the_flux_render_path_imports_nothing_heavy(repo):
    import subprocess
    import sys

    probe = (
        "import sys, io, contextlib\n"
        "from flink_gitops.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    code = main(['render', {str(repo / 'examples' / 'app')!r}, '--target', 'flux'])\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'cel_expr_python', 'lupa', 'flask', 'kubernetes',"
        " 'prometheus_client'}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "0 []", proc.stderr


WRITTEN_FOR_ARGOCD = DEPLOYMENT.replace(
    "metadata: {name: orders, namespace: streaming}",
    "metadata:\n  name: orders\n  namespace: streaming\n"
    "  annotations: {argocd.argoproj.io/sync-wave: '5', argocd.argoproj.io/sync-options: Prune=false, team: data}")
SAVEPOINT_HOOK = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: pre-sync-check
  namespace: streaming
  annotations: {argocd.argoproj.io/hook: PreSync}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: check, image: busybox}]
"""


def test_argocd_annotations_written_by_hand_are_removed_and_named(render):
    code, out, err = render(WRITTEN_FOR_ARGOCD + "---\n" + SAVEPOINT_HOOK, "--target", "flux")
    assert code == 0
    assert "argocd.argoproj.io" not in out
    assert out.startswith(DEPLOYMENT_OUT.format(replicas="    replicas: 2\n").replace(
        "  namespace: streaming\n", "  namespace: streaming\n  annotations:\n    team: data\n", 1))
    assert ("FlinkDeployment streaming/orders: removed Argo CD annotations argocd.argoproj.io/sync-wave, "
            "argocd.argoproj.io/sync-options (Flux ignores them)") in err
    # A hook is applied by Flux as an ordinary object: say so, since the annotation no longer shows it.
    assert "Job streaming/pre-sync-check: an Argo CD PreSync hook; Flux has no hooks" in err
    assert "\nmetadata:\n  name: pre-sync-check\n  namespace: streaming\nspec:" in out


def test_sync_waves_turned_on_still_gives_flux_no_annotation(render):
    code, out, err = render(SESSION, "--target", "flux", "-p", "sync-waves=true")
    assert code == 0 and "argocd.argoproj.io" not in out
    assert "sync-waves=true has no effect with --target flux" in err


def test_no_replicas_in_the_manifest_needs_no_ignore_rule(render):
    # Flux never owns a field its manifest lacks, so the autoscaler's value is safe on any version.
    unsized = DEPLOYMENT.replace("replicas: 2, ", "")
    for version in ("2.8", "2.9"):
        code, out, err = render(unsized + "---\n" + HPA, "--target", "flux", "--explain", "-p", f"flux-version={version}")
        assert code == 0 and out == DEPLOYMENT_OUT.format(replicas="") + HPA_OUT
        assert "spec.ignore:" not in err and "removed spec.taskManager.replicas" not in err
        assert "HorizontalPodAutoscaler orders-tm scales it; spec.taskManager.replicas not in the manifest" in err
