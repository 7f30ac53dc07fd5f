"""Validation before sync: what the Flink Kubernetes Operator would refuse, caught at render time.

The operator refuses a bad FlinkDeployment, FlinkSessionJob, FlinkStateSnapshot (or the FlinkDeployment
spec in a FlinkBlueGreenDeployment's template) in its admission webhook (``DefaultValidator``) or, for
enum, type and kind errors, the API server refuses it against the operator's CRD. Either way Argo
CD's sync fails halfway, or - when the webhook is not installed - the operator records the error in
``status.error`` and keeps running the old spec while Argo CD shows the new one as synced. Catching it at render time fails the manifest
generation instead, with one line per problem naming file, object, field, the operator's rule
and the fix.

Entry point: :func:`validate_objects`. Pure and deterministic (problems come in input order,
then in the operator's order of checks), linear in the number of objects, standard library only.

Parameters (all optional):

``validate-strict``
    ``true``: warnings are errors.
``validate-operator-config``
    The operator's default configuration (its ``flink-conf.yaml`` / ``defaultConfiguration``) as
    ``key: value`` lines, nested YAML (``config.yaml``) or a JSON object. Without it the upstream
    defaults are assumed: no checkpoint/savepoint directory, no HA, jarURI schemes ``https`` only,
    reconcile interval 60 s. Namespace and Flink-version scoped defaults
    (``kubernetes.operator.default-configuration.namespace.<ns>.`` / ``.flink-version.<v>[+].``)
    are honoured like the operator does.
``validate-skip-rules``
    Rule ids to skip for every object (comma-separated, or a list).
``operator-version``
    The operator release to validate against (:mod:`operator_releases`; default the newest): a rule newer
    than it is skipped, and kinds, fields and values it does not have are refused.
``namespace``
    The namespace objects without ``metadata.namespace`` are applied to (Argo CD's
    ARGOCD_APP_NAMESPACE); used for identity and cross-object references.

Per object, the annotation ``flink-gitops.io/skip-validation`` skips rules: ``"true"`` (or
``"all"``) skips every operator rule, a comma-separated list of rule ids skips those. The
duplicate-identity check is never skipped.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from flink_gitops.errors import Problem
from flink_gitops.flink import API_GROUP, Located, group_of, kind_names
from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation import operator_releases as releases
from flink_gitops.render.validation import rules as r
from flink_gitops.render.validation.registry import RULES

SKIP_ANNOTATION = "flink-gitops.io/skip-validation"

# Kinds without a namespace: their identity ignores metadata.namespace.
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "APIService", "IngressClass", "RuntimeClass",
    "CSIDriver", "CSINode", "VolumeAttachment", "PodSecurityPolicy", "CertificateSigningRequest", "FlowSchema",
    "PriorityLevelConfiguration", "ClusterIssuer", "ComponentStatus",
})


def _param(params: Mapping[str, object], name: str) -> object:
    value = params.get(name)
    return "" if value is None else value


def _rule_list(value: object) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def _settings(params: Mapping[str, object], errors: list[Problem]) -> r.Settings:
    try:
        operator_conf = fc.parse_operator_config(str(_param(params, "validate-operator-config")))
    except ValueError as exc:
        errors.append(Problem(f"parameter validate-operator-config: {exc}",
                              hint="give the operator's configuration as 'key: value' lines, nested config.yaml or "
                                   "a JSON object"))
        operator_conf = {}
    skip = _rule_list(_param(params, "validate-skip-rules"))
    unknown = [s for s in skip if s not in RULES]
    if unknown:
        errors.append(Problem(f"parameter validate-skip-rules: unknown rule(s) {', '.join(unknown)}",
                              hint="known rules: " + ", ".join(sorted(RULES))))
    release = str(_param(params, "operator-version")).strip() or releases.NEWEST
    if release not in releases.RELEASES:
        errors.append(Problem(f"parameter operator-version: {release!r} is not a release validation knows",
                              hint="one of " + ", ".join(releases.RELEASES)))
        release = releases.NEWEST
    # A check the chosen release does not have yet is skipped like a rule the user skips.
    newer = {rule.id for rule in RULES.values() if not releases.has(release, rule.since)}
    settings = r.Settings(operator_conf=operator_conf, operator_conf_given=bool(operator_conf),
                          namespace=str(_param(params, "namespace")).strip(),
                          skip_rules=frozenset(s for s in skip if s in RULES) | newer, operator_version=release)
    schemes = operator_conf.get(fc.JAR_SCHEMES_KEY)
    if schemes is not None:
        settings.jar_schemes = tuple(s.strip().lower() for s in schemes.replace(",", ";").split(";") if s.strip())
    restricted = operator_conf.get(fc.JAR_RESTRICTED_HOSTS_KEY)
    if restricted is not None:
        settings.restricted_hosts = restricted.strip().lower() != "false"
    return settings


def _meta(obj: dict) -> dict:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _skip_for(loc: Located, settings: r.Settings, warnings: list[Problem]) -> frozenset[str] | None:
    annotations = _meta(loc.obj).get("annotations")
    value = annotations.get(SKIP_ANNOTATION) if isinstance(annotations, dict) else None
    if value is None:
        return settings.skip_rules
    text = str(value).strip()
    if text.lower() in ("true", "all", "*"):
        return None
    if text.lower() in ("", "false"):
        return settings.skip_rules
    rules = _rule_list(text)
    unknown = [s for s in rules if s not in RULES]
    if unknown:
        warnings.append(loc.problem(f"unknown rule(s) {', '.join(unknown)} in annotation {SKIP_ANNOTATION}; they "
                                    "skip nothing", f"metadata.annotations[{SKIP_ANNOTATION}]",
                                    "known rules: " + ", ".join(sorted(RULES))))
    return settings.skip_rules | frozenset(rules)


def validate_objects(objs: list[Located], params: Mapping[str, str]) -> tuple[list[Problem], list[str]]:
    """Check every object; return ``(errors, warnings)`` (warnings as display lines)."""
    errors: list[Problem] = []
    warning_problems: list[Problem] = []
    settings = _settings(params, errors)
    default_ns = settings.namespace
    flink_kinds = kind_names()
    release_kinds = tuple(k for k in flink_kinds if settings.has(releases.KIND_SINCE.get(k, "")))

    # Pass 1: identities, and an index of the Flink resources for cross-object checks.
    seen: dict[tuple[str, str, str, str], Located] = {}
    flink: dict[tuple[str, str, str], Located] = {}
    duplicates: dict[int, Problem] = {}
    for index, loc in enumerate(objs):
        obj = loc.obj
        if not isinstance(obj, dict):
            continue
        meta = _meta(obj)
        name = meta.get("name")
        kind = obj.get("kind")
        if not isinstance(name, str) or not name or not isinstance(kind, str):
            continue
        group = group_of(obj)
        ns = "" if kind in CLUSTER_SCOPED else (meta.get("namespace") or default_ns)
        ns = ns if isinstance(ns, str) else str(ns)
        key = (group, kind, ns, name)
        first = seen.get(key)
        if first is None:
            seen[key] = loc
            if group == API_GROUP and kind in flink_kinds:
                flink[(kind, ns, name)] = loc
        else:
            where = first.file if first.document is None else f"{first.file} (document {first.document})"
            if first.item is not None:
                where += f" (List item {first.item + 1})"
            shown_ns = f"namespace {ns!r}" if ns else "no namespace"
            duplicates[index] = replace(loc.problem(
                f"same object as {where}: group {group or 'core'!r}, kind {kind}, {shown_ns} and name {name!r} are "
                "equal, so one silently replaces the other when applied",
                "metadata.name",
                "rename one of them, or remove the copy (look for overlapping folders, kustomize bases or Helm "
                "templates)"), rule="duplicate-identity")

    def find(kind: str, namespace: str, name: str) -> Located | None:
        return flink.get((kind, namespace, name))

    session_clusters = r.SessionClusters(
        lambda: ((ns, name, loc) for (kind, ns, name), loc in flink.items() if kind == "FlinkDeployment"))

    # Pass 2: the operator's rules, object by object, in input order.
    for index, loc in enumerate(objs):
        obj = loc.obj
        if not isinstance(obj, dict):
            continue
        kind = obj.get("kind")
        api_version = obj.get("apiVersion")
        if index in duplicates:
            errors.append(duplicates[index])
        if group_of(api_version) != API_GROUP:
            continue
        meta = _meta(obj)
        labels = meta.get("labels")
        if isinstance(labels, dict) and str(labels.get(r.CANARY_LABEL, "false")).lower() == "true":
            continue  # the operator's own health canary: the webhook lets it through untouched
        report = r.Report(loc, _skip_for(loc, settings, warning_problems))
        if kind not in flink_kinds:
            r.check_kind(report, api_version, kind, release_kinds)
            errors.extend(report.errors)
            continue
        if not r.check_kind_release(report, api_version, kind, settings):
            errors.extend(report.errors)
            continue
        r.check_api_version(report, api_version, kind)
        ns = meta.get("namespace") or default_ns
        ns = ns if isinstance(ns, str) else str(ns)
        if kind == "FlinkDeployment":
            r.check_deployment(report, settings, ns)
        elif kind == "FlinkSessionJob":
            spec = obj.get("spec")
            target = spec.get("deploymentName") if isinstance(spec, dict) else None
            cluster = find("FlinkDeployment", ns, target) if isinstance(target, str) else None
            r.check_session_job(report, settings, ns, cluster, session_clusters)
        elif kind == "FlinkBlueGreenDeployment":
            r.check_blue_green(report, settings, ns)
        else:
            r.check_snapshot(report, ns, find)
        errors.extend(report.errors)
        warning_problems.extend(report.warnings)

    if str(params.get("validate-strict", "")).strip().lower() in ("true", "yes", "on", "1"):
        errors.extend(replace(p, message=f"{p.message} (a warning; validate-strict makes it an error)") if p.rule
                      else p for p in warning_problems)
        return errors, []
    return errors, [str(p) for p in warning_problems]
