"""``flink-gitops serve`` as a real process (gunicorn), and HTTP helpers to talk to it on 127.0.0.1."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url: str, data: bytes | None = None, timeout: float = 10,
         headers: dict | None = None, token: str | None = None) -> tuple[int, bytes, dict]:
    """(status, body, headers) of one request, with ``token`` as its bearer token; HTTP errors are
    answers, not exceptions."""
    headers = dict(headers or {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def get_json(url: str, timeout: float = 10, token: str | None = None) -> tuple[int, dict]:
    code, body, _ = http(url, timeout=timeout, token=token)
    return code, json.loads(body)


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy (returned), else fail saying ``what``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except (OSError, ValueError) as exc:  # not listening yet, or a half-written answer
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r:.500})")


def timed_get(url: str, timeout: float) -> tuple[int | str, float]:
    """(status or the error, seconds): an answer that takes longer than ``timeout`` is an error."""
    started = time.monotonic()
    try:
        code, _, _ = http(url, timeout=timeout)
    except OSError as exc:
        code = f"no answer: {exc!r}"
    return code, time.monotonic() - started


class SlowClients:
    """``n`` connections sending a request head one byte a second, never finishing it (slow loris),
    all from one thread; records which ones the server closed. Stops by itself after ``seconds``."""

    HEAD = b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "

    def __init__(self, port: int, n: int, seconds: float = 60):
        self.socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
        self.closed_at: dict[int, float] = {}
        self.started = time.monotonic()
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, daemon=True)
        self._thread.start()

    def _drip(self) -> None:
        sent = 0
        while not self._stop.is_set() and time.monotonic() - self.started < self._seconds:
            byte = self.HEAD[sent:sent + 1] or b"a"
            for i, sock in enumerate(self.socks):
                if i in self.closed_at:
                    continue
                readable, _, _ = select.select([sock], [], [], 0)
                try:
                    if readable and not sock.recv(4096):
                        raise ConnectionResetError
                    sock.send(byte)
                except OSError:
                    self.closed_at[i] = time.monotonic() - self.started
            sent += 1
            self._stop.wait(1)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in self.socks:
            sock.close()


class Served:
    """A running service: its base URL, process, and log (stderr, read after it ends)."""

    def __init__(self, proc: subprocess.Popen, base: str, log: Path):
        self.proc, self.base, self.log = proc, base, log

    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str, timeout: float = 10, token: str | None = None) -> tuple[int, dict]:
        return get_json(self.url(path), timeout, token)

    def statuses(self, query: str = "", token: str | None = None) -> dict[tuple[str, str, str], str]:
        code, body = self.get("/api/v1/resources" + query, token=token)
        assert code == 200, body
        return {(r["namespace"], r["kind"], r["name"]): r["status"] for r in body["resources"]}

    def wait_ready(self, timeout: float = 30) -> dict:
        return wait_until(lambda: (lambda c, b: b if c == 200 else None)(*self.get("/readyz")), timeout,
                          f"{self.base}/readyz to answer 200 (log: {self.log_text()[-2000:]})")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def terminate(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


@contextmanager
def serve(tmp_path: Path, kubeconfig: str | None, *args: str, command: list[str] | None = None,
          env: dict | None = None, wait_listening: bool = True, auth: str | None = "none"):
    """Run ``flink-gitops serve --auth AUTH --kubeconfig K --bind 127.0.0.1:PORT ARGS`` (or
    ``command``, with ``{port}`` filled in); stop it with SIGTERM afterwards. ``auth`` None leaves
    ``--auth`` out (serve's default). Tests of what the service watches and shows use ``none``;
    tests of who may see it (test_service_auth.py) use ``kubernetes``."""
    port = free_port()
    log = tmp_path / f"serve-{port}.log"
    if command is None:
        command = [str(BIN / "flink-gitops"), "serve", "--bind", f"127.0.0.1:{port}", *args]
        if auth is not None:
            command += ["--auth", auth]
        if kubeconfig:
            command += ["--kubeconfig", kubeconfig]
    else:
        command = [part.format(port=port) for part in command]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "FLINK_GITOPS_"))}
    full_env.update(HOME=str(tmp_path), PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **(env or {}))
    with open(log, "wb") as err:
        proc = subprocess.Popen(command, stdout=err, stderr=subprocess.STDOUT, env=full_env, cwd=tmp_path)
    served = Served(proc, f"http://127.0.0.1:{port}", log)
    try:
        if wait_listening:
            wait_until(lambda: proc.poll() is None and served.get("/livez")[0] in (200, 503), 30,
                       f"the service to listen on {port} (log: {served.log_text()[-2000:]})")
        yield served
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
