"""Render parameters: one table, read from defaults, the app's config file and Argo CD's env.

Precedence, lowest first: the defaults below, ``flink-gitops.yaml`` in the app folder,
``ARGOCD_ENV_<NAME>`` (the Application's ``plugin.env``), ``ARGOCD_APP_PARAMETERS`` /
``PARAM_<NAME>`` (the Application's ``plugin.parameters``), then ``--param`` on the command line.
Argo CD never sends the announced defaults, so the defaults here are the behaviour with no
parameters at all; ``plugin/plugin.yaml`` announces the same table (a test keeps them equal).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Mapping

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import API_GROUP
from flink_gitops.render import budget
from flink_gitops.render.validation.operator_releases import NEWEST, RELEASES


@dataclass(frozen=True)
class Param:
    name: str
    default: str | tuple[str, ...]
    title: str
    tooltip: str
    kind: str = "string"  # string | boolean | choice | array | size | count | duration
    choices: tuple[str, ...] = ()

    @property
    def env_name(self) -> str:
        """Argo CD's escaping of a parameter name (``types.go`` ``escaped``)."""
        return re.sub("[^A-Z0-9_]", "_", self.name.upper())


PARAMETERS: tuple[Param, ...] = (
    Param("source", "auto", "Source type",
          "auto: kustomize if kustomization.yaml, helm if Chart.yaml, else a folder of manifests",
          "choice", ("auto", "directory", "kustomize", "helm")),
    Param("values-files", (), "Helm values files",
          "values files for helm template, relative to the app folder (must stay inside the repository)",
          "array"),
    Param("helm-release-name", "", "Helm release name",
          "the release name for helm template (an Application's helm.releaseName); empty: the Application's name",
          "string"),
    Param("strip-cluster-fields", "true", "Remove cluster-owned fields",
          "drop status, resourceVersion, uid, managedFields, last-applied... from pasted objects", "boolean"),
    Param("log4j", "true", "Check log4j configuration",
          "parse flink-config-<name> ConfigMaps and spec.logConfiguration, warn about hot reload", "boolean"),
    Param("log4j-strategy", "configmap", "log4j strategy",
          "configmap: keep the flink-config-<name> ConfigMap (hot reload, ordered by sync waves); "
          "inline: move it into spec.logConfiguration (no ownership fight, restart on change)",
          "choice", ("configmap", "inline")),
    Param("validate", "true", "Validate before sync",
          "reject what the Flink operator's admission webhook would reject", "boolean"),
    Param("validate-strict", "false", "Strict validation", "treat validation warnings as errors", "boolean"),
    Param("validate-operator-config", "", "Operator configuration",
          "the operator's default configuration (flink-conf 'key: value' lines, nested config.yaml or JSON) "
          "that validation assumes; empty: upstream defaults", "string"),
    Param("validate-skip-rules", (), "Validation rules to skip",
          "validation rule ids to skip for every object (per object: annotation flink-gitops.io/skip-validation)",
          "array"),
    Param("operator-version", NEWEST, "Flink operator release",
          "the Flink Kubernetes Operator release validation follows: kinds, fields, flinkVersion values and checks "
          "newer than it are refused or not applied", "choice", RELEASES),
    Param("sync-waves", "true", "Sync waves",
          "order Flink resources, their dependencies and log4j ConfigMaps with argocd.argoproj.io/sync-wave",
          "boolean"),
    Param("ignore-differences", "true", "ignoreDifferences for child Applications",
          f"add {API_GROUP} ignoreDifferences to Applications/ApplicationSets in the stream (app-of-apps)",
          "boolean"),
    Param("ignore-differences-annotation", "true", "Per-resource ignore rules",
          "annotate FlinkDeployments whose parallelism the autoscaler or whose TaskManager replicas an HPA owns with "
          "argocd.argoproj.io/ignore-differences-json-pointers (Argo CD 3.6+, with RespectIgnoreDifferences=true)",
          "boolean"),
    Param("crd-server-side-apply", "true", "Server-side apply for the operator's CRDs",
          "add ServerSideApply=true to argocd.argoproj.io/sync-options of flink.apache.org CustomResourceDefinitions",
          "boolean"),
    Param("parallelism-managed-externally", "false", "Parallelism managed outside git",
          "ignore /spec/job/parallelism of every FlinkDeployment in child Applications", "boolean"),
    Param("allow-empty", "false", "Allow empty output",
          "an empty render is an error unless set (with automated prune it deletes everything)", "boolean"),
    *(Param(limit.param, "", limit.title,
            f"{limit.what}; empty: the sidecar's limit, {limit.env} (default {limit.ceiling}), which this may only "
            "lower", limit.kind) for limit in budget.LIMITS),
    Param("explain", "false", "Explain the wave plan", "print the sync-wave plan on stderr", "boolean"),
)

BY_NAME: dict[str, Param] = {p.name: p for p in PARAMETERS}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def defaults() -> dict[str, str | tuple[str, ...]]:
    return {p.name: p.default for p in PARAMETERS}


def _unknown(name: str, origin: str) -> Problem:
    names = [p.name for p in PARAMETERS]
    import difflib  # here, not at the top: only this error needs it, and every render imports this module

    # A misspelt name is the usual cause: name the parameter it most likely meant first.
    guess = difflib.get_close_matches(name.lower(), names, n=1, cutoff=0.75)
    mean = f" (did you mean {guess[0]}?)" if guess else ""
    return Problem(
        f"unknown parameter {name!r}{mean}",
        file=origin,
        hint="known parameters: " + ", ".join(names),
    )


def _coerce(param: Param, value: object, origin: str) -> str | tuple[str, ...]:
    """Check one raw value against its parameter; return its canonical text form."""
    if param.kind == "array":
        if isinstance(value, str):  # --param values-files=a.yaml,b.yaml
            value = [v for v in value.split(",") if v]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UserError(Problem(f"parameter {param.name!r} must be a list of strings", file=origin))
        return tuple(value)
    if isinstance(value, bool):
        value = "true" if value else "false"
    if not isinstance(value, (str, int)):
        raise UserError(Problem(f"parameter {param.name!r} must be a string, got {type(value).__name__}", file=origin))
    text = str(value).strip()
    if param.kind == "boolean":
        low = text.lower()
        if low in _TRUE:
            return "true"
        if low in _FALSE:
            return "false"
        raise UserError(Problem(f"parameter {param.name!r} must be true or false, got {text!r}", file=origin))
    if param.kind == "choice" and text not in param.choices:
        raise UserError(
            Problem(f"parameter {param.name!r} must be one of {', '.join(param.choices)}; got {text!r}", file=origin)
        )
    if param.name in budget.BY_PARAM and text:  # empty: the sidecar's ceiling
        budget.parse(budget.BY_PARAM[param.name], text, origin)
    if not is_text(text):
        raise UserError(Problem(f"parameter {param.name!r} is not valid UTF-8 text", file=origin))
    return text


def is_text(text: str) -> bool:
    """False for a lone surrogate: how Python hands over bytes that were not UTF-8 in argv or the environment."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def from_mapping(raw: Mapping[str, object], origin: str) -> dict[str, str | tuple[str, ...]]:
    out = {}
    for name, value in raw.items():
        param = BY_NAME.get(str(name))
        if param is None:
            raise UserError(_unknown(str(name), origin))
        out[param.name] = _coerce(param, value, origin)
    return out


def from_argocd_parameters(text: str) -> dict[str, str | tuple[str, ...]]:
    """``ARGOCD_APP_PARAMETERS``: ``[{"name": ..., "string"|"array"|"map": ...}]``."""
    origin = "ARGOCD_APP_PARAMETERS"
    try:
        items = json.loads(text) if text.strip() else []
    except ValueError as exc:
        raise UserError(Problem(f"not valid JSON: {exc}", file=origin)) from None
    if not isinstance(items, list):
        raise UserError(Problem("must be a JSON list of {name, string|array|map}", file=origin))
    raw: dict[str, object] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise UserError(Problem(f"entry {item!r} has no name", file=origin))
        if "map" in item:
            raise UserError(Problem(f"parameter {item['name']!r} is a map; no flink-gitops parameter is", file=origin))
        raw[item["name"]] = item["array"] if "array" in item else item.get("string", "")
    return from_mapping(raw, origin)


def from_environ(env: Mapping[str, str], prefix: str) -> dict[str, str | tuple[str, ...]]:
    """``PARAM_<NAME>`` / ``ARGOCD_ENV_<NAME>`` (arrays as ``<NAME>_0``, ``<NAME>_1``...).

    Unknown names are ignored here: the sidecar's own environment may hold anything. An empty
    ``ARGOCD_ENV_`` value means unset: Argo CD 3.0 passes an Application's empty env entries, which 2.x
    dropped, and the same Application must render the same on both.
    """
    out: dict[str, str | tuple[str, ...]] = {}
    for param in PARAMETERS:
        key = prefix + param.env_name
        if prefix == "ARGOCD_ENV_" and env.get(key) == "":
            continue
        if param.kind == "array":
            items, i = [], 0
            while f"{key}_{i}" in env:
                items.append(env[f"{key}_{i}"])
                i += 1
            if items or key in env:
                out[param.name] = _coerce(param, items or env[key], key)
        elif key in env:
            out[param.name] = _coerce(param, env[key], key)
    return out


def from_cli(pairs: list[str]) -> dict[str, str | tuple[str, ...]]:
    raw: dict[str, object] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UserError(Problem(f"--param {pair!r}: expected NAME=VALUE"))
        raw[name.strip()] = value
    return from_mapping(raw, "--param")

