"""``/metrics``: Prometheus metrics computed from the health cache at scrape time.

Computed at scrape time instead of gauges kept up to date: a deleted resource's series simply
disappear, and nothing is stored twice. One process holds the cache (one gunicorn worker), so
prometheus_client's multiprocess mode, which cannot drop series, is not needed.

``flink_gitops_resource_health`` has one series per resource and status (40,000 lines for 10,000
resources). prometheus_client formats a sample in about 6 µs, which made a scrape take 300 ms
on an idle machine; so this family's lines are written here, in the text format prometheus_client
writes (a test compares the two byte for byte), and kept per record until it changes (see
:mod:`flink_gitops.service.recordtext`). Every other family goes through prometheus_client.
"""

from __future__ import annotations

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.utils import floatToGoString

from flink_gitops.assess import statuses
from flink_gitops.cluster.store import ABSENT, FAILING, PENDING, SYNCED, HealthStore, Record
from flink_gitops.service.state import service
from flink_gitops.service.observability import HEALTH, SINCE
from flink_gitops.service.recordtext import RecordTextCache

bp = Blueprint("metrics", __name__)

WATCH_STATES = (PENDING, SYNCED, ABSENT, FAILING)


HEALTH_HELP = "Health of a Flink resource as Argo CD shows it: 1 for its current status, 0 for the others."
SINCE_HELP = ("When a Flink resource's current health status began (Unix time; or when the service first saw it), "
              "with that status and the rule of the health table that decided it.")


def _label(value: str) -> str:
    """A label value escaped as the text format requires (and as prometheus_client does)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def since_line(rec: Record) -> str:
    """One resource's ``flink_gitops_resource_status_since_timestamp_seconds`` sample: when its status began,
    labelled with the status and the table rule that decided it (one series per resource)."""
    return (f'{SINCE}{{kind="{_label(rec.kind)}",name="{_label(rec.name)}",namespace="{_label(rec.namespace)}",'
            f'rule="{_label(rec.rule)}",status="{_label(rec.status)}"}} {floatToGoString(rec.since)}\n')


def health_lines(rec: Record) -> str:
    """One resource's ``flink_gitops_resource_health`` samples, labels sorted as prometheus_client sorts them."""
    head = f'{HEALTH}{{kind="{_label(rec.kind)}",name="{_label(rec.name)}",namespace="{_label(rec.namespace)}",status="'
    return "".join(f'{head}{_label(s)}"}} {"1.0" if s == rec.status else "0.0"}\n' for s in statuses())


class ResourceCountCollector:
    """How many resources of each kind are in each status."""

    def __init__(self, store: HealthStore):
        self.store = store

    def collect(self):
        store, names = self.store, statuses()
        counts: dict[tuple[str, str], int] = {}
        for rec in store.all_records():
            counts[(rec.kind, rec.status)] = counts.get((rec.kind, rec.status), 0) + 1
        resources = GaugeMetricFamily("flink_gitops_resources", "Flink resources per kind and health status.",
                                      labels=["kind", "status"])
        for kind in store.kinds:
            for status in names:
                resources.add_metric([kind, status], counts.get((kind, status), 0))
        yield resources


class WatchCollector:
    """Transitions and the watches' standing (changes without a new cache version, e.g. restarts)."""

    def __init__(self, store: HealthStore):
        self.store = store

    def collect(self):
        store = self.store
        transitions = CounterMetricFamily(
            "flink_gitops_health_transitions", "Health status changes seen since the service started.",
            labels=["kind", "from", "to"])
        for (kind, old, new), n in sorted(store.transitions().items()):
            transitions.add_metric([kind, old, new], n)
        yield transitions

        restarts = CounterMetricFamily(
            "flink_gitops_watch_restarts", "Watches of a kind started again, by reason (e.g. expired: relisted).",
            labels=["kind", "reason"])
        for (kind, reason), n in sorted(store.watch_restarts().items()):
            restarts.add_metric([kind, reason], n)
        yield restarts

        unreadable = CounterMetricFamily(
            "flink_gitops_decode_errors", "Things from the API server that could not be read, by where: a watch "
            "line (the kind was listed again), a list item (left out), an object the health evaluator failed on "
            "(shown as Unknown).", labels=["kind", "reason"])
        for (kind, reason), n in sorted(store.decode_errors().items()):
            unreadable.add_metric([kind, reason], n)
        yield unreadable

        states = store.kind_states()
        last = GaugeMetricFamily("flink_gitops_last_event_timestamp_seconds",
                                 "When the last list or watch event of a kind arrived (Unix time).", labels=["kind"])
        watch = GaugeMetricFamily("flink_gitops_watch_state",
                                  "Standing of a kind's watch: 1 for the current state (pending, synced, absent, "
                                  "failing), 0 for the others.", labels=["kind", "state"])
        for kind, state in states.items():
            if state.last_event is not None:
                last.add_metric([kind], state.last_event)
            for name in WATCH_STATES:
                watch.add_metric([kind, name], 1.0 if state.state == name else 0.0)
        yield last
        yield watch


class Exposition:
    """The text a scrape returns."""

    def __init__(self, store: HealthStore):
        self.store = store
        self.health = RecordTextCache(health_lines)
        self.since = RecordTextCache(since_line)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ResourceCountCollector(store))
        self.registry.register(WatchCollector(store))
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes, CPU, open fds

    def body(self) -> bytes:
        records = self.store.all_records()
        health = self.health.texts(records, complete=True)
        since = self.since.texts(records, complete=True)
        text = (f"# HELP {HEALTH} {HEALTH_HELP}\n# TYPE {HEALTH} gauge\n" + "".join(health)
                + f"# HELP {SINCE} {SINCE_HELP}\n# TYPE {SINCE} gauge\n" + "".join(since))
        return text.encode() + generate_latest(self.registry)


@bp.get("/metrics")
def metrics():
    return Response(service().exposition.body(), 200, {"Content-Type": CONTENT_TYPE_LATEST})
