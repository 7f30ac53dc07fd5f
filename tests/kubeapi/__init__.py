"""The Kubernetes API-server stand-in the cluster, CLI and service tests talk to over HTTP."""

from .server import FakeApiServer, Identity, Rule

__all__ = ["FakeApiServer", "Identity", "Rule"]
