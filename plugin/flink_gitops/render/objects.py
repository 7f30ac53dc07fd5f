"""Small readers and copy-on-write editors for Kubernetes objects, shared by the steps.

Steps never mutate their input: an edit copies only the dicts on the path it changes, so a
pipeline over 10,000 objects does not pay for deep copies of the ones it leaves alone.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from flink_gitops.flink import API_GROUP, Located
from flink_gitops.render.validation.flinkconf import flatten

WAVE = "argocd.argoproj.io/sync-wave"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def name_of(obj: dict) -> str:
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else ""


def annotations_of(obj: dict) -> dict:
    meta = obj.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    return ann if isinstance(ann, dict) else {}


def dig(obj: object, *path: str | int) -> object:
    """``obj[path[0]][path[1]]...`` or None when any step is missing or of the wrong type."""
    for key in path:
        if isinstance(key, int):
            if not isinstance(obj, list) or key >= len(obj):
                return None
        elif not isinstance(obj, dict):
            return None
        obj = obj[key] if isinstance(key, int) else obj.get(key)
    return obj


def as_list(value: object) -> list:
    return value if isinstance(value, list) else []


def where(loc: Located) -> str:
    """``file (document N): Kind ns/name`` for stderr lines."""
    problem = loc.problem("")
    return str(problem)[: -len(": ")] if str(problem).endswith(": ") else str(problem)


def with_obj(loc: Located, obj: dict) -> Located:
    return Located(obj, loc.file, loc.document, loc.item)


def set_annotation(loc: Located, key: str, value: str) -> Located:
    obj = dict(loc.obj)
    meta = dict(obj.get("metadata") or {})
    ann = dict(meta.get("annotations") or {})
    ann[key] = value
    meta["annotations"] = ann
    obj["metadata"] = meta
    return with_obj(loc, obj)


def flink_configuration(spec: object) -> dict[str, str]:
    """``spec.flinkConfiguration`` flattened to dotted keys with text values, as the operator reads it
    (flat keys, Flink 2's nested YAML and lists alike: :func:`flinkconf.flatten`)."""
    return flatten(dig(spec, "flinkConfiguration"))


def autoscaler_enabled(obj: dict) -> bool:
    conf = flink_configuration(obj.get("spec"))
    # The second key is the operator's pre-1.8 name, still honoured as a fallback key.
    for key in ("job.autoscaler.enabled", "kubernetes.operator.job.autoscaler.enabled"):
        if key in conf:
            return conf[key].strip().lower() == "true"
    return False


def hpa_targets(objs: Iterable[dict], default_namespace: str) -> dict[tuple[str, str], str]:
    """(namespace, FlinkDeployment name) -> the HorizontalPodAutoscaler that scales it (scale subresource
    ``spec.taskManager.replicas``). An object without a namespace is in ``default_namespace`` (the app's)."""
    out = {}
    for obj in objs:
        if obj.get("kind") != "HorizontalPodAutoscaler" or not str(obj.get("apiVersion", "")).startswith("autoscaling/"):
            continue
        ref = dig(obj, "spec", "scaleTargetRef")
        if not isinstance(ref, dict) or ref.get("kind") != "FlinkDeployment":
            continue
        if not str(ref.get("apiVersion", "")).startswith(API_GROUP + "/") or not isinstance(ref.get("name"), str):
            continue
        ns = dig(obj, "metadata", "namespace")
        out[(ns if isinstance(ns, str) and ns else default_namespace, ref["name"])] = name_of(obj)
    return out


POD_TEMPLATE_PATHS: tuple[tuple[str, ...], ...] = (
    ("spec", "podTemplate"),
    ("spec", "jobManager", "podTemplate"),
    ("spec", "taskManager", "podTemplate"),
)


def pod_template_references(obj: dict) -> Iterator[tuple[str, str, str]]:
    """(kind, name, field path) of everything a FlinkDeployment's pods need before they can start.

    The three podTemplate levels of the operator, plus ``spec.serviceAccount``.
    """
    sa = dig(obj, "spec", "serviceAccount")
    if isinstance(sa, str) and sa:
        yield "ServiceAccount", sa, "spec.serviceAccount"
    for path in POD_TEMPLATE_PATHS:
        pod = dig(obj, *path, "spec")
        if not isinstance(pod, dict):
            continue
        base = ".".join(path) + ".spec"
        sa = pod.get("serviceAccountName") or pod.get("serviceAccount")
        if isinstance(sa, str) and sa:
            yield "ServiceAccount", sa, f"{base}.serviceAccountName"
        for i, ref in enumerate(as_list(pod.get("imagePullSecrets"))):
            if isinstance(dig(ref, "name"), str):
                yield "Secret", ref["name"], f"{base}.imagePullSecrets[{i}].name"
        for i, vol in enumerate(as_list(pod.get("volumes"))):
            yield from _volume_refs(vol, f"{base}.volumes[{i}]")
        for group in ("initContainers", "containers"):
            for i, container in enumerate(as_list(pod.get(group))):
                yield from _container_refs(container, f"{base}.{group}[{i}]")


def _volume_refs(vol: object, where: str) -> Iterator[tuple[str, str, str]]:
    for kind, key, name_field in (
        ("Secret", "secret", "secretName"),
        ("ConfigMap", "configMap", "name"),
        ("PersistentVolumeClaim", "persistentVolumeClaim", "claimName"),
    ):
        name = dig(vol, key, name_field)
        if isinstance(name, str) and name and dig(vol, key, "optional") is not True:
            yield kind, name, f"{where}.{key}.{name_field}"
    for j, src in enumerate(as_list(dig(vol, "projected", "sources"))):
        for kind, key in (("Secret", "secret"), ("ConfigMap", "configMap")):
            name = dig(src, key, "name")
            if isinstance(name, str) and name and dig(src, key, "optional") is not True:
                yield kind, name, f"{where}.projected.sources[{j}].{key}.name"


def _container_refs(container: object, where: str) -> Iterator[tuple[str, str, str]]:
    for i, env in enumerate(as_list(dig(container, "env"))):
        for kind, key in (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")):
            name = dig(env, "valueFrom", key, "name")
            if isinstance(name, str) and name and dig(env, "valueFrom", key, "optional") is not True:
                yield kind, name, f"{where}.env[{i}].valueFrom.{key}.name"
    for i, src in enumerate(as_list(dig(container, "envFrom"))):
        for kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
            name = dig(src, key, "name")
            if isinstance(name, str) and name and dig(src, key, "optional") is not True:
                yield kind, name, f"{where}.envFrom[{i}].{key}.name"
