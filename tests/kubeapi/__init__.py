"""The suite's test-only helpers around the simulated API server (flink_gitops.simulation.apiserver):
sample objects (samples.py) and a throw-away CA for HTTPS (tls.py)."""
