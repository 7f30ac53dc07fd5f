"""``flink-gitops serve``: defined in :mod:`flink_gitops.service.cli` (imports nothing heavy)."""

from flink_gitops.service.cli import register

__all__ = ["register"]
