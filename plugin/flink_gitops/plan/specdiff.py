"""The operator's spec diff, field by field: ``ReflectiveDiffBuilder`` over the ``@SpecDiff`` annotations of the spec classes.

Read from flink-kubernetes-operator: ``reconciler/diff/ReflectiveDiffBuilder.java`` (how fields are
walked), ``DiffBuilder.java`` (nested results are re-appended under ``field.``), and the annotations
on ``AbstractFlinkSpec``, ``FlinkDeploymentSpec``, ``FlinkSessionJobSpec``, ``JobSpec``,
``JobManagerSpec`` and ``TaskManagerSpec`` (flink-kubernetes-operator-api ``api/spec``). The rules:

- a field with ``@SpecDiff(type, mode=...)`` has ``type`` when the deployment mode is one of
  ``mode`` (or ``mode`` is empty), else ``upgrade``; with ``onNullIgnore`` a change *to* null is no diff;
- ``flinkConfiguration`` (``@SpecDiff.Config``) is flattened (``ConfigObjectNode.asFlatMap``) and each
  key gets the type of the first entry whose prefix it starts with and whose mode applies, else ``upgrade``;
- a ``Diffable`` field (``job``, ``taskManager``) present on both sides is diffed field by field;
  any other field (``jobManager``, ``podTemplate``, ``ingress``, ``logConfiguration``...) is one
  ``upgrade`` diff when not equal;
- unknown fields are dropped on read (``@JsonIgnoreProperties(ignoreUnknown = true)``), a pod
  template's own extra keys (``apiVersion``, ``kind``: ``clearPodTemplateAdditionalProps``) too, and
  Java defaults fill what is missing (``job.state: running``, ``upgradeMode: stateless``,
  ``parallelism: 0``, ``args: []``, ``jobManager.replicas: 1``).

Paths are reported as the operator's SpecChanged event prints them: the field, then the JSON path
inside it (``spec.jobManager.resource.memory``), each with its field's diff type.
"""

from __future__ import annotations

from flink_gitops.plan.model import IGNORE, SAVEPOINT_REDEPLOY, SCALE, UPGRADE, FieldDiff, max_diff
from flink_gitops.render.validation.flinkconf import flatten
from flink_gitops.render.validation.quantities import k8s_quantity

NATIVE, STANDALONE = "native", "standalone"

# @SpecDiff.Config on AbstractFlinkSpec.flinkConfiguration: (prefix, type, modes); first match wins.
CONFIG_ENTRIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("job.autoscaler", IGNORE, ()),
    ("parallelism.default", IGNORE, ()),
    ("kubernetes.operator", IGNORE, ()),
    ("pipeline.jobvertex-parallelism-overrides", SCALE, (NATIVE,)),
)

# Field kinds of the schema below.
PLAIN, ANNOTATED, DIFFABLE, CONFIG = "plain", "annotated", "diffable", "config"

# Each class: field -> (how it is diffed, details). ANNOTATED: (type, modes, onNullIgnore).
JOB_SPEC = {
    "jarURI": (PLAIN, None),
    "parallelism": (ANNOTATED, (SCALE, (STANDALONE,), False)),
    "entryClass": (PLAIN, None),
    "args": (PLAIN, None),
    "state": (PLAIN, None),
    "savepointTriggerNonce": (ANNOTATED, (IGNORE, (), False)),
    "initialSavepointPath": (ANNOTATED, (IGNORE, (), False)),
    "checkpointTriggerNonce": (ANNOTATED, (IGNORE, (), False)),
    "upgradeMode": (ANNOTATED, (IGNORE, (), False)),
    "allowNonRestoredState": (ANNOTATED, (IGNORE, (), False)),
    "savepointRedeployNonce": (ANNOTATED, (SAVEPOINT_REDEPLOY, (), True)),
    "autoscalerResetNonce": (ANNOTATED, (IGNORE, (), False)),
}
TASK_MANAGER_SPEC = {
    "resource": (PLAIN, None),
    "resources": (PLAIN, None),
    "replicas": (ANNOTATED, (SCALE, (STANDALONE,), False)),
    "podTemplate": (PLAIN, None),
}
ABSTRACT_SPEC = {
    "job": (DIFFABLE, JOB_SPEC),
    "restartNonce": (ANNOTATED, (UPGRADE, (), True)),
    "flinkConfiguration": (CONFIG, CONFIG_ENTRIES),
}
DEPLOYMENT_SPEC = {
    "image": (PLAIN, None),
    "imagePullPolicy": (PLAIN, None),
    "serviceAccount": (PLAIN, None),
    "flinkVersion": (PLAIN, None),
    "ingress": (PLAIN, None),
    "podTemplate": (PLAIN, None),
    "jobManager": (PLAIN, None),
    "taskManager": (DIFFABLE, TASK_MANAGER_SPEC),
    "logConfiguration": (PLAIN, None),
    "mode": (PLAIN, None),
    **ABSTRACT_SPEC,
}
SESSION_JOB_SPEC = {"deploymentName": (PLAIN, None), **ABSTRACT_SPEC}
SPEC_CLASSES = {"FlinkDeployment": DEPLOYMENT_SPEC, "FlinkSessionJob": SESSION_JOB_SPEC}

# Known fields of the non-Diffable classes: the rest is dropped when the operator reads a spec.
JOB_MANAGER_FIELDS = ("resource", "resources", "replicas", "podTemplate")
RESOURCE_FIELDS = ("cpu", "memory", "ephemeralStorage")
INGRESS_FIELDS = ("template", "className", "annotations", "labels", "tls")
POD_TEMPLATE_FIELDS = ("metadata", "spec")  # PodTemplateSpec; its additional properties are cleared
JOB_DEFAULTS = {"parallelism": 0, "args": [], "state": "running", "upgradeMode": "stateless"}
INT_FIELDS = {"parallelism", "replicas"}
LONG_FIELDS = {"savepointTriggerNonce", "checkpointTriggerNonce", "savepointRedeployNonce", "autoscalerResetNonce",
               "restartNonce"}


def diff_type_of(annotation: tuple, mode: str) -> str:
    kind, modes, _ = annotation
    return kind if not modes or mode in modes else UPGRADE


def config_type(key: str, mode: str, entries=CONFIG_ENTRIES) -> str:
    """``ReflectiveDiffBuilder.getType``: the first entry whose mode applies and whose prefix ``key`` starts with."""
    for prefix, kind, modes in entries:
        if modes and mode not in modes:
            continue
        if key.startswith(prefix):
            return kind
    return UPGRADE


# --- reading a spec as the operator's classes would -------------------------------------------------


def _number(value, integral: bool):
    """Jackson's coercion of a scalar into an int/long (``"2"`` -> 2) or a Double (``1`` == ``1.0``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip()) if integral else float(value.strip())
        except ValueError:
            return value
    if isinstance(value, (int, float)):
        return int(value) if integral and float(value).is_integer() else float(value) if not integral else value
    return value


def _clean(value):
    """Nulls and empty lists are what a missing field reads as (fabric8 lists default to empty)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = _clean(v)
            if v is None or v == []:
                continue
            out[k] = v
        return out
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def quantity(value):
    """fabric8's ``Quantity.equals`` compares amounts: ``1Gi`` equals ``1024Mi``. Anything that is not a Kubernetes
    quantity (the API server would not have stored it) compares as it is."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return value
    try:
        return ("quantity", k8s_quantity(value))
    except ValueError:
        return value


def _quantities(node, parent: str = ""):
    """Amounts for every ``resources.limits/requests`` value below ``node`` (containers, jobManager, taskManager)."""
    if isinstance(node, dict):
        if parent in ("limits", "requests"):
            return {k: quantity(v) for k, v in node.items()}
        return {k: _quantities(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_quantities(v) for v in node]
    return node


def _pod_template(value):
    if not isinstance(value, dict):
        return value
    return _quantities(_clean({k: value[k] for k in POD_TEMPLATE_FIELDS if k in value}))


def _known(value, fields):
    return {k: value[k] for k in fields if k in value and value[k] is not None} if isinstance(value, dict) else value


def _resource(value):
    out = _known(value, RESOURCE_FIELDS)
    if isinstance(out, dict) and "cpu" in out:
        out["cpu"] = _number(out["cpu"], integral=False)
    return out


def read_field(cls: str, name: str, value):
    """One field's value as the operator holds it after reading a spec (defaults, coercions, dropped extras)."""
    if value is None:
        if cls == "job" and name in JOB_DEFAULTS:
            return list(JOB_DEFAULTS[name]) if name == "args" else JOB_DEFAULTS[name]
        if cls == "jobManager" and name == "replicas":
            return 1
        return None
    if name in INT_FIELDS or name in LONG_FIELDS:
        return _number(value, integral=True)
    if name == "allowNonRestoredState" and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if name == "podTemplate":
        return _pod_template(value)
    if name == "resource":
        return _resource(value)
    if name == "resources":
        return _quantities(_clean(value)) if isinstance(value, dict) else value
    if name == "ingress":
        return _clean(_known(value, INGRESS_FIELDS))
    if cls == "spec" and name == "jobManager":
        if not isinstance(value, dict):
            return value
        jm = {k: read_field("jobManager", k, value.get(k)) for k in JOB_MANAGER_FIELDS}
        return {k: v for k, v in jm.items() if v is not None}
    if name == "args" and isinstance(value, list):
        return [str(v) if not isinstance(v, str) else v for v in value]
    return value


def unknown_fields(kind: str, spec: dict) -> list[str]:
    """Spec fields the operator's classes do not have (dropped on read, so never a diff)."""
    schema = SPEC_CLASSES.get(kind, {})
    out = [f"spec.{k}" for k in spec if k not in schema]
    job = spec.get("job")
    if isinstance(job, dict):
        out += [f"spec.job.{k}" for k in job if k not in JOB_SPEC]
    if kind == "FlinkDeployment":
        tm = spec.get("taskManager")
        if isinstance(tm, dict):
            out += [f"spec.taskManager.{k}" for k in tm if k not in TASK_MANAGER_SPEC]
        jm = spec.get("jobManager")
        if isinstance(jm, dict):
            out += [f"spec.jobManager.{k}" for k in jm if k not in JOB_MANAGER_FIELDS]
    return sorted(out)


# --- the diff -------------------------------------------------------------------------------------------


def leaf_paths(left, right, path: str) -> list[str]:
    """Where two values differ, as JSON paths under ``path`` (a JSON diff, as ``DiffResult.toString`` prints it)."""
    if isinstance(left, dict) and isinstance(right, dict):
        out: list[str] = []
        for key in sorted(set(left) | set(right), key=str):
            if left.get(key) != right.get(key) or (key in left) != (key in right):
                out += leaf_paths(left.get(key), right.get(key), f"{path}.{key}")
        return out
    if isinstance(left, list) and isinstance(right, list):
        out = []
        for i in range(max(len(left), len(right))):
            a = left[i] if i < len(left) else None
            b = right[i] if i < len(right) else None
            if i >= len(left) or i >= len(right) or a != b:
                out += leaf_paths(a, b, f"{path}.{i}")
        return out
    return [path]


def _append_plain(out: list[FieldDiff], path: str, left, right, kind: str) -> None:
    if left == right:
        return
    out.extend(FieldDiff(p, kind) for p in leaf_paths(left, right, path))


def _config_diff(out: list[FieldDiff], path: str, left, right, entries, mode: str) -> None:
    lflat = flatten(left) if isinstance(left, dict) else {}
    rflat = flatten(right) if isinstance(right, dict) else {}
    for key in sorted(set(lflat) | set(rflat)):
        if lflat.get(key) != rflat.get(key):
            out.append(FieldDiff(f"{path}.{key}", config_type(key, mode, entries)))


def _diff_class(out: list[FieldDiff], schema: dict, cls: str, left: dict, right: dict, path: str, mode: str) -> None:
    for name, (how, detail) in schema.items():
        lraw, rraw = left.get(name), right.get(name)
        if lraw == rraw:  # equal as written: equal as read (the hot path: most fields do not change)
            continue
        lv = read_field(cls, name, lraw)
        rv = read_field(cls, name, rraw)
        fpath = f"{path}.{name}"
        if how == CONFIG:
            _config_diff(out, fpath, lv, rv, detail, mode)
        elif how == ANNOTATED:
            if rv is None and detail[2]:  # onNullIgnore: a change to null is no diff
                continue
            _append_plain(out, fpath, lv, rv, diff_type_of(detail, mode))
        elif how == DIFFABLE and isinstance(lv, dict) and isinstance(rv, dict):
            _diff_class(out, detail, name, lv, rv, fpath, mode)
        else:
            if how == DIFFABLE:  # one side missing: the whole object is one upgrade diff
                lv, rv = _read_whole(detail, name, lv), _read_whole(detail, name, rv)
            _append_plain(out, fpath, lv, rv, UPGRADE)


def _read_whole(schema: dict, cls: str, value):
    if not isinstance(value, dict):
        return value
    return {k: v for k in schema if (v := read_field(cls, k, value.get(k))) is not None}


def spec_diff(kind: str, before: dict, after: dict, mode: str, path: str = "spec") -> list[FieldDiff]:
    """Every changed field of a FlinkDeployment or FlinkSessionJob spec with the operator's diff type, sorted by path."""
    out: list[FieldDiff] = []
    _diff_class(out, SPEC_CLASSES[kind], "spec", before if isinstance(before, dict) else {},
                after if isinstance(after, dict) else {}, path, mode)
    return sorted(out, key=lambda f: f.path)


def diff_type(fields: list[FieldDiff]) -> str:
    """``DiffResult.getType``: the greatest of the fields' types, ``ignore`` for none."""
    return max_diff(f.diff for f in fields)


def deployment_mode(spec: dict | None) -> str:
    """``KubernetesDeploymentMode.getDeploymentMode``: ``spec.mode``, native when unset."""
    mode = spec.get("mode") if isinstance(spec, dict) else None
    return STANDALONE if mode == STANDALONE else NATIVE


def read_spec(kind: str, spec: dict) -> dict:
    """A spec as the operator's classes hold it, for equality (``FlinkDeploymentSpec.equals``)."""
    schema = SPEC_CLASSES[kind]
    out = {}
    for name, (how, detail) in schema.items():
        value = read_field("spec", name, spec.get(name) if isinstance(spec, dict) else None)
        if how == DIFFABLE:
            value = _read_whole(detail, name, value)
        elif how == CONFIG:
            value = flatten(value) if isinstance(value, dict) else {}
        if value is not None:
            out[name] = value
    return out
