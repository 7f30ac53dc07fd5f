"""The health cache: what readers see after lists and watch events (real Lua evaluation)."""

from __future__ import annotations

import copy
import threading

from flink_gitops.cluster.store import ABSENT, FAILING, PENDING, SYNCED, HealthStore
from tests.kubeapi.samples import HEALTHY, job_failed_status, load


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def obj(namespace: str, name: str, rv: int, status: dict | None = None) -> dict:
    o = copy.deepcopy(load(HEALTHY))
    o["metadata"].update(namespace=namespace, name=name, resourceVersion=str(rv))
    if status is not None:
        o["status"] = status
    return o


def test_since_is_the_last_transition_and_transitions_are_counted():
    clock = Clock()
    store = HealthStore(clock=clock)
    store.replace("FlinkDeployment", [obj("a", "orders", 1)])
    assert store.get("a", "FlinkDeployment", "orders").since == 1000.0
    clock.now = 1010.0
    store.upsert("FlinkDeployment", obj("a", "orders", 2))  # a change that keeps it Healthy
    assert store.get("a", "FlinkDeployment", "orders").since == 1000.0
    clock.now = 1020.0
    store.upsert("FlinkDeployment", obj("a", "orders", 3, job_failed_status()))
    rec = store.get("a", "FlinkDeployment", "orders")
    assert (rec.status, rec.since, rec.rule) == ("Degraded", 1020.0, "job-failed")
    assert store.transitions() == {("FlinkDeployment", "Healthy", "Degraded"): 1}
    assert rec.as_json()["observedGeneration"] == 3


def test_a_relist_keeps_unchanged_records_and_drops_the_gone():
    calls = []
    from flink_gitops.assess import evaluator

    real = evaluator()

    def counting(o):
        calls.append(o["metadata"]["name"])
        return real(o)

    store = HealthStore(evaluator=counting)
    store.replace("FlinkDeployment", [obj("a", "one", 1), obj("a", "two", 2)])
    store.replace("FlinkDeployment", [obj("a", "one", 1), obj("a", "three", 3)])
    assert calls == ["one", "two", "three"]  # "one" was not evaluated again: same resourceVersion
    assert [r.name for r in store.all_records()] == ["one", "three"]


def test_each_watched_namespace_has_its_own_standing():
    store = HealthStore(namespaces=["a", "b"])
    store.replace("FlinkDeployment", [obj("a", "one", 1)], namespace="a")
    assert store.kind_states()["FlinkDeployment"].state == PENDING  # b not listed yet
    store.replace("FlinkDeployment", [obj("b", "two", 2)], namespace="b")
    assert store.kind_states()["FlinkDeployment"].state == SYNCED
    store.replace("FlinkDeployment", [], namespace="a")  # a's relist leaves b alone
    assert [r.name for r in store.all_records()] == ["two"]
    store.set_kind_state("FlinkDeployment", FAILING, "403 Forbidden", 403, namespace="b")
    state = store.kind_states()["FlinkDeployment"]
    assert (state.state, state.reason, state.code) == (FAILING, "namespace b: 403 Forbidden", 403)
    for kind in ("FlinkSessionJob", "FlinkStateSnapshot", "FlinkBlueGreenDeployment"):
        for ns in ("a", "b"):
            store.set_kind_state(kind, ABSENT, namespace=ns)
    assert not store.synced()
    store.replace("FlinkDeployment", [obj("b", "two", 2)], namespace="b")
    assert store.synced()


def test_wait_for_change_wakes_a_reader():
    store = HealthStore()
    version = store.version
    seen = []
    reader = threading.Thread(target=lambda: seen.append(store.wait_for_change(version, 10)))
    reader.start()
    store.upsert("FlinkDeployment", obj("a", "one", 1))
    reader.join(10)
    assert seen and seen[0] > version


def test_an_object_the_evaluator_fails_on_is_shown_unknown_and_counted_the_kind_still_listed(caplog):
    from flink_gitops.assess import evaluator

    real = evaluator()

    def fragile(o):
        if o["metadata"]["name"] == "odd":
            raise KeyError("spec")
        return real(o)

    store = HealthStore(evaluator=fragile)
    store.replace("FlinkDeployment", [obj("a", "odd", 1), obj("a", "fine", 2)])
    odd = store.get("a", "FlinkDeployment", "odd")
    assert (odd.status, odd.message) == ("Unknown", "flink-gitops cannot assess this object: KeyError: 'spec'")
    assert store.get("a", "FlinkDeployment", "fine").status == "Healthy"
    assert store.kind_states()["FlinkDeployment"].state == SYNCED
    assert store.decode_errors() == {("FlinkDeployment", "evaluation"): 1}
    assert "FlinkDeployment a/odd: flink-gitops cannot assess this object" in caplog.text


def test_skipped_list_items_add_up_over_namespaces():
    store = HealthStore(namespaces=["a", "b"])
    store.replace("FlinkDeployment", [], namespace="a", skipped=2)
    store.replace("FlinkDeployment", [], namespace="b", skipped=1)
    assert store.kind_states()["FlinkDeployment"].as_json() == {"state": "synced", "skipped": 3}
    store.replace("FlinkDeployment", [], namespace="a")  # the next list of a reads everything
    assert store.kind_states()["FlinkDeployment"].as_json() == {"state": "synced", "skipped": 1}
