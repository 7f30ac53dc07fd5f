"""The checks, one module per concern; importing the package registers every rule.

What the Flink Kubernetes Operator's admission webhook (``DefaultValidator``, behind
``FlinkValidator``) and the API server (the operator's CRD schema) would refuse, decided from the
manifests alone. Users skip rules by id per object (annotation ``flink-gitops.io/skip-validation``)
or app-wide (parameter ``validate-skip-rules``).
"""

from flink_gitops.render.validation.rules.bluegreen import check_blue_green
from flink_gitops.render.validation.rules.common import CANARY_LABEL, Report, Settings
from flink_gitops.render.validation.rules.deployment import check_deployment
from flink_gitops.render.validation.rules.identity import check_api_version, check_kind
from flink_gitops.render.validation.rules.operator_release import check_kind_release
from flink_gitops.render.validation.rules.session_jobs import SessionClusters, check_session_job
from flink_gitops.render.validation.rules.snapshots import check_snapshot

__all__ = ["CANARY_LABEL", "Report", "SessionClusters", "Settings", "check_api_version", "check_blue_green",
           "check_deployment", "check_kind", "check_kind_release", "check_session_job", "check_snapshot"]
