"""log4j: the ConfigMap strategy with hot reload, or everything inline."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from flink_gitops.errors import UserError
from flink_gitops.flink import Located
from flink_gitops.render import params as P
from flink_gitops.render.context import RenderContext
from flink_gitops.render.log4j import check_log4j, check_log_configuration, parse_properties
from flink_gitops.render.sources import load_directory

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "app"
GOOD = "monitorInterval=30\nrootLogger.level=INFO\nlogger.app.name=com.example\nlogger.app.level=DEBUG\n"


def ctx(**params) -> RenderContext:
    return RenderContext(params={**P.defaults(), **params}, app_dir=None, repo_root=None)


def fd(name="job", annotations=None, log=None) -> dict:
    obj = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
           "metadata": {"name": name}, "spec": {"flinkVersion": "v1_20"}}
    if annotations:
        obj["metadata"]["annotations"] = annotations
    if log is not None:
        obj["spec"]["logConfiguration"] = log
    return obj


def cm(name="flink-config-job", data=None) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": data if data is not None else {"log4j-console.properties": GOOD}}


def locs(*objs) -> list[Located]:
    return [Located(o, "app.yaml", i + 1) for i, o in enumerate(objs)]


def test_properties_are_read_as_java_reads_them():
    text = ("# comment\n! also a comment\n  key.one = value one  \nkey.two:value\nkey.three value\n"
            "multi = first \\\n        second\nescaped\\=key = a\\tb\\u0041\nempty.key\n")
    entries, errors = parse_properties(text)
    assert errors == []
    assert [(k, v) for _, k, v in entries] == [
        ("key.one", "value one  "), ("key.two", "value"), ("key.three", "value"),
        ("multi", "first second"), ("escaped=key", "a\tbA"), ("empty.key", "")]
    assert [n for n, _, _ in entries] == [3, 4, 5, 6, 8, 9]


def test_log4j_checks():
    problems, props = check_log4j(GOOD)
    assert problems == [] and props["monitorInterval"] == "30"
    assert check_log4j("rootLogger = INFO, console\n")[0] == []  # the shorthand
    assert check_log4j("rootLogger.level = ${sys:root.level}\n")[0] == []  # lookups are resolved at runtime
    assert "is not one of" in check_log4j("rootLogger = LOUD, console\n")[0][0][1]
    assert "not a number of seconds" in check_log4j("monitorInterval = 30s\n")[0][0][1]
    assert "holds XML" in check_log4j("<Configuration><Loggers/></Configuration>")[0][0][1]


def test_example_app_passes_without_warnings():
    c = ctx()
    objs = load_directory(str(EXAMPLE), c)
    assert check_log_configuration(objs, c) == objs
    assert c.warnings == []


def test_missing_monitor_interval_warns_about_hot_reload():
    c = ctx()
    check_log_configuration(locs(fd(), cm(data={"log4j-console.properties": "rootLogger.level=INFO\n"})), c)
    assert len(c.warnings) == 1
    assert "ConfigMap flink-config-job: data[log4j-console.properties]: no monitorInterval" in c.warnings[0]
    assert "(fix: add monitorInterval=30)" in c.warnings[0]


def test_stakater_reloader_with_hot_reload_says_choose_one():
    c = ctx()
    ann = {"configmap.reloader.stakater.com/reload": "other, flink-config-job"}
    check_log_configuration(locs(fd(annotations=ann), cm()), c)
    assert len(c.warnings) == 1
    assert "FlinkDeployment job: metadata.annotations: Stakater Reloader annotation " \
           "configmap.reloader.stakater.com/reload restarts the Flink pods on every change of flink-config-job, " \
           "which defeats log4j hot reload (monitorInterval): choose one" in c.warnings[0]


def test_reloader_auto_in_pod_template_counts_too():
    c = ctx()
    dep = fd()
    dep["spec"]["podTemplate"] = {"metadata": {"annotations": {"reloader.stakater.com/auto": "true"}}}
    check_log_configuration(locs(dep, cm(data={"log4j-console.properties": "rootLogger.level=INFO\n"})), c)
    # Restarts chosen over hot reload: the restart warning, not the missing-monitorInterval one.
    assert len(c.warnings) == 1 and "reloader.stakater.com/auto restarts the Flink pods" in c.warnings[0]
    assert "choose one" not in c.warnings[0]


def test_flink_configuration_in_the_configmap_warns_of_the_fight():
    c = ctx()
    data = {"log4j-console.properties": GOOD, "config.yaml": "taskmanager.numberOfTaskSlots: 2\n"}
    check_log_configuration(locs(fd(), cm(data=data)), c)
    assert c.warnings == ["app.yaml (document 2): ConfigMap flink-config-job: data[config.yaml]: the operator writes "
                          "the Flink configuration into this key at every deployment, so Argo CD and the operator "
                          "would overwrite each other (fix: keep only log configuration in this ConfigMap; put Flink "
                          "options in spec.flinkConfiguration)"]


def test_log_configuration_in_both_places_warns_of_the_fight():
    c = ctx()
    check_log_configuration(locs(fd(log={"log4j-console.properties": GOOD}), cm()), c)
    assert any("the operator writes the former into the latter" in w for w in c.warnings)


def test_inline_log_configuration_is_checked_too():
    with pytest.raises(UserError, match=r"app.yaml \(document 1\): FlinkDeployment job: "
                                        r"spec.logConfiguration\[log4j-console.properties\]: line 1: "):
        check_log_configuration(locs(fd(log={"log4j-console.properties": "rootLogger.level=NOISY\n"})), ctx())


def test_logback_xml_must_be_well_formed():
    with pytest.raises(UserError, match="not well-formed XML"):
        check_log_configuration(locs(fd(), cm(data={"logback-console.xml": "<configuration><root>"})), ctx())
    c = ctx()
    check_log_configuration(locs(fd(), cm(data={"logback-console.xml": "<configuration scan='true'/>"})), c)
    assert c.warnings == []


def test_inline_strategy_moves_the_configmap_into_the_deployment():
    objs = locs(fd(), cm(), {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "flink"}})
    before = copy.deepcopy([l.obj for l in objs])
    c = ctx(**{"log4j-strategy": "inline"})
    out = check_log_configuration(objs, c)
    assert [l.obj["kind"] for l in out] == ["FlinkDeployment", "ServiceAccount"]
    assert out[0].obj["spec"]["logConfiguration"] == {"log4j-console.properties": GOOD}
    assert [l.obj for l in objs] == before  # input untouched
    assert any("moved into FlinkDeployment job spec.logConfiguration" in n for n in c.notes)
    # Inline, the operator owns the ConfigMap: no hot-reload advice.
    assert c.warnings == []
    # And doing it again changes nothing.
    assert check_log_configuration(out, ctx(**{"log4j-strategy": "inline"})) == out


def test_inline_strategy_refuses_to_drop_other_keys():
    data = {"log4j-console.properties": GOOD, "config.yaml": "taskmanager.numberOfTaskSlots: 2\n"}
    with pytest.raises(UserError, match=r"ConfigMap flink-config-job: data: log4j-strategy=inline cannot drop "
                                        r"this ConfigMap: it also holds config.yaml"):
        check_log_configuration(locs(fd(), cm(data=data)), ctx(**{"log4j-strategy": "inline"}))


def test_inline_strategy_refuses_two_different_contents():
    with pytest.raises(UserError, match="differs from log4j-console.properties in ConfigMap flink-config-job"):
        check_log_configuration(locs(fd(log={"log4j-console.properties": "rootLogger.level=WARN\n"}), cm()),
                                ctx(**{"log4j-strategy": "inline"}))


def test_configmap_of_a_deployment_elsewhere_is_checked_but_kept():
    c = ctx(**{"log4j-strategy": "inline"})
    out = check_log_configuration(locs(cm("flink-config-other")), c)
    assert len(out) == 1 and any("no FlinkDeployment other in this app" in n for n in c.notes)
