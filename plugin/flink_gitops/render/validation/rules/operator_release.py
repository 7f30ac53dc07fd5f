"""What the operator release in parameter ``operator-version`` does not have yet: kinds, fields and value types its
CRDs do not declare (``operator_releases`` says which release brought each)."""

from __future__ import annotations

from flink_gitops.render.validation.examples import flink_deployment
from flink_gitops.render.validation.operator_releases import (
    KIND_SINCE,
    RESOURCE_REQUIREMENTS_SINCE,
    STRUCTURED_CONFIG_SINCE,
)
from flink_gitops.render.validation.registry import CRD_DIRECTORY, register
from flink_gitops.render.validation.rules.common import REGISTERED, Report, Settings, conf_field, type_name

FIX_VERSION = "or set parameter operator-version to the operator release you run"

register(
    "operator-version", "a kind, field or value type the operator release in parameter operator-version does not have",
    operator="the CRDs of that operator release do not declare it",
    source=CRD_DIRECTORY,
    fix="use what that release has (the message says what), or set `operator-version` to the release you run.",
    details="Parameter `operator-version` (default: the newest release validation knows) names the operator "
            "release the manifests are for. What its CRDs do not declare yet is an error, because the API server "
            "refuses it, or drops it and the operator then misses it: the kind `FlinkBlueGreenDeployment` before "
            "1.14 (*\"no matches for kind\"*); `jobManager.resources` / `taskManager.resources` before 1.16 (the "
            "release's `resource` holds memory and cpu); before 1.13, a `flinkConfiguration` value that is not a "
            "string (a number, a boolean, a list) or a nested map: the CRD declares a map of strings. Which release "
            "brought what: [compatibility.md](compatibility.md).",
    example=flink_deployment(task_manager="{resource: {memory: 2048m, cpu: 1}, resources: {limits: {cpu: 2}}}"),
    example_version="1.15",
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.taskManager.resources: operator 1.15 "
             "has no taskManager.resources (Kubernetes resource requirements, from operator 1.16): its CRD does not "
             "declare the field, so the API server refuses or drops it (operator: \"the CRDs of that operator "
             "release do not declare it\") [operator-version] (fix: use taskManager.resource (memory, cpu, "
             "ephemeralStorage), or set parameter operator-version to the operator release you run)")


def check_kind_release(rep: Report, api_version: str, kind: str, settings: Settings) -> bool:
    """False (and an error) when the kind came after the chosen release."""
    since = KIND_SINCE.get(kind, "")
    if settings.has(since):
        return True
    rep.error("operator-version", "kind",
              f"kind {kind} exists from operator {since} on; operator {settings.operator_version} has no CRD for it",
              f'no matches for kind "{kind}" in version "{api_version}"',
              f"upgrade the operator to {since} or later and the CRDs with it, {FIX_VERSION}")
    return False


def check_resource_requirements(rep: Report, spec: dict, settings: Settings) -> None:
    """``jobManager.resources`` / ``taskManager.resources`` before the release that declares them."""
    if settings.has(RESOURCE_REQUIREMENTS_SINCE):
        return
    for component in ("jobManager", "taskManager"):
        comp = spec.get(component)
        if isinstance(comp, dict) and comp.get("resources") is not None:
            rep.error("operator-version", f"spec.{component}.resources",
                      f"operator {settings.operator_version} has no {component}.resources (Kubernetes resource "
                      f"requirements, from operator {RESOURCE_REQUIREMENTS_SINCE}): its CRD does not declare the "
                      "field, so the API server refuses or drops it", REGISTERED,
                      f"use {component}.resource (memory, cpu, ephemeralStorage), {FIX_VERSION}")


def check_config_types(rep: Report, spec: dict, settings: Settings) -> None:
    """Before structured configuration, ``flinkConfiguration`` is a map of strings: anything else is refused."""
    raw = spec.get("flinkConfiguration")
    if settings.has(STRUCTURED_CONFIG_SINCE) or not isinstance(raw, dict):
        return
    release = settings.operator_version
    for key, value in raw.items():
        if value is None or isinstance(value, str):
            continue  # a null is pruned by the API server
        if isinstance(value, dict):
            what, fix = "a nested mapping", "write its keys flat and quoted, e.g. " + _flat_example(str(key), value)
        else:
            shown = "true" if value is True else "false" if value is False else value
            if isinstance(value, list):
                shown = ";".join(str(v) for v in value)  # Flink's list separator
            what, fix = f"{type_name(value)} {value!r}", f'quote it: {key}: "{shown}"'
        rep.error("operator-version", conf_field(str(key)),
                  f"{what} is not a string: operator {release}'s CRD declares flinkConfiguration a map of strings "
                  f"(nested YAML and other types from operator {STRUCTURED_CONFIG_SINCE})",
                  f"spec.flinkConfiguration.{key} in body must be of type string",
                  f"{fix}, {FIX_VERSION}")


def _flat_example(key: str, value: dict) -> str:
    """The first leaf under ``key`` as one flat, quoted line: ``execution.checkpointing.interval: "10s"``."""
    path, leaf = key, value
    while isinstance(leaf, dict) and leaf:
        inner, leaf = next(iter(leaf.items()))
        path += f".{inner}"
    if path == key:
        path += ".<key>"
    return f'{path}: "{"<value>" if isinstance(leaf, (dict, list)) or leaf is None else leaf}"'
