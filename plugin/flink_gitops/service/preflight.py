"""Checks ``serve`` makes before starting gunicorn, so a mistake is one error line and exit 2."""

from __future__ import annotations

import socket

from flink_gitops.errors import UserError


def parse_bind(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(f"--bind {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
    return host, int(port)


def check_bind(text: str) -> None:
    """The address parses and can be listened on now (gunicorn would retry for seconds, then fail)."""
    host, port = parse_bind(text)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UserError(f"--bind {text}: cannot resolve {host!r}: {exc.strerror}") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(addr)
        except OSError as exc:
            raise UserError(f"--bind {text}: cannot listen: {exc.strerror}") from None


def check_cluster_config(kubeconfig: str | None, context: str | None) -> None:
    """The kubeconfig (or in-cluster config) loads; the worker loads it again after the fork."""
    from flink_gitops.cluster.config import connect

    connect(kubeconfig=kubeconfig, context=context).api_client.close()
