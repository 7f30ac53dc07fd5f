"""The configuration a reconciler reads: the operator's default configuration with the resource's ``flinkConfiguration`` over it.

``FlinkConfigManager`` lays ``spec.flinkConfiguration`` over the operator's ``defaultConfiguration``
(for the resource's namespace and Flink version; a session job also over its session cluster's),
so a deployment's own ``kubernetes.operator.*`` keys override the operator's. The options read by
the planner are declared here with the operator's keys and defaults
(``KubernetesOperatorConfigOptions``, Flink's ``JobManagerOptions`` and ``CheckpointingOptions``).
A value that is not what the option takes is bad input, named by where it was set.
"""

from __future__ import annotations

from dataclasses import dataclass

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import Located
from flink_gitops.render.validation.flinkconf import (HA_MODE_KEYS, SAVEPOINT_DIR_KEYS, CHECKPOINT_MAX_AGE_KEYS, Conf,
                                                      default_config, flatten)

OP = "kubernetes.operator."
LAST_STATE_FALLBACK = (OP + "job.upgrade.last-state-fallback.enabled", True)
LAST_STATE_CANCEL = (OP + "job.upgrade.last-state.job-cancel.enabled", False)
INPLACE_SCALING = (OP + "job.upgrade.inplace-scaling.enabled", True)
IGNORE_PENDING_SAVEPOINT = (OP + "job.upgrade.ignore-pending-savepoint", False)
SAVEPOINT_ON_DELETION = (OP + "job.savepoint-on-deletion", False)
BLOCK_ON_SESSION_JOBS = (OP + "session.deletion.block-on-session-jobs", True)
JM_DEPLOYMENT_RECOVERY = (OP + "jm-deployment-recovery.enabled", True)
SCHEDULER = "jobmanager.scheduler"
SCHEDULER_MODE = "scheduler-mode"
OVERRIDES = "pipeline.jobvertex-parallelism-overrides"


@dataclass
class Settings:
    """One resource's effective configuration, and where each key came from (for error messages)."""

    conf: Conf
    operator_source: str  # the operator configuration's file, for messages
    source: dict[str, tuple[Located | None, str]]  # key -> (object, spec path) that set it; None: the operator's

    def flag(self, option: tuple[str, bool]) -> bool:
        key, default = option
        try:
            return self.conf.boolean((key,), default)
        except ValueError:
            message = f"{self.conf.values[key]!r} is not a boolean (true or false)"
            loc, label = self.source.get(key, (None, ""))
            if loc is None:
                raise UserError(Problem(message, file=self.operator_source, field=key)) from None
            raise UserError(loc.problem(message, f"{label}.flinkConfiguration.{key}")) from None

    def get(self, key: str) -> str | None:
        return self.conf.values.get(key)

    def where(self, option: str | tuple[str, bool]) -> str:
        """How a reason names a setting: ``kubernetes.operator.x: true (spec.flinkConfiguration)``, or
        ``kubernetes.operator.x unset (default false)``."""
        key, default = option if isinstance(option, tuple) else (option, None)
        if key not in self.conf.values:
            shown = "" if default is None else " false" if default is False else " true"
            return f"{key} unset (default{shown})" if shown else f"{key} unset"
        loc, label = self.source.get(key, (None, ""))
        where = f"{label}.flinkConfiguration" if loc is not None else "the operator's configuration"
        return f"{key}: {self.conf.values[key]} ({where})"

    @property
    def ha(self) -> bool:
        return self.conf.ha_enabled()

    def ha_key(self) -> str:
        hit = self.conf.find(HA_MODE_KEYS)
        return f"{hit[0]}: {hit[1]}" if hit else "high-availability.type not set"

    @property
    def savepoint_dir(self) -> bool:
        return self.conf.nonblank(SAVEPOINT_DIR_KEYS)

    @property
    def checkpoint_max_age(self) -> str | None:
        hit = self.conf.find(CHECKPOINT_MAX_AGE_KEYS)
        return hit[1] if hit else None

    def adaptive(self) -> bool:
        return (self.get(SCHEDULER) or "").strip().lower() == "adaptive"

    def reactive(self) -> bool:
        return (self.get(SCHEDULER_MODE) or "").strip().lower() == "reactive"

    def overrides(self) -> dict[str, str]:
        """``pipeline.jobvertex-parallelism-overrides``: ``vertex:parallelism`` pairs, comma separated."""
        out = {}
        for part in (self.get(OVERRIDES) or "").split(","):
            vertex, sep, value = part.partition(":")
            if sep and vertex.strip():
                out[vertex.strip()] = value.strip()
        return out


def settings(operator: dict[str, str], operator_source: str, namespace: str, flink_version,
             layers: list[tuple[Located, dict | None, str]]) -> Settings:
    """The operator's defaults for ``namespace`` and ``flink_version``, then each layer's ``flinkConfiguration``
    (``(object, spec, label)``), later layers winning."""
    values = default_config(operator, namespace, flink_version)
    source: dict[str, tuple[Located | None, str]] = {}
    for loc, spec, label in layers:
        conf = spec.get("flinkConfiguration") if isinstance(spec, dict) else None
        if isinstance(conf, dict):
            for k, v in flatten(conf).items():
                values[k] = v
                source[k] = (loc, label)
    return Settings(Conf(values), operator_source, source)
