"""gunicorn settings for the health service: one gthread worker holds the watch cache.

``flink-gitops serve`` applies these (its flags over ``FLINK_GITOPS_BIND``, ``FLINK_GITOPS_THREADS`` and
``FLINK_GITOPS_LOG_FORMAT`` over the values here); with gunicorn itself use
``gunicorn -c python:flink_gitops.service.gunicorn_conf 'flink_gitops.service:create_app()'``.
Scale with replicas, never with workers: every worker would run its own list+watch per kind
and hold its own cache. Threads serve concurrent requests from that one cache.
"""

from __future__ import annotations

import os

from flink_gitops.service.settings import DEFAULT_BIND, DEFAULT_THREADS, server_from_env

_environment = server_from_env()
bind = _environment.get("bind", [DEFAULT_BIND])
workers = 1
# gthread with a deadline on each request head (flink_gitops.service.worker): slow clients get cut.
worker_class = "flink_gitops.service.worker.HeadDeadlineWorker"
threads = _environment.get("threads", DEFAULT_THREADS)
# Never preload: the app would be created in the master, and threads do not survive the fork.
preload_app = False
# SIGTERM: requests in flight get this long, then the worker exits (pods stop within seconds).
graceful_timeout = 5
timeout = 30
# Kept-alive connections wait in the worker's poller, not in a thread; 5 s outlasts the dashboard's 2 s poll.
keepalive = 5
proc_name = "flink-gitops-serve"
# The heartbeat file: /dev/shm where it exists (a read-only root filesystem, slow overlay disks).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
accesslog = None  # probes every few seconds would drown the log; errors and the watcher's lines stay
# FLINK_GITOPS_LOG_FORMAT=json: every line gunicorn writes (error log, ours, access log if on) is one JSON object
logger_class = _environment.get("logger_class", "gunicorn.glogging.Logger")
# gunicorn >= 25.1 opens a control socket under $HOME by default, through which the worker count
# can be changed at run time; one worker is the design, and two services on one host would collide.
control_socket_disable = True


def post_worker_init(worker) -> None:
    """Start watching as soon as the worker runs, not on the first request."""
    from flink_gitops.service.state import EXTENSION

    service = getattr(worker.wsgi, "extensions", {}).get(EXTENSION)
    if service is not None:
        service.runner.ensure_started()


def worker_exit(server, worker) -> None:
    from flink_gitops.service.state import EXTENSION

    service = getattr(getattr(worker, "wsgi", None), "extensions", {}).get(EXTENSION)
    if service is not None:
        service.runner.stop()
