"""``flink-gitops serve``'s gunicorn application: the settings of gunicorn_conf, the app from create_app."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from flink_gitops.service import gunicorn_conf


def conf_settings() -> dict:
    """gunicorn_conf's settings by name (hooks included)."""
    return {k: v for k, v in vars(gunicorn_conf).items() if not k.startswith("_")}


class ServiceApplication(BaseApplication):
    def __init__(self, config: dict, overrides: dict):
        self._config = config
        self._overrides = overrides
        super().__init__()

    def load_config(self) -> None:
        known = self.cfg.settings
        for key, value in {**conf_settings(), **self._overrides}.items():
            if key in known and value is not None:
                self.cfg.set(key, value)

    def load(self):
        # Called in the worker (preload is off): the app, and later its watcher, live there.
        from flink_gitops.service.app import create_app

        return create_app(self._config)


def serve(config: dict, bind: str, threads: int | None = None, log_level: str | None = None) -> None:
    """Run gunicorn in this process until SIGTERM/SIGINT (never returns)."""
    ServiceApplication(config, {"bind": [bind], "threads": threads, "loglevel": log_level}).run()
