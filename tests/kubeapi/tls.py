"""A throw-away certificate authority for the stand-in's HTTPS: server and client certificates.

Made with the ``openssl`` command line (tests that need it skip, naming it, where it is absent).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path  # CN=tester, signed by ``ca``
    client_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(folder: Path) -> Pki:
    if shutil.which("openssl") is None:
        import pytest

        pytest.skip("needs the openssl command line to make test certificates")
    folder.mkdir(parents=True, exist_ok=True)
    # The extensions a strict verifier asks for (Python 3.13's default context: VERIFY_X509_STRICT): a CA's key
    # usage, and an authority key identifier on what it signs.
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=stand-in-ca",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=folder)
    leaf = "basicConstraints=CA:FALSE\nauthorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    (folder / "server.ext").write_text(leaf + "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    (folder / "client.ext").write_text(leaf)
    for name, subject in (("server", "/CN=127.0.0.1"), ("client", "/CN=tester")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", f"{name}.key",
                 "-out", f"{name}.csr", cwd=folder)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "2", "-out", f"{name}.crt", "-extfile", f"{name}.ext", cwd=folder)
    return Pki(folder / "ca.crt", folder / "server.crt", folder / "server.key", folder / "client.crt",
               folder / "client.key")
