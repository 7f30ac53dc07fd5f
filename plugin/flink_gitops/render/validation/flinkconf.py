"""The Flink configuration the operator's ``DefaultValidator`` reasons about.

``spec.flinkConfiguration`` may be flat (``state.checkpoints.dir: ...``) or nested YAML
(``state: {checkpoints.dir: ...}``); the operator flattens it (``ConfigObjectNode.asFlatMap``:
nested keys joined with ``.``, lists joined with ``;``; :func:`flatten` is the product's one copy)
and lays it over its default configuration for the resource's namespace and Flink version
(``FlinkConfigManager.getDefaultConfig``). Options are then read through their key, deprecated
keys and fallback keys, in that order.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Mapping

from flink_gitops import yamlio
from flink_gitops.errors import UserError

OPERATOR_PREFIX = "kubernetes.operator."
DEFAULT_CONF_PREFIX = OPERATOR_PREFIX + "default-configuration."
NAMESPACE_CONF_PREFIX = DEFAULT_CONF_PREFIX + "namespace."
VERSION_CONF_PREFIX = DEFAULT_CONF_PREFIX + "flink-version."
_VERSION_KEY = re.compile(re.escape(VERSION_CONF_PREFIX) + r"v(\d+)_(\d+)(\+)?\..*")


def _text(value: object) -> str:
    """Jackson's ``JsonNode.asText``: scalars as text, ``null`` as ``"null"``, a mapping or list as ``""``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return ""
    return str(value)


def flatten(node: object) -> dict[str, str]:
    """The one flattener of ``flinkConfiguration``: ``ConfigObjectNode.asFlatMap`` (flink-kubernetes-operator-api),
    what ``FlinkConfigBuilder`` and ``FlinkConfigManager`` lay over the default configuration.

    Nested keys are joined with ``.``; a list becomes its items' text joined with ``;`` (Flink's list
    separator: ``[a, b]`` -> ``"a;b"``), an empty list sets nothing. A ``null`` value is left out (the key
    is treated as unset) where the operator would read the text ``"null"``: no option has that value.
    """
    out: dict[str, str] = {}
    if isinstance(node, dict):
        _flatten_into(node, "", out)
    return out


def _flatten_into(node: dict, parent: str, out: dict[str, str]) -> None:
    for key, value in node.items():
        full = f"{parent}.{key}" if parent else str(key)
        if isinstance(value, dict):
            _flatten_into(value, full, out)
        elif isinstance(value, list):
            if value:
                out[full] = ";".join(_text(v) for v in value)
        elif value is not None:
            out[full] = _text(value)


def parse_operator_config(text: str) -> dict[str, str]:
    """The ``validate-operator-config`` parameter: the operator's default configuration as
    ``key: value`` lines (flink-conf.yaml style; ``#`` comments), nested YAML (the Helm chart's
    ``config.yaml`` format, Flink 2: indented keys are joined with ``.``), or a JSON object.

    Raises ValueError naming the bad line.
    """
    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            data = yamlio.parse_json(text)  # JSON as the loader reads it: duplicate keys and NaN refused
        except ValueError as exc:
            raise ValueError(f"not a JSON object: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return flatten(data)
    if any(line[:1].isspace() and line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        return _nested_yaml(text)
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith(":"):
            stripped += " "
        key, sep, value = stripped.partition(": ")  # like Flink's flink-conf.yaml reader
        if not sep or not re.fullmatch(r"[^\s]+", key.strip()):
            raise ValueError(f"line {number} {stripped!r} is not 'key: value'")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def _nested_yaml(text: str) -> dict[str, str]:
    """config.yaml: standard YAML, read as Flink 2 reads it (nested keys joined with ``.``)."""
    try:
        docs = yamlio.load_documents(text, "config.yaml")
    except UserError as exc:
        raise ValueError(exc.problems[0].message) from None
    if len(docs) != 1 or not isinstance(docs[0][1], dict):
        raise ValueError("indented lines, so read as config.yaml, but it is not one YAML mapping")
    return flatten(docs[0][1])


def version_tuple(version: object) -> tuple[int, int] | None:
    """``v1_20`` as (1, 20); None for anything else."""
    m = re.fullmatch(r"v(\d+)_(\d+)", version) if isinstance(version, str) else None
    return (int(m.group(1)), int(m.group(2))) if m else None


def default_config(base: Mapping[str, str], namespace: str | None, flink_version: object) -> dict[str, str]:
    """``FlinkConfigManager.getDefaultConfig(namespace, flinkVersion)`` over ``base``."""
    conf = dict(base)
    if not base:
        return conf
    if namespace:
        _apply_prefix(NAMESPACE_CONF_PREFIX + namespace + ".", base, conf)
    wanted = version_tuple(flink_version)
    if wanted is not None:
        greater: dict[tuple[int, int], str] = {}
        for key in base:
            m = _VERSION_KEY.fullmatch(key)
            if m and m.group(3):
                v = (int(m.group(1)), int(m.group(2)))
                if v <= wanted:
                    greater[v] = f"{VERSION_CONF_PREFIX}v{v[0]}_{v[1]}+."
        for v in sorted(greater):
            _apply_prefix(greater[v], base, conf)
        _apply_prefix(f"{VERSION_CONF_PREFIX}{flink_version}.", base, conf)
    return conf


def _apply_prefix(prefix: str, source: Mapping[str, str], target: dict[str, str]) -> None:
    n = len(prefix)
    for key, value in source.items():
        if key.startswith(prefix):
            target[key[n:]] = value


class Conf:
    """An effective configuration: a flat ``dict`` with option lookups through fallback keys."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, str]):
        self.values = values

    def find(self, keys: Iterable[str]) -> tuple[str, str] | None:
        """The first of ``keys`` that is set: ``(key, value)``."""
        for key in keys:
            if key in self.values:
                return key, self.values[key]
        return None

    def has(self, keys: Iterable[str]) -> bool:
        return self.find(keys) is not None

    def nonblank(self, keys: Iterable[str]) -> bool:
        hit = self.find(keys)
        return hit is not None and hit[1].strip() != ""

    def boolean(self, keys: tuple[str, ...], default: bool) -> bool:
        """Flink's boolean parse; raises ValueError for anything but true/false."""
        hit = self.find(keys)
        if hit is None:
            return default
        low = hit[1].strip().lower()
        if low in ("true", "false"):
            return low == "true"
        raise ValueError(f"{hit[0]}: {hit[1]!r} is not a boolean (true or false)")

    def ha_enabled(self) -> bool:
        """``HighAvailabilityMode.isHighAvailabilityModeActivated``: any mode but NONE (or the old
        default ``standalone``) — ZOOKEEPER, KUBERNETES or a factory class name."""
        hit = self.find(HA_MODE_KEYS)
        return hit is not None and hit[1].strip().lower() not in ("none", "standalone")


# Option keys, in lookup order (key, deprecated keys, fallback keys) as in Flink 1.20 / the operator.
CHECKPOINT_DIR_KEYS = ("execution.checkpointing.dir", "state.checkpoints.dir", "state.backend.fs.checkpointdir")
SAVEPOINT_DIR_KEYS = ("execution.checkpointing.savepoint-dir", "state.savepoints.dir",
                      "savepoints.state.backend.fs.dir")
HA_MODE_KEYS = ("high-availability.type", "recovery.mode", "high-availability")
FORBIDDEN_KEYS = ("kubernetes.namespace", "kubernetes.cluster-id", "high-availability.cluster-id")
ROLLBACK_KEYS = (OPERATOR_PREFIX + "deployment.rollback.enabled",)
HEALTH_CHECK_KEYS = (OPERATOR_PREFIX + "cluster.health-check.enabled",)
JM_RECOVERY_KEYS = (OPERATOR_PREFIX + "jm-deployment-recovery.enabled",
                    OPERATOR_PREFIX + "reconciler.jm-deployment-recovery.enabled")
PERIODIC_SAVEPOINT_KEYS = (OPERATOR_PREFIX + "periodic.savepoint.interval",)
CHECKPOINT_MAX_AGE_KEYS = (OPERATOR_PREFIX + "job.upgrade.last-state.max.allowed.checkpoint.age",)
RECONCILE_INTERVAL_KEYS = (OPERATOR_PREFIX + "reconcile.interval", OPERATOR_PREFIX + "reconciler.reschedule.interval")
JAR_SCHEMES_KEY = OPERATOR_PREFIX + "user.artifacts.allowed-schemes"
JAR_RESTRICTED_HOSTS_KEY = OPERATOR_PREFIX + "user.artifacts.disallow-restricted-hosts"

# Memory: JobManagerProcessUtils / TaskExecutorProcessUtils succeed when one of these is set.
JM_MEMORY_KEYS = ("jobmanager.memory.process.size", "jobmanager.memory.flink.size", "jobmanager.memory.heap.size",
                  "jobmanager.heap.size")
JM_LEGACY_MB_KEY = "jobmanager.heap.mb"
TM_MEMORY_KEYS = ("taskmanager.memory.process.size", "taskmanager.memory.flink.size", "taskmanager.heap.size")
TM_LEGACY_MB_KEY = "taskmanager.heap.mb"
TM_TASK_HEAP_KEYS = ("taskmanager.memory.task.heap.size",)
TM_MANAGED_KEYS = ("taskmanager.memory.managed.size", "taskmanager.memory.size")

AUTOSCALER_PREFIX = "job.autoscaler."
OLD_AUTOSCALER_PREFIX = OPERATOR_PREFIX + "job.autoscaler."


@lru_cache(maxsize=None)
def autoscaler_keys(name: str, *deprecated: str) -> tuple[str, ...]:
    """``AutoScalerOptions``: ``job.autoscaler.<name>``, deprecated names, then the old
    ``kubernetes.operator.job.autoscaler.`` spellings as fallbacks."""
    keys = [AUTOSCALER_PREFIX + name] + [AUTOSCALER_PREFIX + d for d in deprecated]
    keys += [OLD_AUTOSCALER_PREFIX + name] + [OLD_AUTOSCALER_PREFIX + d for d in deprecated]
    return tuple(keys)
