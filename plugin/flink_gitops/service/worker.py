"""gunicorn's gthread worker with a deadline on each request head, so slow clients cannot hold its threads.

A gthread thread reads a request's line and headers with blocking reads and no time limit: a client
sending a byte a second (slow loris), or connecting and sending nothing, keeps that thread until it
gives up, and enough of them leave none for the kubelet's probes. This worker gives each connection
:data:`REQUEST_HEAD_SECONDS` from the moment a thread starts reading it to deliver its whole request
head; a connection still sending its head then is shut down, which ends the blocked read, and the
thread serves the next connection. The body and the answer are not under this deadline (the
evaluate endpoint bounds its own body, see :mod:`flink_gitops.service.limits`).

Besides starting the thread that cuts late connections, only ``handle`` and ``handle_request`` are
overridden: the two steps every gthread version since gunicorn 20 has (read a connection, answer the
request read from it).
"""

from __future__ import annotations

import socket
import threading
import time

from gunicorn.workers.gthread import ThreadWorker

#: How long a client may take to send its request line and headers once a thread reads its
#: connection. Probes, Prometheus and browsers send them in one packet; 5 s covers a slow network.
REQUEST_HEAD_SECONDS = 5.0
#: How often late connections are looked for: a late one is cut at most this much after its deadline.
_CHECK_EVERY = 0.25


class HeadDeadlines:
    """The connections whose request head a thread is reading, and when each must be complete."""

    def __init__(self, seconds: float, clock=time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._due: dict[object, float] = {}

    def reading(self, conn) -> None:
        with self._lock:
            self._due[conn] = self._clock() + self.seconds

    def done(self, conn) -> None:
        """The head is read (or the connection is put aside): no deadline any more."""
        with self._lock:
            self._due.pop(conn, None)

    def cut_late(self) -> int:
        """Shut down every connection past its deadline; how many. Under the lock, so a connection
        whose head was read (``done``) is never cut while its request is answered."""
        now = self._clock()
        with self._lock:
            late = [conn for conn, due in self._due.items() if due <= now]
            for conn in late:
                del self._due[conn]
                try:
                    conn.sock.shutdown(socket.SHUT_RDWR)  # the blocked recv returns: no more data
                except OSError:
                    pass  # already closed by the client
        return len(late)

    def __len__(self) -> int:
        with self._lock:
            return len(self._due)


class HeadDeadlineWorker(ThreadWorker):
    """gthread, plus :class:`HeadDeadlines` on every connection a thread reads."""

    def init_process(self) -> None:
        self.head_deadlines = HeadDeadlines(REQUEST_HEAD_SECONDS)
        threading.Thread(target=self._cut_late_heads, name="request-head-deadlines", daemon=True).start()
        super().init_process()  # runs the worker's loop until it stops

    def _cut_late_heads(self) -> None:
        while True:
            time.sleep(_CHECK_EVERY)
            late = self.head_deadlines.cut_late()
            if late:
                self.log.debug("closed %d connection(s) that sent no complete request head within %.0f s",
                               late, REQUEST_HEAD_SECONDS)

    def handle(self, conn):
        self.head_deadlines.reading(conn)
        try:
            return super().handle(conn)
        finally:
            self.head_deadlines.done(conn)

    def handle_request(self, req, conn):
        self.head_deadlines.done(conn)  # the head is in: the app answers without this deadline
        return super().handle_request(req, conn)
