"""Sync waves that order Flink resources after what they need and before what needs them.

Argo CD applies lower waves first and, in a sync with several waves, waits for every resource
of a wave to be Healthy before the next starts (Progressing waits forever). Without waves, Argo
CD applies Secrets, ConfigMaps, RBAC... before custom resources of the same wave. So a
FlinkDeployment stays in its own wave (0 unless the user set one) with everything it needs, and
only what must follow it moves to a LATER wave:

* its ``flink-config-<name>`` ConfigMap: the operator (Flink's Kubernetes client) writes that
  ConfigMap whenever it creates the JobManager Deployment; applied after the deployment is
  Healthy, the user's log configuration replaces what was written (until the next JobManager
  deployment writes it again: docs/plugin.md);
* the FlinkSessionJobs of a session cluster, the FlinkStateSnapshots of a job.

What a deployment needs (ServiceAccount, its RBAC, Secrets, ConfigMaps and PVCs of the three
podTemplate levels, the Secrets and ConfigMap named in ``flinkConfiguration``; for a
FlinkBlueGreenDeployment, of its ``spec.template``) is never placed after it: it keeps its wave,
and is pulled earlier only when the user put the deployment in an earlier wave. Everything else
(a KafkaTopic, a database Secret nothing names) keeps its wave. User waves are never changed; a
conflict between user waves that would hang the sync is an error, any other conflict a warning.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import Located, group_of, in_api_group
from flink_gitops.render.context import RenderContext
from flink_gitops.render.objects import WAVE, annotations_of, as_list, dig, flink_configuration, name_of, \
    pod_template_references, set_annotation

# Argo CD's order of kinds inside one wave (gitops-engine sync_tasks.go), for the --explain table.
_KIND_ORDER = {k: i for i, k in enumerate((
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
    "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
    "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding"))}
_INT = re.compile(r"[+-]?\d+")
_CLUSTER_SCOPED = ("ClusterRole", "ClusterRoleBinding")  # the only cluster-scoped kinds we match by name


@dataclass(frozen=True)
class Edge:
    """``before`` must sync in a wave ``<= wave(after) - gap``."""

    before: int
    after: int
    gap: int  # 0: the same wave is fine; 1: a strictly later wave
    before_note: str  # why, as seen from each end (for --explain and messages)
    after_note: str
    hangs: bool  # breaking it makes the sync wait forever (an error), else a warning


def _label(loc: Located, ctx: RenderContext) -> str:
    ns = "" if loc.obj.get("kind") in _CLUSTER_SCOPED else ctx.namespace_of(loc.obj)
    return f"{loc.obj['kind']} {ns + '/' if ns else ''}{name_of(loc.obj)}"


def user_waves(objs: list[Located]) -> dict[int, int]:
    """Waves already set on objects, by index. A wave that is not an integer is an error."""
    pinned: dict[int, int] = {}
    problems = []
    for i, loc in enumerate(objs):
        value = annotations_of(loc.obj).get(WAVE)
        if value is None:
            continue
        text = str(value)
        if not _INT.fullmatch(text):
            problems.append(loc.problem(f"sync wave {value!r} is not an integer", f"metadata.annotations[{WAVE}]",
                                        'write a quoted whole number, e.g. "-1"'))
            continue
        pinned[i] = int(text)
    if problems:
        raise UserError(problems)
    return pinned


def _rbac_by_service_account(objs: list[Located], index: dict, ctx: RenderContext) -> dict:
    """(namespace, ServiceAccount) -> [(index, why)] of the RoleBindings granting it something and their roles.

    The JobManager creates TaskManager pods with this identity: without its RBAC the job never runs.
    Built once per render (a lookup per deployment would make large apps quadratic).
    """
    out: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for i, loc in enumerate(objs):
        obj = loc.obj
        if obj.get("kind") not in ("RoleBinding", "ClusterRoleBinding") or group_of(obj) != "rbac.authorization.k8s.io":
            continue
        binding_ns = ctx.namespace_of(obj) if obj["kind"] == "RoleBinding" else ""
        role_kind, role = _text(dig(obj, "roleRef", "kind")), _text(dig(obj, "roleRef", "name"))
        j = index.get((role_kind, "" if role_kind in _CLUSTER_SCOPED else binding_ns, role))
        for k, subject in enumerate(as_list(obj.get("subjects"))):
            sa = dig(subject, "name")
            if dig(subject, "kind") != "ServiceAccount" or not isinstance(sa, str):
                continue
            ns = _text(dig(subject, "namespace")) or binding_ns or ctx.namespace
            found = out.setdefault((ns, sa), [])
            found.append((i, f"grants ServiceAccount {sa} (subjects[{k}])"))
            if j is not None:
                found.append((j, f"bound to ServiceAccount {sa} by {obj['kind']} {name_of(obj)}"))
    return out


def _text(value: object) -> str | None:
    """A reference field's value when it is text; anything else matches nothing."""
    return value if isinstance(value, str) else None


def _unquote(text: str) -> str:
    return text.strip().strip("'\"").strip()


def flink_configuration_references(spec: object, base: str) -> list[tuple[str, str, str]]:
    """(kind, name, field) of the Secrets and ConfigMap that ``flinkConfiguration`` names for the pods.

    Flink's Kubernetes client mounts or reads them when it builds the JobManager and TaskManager
    pods (KubernetesConfigOptions): without them the pods cannot start, as with a podTemplate.
    The configuration is read as the operator hands it to Flink (:func:`flink_configuration`: Flink 2's
    nested YAML flattened, lists joined with ``;``).
    """
    conf = flink_configuration(spec)
    out: list[tuple[str, str, str]] = []

    def add(kind: str, name: str, key: str) -> None:
        if _unquote(name):
            out.append((kind, _unquote(name), f"{base}.flinkConfiguration[{key}]"))

    key = "kubernetes.secrets"  # a map option: "foo:/opt/secrets-foo,bar:/opt/secrets-bar"
    if key in conf:
        for item in conf[key].split(","):
            add("Secret", item.partition(":")[0], key)
    else:  # or one key per Secret below it, as a YAML map flattens (Flink reads a map option's prefix keys)
        for sub in conf:
            if sub.startswith(key + "."):
                add("Secret", sub[len(key) + 1:], key)
    key = "kubernetes.env.secretKeyRef"  # "env:FOO,secret:foo,key:k;env:BAR,secret:bar,key:k"
    for item in conf.get(key, "").split(";"):
        add("Secret", dict(part.partition(":")[::2] for part in item.split(",")).get("secret", ""), key)
    key = "kubernetes.container.image.pull-secrets"  # "foo;bar"
    for name in conf.get(key, "").split(";"):
        add("Secret", name, key)
    key = "kubernetes.hadoop.conf.config-map.name"
    add("ConfigMap", conf.get(key, ""), key)
    return out


def _is_hook(obj: dict) -> bool:
    ann = annotations_of(obj)
    return "argocd.argoproj.io/hook" in ann or "helm.sh/hook" in ann


def wave_constraints(objs: list[Located], ctx: RenderContext) -> list[Edge]:
    # Hooks run in their own phases (PreSync before Sync...): ordering them by wave means nothing.
    index = {(loc.obj.get("kind"), "" if loc.obj.get("kind") in _CLUSTER_SCOPED else ctx.namespace_of(loc.obj),
              name_of(loc.obj)): i for i, loc in enumerate(objs) if not _is_hook(loc.obj)}
    edges: list[Edge] = []
    rbac = _rbac_by_service_account(objs, index, ctx)
    for i, loc in enumerate(objs):
        obj = loc.obj
        ns = ctx.namespace_of(obj)
        if _is_hook(obj):
            continue
        if in_api_group(obj, "FlinkDeployment") or in_api_group(obj, "FlinkBlueGreenDeployment"):
            if obj["kind"] == "FlinkDeployment":
                log_cm = f"flink-config-{name_of(obj)}"
                refs = [*pod_template_references(obj), *flink_configuration_references(obj.get("spec"), "spec")]
                j = index.get(("ConfigMap", ns, log_cm))
                if j is not None:
                    edges.append(Edge(i, j, 1, f"before its log4j ConfigMap {log_cm}",
                                      f"after {_label(loc, ctx)}: the operator writes this ConfigMap when it "
                                      "creates the JobManager; applied later, your log configuration replaces "
                                      "it (until the next JobManager deployment writes it again)", False))
            else:
                # The blue and green FlinkDeployments the operator creates run spec.template.spec: their
                # pods need the same objects. (Their log4j ConfigMaps are named after them, not us.)
                log_cm = None
                template = {"spec": dig(obj, "spec", "template", "spec")}
                refs = [*((kind, name, "spec.template." + field) for kind, name, field in pod_template_references(template)),
                        *flink_configuration_references(template["spec"], "spec.template.spec")]
            seen = set()
            for kind, name, field in refs:
                j = index.get((kind, ns, name))
                if j is None or j == i or (kind == "ConfigMap" and name == log_cm) or j in seen:
                    continue
                seen.add(j)
                edges.append(Edge(j, i, 0, f"needed by {_label(loc, ctx)} ({field})", "", True))
                if kind == "ServiceAccount":
                    for k, why in rbac.get((ns, name), ()):
                        if k not in seen:
                            seen.add(k)
                            edges.append(Edge(k, i, 0, f"needed by {_label(loc, ctx)}: {why}", "", True))
        elif in_api_group(obj, "FlinkSessionJob"):
            target = dig(obj, "spec", "deploymentName")
            j = index.get(("FlinkDeployment", ns, target)) if isinstance(target, str) else None
            if j is not None:
                edges.append(Edge(j, i, 1, f"before {_label(loc, ctx)}, which runs on it",
                                  f"after its session cluster {_label(objs[j], ctx)} (spec.deploymentName)", False))
        elif in_api_group(obj, "FlinkStateSnapshot"):
            kind = _text(dig(obj, "spec", "jobReference", "kind")) or "FlinkDeployment"
            target = dig(obj, "spec", "jobReference", "name")
            j = index.get((kind, ns, target)) if isinstance(target, str) else None
            if j is not None:
                edges.append(Edge(j, i, 1, f"before {_label(loc, ctx)}, which snapshots it",
                                  f"after the job it snapshots, {_label(objs[j], ctx)} (spec.jobReference)", False))
    return edges


def _topological(nodes: list[int], edges: list[Edge], objs: list[Located], ctx: RenderContext) -> list[int]:
    incoming = {n: 0 for n in nodes}
    out: dict[int, list[Edge]] = {n: [] for n in nodes}
    for e in edges:
        incoming[e.after] += 1
        out[e.before].append(e)
    ready = deque(n for n in nodes if incoming[n] == 0)
    order = []
    while ready:
        n = ready.popleft()
        order.append(n)
        for e in out[n]:
            incoming[e.after] -= 1
            if incoming[e.after] == 0:
                ready.append(e.after)
    if len(order) < len(nodes):
        stuck = [n for n in nodes if incoming[n] > 0]
        raise UserError([
            objs[e.after].problem(f"cannot be ordered: {_label(objs[e.before], ctx)} must sync no later "
                                  f"than it ({e.before_note or e.after_note}), and it no later than that one",
                                  hint="an object cannot both be needed by a FlinkDeployment and wait for it; "
                                       "break the cycle (e.g. do not mount the operator's flink-config-<name>)")
            for e in edges if e.after in stuck and e.before in stuck
        ])
    return order


def plan_waves(objs: list[Located], ctx: RenderContext) -> tuple[dict[int, int], dict[int, int], list[Edge]]:
    """(wave of every constrained object, the user's waves, the constraints).

    An object without a user wave starts in the default wave 0 and moves only where a
    constraint forces it: LATER when it must follow something (a log4j ConfigMap, a session
    job, a snapshot, or anything after a dependency the user put in a later wave), EARLIER only
    when a deployment that needs it sits in an earlier (user) wave. So a FlinkDeployment and
    what it needs share a wave, and nothing the plan does not know about is moved.
    """
    pinned = user_waves(objs)
    edges = wave_constraints(objs, ctx)
    nodes = sorted({e.before for e in edges} | {e.after for e in edges})
    order = _topological(nodes, edges, objs, ctx)
    outs: dict[int, list[Edge]] = {n: [] for n in nodes}
    ins: dict[int, list[Edge]] = {n: [] for n in nodes}
    for e in edges:
        outs[e.before].append(e)
        ins[e.after].append(e)
    wave: dict[int, int] = {}
    for n in order:  # followers after what they follow
        wave[n] = pinned[n] if n in pinned else max([0] + [wave[e.before] + e.gap for e in ins[n]])
    for n in reversed(order):  # dependencies no later than what needs them
        if n not in pinned:
            wave[n] = min([wave[n]] + [wave[e.after] - e.gap for e in outs[n] if e.hangs])
    return wave, pinned, edges


def assign_sync_waves(objs: list[Located], ctx: RenderContext) -> list[Located]:
    wave, pinned, edges = plan_waves(objs, ctx)
    problems: list[Problem] = []
    for e in edges:
        before, after = objs[e.before], objs[e.after]
        if wave[e.after] >= wave[e.before] + e.gap:
            if e.hangs and before.obj.get("kind") == "PersistentVolumeClaim" and wave[e.before] < wave[e.after]:
                ctx.warn(before.problem(
                    f"sync wave {wave[e.before]} is earlier than wave {wave[e.after]} of the FlinkDeployment that "
                    "mounts it: with a WaitForFirstConsumer StorageClass it stays Pending and the sync waits forever",
                    f"metadata.annotations[{WAVE}]", "put the claim in the same wave as the FlinkDeployment"))
            continue
        message = (f"sync wave {wave[e.before]} is not {'before' if e.gap else 'at or before'} wave "
                   f"{wave[e.after]} of {_label(after, ctx)}: it must sync {e.before_note}")
        hint = f"change or remove metadata.annotations[{WAVE}] on one of them"
        if e.hangs:
            problems.append(before.problem(message + "; the pods cannot start and the sync waits forever",
                                           f"metadata.annotations[{WAVE}]", hint))
        else:
            ctx.warn(before.problem(message, f"metadata.annotations[{WAVE}]", hint))
    if problems:
        raise UserError(problems)
    if ctx.on("explain"):  # the plan costs a sort and many labels: only when asked for
        ctx.plan.extend(_explain(objs, wave, pinned, edges, ctx))
    out = list(objs)
    for n, w in wave.items():
        if n not in pinned and w != 0:  # wave 0 is Argo CD's default: nothing to write
            out[n] = set_annotation(objs[n], WAVE, str(w))
    return out


def _explain(objs, wave, pinned, edges, ctx) -> list[str]:
    if not wave:
        return ["sync-wave plan: no Flink resource depends on another object of this app; nothing to order"]
    reasons: dict[int, list[str]] = {n: [] for n in wave}
    for e in edges:
        reasons[e.before].append(e.before_note)
        if e.after_note:
            reasons[e.after].append(e.after_note)
    lines = ["sync-wave plan (lower waves first; inside a wave Argo CD applies ServiceAccount, Secret, "
             "ConfigMap, PVC, RBAC, then custom resources; placed: wave written by the plugin, stays: "
             "default wave 0 kept, yours: set in the repository):"]
    key = lambda n: (wave[n], _KIND_ORDER.get(objs[n].obj["kind"], 99), _label(objs[n], ctx))  # noqa: E731
    for n in sorted(wave, key=key):
        origin = "yours " if n in pinned else "placed" if wave[n] else "stays "
        why = "; ".join(dict.fromkeys(reasons[n])) or "keeps its wave; what it needs syncs no later"
        lines.append(f"  wave {wave[n]:>3} {origin} {_label(objs[n], ctx)}: {why}")
    if any(objs[e.after].obj.get("kind") == "ConfigMap" for e in edges if e.gap):
        lines.append("  log4j ConfigMaps (log4j-strategy=configmap): hot reload without a restart, but at every "
                     "JobManager deployment (upgrade, restart, resume) the operator writes its own log "
                     "configuration into them again, until Argo CD applies yours (self-heal); "
                     "log4j-strategy=inline (spec.logConfiguration) has no such fight, but a log change restarts "
                     "the job")
    return lines
