"""What the blueprints share, and how they reach it: the :class:`Service` kept in ``app.extensions``.

Its own module (as Flask's tutorial keeps ``get_db`` in ``db.py``): the blueprints import this,
the app factory imports the blueprints, and no arrow points back at the factory.
"""

from __future__ import annotations

from flask import Flask, current_app

from flink_gitops.cluster.store import HealthStore

#: Key of the service's state in ``app.extensions``.
EXTENSION = "flink_gitops"


class Service:
    """The health cache and the watcher that fills it."""

    def __init__(self, store: HealthStore, runner):
        self.store = store
        self.runner = runner  # a flink_gitops.service.watching.WatchRunner
        self.exposition = None  # /metrics' text, read from ``store`` (flink_gitops.service.metrics)


def service(app: Flask | None = None) -> Service:
    """The service of ``app`` (default: the app handling the current request)."""
    return (app or current_app).extensions[EXTENSION]
