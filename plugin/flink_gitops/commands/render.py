"""``flink-gitops render``: render an app folder for Argo CD (see flink_gitops.render)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "render",
        help="render an app folder for Argo CD (config-management plugin) or Flux (--target flux)",
        description="Render an app folder (or stdin) and print the processed stream on stdout. "
        "Parameters come from Argo CD's environment (ARGOCD_APP_PARAMETERS, PARAM_*, ARGOCD_ENV_*) "
        "and --param; see docs/plugin.md.",
    )
    p.add_argument("path", nargs="?", default=".", help="app folder, or - for a YAML/JSON stream on stdin")
    p.add_argument("--param", "-p", action="append", metavar="NAME=VALUE", help="set a parameter (repeatable)")
    p.add_argument("-o", "--output", choices=("yaml", "json"), default="yaml", help="output format")
    p.add_argument("--target", choices=("argocd", "flux"), default="argocd",
                   help="argocd (default): the plugin's output; flux: no sync waves, log4j inline, HPA-owned "
                   "replicas handled per --param flux-version (see docs/flux.md)")
    p.add_argument("--explain", action="store_true", help="print the sync-wave plan on stderr")
    p.add_argument("--discover", action="store_true",
                   help="print the file that makes PATH a Flink app (Argo CD discovery), nothing otherwise")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from flink_gitops.render.cli import run

    return run(args)
