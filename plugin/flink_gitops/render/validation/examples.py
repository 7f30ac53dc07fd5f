"""The minimal valid manifests the rules' examples change in one place (each example stays one readable call)."""

from __future__ import annotations

from flink_gitops.flink import API_GROUP, API_VERSION

RESOURCE = "{resource: {memory: 2048m, cpu: 1}}"


def flink_deployment(*, name: str = "orders", namespace: str = "streaming",
                     api_version: str = f"{API_GROUP}/{API_VERSION}", flink_version: str = "v1_20",
                     service_account: str | None = "flink", spec: str = "", job_manager: str = RESOURCE,
                     task_manager: str = RESOURCE, jar: str = "local:///opt/flink/usrlib/orders.jar",
                     job: str | None = "parallelism: 2") -> str:
    """A valid application-mode FlinkDeployment; ``spec`` adds YAML lines to its spec, ``job`` is the job's fields
    after ``jarURI`` (None: a session cluster)."""
    lines = [f"apiVersion: {api_version}", "kind: FlinkDeployment",
             f"metadata: {{name: {name}, namespace: {namespace}}}", "spec:", f"  flinkVersion: {flink_version}"]
    if service_account is not None:
        lines.append(f"  serviceAccount: {service_account}")
    lines += [f"  {line}" for line in spec.splitlines()]
    lines += [f"  jobManager: {job_manager}", f"  taskManager: {task_manager}"]
    if job is not None:
        lines.append(f"  job: {{jarURI: {jar}, {job}}}")
    return "\n".join(lines) + "\n"


def flink_session_job(*, kind: str = "FlinkSessionJob", deployment_name: str = "reporting-session",
                      jar: str = "https://artifacts.example.com/jobs/daily-revenue.jar",
                      job: str | None = "parallelism: 1") -> str:
    """A valid FlinkSessionJob on the session cluster ``reporting-session``; ``job`` as in :func:`flink_deployment`."""
    lines = [f"apiVersion: {API_GROUP}/{API_VERSION}", f"kind: {kind}",
             "metadata: {name: daily-revenue, namespace: reporting}", "spec:", f"  deploymentName: {deployment_name}"]
    if job is not None:
        lines.append(f"  job: {{jarURI: {jar}, {job}}}")
    return "\n".join(lines) + "\n"
