"""A FlinkDeployment spec (``DefaultValidator.validateDeployment``): name, Flink version, mode and service account,
then the options, job, resources and autoscaler through their own modules."""

from __future__ import annotations

import re

from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation.flinkconf import Conf
from flink_gitops.render.validation.examples import flink_deployment
from flink_gitops.render.validation import operator_releases as releases
from flink_gitops.render.validation.registry import CRD_DEPLOYMENT, DEFAULT_VALIDATOR, register
from flink_gitops.render.validation.rules.autoscaler import check_autoscaler
from flink_gitops.render.validation.rules.common import (
    REGISTERED,
    Report,
    Settings,
    enum_value,
    flink_conf,
    integer_at,
    mapping_at,
    string_at,
    type_name,
)
from flink_gitops.render.validation.rules.deployment_config import check_config, check_ingress, check_log_config
from flink_gitops.render.validation.rules.jar_uri import SCHEME
from flink_gitops.render.validation.rules.operator_release import check_config_types, check_resource_requirements
from flink_gitops.render.validation.rules.job import check_job
from flink_gitops.render.validation.rules.memory import check_memory
from flink_gitops.render.validation.rules.resources import check_jm, check_tm

DEPLOYMENT_MODES = ("native", "standalone")
# FlinkVersion enum of the newest release (each release's part of it, and what it deprecates: operator_releases);
# isSupported() = v1_15 or newer.
KNOWN_VERSIONS = ("v1_13", "v1_14", "v1_15", "v1_16", "v1_17", "v1_18", "v1_19", "v1_20",
                  "v2_0", "v2_1", "v2_2", "v2_3", "v2_4")
UNSUPPORTED_VERSIONS = ("v1_13", "v1_14")
NAME_PATTERN = re.compile(r"[a-z](?:[-a-z\d]{0,43}[a-z\d])?")

register(
    "deployment-name", "FlinkDeployment name (or a session job's deploymentName) not a valid cluster id",
    operator="The FlinkDeployment name: ... is invalid, must consist of lower case alphanumeric characters or '-', "
             "start with an alphabetic character, and end with an alphanumeric character",
    source=DEFAULT_VALIDATOR,
    fix="rename it to match `[a-z]([-a-z0-9]{0,43}[a-z0-9])?`; the message suggests a valid name.",
    details="A FlinkDeployment name, or a session job's `deploymentName`, outside `[a-z]([-a-z0-9]{0,43}[a-z0-9])?`. "
            "Operator: *\"The FlinkDeployment name: … is invalid, must consist of lower case alphanumeric characters "
            "or '-', start with an alphabetic character, and end with an alphanumeric character …, and the length "
            "must be no more than 45 characters.\"* (the name becomes the Flink cluster id and Service names). The "
            "message says which part is wrong and suggests a valid name.",
    example=flink_deployment(name="Orders_Pipeline"),
    expected="example.yaml (document 1): FlinkDeployment streaming/Orders_Pipeline: metadata.name: FlinkDeployment "
             "name 'Orders_Pipeline' is invalid: contains 'O' 'P' '_'; does not start with a lower case letter "
             "(operator: \"The FlinkDeployment name: Orders_Pipeline is invalid, must consist of lower case "
             "alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric "
             "character (e.g. 'my-name',  or 'abc-123'), and the length must be no more than 45 characters.\") "
             "[deployment-name] (fix: rename it to match [a-z]([-a-z0-9]{0,43}[a-z0-9])?, e.g. 'orders-pipeline')")
register(
    "flink-version", "flinkVersion missing, unknown or no longer supported (deprecated: warning)",
    operator="Flink Version must be defined.",
    source=DEFAULT_VALIDATOR,
    fix="the `v<major>_<minor>` of the Flink inside `spec.image`.",
    details="`spec.flinkVersion` missing (*\"Flink Version must be defined.\"*), not in the CRD enum (the API "
            "server's *\"Unsupported value\"*; `1.20` written as a YAML number reads as `1.2`, the message says to "
            "write `v1_20`), or `v1_13`/`v1_14` (*\"Flink version … is not supported by this operator version\"*). "
            "The message lists the supported versions: v1_15 … v2_4. **Warning:** v1_15–v1_18 are deprecated (*\"… "
            "is deprecated and may be removed in a future operator release\"*). Both lists follow "
            "`operator-version`: v2_1 and v2_2 exist from 1.13, v2_3 and v2_4 from 1.15; v1_17 and v1_18 are "
            "deprecated from 1.13.",
    example=flink_deployment(flink_version="1.20"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.flinkVersion: flinkVersion 1.2 does "
             "not exist (YAML read the number 1.2; write v1_20); supported: v1_15, v1_16, v1_17, v1_18, v1_19, "
             "v1_20, v2_0, v2_1, v2_2, v2_3, v2_4 (operator: \"Unsupported value: \"1.2\": supported values: "
             "\"v1_13\", \"v1_14\", \"v1_15\", \"v1_16\", \"v1_17\", \"v1_18\", \"v1_19\", \"v1_20\", \"v2_0\", "
             "\"v2_1\", \"v2_2\", \"v2_3\", \"v2_4\"\") [flink-version] (fix: use the enum form v<major>_<minor> "
             "matching spec.image, one of v1_15, v1_16, v1_17, v1_18, v1_19, v1_20, v2_0, v2_1, v2_2, v2_3, v2_4)")
register(
    "deployment-mode", "mode not one of native, standalone",
    operator="Unsupported value: \"...\": supported values: \"native\", \"standalone\"",
    source=CRD_DEPLOYMENT,
    fix="omit it (native) or `standalone`.",
    details="`spec.mode` not `native` or `standalone` (CRD enum).",
    example=flink_deployment(spec="mode: Native"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.mode: mode 'Native' does not exist "
             "(did you mean native?); "
             "the operator knows only native, standalone (operator: \"Unsupported value: \"Native\": supported "
             "values: \"native\", \"standalone\"\") [deployment-mode] (fix: omit mode (native, the default) or set "
             "mode: standalone)")
register(
    "service-account", "spec.serviceAccount missing",
    operator="spec.serviceAccount must be defined. If you use helm, its value should be the same with the name of "
             "jobServiceAccount.",
    source=DEFAULT_VALIDATOR,
    fix="`serviceAccount: flink` (the chart's default) or your own.",
    details="`spec.serviceAccount` missing. Operator: *\"spec.serviceAccount must be defined. If you use helm, its "
            "value should be the same with the name of jobServiceAccount.\"* The JobManager uses it to create "
            "TaskManager pods and ConfigMaps.",
    example=flink_deployment(service_account=None),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.serviceAccount: no serviceAccount: "
             "the JobManager needs one to create TaskManager pods and ConfigMaps (operator: \"spec.serviceAccount "
             "must be defined. If you use helm, its value should be the same with the name of jobServiceAccount.\") "
             "[service-account] (fix: set spec.serviceAccount: flink (the Helm chart's default jobServiceAccount) or "
             "your own)")


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
        rep.error("schema", "spec", f"spec must be a mapping, got {type_name(spec)}")
        return

    if not (meta.get("name") is None and meta.get("generateName")):  # a generated name cannot be checked here
        check_name(rep, meta.get("name"), "metadata.name", "FlinkDeployment name")
    check_deployment_spec(rep, spec, settings, namespace)


def check_deployment_spec(rep: Report, spec: dict, settings: Settings, namespace: str) -> None:
    """A FlinkDeployment's spec, wherever it sits (``rep.spec_path``: a blue/green template nests one)."""
    version = check_flink_version(rep, spec, settings)
    check_config_types(rep, spec, settings)
    check_resource_requirements(rep, spec, settings)
    own = flink_conf(rep, spec)
    conf = Conf({**fc.default_config(settings.operator_conf, namespace, version), **own})

    check_config(rep, conf, settings)
    check_ingress(rep, spec)
    check_log_config(rep, spec)
    enum_value(rep, "deployment-mode", spec.get("mode"), DEPLOYMENT_MODES, "spec.mode", "mode",
               "omit mode (native, the default) or set mode: standalone")

    job = mapping_at(rep, spec, "job", "spec.job")
    tm = mapping_at(rep, spec, "taskManager", "spec.taskManager")
    jm = mapping_at(rep, spec, "jobManager", "spec.jobManager")
    if job is not None:
        tm_replicas = integer_at(rep, tm, "replicas", "spec.taskManager.replicas") if tm else None
        has_tm_replicas = tm is not None and tm.get("replicas") is not None  # "takes precedence over parallelism"
        check_job(rep, job, conf, settings, tm_replicas=tm_replicas, has_tm_replicas=has_tm_replicas)
        jar = job.get("jarURI")
        if isinstance(jar, str) and jar and not SCHEME.match(jar):
            rep.warn("jar-uri", "spec.job.jarURI",
                     f"jarURI {jar!r} has no scheme; the operator does not check FlinkDeployment jarURIs, but Flink "
                     "resolves a bare path as a file: URI on the submitting side and application mode documents "
                     "local:// for a jar inside the image",
                     None, f"write local://{jar if jar.startswith('/') else '/' + jar}")
    check_jm(rep, jm, conf, settings)
    check_tm(rep, tm, conf, settings, job_present=job is not None)
    check_memory(rep, jm, tm, conf, set(own))
    account = spec.get("serviceAccount")
    if account is None:
        rep.error("service-account", "spec.serviceAccount",
                  "no serviceAccount: the JobManager needs one to create TaskManager pods and ConfigMaps",
                  "spec.serviceAccount must be defined. If you use helm, its value should be the same with the "
                  "name of jobServiceAccount.",
                  "set spec.serviceAccount: flink (the Helm chart's default jobServiceAccount) or your own")
    else:
        string_at(rep, spec, "serviceAccount", "spec.serviceAccount")
    check_autoscaler(rep, conf, settings)


def check_name(rep: Report, name: object, path: str, what: str) -> None:
    if not isinstance(name, str) or not name:
        rep.error("deployment-name", path, f"{what} is missing",
                  "name or generateName is required" if path == "metadata.name" else None,
                  "name the FlinkDeployment: lower case letters, digits and '-', at most 45 characters")
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


def check_flink_version(rep: Report, spec: dict, settings: Settings) -> str | None:
    version = spec.get("flinkVersion")
    release = settings.operator_version
    # What the chosen release's CRD enum holds and what it deprecates (operator_releases).
    known = releases.flink_versions(release, KNOWN_VERSIONS)
    deprecated = releases.deprecated_flink_versions(release)
    supported_versions = tuple(v for v in known if v not in UNSUPPORTED_VERSIONS)
    current = tuple(v for v in supported_versions if v not in deprecated)
    supported = ", ".join(supported_versions)
    listed = ", ".join(f'"{v}"' for v in known)  # the API server's words list the whole CRD enum
    if version is None:
        rep.error("flink-version", "spec.flinkVersion", "flinkVersion is missing",
                  REGISTERED,
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
        rep.error("flink-version", "spec.flinkVersion",
                  f"flinkVersion {version!r} does not exist{looks}; supported: {supported}",
                  f'Unsupported value: "{version}": supported values: {listed}',
                  f"use the enum form v<major>_<minor> matching spec.image, one of {supported}")
        return None
    if version not in known:
        since = releases.FLINK_VERSION_SINCE[version]
        rep.error("flink-version", "spec.flinkVersion",
                  f"flinkVersion {version} does not exist in operator {release} (added in {since}); supported: "
                  f"{supported}",
                  f'Unsupported value: "{version}": supported values: {listed}',
                  f"use a Flink that operator {release} supports, one of {supported}; or upgrade the operator to "
                  f"{since} or later (and set parameter operator-version)")
        return None
    if version in UNSUPPORTED_VERSIONS:
        rep.error("flink-version", "spec.flinkVersion",
                  f"flinkVersion {version} is no longer supported; supported: {supported}",
                  f"Flink version {version} is not supported by this operator version",
                  f"upgrade the image to a supported Flink ({', '.join(current)} are current)")
        return version
    if version in deprecated:
        logged = settings.has(releases.DEPRECATION_LOGGED_SINCE)  # older releases only mark the enum value
        rep.warn("flink-version", "spec.flinkVersion", f"flinkVersion {version} is deprecated",
                 f"Flink version {version} is deprecated and may be removed in a future operator release. "
                 "Plan to upgrade to a non-deprecated version." if logged else f"@Deprecated {version}",
                 f"plan an upgrade to one of {', '.join(current)}")
    return version
