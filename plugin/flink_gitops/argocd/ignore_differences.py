"""System-level ``ignoreDifferences`` for ``argocd-cm``: ``/status`` of every Flink kind, for every app."""

from __future__ import annotations

from flink_gitops import yamlio
from flink_gitops.flink import API_GROUP, STATUS_POINTER, kind_names


def system_level_customizations() -> dict[str, str]:
    """argocd-cm keys ``resource.customizations.ignoreDifferences.<group>_<Kind>`` -> YAML text.

    Only ``/status``: per-object fields (parallelism under the autoscaler, replicas under an HPA)
    depend on the app and would hide real drift if ignored for every app.
    """
    return {
        f"resource.customizations.ignoreDifferences.{API_GROUP}_{kind}": yamlio.dump_documents(
            [{"jsonPointers": [STATUS_POINTER]}]
        ).removeprefix("---\n")
        for kind in kind_names()
    }
