"""The validation rules, each registered once: id, summary, the operator rule it mirrors, the fix and an example.

A rule's example is a minimal manifest that breaks it and ``expected`` the exact line the render
prints for it; ``tests/test_validate_examples.py`` runs every example and
``docs/validation.md``'s rule index is generated from here, so a rule cannot exist without both.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from flink_gitops.render.validation.operator_releases import RELEASES

#: Where the quoted sources live (paths in :attr:`Rule.source` are relative to it).
OPERATOR_REPO = "apache/flink-kubernetes-operator"


@dataclass(frozen=True)
class Rule:
    """One validation rule."""

    id: str
    summary: str  # one line: what is refused
    operator: str  # the operator's (or API server's) own words for it, quoted
    source: str  # the upstream file that says it
    fix: str
    example: str  # a minimal manifest (YAML, one or more documents) that breaks the rule
    expected: str  # the exact error line the example produces
    details: str = ""  # what else the rule covers, for docs/validation.md
    concern: str = ""  # the rules module that registers it (docs/validation.md groups by it)
    #: The operator release that introduced the check (operator_releases.RELEASES); empty: every release.
    #: With parameter operator-version older than this, the rule is not applied.
    since: str = ""
    #: The operator-version the example is validated with; empty: the newest.
    example_version: str = ""


RULES: dict[str, Rule] = {}


def register(id: str, summary: str, *, operator: str, source: str, fix: str, example: str, expected: str,
             details: str = "", since: str = "", example_version: str = "") -> Rule:
    """Add a rule to :data:`RULES`; the calling module (``rules.<concern>``) is its concern."""
    if id in RULES:
        raise ValueError(f"validation rule {id!r} is registered twice")
    for release in filter(None, (since, example_version)):
        if release not in RELEASES:
            raise ValueError(f"validation rule {id!r}: {release!r} is not one of {', '.join(RELEASES)}")
    concern = sys._getframe(1).f_globals["__name__"].rpartition(".")[2]
    rule = Rule(id, summary, operator, source, fix, example, expected, details, concern, since, example_version)
    RULES[id] = rule
    return rule


# Upstream sources the rules quote (paths in apache/flink-kubernetes-operator).
DEFAULT_VALIDATOR = ("flink-kubernetes-operator/src/main/java/org/apache/flink/kubernetes/operator/validation/"
                     "DefaultValidator.java")
AUTOSCALER_VALIDATOR = "flink-autoscaler/src/main/java/org/apache/flink/autoscaler/validation/AutoscalerValidator.java"
CRD_DEPLOYMENT = "helm/flink-kubernetes-operator/crds/flinkdeployments.flink.apache.org-v1.yml"
CRD_DIRECTORY = "helm/flink-kubernetes-operator/crds/"
SESSION_JOB_RECONCILER = ("flink-kubernetes-operator/src/main/java/org/apache/flink/kubernetes/operator/reconciler/"
                          "sessionjob/SessionJobReconciler.java")
BLUE_GREEN_HANDLER = ("flink-kubernetes-operator/src/main/java/org/apache/flink/kubernetes/operator/controller/"
                      "bluegreen/handlers/InitializingBlueStateHandler.java")
