"""Validation follows the operator release in parameter ``operator-version``: the same manifest, another release,
another (exact) outcome. Each change a release brought (``operator_releases.CHANGES``, the table in
docs/compatibility.md) names the test here that shows it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

from flink_gitops.flink import Located
from flink_gitops.render.validation import operator_releases as releases
from flink_gitops.render.validation.examples import flink_deployment, flink_session_job
from flink_gitops.render.validation.registry import RULES
from flink_gitops.render.validation.validator import validate_objects

FD = "app.yaml (document 1): FlinkDeployment streaming/orders: "
FIX_VERSION = "or set parameter operator-version to the operator release you run"


def rules_of(errors: list[str]) -> list[str]:
    """The rule id of each line: `` [id]`` before the fix (a fix may hold brackets of its own)."""
    return [re.search(r" \[([a-z][a-z-]*)\](?: \(fix: |$)", e).group(1) for e in errors]


def lines(text: str, release: str) -> tuple[list[str], list[str]]:
    objs = [Located(d, "app.yaml", i) for i, d in enumerate(yaml.safe_load_all(text), 1) if d is not None]
    errors, warnings = validate_objects(objs, {"operator-version": release})
    return [str(e) for e in errors], warnings


def test_the_default_is_the_newest_release():
    objs = [Located(yaml.safe_load(flink_deployment(flink_version="v2_4")), "app.yaml", 1)]
    assert validate_objects(objs, {}) == ([], []) == validate_objects(objs, {"operator-version": releases.NEWEST})
    assert lines(flink_deployment(flink_version="v2_4"), "1.14")[0]  # and it is not what an older release says


@pytest.mark.parametrize("rule_id", [r for r in RULES if RULES[r].since])
def test_rules_newer_than_the_release_are_not_applied(rule_id):
    rule = RULES[rule_id]
    older = releases.RELEASES[releases.RELEASES.index(rule.since) - 1]
    assert lines(rule.example.replace("example.yaml", "app.yaml"), rule.since)[0]  # applied from its release on
    errors, _ = lines(rule.example, older)
    assert not any(f"[{rule_id}]" in e for e in errors)


def test_a_session_job_jar_uri_is_checked_from_operator_1_15():
    job = flink_session_job(jar="s3://jobs/daily-revenue.jar")
    assert lines(job, "1.14") == ([], [])
    assert lines(job, "1.15")[0] == [
        "app.yaml (document 1): FlinkSessionJob reporting/daily-revenue: spec.job.jarURI: jarURI scheme 's3' is not "
        "allowed (allowed: https, the operator's default) (operator: \"jarURI scheme 's3' is not in the allowlist "
        "[https]. Configure 'kubernetes.operator.user.artifacts.allowed-schemes' to extend the allowlist.\") "
        "[jar-uri] (fix: serve the jar over https, or extend kubernetes.operator.user.artifacts.allowed-schemes in "
        "the operator's configuration (and pass it in parameter validate-operator-config))"]


def test_resource_requirements_need_operator_1_16():
    manifest = flink_deployment(task_manager="{resources: {requests: {memory: 2Gi, cpu: 1}}}")
    assert lines(manifest, "1.16") == ([], [])
    assert lines(manifest, "1.15") == ([
        FD + "spec.taskManager.resources: operator 1.15 has no taskManager.resources (Kubernetes resource "
             "requirements, from operator 1.16): its CRD does not declare the field, so the API server refuses or "
             "drops it (operator: \"the CRDs of that operator release do not declare it\") [operator-version] (fix: "
             f"use taskManager.resource (memory, cpu, ephemeralStorage), {FIX_VERSION})",
        # What the operator then says: before 1.16 only resource.memory (or the configuration) defines memory.
        FD + "spec.taskManager.resource.memory: TaskManager memory is not defined (operator: \"TaskManager resource "
             "memory must be defined using `spec.taskManager.resource.memory`\") [memory] (fix: set "
             "spec.taskManager.resource.memory (e.g. 2048m) or taskmanager.memory.process.size)",
    ], [])
    # A request above its limit is validateResourceRequirements' (1.16); 1.15 does not read the field at all.
    over = flink_deployment(task_manager="{resource: {memory: 2048m}, resources: {requests: {cpu: 4}, "
                                         "limits: {cpu: 2}}}")
    assert rules_of(lines(over, "1.16")[0]) == ["resources"]
    assert rules_of(lines(over, "1.15")[0]) == ["operator-version"]


def test_flink_configuration_types_follow_the_release():
    manifest = flink_deployment(spec="flinkConfiguration: {taskmanager.numberOfTaskSlots: 2, "
                                     "execution: {checkpointing: {interval: 10s}}, state.backend.type: rocksdb}")
    assert lines(manifest, "1.13") == ([], [])
    before = "operator 1.12's CRD declares flinkConfiguration a map of strings (nested YAML and other types from " \
             "operator 1.13)"
    assert lines(manifest, "1.12") == ([
        FD + f"spec.flinkConfiguration[taskmanager.numberOfTaskSlots]: an integer 2 is not a string: {before} "
             "(operator: \"spec.flinkConfiguration.taskmanager.numberOfTaskSlots in body must be of type string\") "
             f"[operator-version] (fix: quote it: taskmanager.numberOfTaskSlots: \"2\", {FIX_VERSION})",
        FD + f"spec.flinkConfiguration[execution]: a nested mapping is not a string: {before} (operator: "
             "\"spec.flinkConfiguration.execution in body must be of type string\") [operator-version] (fix: write "
             f"its keys flat and quoted, e.g. execution.checkpointing.interval: \"10s\", {FIX_VERSION})",
    ], [])
    # Session jobs have the same CRD field.
    job = flink_session_job(job="parallelism: 1").replace("spec:\n", "spec:\n  flinkConfiguration: {a: [x, y]}\n")
    assert lines(job, "1.13") == ([], [])
    assert lines(job, "1.11")[0] == [
        "app.yaml (document 1): FlinkSessionJob reporting/daily-revenue: spec.flinkConfiguration[a]: a list ['x', "
        "'y'] is not a string: operator 1.11's CRD declares flinkConfiguration a map of strings (nested YAML and "
        "other types from operator 1.13) (operator: \"spec.flinkConfiguration.a in body must be of type string\") "
        f"[operator-version] (fix: quote it: a: \"x;y\", {FIX_VERSION})"]


def test_flink_versions_follow_the_release():
    v2_3 = flink_deployment(flink_version="v2_3")
    assert lines(v2_3, "1.15") == ([], [])
    assert lines(v2_3, "1.14") == ([
        FD + "spec.flinkVersion: flinkVersion v2_3 does not exist in operator 1.14 (added in 1.15); supported: v1_15, "
             "v1_16, v1_17, v1_18, v1_19, v1_20, v2_0, v2_1, v2_2 (operator: \"Unsupported value: \"v2_3\": supported "
             "values: \"v1_13\", \"v1_14\", \"v1_15\", \"v1_16\", \"v1_17\", \"v1_18\", \"v1_19\", \"v1_20\", "
             "\"v2_0\", \"v2_1\", \"v2_2\"\") [flink-version] (fix: use a Flink that operator 1.14 supports, one of "
             "v1_15, v1_16, v1_17, v1_18, v1_19, v1_20, v2_0, v2_1, v2_2; or upgrade the operator to 1.15 or later "
             "(and set parameter operator-version))"], [])
    assert "does not exist in operator 1.12 (added in 1.13)" in lines(flink_deployment(flink_version="v2_1"),
                                                                      "1.12")[0][0]
    # v1_17 is deprecated from 1.13 on; the operator logs it from 1.16 on (before, only the enum says so).
    v1_17 = flink_deployment(flink_version="v1_17")
    assert lines(v1_17, "1.12") == ([], [])
    assert lines(v1_17, "1.13") == ([], [
        FD + "spec.flinkVersion: flinkVersion v1_17 is deprecated (operator: \"@Deprecated v1_17\") [flink-version] "
             "(fix: plan an upgrade to one of v1_19, v1_20, v2_0, v2_1, v2_2)"])
    assert lines(v1_17, "1.16")[1] == [
        FD + "spec.flinkVersion: flinkVersion v1_17 is deprecated (operator: \"Flink version v1_17 is deprecated and "
             "may be removed in a future operator release. Plan to upgrade to a non-deprecated version.\") "
             "[flink-version] (fix: plan an upgrade to one of v1_19, v1_20, v2_0, v2_1, v2_2, v2_3, v2_4)"]


def test_blue_green_needs_operator_1_14():
    manifest = ("apiVersion: flink.apache.org/v1beta1\nkind: FlinkBlueGreenDeployment\n"
                "metadata: {name: orders, namespace: streaming}\nspec: {}\n")
    assert rules_of(lines(manifest, "1.14")[0]) == ["blue-green"]
    assert lines(manifest, "1.13") == ([
        "app.yaml (document 1): FlinkBlueGreenDeployment streaming/orders: kind: kind FlinkBlueGreenDeployment "
        "exists from operator 1.14 on; operator 1.13 has no CRD for it (operator: \"no matches for kind "
        "\"FlinkBlueGreenDeployment\" in version \"flink.apache.org/v1beta1\"\") [operator-version] (fix: upgrade the "
        f"operator to 1.14 or later and the CRDs with it, {FIX_VERSION})"], [])
    # An unknown kind names only the kinds that release defines.
    typo = manifest.replace("FlinkBlueGreenDeployment", "FlinkSesionJob")
    assert "the operator defines only FlinkDeployment, FlinkSessionJob, FlinkStateSnapshot, and" in \
        lines(typo, "1.13")[0][0]


def autoscaler(options: str) -> str:
    return flink_deployment(spec=f'flinkConfiguration: {{job.autoscaler.enabled: "true", {options}}}')




def test_autoscaler_checks_follow_the_release():
    # coefficient-min without observed scalability on: not checked (1.11), always checked (1.12-1.15), only with
    # the feature on (1.16).
    coefficient = autoscaler('job.autoscaler.observed-scalability.coefficient-min: "0.001"')
    assert {r: rules_of(lines(coefficient, r)[0]) for r in releases.RELEASES} == {
        "1.11": [], "1.12": ["autoscaler"], "1.13": ["autoscaler"], "1.14": ["autoscaler"], "1.15": ["autoscaler"],
        "1.16": []}
    on = coefficient.replace('"true",', '"true", job.autoscaler.observed-scalability.enabled: "true",')
    assert rules_of(lines(on, "1.16")[0]) == ["autoscaler"]
    # The GC-pressure threshold and the metric window are 1.16's checks.
    gc = autoscaler('job.autoscaler.memory.gc-pressure.threshold: "2"')
    window = autoscaler('job.autoscaler.metrics.window: "5 s"')
    for manifest in (gc, window):
        assert lines(manifest, "1.15") == ([], [])
        assert rules_of(lines(manifest, "1.16")[0]) == ["autoscaler"]
    # utilization.target above 1 is refused by every release validation knows.
    target = autoscaler('job.autoscaler.utilization.target: "1.5"')
    assert all(rules_of(lines(target, r)[0]) == ["autoscaler"] for r in releases.RELEASES)


def test_every_release_change_names_a_test_that_exists_here():
    here = sys.modules[__name__]
    assert releases.CHANGES
    for change in releases.CHANGES:
        assert change.since in releases.RELEASES[1:], change
        assert callable(getattr(here, change.test, None)), change.test


def test_a_release_validation_does_not_know_is_a_parameter_error():
    from flink_gitops.errors import UserError
    from flink_gitops.render.api import collect_params

    with pytest.raises(UserError) as err:
        collect_params(None, {}, ["operator-version=1.10"], False)
    assert str(err.value) == ("--param: parameter 'operator-version' must be one of 1.11, 1.12, 1.13, 1.14, 1.15, "
                              "1.16; got '1.10'")


def render(app, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flink_gitops", "render", ".", *args], cwd=app, capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "HOME": str(app), **(env or {})})


def test_render_applies_the_release_given_on_the_command_line_or_by_argo_cd(tmp_path):
    (tmp_path / "orders.yaml").write_text(flink_deployment(task_manager="{resources: {requests: {memory: 2Gi}}}"))
    newest = render(tmp_path)
    assert newest.returncode == 0, newest.stderr
    assert yaml.safe_load(newest.stdout)["spec"]["taskManager"] == {"resources": {"requests": {"memory": "2Gi"}}}
    for older in (render(tmp_path, "--param", "operator-version=1.15"),
                  render(tmp_path, env={"ARGOCD_APP_PARAMETERS": json.dumps(
                      [{"name": "operator-version", "string": "1.15"}])})):
        assert older.returncode == 2 and older.stdout == ""
        assert rules_of(older.stderr.splitlines()) == [
            "operator-version", "memory"]
        assert older.stderr.startswith("flink-gitops render: error: orders.yaml (document 1): FlinkDeployment "
                                       "streaming/orders: spec.taskManager.resources: operator 1.15 has no "
                                       "taskManager.resources")


def test_the_bundled_example_is_written_for_the_newest_release(repo):
    newest = subprocess.run([sys.executable, "-m", "flink_gitops", "render", str(repo / "examples" / "app")],
                            capture_output=True, text=True, timeout=60)
    assert newest.returncode == 0, newest.stderr
    older = subprocess.run([sys.executable, "-m", "flink_gitops", "render", str(repo / "examples" / "app"), "-p",
                            "operator-version=1.15"], capture_output=True, text=True, timeout=60)
    assert older.returncode == 2 and older.stdout == ""
    errors = [line for line in older.stderr.splitlines() if ": error: " in line]
    # Each resource-requirements field is named, and the memory it no longer defines.
    assert set(rules_of(errors)) == {"operator-version", "memory"} and len(errors) >= 4
    assert all("resources" in e for e in errors if e.endswith(f"{FIX_VERSION})"))
