"""FlinkSessionJob (``DefaultValidator.validateSessionJob``): a job, a cluster to run on, and the job rules
against the session cluster's configuration when that cluster is in the render."""

from __future__ import annotations

from typing import Callable, Iterable

from flink_gitops.flink import Located
from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation.flinkconf import Conf
from flink_gitops.render.validation.examples import flink_deployment, flink_session_job
from flink_gitops.render.validation.registry import DEFAULT_VALIDATOR, SESSION_JOB_RECONCILER, register
from flink_gitops.render.validation.rules.autoscaler import check_autoscaler
from flink_gitops.render.validation.rules.common import (
    REGISTERED,
    Report,
    Settings,
    edit_distance,
    enum_value,
    flink_conf,
    integer_at,
    mapping_at,
    string_at,
    type_name,
)
from flink_gitops.render.validation.rules.deployment import check_name
from flink_gitops.render.validation.rules.jar_uri import check_jar_uri
from flink_gitops.render.validation.rules.operator_release import check_config_types
from flink_gitops.render.validation.rules.job import JOB_STATES, UPGRADE_MODES, check_job, upgrade_mode_hint


register(
    "session-job", "FlinkSessionJob without job, or aimed at an application cluster",
    operator="The job spec should not be empty",
    source=DEFAULT_VALIDATOR,
    fix="point `deploymentName` at a session cluster (a FlinkDeployment without `spec.job`).",
    details="A FlinkSessionJob without `spec.job` (*\"The job spec should not be empty\"*) or without "
            "`deploymentName`; or, when the FlinkDeployment it names is in the stream, one that runs its own job "
            "(*\"Can not submit session job to application cluster\"*). With the cluster in the stream the job's "
            "state-directory and autoscaler rules use the cluster's configuration merged with the job's, as the "
            "operator does.",
    example=flink_session_job(job=None),
    expected="example.yaml (document 1): FlinkSessionJob reporting/daily-revenue: spec.job: the session job has no "
             "job (operator: \"The job spec should not be empty\") [session-job] (fix: add spec.job with jarURI, "
             "parallelism and upgradeMode)")


register(
    "session-job-target", "a session job's deploymentName one letter away from a session cluster in the same render",
    operator="Session cluster deployment is not found",
    source=SESSION_JOB_RECONCILER,
    fix="`deploymentName:` the cluster's exact name; if the named cluster is deployed by another app, skip this rule "
        "on the job (annotation `flink-gitops.io/skip-validation: session-job-target`).",
    details="A FlinkSessionJob whose `deploymentName` names no FlinkDeployment in the render while a session cluster "
            "(a FlinkDeployment without `spec.job`) in the same namespace is one edit away (a letter added, dropped, "
            "changed, or two swapped). The operator accepts the job and waits for a cluster that never comes "
            "(*\"Session cluster deployment is not found\"*), while the intended cluster runs nothing. An error, "
            "not a warning, because warnings do not stop a sync; a cluster of that name in another app is the "
            "exception the annotation is for.",
    example=(flink_deployment(name="reporting-session", namespace="reporting", job=None)  # the session cluster
             + "---\n" + flink_session_job(deployment_name="reporting-sesion")),
    expected="example.yaml (document 2): FlinkSessionJob reporting/daily-revenue: spec.deploymentName: no "
             "FlinkDeployment 'reporting-sesion' in this render (did you mean reporting-session? a session cluster "
             "of that name is in example.yaml) (operator: \"Session cluster deployment is not found\") "
             "[session-job-target] (fix: set deploymentName: reporting-session; if 'reporting-sesion' is a session "
             "cluster another app deploys, skip this rule (annotation flink-gitops.io/skip-validation: "
             "session-job-target))")


class SessionClusters:
    """The render's session clusters (FlinkDeployments without ``spec.job``) by namespace, to name the one a
    misspelled ``deploymentName`` meant. Indexed on first use by every one-letter deletion of each name, so a
    lookup costs one probe per letter however many clusters there are."""

    def __init__(self, deployments: Callable[[], Iterable[tuple[str, str, Located]]]):
        self._deployments = deployments  # () -> (namespace, name, located) of every FlinkDeployment
        self._index: dict[tuple[str, str], list[tuple[str, Located]]] | None = None

    def _build(self) -> dict[tuple[str, str], list[tuple[str, Located]]]:
        index: dict[tuple[str, str], list[tuple[str, Located]]] = {}
        for namespace, name, loc in self._deployments():
            spec = loc.obj.get("spec")
            if isinstance(spec, dict) and spec.get("job") is not None:
                continue
            for key in {name} | {name[:i] + name[i + 1:] for i in range(len(name))}:
                index.setdefault((namespace, key), []).append((name, loc))
        return index

    def one_letter_from(self, namespace: str, name: str) -> tuple[str, Located] | None:
        """The session cluster whose name is one edit (a letter added, dropped, changed or two swapped) away."""
        if self._index is None:
            self._index = self._build()
        keys = {name} | {name[:i] + name[i + 1:] for i in range(len(name))}
        hits = {found: loc for key in keys for found, loc in self._index.get((namespace, key), ())
                if edit_distance(name, found) == 1}
        return next(iter(hits.items())) if len(hits) == 1 else None


def check_session_job(rep: Report, settings: Settings, namespace: str,
                      cluster: Located | None, clusters: SessionClusters | None = None) -> None:
    obj = rep.loc.obj
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        rep.error("schema", "spec", "FlinkSessionJob has no spec" if spec is None else
                  f"spec must be a mapping, got {type_name(spec)}", None, "add spec.deploymentName and spec.job")
        return
    check_config_types(rep, spec, settings)
    name = spec.get("deploymentName")
    if name is None:
        rep.error("session-job", "spec.deploymentName", "deploymentName is missing: the session job names no cluster",
                  "deploymentName: The name of the target session cluster deployment.",
                  "set spec.deploymentName to the name of a session-mode FlinkDeployment (one without job)")
    elif isinstance(name, str):
        check_name(rep, name, "spec.deploymentName", "deploymentName")
    else:
        string_at(rep, spec, "deploymentName", "spec.deploymentName")
    job = mapping_at(rep, spec, "job", "spec.job")
    if job is None:
        if spec.get("job") is None:
            rep.error("session-job", "spec.job", "the session job has no job",
                      REGISTERED, "add spec.job with jarURI, parallelism and upgradeMode")
        flink_conf(rep, spec)  # still report a mistyped flinkConfiguration
        return
    check_jar_uri(rep, job.get("jarURI"), settings, "spec.job.jarURI")
    own = flink_conf(rep, spec)
    if cluster is None:
        near = clusters.one_letter_from(namespace, name) if clusters is not None and isinstance(name, str) else None
        if near is not None:
            rep.error("session-job-target", "spec.deploymentName",
                      f"no FlinkDeployment {name!r} in this render (did you mean {near[0]}? a session cluster of "
                      f"that name is in {near[1].file})", REGISTERED,
                      f"set deploymentName: {near[0]}; if {name!r} is a session cluster another app deploys, skip "
                      "this rule (annotation flink-gitops.io/skip-validation: session-job-target)")
        # Only the checks that do not depend on the cluster's configuration.
        enum_value(rep, "upgrade-mode", job.get("upgradeMode"), UPGRADE_MODES, "spec.job.upgradeMode", "upgradeMode",
                   upgrade_mode_hint(job.get("upgradeMode")))
        enum_value(rep, "job-state", job.get("state"), JOB_STATES, "spec.job.state", "job state",
                   "use running or suspended")
        parallelism = integer_at(rep, job, "parallelism", "spec.job.parallelism")
        if parallelism is not None and parallelism < 1 or job.get("parallelism") is None:
            got = "missing" if parallelism is None else str(parallelism)
            rep.error("parallelism", "spec.job.parallelism", f"job parallelism is {got}: it must be at least 1",
                      REGISTERED, "set job.parallelism: 1 or more")
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


