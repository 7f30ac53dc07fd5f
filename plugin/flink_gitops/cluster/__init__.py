"""Kubernetes access: cluster configuration, reflectors per Flink kind, and the health cache they fill."""
