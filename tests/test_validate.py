"""Validation before sync: the operator's webhook rules, caught at render time.

Each test feeds realistic manifests (tests/fixtures/validate, modelled on the operator's examples)
through ``validate_objects`` exactly as the pipeline does and checks what a user would see: which
rule fires, on which field, and that the message quotes the operator and says how to fix it.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from flink_gitops.errors import Problem
from flink_gitops.flink import Located
from flink_gitops.render.validation.validator import SKIP_ANNOTATION, validate_objects
from flink_gitops.render.validation.registry import RULES

FIXTURES = Path(__file__).parent / "fixtures" / "validate"


def load(name: str) -> list[Located]:
    path = FIXTURES / name
    docs = list(yaml.safe_load_all(path.read_text()))
    return [Located(d, f"{name}", i) for i, d in enumerate(docs, 1) if d]


def docs(name: str) -> list[dict]:
    return [loc.obj for loc in load(name)]


def located(*objs: dict, file: str = "app.yaml") -> list[Located]:
    return [Located(copy.deepcopy(o), file, i) for i, o in enumerate(objs, 1)]


def run(objs, **params):
    if objs and isinstance(objs[0], dict):
        objs = located(*objs)
    return validate_objects(objs, params)


def rules_of(problems: list[Problem]) -> list[tuple[str, str | None]]:
    assert all(p.rule for p in problems), [str(p) for p in problems if not p.rule]
    return [(p.rule, p.field) for p in problems]


def only_error(objs, rule: str, field: str | None = None, **params) -> Problem:
    errors, _ = run(objs, **params)
    assert [r for r, _ in rules_of(errors)] == [rule], [str(e) for e in errors]
    if field is not None:
        assert errors[0].field == field, str(errors[0])
    return errors[0]


def app() -> dict:
    """A valid application-mode FlinkDeployment to break in one place."""
    return copy.deepcopy(docs("valid/orders-pipeline.yaml")[0])


def session_docs() -> list[dict]:
    return copy.deepcopy(docs("valid/reporting-session.yaml"))


# ------------------------------------------------------------------------------------------------
# valid manifests pass


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "valid").glob("*.yaml")))
def test_valid_fixtures_pass_without_errors_or_warnings(name):
    errors, warnings = validate_objects(load(f"valid/{name}"), {})
    assert errors == [] and warnings == []


def test_all_valid_fixtures_together_still_pass():
    objs = [loc for p in sorted((FIXTURES / "valid").glob("*.yaml")) for loc in load(f"valid/{p.name}")]
    assert validate_objects(objs, {"namespace": "default"}) == ([], [])


def test_non_flink_objects_are_ignored_even_when_they_look_broken():
    objs = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": -1}},
            {"apiVersion": "example.com/v1", "kind": "FlinkDeployment", "metadata": {"name": "Not_Ours"}}]
    assert run(objs) == ([], [])


def test_operator_canary_resource_is_not_validated():
    canary = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
              "metadata": {"name": "canary", "labels": {"flink.apache.org/canary": "true"}}}
    assert run([canary]) == ([], [])


# ------------------------------------------------------------------------------------------------
# upgradeMode "stateful" (a mode that never existed)


def test_stateful_upgrade_mode_names_the_modes_that_exist():
    errors, _ = validate_objects(load("invalid/upgrade-mode-stateful.yaml"), {})
    assert rules_of(errors) == [("upgrade-mode", "spec.job.upgradeMode")]
    e = errors[0]
    assert e.file == "invalid/upgrade-mode-stateful.yaml" and e.document == 1
    assert e.obj == "FlinkDeployment risk/fraud-detector"
    assert "'stateful' does not exist" in e.message
    assert "last-state, savepoint, stateless" in e.message
    assert 'Unsupported value: "stateful"' in e.message  # the API server's words for the CRD enum
    assert "last-state" in e.hint
    line = str(e)
    assert line.startswith("invalid/upgrade-mode-stateful.yaml (document 1): FlinkDeployment risk/fraud-detector: "
                           "spec.job.upgradeMode: ")


def test_job_state_must_be_lower_case_enum():
    d = app()
    d["spec"]["job"]["state"] = "RUNNING"
    e = only_error([d], "job-state", "spec.job.state")
    assert "running, suspended" in e.message


# ------------------------------------------------------------------------------------------------
# FlinkDeployment: identity, version, service account


def test_missing_service_account():
    d = app()
    del d["spec"]["serviceAccount"]
    e = only_error([d], "service-account", "spec.serviceAccount")
    assert "spec.serviceAccount must be defined" in e.message
    assert "flink" in e.hint


def test_missing_flink_version():
    d = app()
    del d["spec"]["flinkVersion"]
    e = only_error([d], "flink-version", "spec.flinkVersion")
    assert "Flink Version must be defined." in e.message
    assert "v1_20" in e.hint and "v2_0" in e.hint


def test_unsupported_flink_version_lists_the_supported_ones():
    d = app()
    d["spec"]["flinkVersion"] = "v1_14"
    e = only_error([d], "flink-version", "spec.flinkVersion")
    assert "Flink version v1_14 is not supported by this operator version" in e.message
    assert "v1_15, v1_16, v1_17, v1_18, v1_19, v1_20, v2_0" in e.message


def test_flink_version_written_as_a_yaml_number_gets_the_enum_spelling():
    d = yaml.safe_load(yaml.safe_dump(app()).replace("flinkVersion: v1_20", "flinkVersion: 1.20"))
    assert d["spec"]["flinkVersion"] == 1.2
    e = only_error([d], "flink-version", "spec.flinkVersion")
    assert "write v1_20" in e.message


def test_unknown_flink_version_string():
    d = app()
    d["spec"]["flinkVersion"] = "v3_0"
    e = only_error([d], "flink-version")
    assert "'v3_0' does not exist" in e.message


def test_deprecated_flink_version_is_a_warning_and_strict_makes_it_an_error():
    d = app()
    d["spec"]["flinkVersion"] = "v1_17"
    errors, warnings = run([d])
    assert errors == [] and len(warnings) == 1
    assert "spec.flinkVersion" in warnings[0] and "deprecated" in warnings[0]
    errors, warnings = run([d], **{"validate-strict": "true"})
    assert warnings == [] and rules_of(errors) == [("flink-version", "spec.flinkVersion")]
    assert "validate-strict" in errors[0].message


@pytest.mark.parametrize("name,ok", [
    ("a", True), ("orders-pipeline", True), ("abc-123", True), ("x" * 45, True), ("x" * 46, False),
    ("Orders", False), ("orders_pipeline", False), ("1orders", False), ("orders-", False), ("session-cluster-1.13", False),
])
def test_deployment_name_rules_follow_the_operator_pattern(name, ok):
    d = app()
    d["metadata"]["name"] = name
    errors, _ = run([d])
    if ok:
        assert errors == []
    else:
        assert rules_of(errors) == [("deployment-name", "metadata.name")]
        assert f"The FlinkDeployment name: {name} is invalid" in errors[0].message
        assert re.fullmatch(r"[a-z]([-a-z\d]{0,43}[a-z\d])?", re.search(r"e\.g\. '([^']*)'", errors[0].hint).group(1))


def test_overlong_name_says_how_long_it_is():
    d = app()
    d["metadata"]["name"] = "payments-orders-enrichment-and-fraud-scoring-v2"
    e = only_error([d], "deployment-name")
    assert "47 characters, more than 45" in e.message


def test_api_version_the_crd_does_not_serve():
    d = app()
    d["apiVersion"] = "flink.apache.org/v1alpha1"
    e = only_error([d], "api-version", "apiVersion")
    assert "flink.apache.org/v1beta1" in e.hint


# ------------------------------------------------------------------------------------------------
# flinkConfiguration rules


@pytest.mark.parametrize("conf,key", [
    ({"kubernetes.namespace": "other"}, "kubernetes.namespace"),
    ({"kubernetes": {"cluster-id": "x"}}, "kubernetes.cluster-id"),  # nested YAML is flattened like the operator
    ({"high-availability.cluster-id": "x"}, "high-availability.cluster-id"),
])
def test_forbidden_config_keys(conf, key):
    d = app()
    d["spec"]["flinkConfiguration"].update(conf)
    e = only_error([d], "forbidden-config", f"spec.flinkConfiguration[{key}]")
    assert f"Forbidden Flink config key: {key}" in e.message


def test_checkpoint_dir_needed_for_last_state_and_savepoint_but_not_stateless():
    for mode in ("last-state", "savepoint"):
        d = app()
        del d["spec"]["flinkConfiguration"]["execution.checkpointing.dir"]
        d["spec"]["job"]["upgradeMode"] = mode
        e = only_error([d], "checkpoint-dir", "spec.job.upgradeMode")
        assert "Checkpoint directory[execution.checkpointing.dir] must be defined" in e.message
        assert "assuming the operator's default configuration does not set it" in e.message
        assert "execution.checkpointing.dir" in e.hint
    d = app()
    del d["spec"]["flinkConfiguration"]["execution.checkpointing.dir"]
    d["spec"]["job"]["upgradeMode"] = "stateless"
    assert run([d]) == ([], [])


def test_blank_checkpoint_dir_counts_as_missing():
    d = app()
    d["spec"]["flinkConfiguration"]["execution.checkpointing.dir"] = "  "
    only_error([d], "checkpoint-dir")


def test_missing_state_dirs_point_to_the_operator_configuration_parameter():
    # Platforms often set the state directories once in the operator's defaultConfiguration: the
    # fix must say how to tell the plugin, and stop saying it once the plugin has been told.
    d = app()
    del d["spec"]["flinkConfiguration"]["execution.checkpointing.dir"]
    assumed = only_error([d], "checkpoint-dir")
    assert "validate-operator-config" in assumed.hint and "assuming the operator's default" in assumed.message
    told = only_error([d], "checkpoint-dir", **{"validate-operator-config": "taskmanager.numberOfTaskSlots: 2"})
    assert "validate-operator-config" not in told.hint and "assuming" not in told.message


def test_checkpoint_dir_from_the_operator_default_configuration_parameter():
    d = app()
    del d["spec"]["flinkConfiguration"]["execution.checkpointing.dir"]
    operator = "# operator defaults\nstate.checkpoints.dir: s3://platform/checkpoints\n"
    assert run([d], **{"validate-operator-config": operator}) == ([], [])
    scoped = "kubernetes.operator.default-configuration.namespace.streaming.state.checkpoints.dir: s3://x/cp"
    assert run([d], **{"validate-operator-config": scoped}) == ([], [])
    other_ns = "kubernetes.operator.default-configuration.namespace.batch.state.checkpoints.dir: s3://x/cp"
    only_error([d], "checkpoint-dir", **{"validate-operator-config": other_ns})
    by_version = "kubernetes.operator.default-configuration.flink-version.v1_19+.state.checkpoints.dir: s3://x/cp"
    assert run([d], **{"validate-operator-config": by_version}) == ([], [])
    too_new = "kubernetes.operator.default-configuration.flink-version.v2_0+.state.checkpoints.dir: s3://x/cp"
    only_error([d], "checkpoint-dir", **{"validate-operator-config": too_new})


@pytest.mark.parametrize("change,field,quote", [
    (lambda s: s["job"].update(upgradeMode="savepoint"), "spec.job.upgradeMode",
     "Job could not be upgraded with savepoint while config key[execution.checkpointing.savepoint-dir] is not set"),
    (lambda s: s["job"].update(upgradeMode="last-state", savepointTriggerNonce=7), "spec.job.savepointTriggerNonce",
     "Savepoint could not be manually triggered"),
    (lambda s: (s["job"].update(upgradeMode="last-state"), s["job"].pop("savepointTriggerNonce")),
     "spec.flinkConfiguration[kubernetes.operator.periodic.savepoint.interval]",
     "Periodic savepoints cannot be enabled"),
    (lambda s: (s["job"].update(upgradeMode="last-state"), s["job"].pop("savepointTriggerNonce"),
                s["flinkConfiguration"].pop("kubernetes.operator.periodic.savepoint.interval"),
                s["flinkConfiguration"].update({
                    "kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age": "5 min"})),
     "spec.flinkConfiguration[kubernetes.operator.job.upgrade.last-state.max.allowed.checkpoint.age]",
     "In order to use max-checkpoint age functionality"),
])
def test_savepoint_dir_needed(change, field, quote):
    d = app()
    del d["spec"]["flinkConfiguration"]["execution.checkpointing.savepoint-dir"]
    change(d["spec"])
    e = only_error([d], "savepoint-dir", field)
    assert quote in e.message
    assert "execution.checkpointing.savepoint-dir" in e.hint


def test_savepoint_dir_deprecated_key_is_accepted():
    d = app()
    conf = d["spec"]["flinkConfiguration"]
    conf["state.savepoints.dir"] = conf.pop("execution.checkpointing.savepoint-dir")
    assert run([d]) == ([], [])


def test_standby_jobmanagers_need_high_availability():
    d = app()
    for key in ("high-availability.type", "high-availability.storageDir", "kubernetes.operator.deployment.rollback.enabled"):
        del d["spec"]["flinkConfiguration"][key]
    e = only_error([d], "jm-replicas", "spec.jobManager.replicas")
    assert "High availability should be enabled when starting standby JobManagers." in e.message
    d["spec"]["flinkConfiguration"]["high-availability"] = "zookeeper"  # the deprecated key still counts
    assert run([d]) == ([], [])
    d["spec"]["flinkConfiguration"]["high-availability"] = "NONE"
    only_error([d], "jm-replicas")


def test_rollback_needs_high_availability():
    d = app()
    d["spec"]["jobManager"]["replicas"] = 1
    d["spec"]["flinkConfiguration"]["high-availability.type"] = "none"
    e = only_error([d], "rollback-ha", "spec.flinkConfiguration[kubernetes.operator.deployment.rollback.enabled]")
    assert "HA must be enabled for rollback support." in e.message


def test_jobmanager_replicas_below_one():
    d = app()
    d["spec"]["jobManager"]["replicas"] = 0
    e = only_error([d], "jm-replicas", "spec.jobManager.replicas")
    assert "JobManager replicas should not be configured less than one." in e.message


def test_health_check_needs_deployment_recovery():
    d = app()
    d["spec"]["flinkConfiguration"].update({"kubernetes.operator.cluster.health-check.enabled": True,
                                            "kubernetes.operator.jm-deployment-recovery.enabled": False})
    e = only_error([d], "health-check-recovery")
    assert "Deployment recovery (kubernetes.operator.jm-deployment-recovery.enabled) must be enabled" in e.message


def test_unparseable_boolean_option_is_reported():
    d = app()
    d["spec"]["flinkConfiguration"]["kubernetes.operator.deployment.rollback.enabled"] = "yes please"
    only_error([d], "config-value", "spec.flinkConfiguration[kubernetes.operator.deployment.rollback.enabled]")


# ------------------------------------------------------------------------------------------------
# memory, resources, replicas, parallelism


def test_jobmanager_and_taskmanager_memory_undefined():
    d = app()
    del d["spec"]["jobManager"]["resources"]
    e = only_error([d], "memory", "spec.jobManager.resources.requests.memory")
    assert "`spec.jobManager.resource.memory`" in e.message
    d = app()
    d["spec"]["taskManager"]["resources"] = {"requests": {"cpu": "2"}}
    e = only_error([d], "memory", "spec.taskManager.resources.requests.memory")
    assert "TaskManager resource memory must be defined" in e.message


def test_memory_from_flink_configuration_counts_like_the_operator():
    d = app()
    del d["spec"]["jobManager"]["resources"]
    del d["spec"]["taskManager"]["resources"]
    d["spec"]["flinkConfiguration"]["jobmanager.memory.process.size"] = "1600m"
    d["spec"]["flinkConfiguration"]["taskmanager.memory.task.heap.size"] = "1024m"
    # task heap alone is not enough for the TaskManager (managed memory must be set too)
    only_error([d], "memory", "spec.taskManager")
    d["spec"]["flinkConfiguration"]["taskmanager.memory.managed.size"] = "512m"
    assert run([d]) == ([], [])


def test_limits_only_memory_is_enough():
    d = app()
    d["spec"]["taskManager"]["resources"] = {"limits": {"memory": "4Gi", "cpu": 2}}
    assert run([d]) == ([], [])


@pytest.mark.parametrize("resources,field,text", [
    ({"requests": {"memory": "lots"}}, "spec.taskManager.resources.requests.memory",
     "TaskManager resource requirements requests memory parse error"),
    ({"requests": {"memory": "2Gi", "cpu": "0"}}, "spec.taskManager.resources.requests.cpu", "must be positive"),
    ({"requests": {"memory": "2Gi", "ephemeral-storage": "-5Gi"}},
     "spec.taskManager.resources.requests.ephemeral-storage", "must not be negative"),
    ({"requests": {"memory": "4Gi"}, "limits": {"memory": "2Gi"}}, "spec.taskManager.resources.requests.memory",
     "memory request (4Gi) must not exceed its limit (2Gi)"),
    ({"requests": {"memory": "2Gi", "cpu": "1000m"}, "limits": {"cpu": "500m"}},
     "spec.taskManager.resources.requests.cpu", "cpu request (1000m) must not exceed its limit (500m)"),
])
def test_resource_requirements(resources, field, text):
    d = app()
    d["spec"]["taskManager"]["resources"] = resources
    e = only_error([d], "resources", field)
    assert text in e.message


def test_deprecated_resource_field_parse_errors():
    d = app()
    d["spec"]["jobManager"] = {"replicas": 1, "resource": {"memory": "invalid", "cpu": 1}}
    e = only_error([d], "resources", "spec.jobManager.resource.memory")
    assert "JobManager resource memory parse error" in e.message
    d["spec"]["jobManager"]["resource"] = {"memory": "1Gi", "ephemeralStorage": "abc"}
    only_error([d], "resources", "spec.jobManager.resource.ephemeralStorage")
    d["spec"]["jobManager"]["resource"] = {"memory": "2048"}
    # The webhook lets a number without a unit through (it parses as 2048 bytes); the JobManager cannot start
    # with that, so it is refused here (issue 17).
    e = only_error([d], "memory-size", "spec.jobManager.resource.memory")
    assert e.message.endswith("has no unit: Flink reads it as 2048 bytes; did you mean 2048m?")


def test_parallelism_below_one_or_missing():
    d = app()
    d["spec"]["job"]["parallelism"] = 0
    e = only_error([d], "parallelism", "spec.job.parallelism")
    assert "Job parallelism must be larger than 0" in e.message
    del d["spec"]["job"]["parallelism"]
    e = only_error([d], "parallelism", "spec.job.parallelism")
    assert "missing" in e.message


def test_taskmanager_replicas_take_precedence_over_parallelism():
    d = app()
    d["spec"]["job"]["parallelism"] = 0
    d["spec"]["taskManager"]["replicas"] = 2
    assert run([d]) == ([], [])
    d["spec"]["taskManager"]["replicas"] = 0
    e = only_error([d], "parallelism", "spec.taskManager.replicas")
    assert "TaskManager replicas must be larger than 0" in e.message


def test_session_cluster_taskmanager_replicas_below_one():
    objs = session_docs()
    objs[1]["spec"]["taskManager"]["replicas"] = -1
    e = only_error(objs, "parallelism", "spec.taskManager.replicas")
    assert "TaskManager replicas should not be configured less than one." in e.message


def test_wrong_types_are_schema_errors_not_crashes():
    d = app()
    d["spec"]["job"]["parallelism"] = "8"
    e = only_error([d], "schema", "spec.job.parallelism")
    assert "must be an integer" in e.message
    d = app()
    d["spec"]["flinkConfiguration"] = ["a", "b"]
    errors, _ = run([d])
    assert ("schema", "spec.flinkConfiguration") in rules_of(errors)
    for broken in ({"spec": None}, {"spec": "x"}, {"spec": {"job": 3, "jobManager": [], "taskManager": "x"}}):
        d = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "metadata": {"name": "x"}, **broken}
        errors, _ = run([d])
        assert errors and all(isinstance(e, Problem) for e in errors)


# ------------------------------------------------------------------------------------------------
# ingress and log configuration


def test_ingress_without_template():
    d = app()
    d["spec"]["ingress"] = {"className": "nginx"}
    e = only_error([d], "ingress", "spec.ingress.template")
    assert "Ingress template must be defined" in e.message


def test_ingress_template_with_a_non_numeric_port():
    d = app()
    d["spec"]["ingress"]["template"] = "example.com:port"
    e = only_error([d], "ingress", "spec.ingress.template")
    assert "Unable to process the Ingress template(example.com:port)" in e.message
    d["spec"]["ingress"]["template"] = "{{name}}.{{namespace}}.flink.k8s.io"
    assert run([d]) == ([], [])


def test_log_configuration_keys_the_operator_refuses():
    d = app()
    d["spec"]["logConfiguration"]["log4j.properties"] = "rootLogger.level = INFO"
    e = only_error([d], "log-config", "spec.logConfiguration[log4j.properties]")
    assert "Allowed keys are [log4j-console.properties, logback-console.xml]" in e.message


# ------------------------------------------------------------------------------------------------
# autoscaler


def autoscaled() -> dict:
    return copy.deepcopy(docs("valid/clickstream-autoscaled.yaml")[0])


@pytest.mark.parametrize("key,value,text", [
    ("utilization.target", 1.5, "job.autoscaler.utilization.target is invalid, it should be a value within the range [0.0, 1.0]"),
    ("utilization.max", 0.5, "job.autoscaler.utilization.max is invalid, it should be a value within the range [0.6, 1.0]"),
    ("utilization.min", 0.65, "job.autoscaler.utilization.min is invalid, it should be a value within the range [0.0, 0.6]"),
    ("scale-down.max-factor", -0.1, "within the range [0.0, +Infinity]"),
    ("utilization.target", "high", "Invalid value in the autoscaler config job.autoscaler.utilization.target"),
])
def test_autoscaler_option_ranges(key, value, text):
    d = autoscaled()
    d["spec"]["flinkConfiguration"]["job.autoscaler"][key] = value
    e = only_error([d], "autoscaler", f"spec.flinkConfiguration[job.autoscaler.{key}]")
    assert text in e.message


def test_autoscaler_options_are_ignored_when_the_autoscaler_is_off():
    d = autoscaled()
    d["spec"]["flinkConfiguration"]["job.autoscaler"].update({"enabled": False, "utilization.target": 7,
                                                               "metrics.window": "1 s"})
    assert run([d]) == ([], [])


@pytest.mark.parametrize("periods", ["12:00-10:00", "09:00-25:00", "* * * ? * 2,5555",
                                     "* * * ? * 2,5 && * * 11-13 * * ?", "01:00-02:00 && 03:00-04:00"])
def test_bad_excluded_periods(periods):
    d = autoscaled()
    d["spec"]["flinkConfiguration"]["job.autoscaler"]["excluded.periods"] = periods
    e = only_error([d], "autoscaler", "spec.flinkConfiguration[job.autoscaler.excluded.periods]")
    assert "in the autoscaler config job.autoscaler.excluded.periods" in e.message


def test_metric_window_against_reconcile_interval():
    d = autoscaled()
    d["spec"]["flinkConfiguration"]["job.autoscaler"]["metrics.window"] = "10 s"
    e = only_error([d], "autoscaler", "spec.flinkConfiguration[job.autoscaler.metrics.window]")
    assert "never be applied" in e.message
    # between the Helm chart's 15 s and the built-in 60 s: depends on how the operator was installed
    d["spec"]["flinkConfiguration"]["job.autoscaler"]["metrics.window"] = "30 s"
    errors, warnings = run([d])
    assert errors == [] and len(warnings) == 1 and "metrics.window" in warnings[0]
    errors, warnings = run([d], **{"validate-operator-config": "kubernetes.operator.reconcile.interval: 15 s"})
    assert (errors, warnings) == ([], [])
    errors, _ = run([d], **{"validate-operator-config": "kubernetes.operator.reconcile.interval: 1 min"})
    assert rules_of(errors) == [("autoscaler", "spec.flinkConfiguration[job.autoscaler.metrics.window]")]


# ------------------------------------------------------------------------------------------------
# session jobs


def test_session_job_aimed_at_an_application_cluster():
    objs = session_docs()
    objs[1]["spec"]["job"] = {"jarURI": "local:///opt/flink/usrlib/etl.jar", "parallelism": 1}
    errors, _ = run(objs)
    assert rules_of(errors) == [("session-job", "spec.deploymentName")] * 2
    assert all("Can not submit session job to application cluster" in e.message for e in errors)
    assert [e.obj for e in errors] == ["FlinkSessionJob reporting/daily-revenue", "FlinkSessionJob reporting/churn-features"]


def test_session_job_uses_the_cluster_configuration_for_state_directories():
    objs = session_docs()
    del objs[1]["spec"]["flinkConfiguration"]["state.savepoints.dir"]
    e = only_error(objs, "savepoint-dir", "spec.job.upgradeMode")
    assert e.obj == "FlinkSessionJob reporting/daily-revenue"
    assert "session cluster's or the job's flinkConfiguration" in e.message
    objs[2]["spec"]["flinkConfiguration"] = {"execution.checkpointing.savepoint-dir": "s3://r/sp"}
    assert run(objs) == ([], [])


def test_session_job_without_its_cluster_in_the_stream_skips_cluster_dependent_checks():
    objs = session_docs()
    job = objs[2]
    job["spec"]["job"]["upgradeMode"] = "savepoint"  # the cluster may well configure the directories
    assert run([job]) == ([], [])
    job["spec"]["job"]["parallelism"] = 0
    only_error([job], "parallelism", "spec.job.parallelism")


def test_session_job_without_job_or_deployment_name():
    objs = session_docs()
    job = objs[2]
    del job["spec"]["job"]
    e = only_error([job], "session-job", "spec.job")
    assert "The job spec should not be empty" in e.message
    job = session_docs()[2]
    del job["spec"]["deploymentName"]
    only_error([job], "session-job", "spec.deploymentName")
    job["spec"]["deploymentName"] = "Reporting_Session"
    e = only_error([job], "deployment-name", "spec.deploymentName")
    assert "deploymentName 'Reporting_Session' is invalid" in e.message


@pytest.mark.parametrize("jar,text", [
    ("/opt/flink/usrlib/job.jar", "jarURI must include a scheme"),
    ("s3://bucket/job.jar", "jarURI scheme 's3' is not in the allowlist [https]"),
    ("local:///opt/flink/job.jar", "jarURI scheme 'local' is not in the allowlist"),
    ("https://169.254.169.254/latest/meta-data/job.jar", "resolves to a restricted address"),
    ("https://localhost/job.jar", "resolves to a restricted address"),
    ("https://10.1.2.3/job.jar", "resolves to a restricted address"),
    ("https:///job.jar", "jarURI must include a host for http/https schemes"),
    ("https://example.com/my job.jar", "jarURI is not a valid URI"),
])
def test_session_job_jar_uri(jar, text):
    job = session_docs()[3]
    job["spec"]["job"]["jarURI"] = jar
    e = only_error([job], "jar-uri", "spec.job.jarURI")
    assert text in e.message


def test_jar_uri_allowlist_comes_from_the_operator_configuration():
    job = session_docs()[3]
    job["spec"]["job"]["jarURI"] = "s3://bucket/job.jar"
    operator = "kubernetes.operator.user.artifacts.allowed-schemes: https;s3"
    assert run([job], **{"validate-operator-config": operator}) == ([], [])
    # a CR cannot extend the operator's allowlist (upstream ignores it there too)
    job["spec"]["flinkConfiguration"]["kubernetes.operator.user.artifacts.allowed-schemes"] = "https;s3"
    only_error([job], "jar-uri")
    job["spec"]["job"]["jarURI"] = "https://192.168.1.20/job.jar"
    operator = "kubernetes.operator.user.artifacts.disallow-restricted-hosts: false"
    assert run([job], **{"validate-operator-config": operator}) == ([], [])


def test_application_jar_uri_without_scheme_is_only_a_warning():
    d = app()
    d["spec"]["job"]["jarURI"] = "/opt/flink/usrlib/orders-pipeline.jar"
    errors, warnings = run([d])
    assert errors == [] and len(warnings) == 1
    assert "spec.job.jarURI" in warnings[0] and "local:///opt/flink/usrlib/orders-pipeline.jar" in warnings[0]


# ------------------------------------------------------------------------------------------------
# FlinkStateSnapshot


def test_snapshot_needs_exactly_one_of_savepoint_or_checkpoint():
    snap = session_docs()[6]
    snap["spec"]["savepoint"] = {}
    e = only_error([snap], "snapshot", "spec.checkpoint")
    assert "Exactly one of checkpoint or savepoint configurations has to be set." in e.message
    del snap["spec"]["savepoint"], snap["spec"]["checkpoint"]
    e = only_error([snap], "snapshot", "spec")
    assert "neither a savepoint nor a checkpoint" in e.message


def test_snapshot_needs_a_job_reference_unless_the_savepoint_already_exists():
    snap = session_docs()[4]
    del snap["spec"]["jobReference"]
    e = only_error([snap], "snapshot", "spec.jobReference")
    assert "Job reference must be supplied for this snapshot" in e.message
    snap["spec"]["savepoint"]["alreadyExists"] = True
    snap["spec"]["savepoint"]["path"] = "s3://r/sp/savepoint-1"
    assert run([snap]) == ([], [])


def test_snapshot_job_reference_without_name():
    snap = session_docs()[6]
    del snap["spec"]["jobReference"]["name"]
    e = only_error([snap], "snapshot", "spec.jobReference")
    assert "no name" in e.message


def test_snapshot_reference_of_the_wrong_kind_warns_when_the_other_kind_is_in_the_stream():
    objs = session_docs()
    objs[4]["spec"]["jobReference"]["kind"] = "FlinkDeployment"
    errors, warnings = run(objs)
    assert errors == [] and len(warnings) == 1 and "jobReference.kind: FlinkSessionJob" in warnings[0]
    objs[4]["spec"]["jobReference"]["kind"] = "FlinkJob"
    only_error(objs, "snapshot", "spec.jobReference.kind")


# ------------------------------------------------------------------------------------------------
# identities


def test_two_objects_with_the_same_identity():
    a = load("valid/reporting-session.yaml")
    b = [Located(copy.deepcopy(a[1].obj), "overlay/session.yaml", 1)]
    errors, _ = validate_objects(a + b, {})
    assert rules_of(errors) == [("duplicate-identity", "metadata.name")]
    e = errors[0]
    assert e.file == "overlay/session.yaml" and "valid/reporting-session.yaml (document 2)" in e.message
    assert "namespace 'reporting'" in e.message


def test_identity_uses_group_not_version_and_the_app_namespace_for_unnamespaced_objects():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}
    cm_ns = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "prod"}}
    assert run([cm, cm_ns]) == ([], [])  # app namespace unknown: cannot say
    errors, _ = run([cm, cm_ns], namespace="prod")
    assert rules_of(errors) == [("duplicate-identity", "metadata.name")]
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "settings", "namespace": "prod"}}
    deploy_beta = dict(deploy, apiVersion="apps/v1beta2")
    assert rules_of(run([deploy, deploy_beta])[0]) == [("duplicate-identity", "metadata.name")]
    other_group = dict(deploy, apiVersion="example.com/v1")
    assert run([deploy, other_group]) == ([], [])
    ns1 = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}
    ns2 = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod", "namespace": "ignored"}}
    assert rules_of(run([ns1, ns2])[0]) == [("duplicate-identity", "metadata.name")]


# ------------------------------------------------------------------------------------------------
# opting out, parameters


def test_skip_annotation_all_and_by_rule():
    d = app()
    del d["spec"]["serviceAccount"]
    d["spec"]["flinkVersion"] = "v2_9"  # e.g. a newer operator than this tool knows
    d["metadata"]["annotations"] = {SKIP_ANNOTATION: "flink-version"}
    only_error([d], "service-account")
    d["metadata"]["annotations"] = {SKIP_ANNOTATION: "flink-version, service-account"}
    assert run([d]) == ([], [])
    d["metadata"]["annotations"] = {SKIP_ANNOTATION: "true"}
    assert run([d]) == ([], [])
    d["metadata"]["annotations"] = {SKIP_ANNOTATION: "flink-versoin,service-account"}
    errors, warnings = run([d])
    assert rules_of(errors) == [("flink-version", "spec.flinkVersion")]
    assert len(warnings) == 1 and "flink-versoin" in warnings[0]


def test_skip_annotation_never_hides_duplicates():
    d = app()
    d["metadata"]["annotations"] = {SKIP_ANNOTATION: "true"}
    assert rules_of(run([d, copy.deepcopy(d)])[0]) == [("duplicate-identity", "metadata.name")]


def test_skip_rules_parameter_applies_to_every_object():
    d = app()
    del d["spec"]["serviceAccount"]
    assert run([d, dict(d, metadata={"name": "other", "namespace": "streaming"})],
               **{"validate-skip-rules": "service-account"}) == ([], [])
    assert run([d], **{"validate-skip-rules": ("service-account",)}) == ([], [])
    errors, _ = run([d], **{"validate-skip-rules": "no-such-rule"})
    assert any("unknown rule(s) no-such-rule" in e.message for e in errors)


def test_bad_operator_config_parameter_is_an_error():
    errors, _ = run([app()], **{"validate-operator-config": "state.checkpoints.dir s3://x"})
    assert len(errors) == 1 and "validate-operator-config" in errors[0].message and "line 1" in errors[0].message
    assert run([app()], **{"validate-operator-config": '{"state.checkpoints.dir": "s3://x"}'}) == ([], [])


# ------------------------------------------------------------------------------------------------
# determinism (speed: bench/validate_bench.py, docs/BENCHMARKS.md)


def test_problems_come_in_input_order_and_are_stable():
    broken = []
    for i in range(5):
        d = app()
        d["metadata"]["name"] = f"app-{i}"
        del d["spec"]["serviceAccount"]
        d["spec"]["job"]["upgradeMode"] = "stateful"
        broken.append(d)
    objs = located(*broken)
    first = validate_objects(objs, {})
    assert first == validate_objects(objs, {})
    names = [e.obj for e in first[0]]
    assert names == sorted(names) and len(names) == 10
    assert [r for r, _ in rules_of(first[0])[:2]] == ["upgrade-mode", "service-account"]


# ------------------------------------------------------------------------------------------------
# typos that used to pass validation


def test_misspelled_flink_kind_is_an_error_that_names_the_kind_meant():
    job = session_docs()[2]
    job["kind"] = "FlinkSesionJob"
    e = only_error([job], "kind", "kind")
    assert "did you mean FlinkSessionJob?" in e.message and e.hint == "write kind: FlinkSessionJob"
    d = app()
    d["kind"] = "flinkdeployment"  # equal but for case
    assert "did you mean FlinkDeployment?" in only_error([d], "kind").message
    d["kind"] = "FlinkJob"  # nothing close: the error lists the kinds instead of guessing
    e = only_error([d], "kind")
    assert "did you mean" not in e.message and "FlinkBlueGreenDeployment" in e.hint
    other_group = dict(job, apiVersion="example.com/v1")  # not the operator's group: not ours to judge
    assert run([other_group]) == ([], [])


def test_session_job_one_letter_from_a_session_cluster_in_the_render():
    objs = session_docs()  # objs[1] is the session cluster reporting-session, objs[2] one of its jobs
    objs[2]["spec"]["deploymentName"] = "reporting-sesion"
    e = only_error(objs, "session-job-target", "spec.deploymentName")
    assert "did you mean reporting-session? a session cluster of that name is in app.yaml" in e.message
    assert e.hint.startswith("set deploymentName: reporting-session;")
    for name in ("reporting-sessoin", "reportingsession", "reporting-sessions"):  # swapped, dropped, added
        objs[2]["spec"]["deploymentName"] = name
        only_error(objs, "session-job-target")
    objs[2]["spec"]["deploymentName"] = "reporting-sesion2"  # two edits away: another cluster, not a typo
    assert run(objs) == ([], [])


def test_near_miss_ignores_application_clusters_other_namespaces_and_can_be_skipped():
    objs = session_docs()
    objs[2]["spec"]["deploymentName"] = "reporting-sesion"
    moved = copy.deepcopy(objs)
    moved[1]["metadata"]["namespace"] = "batch"  # the cluster lives elsewhere: the job's own namespace decides
    assert run(moved[1:3]) == ([], [])
    application = copy.deepcopy(objs)
    application[1]["spec"]["job"] = {"jarURI": "local:///opt/flink/usrlib/etl.jar", "parallelism": 1}
    assert run(application[1:3]) == ([], [])  # an application cluster is no target for a session job
    objs[2]["metadata"]["annotations"] = {SKIP_ANNOTATION: "session-job-target"}  # cluster from another app
    assert run(objs[1:3]) == ([], [])


def blue_green(template_spec: dict) -> dict:
    return {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkBlueGreenDeployment",
            "metadata": {"name": "orders", "namespace": "streaming"},
            "spec": {"configuration": {"kubernetes.operator.bluegreen.deployment-deletion.delay": "1 min"},
                     "template": {"spec": template_spec}}}


def test_blue_green_template_is_validated_like_a_flink_deployment():
    template = app()["spec"]
    assert run([blue_green(template)]) == ([], [])
    broken = yaml.safe_load(yaml.safe_dump(template).replace("flinkVersion: v1_20", "flinkVersion: 1.20"))
    broken["job"].update(parallelism=0, upgradeMode="stateful")
    errors, _ = run([blue_green(broken)])
    assert sorted(rules_of(errors)) == [("flink-version", "spec.template.spec.flinkVersion"),
                                        ("parallelism", "spec.template.spec.job.parallelism"),
                                        ("upgrade-mode", "spec.template.spec.job.upgradeMode")]
    assert all(e.obj == "FlinkBlueGreenDeployment streaming/orders" for e in errors)
    assert "write v1_20" in errors[0].message


def test_blue_green_without_template_spec():
    d = blue_green(app()["spec"])
    del d["spec"]["template"]
    only_error([d], "blue-green", "spec.template.spec")
    d["spec"]["template"] = {"metadata": {"labels": {"team": "orders"}}}
    only_error([d], "blue-green", "spec.template.spec")
    d["spec"]["template"] = []
    only_error([d], "schema", "spec.template")


@pytest.mark.parametrize("path,typo,meant", [
    (("job", "upgradeMode"), "savepiont", "savepoint"),
    (("job", "upgradeMode"), "last_state", "last-state"),
    (("job", "state"), "suspend", "suspended"),
    (("mode",), "standlone", "standalone"),
])
def test_enum_typos_get_did_you_mean(path, typo, meant):
    d = app()
    target = d["spec"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = typo
    errors, _ = run([d])
    assert len(errors) == 1 and f"(did you mean {meant}?)" in errors[0].message


def test_a_wrong_word_is_not_mistaken_for_a_typo():
    d = app()
    d["spec"]["job"]["upgradeMode"] = "stateful"  # means last-state; "stateless" would be the wrong advice
    e = only_error([d], "upgrade-mode")
    assert "did you mean" not in e.message and "last-state" in e.hint


@pytest.mark.parametrize("typo, meant", [("savepiont", "savepoint"), ("Last-State", "last-state")])
def test_an_upgrade_mode_typo_gets_the_mode_it_meant_as_the_fix_not_the_stateful_lecture(typo, meant):
    d = app()
    d["spec"]["job"]["upgradeMode"] = typo
    e = only_error([d], "upgrade-mode")
    assert e.hint == f"write upgradeMode: {meant}" and "stateful" not in str(e)
