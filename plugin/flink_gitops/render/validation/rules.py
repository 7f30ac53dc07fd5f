"""The checks: what the Flink Kubernetes Operator's admission webhook (``DefaultValidator``, behind
``FlinkValidator``) and the API server (the operator's CRD schema) would refuse, decided from the
manifests alone. Upstream: apache/flink-kubernetes-operator, ``validation/DefaultValidator.java``.

Every finding names a rule id (see :data:`RULES`); users can skip rules per object
(annotation ``flink-gitops.io/skip-validation``) or app-wide (parameter ``validate-skip-rules``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from flink_gitops.errors import Located, Problem
from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation.flinkconf import Conf
from flink_gitops.render.validation.periods import excluded_period_error
from flink_gitops.render.validation.quantities import (
    flink_duration,
    flink_memory_size,
    format_seconds,
    k8s_quantity,
    resource_memory_bytes,
)

GROUP = "flink.apache.org"
SERVED_VERSIONS = ("v1beta1",)

# Rule ids -> one line each (docs/validation.md has the long form).
RULES: dict[str, str] = {
    "duplicate-identity": "two objects with the same group, kind, namespace and name",
    "api-version": "flink.apache.org resource with a version the CRD does not serve",
    "schema": "a field of the wrong type (the CRD schema refuses it)",
    "deployment-name": "FlinkDeployment name (or a session job's deploymentName) not a valid cluster id",
    "flink-version": "flinkVersion missing, unknown or no longer supported (deprecated: warning)",
    "forbidden-config": "flinkConfiguration sets a key the operator owns",
    "rollback-ha": "deployment rollback enabled without high availability",
    "health-check-recovery": "cluster health check enabled without JobManager deployment recovery",
    "ingress": "ingress without template, or a template that is not a URL",
    "log-config": "logConfiguration key other than log4j-console.properties / logback-console.xml",
    "upgrade-mode": "upgradeMode not one of last-state, savepoint, stateless",
    "job-state": "job.state not one of running, suspended",
    "deployment-mode": "mode not one of native, standalone",
    "checkpoint-dir": "no checkpoint directory for last-state / savepoint upgrade mode",
    "savepoint-dir": "no savepoint directory for savepoint mode, savepointTriggerNonce, periodic savepoints, "
                     "or last-state checkpoint max age",
    "parallelism": "job parallelism / TaskManager replicas below 1",
    "jm-replicas": "JobManager replicas below 1, or standby JobManagers without high availability",
    "memory": "JobManager / TaskManager memory not defined",
    "resources": "resource / resources quantities that do not parse, are not positive, or request > limit",
    "service-account": "spec.serviceAccount missing",
    "config-value": "an operator option in flinkConfiguration with a value that does not parse",
    "autoscaler": "autoscaler options out of range, bad excluded periods, metric window < reconcile interval",
    "jar-uri": "jarURI without a scheme, with a scheme outside the allowlist, or a restricted host",
    "session-job": "FlinkSessionJob without job, or aimed at an application cluster",
    "snapshot": "FlinkStateSnapshot without exactly one of savepoint/checkpoint, or without a job reference",
}

UPGRADE_MODES = ("last-state", "savepoint", "stateless")
JOB_STATES = ("running", "suspended")
DEPLOYMENT_MODES = ("native", "standalone")
JOB_KINDS = ("FlinkDeployment", "FlinkSessionJob")
FORMAT_TYPES = ("CANONICAL", "NATIVE", "UNKNOWN")
# FlinkVersion enum: CRD enum; isSupported() = v1_15 or newer; @Deprecated up to v1_18.
KNOWN_VERSIONS = ("v1_13", "v1_14", "v1_15", "v1_16", "v1_17", "v1_18", "v1_19", "v1_20",
                  "v2_0", "v2_1", "v2_2", "v2_3", "v2_4")
UNSUPPORTED_VERSIONS = ("v1_13", "v1_14")
DEPRECATED_VERSIONS = ("v1_15", "v1_16", "v1_17", "v1_18")
SUPPORTED_VERSIONS = tuple(v for v in KNOWN_VERSIONS if v not in UNSUPPORTED_VERSIONS)
CURRENT_VERSIONS = tuple(v for v in SUPPORTED_VERSIONS if v not in DEPRECATED_VERSIONS)
LOG_CONF_KEYS = ("log4j-console.properties", "logback-console.xml")
NAME_PATTERN = re.compile(r"[a-z](?:[-a-z\d]{0,43}[a-z\d])?")
CANARY_LABEL = "flink.apache.org/canary"

# Upstream defaults assumed when the operator's own configuration is not given.
DEFAULT_JAR_SCHEMES = ("https",)
DEFAULT_RECONCILE_INTERVAL = 60.0  # KubernetesOperatorConfigOptions.OPERATOR_RECONCILE_INTERVAL
HELM_RECONCILE_INTERVAL = 15.0  # helm/flink-kubernetes-operator/values.yaml defaultConfiguration
DEFAULT_METRICS_WINDOW = 900.0  # AutoScalerOptions.METRICS_WINDOW

_NO_DEFAULTS_NOTE = "assuming the operator's default configuration does not set it"


@dataclass
class Settings:
    operator_conf: dict[str, str]
    operator_conf_given: bool
    namespace: str
    skip_rules: frozenset[str]
    jar_schemes: tuple[str, ...] = DEFAULT_JAR_SCHEMES
    restricted_hosts: bool = True


@dataclass
class Report:
    """One object's findings."""

    loc: Located
    skip: frozenset[str] | None  # None: every rule skipped
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def _add(self, target: list, rule: str, field_: str | None, message: str, quote: str | None,
             hint: str | None) -> None:
        if self.skip is None or rule in self.skip:
            return
        text = message
        if quote:
            text += f' (operator: "{quote}")'
        text += f" [{rule}]"
        target.append(self.loc.problem(text, field_, hint))

    def error(self, rule: str, field_: str | None, message: str, quote: str | None = None,
              hint: str | None = None) -> None:
        self._add(self.errors, rule, field_, message, quote, hint)

    def warn(self, rule: str, field_: str | None, message: str, quote: str | None = None,
             hint: str | None = None) -> None:
        self._add(self.warnings, rule, field_, message, quote, hint)


# ---------------------------------------------------------------------------------------------
# small typed accessors (never raise on odd input: a wrong type is a "schema" finding)


def _mapping(rep: Report, parent: dict, key: str, path: str) -> dict | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        rep.error("schema", path, f"must be a mapping, got {_kind(value)}",
                  "the CRD schema declares an object here", f"write {key} as a YAML mapping")
        return None
    return value


def _string(rep: Report, parent: dict, key: str, path: str) -> str | None:
    value = parent.get(key)
    if value is None or isinstance(value, str):
        return value
    rep.error("schema", path, f"must be a string, got {_kind(value)} {value!r}",
              "the CRD schema declares a string here", f"quote the value: {key}: \"{value}\"")
    return None


def _integer(rep: Report, parent: dict, key: str, path: str) -> int | None:
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    rep.error("schema", path, f"must be an integer, got {_kind(value)} {value!r}",
              "the CRD schema declares an integer here", f"write a plain number, e.g. {key}: 2")
    return None


def _kind(value: object) -> str:
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
            float: "a number"}.get(type(value), type(value).__name__)


def _conf_field(key: str) -> str:
    return f"spec.flinkConfiguration[{key}]"


def _flink_conf(rep: Report, spec: dict, path: str = "spec.flinkConfiguration") -> dict[str, str]:
    raw = spec.get("flinkConfiguration")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        rep.error("schema", path, f"must be a mapping of Flink options, got {_kind(raw)}",
                  "flinkConfiguration is a map of config keys to values",
                  "write flinkConfiguration as key: value pairs (flat or nested YAML)")
        return {}
    return fc.flatten(raw)


def _enum(rep: Report, value: object, allowed: tuple[str, ...], path: str, what: str, hint: str) -> bool:
    if value is None or value in allowed:
        return True
    listed = ", ".join(f'"{a}"' for a in allowed)
    rep.error(_ENUM_RULES.get(what, "schema"), path,
              f"{what} {value!r} does not exist; the operator knows only {', '.join(allowed)}",
              f'Unsupported value: "{value}": supported values: {listed}', hint)
    return False


_ENUM_RULES = {"upgradeMode": "upgrade-mode", "job state": "job-state", "mode": "deployment-mode",
               "flinkVersion": "flink-version", "jobReference.kind": "snapshot", "formatType": "snapshot"}


# ---------------------------------------------------------------------------------------------
# FlinkDeployment


def check_deployment(rep: Report, settings: Settings, namespace: str) -> None:
    obj = rep.loc.obj
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    spec = obj.get("spec")
    if spec is None:
        rep.error("schema", "spec", "FlinkDeployment has no spec",
                  "the operator needs spec.flinkVersion, serviceAccount, jobManager and taskManager",
                  "add a spec (see docs/validation.md for a minimal one)")
        return
    if not isinstance(spec, dict):
        rep.error("schema", "spec", f"spec must be a mapping, got {_kind(spec)}")
        return

    if not (meta.get("name") is None and meta.get("generateName")):  # a generated name cannot be checked here
        check_name(rep, meta.get("name"), "metadata.name", "FlinkDeployment name")
    version = check_flink_version(rep, spec)
    own = _flink_conf(rep, spec)
    conf = Conf({**fc.default_config(settings.operator_conf, namespace, version), **own})

    check_config(rep, conf, settings)
    check_ingress(rep, spec)
    check_log_config(rep, spec)
    _enum(rep, spec.get("mode"), DEPLOYMENT_MODES, "spec.mode", "mode",
          "omit mode (native, the default) or set mode: standalone")

    job = _mapping(rep, spec, "job", "spec.job")
    tm = _mapping(rep, spec, "taskManager", "spec.taskManager")
    jm = _mapping(rep, spec, "jobManager", "spec.jobManager")
    if job is not None:
        tm_replicas = _integer(rep, tm, "replicas", "spec.taskManager.replicas") if tm else None
        has_tm_replicas = tm is not None and tm.get("replicas") is not None  # "takes precedence over parallelism"
        check_job(rep, job, conf, settings, tm_replicas=tm_replicas, has_tm_replicas=has_tm_replicas)
        jar = job.get("jarURI")
        if isinstance(jar, str) and jar and not _SCHEME.match(jar):
            rep.warn("jar-uri", "spec.job.jarURI",
                     f"jarURI {jar!r} has no scheme; the operator does not check FlinkDeployment jarURIs, but Flink "
                     "resolves a bare path as a file: URI on the submitting side and application mode documents "
                     "local:// for a jar inside the image",
                     None, f"write local://{jar if jar.startswith('/') else '/' + jar}")
    check_jm(rep, jm, conf)
    check_tm(rep, tm, conf, job_present=job is not None)
    account = spec.get("serviceAccount")
    if account is None:
        rep.error("service-account", "spec.serviceAccount",
                  "no serviceAccount: the JobManager needs one to create TaskManager pods and ConfigMaps",
                  "spec.serviceAccount must be defined. If you use helm, its value should be the same with the "
                  "name of jobServiceAccount.",
                  "set spec.serviceAccount: flink (the Helm chart's default jobServiceAccount) or your own")
    else:
        _string(rep, spec, "serviceAccount", "spec.serviceAccount")
    check_autoscaler(rep, conf, settings)


def check_name(rep: Report, name: object, path: str, what: str) -> None:
    if not isinstance(name, str) or not name:
        rep.error("deployment-name", path, f"{what} is missing",
                  "name or generateName is required" if path == "metadata.name" else None, "name the FlinkDeployment: lower case letters, digits and '-', at most 45 characters")
        return
    if NAME_PATTERN.fullmatch(name):
        return
    reasons = []
    if len(name) > 45:
        reasons.append(f"{len(name)} characters, more than 45 (the operator derives Service names from it)")
    if not re.fullmatch(r"[-a-z\d]*", name):
        bad = sorted(set(re.sub(r"[-a-z\d]", "", name)))
        reasons.append("contains " + " ".join(repr(c) for c in bad))
    if not name[0].isalpha() or not name[0].islower():
        reasons.append("does not start with a lower case letter")
    if not re.match(r".*[a-z\d]$", name):
        reasons.append("does not end with a letter or digit")
    rep.error("deployment-name", path, f"{what} {name!r} is invalid: " + "; ".join(reasons),
              f"The FlinkDeployment name: {name} is invalid, must consist of lower case alphanumeric characters or "
              "'-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  "
              "or 'abc-123'), and the length must be no more than 45 characters.",
              "rename it to match [a-z]([-a-z0-9]{0,43}[a-z0-9])?, e.g. " + _suggest_name(name))


def _suggest_name(name: str) -> str:
    s = re.sub(r"[^-a-z\d]+", "-", name.lower()).strip("-")
    s = re.sub(r"^[^a-z]+", "", s)[:45].rstrip("-")
    return repr(s or "my-flink-app")


def check_flink_version(rep: Report, spec: dict) -> str | None:
    version = spec.get("flinkVersion")
    supported = ", ".join(SUPPORTED_VERSIONS)
    if version is None:
        rep.error("flink-version", "spec.flinkVersion", "flinkVersion is missing",
                  "Flink Version must be defined.",
                  f"set the version of Flink inside spec.image, one of {supported}")
        return None
    if version not in KNOWN_VERSIONS:
        looks = ""
        if isinstance(version, (int, float, str)) and not isinstance(version, bool):
            m = re.fullmatch(r"v?(\d+)[._](\d+)(?:[._]\d+)?", str(version))
            if m:
                guess = f"v{m.group(1)}_{m.group(2)}"
                if isinstance(version, float) and guess not in KNOWN_VERSIONS and guess + "0" in KNOWN_VERSIONS:
                    guess += "0"  # YAML read 1.20 as the number 1.2
                what = "the number" if isinstance(version, float) else ""
                looks = f" (YAML read {what} {version!r}; write {guess})".replace("  ", " ")
        listed = ", ".join(f'"{v}"' for v in KNOWN_VERSIONS)
        rep.error("flink-version", "spec.flinkVersion",
                  f"flinkVersion {version!r} does not exist{looks}; supported: {supported}",
                  f'Unsupported value: "{version}": supported values: {listed}',
                  f"use the enum form v<major>_<minor> matching spec.image, one of {supported}")
        return None
    if version in UNSUPPORTED_VERSIONS:
        rep.error("flink-version", "spec.flinkVersion",
                  f"flinkVersion {version} is no longer supported; supported: {supported}",
                  f"Flink version {version} is not supported by this operator version",
                  f"upgrade the image to a supported Flink ({', '.join(CURRENT_VERSIONS)} are current)")
        return version
    if version in DEPRECATED_VERSIONS:
        rep.warn("flink-version", "spec.flinkVersion", f"flinkVersion {version} is deprecated",
                 f"Flink version {version} is deprecated and may be removed in a future operator release. "
                 "Plan to upgrade to a non-deprecated version.",
                 f"plan an upgrade to one of {', '.join(CURRENT_VERSIONS)}")
    return version


def check_config(rep: Report, conf: Conf, settings: Settings) -> None:
    for key in fc.FORBIDDEN_KEYS:
        if key in conf.values:
            rep.error("forbidden-config", _conf_field(key),
                      f"{key} is set by the operator from the resource (namespace and name); it cannot be overridden",
                      f"Forbidden Flink config key: {key}",
                      f"remove {key} from flinkConfiguration")
    rollback = _bool(rep, conf, fc.ROLLBACK_KEYS, False)
    if rollback and not conf.ha_enabled():
        rep.error("rollback-ha", _conf_field(fc.ROLLBACK_KEYS[0]),
                  "rollback is enabled but high availability is off: the operator rolls back from HA metadata",
                  "HA must be enabled for rollback support.",
                  "set high-availability.type: kubernetes and high-availability.storageDir, or disable rollback")
    health = _bool(rep, conf, fc.HEALTH_CHECK_KEYS, False)
    recovery = _bool(rep, conf, fc.JM_RECOVERY_KEYS, True)
    if health and not recovery:
        rep.error("health-check-recovery", _conf_field(fc.HEALTH_CHECK_KEYS[0]),
                  "the cluster health check restarts unhealthy JobManagers through deployment recovery, "
                  "which is disabled",
                  f"Deployment recovery ({fc.JM_RECOVERY_KEYS[0]}) must be enabled for job health check "
                  f"({fc.HEALTH_CHECK_KEYS[0]}) support.",
                  f"remove {fc.JM_RECOVERY_KEYS[0]}: false, or disable the health check")


def _bool(rep: Report, conf: Conf, keys: tuple[str, ...], default: bool) -> bool:
    try:
        return conf.boolean(keys, default)
    except ValueError as exc:
        hit = conf.find(keys)
        rep.error("config-value", _conf_field(hit[0]) if hit else None, str(exc),
                  "the operator cannot parse the option and refuses the resource", "write true or false")
        return default


def check_ingress(rep: Report, spec: dict) -> None:
    ingress = _mapping(rep, spec, "ingress", "spec.ingress")
    if ingress is None:
        return
    template = _string(rep, ingress, "template", "spec.ingress.template")
    if template is None:
        if "template" not in ingress or ingress.get("template") is None:
            rep.error("ingress", "spec.ingress.template", "ingress has no template",
                      "Ingress template must be defined",
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
    logs = _mapping(rep, spec, "logConfiguration", "spec.logConfiguration")
    if not logs:
        return
    for key in logs:
        if key not in LOG_CONF_KEYS:
            rep.error("log-config", f"spec.logConfiguration[{key}]",
                      f"log configuration file {key!r} is not one the operator writes",
                      f"Invalid log config key: {key}. Allowed keys are [{', '.join(LOG_CONF_KEYS)}]",
                      "use log4j-console.properties (log4j2) or logback-console.xml (logback)")


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def check_job(rep: Report, job: dict, conf: Conf, settings: Settings, *, tm_replicas: int | None,
              has_tm_replicas: bool, session: bool = False, field_prefix: str = "spec.job") -> None:
    """``validateJobSpec`` (plus the CRD enums of the job spec)."""
    mode = job.get("upgradeMode")
    _enum(rep, mode, UPGRADE_MODES, f"{field_prefix}.upgradeMode", "upgradeMode",
          "last-state resumes from the latest checkpoint (what 'stateful' usually means), savepoint takes a "
          "savepoint before each upgrade, stateless starts from empty state")
    _enum(rep, job.get("state"), JOB_STATES, f"{field_prefix}.state", "job state",
          "use running or suspended (lower case)")
    mode = mode if mode in UPGRADE_MODES else "stateless"
    note = "" if settings.operator_conf_given else f" ({_NO_DEFAULTS_NOTE})"
    # Many platforms set the state directories once, in the operator's defaultConfiguration: say how to
    # tell the plugin instead of making every app repeat them.
    via_operator = "" if settings.operator_conf_given else (
        "; or, if the operator's defaultConfiguration sets it, give that configuration to the plugin "
        "(parameter validate-operator-config)")
    where = "the session cluster's or the job's flinkConfiguration" if session else "flinkConfiguration"
    if mode != "stateless" and not conf.nonblank(fc.CHECKPOINT_DIR_KEYS):
        rep.error("checkpoint-dir", f"{field_prefix}.upgradeMode",
                  f"upgradeMode {mode} needs a checkpoint directory, but {where} sets none{note}",
                  f"Checkpoint directory[{fc.CHECKPOINT_DIR_KEYS[0]}] must be defined for last-state and savepoint "
                  "upgrade modes",
                  f"set {fc.CHECKPOINT_DIR_KEYS[0]} (or state.checkpoints.dir) to durable storage, e.g. "
                  "s3://bucket/checkpoints, or use upgradeMode: stateless" + via_operator)
    if not conf.nonblank(fc.SAVEPOINT_DIR_KEYS):
        key = fc.SAVEPOINT_DIR_KEYS[0]
        fix = f"set {key} (or state.savepoints.dir) to durable storage, e.g. s3://bucket/savepoints"
        fix_default = fix + via_operator
        if mode == "savepoint":
            rep.error("savepoint-dir", f"{field_prefix}.upgradeMode",
                      f"upgradeMode savepoint needs a savepoint directory, but {where} sets none{note}",
                      f"Job could not be upgraded with savepoint while config key[{key}] is not set", fix_default)
        elif job.get("savepointTriggerNonce") is not None:
            rep.error("savepoint-dir", f"{field_prefix}.savepointTriggerNonce",
                      f"savepointTriggerNonce asks for a savepoint, but {where} sets no savepoint directory{note}",
                      f"Savepoint could not be manually triggered for the running job while config key[{key}] is "
                      "not set", fix + ", or remove savepointTriggerNonce" + via_operator)
        elif conf.has(fc.PERIODIC_SAVEPOINT_KEYS):
            rep.error("savepoint-dir", _conf_field(fc.PERIODIC_SAVEPOINT_KEYS[0]),
                      f"periodic savepoints are configured, but {where} sets no savepoint directory{note}",
                      f"Periodic savepoints cannot be enabled when config key[{key}] is not set",
                      fix + f", or remove {fc.PERIODIC_SAVEPOINT_KEYS[0]}" + via_operator)
        elif conf.has(fc.CHECKPOINT_MAX_AGE_KEYS):
            age_key = fc.CHECKPOINT_MAX_AGE_KEYS[0]
            try:
                flink_duration(conf.values[age_key])
            except ValueError as exc:
                rep.error("config-value", _conf_field(age_key), f"{age_key}: {exc}",
                          "the operator cannot parse the option and refuses the resource",
                          "write a duration such as 10 min")
            else:
                rep.error("savepoint-dir", _conf_field(age_key),
                          f"{age_key} falls back to savepoint upgrades, but {where} sets no savepoint directory{note}",
                          f"In order to use max-checkpoint age functionality config key[{key}] must be set to allow "
                          "triggering savepoint upgrades.", fix + f", or remove {age_key}" + via_operator)
    parallelism = _integer(rep, job, "parallelism", f"{field_prefix}.parallelism")
    if has_tm_replicas:
        if tm_replicas is not None and tm_replicas < 1:
            rep.error("parallelism", "spec.taskManager.replicas",
                      f"taskManager.replicas is {tm_replicas}: no TaskManager would run the job",
                      "TaskManager replicas must be larger than 0", "set taskManager.replicas to 1 or more")
    elif parallelism is None or parallelism < 1:
        if parallelism is None and job.get("parallelism") is not None:
            return  # a type error was reported
        got = "missing" if parallelism is None else str(parallelism)
        rep.error("parallelism", f"{field_prefix}.parallelism",
                  f"job parallelism is {got}: it must be at least 1"
                  + ("" if session else " (or set spec.taskManager.replicas)"),
                  "Job parallelism must be larger than 0", "set job.parallelism: 1 or more")


def _resource_block(rep: Report, comp: dict | None, who: str, path: str) -> tuple[bool, bool]:
    """Check ``resource`` and ``resources``; return (memory defined via resource, via resources)."""
    if comp is None:
        return False, False
    via_resource = via_resources = False
    resource = _mapping(rep, comp, "resource", f"{path}.resource")
    if resource is not None:
        memory = resource.get("memory")
        if memory is not None and not isinstance(memory, str):
            _string(rep, resource, "memory", f"{path}.resource.memory")
            via_resource = True  # defined, just mistyped: one finding is enough
        elif memory is not None:
            via_resource = str(memory).strip() != ""
            try:
                resource_memory_bytes(memory)
            except ValueError as exc:
                rep.error("resources", f"{path}.resource.memory", f"{who} memory {memory!r}: {exc}",
                          f"{who} resource memory parse error", "write e.g. 2048m, 2g or 2Gi")
        storage = resource.get("ephemeralStorage")
        if storage is not None:
            try:
                k8s_quantity(storage)
            except ValueError as exc:
                rep.error("resources", f"{path}.resource.ephemeralStorage", f"{who} ephemeral storage: {exc}",
                          f"{who} resource ephemeral storage parse error", "write e.g. 10Gi")
        cpu = resource.get("cpu")
        if cpu is not None and (isinstance(cpu, bool) or not isinstance(cpu, (int, float))):
            rep.error("schema", f"{path}.resource.cpu", f"must be a number, got {_kind(cpu)} {cpu!r}",
                      "the CRD schema declares resource.cpu as a number", "write e.g. cpu: 0.5")
    resources = _mapping(rep, comp, "resources", f"{path}.resources")
    if resources is not None:
        parsed: dict[str, dict[str, object]] = {}
        for section in ("requests", "limits"):
            values = _mapping(rep, resources, section, f"{path}.resources.{section}")
            parsed[section] = {}
            for key, value in (values or {}).items():
                if value is None:
                    continue
                fpath = f"{path}.resources.{section}.{key}"
                if key == "memory":
                    via_resources = True
                try:
                    amount = resource_memory_bytes(value) if key == "memory" else k8s_quantity(value)
                except ValueError as exc:
                    rep.error("resources", fpath, f"{exc}",
                              f"{who} resource requirements {section} {key} parse error",
                              "write a Kubernetes quantity, e.g. memory: 2Gi, cpu: 500m")
                    continue
                parsed[section][key] = amount
                if key in ("memory", "cpu") and amount <= 0:
                    rep.error("resources", fpath, f"{section} {key} {value!r} is not positive",
                              f"{who} resource requirements {section} {key} must be positive: {value}",
                              f"set a positive {key}")
                elif amount < 0:
                    rep.error("resources", fpath, f"{section} {key} {value!r} is negative",
                              f"{who} resource requirements {section} {key} must not be negative: {value}",
                              f"set a non-negative {key}")
        for key in ("cpu", "memory"):
            req, lim = parsed["requests"].get(key), parsed["limits"].get(key)
            if req is not None and lim is not None and req > lim:
                rep.error("resources", f"{path}.resources.requests.{key}",
                          f"{key} request {resources['requests'][key]!r} exceeds its limit "
                          f"{resources['limits'][key]!r}; Kubernetes refuses such a pod",
                          f"{who} resource requirements {key} request ({resources['requests'][key]}) must not "
                          f"exceed its limit ({resources['limits'][key]})",
                          f"raise limits.{key} or lower requests.{key}")
    return via_resource, via_resources


def _config_memory_defined(conf: Conf, keys: tuple[str, ...], mb_key: str) -> bool:
    for key in keys:
        if key in conf.values:
            try:
                flink_memory_size(conf.values[key])
                return True
            except ValueError:
                pass
    value = conf.values.get(mb_key, "").strip()
    return value.isdigit()


def check_jm(rep: Report, jm: dict | None, conf: Conf) -> None:
    via_resource, via_resources = _resource_block(rep, jm, "JobManager", "spec.jobManager")
    if not (via_resource or via_resources) and not _config_memory_defined(conf, fc.JM_MEMORY_KEYS,
                                                                          fc.JM_LEGACY_MB_KEY):
        rep.error("memory", "spec.jobManager.resources.requests.memory" if jm else "spec.jobManager",
                  "JobManager memory is not defined",
                  "JobManager resource memory must be defined using `spec.jobManager.resource.memory` or "
                  "`spec.jobManager.resources.requests.memory`",
                  "set spec.jobManager.resources.requests.memory (e.g. 2048m) or jobmanager.memory.process.size")
    if jm is None:
        return
    replicas = _integer(rep, jm, "replicas", "spec.jobManager.replicas")
    if replicas is None:
        return
    if replicas < 1:
        rep.error("jm-replicas", "spec.jobManager.replicas", f"jobManager.replicas is {replicas}",
                  "JobManager replicas should not be configured less than one.",
                  "set jobManager.replicas: 1 (or more with high availability)")
    elif replicas > 1 and not conf.ha_enabled():
        rep.error("jm-replicas", "spec.jobManager.replicas",
                  f"jobManager.replicas is {replicas} but high availability is off: standby JobManagers need "
                  "leader election",
                  "High availability should be enabled when starting standby JobManagers.",
                  "set high-availability.type: kubernetes and high-availability.storageDir, or use 1 replica")


def check_tm(rep: Report, tm: dict | None, conf: Conf, job_present: bool) -> None:
    via_resource, via_resources = _resource_block(rep, tm, "TaskManager", "spec.taskManager")
    if not (via_resource or via_resources):
        defined = _config_memory_defined(conf, fc.TM_MEMORY_KEYS, fc.TM_LEGACY_MB_KEY)
        if not defined:
            fine = [conf.find(fc.TM_TASK_HEAP_KEYS), conf.find(fc.TM_MANAGED_KEYS)]
            defined = all(h is not None for h in fine)
        if not defined:
            rep.error("memory", "spec.taskManager.resources.requests.memory" if tm else "spec.taskManager",
                      "TaskManager memory is not defined",
                      "TaskManager resource memory must be defined using `spec.taskManager.resource.memory` or "
                      "`spec.taskManager.resources.requests.memory`",
                      "set spec.taskManager.resources.requests.memory (e.g. 2048m) or taskmanager.memory.process.size")
    if tm is None or job_present:  # with a job, check_job reported replicas < 1 already
        return
    replicas = _integer(rep, tm, "replicas", "spec.taskManager.replicas")
    if replicas is not None and replicas < 1:
        rep.error("parallelism", "spec.taskManager.replicas", f"taskManager.replicas is {replicas}",
                  "TaskManager replicas should not be configured less than one.",
                  "set taskManager.replicas to 1 or more, or remove it")


# ---------------------------------------------------------------------------------------------
# autoscaler (AutoscalerValidator + DefaultValidator.validateMetricsWindow)

_A = fc.autoscaler_keys
_UTIL_TARGET = _A("utilization.target", "target.utilization")


def check_autoscaler(rep: Report, conf: Conf, settings: Settings) -> None:
    if not _bool(rep, conf, _A("enabled"), False):
        return

    def number(keys: tuple[str, ...], default: float | None) -> float | None | str:
        hit = conf.find(keys)
        if hit is None:
            return default
        try:
            return float(hit[1].strip())
        except ValueError:
            return "bad"

    target = number(_UTIL_TARGET, 0.7)
    checks: list[tuple[tuple[str, ...], float | None, float | None, float | None]] = [
        (_A("scale-down.max-factor"), 0.6, 0.0, None),
        (_A("scale-up.max-factor"), 100000.0, 0.0, None),
        (_UTIL_TARGET, 0.7, 0.0, 1.0),
        (_A("target.utilization.boundary"), 0.3, 0.0, None),
        (_A("utilization.max"), None, target if isinstance(target, float) else None, 1.0),
        (_A("utilization.min"), None, 0.0, target if isinstance(target, float) else None),
        (_A("memory.gc-pressure.threshold"), 1.0, 0.0, 1.0),
        (_A("memory.heap-usage.threshold"), 1.0, 0.0, 1.0),
    ]
    for enabled, keys, default, low, high in (
        (_A("observed-scalability.enabled"), _A("observed-scalability.coefficient-min"), 0.5, 0.01, 1.0),
        (_A("scaling.effectiveness.detection.enabled"), _A("scaling.effectiveness.threshold"), 0.1, 0.0, 1.0),
        (_A("memory.tuning.enabled"), _A("memory.tuning.overhead"), 0.2, 0.0, 1.0),
    ):
        if _bool(rep, conf, enabled, False):
            checks.append((keys, default, low, high))
    for keys, default, low, high in checks:
        value = number(keys, default)
        hit = conf.find(keys)
        where = _conf_field(hit[0]) if hit else None
        if value == "bad":
            rep.error("autoscaler", where, f"{hit[0]}: {hit[1]!r} is not a number",
                      f"Invalid value in the autoscaler config {keys[0]}", "write a decimal number, e.g. 0.7")
            return  # like the operator, report the first autoscaler problem only
        if value is not None and ((low is not None and value < low) or (high is not None and value > high)):
            lo = "-Infinity" if low is None else repr(float(low))
            hi = "+Infinity" if high is None else repr(float(high))
            rep.error("autoscaler", where, f"{hit[0] if hit else keys[0]} is {value:g}, outside [{lo}, {hi}]",
                      f"The AutoScalerOption {keys[0]} is invalid, it should be a value within the range [{lo}, {hi}]",
                      f"set {keys[0]} within [{lo}, {hi}]")
            return
    periods = conf.find(_A("excluded.periods"))
    if periods is not None:
        for expression in [p for p in periods[1].split(";") if p.strip()]:
            message = excluded_period_error(expression, _A("excluded.periods")[0])
            if message:
                rep.error("autoscaler", _conf_field(periods[0]), f"excluded period {expression.strip()!r} is invalid",
                          message, "use HH:MM[:SS]-HH:MM[:SS] (start before end) and/or a 6-7 field Quartz cron "
                          "expression, at most one of each joined by &&")
                return
    check_metrics_window(rep, conf, settings)


def check_metrics_window(rep: Report, conf: Conf, settings: Settings) -> None:
    window_hit = conf.find(_A("metrics.window"))
    try:
        window = flink_duration(window_hit[1]) if window_hit else DEFAULT_METRICS_WINDOW
    except ValueError as exc:
        rep.error("autoscaler", _conf_field(window_hit[0]), f"{window_hit[0]}: {exc}",
                  "the operator cannot parse the option and refuses the resource", "write e.g. 15 min")
        return
    interval_hit = conf.find(fc.RECONCILE_INTERVAL_KEYS)
    try:
        interval = flink_duration(interval_hit[1]) if interval_hit else None
    except ValueError as exc:
        rep.error("config-value", _conf_field(interval_hit[0]), f"{interval_hit[0]}: {exc}",
                  "the operator cannot parse the option and refuses the resource", "write e.g. 60 s")
        return
    key = _A("metrics.window")[0]
    ikey = fc.RECONCILE_INTERVAL_KEYS[0]
    quote = (f"The autoscaler metric window ({key}=...) must not be smaller than the operator reconcile interval "
             f"({ikey}=...), otherwise fewer than two metric samples are retained and autoscaling is never applied.")
    where = _conf_field(window_hit[0]) if window_hit else None
    hint = f"set {key} to at least the reconcile interval (default 15 min)"
    if interval is not None:
        if window < interval:
            rep.error("autoscaler", where, f"metric window {format_seconds(window)} is shorter than the reconcile "
                      f"interval {format_seconds(interval)}: autoscaling would never be applied", quote, hint)
    elif window < HELM_RECONCILE_INTERVAL:
        rep.error("autoscaler", where, f"metric window {format_seconds(window)} is shorter than any default reconcile "
                  "interval (1 min built in, 15 s in the Helm chart's values): autoscaling would never be applied",
                  quote, hint)
    elif window < DEFAULT_RECONCILE_INTERVAL:
        rep.warn("autoscaler", where, f"metric window {format_seconds(window)} is shorter than the operator's "
                 "built-in reconcile interval (1 min); accepted only if the operator runs with the Helm chart's 15 s",
                 quote, hint + f", or pass the operator's {ikey} in parameter validate-operator-config")


# ---------------------------------------------------------------------------------------------
# jarURI (FlinkSessionJob; DefaultValidator.validateJarURI)

_URI_ILLEGAL = re.compile(r"[\s\"<>\\^`{|}]|%(?![0-9A-Fa-f]{2})")


def check_jar_uri(rep: Report, jar: object, settings: Settings, path: str) -> None:
    if jar is None:
        return
    if not isinstance(jar, str):
        _string(rep, {"jarURI": jar}, "jarURI", path)
        return
    schemes = ", ".join(settings.jar_schemes)
    bad = _URI_ILLEGAL.search(jar)
    if bad or not jar:
        what = "is empty" if not jar else f"contains {bad.group(0)!r} at index {bad.start()}"
        rep.error("jar-uri", path, f"jarURI {jar!r} {what}", "jarURI is not a valid URI: ...",
                  "percent-encode the character, e.g. a space as %20")
        return
    m = _SCHEME.match(jar)
    if not m:
        rep.error("jar-uri", path, f"jarURI {jar!r} has no scheme; the operator fetches session job jars by URI",
                  "jarURI must include a scheme", f"write a full URI with an allowed scheme ({schemes}), "
                  "e.g. https://repo.example.com/jobs/my-job.jar")
        return
    scheme = m.group(0)[:-1].lower()
    if scheme not in settings.jar_schemes:
        rep.error("jar-uri", path, f"jarURI scheme {scheme!r} is not allowed (allowed: {schemes}"
                  + ("" if settings.operator_conf_given else ", the operator's default") + ")",
                  f"jarURI scheme '{scheme}' is not in the allowlist [{schemes}]. Configure "
                  f"'{fc.JAR_SCHEMES_KEY}' to extend the allowlist.",
                  f"serve the jar over {schemes}, or extend {fc.JAR_SCHEMES_KEY} in the operator's configuration "
                  "(and pass it in parameter validate-operator-config)")
        return
    if scheme in ("http", "https") and settings.restricted_hosts:
        rest = jar[m.end():]
        host = None
        if rest.startswith("//"):
            authority = re.match(r"//([^/?#]*)", rest).group(1).rpartition("@")[2]
            if authority.startswith("["):
                host = authority[1:].partition("]")[0]
            else:
                host = authority.partition(":")[0]
            if host and not re.fullmatch(r"[A-Za-z0-9.-]+|[0-9A-Fa-f:.]+", host):
                host = None  # java.net.URI: registry-based authority, getHost() == null
        if not host:
            rep.error("jar-uri", path, f"jarURI {jar!r} has no host", "jarURI must include a host for http/https "
                      "schemes", "write https://host/path/job.jar")
            return
        reason = _restricted(host)
        if reason:
            rep.error("jar-uri", path, f"jarURI host {host!r} is {reason}; the operator refuses to fetch from it",
                      f"jarURI host '{host}' resolves to a restricted address",
                      "host the jar on a public artifact server, or disable "
                      f"{fc.JAR_RESTRICTED_HOSTS_KEY} in the operator (and in validate-operator-config)")


def _restricted(host: str) -> str | None:
    """Java's loopback / link-local / site-local / any-local / multicast checks, for literal
    addresses and ``localhost`` (names that need DNS are not resolved: no network here)."""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return "the loopback host"
    import ipaddress

    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if addr.is_loopback:
        return "a loopback address"
    if addr.is_unspecified:
        return "the wildcard address"
    if addr.is_multicast:
        return "a multicast address"
    if addr.is_link_local:
        return "a link-local address (cloud metadata endpoints live there)"
    site_local = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("172.16.0.0/12"),
                  ipaddress.ip_network("192.168.0.0/16")) if addr.version == 4 else (
        ipaddress.ip_network("fec0::/10"),)
    if any(addr in net for net in site_local):
        return "a site-local (private) address"
    return None


# ---------------------------------------------------------------------------------------------
# FlinkSessionJob


def check_session_job(rep: Report, settings: Settings, namespace: str,
                      cluster: Located | None) -> None:
    obj = rep.loc.obj
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        rep.error("schema", "spec", "FlinkSessionJob has no spec" if spec is None else
                  f"spec must be a mapping, got {_kind(spec)}", None, "add spec.deploymentName and spec.job")
        return
    name = spec.get("deploymentName")
    if name is None:
        rep.error("session-job", "spec.deploymentName", "deploymentName is missing: the session job names no cluster",
                  "deploymentName: The name of the target session cluster deployment.",
                  "set spec.deploymentName to the name of a session-mode FlinkDeployment (one without job)")
    elif isinstance(name, str):
        check_name(rep, name, "spec.deploymentName", "deploymentName")
    else:
        _string(rep, spec, "deploymentName", "spec.deploymentName")
    job = _mapping(rep, spec, "job", "spec.job")
    if job is None:
        if spec.get("job") is None:
            rep.error("session-job", "spec.job", "the session job has no job",
                      "The job spec should not be empty", "add spec.job with jarURI, parallelism and upgradeMode")
        _flink_conf(rep, spec)  # still report a mistyped flinkConfiguration
        return
    check_jar_uri(rep, job.get("jarURI"), settings, "spec.job.jarURI")
    own = _flink_conf(rep, spec)
    if cluster is None:
        # Only the checks that do not depend on the cluster's configuration.
        _enum(rep, job.get("upgradeMode"), UPGRADE_MODES, "spec.job.upgradeMode", "upgradeMode",
              "last-state resumes from the latest checkpoint, savepoint takes a savepoint before each upgrade, "
              "stateless starts from empty state")
        _enum(rep, job.get("state"), JOB_STATES, "spec.job.state", "job state", "use running or suspended")
        parallelism = _integer(rep, job, "parallelism", "spec.job.parallelism")
        if parallelism is not None and parallelism < 1 or job.get("parallelism") is None:
            got = "missing" if parallelism is None else str(parallelism)
            rep.error("parallelism", "spec.job.parallelism", f"job parallelism is {got}: it must be at least 1",
                      "Job parallelism must be larger than 0", "set job.parallelism: 1 or more")
        return
    cspec = cluster.obj.get("spec") if isinstance(cluster.obj.get("spec"), dict) else {}
    if cspec.get("job") is not None:
        rep.error("session-job", "spec.deploymentName",
                  f"FlinkDeployment {name!r} ({cluster.file}) runs its own job (application mode); session jobs "
                  "need a session cluster",
                  "Can not submit session job to application cluster",
                  f"point deploymentName at a FlinkDeployment without spec.job, or remove spec.job from {name!r}")
        return
    cluster_conf = fc.flatten(cspec.get("flinkConfiguration")) if isinstance(cspec.get("flinkConfiguration"),
                                                                             dict) else {}
    version = cspec.get("flinkVersion")
    conf = Conf({**fc.default_config(settings.operator_conf, namespace, version), **cluster_conf, **own})
    check_job(rep, job, conf, settings, tm_replicas=None, has_tm_replicas=False, session=True)
    check_autoscaler(rep, conf, settings)


# ---------------------------------------------------------------------------------------------
# FlinkStateSnapshot


def check_snapshot(rep: Report, namespace: str, find: Callable[[str, str, str], Located | None]) -> None:
    obj = rep.loc.obj
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        rep.error("schema", "spec", "FlinkStateSnapshot has no spec" if spec is None else
                  f"spec must be a mapping, got {_kind(spec)}", None,
                  "add spec.jobReference and one of spec.savepoint / spec.checkpoint")
        return
    savepoint, checkpoint = spec.get("savepoint"), spec.get("checkpoint")
    quote = "Exactly one of checkpoint or savepoint configurations has to be set."
    if savepoint is None and checkpoint is None:
        rep.error("snapshot", "spec", "the snapshot is neither a savepoint nor a checkpoint", quote,
                  "add savepoint: {} (or savepoint: {path: ..., alreadyExists: true}) or checkpoint: {}")
        return
    if savepoint is not None and checkpoint is not None:
        rep.error("snapshot", "spec.checkpoint", "the snapshot sets both savepoint and checkpoint", quote,
                  "keep one of spec.savepoint / spec.checkpoint")
        return
    if savepoint is not None:
        sp = _mapping(rep, spec, "savepoint", "spec.savepoint") or {}
        already = sp.get("alreadyExists")
        if already is not None and not isinstance(already, bool):
            rep.error("schema", "spec.savepoint.alreadyExists", f"must be a boolean, got {_kind(already)} "
                      f"{already!r}", "the CRD schema declares a boolean here", "write true or false, unquoted")
        _enum(rep, sp.get("formatType"), FORMAT_TYPES, "spec.savepoint.formatType", "formatType",
              "use CANONICAL or NATIVE")
        if already is True:
            if not sp.get("path"):
                rep.warn("snapshot", "spec.savepoint.path", "alreadyExists: true without a path: the operator "
                         "records a completed snapshot that points nowhere", None,
                         "set spec.savepoint.path to the existing savepoint")
            return
    elif not isinstance(checkpoint, dict):
        rep.error("schema", "spec.checkpoint", f"must be a mapping, got {_kind(checkpoint)}",
                  "the CRD schema declares an object here", "write checkpoint: {}")
    ref = spec.get("jobReference")
    if ref is None:
        rep.error("snapshot", "spec.jobReference", "the snapshot names no job to snapshot",
                  "Job reference must be supplied for this snapshot",
                  "add jobReference: {kind: FlinkDeployment, name: <deployment>} (or kind: FlinkSessionJob); only "
                  "savepoint.alreadyExists: true snapshots may omit it")
        return
    ref = _mapping(rep, spec, "jobReference", "spec.jobReference")
    if ref is None:
        return
    kind, name = ref.get("kind"), ref.get("name")
    if kind is None or not name:
        missing = " and ".join(w for w, v in (("kind", kind), ("name", name)) if not v)
        rep.error("snapshot", "spec.jobReference", f"jobReference has no {missing}: the operator cannot find the job",
                  f"Target for snapshot {namespace or '<namespace>'}/{name} was not found",
                  "set jobReference.kind (FlinkDeployment or FlinkSessionJob) and jobReference.name")
        return
    if not _enum(rep, kind, JOB_KINDS, "spec.jobReference.kind", "jobReference.kind",
                 "use FlinkDeployment or FlinkSessionJob"):
        return
    if not isinstance(name, str):
        _string(rep, ref, "name", "spec.jobReference.name")
        return
    if find(kind, namespace, name) is not None:
        return
    other = "FlinkSessionJob" if kind == "FlinkDeployment" else "FlinkDeployment"
    twin = find(other, namespace, name)
    if twin is not None:
        rep.warn("snapshot", "spec.jobReference.kind",
                 f"no {kind} {name!r} in this render, but a {other} of that name is ({twin.file}); unless a {kind} "
                 "exists in the cluster the operator will not find the target",
                 f"Target for snapshot {namespace or '<namespace>'}/{name} was not found",
                 f"set jobReference.kind: {other}")
