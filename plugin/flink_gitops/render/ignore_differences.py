"""``spec.ignoreDifferences`` for Flink resources in Argo CD Applications of the stream.

A plugin renders an app's resources, not the Application pointing at it, so this helps
app-of-apps: child Applications (and ApplicationSet templates) that travel in the stream.
To know what a child deploys we read its folder: Argo CD gives the plugin the whole
repository checkout, and a child whose ``repoURL`` is this app's repository has its
``path`` right there. A child we cannot read gets only the always-safe entries.
(The system-level entries for ``argocd-cm`` are :mod:`flink_gitops.argocd.ignore_differences`.)
"""

from __future__ import annotations

import os

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import API_GROUP, STATUS_POINTER, Located, in_api_group
from flink_gitops.render.budget import OverBudget
from flink_gitops.render.context import RenderContext, normalize_repo_url
from flink_gitops.render.objects import autoscaler_enabled, dig, name_of, where, with_obj

RESPECT = "RespectIgnoreDifferences=true"
STATUS = STATUS_POINTER
PARALLELISM = "/spec/job/parallelism"
REPLICAS = "/spec/taskManager/replicas"
#: Kinds whose /status is ignored everywhere: Argo CD must never try to write what the operator reports.
ALWAYS = {"FlinkDeployment": (STATUS,), "FlinkSessionJob": (STATUS,)}


# --- what a child deploys -------------------------------------------------------------------

def required_entries(objs: list[dict], managed_externally: bool) -> list[dict]:
    """ignoreDifferences entries for the Flink resources (and HPAs) in ``objs``, in a fixed order.

    Any Flink resource brings ALL the always-safe entries, the same set a child that cannot be
    inspected gets: so rendering the output again in a checkout that cannot read the child (or
    can) adds nothing, and render(render(x)) == render(x) wherever it runs.
    """
    kinds = {o.get("kind") for o in objs if in_api_group(o)}
    entries = _safe_entries() if kinds else []
    if managed_externally and "FlinkDeployment" in kinds:
        entries.append({"group": API_GROUP, "kind": "FlinkDeployment", "jsonPointers": [PARALLELISM]})
    hpa_targets = [
        (dig(o, "metadata", "namespace"), dig(o, "spec", "scaleTargetRef", "name"))
        for o in objs
        if o.get("kind") == "HorizontalPodAutoscaler"
        and dig(o, "spec", "scaleTargetRef", "kind") == "FlinkDeployment"
        and str(dig(o, "spec", "scaleTargetRef", "apiVersion") or API_GROUP).startswith(API_GROUP)
    ]
    for o in sorted((o for o in objs if in_api_group(o, "FlinkDeployment")), key=name_of):
        pointers = []
        if autoscaler_enabled(o) and not managed_externally:
            pointers.append(PARALLELISM)
        ns = dig(o, "metadata", "namespace")
        # An object without a namespace lands in its Application's: match on the name alone then.
        if any(name == name_of(o) and (not hpa_ns or not ns or hpa_ns == ns) for hpa_ns, name in hpa_targets):
            pointers.append(REPLICAS)
        if pointers:
            entry = {"group": API_GROUP, "kind": "FlinkDeployment", "name": name_of(o)}
            if isinstance(ns, str) and ns:
                entry["namespace"] = ns
            entry["jsonPointers"] = pointers
            entries.append(entry)
    return entries


def _safe_entries() -> list[dict]:
    return [{"group": API_GROUP, "kind": k, "jsonPointers": list(p)} for k, p in ALWAYS.items()]


def _child_objects(source: dict, ctx: RenderContext) -> tuple[list[dict] | None, str]:
    """(objects of a child's source, '') or (None, why it cannot be read)."""
    from flink_gitops.render import sources  # local: sources imports the YAML loader we already have

    repo_url, path = source.get("repoURL"), source.get("path")
    if not isinstance(repo_url, str) or not isinstance(path, str) or source.get("chart"):
        return None, "its source is not a path in a git repository"
    if "{{" in repo_url or "{{" in path:
        return None, "its source is templated"
    if not ctx.repo_url or not ctx.repo_root:
        return None, "this app's repository URL is unknown (ARGOCD_APP_SOURCE_REPO_URL)"
    if normalize_repo_url(repo_url) != normalize_repo_url(ctx.repo_url):
        return None, f"its repository {repo_url} is not this app's"
    root = os.path.realpath(ctx.repo_root)
    folder = os.path.realpath(os.path.join(root, path))
    if not (folder == root or folder.startswith(root + os.sep)):
        return None, f"its path {path!r} leaves the repository"
    if not os.path.isdir(folder):
        return None, f"its path {path!r} is not a folder of this repository"
    if sources.detect_source(folder, "auto") != "directory":
        return None, f"its path {path!r} is a kustomization or Helm chart (not rendered here)"
    try:  # charged to this render's budget: a child's files are read like the app's own
        objs = [loc.obj for loc in sources.read_folder(folder, root, ctx.budget)]
    except OverBudget:
        raise
    except UserError as exc:
        return None, f"its folder {path!r} does not load ({exc.problems[0]})"
    return objs, ""


def _sources_of(spec: dict) -> list[dict]:
    many = spec.get("sources")
    if isinstance(many, list):
        return [s for s in many if isinstance(s, dict)]
    return [spec["source"]] if isinstance(spec.get("source"), dict) else []


# --- merging --------------------------------------------------------------------------------

def _same_target(a: dict, b: dict) -> bool:
    return all(a.get(k, "") == b.get(k, "") for k in ("group", "kind", "name", "namespace"))


def merge_entries(existing: list, wanted: list[dict]) -> list:
    """The user's entries first, unchanged except for missing pointers appended; never a duplicate."""
    out = [dict(e) if isinstance(e, dict) else e for e in existing]
    for want in wanted:
        match = next((e for e in out if isinstance(e, dict) and _same_target(e, want)), None)
        if match is None:
            out.append({**want, "jsonPointers": list(want["jsonPointers"])})
            continue
        pointers = list(match.get("jsonPointers") or [])
        pointers += [p for p in want["jsonPointers"] if p not in pointers]
        match["jsonPointers"] = pointers
    return out


def _shape_problems(spec: dict, loc: Located, field: str) -> list[Problem]:
    """What we would have to overwrite to merge: refused rather than silently dropped."""
    problems = []
    entries = spec.get("ignoreDifferences")
    if entries is not None and not isinstance(entries, list):
        problems.append(loc.problem("must be a list", f"{field}.ignoreDifferences"))
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            problems.append(loc.problem("must be a mapping", f"{field}.ignoreDifferences[{i}]"))
        elif entry.get("jsonPointers") is not None and not isinstance(entry["jsonPointers"], list):
            problems.append(loc.problem("must be a list", f"{field}.ignoreDifferences[{i}].jsonPointers"))
    policy = spec.get("syncPolicy")
    if policy is not None and not isinstance(policy, dict):
        problems.append(loc.problem("must be a mapping", f"{field}.syncPolicy"))
    elif isinstance(policy, dict) and policy.get("syncOptions") is not None \
            and not isinstance(policy["syncOptions"], list):
        problems.append(loc.problem("must be a list", f"{field}.syncPolicy.syncOptions"))
    return problems


def _with_ignore(spec: dict, wanted: list[dict], loc: Located, ctx: RenderContext, field: str) -> dict:
    problems = _shape_problems(spec, loc, field)
    if problems:
        raise UserError(problems)
    spec = dict(spec)
    spec["ignoreDifferences"] = merge_entries(spec.get("ignoreDifferences") or [], wanted)
    policy = dict(spec.get("syncPolicy") or {})
    options = list(policy.get("syncOptions") or [])
    if "RespectIgnoreDifferences=false" in options:
        ctx.warn(loc.problem("RespectIgnoreDifferences=false is kept as you set it: a sync will push the ignored "
                             "Flink fields back", f"{field}.syncPolicy.syncOptions"))
    elif RESPECT not in options:
        options.append(RESPECT)
    policy["syncOptions"] = options
    spec["syncPolicy"] = policy
    return spec


def add_ignore_differences(objs: list[Located], ctx: RenderContext) -> list[Located]:
    stream = [loc.obj for loc in objs if in_api_group(loc.obj) or loc.obj.get("kind") == "HorizontalPodAutoscaler"]
    managed = ctx.on("parallelism-managed-externally")
    out = []
    for loc in objs:
        obj = loc.obj
        if dig(obj, "apiVersion") != "argoproj.io/v1alpha1" or obj.get("kind") not in ("Application", "ApplicationSet"):
            out.append(loc)
            continue
        path = ("spec",) if obj["kind"] == "Application" else ("spec", "template", "spec")
        spec = dig(obj, *path)
        if not isinstance(spec, dict):
            out.append(loc)
            continue
        child: list[dict] = []
        unknown = []
        for source in _sources_of(spec):
            found, why = _child_objects(source, ctx)
            if found is None:
                unknown.append(why)
            else:
                child.extend(found)
        # The stream's own Flink resources and HPAs count too (an HPA here may target a child's
        # deployment); a named entry the child does not manage matches nothing, so it is harmless.
        wanted = required_entries(child + stream, managed) if any(in_api_group(o) for o in child) else []
        if unknown or not _sources_of(spec):
            ctx.note(f"{where(loc)}: cannot inspect its source ({'; '.join(unknown) or 'no source'}); "
                     "adding only the always-safe Flink ignoreDifferences (/status)")
            wanted = merge_entries(wanted, _safe_entries())
        if not wanted:
            out.append(loc)  # a child without Flink resources: not our business
            continue
        field = ".".join(path)
        new_spec = _with_ignore(spec, wanted, loc, ctx, field)
        new = dict(obj)
        if obj["kind"] == "Application":
            new["spec"] = new_spec
        else:
            new["spec"] = {**obj["spec"], "template": {**obj["spec"]["template"], "spec": new_spec}}
        out.append(with_obj(loc, new))
    return out
