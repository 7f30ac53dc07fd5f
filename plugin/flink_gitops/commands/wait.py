"""``flink-gitops wait``: lives in :mod:`flink_gitops.cluster.cli` (this shim goes with commands/)."""

from flink_gitops.cluster.cli import register

__all__ = ["register"]
