"""FlinkDeployment options the operator refuses (``DefaultValidator.validateFlinkConfig``, ``validateIngress``,
``validateLogConfig``): keys it owns, rollback and health check without what they need, ingress, log files."""

from __future__ import annotations

import re

from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation.flinkconf import Conf
from flink_gitops.render.validation.examples import flink_deployment
from flink_gitops.render.validation.registry import DEFAULT_VALIDATOR, register
from flink_gitops.render.validation.rules.common import (
    REGISTERED,
    Report,
    Settings,
    bool_option,
    conf_field,
    mapping_at,
    string_at,
)

LOG_CONF_KEYS = ("log4j-console.properties", "logback-console.xml")

register(
    "forbidden-config", "flinkConfiguration sets a key the operator owns",
    operator="Forbidden Flink config key: ...",
    source=DEFAULT_VALIDATOR,
    fix="remove the key: the operator sets it from the resource's namespace and name.",
    details="`kubernetes.namespace`, `kubernetes.cluster-id` or `high-availability.cluster-id` in "
            "`flinkConfiguration` (flat or nested YAML). Operator: *\"Forbidden Flink config key: …\"* — it sets "
            "them from the resource's namespace and name.",
    example=flink_deployment(spec="flinkConfiguration: {kubernetes.cluster-id: orders-v2}"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: "
             "spec.flinkConfiguration[kubernetes.cluster-id]: kubernetes.cluster-id is set by the operator from the "
             "resource (namespace and name); it cannot be overridden (operator: \"Forbidden Flink config key: "
             "kubernetes.cluster-id\") [forbidden-config] (fix: remove kubernetes.cluster-id from flinkConfiguration)")
register(
    "rollback-ha", "deployment rollback enabled without high availability",
    operator="HA must be enabled for rollback support.",
    source=DEFAULT_VALIDATOR,
    fix="`high-availability.type: kubernetes` plus `high-availability.storageDir`, or disable rollback.",
    details="`kubernetes.operator.deployment.rollback.enabled: true` while high availability is off "
            "(`high-availability.type`, or the deprecated `high-availability`, unset or `NONE`). Operator: *\"HA "
            "must be enabled for rollback support.\"*",
    example=flink_deployment(spec='flinkConfiguration: {kubernetes.operator.deployment.rollback.enabled: "true"}'),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: "
             "spec.flinkConfiguration[kubernetes.operator.deployment.rollback.enabled]: rollback is enabled but high "
             "availability is off: the operator rolls back from HA metadata (operator: \"HA must be enabled for "
             "rollback support.\") [rollback-ha] (fix: set high-availability.type: kubernetes and "
             "high-availability.storageDir, or disable rollback)")
register(
    "health-check-recovery", "cluster health check enabled without JobManager deployment recovery",
    operator="Deployment recovery (...) must be enabled for job health check (...) support.",
    source=DEFAULT_VALIDATOR,
    fix="keep recovery on or the check off.",
    details="`kubernetes.operator.cluster.health-check.enabled: true` with "
            "`kubernetes.operator.jm-deployment-recovery.enabled: false`. Operator: *\"Deployment recovery (…) must "
            "be enabled for job health check (…) support.\"*",
    example=flink_deployment(spec='flinkConfiguration: {kubernetes.operator.cluster.health-check.enabled: "true", '
                                  'kubernetes.operator.jm-deployment-recovery.enabled: "false"}'),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: "
             "spec.flinkConfiguration[kubernetes.operator.cluster.health-check.enabled]: the cluster health check "
             "restarts unhealthy JobManagers through deployment recovery, which is disabled (operator: \"Deployment "
             "recovery (kubernetes.operator.jm-deployment-recovery.enabled) must be enabled for job health check "
             "(kubernetes.operator.cluster.health-check.enabled) support.\") [health-check-recovery] (fix: remove "
             "kubernetes.operator.jm-deployment-recovery.enabled: false, or disable the health check)")
register(
    "ingress", "ingress without template, or a template that is not a URL",
    operator="Ingress template must be defined",
    source=DEFAULT_VALIDATOR,
    fix="`host[/path]` with the placeholders, e.g. `{{name}}.{{namespace}}.flink.example.com`.",
    details="`spec.ingress` without `template` (*\"Ingress template must be defined\"*), or a template that is not a "
            "URL once `{{name}}`/`{{namespace}}` are filled in (a non-numeric port: *\"Unable to process the Ingress "
            "template(…)\"*).",
    example=flink_deployment(spec="ingress: {className: nginx}"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.ingress.template: ingress has no "
             "template (operator: \"Ingress template must be defined\") [ingress] (fix: set e.g. template: "
             "\"{{name}}.{{namespace}}.flink.example.com\" or \"example.com/{{namespace}}/{{name}}(/|$)(.*)\")")
register(
    "log-config", "logConfiguration key other than log4j-console.properties / logback-console.xml",
    operator="Invalid log config key: ... Allowed keys are [log4j-console.properties, logback-console.xml]",
    source=DEFAULT_VALIDATOR,
    fix="rename the key (log4j2 or logback).",
    details="A `spec.logConfiguration` key other than `log4j-console.properties` and `logback-console.xml`. "
            "Operator: *\"Invalid log config key: … Allowed keys are [log4j-console.properties, "
            "logback-console.xml]\"*.",
    example=flink_deployment(spec='logConfiguration: {log4j.properties: "rootLogger.level = INFO"}'),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.logConfiguration[log4j.properties]: "
             "log configuration file 'log4j.properties' is not one the operator writes (operator: \"Invalid log "
             "config key: log4j.properties. Allowed keys are [log4j-console.properties, logback-console.xml]\") "
             "[log-config] (fix: use log4j-console.properties (log4j2) or logback-console.xml (logback))")


def check_config(rep: Report, conf: Conf, settings: Settings) -> None:
    for key in fc.FORBIDDEN_KEYS:
        if key in conf.values:
            rep.error("forbidden-config", conf_field(key),
                      f"{key} is set by the operator from the resource (namespace and name); it cannot be overridden",
                      f"Forbidden Flink config key: {key}",
                      f"remove {key} from flinkConfiguration")
    rollback = bool_option(rep, conf, fc.ROLLBACK_KEYS, False)
    if rollback and not conf.ha_enabled():
        rep.error("rollback-ha", conf_field(fc.ROLLBACK_KEYS[0]),
                  "rollback is enabled but high availability is off: the operator rolls back from HA metadata",
                  REGISTERED,
                  "set high-availability.type: kubernetes and high-availability.storageDir, or disable rollback")
    health = bool_option(rep, conf, fc.HEALTH_CHECK_KEYS, False)
    recovery = bool_option(rep, conf, fc.JM_RECOVERY_KEYS, True)
    if health and not recovery:
        rep.error("health-check-recovery", conf_field(fc.HEALTH_CHECK_KEYS[0]),
                  "the cluster health check restarts unhealthy JobManagers through deployment recovery, "
                  "which is disabled",
                  f"Deployment recovery ({fc.JM_RECOVERY_KEYS[0]}) must be enabled for job health check "
                  f"({fc.HEALTH_CHECK_KEYS[0]}) support.",
                  f"remove {fc.JM_RECOVERY_KEYS[0]}: false, or disable the health check")


def check_ingress(rep: Report, spec: dict) -> None:
    ingress = mapping_at(rep, spec, "ingress", "spec.ingress")
    if ingress is None:
        return
    template = string_at(rep, ingress, "template", "spec.ingress.template")
    if template is None:
        if "template" not in ingress or ingress.get("template") is None:
            rep.error("ingress", "spec.ingress.template", "ingress has no template",
                      REGISTERED,
                      "set e.g. template: \"{{name}}.{{namespace}}.flink.example.com\" or "
                      "\"example.com/{{namespace}}/{{name}}(/|$)(.*)\"")
        return
    url = template if re.match(r"https?://", template, re.I) else "http://" + template
    url = re.sub(r"\{\{name\}\}", "name", url, flags=re.I)
    url = re.sub(r"\{\{namespace\}\}", "namespace", url, flags=re.I)
    authority = re.match(r"[a-z]+://([^/?#]*)", url, re.I).group(1)
    hostport = authority.rpartition("@")[2]
    if hostport.startswith("["):
        port = hostport.partition("]")[2]
        port = port[1:] if port.startswith(":") else ("" if not port else None)
    else:
        port = hostport.partition(":")[2] if ":" in hostport else ""
    if port is None or (port and not re.fullmatch(r"\d{1,9}", port)):
        rep.error("ingress", "spec.ingress.template",
                  f"ingress template {template!r} is not a URL: the port {port!r} is not a number",
                  f"Unable to process the Ingress template({template}). Error: ...",
                  "write host[/path] with {{name}} and {{namespace}} placeholders; no ':port' part")


def check_log_config(rep: Report, spec: dict) -> None:
    logs = mapping_at(rep, spec, "logConfiguration", "spec.logConfiguration")
    if not logs:
        return
    for key in logs:
        if key not in LOG_CONF_KEYS:
            rep.error("log-config", f"spec.logConfiguration[{key}]",
                      f"log configuration file {key!r} is not one the operator writes",
                      f"Invalid log config key: {key}. Allowed keys are [{', '.join(LOG_CONF_KEYS)}]",
                      "use log4j-console.properties (log4j2) or logback-console.xml (logback)")


