"""The health service: live Flink health over HTTP (JSON API, Prometheus metrics, a dashboard).

``gunicorn -c python:flink_gitops.service.gunicorn_conf 'flink_gitops.service:create_app()'`` or
``flink-gitops serve``. Flask is imported only when an app is created, so the CLI can register
``serve`` without paying for it.
"""

from __future__ import annotations


def create_app(config: dict | None = None):
    """The Flask app (see :func:`flink_gitops.service.app.create_app`)."""
    from flink_gitops.service.app import create_app as _create_app

    return _create_app(config)


__all__ = ["create_app"]
