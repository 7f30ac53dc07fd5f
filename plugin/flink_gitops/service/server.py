"""``flink-gitops serve``'s gunicorn application: the settings of gunicorn_conf, the app from create_app."""

from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication

from flink_gitops.service import gunicorn_conf
from flink_gitops.service.settings import log_format_settings, server_from_env


def conf_settings(environ=os.environ) -> dict:
    """gunicorn_conf's settings by name (hooks included), with what ``FLINK_GITOPS_BIND`` and
    ``FLINK_GITOPS_THREADS`` in ``environ`` say over its defaults."""
    settings = {k: v for k, v in vars(gunicorn_conf).items() if not k.startswith("_")}
    settings.update(server_from_env(environ))
    return settings


def effective_settings(overrides: dict, environ=os.environ) -> dict:
    """The settings gunicorn runs with: ``overrides`` (the command line; None is "not given") over
    the environment over gunicorn_conf."""
    return {**conf_settings(environ), **{k: v for k, v in overrides.items() if v is not None}}


class ServiceApplication(BaseApplication):
    def __init__(self, config: dict, overrides: dict, environ=os.environ):
        self._config = config
        self._settings = effective_settings(overrides, environ)
        super().__init__()

    def load_config(self) -> None:
        known = self.cfg.settings
        for key, value in self._settings.items():
            if key in known:
                self.cfg.set(key, value)

    def load(self):
        # Called in the worker (preload is off): the app, and later its watcher, live there.
        from flink_gitops.service.app import create_app

        return create_app(self._config)


def serve(config: dict, bind: str | None = None, threads: int | None = None, log_level: str | None = None,
          log_format: str | None = None) -> None:
    """Run gunicorn in this process until SIGTERM/SIGINT (never returns). ``log_format``: ``text`` or ``json``
    (None: ``FLINK_GITOPS_LOG_FORMAT``, else text)."""
    overrides = {"bind": [bind] if bind else None, "threads": threads, "loglevel": log_level}
    if log_format:
        overrides.update(log_format_settings(log_format, "--log-format"))
    ServiceApplication(config, overrides).run()
