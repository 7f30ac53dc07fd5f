"""Bounds on ``POST /api/v1/evaluate``, so evaluating never starves the probes and the live API: how many
evaluations run at once, how long a body may take to arrive, and how much CPU time one may use.

The service is one process with one interpreter lock: an evaluation parses up to 4 MiB of YAML and
runs the health scripts, which is CPU work every other request shares. So at most
``concurrent`` evaluations run at once (more are answered ``429`` with ``Retry-After`` at once,
their body read and dropped so the client sees the answer); each must have sent its body within
``body_seconds`` (else ``408``: a slow client does not hold a slot); and each stops at
``cpu_seconds`` of CPU time, checked between objects (``413``: the same body would take as long
again). Set with ``FLINK_GITOPS_EVALUATE_CONCURRENCY``, ``FLINK_GITOPS_EVALUATE_BODY_SECONDS`` and
``FLINK_GITOPS_EVALUATE_CPU_SECONDS``.
"""

from __future__ import annotations

import functools
import json
import socket
import threading
import time
from contextlib import contextmanager

from flask import Response, current_app, g, request
from werkzeug.exceptions import BadRequest, ClientDisconnected, HTTPException, RequestEntityTooLarge

from flink_gitops.service.settings import EvaluateLimits

#: What a refused client is told to wait before trying again (an evaluation takes up to ~2 s).
RETRY_AFTER_SECONDS = 1
_EXTENSION = "flink_gitops.evaluate_gate"
_CREATING = threading.Lock()
_CHUNK = 65536


class Refused(Exception):
    """An evaluation refused: the HTTP status, the message and the headers of the answer."""

    def __init__(self, code: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.code, self.message, self.headers = code, message, headers or {}


class Gate:
    """The evaluations in flight: at most ``limits.concurrent``, never waiting for a slot."""

    def __init__(self, limits: EvaluateLimits):
        self.limits = limits
        self._slots = threading.BoundedSemaphore(limits.concurrent)

    @contextmanager
    def slot(self):
        if not self._slots.acquire(blocking=False):
            raise Refused(429, f"{self.limits.concurrent} evaluations are running already; try again in "
                               f"{RETRY_AFTER_SECONDS} s", {"Retry-After": str(RETRY_AFTER_SECONDS)})
        try:
            yield
        finally:
            self._slots.release()


def gate() -> Gate:
    """This app's gate, made on first use from the environment."""
    app = current_app._get_current_object()
    found = app.extensions.get(_EXTENSION)
    if found is None:
        with _CREATING:
            found = app.extensions.setdefault(_EXTENSION, Gate(EvaluateLimits.from_env()))
    return found


def bounded(view):
    """Run ``view`` in an evaluation slot, its CPU time counted from here (:func:`batches_within_budget`);
    a :class:`Refused` becomes its JSON answer."""

    @functools.wraps(view)
    def run(*args, **kwargs):
        the_gate = gate()
        try:
            with the_gate.slot():
                g.evaluate_cpu_deadline = time.thread_time() + the_gate.limits.cpu_seconds
                return view(*args, **kwargs)
        except Refused as exc:
            if exc.code == 429:
                _drop_body(the_gate.limits.body_seconds)
            body = json.dumps({"error": exc.message}, ensure_ascii=False)
            return Response(body, exc.code, exc.headers, mimetype="application/json")

    return run


@contextmanager
def _body_deadline(seconds: float):
    """Yield a function to call before each read: under gunicorn, it bounds the next read of the
    client's socket by what is left of ``seconds``. A client too slow has its reading side shut, so
    the rest of its body is never waited for, and gets 408."""
    sock = request.environ.get("gunicorn.socket")
    deadline = time.monotonic() + seconds
    previous = sock.gettimeout() if sock is not None else None

    def before_read():
        if sock is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)

    try:
        yield before_read
    except (TimeoutError, ClientDisconnected) as exc:
        timed_out = isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)
        if not timed_out:
            raise
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RD)
            except OSError:
                pass
        raise Refused(408, f"request body: not received within {seconds:g} s") from None
    finally:
        if sock is not None:
            try:
                sock.settimeout(previous)
            except OSError:
                pass


def read_body(limit: int) -> bytes:
    """The request body; 413 past ``limit`` bytes (counted as read: a chunked body declares no
    length; werkzeug refuses a larger declared Content-Length by itself); 408 when it has not all
    arrived within the body deadline."""
    with _body_deadline(gate().limits.body_seconds) as before_read:
        stream, parts, size = request.stream, [], 0
        while size <= limit:
            before_read()
            try:
                part = stream.read(min(_CHUNK, limit + 1 - size))
            except (HTTPException, TimeoutError):  # 413, a client gone, the body deadline: handled above
                raise
            except Exception as exc:  # gunicorn's InvalidChunkSize, ChunkMissingTerminator, NoMoreData: the client's
                raise BadRequest(f"request body: malformed or cut short ({type(exc).__name__})") from None
            if not part:
                return b"".join(parts)
            parts.append(part)
            size += len(part)
    raise RequestEntityTooLarge()


def _drop_body(seconds: float) -> None:
    """Read and forget the body of a refused request, so the client, still sending, reads the answer
    instead of a reset connection."""
    try:
        with _body_deadline(seconds) as before_read:
            stream = request.stream
            while True:
                before_read()
                if not stream.read(_CHUNK):
                    return
    except (Refused, ClientDisconnected, RequestEntityTooLarge, OSError):
        pass  # gone, too slow or too large: gunicorn closes the connection after the answer


def batches_within_budget(objs: list, size: int = 100):
    """``objs`` in batches of ``size`` (a few milliseconds of evaluation each), until this evaluation
    has used its CPU time; then 413."""
    deadline = g.evaluate_cpu_deadline
    for start in range(0, len(objs), size):
        if time.thread_time() > deadline:
            limit = gate().limits.cpu_seconds
            raise Refused(413, f"request body: evaluating took more than {limit:g} s of CPU time (stopped after "
                               f"{start:,} of {len(objs):,} objects); send fewer objects at a time")
        yield objs[start:start + size]
