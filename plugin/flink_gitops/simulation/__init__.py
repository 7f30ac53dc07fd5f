"""A simulated Flink cluster for ``flink-gitops demo`` and the test suite: an API server (``apiserver``),
the demo's fleet and its story (``fleet``) and an operator that plays it (``flink_operator``); never a real cluster."""
