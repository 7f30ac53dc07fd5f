"""flink-gitops: make Argo CD and Flux understand the Apache Flink Kubernetes Operator."""

__version__ = "0.1.0"
