"""The Flask app factory: one store, one watch runner, one blueprint per concern."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from flink_gitops.assess import evaluator
from flink_gitops.cluster.store import HealthStore
from flink_gitops.service import api, auth, dashboard, metrics, probes
from flink_gitops.service.logformat import log_transition
from flink_gitops.service.settings import MAX_EVALUATE_BYTES, resolve
from flink_gitops.service.state import EXTENSION, Service
from flink_gitops.service.watching import WatchRunner


def create_app(config: dict | None = None) -> Flask:
    """The health service.

    ``config`` keys: KUBECONFIG, CONTEXT, NAMESPACES, WATCH, AUTH (default: the ``FLINK_GITOPS_*``
    environment, see :mod:`flink_gitops.service.settings`), and STORE, a
    :class:`~flink_gitops.cluster.store.HealthStore` to serve instead of a new one. Creating the
    app starts no thread: the watcher starts in the serving process (see :class:`WatchRunner`).
    """
    config = dict(config or {})
    settings = resolve(config)
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_EVALUATE_BYTES
    app.json.sort_keys = False
    store = config.get("STORE") or HealthStore(evaluator=evaluator(), namespaces=settings.namespaces)
    app.extensions[EXTENSION] = Service(store, WatchRunner(store, settings))
    app.extensions[EXTENSION].exposition = metrics.Exposition(store)
    store.add_listener(log_transition)  # one log line per health transition
    app.register_blueprint(probes.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(dashboard.bp)

    @app.before_request
    def _start_watching():  # lazily, for `gunicorn 'flink_gitops.service:create_app()'` without our hooks
        app.extensions[EXTENSION].runner.ensure_started()

    @app.errorhandler(HTTPException)
    def _json_error(exc: HTTPException):
        return jsonify(error=exc.description if exc.code != 413 else
                       f"request body is larger than {MAX_EVALUATE_BYTES:,} bytes"), exc.code

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    _log_through_gunicorn()
    auth.install(app, settings)  # after the log handlers: --auth none says so in gunicorn's log
    return app


def _log_through_gunicorn() -> None:
    """Our log lines (the watcher's 401s, restarts) go where gunicorn's error log goes."""
    ours, theirs = logging.getLogger("flink_gitops"), logging.getLogger("gunicorn.error")
    if theirs.handlers and not ours.handlers:
        for handler in theirs.handlers:
            ours.addHandler(handler)
        ours.setLevel(logging.INFO)
        ours.propagate = False
