"""Memory sizes a JobManager or TaskManager cannot start with: a number without a unit (bytes to Flink's parser),
or a process size below what Flink's memory model needs for its fixed parts.

How the operator gets there (flink-kubernetes-operator ``FlinkConfigBuilder``): ``resource.memory`` or
``resources.requests.memory`` (else ``limits.memory``) becomes ``jobmanager.memory.process.size`` /
``taskmanager.memory.process.size`` through ``ResourceConfigUtils.parseResourceMemoryString``: Flink's
``MemorySize.parse`` first (``2048`` is 2048 bytes, ``2048m`` 2 GiB), a Kubernetes quantity only when that
fails. Flink then derives the process's parts (flink-runtime ``ProcessMemoryUtils``,
``JobManagerFlinkMemoryUtils``, ``TaskExecutorFlinkMemoryUtils``) and refuses a size whose fixed parts do not
fit: JVM metaspace (256m) plus JVM overhead (10%, at least 192m) must fit in the process; the JobManager's
off-heap memory (128m) must be less than what remains; the TaskManager's framework heap and off-heap (128m
each), task off-heap (0), managed memory (40% of the Flink memory) and network memory (10%, at least 64m) must
fit in it. With the defaults that is more than 576m for a JobManager and at least 982m (981.3m) for a
TaskManager. The operator's webhook does not check this; the deployment fails when the operator builds the
cluster, and the error lands in ``status.error``.

The minimum is computed from the effective configuration (the options above may be set in
``flinkConfiguration`` or the operator's defaults), by searching the smallest size the derivation accepts.
When the Flink memory size, the JVM heap or the fine-grained sizes are set, Flink takes another path and
this check stays silent.
"""

from __future__ import annotations

import re
import struct
from decimal import ROUND_DOWN, Decimal

from flink_gitops.render.validation.flinkconf import Conf
from flink_gitops.render.validation.quantities import flink_memory_size
from flink_gitops.render.validation.examples import flink_deployment
from flink_gitops.render.validation.registry import register
from flink_gitops.render.validation.rules.common import Report, conf_field

register(
    "memory-size", "a memory size without a unit, or one a JobManager / TaskManager cannot start with",
    operator="Flink reads a size without a unit as bytes and refuses a process size its fixed parts do not fit in "
             "(\"Sum of configured JVM Metaspace … and JVM Overhead … exceed configured Total Process Memory\", "
             "\"Sum of configured Framework Heap Memory … exceed configured Total Flink Memory\")",
    source="",
    fix="a size with a unit: `2048m`, `2g` (`2Gi` in `resources`), at least the minimum the message names.",
    details="`resource.memory`, `resources.requests/limits.memory` and `jobmanager.memory.process.size`, "
            "`jobmanager.memory.flink.size`, `taskmanager.memory.process.size`, `taskmanager.memory.flink.size` "
            "in `flinkConfiguration`: a plain number is bytes to Flink's `MemorySize` (and the operator hands it "
            "to Flink as is), so `memory: 2048` asks for 2 KiB. And the process size the operator configures "
            "(from `resources`, else `resource`, else `*.memory.process.size`) must leave room for Flink's fixed "
            "parts: with the defaults a JobManager needs more than 576m (JVM metaspace 256m + JVM overhead 192m "
            "+ off-heap 128m) and a TaskManager at least 982m (metaspace 256m + overhead 192m + framework heap "
            "and off-heap 128m each + network 64m + managed memory, 40% of the Flink memory). The minimum follows "
            "the memory options set in `flinkConfiguration` or the operator's defaults. Flink refuses a smaller "
            "size when the operator deploys the cluster; the webhook lets it through.",
    example=flink_deployment(task_manager="{resource: {memory: '2048', cpu: 1}}"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.taskManager.resource.memory: "
             "TaskManager memory '2048' has no unit: Flink reads it as 2048 bytes; did you mean 2048m? "
             "[memory-size] (fix: write 2048m (MiB); a number alone is bytes)")

MIB = 1 << 20
_NUMBER = re.compile(r"\s*\d+\s*")
# Keys whose value is a memory size and which a user writes by hand (a bare number there is bytes).
CONFIG_SIZE_KEYS = ("jobmanager.memory.process.size", "jobmanager.memory.flink.size",
                    "taskmanager.memory.process.size", "taskmanager.memory.flink.size")


def _float32(value: float) -> Decimal:
    """A Flink float option as ``MemorySize.multiply`` sees it: float widened to double, in decimal."""
    return Decimal(repr(struct.unpack("f", struct.pack("f", value))[0]))


def _multiply(size: int, fraction: Decimal) -> int:
    return int((Decimal(size) * fraction).to_integral_value(rounding=ROUND_DOWN))


def _cap(size: int, low: int, high: int) -> int:
    return high if size > high else low if size < low else size


class _Options:
    """The memory options of one process kind, read from the effective configuration (defaults: Flink's)."""

    def __init__(self, conf: Conf, prefix: str, sizes: dict[str, int], fractions: dict[str, float]):
        self.sizes = {k: self._size(conf, f"{prefix}.memory.{k}", v) for k, v in sizes.items()}
        self.fractions = {k: self._fraction(conf, f"{prefix}.memory.{k}", v) for k, v in fractions.items()}

    @staticmethod
    def _size(conf: Conf, key: str, default: int) -> int:
        value = conf.values.get(key)
        return default if value is None else flink_memory_size(value)

    @staticmethod
    def _fraction(conf: Conf, key: str, default: float) -> Decimal:
        value = conf.values.get(key)
        return _float32(default if value is None else float(value))


def _overhead_fits(o: _Options, process: int) -> int | None:
    """Total Flink memory left in ``process`` after metaspace and overhead, None when they do not fit."""
    s = o.sizes
    overhead = _cap(_multiply(process, o.fractions["jvm-overhead.fraction"]), s["jvm-overhead.min"],
                    s["jvm-overhead.max"])
    if s["jvm-metaspace.size"] + overhead > process:
        return None
    return process - s["jvm-metaspace.size"] - overhead


def jobmanager_starts(o: _Options, process: int) -> bool:
    flink = _overhead_fits(o, process)
    return flink is not None and flink > o.sizes["off-heap.size"]


def taskmanager_starts(o: _Options, process: int) -> bool:
    flink = _overhead_fits(o, process)
    if flink is None:
        return False
    s = o.sizes
    managed = s["managed.size"] if s["managed.size"] >= 0 else _multiply(flink, o.fractions["managed.fraction"])
    network = _cap(_multiply(flink, o.fractions["network.fraction"]), s["network.min"], s["network.max"])
    fixed = s["framework.heap.size"] + s["framework.off-heap.size"] + s["task.off-heap.size"] + managed + network
    return fixed <= flink


_GIB = 1 << 30
_LONG_MAX = (1 << 63) - 1
_COMMON = {"jvm-metaspace.size": 256 * MIB, "jvm-overhead.min": 192 * MIB, "jvm-overhead.max": _GIB}
JOBMANAGER = ("JobManager", "jobmanager", jobmanager_starts, {**_COMMON, "off-heap.size": 128 * MIB},
              {"jvm-overhead.fraction": 0.1})
TASKMANAGER = ("TaskManager", "taskmanager", taskmanager_starts,
               {**_COMMON, "framework.heap.size": 128 * MIB, "framework.off-heap.size": 128 * MIB,
                "task.off-heap.size": 0, "managed.size": -1, "network.min": 64 * MIB, "network.max": _LONG_MAX},
               {"jvm-overhead.fraction": 0.1, "managed.fraction": 0.4, "network.fraction": 0.1})
# When one of these is set Flink derives the process from it, not from the process size.
OTHER_PATHS = {"JobManager": ("jobmanager.memory.flink.size", "jobmanager.memory.heap.size", "jobmanager.heap.size",
                              "jobmanager.heap.mb"),
               "TaskManager": ("taskmanager.memory.flink.size", "taskmanager.memory.task.heap.size",
                               "taskmanager.heap.size", "taskmanager.heap.mb", "taskmanager.memory.managed.size")}


def minimum_process_size(kind: tuple, conf: Conf) -> int | None:
    """The smallest process size Flink accepts for this kind under ``conf``; None when it cannot be told."""
    _, prefix, starts, sizes, fractions = kind
    try:
        options = _Options(conf, prefix, sizes, fractions)
    except (ValueError, ArithmeticError):
        return None  # an option that does not parse: other rules say so
    low, high = 1, 1 << 44
    if not starts(options, high):
        return None
    while low < high:  # the derivation is monotonic in the process size
        mid = (low + high) // 2
        if starts(options, mid):
            high = mid
        else:
            low = mid + 1
    return low


def _mib(size: int) -> str:
    """A size the way a user writes it: whole MiB, rounded up (``982m``)."""
    return f"{-(-size // MIB)}m"


def _unitless(rep: Report, value: object, field: str, who: str, kubernetes: bool) -> bool:
    """Report a memory size that is a plain number; True when it was one."""
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and _NUMBER.fullmatch(value))):
        return False
    number = int(str(value).strip())
    unit = "Mi" if kubernetes else "m"  # in resources a Kubernetes quantity: m would be milli there
    guess = f"{number // MIB}{unit}" if number >= MIB and number % MIB == 0 else f"{number}{unit}"
    rep.error("memory-size", field,
              f"{who} memory {str(value)!r} has no unit: Flink reads it as {number} bytes; did you mean {guess}?",
              None, f"write {guess} (MiB); a number alone is bytes")
    return True


def check_memory(rep: Report, jm: dict | None, tm: dict | None, conf: Conf, own_keys: set[str]) -> None:
    """``own_keys``: the flinkConfiguration keys the object sets itself (the operator's defaults are not its to fix)."""
    for key in CONFIG_SIZE_KEYS:
        if key in own_keys:
            _unitless(rep, conf.values[key], conf_field(key), "JobManager" if key.startswith("job") else "TaskManager",
                      kubernetes=False)
    for kind, comp, path in ((JOBMANAGER, jm, "spec.jobManager"), (TASKMANAGER, tm, "spec.taskManager")):
        who = kind[0]
        size = _process_size(rep, comp, conf, kind, path, own_keys)
        if size is None or any(k in conf.values for k in OTHER_PATHS[who]):
            continue
        value, field, parsed = size
        minimum = minimum_process_size(kind, conf)
        if minimum is None or parsed >= minimum:
            continue
        digits = re.match(r"\s*(\d+)", value)
        mean = f"{digits.group(1)}m" if digits and int(digits.group(1)) * MIB >= minimum else _mib(minimum)
        parts = "off-heap memory" if who == "JobManager" else "framework, managed and network memory"
        rep.error("memory-size", field,
                  f"{who} memory {value!r} is {parsed:,} bytes, below the {_mib(minimum)} ({minimum:,} bytes) a "
                  f"{who} can start with here (JVM metaspace and overhead, {parts}); did you mean {mean}?",
                  None, f"give it at least {_mib(minimum)}")


def _process_size(rep: Report, comp: dict | None, conf: Conf, kind: tuple, path: str, own_keys: set[str]
                  ) -> tuple[str, str, int] | None:
    """(value as written, field, bytes) of the process size the operator configures; None when there is none
    to check, it is not this object's, it has no unit (reported) or does not parse (the resources rule)."""
    from flink_gitops.render.validation.quantities import resource_memory_bytes

    who = kind[0]
    candidates: list[tuple[object, str, bool]] = []
    resources = comp.get("resources") if isinstance(comp, dict) else None
    if isinstance(resources, dict) and any(isinstance(resources.get(s), dict) and resources.get(s)
                                           for s in ("requests", "limits")):
        for section in ("requests", "limits"):
            values = resources.get(section)
            if isinstance(values, dict) and values.get("memory") is not None:
                candidates.append((values["memory"], f"{path}.resources.{section}.memory", True))
    resource = comp.get("resource") if isinstance(comp, dict) else None
    if not candidates and isinstance(resource, dict) and isinstance(resource.get("memory"), str) \
            and resource["memory"].strip():
        candidates.append((resource["memory"], f"{path}.resource.memory", False))
    unitless = False
    for value, field, kubernetes in candidates:
        unitless |= _unitless(rep, value, field, who, kubernetes)
    if unitless:
        return None
    if candidates:
        value, field, _ = candidates[0]  # the request wins over the limit, as in the operator
    else:
        key = f"{kind[1]}.memory.process.size"
        if key not in own_keys or _NUMBER.fullmatch(conf.values[key]):
            return None  # not this object's, or reported above as a number without a unit
        value, field = conf.values[key], conf_field(key)
    try:
        return str(value), field, int(resource_memory_bytes(value))
    except (ValueError, ArithmeticError):
        return None
