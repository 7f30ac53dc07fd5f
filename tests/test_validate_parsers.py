"""The parsers behind validation: Flink sizes and durations, Kubernetes quantities, flinkConfiguration
flattening and defaults, the autoscaler's excluded periods. Values a user writes in manifests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation.periods import cron_ok, excluded_period_error
from flink_gitops.render.validation.quantities import (
    flink_duration,
    flink_memory_size,
    k8s_quantity,
    resource_memory_bytes,
)


@pytest.mark.parametrize("text,expected", [
    ("2048m", 2048 << 20), ("2 gb", 2 << 30), ("100", 100), ("1G", 1 << 30), ("512 KiBiBytes", 512 << 10),
])
def test_flink_memory_sizes(text, expected):
    assert flink_memory_size(text) == expected


@pytest.mark.parametrize("text", ["", "g", "1.5g", "2Gi", "-1m", "99999999999999999999t"])
def test_flink_memory_size_refuses(text):
    with pytest.raises(ValueError):
        flink_memory_size(text)


def test_resource_memory_reads_flink_syntax_first_then_kubernetes():
    assert resource_memory_bytes("2G") == Decimal(2 << 30)  # Flink's "g" is GiB, as in the operator
    assert resource_memory_bytes("2Gi") == Decimal(2 << 30)
    assert resource_memory_bytes("1.5Gi") == Decimal(3 << 29)
    assert resource_memory_bytes("2gib") == Decimal(2 << 30)
    with pytest.raises(ValueError, match="neither a Flink memory size"):
        resource_memory_bytes("lots")


@pytest.mark.parametrize("text,expected", [
    ("500m", Decimal("0.5")), ("2", Decimal(2)), ("1e3", Decimal(1000)), ("1.5Gi", Decimal(3 << 29)),
    ("-5Gi", Decimal(-5 << 30)), (".5", Decimal("0.5")), (4, Decimal(4)),
])
def test_kubernetes_quantities(text, expected):
    assert k8s_quantity(text) == expected


@pytest.mark.parametrize("text", ["abc", "1GB", "2 Gi", "1KI", "", True])
def test_kubernetes_quantity_refuses(text):
    with pytest.raises(ValueError):
        k8s_quantity(text)


@pytest.mark.parametrize("text,seconds", [
    ("30 s", 30), ("5min", 300), ("1h", 3600), ("500", 0.5), ("2 d", 172800), ("PT15M", 900), ("10m", 600),
])
def test_flink_durations(text, seconds):
    assert flink_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "fast", "1 fortnight", "1.5s"])
def test_flink_duration_refuses(text):
    with pytest.raises(ValueError):
        flink_duration(text)


def test_flatten_like_the_operator():
    nested = {"state": {"checkpoints.dir": "s3://cp"}, "high-availability": {"type": "kubernetes"},
              "taskmanager.numberOfTaskSlots": 2, "job.autoscaler": {"enabled": True, "excluded.periods": ["a", "b"]},
              "dropped": None}
    assert fc.flatten(nested) == {
        "state.checkpoints.dir": "s3://cp", "high-availability.type": "kubernetes",
        "taskmanager.numberOfTaskSlots": "2", "job.autoscaler.enabled": "true",
        "job.autoscaler.excluded.periods": "a;b",
    }


def test_default_config_scoping_by_namespace_and_version():
    base = fc.parse_operator_config(
        "a: base\n"
        "kubernetes.operator.default-configuration.namespace.prod.a: prod\n"
        "kubernetes.operator.default-configuration.flink-version.v1_18+.b: from-1.18+\n"
        "kubernetes.operator.default-configuration.flink-version.v1_20+.b: from-1.20+\n"
        "kubernetes.operator.default-configuration.flink-version.v1_19.c: exactly-1.19\n")
    assert fc.default_config(base, "prod", "v1_19")["a"] == "prod"
    assert fc.default_config(base, "dev", "v1_19")["a"] == "base"
    assert fc.default_config(base, "dev", "v1_19")["b"] == "from-1.18+"
    assert fc.default_config(base, "dev", "v2_0")["b"] == "from-1.20+"  # newer '+' prefixes win
    assert fc.default_config(base, "dev", "v1_19")["c"] == "exactly-1.19"
    assert "c" not in fc.default_config(base, "dev", "v1_20")


def test_operator_config_lines():
    assert fc.parse_operator_config('x.y: "quoted"\n# comment\n\nurl: s3://b/p\nempty:') == {
        "x.y": "quoted", "url": "s3://b/p", "empty": ""}
    with pytest.raises(ValueError, match="line 2"):
        fc.parse_operator_config("ok: 1\nnot a pair")


@pytest.mark.parametrize("text, message", [
    ('{"state.checkpoints.dir": "s3://a", "state.checkpoints.dir": "s3://b"}',
     "not a JSON object: duplicate key 'state.checkpoints.dir'"),  # one of them would be dropped in silence
    ('{"taskmanager.memory.fraction": NaN}', "not a JSON object: NaN is not a JSON number"),
    ('{"a": ' + "9" * 5000 + "}", "not a JSON object: Exceeds the limit (4300 digits)"),
])
def test_operator_config_as_json_is_read_as_the_loader_reads_json(text, message):
    with pytest.raises(ValueError) as err:
        fc.parse_operator_config(text)
    assert str(err.value).startswith(message)


def test_operator_config_nested_yaml_is_read_as_config_yaml():
    assert fc.parse_operator_config("# config.yaml\nexecution:\n  checkpointing:\n    dir: s3://b/c\n"
                                    "ha.type: kubernetes\n") == {"execution.checkpointing.dir": "s3://b/c",
                                                                   "ha.type": "kubernetes"}
    with pytest.raises(ValueError, match="not one YAML mapping"):
        fc.parse_operator_config("- a\n- b: c\n  d: e\n")


@pytest.mark.parametrize("expr,ok", [
    ("* * 9-17 ? * MON-FRI", True), ("0 0/15 * * * ?", True), ("0 0 12 L * ?", True), ("0 0 12 ? * 6#3", True),
    ("0 0 12 ? JAN-MAR 2,5 2030", True), ("* * * * * *", False), ("* * * ? * ?", False), ("* * 24 ? * *", False),
    ("* * * ? * 2,5555", False), ("0 0 12 * *", False), ("0 0 12 ? * MON/0", False),
])
def test_quartz_cron(expr, ok):
    assert cron_ok(expr) is ok


@pytest.mark.parametrize("expr,valid", [
    ("09:13:17-11:15:18", True), ("09:13:17-08:15:18", False), ("09:13:17-25:15:18", False),
    ("* * * ? * 2,5 && 14:01:20-16:00:00", True), ("* * * ? * 2,5 && 18:01:20-16:00:00", False),
    ("* * * ? * 2,5 && * * 11-13 * * ?", False), ("09:00-10:00 && 11:00-12:00", False),
    ("a && b && c", False),
])
def test_excluded_periods_like_the_autoscaler_tests(expr, valid):
    assert (excluded_period_error(expr, "job.autoscaler.excluded.periods") is None) is valid


# ConfigObjectNode.asFlatMap (flink-kubernetes-operator-api): the operator's own flattening of
# spec.flinkConfiguration, which FlinkConfigBuilder and FlinkConfigManager lay over the defaults.
# Its test reads "a: 1\nb:\n c: [1,2]" as {"a": "1", "b.c": "1;2"}; lists are joined with ";",
# Flink's separator for list options such as kubernetes.secrets.
@pytest.mark.parametrize("conf,expected", [
    ({"a": 1, "b": {"c": [1, 2]}}, {"a": "1", "b.c": "1;2"}),
    ({"a": 1, "b": {"c": ["1", "2"]}}, {"a": "1", "b.c": "1;2"}),
    ({"kubernetes.secrets": ["s3-creds:/opt/s3", "tls:/opt/tls"]}, {"kubernetes.secrets": "s3-creds:/opt/s3;tls:/opt/tls"}),
    ({"job.autoscaler": {"enabled": True, "utilization.target": 0.7}},
     {"job.autoscaler.enabled": "true", "job.autoscaler.utilization.target": "0.7"}),
    ({"kubernetes.jobmanager.tolerations": []}, {}),  # an empty array puts nothing (the loop never runs)
    ({"x": [{"k": "v"}, "b", None]}, {"x": ";b;null"}),  # asText: "" for a container, "null" for null
])
def test_flink_configuration_is_flattened_like_the_operators_asflatmap(conf, expected):
    from flink_gitops.render.objects import flink_configuration

    assert fc.flatten(conf) == expected
    # the render steps read the same flattening (one flattener in the product)
    assert flink_configuration({"flinkConfiguration": conf}) == expected
