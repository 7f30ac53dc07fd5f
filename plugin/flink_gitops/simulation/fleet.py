"""The demo's fleet: fifteen Flink resources in two namespaces and the story each one loops through.

Each resource has a spec and a track: the steps its life goes through, in order, on a loop. A step
says what the user applies (a new spec: a new generation), whether the operator accepts it, and the
status the operator then writes, shaped as the operator writes it (the shapes of the health tables'
fixtures, ``lua/flink.apache.org/<Kind>/testdata``, and ``examples/live``), with the health status
and rule the tables give it. ``tests/test_simulation.py`` evaluates every step with the real Argo CD
Lua, so the story and the tables cannot drift apart.

Python data rather than package YAML: a status is built from the spec it reconciles (its
``lastReconciledSpec``, generations, times), which a template would only repeat, and the fleet
travels in the wheel as code, with nothing to locate at run time.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from typing import Callable

from flink_gitops.flink import API_GROUP, API_VERSION

HEALTHY, PROGRESSING, DEGRADED = "Healthy", "Progressing", "Degraded"

STREAMING, ANALYTICS = "streaming", "analytics"
FLINK_VERSION = {"flink-version": "1.20.1", "flink-revision": "c7a9b1d @ 2025-02-11"}
INGRESS_HOST = "flink.demo.example.internal"  # never resolves: the demo has no Flink web UI behind it


@dataclass(frozen=True)
class Now:
    """What a status needs to know when it is written: the time, the generation the operator has
    accepted and the spec it reconciled (and the last one it marked stable)."""

    millis: int
    observed: int
    reconciled: dict
    stable: dict | None
    stable_generation: int

    @property
    def iso(self) -> str:
        return time_of(self.millis)


@dataclass(frozen=True)
class Step:
    """One moment of a resource's story."""

    health: str  # what the health tables say (Argo CD's status)
    rule: str  # the table rule that decides it
    status: Callable[[Now], dict] | None  # the operator's status; None: the object does not exist
    spec: dict | None = None  # the user applies this spec here (generation + 1)
    accepted: bool = True  # the operator accepts the spec: observedGeneration and lastReconciledSpec follow it
    stable: bool = False  # the operator marks the reconciled spec stable (lastStableSpec)


@dataclass(frozen=True)
class Resource:
    kind: str
    namespace: str
    name: str
    spec: dict
    track: tuple[Step, ...]
    labels: dict = field(default_factory=dict)
    owner: tuple[str, str] | None = None  # (kind, name) of the resource that owns it (a snapshot's job)
    story: str = ""  # one line: what this resource shows
    opens_at: int = 0  # the step of its track the demo opens at (the steps before it are played at once)
    generation: int = 1  # its metadata.generation when created: a resource changed before the story began

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.namespace, self.name)


# --- status shapes, as the operator writes them ------------------------------------------------------


def reconciled_json(spec: dict, generation: int) -> str:
    """``lastReconciledSpec``/``lastStableSpec``: the spec and the generation it came from, as JSON text."""
    return json.dumps({"spec": {**spec, "restartNonce": None}, "resource_metadata": {
        "apiVersion": f"{API_GROUP}/{API_VERSION}", "metadata": {"generation": generation},
        "firstDeployment": generation == 1}}, separators=(",", ":"))


def error_json(exception: str, message: str, **metadata: str) -> str:
    """``status.error``: the operator's JSON for an exception (Argo CD shows it as it is)."""
    return json.dumps({"type": exception, "message": message, "additionalMetadata": metadata, "throwableList": []},
                      separators=(",", ":"))


def reconciliation_status(now: "Now", state: str) -> dict:
    """``status.reconciliationStatus`` as the operator writes it for the spec it last reconciled (and the last
    stable one, once there is one)."""
    status = {"reconciliationTimestamp": now.millis, "state": state,
              "lastReconciledSpec": reconciled_json(now.reconciled, now.observed)}
    if now.stable is not None:
        status["lastStableSpec"] = reconciled_json(now.stable, now.stable_generation)
    return status


def deployment_status(lifecycle: str, jm: str, job: str | None, reconciliation: str = "DEPLOYED",
                      error: str | None = None, job_name: str = "", job_id: str = "",
                      upgrade_snapshot: tuple[str, str] | None = None, checkpoint: bool = True
                      ) -> Callable[[Now], dict]:
    """A FlinkDeployment's status (``None`` job: no job state observed; ``""`` job_name: a session cluster).

    ``upgrade_snapshot``: (namespace, name) of the FlinkStateSnapshot the last upgrade restored from: with
    snapshot resources (operator 1.10 on) the status refers to it (``upgradeSnapshotReference``), and the
    savepoint fields of ``savepointInfo`` keep their defaults."""

    def build(now: Now) -> dict:
        job_status: dict = {}
        if job_name:
            job_status = {"jobName": job_name, "jobId": job_id, "startTime": str(now.millis - 3_600_000),
                          "updateTime": str(now.millis)}
            if job is not None:
                job_status["state"] = job
            job_status["savepointInfo"] = {"lastPeriodicSavepointTimestamp": 0, "savepointHistory": []}
            job_status["checkpointInfo"] = {"lastPeriodicCheckpointTimestamp": 0}
            if upgrade_snapshot:
                job_status["upgradeSnapshotReference"] = {"namespace": upgrade_snapshot[0],
                                                          "name": upgrade_snapshot[1]}
            if checkpoint and job == "RUNNING":  # the operator's periodic checkpoints (a snapshot resource each)
                job_status["checkpointInfo"]["lastPeriodicCheckpointTimestamp"] = now.millis - 30_000
        status: dict = {"clusterInfo": dict(FLINK_VERSION), "jobStatus": job_status,
                        "reconciliationStatus": reconciliation_status(now, reconciliation),
                        "jobManagerDeploymentStatus": jm, "lifecycleState": lifecycle,
                        "observedGeneration": now.observed}
        if jm == "READY":
            status["taskManager"] = {"labelSelector": "component=taskmanager", "replicas": 2}
        if error is not None:
            status["error"] = error
        return status

    return build


def session_job_status(lifecycle: str, job: str, job_name: str, job_id: str,
                       reconciliation: str = "DEPLOYED", error: str | None = None) -> Callable[[Now], dict]:
    def build(now: Now) -> dict:
        status: dict = {"jobStatus": {"jobName": job_name, "jobId": job_id, "state": job,
                                      "startTime": str(now.millis - 7_200_000), "updateTime": str(now.millis)},
                        "reconciliationStatus": reconciliation_status(now, reconciliation),
                        "lifecycleState": lifecycle, "observedGeneration": now.observed}
        if error is not None:
            status["error"] = error
        return status

    return build


def snapshot_status(state: str, path: str | None = None, failures: int = 0, error: str | None = None,
                    trigger: bool = True) -> Callable[[Now], dict]:
    def build(now: Now) -> dict:
        status: dict = {"state": state, "failures": failures}
        if trigger and state != "TRIGGER_PENDING":
            status["triggerId"] = "7c2e94b1d0a35f68"
            status["triggerTimestamp"] = time_of(now.millis - 20_000)
        if path:
            status["path"] = path
            status["resultTimestamp"] = now.iso
        if error:
            status["error"] = error
        return status

    return build


def blue_green_status(state: str, job: str, job_name: str, error: str | None = None) -> Callable[[Now], dict]:
    def build(now: Now) -> dict:
        status: dict = {"jobStatus": {"jobName": job_name, "state": job}, "lastReconciledTimestamp": now.iso,
                        "blueGreenState": state}
        if error:
            status["error"] = error
        return status

    return build


def time_of(millis: int) -> str:
    """An RFC 3339 time, as the operator writes snapshot and blue/green timestamps."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(millis / 1000))


# --- specs ----------------------------------------------------------------------------------------------


def application(name: str, jar: str, parallelism: int = 4, state: str = "running", image: str = "flink:1.20",
                ingress: bool = False, upgrade_mode: str = "savepoint") -> dict:
    spec: dict = {
        "image": image, "flinkVersion": "v1_20", "serviceAccount": "flink",
        "flinkConfiguration": {
            "taskmanager.numberOfTaskSlots": "2",
            "state.savepoints.dir": f"s3://flink-state/savepoints/{name}",
            "state.checkpoints.dir": f"s3://flink-state/checkpoints/{name}",
            "high-availability.type": "kubernetes",
            "high-availability.storageDir": f"s3://flink-state/ha/{name}",
        },
        "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
        "taskManager": {"resource": {"memory": "4096m", "cpu": 2}},
        "job": {"jarURI": jar, "parallelism": parallelism, "upgradeMode": upgrade_mode, "state": state},
    }
    if ingress:
        spec["ingress"] = {"template": f"{INGRESS_HOST}/{{{{namespace}}}}/{{{{name}}}}(/|$)(.*)",
                           "className": "nginx",
                           "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/$2"}}
    return spec


def with_job(spec: dict, **job) -> dict:
    changed = copy.deepcopy(spec)
    changed["job"].update(job)
    return changed


def session_cluster() -> dict:
    spec = application("shared-session", "")
    del spec["job"]
    spec["ingress"] = {"template": f"{INGRESS_HOST}/{{{{namespace}}}}/{{{{name}}}}(/|$)(.*)", "className": "nginx",
                       "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/$2"}}
    return spec


def session_job(jar: str, entry: str, parallelism: int = 2) -> dict:
    return {"deploymentName": "shared-session",
            "job": {"jarURI": jar, "entryClass": entry, "parallelism": parallelism, "upgradeMode": "stateless",
                    "state": "running"}}


# --- the tracks -----------------------------------------------------------------------------------------

RUNNING_STABLE = "running-stable"
STABLE = "STABLE"


def running(job_name: str, job_id: str, upgrade_snapshot: tuple[str, str] | None = None) -> Step:
    return Step(HEALTHY, RUNNING_STABLE, deployment_status(STABLE, "READY", "RUNNING", job_name=job_name, job_id=job_id,
                                                           upgrade_snapshot=upgrade_snapshot), stable=True)


def deploy_to_stable(job_name: str, job_id: str, stable_for: int,
                     upgrade_snapshot: tuple[str, str] | None = None, spec: dict | None = None) -> tuple[Step, ...]:
    """An accepted spec (``spec``: applied now) going out: upgrading, the JobManager starting, the job
    starting, running, then stable for ``stable_for`` steps."""
    return (
        Step(PROGRESSING, "upgrading", deployment_status("UPGRADING", "DEPLOYING", "RECONCILING", "UPGRADING",
                                                         job_name=job_name, job_id=job_id,
                                                         upgrade_snapshot=upgrade_snapshot), spec=spec),
        Step(PROGRESSING, "jobmanager-starting", deployment_status("DEPLOYED", "DEPLOYING", None,
                                                                   job_name=job_name, job_id=job_id,
                                                                   upgrade_snapshot=upgrade_snapshot)),
        Step(PROGRESSING, "job-starting", deployment_status("DEPLOYED", "READY", "RECONCILING", job_name=job_name,
                                                            job_id=job_id, upgrade_snapshot=upgrade_snapshot)),
        Step(HEALTHY, "running-deployed", deployment_status("DEPLOYED", "READY", "RUNNING", job_name=job_name,
                                                            job_id=job_id, upgrade_snapshot=upgrade_snapshot)),
    ) + (running(job_name, job_id, upgrade_snapshot),) * stable_for


ORDERS = application("orders-enrichment", "local:///opt/flink/usrlib/orders-enrichment-2.4.0.jar", ingress=True)
ORDERS_NEXT = application("orders-enrichment", "local:///opt/flink/usrlib/orders-enrichment-2.5.0.jar",
                          ingress=True)
ORDERS_SAVEPOINT = "s3://flink-state/savepoints/orders-enrichment/savepoint-3f9a21-7be04c1d9e52"
ORDERS_UPGRADE_SNAPSHOT = (STREAMING, "orders-enrichment-savepoint-before-upgrade-to-2-5-0-20261203t1200z")

CLICKSTREAM = application("clickstream-sessionizer", "local:///opt/flink/usrlib/clickstream-sessionizer-1.8.3.jar",
                          parallelism=8)
CRASH = error_json("org.apache.flink.runtime.JobException",
                   "Recovery is suppressed by FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=10, "
                   "backoffTimeMS=10000) after a task failure: java.lang.IllegalStateException: Unexpected event "
                   "time 1764754321000 for key <user-8f3c2a> in TimeWindow{start=1764750000000, end=1764753600000}")
# (the key in angle brackets, as Flink prints some keys: the dashboard must show it as text, never as markup)

PRICING = application("pricing-engine", "local:///opt/flink/usrlib/pricing-engine-3.1.0.jar", parallelism=4)
PRICING_BROKEN = with_job(PRICING, parallelism=0)
PRICING_FIXED = with_job(PRICING, parallelism=6)
REJECTED = error_json("org.apache.flink.kubernetes.operator.exception.ValidationException",
                      "Job parallelism must be larger than 0")

BACKFILL = application("inventory-backfill", "local:///opt/flink/usrlib/inventory-backfill-0.9.2.jar",
                       parallelism=2, upgrade_mode="last-state")

FRAUD = session_job("https://artifacts.example.internal/fraud-scoring-1.4.0.jar", "com.example.fraud.ScoringJob")
FRAUD_NEXT = session_job("https://artifacts.example.internal/fraud-scoring-1.5.0.jar", "com.example.fraud.ScoringJob")
ALERTS = session_job("https://artifacts.example.internal/alerts-router-2.0.1.jar", "com.example.alerts.Router", 1)

PAYMENTS_TEMPLATE = {k: v for k, v in application("payments-gateway", "local:///opt/flink/usrlib/payments-2.2.0.jar",
                                                  parallelism=2).items() if k != "flinkConfiguration"}
PAYMENTS = {"configuration": {"kubernetes.operator.bluegreen.abort.grace-period": "10m",
                              "kubernetes.operator.bluegreen.deployment-deletion.delay": "30s"},
            "template": {"spec": PAYMENTS_TEMPLATE}}
PAYMENTS_NEXT = copy.deepcopy(PAYMENTS)
PAYMENTS_NEXT["template"]["spec"]["job"]["jarURI"] = "local:///opt/flink/usrlib/payments-2.3.0.jar"

AD_IMPRESSIONS = application("ad-impressions", "local:///opt/flink/usrlib/ad-impressions-4.0.2.jar", parallelism=12,
                             ingress=True)
FORECAST = application("demand-forecast", "local:///opt/flink/usrlib/demand-forecast-1.2.0.jar", parallelism=2)
REPORTING = application("hourly-revenue-report", "local:///opt/flink/usrlib/revenue-report-0.4.1.jar",
                        parallelism=2, upgrade_mode="stateless")

CHECKPOINT_ERROR = error_json("org.apache.flink.runtime.checkpoint.CheckpointException",
                              "Checkpoint expired before completing.")
CHECKPOINT_LOST = error_json("org.apache.flink.util.FlinkException",
                             "An OperatorEvent from an OperatorCoordinator to a task was lost. Triggering task "
                             "failover to ensure consistency.")


def snapshot_spec(job: str, savepoint: bool, kind: str = "FlinkDeployment") -> dict:
    spec: dict = {"backoffLimit": 1, "jobReference": {"kind": kind, "name": job}}
    if savepoint:
        spec["savepoint"] = {"path": f"s3://flink-state/savepoints/{job}", "formatType": "CANONICAL",
                             "disposeOnDelete": True}
    else:
        spec["checkpoint"] = {}
    return spec


ABSENT = Step("", "", None)  # the object does not exist at this step (deleted, or not created yet)


def _fleet() -> tuple[Resource, ...]:
    orders_id, click_id = "a1b2c3d4e5f60718293a4b5c6d7e8f90", "5e0c4b7a9d2f41e8b3a6c1d0f9e8a7b6"
    pricing_id, backfill_id = "9b8a7c6d5e4f30211f0e9d8c7b6a5948", "3c4d5e6f708192a3b4c5d6e7f8091a2b"
    ads_id, forecast_id, report_id = ("c0ffee00d15ea5e0b16b00b5facefeed", "0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a",
                                      "77aa88bb99cc00dd11ee22ff33aa44bb")
    fraud_id, alerts_id = "0f9e8d7c6b5a49382716a5b4c3d2e1f0", "1a2b3c4d5e6f708192a3b4c5d6e7f809"
    first_deploy = deploy_to_stable("orders-enrichment", orders_id, 6)
    orders = (first_deploy
              + (Step(PROGRESSING, "generation-pending", deployment_status(
                  STABLE, "READY", "RUNNING", job_name="orders-enrichment", job_id=orders_id), spec=ORDERS_NEXT,
                  accepted=False),)
              + deploy_to_stable("orders-enrichment", orders_id, 6, upgrade_snapshot=ORDERS_UPGRADE_SNAPSHOT)
              + (Step(PROGRESSING, "generation-pending", deployment_status(
                  STABLE, "READY", "RUNNING", job_name="orders-enrichment", job_id=orders_id,
                  upgrade_snapshot=ORDERS_UPGRADE_SNAPSHOT), spec=ORDERS, accepted=False),))
    # the upgrade's savepoint, in step with orders-enrichment: triggered while the new generation waits, completed
    # as the upgrade starts from it, removed when the next rollout begins
    upgrade_savepoint = ((ABSENT,) * (len(first_deploy) - 1)
                         + (Step(PROGRESSING, "trigger-pending", snapshot_status("TRIGGER_PENDING", trigger=False)),
                            Step(PROGRESSING, "in-progress", snapshot_status("IN_PROGRESS")))
                         + (Step(HEALTHY, "completed", snapshot_status("COMPLETED", ORDERS_SAVEPOINT)),)
                         * (len(orders) - len(first_deploy) - 1))

    # Builders of the steps a track repeats. Each call is a new Step: the operator writes a step again unless it is
    # the very object it wrote last (so `(step,) * n` is n moments of one unchanged status, n calls are n writes).
    def crash(health: str, rule: str, job: str) -> Step:
        return Step(health, rule, deployment_status(STABLE, "READY", job, job_name="clickstream-sessionizer",
                                                    job_id=click_id, error=CRASH), stable=True)

    def rejected(spec: dict | None = None) -> Step:
        return Step(DEGRADED, "spec-rejected", deployment_status(STABLE, "READY", "RUNNING", job_name="pricing-engine",
                                                                 job_id=pricing_id, error=REJECTED),
                    spec=spec, accepted=False, stable=True)

    def fraud_rollout(spec: dict) -> tuple[Step, ...]:
        """Stable for a while, then ``spec`` rolls out."""
        return ((Step(HEALTHY, RUNNING_STABLE, session_job_status(STABLE, "RUNNING", "fraud-scoring", fraud_id),
                      stable=True),) * 8
                + (Step(PROGRESSING, "upgrading", session_job_status("UPGRADING", "RECONCILING", "fraud-scoring",
                                                                     fraud_id, "UPGRADING"), spec=spec),
                   Step(HEALTHY, "running-deployed", session_job_status("DEPLOYED", "RUNNING", "fraud-scoring",
                                                                        fraud_id))))

    def checkpoint_failed() -> Step:
        return Step(DEGRADED, "failed", snapshot_status("FAILED", failures=2, error=CHECKPOINT_ERROR))

    def checkpoint_completed() -> Step:
        return Step(HEALTHY, "completed", snapshot_status(
            "COMPLETED", "s3://flink-state/checkpoints/clickstream-sessionizer/chk-48213"))

    return (
        Resource("FlinkDeployment", STREAMING, "orders-enrichment", ORDERS, generation=7, story=(
            "deploys to stable, runs, then takes an upgrade (savepoint, new jar) and becomes stable again"),
            track=orders, opens_at=len(first_deploy) + 2),
        Resource("FlinkDeployment", STREAMING, "clickstream-sessionizer", CLICKSTREAM, generation=3, story=(
            "a job that starts failing: it restarts after each task failure (a crash loop), then recovers"),
            opens_at=4,
            track=(running("clickstream-sessionizer", click_id),) * 4
            + (crash(DEGRADED, "job-failing", "RESTARTING"), crash(DEGRADED, "job-failing", "FAILING"),
               crash(DEGRADED, "job-failing", "RESTARTING"), crash(PROGRESSING, "job-starting", "RECONCILING"),
               crash(DEGRADED, "job-failing", "RESTARTING"))
            + (running("clickstream-sessionizer", click_id),) * 3),
        Resource("FlinkDeployment", STREAMING, "pricing-engine", PRICING, generation=4, story=(
            "a spec the operator rejects (parallelism 0): Degraded until a fixed spec is applied"),
            opens_at=4,
            track=(running("pricing-engine", pricing_id),) * 3 + (rejected(PRICING_BROKEN),) + (rejected(),) * 4
            + deploy_to_stable("pricing-engine", pricing_id, 3, spec=PRICING_FIXED)
            + (Step(PROGRESSING, "generation-pending", deployment_status(
                STABLE, "READY", "RUNNING", job_name="pricing-engine", job_id=pricing_id),
                spec=PRICING, accepted=False, stable=True),)
            + deploy_to_stable("pricing-engine", pricing_id, 1)),
        Resource("FlinkDeployment", STREAMING, "inventory-backfill", with_job(BACKFILL, state="suspended"),
                 generation=5, story=(
            "a suspended job: resumed, runs, suspended again (Healthy while suspended on purpose)"),
            track=(Step(HEALTHY, "suspended", deployment_status("SUSPENDED", "MISSING", "SUSPENDED",
                                                                job_name="inventory-backfill",
                                                                job_id=backfill_id)),) * 6
            + (Step(PROGRESSING, "generation-pending", deployment_status(
                "SUSPENDED", "MISSING", "SUSPENDED", job_name="inventory-backfill", job_id=backfill_id),
                spec=BACKFILL, accepted=False),)
            + deploy_to_stable("inventory-backfill", backfill_id, 4)
            + (Step(PROGRESSING, "generation-pending", deployment_status(
                STABLE, "READY", "RUNNING", job_name="inventory-backfill", job_id=backfill_id),
                spec=with_job(BACKFILL, state="suspended"), accepted=False, stable=True),
               Step(PROGRESSING, "suspending", deployment_status(
                   "UPGRADING", "READY", "CANCELLING", "UPGRADING", job_name="inventory-backfill",
                   job_id=backfill_id)))),
        Resource("FlinkDeployment", STREAMING, "shared-session", session_cluster(), story=(
            "a session cluster: ready, the cluster the session jobs run on"),
            track=(Step(HEALTHY, "session-ready", deployment_status(STABLE, "READY", None), stable=True),)),
        Resource("FlinkSessionJob", STREAMING, "fraud-scoring", FRAUD, generation=2, story=(
            "a session job on shared-session: running, then upgraded to a new jar"),
            track=fraud_rollout(FRAUD_NEXT) + fraud_rollout(FRAUD)),
        Resource("FlinkSessionJob", STREAMING, "alerts-router", ALERTS, story="a session job, running and stable",
                 track=(Step(HEALTHY, RUNNING_STABLE, session_job_status(STABLE, "RUNNING", "alerts-router",
                                                                         alerts_id), stable=True),)),
        Resource("FlinkStateSnapshot", *ORDERS_UPGRADE_SNAPSHOT,
                 snapshot_spec("orders-enrichment", savepoint=True), owner=("FlinkDeployment", "orders-enrichment"),
                 story="a savepoint taken before an upgrade: pending, in progress, completed, later removed",
                 track=upgrade_savepoint, opens_at=len(first_deploy) + 2),
        Resource("FlinkStateSnapshot", STREAMING, "clickstream-sessionizer-periodic-checkpoint",
                 snapshot_spec("clickstream-sessionizer", savepoint=False),
                 owner=("FlinkDeployment", "clickstream-sessionizer"),
                 story="a checkpoint that fails, is retried, and fails for good; then a new one completes",
                 opens_at=2,
                 track=(Step(PROGRESSING, "trigger-pending", snapshot_status("TRIGGER_PENDING", trigger=False)),
                        Step(PROGRESSING, "in-progress", snapshot_status("IN_PROGRESS")),
                        Step(PROGRESSING, "retrying", snapshot_status("TRIGGER_PENDING", failures=1,
                                                                      error=CHECKPOINT_LOST, trigger=False)),
                        Step(PROGRESSING, "in-progress", snapshot_status("IN_PROGRESS", failures=1)),
                        checkpoint_failed(), checkpoint_failed(), checkpoint_failed(),
                        ABSENT,
                        Step(PROGRESSING, "trigger-pending", snapshot_status("TRIGGER_PENDING", trigger=False)),
                        Step(PROGRESSING, "in-progress", snapshot_status("IN_PROGRESS")),
                        checkpoint_completed(), checkpoint_completed(),
                        ABSENT)),
        Resource("FlinkStateSnapshot", STREAMING, "pricing-engine-nightly-savepoint",
                 snapshot_spec("pricing-engine", savepoint=True), owner=("FlinkDeployment", "pricing-engine"),
                 story="a completed savepoint that stays",
                 track=(Step(HEALTHY, "completed", snapshot_status(
                     "COMPLETED", "s3://flink-state/savepoints/pricing-engine/savepoint-9b8a7c-1f2e3d4c5b6a")),)),
        Resource("FlinkBlueGreenDeployment", ANALYTICS, "payments-gateway", PAYMENTS, generation=3, story=(
            "a blue/green transition: a new spec is savepointed from blue, deployed as green, switched over"),
            opens_at=5,
            track=(Step(HEALTHY, "active", blue_green_status("ACTIVE_BLUE", "RUNNING", "payments-gateway")),) * 4
            + (Step(PROGRESSING, "transitioning", blue_green_status("SAVEPOINTING_BLUE", "RUNNING",
                                                                    "payments-gateway"), spec=PAYMENTS_NEXT),
               Step(PROGRESSING, "transitioning", blue_green_status("TRANSITIONING_TO_GREEN", "RECONCILING",
                                                                    "payments-gateway")),
               Step(PROGRESSING, "transitioning", blue_green_status("TRANSITIONING_TO_GREEN", "RUNNING",
                                                                    "payments-gateway")))
            + (Step(HEALTHY, "active", blue_green_status("ACTIVE_GREEN", "RUNNING", "payments-gateway")),) * 4
            + (Step(PROGRESSING, "transitioning", blue_green_status("SAVEPOINTING_GREEN", "RUNNING",
                                                                    "payments-gateway"), spec=PAYMENTS),
               Step(PROGRESSING, "transitioning", blue_green_status("TRANSITIONING_TO_BLUE", "RECONCILING",
                                                                    "payments-gateway")))),
        Resource("FlinkDeployment", ANALYTICS, "ad-impressions", AD_IMPRESSIONS, generation=6,
                 story="a busy job with a Flink web UI behind an ingress, running and stable",
                 track=(running("ad-impressions", ads_id),)),
        Resource("FlinkDeployment", ANALYTICS, "demand-forecast", FORECAST, story="running and stable",
                 track=(running("demand-forecast", forecast_id),)),
        Resource("FlinkDeployment", ANALYTICS, "hourly-revenue-report", REPORTING,
                 story="a bounded job that finishes",
                 track=(Step(HEALTHY, "job-finished", deployment_status(
                     STABLE, "READY", "FINISHED", job_name="hourly-revenue-report", job_id=report_id,
                     checkpoint=False), stable=True),)),
        Resource("FlinkStateSnapshot", ANALYTICS, "ad-impressions-checkpoint-48210",
                 snapshot_spec("ad-impressions", savepoint=False), owner=("FlinkDeployment", "ad-impressions"),
                 story="a completed checkpoint",
                 track=(Step(HEALTHY, "completed", snapshot_status(
                     "COMPLETED", "s3://flink-state/checkpoints/ad-impressions/chk-48210")),)),
    )


FLEET: tuple[Resource, ...] = _fleet()


# --- the story as objects -------------------------------------------------------------------------------


@dataclass
class Live:
    """What the simulated operator knows of one resource between steps."""

    spec: dict
    first_generation: int = 1
    generation: int = 1
    observed: int = 1
    reconciled: dict = field(default_factory=dict)
    stable: dict | None = None
    stable_generation: int = 1
    exists: bool = False


def start(resource: Resource) -> Live:
    return Live(spec=copy.deepcopy(resource.spec), reconciled=copy.deepcopy(resource.spec),
                first_generation=resource.generation)


def advance(live: Live, step: Step, millis: int) -> dict | None:
    """Apply ``step`` to ``live`` (the user's spec, then the operator's reconcile) and return the new
    status, or None when the object does not exist at this step."""
    if step.status is None:
        live.exists = False
        return None
    if not live.exists:  # (re)created, its spec reconciled; nothing marked stable yet
        live.exists, live.stable = True, None
        live.generation = live.observed = live.first_generation
        live.spec = copy.deepcopy(step.spec if step.spec is not None else live.spec)
        live.reconciled = copy.deepcopy(live.spec)
    elif step.spec is not None:  # the user applies a new spec: a new generation
        live.spec = copy.deepcopy(step.spec)
        live.generation += 1
    if step.accepted:
        live.observed, live.reconciled = live.generation, copy.deepcopy(live.spec)
    if step.stable and step.accepted:  # until then lastStableSpec keeps the previous stable spec
        live.stable, live.stable_generation = copy.deepcopy(live.reconciled), live.observed
    now = Now(millis, live.observed, live.reconciled, live.stable, live.stable_generation)
    return step.status(now)


def obj(resource: Resource, live: Live, status: dict) -> dict:
    """The whole object as the API server holds it (for tests: evaluate a step without a server)."""
    meta: dict = {"name": resource.name, "namespace": resource.namespace, "generation": live.generation}
    return {"apiVersion": f"{API_GROUP}/{API_VERSION}", "kind": resource.kind, "metadata": meta,
            "spec": copy.deepcopy(live.spec), "status": status}
