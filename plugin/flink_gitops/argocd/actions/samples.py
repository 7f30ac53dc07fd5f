"""Live objects the action tests run on, as Argo CD would read them from the cluster.

Written for this project, modelled on the Flink Kubernetes Operator's examples and on the status
the operator writes (1.10+ writes ``lifecycleState``; older fields such as
``savepointInfo.savepointHistory`` still appear on upgraded resources). Each has something that
trips a naive round trip through Lua: an empty mapping (which Lua hands back as an empty array
until Argo CD's ``cleanReturnedObj`` repairs it), an empty list, floats, nested configuration.

``SAMPLES[kind]`` maps a test-data file stem to the object. The odd ones (job as a string, nonce as
a string, no spec at all, being deleted) exist to prove that discovery and every action stay calm.
"""

from __future__ import annotations

import json

from flink_gitops.flink import API_GROUP, API_VERSION

_SPEC_JSON = json.dumps({"spec": {"job": {"parallelism": 6, "upgradeMode": "savepoint"}},
                         "resource_metadata": {"apiVersion": f"{API_GROUP}/{API_VERSION}", "firstDeployment": False}},
                        separators=(",", ":"))

_LABELS = {
    "app.kubernetes.io/instance": "fraud-detection",
    "app.kubernetes.io/part-of": "payments",
}


def _metadata(name: str, generation: int, kind: str, app: str, **extra) -> dict:
    meta = {
        "name": name,
        "namespace": "flink-prod",
        "uid": "5a7c1f0e-3b1d-4d3c-9a55-1f0d%08d" % generation,
        "resourceVersion": str(48211000 + generation),
        "generation": generation,
        "creationTimestamp": "2026-10-02T08:14:55Z",
        "labels": dict(_LABELS, **{"app.kubernetes.io/instance": app}),
        # Argo CD's annotation tracking: <app>:<group>/<kind>:<namespace>/<name>
        "annotations": {"argocd.argoproj.io/tracking-id": f"{app}:{API_GROUP}/{kind}:flink-prod/{name}"},
    }
    meta.update(extra)
    return meta


def _deployment_spec(job: dict | None, **extra) -> dict:
    spec = {
        "image": "registry.example.com/payments/fraud-detection:2.4.1",
        "imagePullPolicy": "IfNotPresent",
        "flinkVersion": "v1_20",
        "serviceAccount": "flink",
        "flinkConfiguration": {
            "taskmanager.numberOfTaskSlots": "2",
            "state.backend.type": "rocksdb",
            "state.savepoints.dir": "s3://payments-flink/savepoints/fraud-detection",
            "state.checkpoints.dir": "s3://payments-flink/checkpoints/fraud-detection",
            "high-availability.type": "kubernetes",
            "high-availability.storageDir": "s3://payments-flink/ha/fraud-detection",
            "execution.checkpointing.interval": "30 s",
        },
        "jobManager": {"replicas": 1, "resources": {"cpu": 0.5, "memory": "2048m"}},
        "taskManager": {"replicas": 3, "resources": {"cpu": 1.5, "memory": "4096m"}},
        "podTemplate": {
            "metadata": {"labels": dict(_LABELS)},
            "spec": {
                "containers": [
                    {
                        "name": "flink-main-container",
                        "env": [{"name": "KAFKA_BOOTSTRAP", "value": "kafka-bootstrap.kafka:9092"}],
                        "volumeMounts": [{"name": "scratch", "mountPath": "/opt/flink/scratch"}],
                    }
                ],
                "volumes": [{"name": "scratch", "emptyDir": {}}],
            },
        },
    }
    if job is not None:
        spec["job"] = job
    spec.update(extra)
    return spec


def _job(**extra) -> dict:
    job = {
        "jarURI": "local:///opt/flink/usrlib/fraud-detection.jar",
        "entryClass": "com.example.payments.FraudDetectionJob",
        "args": ["--input-topic", "payments", "--output-topic", "fraud-alerts"],
        "parallelism": 6,
        "upgradeMode": "savepoint",
    }
    job.update(extra)
    return job


def _deployment_status(lifecycle: str, job_state: str, jm: str) -> dict:
    return {
        "lifecycleState": lifecycle,
        "jobManagerDeploymentStatus": jm,
        "clusterInfo": {"flink-version": "1.20.1", "flink-revision": "a9c1e3f @ 2025-01-30T12:08:44+01:00",
                        "total-cpu": "5.0", "total-memory": "14763950080"},
        "jobStatus": {
            "jobName": "fraud-detection",
            "jobId": "4f1c1e8b9d2a4d2f8a7c6b5e3d2c1b0a",
            "state": job_state,
            "startTime": "1759392933000",
            "updateTime": "1759393011000",
            "savepointInfo": {"savepointHistory": [], "lastPeriodicSavepointTimestamp": 0},
            "checkpointInfo": {"lastPeriodicCheckpointTimestamp": 0},
        },
        "reconciliationStatus": {
            "state": "DEPLOYED",
            "reconciliationTimestamp": 1759393011120,
            "lastReconciledSpec": _SPEC_JSON,
            "lastStableSpec": _SPEC_JSON,
        },
        "taskManager": {"labelSelector": "component=taskmanager,app=fraud-detection", "replicas": 3},
        "observedGeneration": 0,  # set by the caller
    }


def _flink_deployment(name: str, generation: int, spec, status: dict | None, **meta) -> dict:
    obj = {
        "apiVersion": f"{API_GROUP}/{API_VERSION}",
        "kind": "FlinkDeployment",
        "metadata": _metadata(name, generation, "FlinkDeployment", "fraud-detection", **meta),
    }
    if spec is not _MISSING:
        obj["spec"] = spec
    if status is not None:
        status["observedGeneration"] = generation
        obj["status"] = status
    return obj


_MISSING = object()


def _session_cluster() -> dict:
    obj = _flink_deployment("shared-session", 2, _deployment_spec(None), None)
    obj["spec"]["image"] = "flink:1.20.1-java17"
    obj["spec"]["flinkConfiguration"] = {"taskmanager.numberOfTaskSlots": "4"}
    obj["spec"]["podTemplate"]["metadata"] = {}
    obj["status"] = {
        "lifecycleState": "STABLE",
        "jobManagerDeploymentStatus": "READY",
        "clusterInfo": {"flink-version": "1.20.1", "total-cpu": "3.5", "total-memory": "8858370048"},
        "jobStatus": {"savepointInfo": {"savepointHistory": []}, "checkpointInfo": {}},
        "reconciliationStatus": {"state": "DEPLOYED", "reconciliationTimestamp": 1759300000000},
        "observedGeneration": 2,
    }
    return obj


def _session_job(name: str, generation: int, job, status_state: str | None, lifecycle: str, **meta) -> dict:
    obj = {
        "apiVersion": f"{API_GROUP}/{API_VERSION}",
        "kind": "FlinkSessionJob",
        "metadata": _metadata(name, generation, "FlinkSessionJob", "reporting", **meta),
        "spec": {"deploymentName": "shared-session", "flinkConfiguration": {}},
    }
    if job is not None:
        obj["spec"]["job"] = job
    status = {
        "lifecycleState": lifecycle,
        "jobStatus": {"jobName": name, "savepointInfo": {"savepointHistory": []}, "checkpointInfo": {}},
        "reconciliationStatus": {"state": "DEPLOYED", "reconciliationTimestamp": 1759400000000},
        "error": "",
        "observedGeneration": generation,
    }
    if status_state:
        status["jobStatus"]["state"] = status_state
        status["jobStatus"]["jobId"] = "9e0d8c7b6a594837a2b1c0d9e8f7a6b5"
    obj["status"] = status
    return obj


def _reporting_job(**extra) -> dict:
    job = {
        "jarURI": "https://artifacts.example.com/flink/reporting-2.1.0.jar",
        "entryClass": "com.example.reporting.HourlyRollup",
        "args": [],
        "parallelism": 2,
        "upgradeMode": "last-state",
    }
    job.update(extra)
    return job


SAMPLES: dict[str, dict[str, dict]] = {
    "FlinkDeployment": {
        # A stable application job that has been savepointed and restarted by hand before.
        "application-running": _flink_deployment(
            "fraud-detection",
            7,
            _deployment_spec(_job(state="running", savepointTriggerNonce=3), restartNonce=12),
            _deployment_status("STABLE", "RUNNING", "READY"),
        ),
        # Deployed from Git without state or nonces: the operator defaults to running.
        "application-defaults": _flink_deployment(
            "fraud-detection-canary",
            1,
            _deployment_spec(_job()),
            _deployment_status("DEPLOYED", "RUNNING", "DEPLOYED_NOT_READY"),
        ),
        # Suspended by a user: the JobManager is gone, the last savepoint kept.
        "application-suspended": _flink_deployment(
            "fraud-detection",
            9,
            # restartNonce as many set it by hand: epoch milliseconds (exact as a Lua number).
            _deployment_spec(_job(state="suspended", savepointTriggerNonce=4), restartNonce=1759390000123),
            _deployment_status("SUSPENDED", "FINISHED", "MISSING"),
        ),
        # A session cluster: no job to suspend, resume or savepoint; restart redeploys the cluster.
        "session-cluster": _session_cluster(),
        # Odd objects a live cluster can still hand over.
        "odd-job-is-a-string": _flink_deployment(
            "fraud-detection-broken", 3, _deployment_spec("suspended"), None
        ),
        "odd-nonces-are-strings": _flink_deployment(
            "fraud-detection-legacy",
            4,
            _deployment_spec(_job(savepointTriggerNonce="5"), restartNonce="later"),
            None,
        ),
        "odd-no-spec": _flink_deployment("fraud-detection-stub", 1, _MISSING, None),
        "deleting": _flink_deployment(
            "fraud-detection",
            8,
            _deployment_spec(_job(state="running")),
            _deployment_status("DELETING", "RUNNING", "READY"),
            deletionTimestamp="2026-11-20T09:00:00Z",
            finalizers=[f"flinkdeployments.{API_GROUP}/finalizer"],
        ),
    },
    "FlinkSessionJob": {
        "sessionjob-running": _session_job(
            "hourly-rollup", 5, _reporting_job(state="running", savepointTriggerNonce=2), "RUNNING", "STABLE"
        ),
        "sessionjob-suspended": _session_job(
            "hourly-rollup", 6, _reporting_job(state="suspended"), "FINISHED", "SUSPENDED"
        ),
        "odd-nonce-is-a-string": _session_job(
            "hourly-rollup", 3, _reporting_job(savepointTriggerNonce="2"), "RUNNING", "STABLE"
        ),
        "odd-no-job": _session_job("hourly-rollup", 1, None, None, "CREATED"),
    },
}
