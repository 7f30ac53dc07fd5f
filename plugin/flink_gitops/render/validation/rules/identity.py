"""Identity: two objects that are one when applied; Flink resources of a kind or version the operator's CRDs lack."""

from __future__ import annotations

from flink_gitops.flink import API_GROUP
from flink_gitops.render.validation.examples import flink_deployment, flink_session_job
from flink_gitops.render.validation.registry import CRD_DEPLOYMENT, CRD_DIRECTORY, register
from flink_gitops.render.validation.rules.common import SERVED_VERSIONS, Report, closest


register(
    "duplicate-identity", "two objects with the same group, kind, namespace and name",
    operator="one silently replaces the other when applied",
    source="",
    fix="rename one, or remove the copy (overlapping folders, kustomize bases, Helm templates).",
    details="Two objects with the same API group (not version), kind, namespace and name — objects without a "
            "namespace count in the app namespace; cluster-scoped kinds ignore it. Applied, one silently replaces "
            "the other (Argo CD keeps one of them). Reported at the second occurrence, naming the first.",
    example="""\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: streaming}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: streaming}
data: {mode: copy}
""",
    expected="example.yaml (document 2): ConfigMap streaming/settings: metadata.name: same object as example.yaml "
             "(document 1): group 'core', kind ConfigMap, namespace 'streaming' and name 'settings' are equal, so "
             "one silently replaces the other when applied [duplicate-identity] (fix: rename one of them, or remove "
             "the copy (look for overlapping folders, kustomize bases or Helm templates))")
register(
    "api-version", "flink.apache.org resource with a version the CRD does not serve",
    operator="no matches for kind \"FlinkDeployment\" in version ...",
    source=CRD_DEPLOYMENT,
    fix="`apiVersion: flink.apache.org/v1beta1`.",
    details="A flink.apache.org resource whose version the CRD does not serve (only `v1beta1`). The API server: "
            "*\"no matches for kind\"*.",
    example=flink_deployment(api_version="flink.apache.org/v1alpha1"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: apiVersion: flink.apache.org/v1alpha1 is "
             "not served: the operator's CRD serves only flink.apache.org/v1beta1 (operator: \"no matches for kind "
             "\"FlinkDeployment\" in version \"flink.apache.org/v1alpha1\"\") [api-version] (fix: use apiVersion: "
             "flink.apache.org/v1beta1)")


register(
    "kind", "a flink.apache.org kind no operator CRD defines (a typo such as FlinkSesionJob)",
    operator="no matches for kind \"FlinkSesionJob\" in version \"flink.apache.org/v1beta1\"",
    source=CRD_DIRECTORY,
    fix="the kind's exact spelling: FlinkDeployment, FlinkSessionJob, FlinkStateSnapshot or FlinkBlueGreenDeployment.",
    details="A kind in the `flink.apache.org` group that none of the operator's CRDs defines. The API server refuses "
            "it (*\"no matches for kind\"*) when Argo CD applies it, after earlier waves went through; and the plugin "
            "recognises Flink objects by kind, so until then the object gets no sync wave and no validation. A kind "
            "one or two letters from a real one, or equal but for case, gets a \"did you mean\".",
    example=flink_session_job(kind="FlinkSesionJob"),
    expected="example.yaml (document 1): FlinkSesionJob reporting/daily-revenue: kind: kind FlinkSesionJob does not "
             "exist in flink.apache.org (did you mean FlinkSessionJob?); the operator defines only FlinkDeployment, "
             "FlinkSessionJob, FlinkStateSnapshot, FlinkBlueGreenDeployment, and the plugin neither validates nor "
             "orders anything else (operator: \"no matches for kind \"FlinkSesionJob\" in version "
             "\"flink.apache.org/v1beta1\"\") [kind] (fix: write kind: FlinkSessionJob)")


def check_api_version(rep: Report, api_version: str, kind: str) -> None:
    version = api_version.rpartition("/")[2]
    if version not in SERVED_VERSIONS:
        rep.error("api-version", "apiVersion",
                  f"{api_version} is not served: the operator's CRD serves only "
                  + ", ".join(f"{API_GROUP}/{v}" for v in SERVED_VERSIONS),
                  f'no matches for kind "{kind}" in version "{api_version}"',
                  f"use apiVersion: {API_GROUP}/{SERVED_VERSIONS[-1]}")


def check_kind(rep: Report, api_version: str, kind: object, known: tuple[str, ...]) -> None:
    """A kind in the operator's group that no CRD defines: usually a typo, which also costs the object its sync
    wave and its validation (the plugin recognises kinds by name)."""
    guess = closest(kind, known) if isinstance(kind, str) else None
    mean = f" (did you mean {guess}?)" if guess else ""
    rep.error("kind", "kind",
              f"kind {kind} does not exist in {API_GROUP}{mean}; the operator defines only {', '.join(known)}, "
              "and the plugin neither validates nor orders anything else",
              f'no matches for kind "{kind}" in version "{api_version}"',
              f"write kind: {guess}" if guess else f"use one of {', '.join(known)}")
