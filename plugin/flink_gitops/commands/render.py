"""``flink-gitops render``: render an app folder (or stdin) and print the stream; or ``--discover`` an app folder.

Nothing reaches stdout unless the whole render succeeded (see :mod:`flink_gitops.render.api`);
notes, warnings and the ``--explain`` plan go to stderr.
"""

from __future__ import annotations

import os
import sys

from flink_gitops.errors import Problem, UserError

PROG = "flink-gitops render"


def register(sub) -> None:
    p = sub.add_parser(
        "render",
        help="render an app folder for Argo CD (config-management plugin) or Flux (--target flux)",
        description="Render an app folder (or stdin) and print the processed stream on stdout. "
        "Parameters come from Argo CD's environment (ARGOCD_APP_PARAMETERS, PARAM_*, ARGOCD_ENV_*) "
        "and --param (lowest to highest: defaults, flink-gitops.yaml in the app folder, ARGOCD_ENV_*, "
        "ARGOCD_APP_PARAMETERS or PARAM_*, --param); --list-params lists them; see docs/plugin.md.",
    )
    p.add_argument("path", nargs="?", default=".",
                   help="app folder (default: the current folder), one manifest file, or - for a YAML/JSON "
                        "stream on stdin")
    p.add_argument("--param", "-p", action="append", metavar="NAME=VALUE",
                   help="set a parameter (repeatable); --list-params lists them")
    p.add_argument("--list-params", action="store_true",
                   help="list every parameter with its default and what it does, then exit")
    p.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml", help="output format")
    p.add_argument("--target", choices=("argocd", "flux"), default="argocd",
                   help="argocd (default): the plugin's output; flux: no sync waves, log4j inline, HPA-owned "
                   "replicas handled per --param flux-version (see docs/flux.md)")
    p.add_argument("--explain", action="store_true",
                   help="print on stderr what the render did and why (Argo CD: the sync-wave plan; Flux: what it "
                        "removed and how HPA-owned replicas are handled)")
    p.add_argument("--discover", action="store_true",
                   help="print the file that makes PATH a Flink app, nothing otherwise (the discovery rule of "
                        "the discover-by-content install variant only)")
    p.set_defaults(func=run)


def _flush(ctx, explain: bool) -> None:
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
    """The app folder (its real path, inside its repository), or None for a stream (stdin or one manifest file)."""
    if path == "-" or os.path.isfile(path):
        return None
    from flink_gitops.render.confine import app_folder

    return app_folder(path, os.environ)


def _open_manifest(path: str):
    try:
        return open(path, "rb")
    except OSError as exc:
        raise UserError(Problem(f"cannot read: {exc.strerror}", file=path)) from None


def list_params(target: str = "argocd") -> str:
    """Every parameter, its default for ``target`` and its help (for Argo CD: as plugin.yaml announces them)."""
    from flink_gitops.render.params import PARAMETERS

    overrides: dict = {}
    extra: dict = {}
    if target == "flux":
        from flink_gitops.render.flux_target import FLUX_DEFAULTS, FLUX_PARAMETER_HELP, FLUX_PARAMETERS

        overrides = FLUX_DEFAULTS
        extra = {name: (default, FLUX_PARAMETER_HELP[name]) for name, default in FLUX_PARAMETERS.items()}
    rows = []
    for spec in PARAMETERS:
        default = overrides.get(spec.name, spec.default)
        default = ",".join(default) if isinstance(default, tuple) else default
        choices = f"; one of {', '.join(spec.choices)}" if spec.choices else ""
        rows.append(f"{spec.name}  (default: {default or 'empty'}{choices})")
        rows.append(f"    {spec.title}: {spec.tooltip}")
    for name, (default, text) in extra.items():
        rows.append(f"{name}  (default: {default or 'empty'})")
        rows.append(f"    {text}")
    return "\n".join(rows) + "\n"


def run(args) -> int:
    from flink_gitops.render.api import collect_params, discover, render_text

    if args.list_params:
        sys.stdout.write(list_params(args.target))
        return 0
    env = os.environ
    if args.discover:
        try:
            app_dir = _app_dir(args.path)
        except UserError:  # not a folder of this repository: not ours, and discovery never fails
            return 0
        if app_dir is None:
            raise UserError("--discover needs a folder, not stdin or a file")
        match = discover(app_dir)
        if match:
            sys.stdout.write(match + "\n")
        return 0
    app_dir = _app_dir(args.path)
    if args.target == "flux":
        from flink_gitops.render.flux_target import collect_params as collect_flux_params

        params = collect_flux_params(collect_params, app_dir, env, args.param or [], args.explain)
    else:
        params = collect_params(app_dir, env, args.param or [], args.explain)
    contexts: list = []
    try:
        if app_dir is None and args.path != "-":
            with _open_manifest(args.path) as stream:  # one manifest file, read as a named stream
                text = render_text(None, params, env, args.output, stream, contexts)
        else:
            text = render_text(app_dir, params, env, args.output, sys.stdin, contexts)
    except UserError:
        _flush(contexts[0] if contexts else None, False)
        raise
    _flush(contexts[0], contexts[0].on("explain"))
    from flink_gitops import stdio

    stdio.write(text)
    return 0
