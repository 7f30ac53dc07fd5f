"""The demo's simulated fleet and operator (flink_gitops.simulation): the story agrees with the health tables, and
the operator writes it as the Flink operator would, as watch events of the simulated API server."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter

import pytest

from flink_gitops.assess import evaluator
from flink_gitops.flink import kind_names
from flink_gitops.simulation import fleet
from flink_gitops.simulation.apiserver import ApiServer
from flink_gitops.simulation.flink_operator import STEP_SECONDS, SimulatedOperator
from tests.test_argocd_links import operator_ingress_url  # the operator's IngressUtils.getIngressUrl

T0 = 1_764_763_200_000  # 2025-12-03T12:00:00Z, in milliseconds


def story(resource: fleet.Resource, loops: int = 2):
    """(step, object) for each step of ``resource``'s track, ``loops`` times round, as the operator writes them."""
    live = fleet.start(resource)
    for i, step in enumerate(resource.track * loops):
        status = fleet.advance(live, step, T0 + 1000 * i)
        yield step, (fleet.obj(resource, live, status) if status is not None else None)


@pytest.mark.parametrize("resource", fleet.FLEET, ids=lambda r: f"{r.kind}/{r.name}")
def test_every_status_the_story_writes_gets_the_health_it_intends_from_argo_cds_lua(resource):
    evaluate = evaluator()  # the Lua compiled from the tables, in Argo CD's sandbox, and the deciding rule
    for i, (step, obj) in enumerate(story(resource)):
        if obj is None:
            continue
        verdict = evaluate(obj)
        assert (verdict.status, verdict.rule) == (step.health, step.rule), \
            f"step {i % len(resource.track)}: {verdict.message}"


def test_the_fleet_is_at_least_twelve_resources_of_the_four_kinds_in_two_namespaces():
    assert len(fleet.FLEET) >= 12
    assert {r.kind for r in fleet.FLEET} == set(kind_names())
    assert len({r.namespace for r in fleet.FLEET}) >= 2
    assert len({r.key for r in fleet.FLEET}) == len(fleet.FLEET)
    assert max(len(r.name) for r in fleet.FLEET) > 60  # one long name, for the dashboard's wrapping
    for r in fleet.FLEET:  # snapshots and session jobs point at resources of the fleet
        if r.kind == "FlinkStateSnapshot":
            ref = r.spec["jobReference"]
            assert (ref["kind"], r.namespace, ref["name"]) in {x.key for x in fleet.FLEET}
        if r.kind == "FlinkSessionJob":
            assert ("FlinkDeployment", r.namespace, r.spec["deploymentName"]) in {x.key for x in fleet.FLEET}


def test_the_story_tells_each_lifecycle_the_tables_know():
    seen = {(r.kind, step.rule) for r in fleet.FLEET for step in r.track if step.status is not None}
    assert {("FlinkDeployment", rule) for rule in (
        "upgrading", "jobmanager-starting", "job-starting", "running-deployed", "running-stable",  # deploy -> stable
        "job-failing",  # a crash loop
        "spec-rejected", "generation-pending", "suspending", "suspended", "session-ready", "job-finished")} <= seen
    assert {("FlinkSessionJob", "running-stable"), ("FlinkSessionJob", "upgrading")} <= seen
    assert {("FlinkStateSnapshot", rule) for rule in ("trigger-pending", "in-progress", "retrying", "completed",
                                                      "failed")} <= seen
    assert ("FlinkBlueGreenDeployment", "transitioning") in seen
    bg = [step.status for r in fleet.FLEET if r.kind == "FlinkBlueGreenDeployment" for step in r.track]
    states = [s(fleet.Now(T0, 1, {}, None, 1))["blueGreenState"] for s in bg]
    assert {"ACTIVE_BLUE", "SAVEPOINTING_BLUE", "TRANSITIONING_TO_GREEN", "ACTIVE_GREEN"} <= set(states)
    # the snapshots of the demo include both kinds: savepoints and checkpoints
    assert {"savepoint" in r.spec for r in fleet.FLEET if r.kind == "FlinkStateSnapshot"} == {True, False}


def test_a_rejected_spec_carries_the_operators_validation_error_and_the_old_generation():
    pricing = next(r for r in fleet.FLEET if r.name == "pricing-engine")
    rejected = [obj for step, obj in story(pricing, loops=1) if step.rule == "spec-rejected"]
    assert rejected
    for obj in rejected:
        error = json.loads(obj["status"]["error"])
        assert error["type"].endswith(".ValidationException")
        assert error["message"] == "Job parallelism must be larger than 0"
        assert obj["spec"]["job"]["parallelism"] == 0
        assert obj["status"]["observedGeneration"] < obj["metadata"]["generation"]
        reconciled = json.loads(obj["status"]["reconciliationStatus"]["lastReconciledSpec"])
        assert reconciled["spec"]["job"]["parallelism"] == 4  # the operator keeps running the last accepted spec
        assert reconciled["resource_metadata"]["metadata"]["generation"] == obj["status"]["observedGeneration"]


def test_a_deployment_with_an_ingress_gets_a_flink_web_ui_link():
    with_ingress = [r for r in fleet.FLEET if "ingress" in r.spec]
    assert with_ingress
    for r in with_ingress:
        scheme, host, path = operator_ingress_url(r.spec["ingress"]["template"], r.name, r.namespace)
        assert (scheme, host) == ("http", fleet.INGRESS_HOST)
        assert path.startswith(f"/{r.namespace}/{r.name}")


def test_speed_scales_the_story_clock_and_must_be_positive():
    with ApiServer() as server:
        assert SimulatedOperator(server, speed=1).interval == STEP_SECONDS
        assert SimulatedOperator(server, speed=10).interval == pytest.approx(STEP_SECONDS / 10)
        with pytest.raises(ValueError):
            SimulatedOperator(server, speed=0)


def watch_events(server: ApiServer, plural: str, since: int) -> list[dict]:
    """Every event of ``plural`` after resourceVersion ``since``, read as a client reads a watch."""
    url = (f"{server.url}/apis/flink.apache.org/v1beta1/{plural}?watch=true&resourceVersion={since}"
           "&timeoutSeconds=1")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {server.token}"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return [json.loads(line) for line in resp.read().splitlines() if line.strip()]


def test_the_operator_writes_each_step_as_watch_events_with_the_operators_generations():
    with ApiServer() as server:
        operator = SimulatedOperator(server)
        operator.seed()
        seeded = server.resource_version
        assert sum(len(server.objects(k)) for k in kind_names()) == operator.present() >= 12
        loop = max(len(r.track) for r in fleet.FLEET)
        for _ in range(loop):
            operator.tick()

        deployments = watch_events(server, "flinkdeployments", seeded)
        assert {e["type"] for e in deployments} == {"MODIFIED"}
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in deployments]
        assert rvs == sorted(set(rvs))  # every write is a new resourceVersion
        pricing = [e["object"] for e in deployments if e["object"]["metadata"]["name"] == "pricing-engine"]
        generations = [o["metadata"]["generation"] for o in pricing]
        assert generations == sorted(generations) and generations[-1] > generations[0]
        # a new generation is observed when the operator accepts it, never before
        assert all(o["status"]["observedGeneration"] <= o["metadata"]["generation"] for o in pricing)
        assert any(o["status"]["observedGeneration"] < o["metadata"]["generation"] for o in pricing)
        assert any(o["status"]["observedGeneration"] == o["metadata"]["generation"] > 1 for o in pricing)

        snapshots = watch_events(server, "flinkstatesnapshots", seeded)
        kinds = Counter((e["type"], e["object"]["metadata"]["name"]) for e in snapshots)
        for name in ("orders-enrichment-savepoint-before-upgrade-to-2-5-0-20261203t1200z",
                     "clickstream-sessionizer-periodic-checkpoint"):  # snapshots come and go
            assert kinds[("ADDED", name)] >= 1 and kinds[("DELETED", name)] >= 1
            added = [e["object"] for e in snapshots if e["type"] == "ADDED" and e["object"]["metadata"]["name"] == name]
            assert all(o["metadata"]["generation"] == 1 and o["status"]["state"] == "TRIGGER_PENDING" for o in added)
        # a stable resource that did not change was not written
        assert not [e for e in deployments if e["object"]["metadata"]["name"] == "demand-forecast"]


def test_snapshots_belong_to_their_jobs_resource():
    with ApiServer() as server:
        operator = SimulatedOperator(server)
        operator.seed()
        uids = {(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o["metadata"]["uid"]
                for k in ("FlinkDeployment",) for o in server.objects(k)}
        for snap in server.objects("FlinkStateSnapshot"):
            (owner,) = snap["metadata"]["ownerReferences"]
            ref = snap["spec"]["jobReference"]
            assert (owner["kind"], owner["name"]) == (ref["kind"], ref["name"])
            assert owner["uid"] == uids[(ref["kind"], snap["metadata"]["namespace"], ref["name"])]


def test_docs_demo_md_tells_the_story_of_every_resource_of_the_fleet():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "demo.md").read_text()
    rows = {line.split("|")[3].strip().strip("`"): line for line in text.splitlines()
            if line.startswith("| ") and line.count("|") == 6 and "`" in line}
    assert set(rows) == {r.name for r in fleet.FLEET}
    for r in fleet.FLEET:
        assert f"| {r.namespace} | {r.kind} |" in rows[r.name]
        for rule in {step.rule for step in r.track if step.status is not None}:
            assert rule in rows[r.name], (r.name, rule)


def test_the_demo_opens_mid_story_with_every_kind_of_health_on_the_first_look():
    evaluate = evaluator()
    with ApiServer() as server:
        operator = SimulatedOperator(server)
        operator.seed()
        verdicts = {(o["metadata"]["name"]): evaluate(o) for k in kind_names() for o in server.objects(k)}
    assert len(verdicts) == operator.present() == sum(r.track[r.opens_at].status is not None for r in fleet.FLEET)
    assert {v.status for v in verdicts.values()} == {"Healthy", "Progressing", "Degraded"}
    assert verdicts["pricing-engine"].rule == "spec-rejected"
    assert verdicts["clickstream-sessionizer"].rule == "job-failing"


def test_an_upgrade_refers_to_its_snapshot_resource_of_the_fleet():
    snapshots = {(r.namespace, r.name) for r in fleet.FLEET if r.kind == "FlinkStateSnapshot"}
    references = [obj["status"]["jobStatus"]["upgradeSnapshotReference"] for r in fleet.FLEET
                  if r.kind == "FlinkDeployment" for _, obj in story(r, loops=1)
                  if obj is not None and "upgradeSnapshotReference" in obj["status"].get("jobStatus", {})]
    assert references  # orders-enrichment's upgrade restores from its savepoint
    assert {(ref["namespace"], ref["name"]) for ref in references} <= snapshots
