"""The health service groups FlinkStateSnapshots under the deployment their spec.jobReference names (issue 17):
in the API (a ``jobReference`` on each snapshot, ``snapshots`` on its deployment) and in the dashboard (real
gunicorn and chromium against the API-server stand-in)."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import yaml

from service_objects import client, deployment, store  # noqa: F401 (fixtures)

SNAPSHOTS = Path(__file__).resolve().parents[1] / "lua" / "flink.apache.org" / "FlinkStateSnapshot" / "testdata"
KINDS = ("FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot", "FlinkBlueGreenDeployment")


def snapshot(name: str, namespace: str, owner: tuple[str, str] | None, state: str = "healthy_savepoint_completed",
             rv: int = 1) -> dict:
    obj = copy.deepcopy(yaml.safe_load((SNAPSHOTS / f"{state}.yaml").read_text()))
    obj["metadata"].update(name=name, namespace=namespace, resourceVersion=str(rv), uid=f"uid-{name}")
    if owner is None:
        del obj["spec"]["jobReference"]
        obj["spec"]["savepoint"]["alreadyExists"] = True
    else:
        obj["spec"]["jobReference"] = {"kind": owner[0], "name": owner[1]}
    return obj


def fill(store) -> None:
    store.replace("FlinkDeployment", [deployment("orders", "streaming"), deployment("orders", "batch"),
                                      deployment("pricing", "streaming")])
    store.replace("FlinkStateSnapshot", [
        snapshot("orders-savepoint-20261102093000", "streaming", ("FlinkDeployment", "orders")),
        snapshot("orders-savepoint-periodic-1793611800000", "streaming", ("FlinkDeployment", "orders"),
                 "degraded_failed"),
        snapshot("orders-in-batch", "batch", ("FlinkDeployment", "orders")),
        snapshot("imported", "streaming", None),
    ])
    for kind in ("FlinkSessionJob", "FlinkBlueGreenDeployment"):
        store.replace(kind, [])


def test_each_snapshot_row_names_its_deployment_and_other_rows_are_unchanged(client, store):
    fill(store)
    rows = {(r["kind"], r["namespace"], r["name"]): r for r in client.get("/api/v1/resources").json["resources"]}
    assert rows[("FlinkStateSnapshot", "streaming", "orders-savepoint-20261102093000")]["jobReference"] == {
        "kind": "FlinkDeployment", "name": "orders"}
    assert "jobReference" not in rows[("FlinkStateSnapshot", "streaming", "imported")]  # alreadyExists: none
    assert "jobReference" not in rows[("FlinkDeployment", "streaming", "orders")]


def test_a_deployment_lists_its_snapshots_in_its_own_namespace_only(client, store):
    fill(store)
    body = client.get("/api/v1/resources/streaming/flinkdep/orders").json
    assert [(s["name"], s["status"]) for s in body["snapshots"]] == [
        ("orders-savepoint-20261102093000", "Healthy"), ("orders-savepoint-periodic-1793611800000", "Degraded")]
    assert all(set(s) == {"name", "status", "message", "since"} for s in body["snapshots"])
    assert [s["name"] for s in client.get("/api/v1/resources/batch/flinkdep/orders").json["snapshots"]] == [
        "orders-in-batch"]
    assert client.get("/api/v1/resources/streaming/flinkdep/pricing").json["snapshots"] == []
    # a snapshot itself has no snapshots field
    assert "snapshots" not in client.get("/api/v1/resources/streaming/flinkstatesnapshot/imported").json


def test_a_snapshot_that_changes_its_reference_moves(client, store):
    fill(store)
    moved = snapshot("orders-in-batch", "batch", ("FlinkSessionJob", "orders"), rv=2)
    store.upsert("FlinkStateSnapshot", moved)
    assert client.get("/api/v1/resources/batch/flinkdep/orders").json["snapshots"] == []


# -- the dashboard ------------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.slow
def test_dashboard_lists_snapshots_under_their_deployment(tmp_path):
    from flink_gitops.simulation.apiserver import ApiServer
    from service_process import serve, wait_until
    from tools import chromium

    if not chromium.available():
        pytest.skip(chromium.MISSING)
    browser = chromium.start(tmp_path / "chromium-profile")

    def shown():
        return [tuple(r) for r in browser.execute_script(
            "return [...document.querySelectorAll('#resources tbody tr')].map(tr => "
            "[tr.querySelector('td.kind').textContent, tr.querySelector('td.name').textContent, "
            "tr.classList.contains('child')])")]

    def put(api, obj):
        meta = obj["metadata"]
        api.create(obj["kind"], meta["namespace"], meta["name"], spec=obj["spec"], status=obj.get("status"),
                   generation=meta.get("generation", 1))

    try:
        with ApiServer() as api:
            put(api, deployment("orders", "streaming", "Healthy"))
            put(api, deployment("pricing", "streaming", "Degraded"))
            put(api, snapshot("orders-savepoint-20261102093000", "streaming", ("FlinkDeployment", "orders")))
            put(api, snapshot("orders-savepoint-periodic-1793611800000", "streaming",
                              ("FlinkDeployment", "orders"), "degraded_failed"))
            put(api, snapshot("lost", "streaming", ("FlinkDeployment", "gone")))
            with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
                svc.wait_ready()
                browser.get(svc.url("/"))
                wait_until(lambda: len(shown()) == 5, 15, "five rows")
                rows = shown()
                # the deployment, then its snapshots, indented; the one whose deployment is gone stands alone
                at = rows.index(("FlinkDeployment", "orders", False))
                assert rows[at + 1:at + 3] == [
                    ("FlinkStateSnapshot", "orders-savepoint-20261102093000", True),
                    ("FlinkStateSnapshot", "orders-savepoint-periodic-1793611800000", True)]
                assert ("FlinkStateSnapshot", "lost", False) in rows
                # the link Argo CD's resource.links opens: one deployment, with its snapshots
                browser.get(svc.url("/#namespace=streaming&kind=FlinkDeployment&name=orders"))
                browser.refresh()  # only the hash changed: load the page again, as a new tab would
                wait_until(lambda: [r[1] for r in shown()] == [
                    "orders", "orders-savepoint-20261102093000", "orders-savepoint-periodic-1793611800000"],
                    15, "the deployment and its two snapshots")
                # a status filter applies to the snapshots under it too
                browser.get(svc.url("/#namespace=streaming&status=Degraded"))
                browser.refresh()
                wait_until(lambda: [r[1] for r in shown()] == ["pricing", "orders-savepoint-periodic-1793611800000"],
                           15, "only Degraded rows")
                browser.get(svc.url("/"))
                browser.refresh()
                wait_until(lambda: len(shown()) == 5, 15, "five rows again")
                from test_service_dashboard import artifacts

                out = artifacts(tmp_path)
                assert browser.save_screenshot(str(out / "dashboard-snapshots.png"))
                print(f"dashboard screenshot: {out / 'dashboard-snapshots.png'}")
    finally:
        browser.quit()
