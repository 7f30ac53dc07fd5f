"""The health status vocabulary, declared once: Argo CD's statuses, Flux's, and the order people read them in.

Like gitops-engine's ``pkg/health``: every module that names a status imports it from here (the
tables' rules are checked against :data:`ARGOCD_STATUSES` when they are built).
"""

from __future__ import annotations

HEALTHY, PROGRESSING, DEGRADED, SUSPENDED, MISSING, UNKNOWN = (
    "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")

#: What Argo CD accepts from a health script; anything else becomes Unknown.
ARGOCD_STATUSES = (HEALTHY, PROGRESSING, DEGRADED, SUSPENDED, MISSING, UNKNOWN)

#: Worst first: the order an on-call engineer reads them in (dashboard, API counts, metrics).
SEVERITY = (DEGRADED, PROGRESSING, UNKNOWN, MISSING, SUSPENDED, HEALTHY)

#: kstatus, as Flux's health checks report it.
CURRENT, IN_PROGRESS, FAILED = "Current", "InProgress", "Failed"

#: How Flux reads a table's decision: only Healthy is done and only Degraded has failed; the rest waits.
FLUX_STATUS_OF = {HEALTHY: CURRENT, DEGRADED: FAILED, PROGRESSING: IN_PROGRESS, SUSPENDED: IN_PROGRESS,
                  UNKNOWN: IN_PROGRESS}

#: Per engine, the status that means "done" and the one that means "failed" (exit codes, ``wait``).
ARGOCD, FLUX = "argocd", "flux"
DONE = {ARGOCD: HEALTHY, FLUX: CURRENT}
FAILED_STATUS = {ARGOCD: DEGRADED, FLUX: FAILED}
