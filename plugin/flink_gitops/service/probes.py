"""``/livez`` and ``/readyz``: Kubernetes' liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, jsonify

from flink_gitops.service.state import service

bp = Blueprint("probes", __name__)


@bp.get("/livez")
def livez():
    """200 while the process and its watch loop are alive (a dead loop would serve stale health)."""
    runner = service().runner
    alive = runner.alive()
    return jsonify(alive=alive, watch=runner.state()), 200 if alive else 503


@bp.get("/readyz")
def readyz():
    """503 until every installed kind has been listed once, and while credentials or rights are refused
    (401/403); per kind: synced, absent, or failing and why."""
    svc = service()
    ready = svc.store.ready() and svc.runner.alive()
    kinds = {kind: state.as_json() for kind, state in svc.store.kind_states().items()}
    return jsonify(ready=ready, watch=svc.runner.state(), kinds=kinds), 200 if ready else 503
