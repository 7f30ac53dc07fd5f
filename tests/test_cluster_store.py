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


def _flap(store, clock, n: int, first_rv: int = 2, namespace: str = "a", name: str = "orders") -> None:
    """``n`` status changes of one object, alternately Degraded and Healthy, a second apart."""
    for i in range(n):
        clock.now += 1
        status = job_failed_status() if i % 2 == 0 else None
        store.upsert("FlinkDeployment", obj(namespace, name, first_rv + i, status))


def test_history_keeps_the_last_transitions_newest_first_starting_with_the_first_sighting():
    from flink_gitops.cluster.store import HISTORY

    clock = Clock()
    store = HealthStore(clock=clock)
    store.replace("FlinkDeployment", [obj("a", "orders", 1)])
    assert [(e.status, e.since, e.rule) for e in store.history("a", "FlinkDeployment", "orders")] == [
        ("Healthy", 1000.0, "running-stable")]
    clock.now += 1
    store.upsert("FlinkDeployment", obj("a", "orders", 2))  # a change that keeps it Healthy: not a transition
    assert len(store.history("a", "FlinkDeployment", "orders")) == 1
    _flap(store, clock, 3, first_rv=3)
    history = store.history("a", "FlinkDeployment", "orders")
    assert [e.status for e in history] == ["Degraded", "Healthy", "Degraded", "Healthy"]
    assert [e.since for e in history] == [1004.0, 1003.0, 1002.0, 1000.0]
    assert history[0].rule == "job-failed" and "the job failed" in history[0].message
    assert history[0].as_json() == {"status": "Degraded", "message": history[0].message, "rule": "job-failed",
                                    "since": 1004.0}
    # bounded: the oldest entries go, the newest stay
    _flap(store, clock, 3 * HISTORY, first_rv=10)
    history = store.history("a", "FlinkDeployment", "orders")
    assert len(history) == HISTORY == 20
    assert history[0].since == clock.now and history[-1].since == clock.now - (HISTORY - 1)
    assert history[0].status == store.get("a", "FlinkDeployment", "orders").status


def test_history_is_dropped_with_the_object_and_cut_for_huge_messages():
    from flink_gitops.cluster.store import HISTORY_MESSAGE_LIMIT

    clock = Clock()
    store = HealthStore(clock=clock)
    store.replace("FlinkDeployment", [obj("a", "orders", 1), obj("a", "other", 1)])
    huge = job_failed_status()
    huge["error"] = "java.lang.RuntimeException: " + "at Frame(Frame.java:1)\n" * 10_000
    clock.now += 1
    store.upsert("FlinkDeployment", obj("a", "orders", 2, huge))
    entry = store.history("a", "FlinkDeployment", "orders")[0]
    assert len(entry.message) <= HISTORY_MESSAGE_LIMIT + 2  # the record keeps it whole
    assert len(store.get("a", "FlinkDeployment", "orders").message) > 200_000
    store.delete("FlinkDeployment", obj("a", "orders", 3))
    assert store.history("a", "FlinkDeployment", "orders") == ()
    # created again: its history starts again
    store.upsert("FlinkDeployment", obj("a", "orders", 4))
    assert len(store.history("a", "FlinkDeployment", "orders")) == 1
    # gone from a relist, or its kind gone: forgotten too
    store.replace("FlinkDeployment", [obj("a", "orders", 4)])
    assert store.history("a", "FlinkDeployment", "other") == ()
    store.set_kind_state("FlinkDeployment", ABSENT)
    assert store.history("a", "FlinkDeployment", "orders") == ()


def test_an_object_recreated_unseen_under_the_same_name_starts_a_new_history():
    store = HealthStore()
    first = obj("a", "orders", 1)
    first["metadata"]["uid"] = "uid-1"
    store.replace("FlinkDeployment", [first])
    store.upsert("FlinkDeployment", obj("a", "orders", 2, job_failed_status()))
    again = obj("a", "orders", 9)
    again["metadata"]["uid"] = "uid-2"
    store.replace("FlinkDeployment", [again])  # a relist after a watch gap missed the delete
    assert [e.status for e in store.history("a", "FlinkDeployment", "orders")] == ["Healthy"]


def test_listeners_hear_each_transition_but_not_the_first_list():
    clock = Clock()
    store = HealthStore(clock=clock)
    heard = []
    store.add_listener(lambda t: heard.append((t.record.name, t.previous, t.record.status)))
    store.add_listener(lambda t: 1 / 0)  # a failing listener neither stops the others nor the store
    store.replace("FlinkDeployment", [obj("a", "orders", 1)])
    assert heard == []  # the initial list is what is, not what happened
    _flap(store, clock, 2)
    store.upsert("FlinkDeployment", obj("a", "fresh", 7))  # created while watched: news
    store.replace("FlinkDeployment", [obj("a", "orders", 3), obj("a", "fresh", 7), obj("a", "late", 8)])
    assert heard == [("orders", "Healthy", "Degraded"), ("orders", "Degraded", "Healthy"),
                     ("fresh", None, "Healthy"), ("late", None, "Healthy")]


def test_records_carry_the_key_status_fields_and_the_operator_error_decoded():
    import json

    store = HealthStore()
    status = job_failed_status()
    status["error"] = json.dumps({"type": "org.apache.flink.runtime.JobException", "message": "disk <full>",
                                  "throwableList": []})
    status["jobStatus"]["savepointInfo"] = {"lastSavepoint": {"location": "s3://sp/1", "timeStamp": 17}}
    store.replace("FlinkDeployment", [obj("a", "orders", 1, status)])
    rec = store.get("a", "FlinkDeployment", "orders")
    fields = dict(rec.field_items)
    assert fields["jobState"] == "FAILED" and fields["lastSavepoint"] == "s3://sp/1"
    assert fields["lastSavepointTime"] == "17"
    row = rec.as_json()
    assert row["error"] == {"type": "JobException", "class": "org.apache.flink.runtime.JobException",
                            "message": "disk <full>"}
    assert row["message"].endswith(status["error"])  # what Argo CD shows, unchanged
    assert row["decodedMessage"] == "Job FAILED: JobException: disk <full>"
    # plain text is no operator JSON: nothing to decode
    store.upsert("FlinkDeployment", obj("a", "orders", 2, job_failed_status()))
    assert "error" not in store.get("a", "FlinkDeployment", "orders").as_json()
