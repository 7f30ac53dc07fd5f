"""``plan``: pair each desired Flink resource with its live object and decide, kind by kind, what a sync makes the operator do.

Two baselines, as in reality: ``change`` compares the desired spec with the live object's spec
(what a sync applies); ``diff``, ``fields`` and ``upgrade`` compare it with what the operator last
reconciled (``status.reconciliationStatus.lastReconciledSpec``; a blue/green deployment's
``status.lastReconciledSpec``; the live spec where there is none). Live objects owned by another
Flink resource (a blue/green deployment's children, the operator's own snapshots) are part of
their owner and never deleted by a sync. The answer does not depend on the order of the inputs:
resources are matched by kind, namespace and name and listed sorted by namespace, kind and name.
"""

from __future__ import annotations

from flink_gitops.errors import UserError
from flink_gitops.flink import Located, is_flink, kind_names
from flink_gitops.plan import model as M
from flink_gitops.plan.bluegreen import plan_blue_green
from flink_gitops.plan.jobs import (DEPLOYMENT, SESSION_JOB, Job, Resource, deletion, first_deployment, plan_update,
                                    spec_of)
from flink_gitops.plan.live import mapping, read_status
from flink_gitops.plan.settings import SAVEPOINT_ON_DELETION, settings
from flink_gitops.plan.shape import check
from flink_gitops.plan.snapshot import plan_snapshot
from flink_gitops.plan.specdiff import _clean, deployment_mode, diff_type, spec_diff

Key = tuple[str, str, str]  # kind, namespace, name
OWNER_KINDS = ("FlinkBlueGreenDeployment", "FlinkDeployment", "FlinkSessionJob")


def _name(loc: Located) -> str:
    name = mapping(loc.obj, "metadata").get("name")
    if not isinstance(name, str) or not name:
        raise UserError(loc.problem("missing: a Flink resource needs a name to be planned", "metadata.name"))
    return name


def index(objects: list[Located], default_namespace: str, what: str) -> dict[Key, Located]:
    """Flink resources by kind, namespace and name; the same resource twice is bad input."""
    out: dict[Key, Located] = {}
    for loc in objects:
        if not is_flink(loc.obj):
            continue
        ns = mapping(loc.obj, "metadata").get("namespace")
        key = (loc.obj["kind"], ns if isinstance(ns, str) and ns else default_namespace, _name(loc))
        check(loc)
        if key in out:
            first = out[key]
            raise UserError(loc.problem(f"{key[0]} {key[1]}/{key[2]} is given twice in the {what} objects "
                                        f"(also {first.file}, document {first.document})", "metadata.name"))
        out[key] = loc
    return out


def owner(loc: Located) -> str | None:
    """The Flink resource that owns a live object (``metadata.ownerReferences``), if any."""
    refs = mapping(loc.obj, "metadata").get("ownerReferences")
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and ref.get("kind") in OWNER_KINDS:
            return f"{ref.get('kind')} {ref.get('name')}"
    return None


def same_spec(a: Located, b: Located) -> bool:
    """Does a sync leave the spec as it is? (nulls and empty lists are what the API server drops)"""
    sa, sb = spec_of(a), spec_of(b)
    return sa == sb or _clean(sa) == _clean(sb)


class World:
    """Every desired and live resource, and the operator's configuration: what one resource's decision may look up."""

    def __init__(self, desired: dict[Key, Located], live: dict[Key, Located], operator: dict[str, str],
                 operator_source: str):
        self.desired, self.live = desired, live
        self.operator, self.operator_source = operator, operator_source
        # session jobs by (namespace, session cluster), once: looked up for every FlinkDeployment
        self._jobs: dict[int, dict[tuple[str, str], list[str]]] = {}
        for where in (desired, live):
            jobs: dict[tuple[str, str], list[str]] = {}
            for (kind, ns, name), loc in where.items():
                if kind == SESSION_JOB:
                    jobs.setdefault((ns, spec_of(loc).get("deploymentName")), []).append(name)
            self._jobs[id(where)] = jobs

    def settings(self, ns: str, version, layers):
        return settings(self.operator, self.operator_source, ns, version, layers)

    def session_jobs(self, ns: str, cluster: str, where: dict[Key, Located]) -> list[str]:
        return sorted(self._jobs[id(where)].get((ns, cluster), []))


def plan(desired: list[Located], live: list[Located], operator: dict[str, str] | None = None,
         operator_source: str = "operator configuration", default_namespace: str = "default") -> list[M.Decision]:
    """One decision per Flink resource in ``desired`` or ``live``, sorted by namespace, kind and name."""
    want = index(desired, default_namespace, "desired")
    have = index(live, default_namespace, "live")
    world = World(want, have, operator or {}, operator_source)
    order = {k: i for i, k in enumerate(kind_names())}
    keys = sorted(set(want) | {k for k, loc in have.items() if k in want or owner(loc) is None},
                  key=lambda k: (k[1], order.get(k[0], 99), k[2]))
    return [decide(world, key) for key in keys]


def decide(world: World, key: Key) -> M.Decision:
    kind, ns, name = key
    desired, live = world.desired.get(key), world.live.get(key)
    change = (M.CREATE if live is None else M.DELETE if desired is None
              else M.UNCHANGED if same_spec(desired, live) else M.UPDATE)
    d = M.Decision(kind, ns, name, change)
    if kind in (DEPLOYMENT, SESSION_JOB):
        return decide_job(world, d, desired, live)
    if kind == "FlinkBlueGreenDeployment":
        return plan_blue_green(d, desired, live, lambda loc: _bg_savepoint_on_deletion(world, ns, loc))
    if kind == "FlinkStateSnapshot":
        return plan_snapshot(d, desired, live)
    return d.why(f"{kind}: no decision rules")


def _bg_savepoint_on_deletion(world: World, ns: str, loc: Located) -> tuple[bool, str]:
    spec = mapping(loc.obj, "spec", "template", "spec")
    s = world.settings(ns, spec.get("flinkVersion"), [(loc, spec, "spec.template.spec")])
    return s.flag(SAVEPOINT_ON_DELETION), s.where(SAVEPOINT_ON_DELETION)


def resource(world: World, kind: str, key_ns: str, desired: Located | None, live: Located | None,
             status) -> Resource:
    """What the reconciler of one FlinkDeployment or FlinkSessionJob reads besides its own spec."""
    ds, ls = spec_of(desired), spec_of(live)
    baseline = status.last_reconciled if status is not None and status.last_reconciled is not None else ls
    base_label = ("status.reconciliationStatus.lastReconciledSpec" if status is not None
                  and status.last_reconciled is not None else "spec")
    res = Resource(kind, desired, live)
    if kind == DEPLOYMENT:
        res.mode = deployment_mode(ds or ls)
        res.flink_version = baseline.get("flinkVersion") if live is not None else ds.get("flinkVersion")
        res.version_changed = live is not None and desired is not None and \
            baseline.get("flinkVersion") != ds.get("flinkVersion")
        deploy_layers = [(desired, ds, "spec")] if desired else []
        observe_layers = [(live, baseline, base_label)] if live else [(desired, ds, "spec")]
        name = _name(desired or live)
        staying = world.session_jobs(key_ns, name, world.desired)
        running = world.session_jobs(key_ns, name, world.live)
        res.session_jobs = staying if desired is None else running
    else:
        cluster_name = (ds or ls).get("deploymentName")
        ckey = (DEPLOYMENT, key_ns, cluster_name)
        res.session_cluster = world.live.get(ckey)
        res.session_cluster_desired = ckey in world.desired
        cluster = world.live.get(ckey) or world.desired.get(ckey)
        cstatus = read_status(cluster) if cluster is not None and cluster is res.session_cluster else None
        cspec = (cstatus.last_reconciled if cstatus and cstatus.last_reconciled else spec_of(cluster)) if cluster else {}
        res.mode = deployment_mode(cspec)
        res.flink_version = cspec.get("flinkVersion")
        clayer = [(cluster, cspec, "spec")] if cluster is not None else []
        deploy_layers = clayer + ([(desired, ds, "spec")] if desired else [])
        observe_layers = clayer + ([(live, baseline, base_label)] if live else [(desired, ds, "spec")])
    version = ds.get("flinkVersion") if kind == DEPLOYMENT else res.flink_version
    res.deploy_settings = lambda: world.settings(key_ns, version if desired else baseline.get("flinkVersion"),
                                                 deploy_layers or observe_layers)
    res.observe_settings = lambda: world.settings(key_ns, res.flink_version, observe_layers)
    return res


def decide_job(world: World, d: M.Decision, desired: Located | None, live: Located | None) -> M.Decision:
    status = read_status(live) if live is not None else None
    res = resource(world, d.kind, d.namespace, desired, live, status)
    ds = spec_of(desired)
    baseline = status.last_reconciled if status is not None and status.last_reconciled is not None else spec_of(live)
    job = Job(res, d, status, ds, baseline)
    if desired is None:
        return deletion(job)
    if live is None:
        return first_deployment(job, "new")
    fields = spec_diff(d.kind, baseline, ds, res.mode)
    if d.change == M.UNCHANGED:
        kind = diff_type(fields)
        if kind != M.IGNORE or (status.reconciliation_state == "UPGRADING"):
            d.why(f"pending: the operator has not finished reconciling the live spec ({kind} change against "
                  "status.reconciliationStatus.lastReconciledSpec); this sync changes nothing")
        return d
    d.fields = fields
    if status.present and status.last_reconciled is None:
        d.diff = diff_type(fields)
        return first_deployment(job, "the operator has not deployed it yet (no "
                                     "status.reconciliationStatus.lastReconciledSpec)")
    return plan_update(job)
