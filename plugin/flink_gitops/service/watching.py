"""Runs the cluster watcher inside the serving process, started after gunicorn forks the worker."""

from __future__ import annotations

import logging
import os
import threading
import time

from flink_gitops.cluster.store import FAILING, HealthStore
from flink_gitops.service.settings import Settings

log = logging.getLogger("flink_gitops.service")

#: After a failed start (a kubeconfig that cannot be loaded), requests try again at most this often.
RETRY_SECONDS = 30.0


class WatchRunner:
    """Owns the one :class:`~flink_gitops.cluster.watcher.Watcher` of this process.

    Threads do not survive ``fork``: a watcher started in gunicorn's master (at import, or with
    ``--preload``) would be lost in the worker. So nothing starts here until :meth:`ensure_started`
    runs in the serving process (gunicorn's ``post_worker_init`` hook, or the first request), and a
    watcher inherited from another process id is replaced.
    """

    def __init__(self, store: HealthStore, settings: Settings):
        self.store = store
        self.settings = settings
        self._lock = threading.Lock()
        self._watcher = None
        self._pid: int | None = None
        self._stopped = False
        self._failed_at: float | None = None
        self.cluster = None  # the flink_gitops.cluster.config.Cluster watched, once connected

    @property
    def enabled(self) -> bool:
        return self.settings.watch

    def _settled(self) -> bool:
        if self._stopped or (self._pid == os.getpid() and self._watcher is not None):
            return True
        failed = self._failed_at
        return self._pid == os.getpid() and failed is not None and time.monotonic() - failed < RETRY_SECONDS

    def ensure_started(self) -> None:
        if not self.enabled or self._settled():
            return
        with self._lock:
            if self._settled():
                return
            self._pid = os.getpid()
            try:
                self._watcher = self._start_watcher()
                self._failed_at = None
            except Exception as exc:  # a config that cannot be loaded: not ready, say why, stay up
                self._watcher = None
                self._failed_at = time.monotonic()
                reason = f"cannot start watching: {exc}"
                log.error("flink-gitops serve: %s", reason)
                for kind in self.store.kinds:
                    for namespace in self.store.namespaces or ("",):
                        self.store.set_kind_state(kind, FAILING, reason, namespace=namespace)

    def _start_watcher(self):
        from flink_gitops.cluster.config import connect
        from flink_gitops.cluster.reflector import Timeouts
        from flink_gitops.cluster.watcher import Watcher

        cluster = connect(kubeconfig=self.settings.kubeconfig, context=self.settings.context)
        self.cluster = cluster
        watcher = Watcher(cluster.api_client, self.store, namespaces=self.settings.namespaces,
                          timeouts=Timeouts(watch_idle=self.settings.watch_idle_timeout))
        watcher.start()
        log.info("flink-gitops serve: %s, read by worker pid %d", cluster.describe(), os.getpid())
        return watcher

    def alive(self) -> bool:
        """The watch loop runs (always true when watching is off: nothing to be alive)."""
        if not self.enabled:
            return True
        watcher = self._watcher
        return watcher is not None and self._pid == os.getpid() and bool(watcher.alive())

    def state(self) -> str:
        if not self.enabled:
            return "off"
        return "running" if self.alive() else "stopped" if self._stopped else "not running"

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            watcher, self._watcher = self._watcher, None
        if watcher is not None and self._pid == os.getpid():
            watcher.stop()
