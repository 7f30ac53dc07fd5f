"""FlinkSessionJob (``DefaultValidator.validateSessionJob``): a job, a cluster to run on, and the job rules
against the session cluster's configuration when that cluster is in the render."""

from __future__ import annotations

from flink_gitops.errors import Located
from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation.flinkconf import Conf
from flink_gitops.render.validation.registry import DEFAULT_VALIDATOR, register
from flink_gitops.render.validation.rules.autoscaler import check_autoscaler
from flink_gitops.render.validation.rules.common import (
    Report,
    Settings,
    enum_value,
    flink_conf,
    integer_at,
    mapping_at,
    string_at,
    type_name,
)
from flink_gitops.render.validation.rules.deployment import check_name
from flink_gitops.render.validation.rules.jar_uri import check_jar_uri
from flink_gitops.render.validation.rules.job import JOB_STATES, UPGRADE_MODES, check_job


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
    example="""\
apiVersion: flink.apache.org/v1beta1
kind: FlinkSessionJob
metadata: {name: daily-revenue, namespace: reporting}
spec:
  deploymentName: reporting-session
""",
    expected="example.yaml (document 1): FlinkSessionJob reporting/daily-revenue: spec.job: the session job has no "
             "job (operator: \"The job spec should not be empty\") [session-job] (fix: add spec.job with jarURI, "
             "parallelism and upgradeMode)")


def check_session_job(rep: Report, settings: Settings, namespace: str,
                      cluster: Located | None) -> None:
    obj = rep.loc.obj
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        rep.error("schema", "spec", "FlinkSessionJob has no spec" if spec is None else
                  f"spec must be a mapping, got {type_name(spec)}", None, "add spec.deploymentName and spec.job")
        return
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
                      "The job spec should not be empty", "add spec.job with jarURI, parallelism and upgradeMode")
        flink_conf(rep, spec)  # still report a mistyped flinkConfiguration
        return
    check_jar_uri(rep, job.get("jarURI"), settings, "spec.job.jarURI")
    own = flink_conf(rep, spec)
    if cluster is None:
        # Only the checks that do not depend on the cluster's configuration.
        enum_value(rep, "upgrade-mode", job.get("upgradeMode"), UPGRADE_MODES, "spec.job.upgradeMode", "upgradeMode",
              "last-state resumes from the latest checkpoint, savepoint takes a savepoint before each upgrade, "
              "stateless starts from empty state")
        enum_value(rep, "job-state", job.get("state"), JOB_STATES, "spec.job.state", "job state", "use running or suspended")
        parallelism = integer_at(rep, job, "parallelism", "spec.job.parallelism")
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


