"""Odd shapes never crash the render: a user error is a clean error, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import yaml

from flink_gitops.errors import UserError
from flink_gitops.manifests import objects_from_text
from flink_gitops.render import params as P
from flink_gitops.render.context import RenderContext
from flink_gitops.render.pipeline import run_pipeline

pytestmark = pytest.mark.slow

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(
    ["", "flink", "job", "flink-config-job", "true", "-1", "x=1", "<xml/>", "rootLogger.level=INFO", "/status"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["name", "kind", "spec", "podTemplate", "volumes", "secret", "secretName",
                                     "configMap", "env", "envFrom", "containers", "serviceAccount", "job",
                                     "deploymentName", "jobReference", "logConfiguration", "flinkConfiguration",
                                     "log4j-console.properties", "source", "sources", "repoURL", "path",
                                     "ignoreDifferences", "syncPolicy", "syncOptions", "scaleTargetRef",
                                     "subjects", "roleRef", "data", "annotations", "metadata", "template"]),
                    inner, max_size=4)), max_leaves=12)
KINDS = st.sampled_from([
    ("flink.apache.org/v1beta1", "FlinkDeployment"), ("flink.apache.org/v1beta1", "FlinkSessionJob"),
    ("flink.apache.org/v1beta1", "FlinkStateSnapshot"), ("v1", "ConfigMap"), ("v1", "ServiceAccount"),
    ("v1", "Secret"), ("argoproj.io/v1alpha1", "Application"), ("argoproj.io/v1alpha1", "ApplicationSet"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"), ("rbac.authorization.k8s.io/v1", "RoleBinding")])


@st.composite
def objects(draw):
    api, kind = draw(KINDS)
    meta = {"name": draw(st.sampled_from(["job", "flink", "flink-config-job", "app"]))}
    if draw(st.booleans()):
        meta["annotations"] = draw(st.one_of(VALUES, st.dictionaries(
            st.sampled_from(["argocd.argoproj.io/sync-wave", "configmap.reloader.stakater.com/reload",
                             "kubectl.kubernetes.io/last-applied-configuration"]), SCALARS, max_size=2)))
    if draw(st.booleans()):
        meta["namespace"] = draw(st.sampled_from(["a", "b"]))
    obj = {"apiVersion": api, "kind": kind, "metadata": meta}
    for key in draw(st.lists(st.sampled_from(["spec", "data", "status", "subjects", "roleRef"]), max_size=3,
                             unique=True)):
        obj[key] = draw(VALUES)
    return obj


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(objects(), min_size=1, max_size=6), st.sampled_from(["configmap", "inline"]))
def test_property_odd_shapes_give_output_or_a_user_error(objs, strategy):
    ctx = RenderContext(params={**P.defaults(), "log4j-strategy": strategy, "explain": "true"},
                        app_dir=None, repo_root=None, namespace="a")
    try:  # through the loader, as from a file: what it refuses never reaches the steps
        out = run_pipeline(objects_from_text(yaml.safe_dump_all(objs), "fuzz.yaml"), ctx)
    except UserError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        return
    assert all(isinstance(loc.obj, dict) for loc in out)


# --- issue 14: hostile text through every command: exit 2 with a message, never a traceback -----------

from tests.helpers import run_cli  # noqa: E402

#: A FlinkDeployment (live: health reads its status) whose every field can take a hostile value.
FLINK_FIELDS = {
    "metadata.generation": "3", "metadata.annotations": "{a: b}", "spec.image": "flink:1.20",
    "spec.flinkVersion": "v1_20", "spec.flinkConfiguration": "{taskmanager.numberOfTaskSlots: '2'}",
    "spec.job.parallelism": "2", "spec.job.state": "running", "spec.taskManager.replicas": "1",
    "spec.taskManager.resource": "{cpu: 1, memory: 2g}", "spec.restartNonce": "1", "spec.podTemplate": "{}",
    "status.observedGeneration": "3", "status.lifecycleState": "STABLE", "status.jobStatus.state": "RUNNING",
}


def flink_doc(field: str | None = None, value: str | None = None) -> str:
    values = dict(FLINK_FIELDS)
    if field is not None:
        values[field] = value
    return (
        "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: job\n"
        f"  generation: {values['metadata.generation']}\n  annotations: {values['metadata.annotations']}\n"
        f"spec:\n  image: {values['spec.image']}\n  flinkVersion: {values['spec.flinkVersion']}\n"
        f"  flinkConfiguration: {values['spec.flinkConfiguration']}\n  restartNonce: {values['spec.restartNonce']}\n"
        f"  podTemplate: {values['spec.podTemplate']}\n"
        f"  job:\n    jarURI: local:///opt/job.jar\n    parallelism: {values['spec.job.parallelism']}\n"
        f"    state: {values['spec.job.state']}\n"
        f"  taskManager:\n    replicas: {values['spec.taskManager.replicas']}\n"
        f"    resource: {values['spec.taskManager.resource']}\n"
        f"status:\n  observedGeneration: {values['status.observedGeneration']}\n"
        f"  lifecycleState: {values['status.lifecycleState']}\n  jobStatus:\n    state: {values['status.jobStatus.state']}\n")


#: Values JSON cannot carry, or that Python's parsers and printers trip on, written as YAML.
HOSTILE_YAML_VALUES = st.sampled_from([
    "9" * 4400, "-" + "9" * 4301, "0x" + "f" * 3700, "0b" + "1" * 15000, ":".join(["1"] + ["59"] * 2500),
    "1" * 4300, ".nan", "-.inf", ".inf", "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!!float 1e999",
    "!!int 99999999999999999999999", "!!str 1", "[" * 250 + "]" * 250, "{a: " * 120 + "1" + "}" * 120,
    "\"\\ud800\"", "'\\ud800'", "\"\\U0010FFFF\"", "~", "null", "{1: a, true: b, null: c, 1.5: d}",
    "[[[[]]]]", "'" + "x" * 10000 + "'", "2026-13-45T99:99:99Z", "1.0e+400", "-0", "0o777", "+12_345",
    "9223372036854775808", "-9223372036854775809", "1.7976931348623157e+309", "[.nan, .inf]",
])


@st.composite
def hostile_texts(draw):
    kind = draw(st.sampled_from(["alias", "value", "value", "json", "duplicate"]))
    field = draw(st.sampled_from(sorted(FLINK_FIELDS)))
    if kind == "value":
        return "job.yaml", flink_doc(field, draw(HOSTILE_YAML_VALUES))
    if kind == "alias":  # an anchored collection, and an alias to it inside it or beside it
        inner = draw(st.sampled_from(["*a", "[1, *a]", "{x: *a}", "{x: [{y: *a}]}", "[*a, *a]"]))
        text = flink_doc(field, f"&a {{k: {inner}}}")
        if draw(st.booleans()):  # the alias in another field: fine unless it points into itself
            other = draw(st.sampled_from(sorted(FLINK_FIELDS)))
            text = flink_doc(field, "&a {k: 1}").replace(f": {FLINK_FIELDS[other]}\n", f": {inner}\n", 1) \
                if other != field else text
        return "job.yaml", text
    if kind == "duplicate":
        key = draw(st.sampled_from(["name", "kind", "x"]))
        return "cm.json", ('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"%s": "1", '
                           '"%s": "2"}}' % (key, key))
    value = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "9" * 4400, '"\\ud800"', '"\\udfff x"',
                                  '"\\ud83d\\ude00"', "[" * 300 + "]" * 300, '{"a": ' * 150 + "1" + "}" * 150,
                                  "-0", "1.7976931348623157e309", "9223372036854775808"]))
    return draw(st.sampled_from(["cm.json", "cm.yaml"])), (
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}, "x": %s}' % value)


def _json_stream(text: str) -> list:
    """Every document of a JSON stream, refusing NaN and Infinity as a strict reader would."""
    import json

    def no_constant(name):
        raise AssertionError(f"{name} in JSON output")

    decoder, docs, i = json.JSONDecoder(parse_constant=no_constant), [], 0
    while i < len(text.rstrip()):
        doc, i = decoder.raw_decode(text, i)
        docs.append(doc)
        while i < len(text) and text[i].isspace():
            i += 1
    return docs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                   HealthCheck.function_scoped_fixture])
@given(hostile_texts(), st.sampled_from([["render"], ["render", "-o", "json"], ["render", "--target", "flux"],
                                         ["health"], ["health", "-o", "json"], ["health", "--engine", "flux"]]))
def test_property_hostile_text_is_output_or_one_error_per_line_in_every_command(tmp_path, case, argv):
    name, text = case
    (tmp_path / name).write_text(text, encoding="utf-8")
    code, out, err = run_cli(*argv, str(tmp_path / name))  # an exception escaping main fails the test
    assert code in ((0, 2) if argv[0] == "render" else (0, 1, 2, 3)), err
    if code == 2:
        assert out == "" and err and all(line.startswith(f"flink-gitops {argv[0]}: ") for line in err.splitlines())
    elif "-o" in argv:
        assert _json_stream(out)  # parses, with no NaN or Infinity in it
    else:
        import yaml

        assert list(yaml.load_all(out, Loader=yaml.CSafeLoader)) if argv[0] == "render" else out


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["max-file-size", "max-total-size", "max-total-nodes", "max-objects", "tool-timeout"]),
       st.one_of(st.text(max_size=30), st.integers(min_value=0).map(str), st.from_regex(
           r"[0-9]{1,40}(\.[0-9]{1,5})?(Ki|Mi|Gi|Ti|ms|s|m|h|[0-9]h[0-9]m)?", fullmatch=True)))
def test_property_any_limit_parameter_is_a_limit_or_a_clear_error(name, value):
    from flink_gitops.render.api import collect_params
    from flink_gitops.render.budget import Budget

    try:
        budget = Budget.of(collect_params(None, {}, [f"{name}={value}"], False), {})
    except UserError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        return
    assert budget.file_size <= 16 << 20 and budget.total_size <= 32 << 20 and budget.tool_timeout <= 45
