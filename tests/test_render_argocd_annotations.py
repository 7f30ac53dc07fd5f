"""Per-resource ignore rules and server-side apply for the operator's CRDs: YAML in, the exact stream out."""

from __future__ import annotations

import io
import json
import re

import pytest
import yaml

from tests.helpers import run_cli

ANNOTATION = "argocd.argoproj.io/ignore-differences-json-pointers"


@pytest.fixture
def render(monkeypatch, clean_argocd_env):
    def run(text: str, *argv: str):
        monkeypatch.setattr("sys.stdin", io.StringIO(text))
        return run_cli("render", "-", "-p", "sync-waves=false", *argv)
    return run


def deployment(name: str, conf: str = "", annotations: str = "", replicas: str = "2") -> str:
    meta = f"metadata:\n  name: {name}\n  namespace: streaming\n"
    if annotations:
        meta += f"  annotations:\n    {annotations}\n"
    return (f"apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\n{meta}spec:\n  image: flink:1.20\n"
            f"  flinkVersion: v1_20\n  serviceAccount: flink\n{conf}"
            "  jobManager:\n    resource:\n      memory: 2048m\n      cpu: 1\n"
            f"  taskManager:\n    replicas: {replicas}\n    resource:\n      memory: 2048m\n      cpu: 1\n"
            "  job:\n    jarURI: local:///opt/flink/usrlib/orders.jar\n    parallelism: 4\n"
            "    upgradeMode: stateless\n")


AUTOSCALER = "  flinkConfiguration:\n    job.autoscaler.enabled: 'true'\n"
AUTOSCALER_OUT = "  flinkConfiguration:\n    job.autoscaler.enabled: 'true'\n"


def hpa(target: str) -> str:
    return ("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: orders-tm\n"
            "  namespace: streaming\nspec:\n  scaleTargetRef:\n    apiVersion: flink.apache.org/v1beta1\n"
            f"    kind: FlinkDeployment\n    name: {target}\n  maxReplicas: 4\n")


def annotated(text: str, value: str) -> str:
    """``text`` (one FlinkDeployment as the render prints it) with the annotation written after the namespace."""
    return text.replace("  namespace: streaming\n", f"  namespace: streaming\n  annotations:\n    {ANNOTATION}: {value}\n", 1)


def stream(*docs: str) -> str:
    return "".join("---\n" + d for d in docs)


# -- per-resource ignore rules -------------------------------------------------------------------


def test_autoscaler_on_annotates_parallelism(render):
    code, out, err = render(deployment("orders", AUTOSCALER))
    assert code == 0, err
    assert out == stream(annotated(deployment("orders", AUTOSCALER_OUT), "/spec/job/parallelism"))


def test_an_hpa_in_the_app_annotates_taskmanager_replicas(render):
    code, out, err = render(deployment("orders") + "---\n" + hpa("orders"))
    assert code == 0, err
    assert out == stream(annotated(deployment("orders"), "/spec/taskManager/replicas"), hpa("orders"))


def test_autoscaler_and_hpa_both(render):
    code, out, err = render(deployment("orders", AUTOSCALER) + "---\n" + hpa("orders"))
    assert code == 0, err
    assert out == stream(annotated(deployment("orders", AUTOSCALER_OUT),
                                   "/spec/job/parallelism,/spec/taskManager/replicas"), hpa("orders"))


def test_the_users_own_pointers_stay_first_and_are_never_duplicated(render):
    mine = f"'{ANNOTATION}': /spec/restartNonce, /spec/job/parallelism"
    code, out, err = render(deployment("orders", AUTOSCALER, mine) + "---\n" + hpa("orders"))
    assert code == 0, err
    assert out == stream(annotated(deployment("orders", AUTOSCALER_OUT),
                                   "/spec/restartNonce,/spec/job/parallelism,/spec/taskManager/replicas"),
                         hpa("orders"))


def test_nothing_missing_leaves_the_users_text_as_it_is(render):
    mine = f"'{ANNOTATION}': ' /spec/taskManager/replicas ,/spec/restartNonce'"
    code, out, err = render(deployment("orders", annotations=mine) + "---\n" + hpa("orders"))
    assert code == 0, err
    assert out == stream(annotated(deployment("orders"), "' /spec/taskManager/replicas ,/spec/restartNonce'"),
                         hpa("orders"))


def test_without_autoscaler_or_hpa_nothing_changes_and_stderr_is_empty(render):
    code, out, err = render(deployment("orders") + "---\n" + hpa("another-deployment"))
    assert code == 0 and err == ""
    assert out == stream(deployment("orders"), hpa("another-deployment"))


def test_stderr_says_once_what_argo_cd_needs_and_the_application_level_entry(render):
    code, _, err = render(deployment("orders", AUTOSCALER) + "---\n" + deployment("payments", AUTOSCALER)
                          + "---\n" + hpa("orders"))
    assert code == 0
    notes = [line for line in err.splitlines() if ANNOTATION in line and "note:" in line]
    assert len(notes) == 1
    note = notes[0]
    assert "Argo CD 3.6 or later honours it (argo-cd PR #29616) when the Application syncs with " \
           "RespectIgnoreDifferences=true" in note
    entries = json.loads(re.search(r"spec\.ignoreDifferences: (\[.*?\]) and", note).group(1))
    assert entries == [
        {"group": "flink.apache.org", "kind": "FlinkDeployment", "name": "orders", "namespace": "streaming",
         "jsonPointers": ["/spec/job/parallelism", "/spec/taskManager/replicas"]},
        {"group": "flink.apache.org", "kind": "FlinkDeployment", "name": "payments", "namespace": "streaming",
         "jsonPointers": ["/spec/job/parallelism"]},
    ]


def test_explain_lists_each_deployment_and_why(render):
    code, _, err = render(deployment("orders", AUTOSCALER) + "---\n" + hpa("orders"), "--explain")
    assert code == 0
    assert ("  <stdin> (document 1): FlinkDeployment streaming/orders: added /spec/job/parallelism, "
            "/spec/taskManager/replicas (/spec/job/parallelism: the job autoscaler is enabled (job.autoscaler.enabled); "
            "/spec/taskManager/replicas: HorizontalPodAutoscaler orders-tm scales it)") in err.splitlines()
    assert any(line.startswith("per-resource ignore rules (") and "needs Argo CD 3.6+" in line
               for line in err.splitlines())


def test_render_of_the_render_is_the_same(render):
    code, once, _ = render(deployment("orders", AUTOSCALER) + "---\n" + hpa("orders"))
    code2, twice, _ = render(once)
    assert code == code2 == 0 and twice == once


def test_parameter_off_and_flux_target_leave_the_annotation_out(render):
    text = deployment("orders", AUTOSCALER) + "---\n" + hpa("orders")
    code, out, err = render(text, "-p", "ignore-differences-annotation=false")
    assert code == 0 and ANNOTATION not in out and ANNOTATION not in err
    code, out, err = render(text, "--target", "flux", "-p", "flux-version=2.9")
    assert code == 0 and ANNOTATION not in out and ANNOTATION not in err


def test_a_non_string_annotation_is_an_error_naming_the_field(render):
    code, out, err = render(deployment("orders", AUTOSCALER, f"'{ANNOTATION}': [/spec/job/parallelism]"))
    assert code == 2 and out == ""
    assert (f"<stdin> (document 1): FlinkDeployment streaming/orders: metadata.annotations[{ANNOTATION}]: value "
            "['/spec/job/parallelism'] is not a string") in err


def test_a_pointer_without_a_slash_gets_a_warning(render):
    code, _, err = render(deployment("orders", AUTOSCALER, f"'{ANNOTATION}': spec.restartNonce"))
    assert code == 0
    assert "'spec.restartNonce' is not a JSON pointer (RFC 6901: it starts with '/')" in err
    assert "(fix: write it as /spec/restartNonce)" in err


def test_app_of_apps_children_still_get_their_entries(render):
    # The step for child Applications is unchanged: it still edits an Application in the stream.
    app = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: child\n  namespace: argocd\n"
           "spec:\n  source:\n    repoURL: https://git.example.com/other.git\n    path: flink\n")
    code, out, err = render(app)
    assert code == 0, err
    child = yaml.safe_load(out)
    assert child["spec"]["ignoreDifferences"][0] == {"group": "flink.apache.org", "kind": "FlinkDeployment",
                                                     "jsonPointers": ["/status"]}


# -- server-side apply for the operator's CRDs ------------------------------------------------


def crd(plural: str, annotations: str = "", group: str = "flink.apache.org") -> str:
    meta = f"metadata:\n  name: {plural}.{group}\n"
    if annotations:
        meta += f"  annotations:\n    {annotations}\n"
    return ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n" + meta
            + f"spec:\n  group: {group}\n  names:\n    kind: Thing\n    plural: {plural}\n  scope: Namespaced\n"
              "  versions:\n  - name: v1beta1\n    served: true\n    storage: true\n"
              "    schema:\n      openAPIV3Schema:\n        type: object\n")


def ssa(text: str, value: str) -> str:
    name_line = re.search(r"^  name: .*\n", text, re.M).group(0)
    return text.replace(name_line, name_line + f"  annotations:\n    argocd.argoproj.io/sync-options: {value}\n", 1)


def test_a_flink_crd_gets_server_side_apply(render):
    code, out, err = render(crd("flinkdeployments"))
    assert code == 0, err
    assert out == stream(ssa(crd("flinkdeployments"), "ServerSideApply=true"))


def test_existing_sync_options_are_kept_and_the_option_appended(render):
    code, out, err = render(crd("flinkdeployments", "argocd.argoproj.io/sync-options: Prune=false, Validate=false"))
    assert code == 0, err
    assert out == stream(ssa(crd("flinkdeployments"), "Prune=false,Validate=false,ServerSideApply=true"))
    code, again, _ = render(out)
    assert again == out


def test_other_crds_and_an_explicit_choice_are_left_alone(render):
    other = crd("kafkatopics", group="kafka.strimzi.io")
    replace = crd("flinksessionjobs", "argocd.argoproj.io/sync-options: Replace=true")
    declined = crd("flinkstatesnapshots", "argocd.argoproj.io/sync-options: ServerSideApply=false")
    code, out, err = render(other + "---\n" + replace + "---\n" + declined, "--explain")
    assert code == 0
    assert out == stream(other, replace, declined)
    assert ("warning: <stdin> (document 3): CustomResourceDefinition flinkstatesnapshots.flink.apache.org: "
            "metadata.annotations[argocd.argoproj.io/sync-options]: ServerSideApply=false is kept as you set it") in err
    assert "Replace=true kept (Argo CD updates a CRD in place with it" in err


def test_explain_says_so_with_the_size_client_side_apply_would_store(render):
    code, out, err = render(crd("flinkdeployments"), "--explain")
    size = len(json.dumps(yaml.safe_load(crd("flinkdeployments")), separators=(",", ":")))
    assert code == 0
    assert (f"  <stdin> (document 1): CustomResourceDefinition flinkdeployments.flink.apache.org: ServerSideApply=true "
            f"added (client-side apply would store {size:,} bytes of JSON for last-applied-configuration "
            "(limit 262,144))") in err.splitlines()


def test_crd_parameter_off(render):
    code, out, _ = render(crd("flinkdeployments"), "-p", "crd-server-side-apply=false")
    assert code == 0 and out == stream(crd("flinkdeployments"))
