"""``flink-gitops render``: load, run the pipeline, print the stream; or ``--discover`` an app folder.

The failure contract: on any problem nothing is written to stdout (Argo CD with automated
prune deletes live resources when a plugin prints an empty or partial stream), every problem
is one line on stderr, and the exit code is non-zero. Output is built completely in memory and
written in one go at the very end.
"""

from __future__ import annotations

import gc
import json
import os
import re
import sys
from typing import Mapping

from flink_gitops import yamlio
from flink_gitops.errors import Located, Problem, UserError
from flink_gitops.render import params as P
from flink_gitops.render.context import RenderContext, build_context
from flink_gitops.render.pipeline import run_pipeline
from flink_gitops.render.sources import APP_CONFIG_FILE, load_app, objects_from_text, read_text

PROG = "flink-gitops render"


def collect_params(app_dir: str | None, env: Mapping[str, str], cli_pairs: list[str], explain: bool,
                   base: dict | None = None) -> dict:
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
    if not os.path.isfile(path):
        return {}
    if not os.path.realpath(path).startswith(app_dir.rstrip(os.sep) + os.sep):
        raise UserError(Problem("symlink points outside the app folder; refusing it", file=APP_CONFIG_FILE))
    docs = yamlio.load_documents(read_text(path, APP_CONFIG_FILE, 1 << 20), APP_CONFIG_FILE)
    doc = docs[0][1] if docs else {}
    if not isinstance(doc, dict) or set(doc) - {"parameters"} or not isinstance(doc.get("parameters", {}), dict):
        raise UserError(Problem("expected a mapping with one key, parameters: {name: value}", file=APP_CONFIG_FILE))
    return P.from_mapping(doc.get("parameters") or {}, APP_CONFIG_FILE)


def load(app_dir: str | None, ctx: RenderContext, env: Mapping[str, str], stdin) -> list[Located]:
    if app_dir is None:
        limit = P.parse_size(str(ctx.param("max-file-size")))
        text = stdin.read(limit + 1)
        if len(text) > limit:
            raise UserError(Problem(f"input is above the limit of {limit:,} characters (parameter max-file-size)",
                                    file="<stdin>"))
        return objects_from_text(text, "<stdin>")
    return load_app(app_dir, ctx, env)


def render(app_dir: str | None, params: dict, env: Mapping[str, str], stdin=None,
           contexts: list[RenderContext] | None = None) -> list[dict]:
    """The processed objects; raises UserError. Prints nothing. ``contexts`` receives the context
    (its warnings and plan) even when the render fails."""
    ctx = build_context(params, app_dir, env)
    if contexts is not None:
        contexts.append(ctx)
    objs = load(app_dir, ctx, env, stdin)
    if not objs and not ctx.on("allow-empty"):
        raise UserError(Problem(
            "nothing to render: no Kubernetes objects found",
            file=os.path.basename(app_dir) if app_dir else "<stdin>",
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
        return "".join(json.dumps(d, indent=2, ensure_ascii=False) + "\n" for d in docs)
    return yamlio.dump_documents(docs)


def _flush(ctx: RenderContext | None, explain: bool) -> None:
    lines = []
    if ctx is not None:
        lines += [f"{PROG}: note: {n}" for n in ctx.notes]
        lines += [f"{PROG}: warning: {w}" for w in ctx.warnings]
        if explain:
            lines += ctx.plan
    if lines:
        sys.stderr.write("\n".join(lines) + "\n")
        sys.stderr.flush()


def _app_dir(path: str) -> str | None:
    if path == "-":
        return None
    real = os.path.realpath(path)
    if not os.path.isdir(real):
        raise UserError(Problem(f"{path!r} is not a folder", hint="pass the app folder, or - to read stdin"))
    return real


def run(args) -> int:
    env = os.environ
    app_dir = _app_dir(args.path)
    if args.discover:
        if app_dir is None:
            raise UserError("--discover needs a folder, not stdin")
        match = discover(app_dir)
        if match:
            sys.stdout.write(match + "\n")
        return 0
    if getattr(args, "target", "argocd") == "flux":
        from flink_gitops.flux.render import collect_params as collect_flux_params

        params = collect_flux_params(collect_params, app_dir, env, args.param or [], args.explain)
    else:
        params = collect_params(app_dir, env, args.param or [], args.explain)
    contexts: list[RenderContext] = []
    try:
        text = render_text(app_dir, params, env, args.output, sys.stdin, contexts)
    except UserError:
        _flush(contexts[0] if contexts else None, False)
        raise
    _flush(contexts[0], contexts[0].on("explain"))
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


# --- discovery ------------------------------------------------------------------------------

_FLINK_API = re.compile(r'^[ \t]*(?:-[ \t]*)?"?apiVersion"?[ \t]*:[ \t]*["\']?flink\.apache\.org/', re.M)
_DISCOVER_BYTES = 1 << 20


def discover(app_dir: str) -> str:
    """The first file that makes this folder ours: the opt-in marker, or a manifest of a Flink resource.

    A text scan, not a YAML parse: discovery runs for every app of the repository and must be cheap
    and never fail (a broken file is reported by ``render``, where the user sees it).
    """
    if os.path.isfile(os.path.join(app_dir, APP_CONFIG_FILE)):
        return APP_CONFIG_FILE
    for dirpath, dirnames, filenames in os.walk(app_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.endswith((".yaml", ".yml", ".json", ".tpl")):
                continue
            full = os.path.join(dirpath, name)
            if not os.path.realpath(full).startswith(app_dir.rstrip(os.sep) + os.sep):
                continue  # a symlink out of the folder: not ours to read
            try:
                with open(full, "rb") as fh:
                    head = fh.read(_DISCOVER_BYTES).decode("utf-8", "replace")
            except OSError:
                continue
            if _FLINK_API.search(head):
                return os.path.relpath(full, app_dir).replace(os.sep, "/")
    return ""
