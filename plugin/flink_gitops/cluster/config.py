"""Which cluster to talk to, found as kubectl finds it, as a ready ``kubernetes`` ApiClient.

Order: ``--kubeconfig``, then ``$KUBECONFIG`` (a list of files, merged), then ``~/.kube/config``,
then the pod's service account when running in a pod (``KUBERNETES_SERVICE_HOST``). Bearer
tokens, client certificates and exec plugins work as the ``kubernetes`` client supports them.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from flink_gitops.errors import UserError

IN_CLUSTER = "in-cluster"


@dataclass(frozen=True)
class Cluster:
    """A configured connection: the client, and names for messages."""

    api_client: object  # kubernetes.client.ApiClient
    name: str  # the kubeconfig context's cluster, or "in-cluster"
    server: str
    namespace: str  # the context's namespace (or the pod's), "default" when none is set
    source: str  # the kubeconfig path(s), or "in-cluster"
    context: str = ""  # the kubeconfig context used, or "in-cluster"

    def describe(self) -> str:
        return f"cluster {self.name} ({self.server})"


def _source(kubeconfig: str | None, environ: Mapping[str, str]) -> str | None:
    """The kubeconfig to read (None: in-cluster), as kubectl chooses it."""
    if kubeconfig:
        if not Path(kubeconfig).expanduser().is_file():
            raise UserError(f"{kubeconfig}: kubeconfig file not found (--kubeconfig)")
        return str(Path(kubeconfig).expanduser())
    if environ.get("KUBECONFIG"):
        paths = [p for p in environ["KUBECONFIG"].split(os.pathsep) if p]
        if not any(Path(p).expanduser().is_file() for p in paths):
            raise UserError(f"{environ['KUBECONFIG']}: no kubeconfig file found ($KUBECONFIG)")
        return environ["KUBECONFIG"]
    home = Path(environ.get("HOME") or Path.home()) / ".kube" / "config"
    if home.is_file():
        return str(home)
    if environ.get("KUBERNETES_SERVICE_HOST"):
        return None
    raise UserError("no cluster configuration: pass --kubeconfig, set $KUBECONFIG, create ~/.kube/config, "
                    "or run in a pod with a service account")


def _first_current_context(source: str) -> str | None:
    """kubectl takes current-context from the first file of $KUBECONFIG that sets it (the Python
    client takes the last); None when there is one file or none sets it."""
    paths = [p for p in source.split(os.pathsep) if p]
    if len(paths) < 2:
        return None
    import yaml

    for path in paths:
        try:
            doc = yaml.safe_load(Path(path).expanduser().read_text())
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(doc, dict) and doc.get("current-context"):
            return str(doc["current-context"])
    return None


@contextmanager
def _client_errors():
    """Collect what the client logs at ERROR on the root logger while loading (and keep it off stderr)."""
    import logging

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            errors.append(record.getMessage())

    errors: list[str] = []
    handler = Collect(logging.ERROR)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield errors
    finally:
        root.removeHandler(handler)


def _in_cluster_namespace() -> str:
    try:
        return Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace").read_text().strip() or "default"
    except OSError:
        return "default"


def connect(kubeconfig: str | None = None, context: str | None = None,
            environ: Mapping[str, str] | None = None) -> Cluster:
    """Load the configuration (no request is made yet); a UserError naming the config when it cannot."""
    from kubernetes import client, config

    environ = os.environ if environ is None else environ
    source = _source(kubeconfig, environ)
    configuration = client.Configuration()
    if source is None:
        try:
            config.load_incluster_config(client_configuration=configuration)
        except Exception as exc:  # ConfigException, OSError: the pod's service account is unusable
            raise UserError(f"in-cluster configuration: {exc}") from None
        return Cluster(client.ApiClient(configuration), IN_CLUSTER, configuration.host, _in_cluster_namespace(),
                       IN_CLUSTER, IN_CLUSTER)
    where = f"{source}" + (f" (context {context})" if context else "")
    context = context or _first_current_context(source)
    try:
        contexts, active = config.list_kube_config_contexts(config_file=source)
        chosen = active
        if context:
            chosen = next((c for c in contexts or () if c.get("name") == context), None)
            if chosen is None:
                names = ", ".join(c.get("name", "?") for c in contexts or ()) or "none"
                raise UserError(f"{source}: no context named {context} (contexts: {names})")
        with _client_errors() as errors:
            config.load_kube_config(config_file=source, context=context, client_configuration=configuration,
                                    persist_config=False)
        if errors:  # e.g. a failing exec plugin: the client logs it and goes on without credentials
            raise UserError(f"{where}: cannot load kubeconfig: {errors[0]}")
    except UserError:
        raise
    except Exception as exc:  # ConfigException, YAML and file errors, a failing exec plugin
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{where}: cannot load kubeconfig: {text}") from None
    ctx = (chosen or {}).get("context") or {}
    return Cluster(
        api_client=client.ApiClient(configuration),
        name=str(ctx.get("cluster") or (chosen or {}).get("name") or "?"),
        server=configuration.host,
        namespace=str(ctx.get("namespace") or "default"),
        source=source,
        context=str((chosen or {}).get("name") or context or ""),
    )


__all__ = ["Cluster", "connect", "IN_CLUSTER"]
