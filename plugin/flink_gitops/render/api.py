"""The render library: ``render`` and ``render_text`` (what ``flink-gitops render`` prints), and discovery.

The failure contract: on any problem a UserError is raised and nothing is returned (Argo CD with
automated prune deletes live resources when a plugin prints an empty or partial stream). Output
is built completely in memory, for the caller to write in one go.
"""

from __future__ import annotations

import gc
import json
import os
import re
from typing import Mapping

from flink_gitops import yamlio
from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import API_GROUP, Located, describe
from flink_gitops.manifests import (DISCOVERY_SUFFIXES, OUTSIDE, OUTSIDE_FIX, inside, objects_from_text, read_stream,
                                   read_text, relative, walk)
from flink_gitops.render import params as P
from flink_gitops.render.context import RenderContext, build_context
from flink_gitops.render.pipeline import problems_in, run_pipeline
from flink_gitops.render.sources import APP_CONFIG_FILE, budgeted_objects, load_app


def collect_params(app_dir: str | None, env: Mapping[str, str], cli_pairs: list[str], explain: bool,
                   base: dict | None = None) -> dict:
    """Parameters by precedence, lowest first: ``base`` (default: the defaults), flink-gitops.yaml,
    ARGOCD_ENV_*, ARGOCD_APP_PARAMETERS (else PARAM_*), ``--param``."""
    params: dict = dict(base) if base is not None else P.defaults()
    if app_dir is not None:
        params.update(_app_config(app_dir))
    params.update(P.from_environ(env, "ARGOCD_ENV_"))
    if "ARGOCD_APP_PARAMETERS" in env:  # the JSON is authoritative; PARAM_* repeat it
        params.update(P.from_argocd_parameters(env["ARGOCD_APP_PARAMETERS"]))
    else:
        params.update(P.from_environ(env, "PARAM_"))
    params.update(P.from_cli(cli_pairs))
    if explain:
        params["explain"] = "true"
    return params


def _app_config(app_dir: str) -> dict:
    path = os.path.join(app_dir, APP_CONFIG_FILE)
    if not os.path.lexists(path):
        return {}
    if not inside(os.path.realpath(path), app_dir):
        raise UserError(Problem(OUTSIDE, file=APP_CONFIG_FILE, hint=OUTSIDE_FIX))
    docs = yamlio.load_documents(read_text(path, APP_CONFIG_FILE, 1 << 20), APP_CONFIG_FILE)
    doc = docs[0][1] if docs else {}
    if not isinstance(doc, dict) or set(doc) - {"parameters"} or not isinstance(doc.get("parameters", {}), dict):
        raise UserError(Problem("expected a mapping with one key, parameters: {name: value}", file=APP_CONFIG_FILE))
    return P.from_mapping(doc.get("parameters") or {}, APP_CONFIG_FILE)


def load(app_dir: str | None, ctx: RenderContext, env: Mapping[str, str], stdin) -> list[Located]:
    if app_dir is None:
        shown = stream_name(stdin)
        return budgeted_objects(read_stream(stdin, shown, ctx.budget.file_size), shown, ctx.budget)
    return load_app(app_dir, ctx, env)


def stream_name(stream) -> str:
    """How errors name a stream: a file's path (``render app/job.yaml``), else ``<stdin>``."""
    name = getattr(stream, "name", None)
    return name if isinstance(name, str) and name else "<stdin>"


def render(app_dir: str | None, params: dict, env: Mapping[str, str], stdin=None,
           contexts: list[RenderContext] | None = None) -> list[dict]:
    """The processed objects; raises UserError. Prints nothing. ``contexts`` receives the context
    (its warnings and plan) even when the render fails."""
    ctx = build_context(params, app_dir, env)
    if contexts is not None:
        contexts.append(ctx)
    try:
        objs = load(app_dir, ctx, env, stdin)
    except UserError as exc:
        if not exc.partial:
            raise
        # Some files did not read: check the rest too, so that one run reports every problem.
        raise UserError(exc.problems + problems_in(exc.partial, ctx)) from None
    if not objs and not ctx.on("allow-empty"):
        raise UserError(Problem(
            "nothing to render: no Kubernetes objects found",
            file=os.path.basename(app_dir) if app_dir else stream_name(stdin),
            hint="with automated prune an empty render deletes the app's resources; set parameter allow-empty=true "
                 "if that is what you want"))
    return [loc.obj for loc in run_pipeline(objs, ctx)]


def render_text(app_dir: str | None, params: dict, env: Mapping[str, str], fmt: str = "yaml", stdin=None,
                contexts: list[RenderContext] | None = None) -> str:
    """render() and format_output() with the cyclic garbage collector paused.

    Parsing allocates millions of small objects and none of them form cycles; left on, the
    collector re-walks the whole growing heap again and again, which made 10,000-object renders
    grow faster than linearly. A render is one short process: nothing is lost by pausing it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return format_output(render(app_dir, params, env, stdin, contexts), fmt)
    finally:
        if was_enabled:
            gc.enable()


def format_output(docs: list[dict], fmt: str) -> str:
    if fmt == "json":  # a JSON stream, one object after another, as Argo CD's decoder reads it
        return "".join(_json_document(d) for d in docs)
    return yamlio.dump_documents(docs)


def _json_document(doc: dict) -> str:
    try:
        return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError:  # NaN or ±Infinity: Python would write them, no JSON reader accepts them
        field = _non_finite(doc)
        raise UserError(Problem(
            "not a finite number; JSON has no NaN or Infinity", obj=describe(doc), field=field,
            hint="write a number (YAML's .nan and .inf have no JSON form), or render with -o yaml")) from None


def _non_finite(doc: object) -> str | None:
    """The path of the first NaN or infinite float in ``doc``."""
    stack: list[tuple[object, str]] = [(doc, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, float) and (node != node or node in (float("inf"), float("-inf"))):
            return path or None
        if isinstance(node, dict):
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in reversed(list(enumerate(node))))
    return None


# --- discovery ------------------------------------------------------------------------------

_FLINK_API = re.compile(r'^[ \t]*(?:-[ \t]*)?"?apiVersion"?[ \t]*:[ \t]*["\']?' + re.escape(API_GROUP) + "/", re.M)
_DISCOVER_BYTES = 1 << 20


def discover(app_dir: str) -> str:
    """The first file that makes this folder ours: the opt-in marker, or a manifest of a Flink resource.

    Only the discover-by-content install variant (argocd/discover-by-content/plugin.yaml) runs
    this: the default plugin.yaml has no discover rule, so apps opt in by naming the plugin and
    installing it takes over nothing.

    A text scan, not a YAML parse: discovery runs for every app of the repository and must be cheap
    and never fail (a broken file is reported by ``render``, where the user sees it).
    """
    if os.path.isfile(os.path.join(app_dir, APP_CONFIG_FILE)):
        return APP_CONFIG_FILE
    root = os.path.realpath(app_dir)
    for full in walk(root, DISCOVERY_SUFFIXES, refuse_outside=False):  # a symlink out: not ours to read
        try:
            with open(full, "rb") as fh:
                head = fh.read(_DISCOVER_BYTES).decode("utf-8", "replace")
        except OSError:
            continue
        if _FLINK_API.search(head):
            return relative(full, root)
    return ""
