"""JobManager and TaskManager resources and memory (``DefaultValidator.validateJmSpec`` / ``validateTmSpec``
/ ``validateResources``): memory defined, quantities that parse, requests within limits, replicas."""

from __future__ import annotations

from flink_gitops.render.validation import flinkconf as fc
from flink_gitops.render.validation.flinkconf import Conf
from flink_gitops.render.validation.quantities import flink_memory_size, k8s_quantity, resource_memory_bytes
from flink_gitops.render.validation.examples import flink_deployment
from flink_gitops.render.validation.registry import DEFAULT_VALIDATOR, register
from flink_gitops.render.validation.operator_releases import RESOURCE_REQUIREMENTS_SINCE
from flink_gitops.render.validation.rules.common import (
    REGISTERED,
    Report,
    Settings,
    integer_at,
    mapping_at,
    string_at,
    type_name,
)


register(
    "jm-replicas", "JobManager replicas below 1, or standby JobManagers without high availability",
    operator="High availability should be enabled when starting standby JobManagers.",
    source=DEFAULT_VALIDATOR,
    fix="1 replica, or enable Kubernetes HA.",
    details="`spec.jobManager.replicas` below 1 (*\"JobManager replicas should not be configured less than one.\"*), "
            "or above 1 with HA off (*\"High availability should be enabled when starting standby JobManagers.\"*).",
    example=flink_deployment(job_manager="{replicas: 2, resource: {memory: 2048m, cpu: 1}}"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: spec.jobManager.replicas: "
             "jobManager.replicas is 2 but high availability is off: standby JobManagers need leader election "
             "(operator: \"High availability should be enabled when starting standby JobManagers.\") [jm-replicas] "
             "(fix: set high-availability.type: kubernetes and high-availability.storageDir, or use 1 replica)")
register(
    "memory", "JobManager / TaskManager memory not defined",
    operator="TaskManager resource memory must be defined using `spec.taskManager.resource.memory` or "
             "`spec.taskManager.resources.requests.memory`",
    source=DEFAULT_VALIDATOR,
    fix="`resources.requests.memory: 2048m`.",
    details="JobManager or TaskManager memory not defined: neither `resource.memory` nor "
            "`resources.requests/limits.memory`, nor in the configuration (JobManager: one of "
            "`jobmanager.memory.process.size`, `.flink.size`, `.heap.size`, legacy `jobmanager.heap.size`; "
            "TaskManager: `taskmanager.memory.process.size` or `.flink.size`, or both `task.heap.size` and "
            "`managed.size`). Operator: *\"JobManager resource memory must be defined using "
            "`spec.jobManager.resource.memory` or `spec.jobManager.resources.requests.memory`\"* (same for the "
            "TaskManager). Before operator 1.16 (`operator-version`) only `resource.memory` and the configuration "
            "count, and the operator's words name `resource.memory` alone.",
    example=flink_deployment(task_manager="{resource: {cpu: 1}}"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: "
             "spec.taskManager.resources.requests.memory: TaskManager memory is not defined (operator: \"TaskManager "
             "resource memory must be defined using `spec.taskManager.resource.memory` or "
             "`spec.taskManager.resources.requests.memory`\") [memory] (fix: set "
             "spec.taskManager.resources.requests.memory (e.g. 2048m) or taskmanager.memory.process.size)")
register(
    "resources", "resource / resources quantities that do not parse, are not positive, or request > limit",
    operator="... resource requirements ... request (...) must not exceed its limit (...)",
    source=DEFAULT_VALIDATOR,
    fix="the value the message suggests.",
    details="`resource.memory` that is neither a Flink size (`2048m`, `2g`) nor a Kubernetes quantity (`2Gi`); an "
            "unparseable `resource.ephemeralStorage`; in `resources.requests/limits`: a quantity that does not parse "
            "(*\"… parse error\"*), memory or cpu not positive (*\"… must be positive\"*), other resources negative "
            "(*\"… must not be negative\"*), a request above its limit for cpu or memory (*\"… request (…) must not "
            "exceed its limit (…)\"*, Kubernetes refuses such a pod). Memory is compared the operator's way (`2G` is "
            "read as Flink's 2 GiB first). `resources` is checked from operator 1.16 on; before, the field itself is "
            "an error of rule `operator-version`.",
    example=flink_deployment(task_manager="{resources: {requests: {memory: 4Gi}, limits: {memory: 2Gi}}}"),
    expected="example.yaml (document 1): FlinkDeployment streaming/orders: "
             "spec.taskManager.resources.requests.memory: memory request '4Gi' exceeds its limit '2Gi'; Kubernetes "
             "refuses such a pod (operator: \"TaskManager resource requirements memory request (4Gi) must not exceed "
             "its limit (2Gi)\") [resources] (fix: raise limits.memory or lower requests.memory)")


def _resource_block(rep: Report, comp: dict | None, who: str, path: str,
                    requirements: bool = True) -> tuple[bool, bool]:
    """Check ``resource`` and ``resources``; return (memory defined via resource, via resources).
    ``requirements``: the operator release reads ``resources`` (else rule operator-version reports it)."""
    if comp is None:
        return False, False
    via_resource = via_resources = False
    resource = mapping_at(rep, comp, "resource", f"{path}.resource")
    if resource is not None:
        memory = resource.get("memory")
        if isinstance(memory, int) and not isinstance(memory, bool):  # a number alone is bytes to Flink
            rep.error("schema", f"{path}.resource.memory", f"must be a string, got an integer {memory}",
                      "the CRD schema declares a string here", f'write memory: "{memory}m" (a number alone is bytes)')
            via_resource = True
        elif memory is not None and not isinstance(memory, str):
            string_at(rep, resource, "memory", f"{path}.resource.memory")
            via_resource = True  # defined, just mistyped: one finding is enough
        elif memory is not None:
            via_resource = str(memory).strip() != ""
            try:
                resource_memory_bytes(memory)
            except ValueError as exc:
                rep.error("resources", f"{path}.resource.memory", f"{who} memory {memory!r}: {exc}",
                          f"{who} resource memory parse error", "write e.g. 2048m, 2g or 2Gi")
        storage = resource.get("ephemeralStorage")
        if storage is not None:
            try:
                k8s_quantity(storage)
            except ValueError as exc:
                rep.error("resources", f"{path}.resource.ephemeralStorage", f"{who} ephemeral storage: {exc}",
                          f"{who} resource ephemeral storage parse error", "write e.g. 10Gi")
        cpu = resource.get("cpu")
        if cpu is not None and (isinstance(cpu, bool) or not isinstance(cpu, (int, float))):
            rep.error("schema", f"{path}.resource.cpu", f"must be a number, got {type_name(cpu)} {cpu!r}",
                      "the CRD schema declares resource.cpu as a number", "write e.g. cpu: 0.5")
    resources = mapping_at(rep, comp, "resources", f"{path}.resources") if requirements else None
    if resources is not None:
        parsed: dict[str, dict[str, object]] = {}
        for section in ("requests", "limits"):
            values = mapping_at(rep, resources, section, f"{path}.resources.{section}")
            parsed[section] = {}
            for key, value in (values or {}).items():
                if value is None:
                    continue
                fpath = f"{path}.resources.{section}.{key}"
                if key == "memory":
                    via_resources = True
                try:
                    amount = resource_memory_bytes(value) if key == "memory" else k8s_quantity(value)
                except ValueError as exc:
                    rep.error("resources", fpath, f"{exc}",
                              f"{who} resource requirements {section} {key} parse error",
                              "write a Kubernetes quantity, e.g. memory: 2Gi, cpu: 500m")
                    continue
                parsed[section][key] = amount
                if key in ("memory", "cpu") and amount <= 0:
                    rep.error("resources", fpath, f"{section} {key} {value!r} is not positive",
                              f"{who} resource requirements {section} {key} must be positive: {value}",
                              f"set a positive {key}")
                elif amount < 0:
                    rep.error("resources", fpath, f"{section} {key} {value!r} is negative",
                              f"{who} resource requirements {section} {key} must not be negative: {value}",
                              f"set a non-negative {key}")
        for key in ("cpu", "memory"):
            req, lim = parsed["requests"].get(key), parsed["limits"].get(key)
            if req is not None and lim is not None and req > lim:
                rep.error("resources", f"{path}.resources.requests.{key}",
                          f"{key} request {resources['requests'][key]!r} exceeds its limit "
                          f"{resources['limits'][key]!r}; Kubernetes refuses such a pod",
                          f"{who} resource requirements {key} request ({resources['requests'][key]}) must not "
                          f"exceed its limit ({resources['limits'][key]})",
                          f"raise limits.{key} or lower requests.{key}")
    return via_resource, via_resources


def _config_memory_defined(conf: Conf, keys: tuple[str, ...], mb_key: str) -> bool:
    for key in keys:
        if key in conf.values:
            try:
                flink_memory_size(conf.values[key])
                return True
            except ValueError:
                pass
    value = conf.values.get(mb_key, "").strip()
    return value.isdigit()


def _memory_finding(who: str, component: str, process_key: str, settings: Settings, present: bool) -> tuple:
    """(field, operator's words, fix) of an undefined memory: before resource requirements the operator
    names ``resource.memory`` only."""
    if settings.has(RESOURCE_REQUIREMENTS_SINCE):
        return (f"spec.{component}.resources.requests.memory" if present else f"spec.{component}",
                f"{who} resource memory must be defined using `spec.{component}.resource.memory` or "
                f"`spec.{component}.resources.requests.memory`",
                f"set spec.{component}.resources.requests.memory (e.g. 2048m) or {process_key}")
    return (f"spec.{component}.resource.memory" if present else f"spec.{component}",
            f"{who} resource memory must be defined using `spec.{component}.resource.memory`",
            f"set spec.{component}.resource.memory (e.g. 2048m) or {process_key}")


def check_jm(rep: Report, jm: dict | None, conf: Conf, settings: Settings) -> None:
    requirements = settings.has(RESOURCE_REQUIREMENTS_SINCE)
    via_resource, via_resources = _resource_block(rep, jm, "JobManager", "spec.jobManager", requirements)
    if not (via_resource or via_resources) and not _config_memory_defined(conf, fc.JM_MEMORY_KEYS,
                                                                          fc.JM_LEGACY_MB_KEY):
        field, quote, fix = _memory_finding("JobManager", "jobManager", "jobmanager.memory.process.size", settings,
                                            bool(jm))
        rep.error("memory", field, "JobManager memory is not defined", quote, fix)
    if jm is None:
        return
    replicas = integer_at(rep, jm, "replicas", "spec.jobManager.replicas")
    if replicas is None:
        return
    if replicas < 1:
        rep.error("jm-replicas", "spec.jobManager.replicas", f"jobManager.replicas is {replicas}",
                  "JobManager replicas should not be configured less than one.",
                  "set jobManager.replicas: 1 (or more with high availability)")
    elif replicas > 1 and not conf.ha_enabled():
        rep.error("jm-replicas", "spec.jobManager.replicas",
                  f"jobManager.replicas is {replicas} but high availability is off: standby JobManagers need "
                  "leader election",
                  REGISTERED,
                  "set high-availability.type: kubernetes and high-availability.storageDir, or use 1 replica")


def check_tm(rep: Report, tm: dict | None, conf: Conf, settings: Settings, job_present: bool) -> None:
    requirements = settings.has(RESOURCE_REQUIREMENTS_SINCE)
    via_resource, via_resources = _resource_block(rep, tm, "TaskManager", "spec.taskManager", requirements)
    if not (via_resource or via_resources):
        defined = _config_memory_defined(conf, fc.TM_MEMORY_KEYS, fc.TM_LEGACY_MB_KEY)
        if not defined:
            fine = [conf.find(fc.TM_TASK_HEAP_KEYS), conf.find(fc.TM_MANAGED_KEYS)]
            defined = all(h is not None for h in fine)
        if not defined:
            field, quote, fix = _memory_finding("TaskManager", "taskManager", "taskmanager.memory.process.size",
                                                settings, bool(tm))
            rep.error("memory", field, "TaskManager memory is not defined", quote, fix)
    if tm is None or job_present:  # with a job, check_job reported replicas < 1 already
        return
    replicas = integer_at(rep, tm, "replicas", "spec.taskManager.replicas")
    if replicas is not None and replicas < 1:
        rep.error("parallelism", "spec.taskManager.replicas", f"taskManager.replicas is {replicas}",
                  "TaskManager replicas should not be configured less than one.",
                  "set taskManager.replicas to 1 or more, or remove it")


