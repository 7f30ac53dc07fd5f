"""``/metrics``: Prometheus metrics computed from the health cache at scrape time.

Custom collectors instead of gauges kept up to date: a deleted resource's series simply
disappear, and nothing is stored twice. One process holds the cache (one gunicorn worker), so
prometheus_client's multiprocess mode, which cannot drop series, is not needed. The per-resource
series (one per resource and status: 40,000 lines for 10,000 resources, most of a scrape's cost)
are rendered once per version of the cache; the rest on every scrape.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from flink_gitops.cluster.store import ABSENT, FAILING, PENDING, SYNCED, HealthStore
from flink_gitops.service.app import service
from flink_gitops.service.statuses import statuses

bp = Blueprint("metrics", __name__)

WATCH_STATES = (PENDING, SYNCED, ABSENT, FAILING)


class ResourceHealthCollector:
    """Per-resource health and counts per kind and status, read from the store."""

    def __init__(self, store: HealthStore):
        self.store = store

    def collect(self):
        store, names = self.store, statuses()
        health = GaugeMetricFamily(
            "flink_gitops_resource_health",
            "Health of a Flink resource as Argo CD shows it: 1 for its current status, 0 for the others.",
            labels=["namespace", "kind", "name", "status"])
        counts: dict[tuple[str, str], int] = {}
        for rec in store.all_records():
            for status in names:
                health.add_metric([rec.namespace, rec.kind, rec.name, status], 1.0 if rec.status == status else 0.0)
            counts[(rec.kind, rec.status)] = counts.get((rec.kind, rec.status), 0) + 1
        yield health

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
    """The text a scrape returns; the per-resource part cached per version of the store."""

    def __init__(self, store: HealthStore):
        self.store = store
        self.resources = CollectorRegistry(auto_describe=False)
        self.resources.register(ResourceHealthCollector(store))
        self.rest = CollectorRegistry(auto_describe=False)
        self.rest.register(WatchCollector(store))
        ProcessCollector(registry=self.rest)  # process_resident_memory_bytes, CPU, open fds
        self._lock = threading.Lock()
        self._cached: tuple[int, bytes] = (-1, b"")

    def render(self) -> bytes:
        version = self.store.version  # read first: a racing write leaves the cache stale, never torn
        with self._lock:
            if self._cached[0] != version:
                self._cached = (version, generate_latest(self.resources))
            resources = self._cached[1]
        return resources + generate_latest(self.rest)


@bp.get("/metrics")
def metrics():
    return Response(service().exposition.render(), 200, {"Content-Type": CONTENT_TYPE_LATEST})
