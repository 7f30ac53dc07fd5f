"""The checks, one module per concern; importing the package registers every rule (in this order).

What the Flink Kubernetes Operator's admission webhook (``DefaultValidator``, behind
``FlinkValidator``) and the API server (the operator's CRD schema) would refuse, decided from the
manifests alone. Users skip rules by id per object (annotation ``flink-gitops.io/skip-validation``)
or app-wide (parameter ``validate-skip-rules``).
"""

from flink_gitops.render.validation.rules import identity  # noqa: F401  (registration order)
from flink_gitops.render.validation.rules.common import CANARY_LABEL, Report, Settings
from flink_gitops.render.validation.rules.deployment import check_deployment
from flink_gitops.render.validation.rules.identity import check_api_version
from flink_gitops.render.validation.rules.session_jobs import check_session_job
from flink_gitops.render.validation.rules.snapshots import check_snapshot

__all__ = ["CANARY_LABEL", "Report", "Settings", "check_api_version", "check_deployment", "check_session_job",
           "check_snapshot"]
