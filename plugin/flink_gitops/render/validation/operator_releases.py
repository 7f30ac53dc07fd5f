"""The Flink Kubernetes Operator releases validation follows, and what each changed that a manifest can meet.

Read in apache/flink-kubernetes-operator at the tags ``release-1.11.0`` ... ``release-1.15.0`` and at
``main`` (1.16-SNAPSHOT, commit 6e9caeb4): the CRDs (``helm/flink-kubernetes-operator/crds/``, generated
from the API classes at build time, so a release's ``flinkVersion`` enum is its ``FlinkVersion.java``),
``DefaultValidator``, ``AutoscalerValidator`` and ``FlinkVersion``. The render's parameter
``operator-version`` picks one; a rule or a field newer than it is not applied or is refused.

1.11 is the oldest: from it on the operator reads Flink 1.20's option keys (``execution.checkpointing.dir``
and its deprecated ``state.checkpoints.dir``), which the rules use, and writes the DELETING/DELETED
lifecycle states the health tables know.
"""

from __future__ import annotations

from dataclasses import dataclass

RELEASES = ("1.11", "1.12", "1.13", "1.14", "1.15", "1.16")
OLDEST, NEWEST = RELEASES[0], RELEASES[-1]
#: Releases read at a branch, not a tag: what they are, for the docs and the parameter's help.
UNRELEASED = {"1.16": "not released yet: the operator's main branch (1.16-SNAPSHOT) at commit 6e9caeb4"}


def _key(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


def has(release: str, since: str) -> bool:
    """True when ``release`` is ``since`` or newer (an empty ``since``: every release)."""
    return not since or _key(release) >= _key(since)


# -- what a manifest can meet ------------------------------------------------------------------------

#: Kinds newer than the oldest release (the CRD file appears in helm/.../crds/ at that tag).
KIND_SINCE = {"FlinkBlueGreenDeployment": "1.14"}
#: flinkConfiguration as any YAML (nested maps, numbers, lists): ``x-kubernetes-preserve-unknown-fields``
#: and ``ConfigObjectNode`` from 1.13 (FLINK-37406, commit 37e3c84d); before, the CRD declares a map of strings.
STRUCTURED_CONFIG_SINCE = "1.13"
#: ``jobManager.resources`` / ``taskManager.resources`` (Kubernetes ResourceRequirements, FLINK-33548, commit
#: d131b70a), counted by the memory check and checked by ``validateResourceRequirements`` from 1.16.
RESOURCE_REQUIREMENTS_SINCE = "1.16"
#: ``flinkVersion`` values newer than the oldest release: the CRD enum (FlinkVersion.java) at each tag.
FLINK_VERSION_SINCE = {"v2_1": "1.13", "v2_2": "1.13", "v2_3": "1.15", "v2_4": "1.15"}
#: ``@Deprecated`` flinkVersion values, and from which release (FlinkVersion.java's comments and annotations).
FLINK_VERSION_DEPRECATED_SINCE = {"v1_15": OLDEST, "v1_16": OLDEST, "v1_17": "1.13", "v1_18": "1.13"}
#: The operator logs a warning for a deprecated flinkVersion (FLINK-39808, commit f4c0c99c); before, only the enum
#: value is annotated.
DEPRECATION_LOGGED_SINCE = "1.16"
# Autoscaler options DefaultValidator / AutoscalerValidator checks (first failure only):
#: utilization.target within [0, 1] and utilization.max / .min around it: from the oldest release on.
#: observed-scalability.coefficient-min within [0.01, 1], checked whether the feature is on or not (1.12-1.15).
AUTOSCALER_COEFFICIENT_SINCE = "1.12"
#: FLINK-39826 (commit 34edcc45): GC-pressure and heap-usage thresholds, and coefficient-min, effectiveness
#: threshold and memory-tuning overhead only when their feature is on; and FLINK-39826's metric window check.
AUTOSCALER_STRICT_SINCE = "1.16"
METRICS_WINDOW_SINCE = "1.16"


def flink_versions(release: str, known: tuple[str, ...]) -> tuple[str, ...]:
    """The ``flinkVersion`` values ``release``'s CRD enum holds, in the order of ``known`` (every value)."""
    return tuple(v for v in known if has(release, FLINK_VERSION_SINCE.get(v, "")))


def deprecated_flink_versions(release: str) -> tuple[str, ...]:
    return tuple(v for v, since in FLINK_VERSION_DEPRECATED_SINCE.items() if has(release, since))


@dataclass(frozen=True)
class Change:
    """One thing a release changed that a manifest meets, for docs/compatibility.md."""

    since: str
    what: str
    upstream: str  # the ticket and commit, or the file it is read from
    older: str  # what validation does when operator-version is older
    test: str  # the test that shows it


CHANGES: tuple[Change, ...] = (
    Change("1.12", "`job.autoscaler.observed-scalability.coefficient-min` within [0.01, 1]",
           "`DefaultValidator.validateAutoScalerFlinkConfiguration`, release-1.12.0",
           "not checked", "test_autoscaler_checks_follow_the_release"),
    Change("1.13", "`flinkConfiguration` as nested YAML, numbers, booleans and lists",
           "FLINK-37406, commit 37e3c84d (`ConfigObjectNode`)",
           "a value that is not a string, or a nested map, is an error (rule `operator-version`): the CRD declares a "
           "map of strings", "test_flink_configuration_types_follow_the_release"),
    Change("1.13", "`flinkVersion` v2_1, v2_2; v1_17 and v1_18 deprecated",
           "`FlinkVersion.java`, release-1.13.0",
           "v2_1 and v2_2 are unknown values (rule `flink-version`); v1_17 and v1_18 are not called deprecated",
           "test_flink_versions_follow_the_release"),
    Change("1.14", "kind `FlinkBlueGreenDeployment`",
           "`flinkbluegreendeployments.flink.apache.org-v1.yml`, release-1.14.0",
           "an error (rule `operator-version`); rule `blue-green` is not applied",
           "test_blue_green_needs_operator_1_14"),
    Change("1.15", "`flinkVersion` v2_3, v2_4", "FLINK-39177, commit 5d483357",
           "unknown values (rule `flink-version`)", "test_flink_versions_follow_the_release"),
    Change("1.15", "session job `jarURI` checks (scheme allowlist, restricted hosts)",
           "`DefaultValidator.validateJarURI`, release-1.15.0",
           "rule `jar-uri` is not applied", "test_a_session_job_jar_uri_is_checked_from_operator_1_15"),
    Change("1.16", "`jobManager.resources` / `taskManager.resources` (Kubernetes ResourceRequirements)",
           "FLINK-33548, commit d131b70a",
           "the field is an error (rule `operator-version`) and does not define memory (rule `memory`)",
           "test_resource_requirements_need_operator_1_16"),
    Change("1.16", "a deprecated `flinkVersion` logged as a warning", "FLINK-39808, commit f4c0c99c",
           "the warning quotes the enum value's `@Deprecated` instead of the log line",
           "test_flink_versions_follow_the_release"),
    Change("1.16", "autoscaler GC-pressure and heap-usage thresholds; coefficient-min, effectiveness threshold and "
                   "memory-tuning overhead only when their feature is on; metric window not below the reconcile "
                   "interval", "FLINK-39826, commit 34edcc45",
           "the thresholds and the window are not checked; coefficient-min is checked whether or not the feature "
           "is on", "test_autoscaler_checks_follow_the_release"),
)
