"""The suite's test-only helpers around the simulated API server (flink_gitops.simulation.apiserver):
sample objects (samples.py) and a throw-away CA for HTTPS (tls.py). ``FakeApiServer`` is the server's
old name here, for the tests that still import it from this package."""

from flink_gitops.simulation.apiserver import ApiServer, Identity, Rule

FakeApiServer = ApiServer

__all__ = ["ApiServer", "FakeApiServer", "Identity", "Rule"]
