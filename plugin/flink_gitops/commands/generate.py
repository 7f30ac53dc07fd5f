"""``flink-gitops generate``: rewrite generated files from their single source of truth.

* ``lua``: lua/flink.apache.org/<Kind>/health.lua (from the decision tables) and the
  resource actions (from their one definition).
* ``docs``: docs/health.md, docs/validation.md's rule index and docs/compatibility.md's operator releases.
* ``bundle``: argocd/argocd-cm.yaml and argocd/helm-values.yaml.
* ``flux``: flux/healthcheckexprs.yaml and the patch of the flux/health-checks Component.
* ``monitoring``: the Prometheus rules (a plain rule file and the monitoring Component's
  PrometheusRule) and the Grafana dashboard (deploy/grafana/flink-gitops.json).
* ``argocd-cm``: print the argocd-cm data (health, actions, ignoreDifferences, links) to stdout, for
  installs that manage argocd-cm themselves.
* ``all``: lua, docs, bundle, flux and monitoring. ``--check`` writes nothing and fails when a file is stale.

``--health-service-url URL`` (``bundle`` and ``argocd-cm``): add a deep link from every Flink resource to
the health service's dashboard at URL. The committed bundle has none.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flink_gitops.errors import Problem, UserError

TARGETS = ("lua", "docs", "bundle", "flux", "monitoring", "argocd-cm", "all")


def register(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="write generated files (Lua, docs, Argo CD bundle, Flux health checks) or print argocd-cm",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
    )
    p.add_argument("target", choices=TARGETS, help="what to generate")
    p.add_argument("--root", "--out", dest="root", metavar="DIR",
                   help="the flink-gitops checkout to write into (default: the checkout that holds the current "
                        "folder; outside one, this is required)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated file is stale")
    p.add_argument("--health-service-url", metavar="URL",
                   help="bundle and argocd-cm: add an Argo CD deep link (resource.links) from every Flink resource "
                        "to the health service's dashboard at URL")
    p.set_defaults(func=_run)


def generated_files(target: str, root: Path, health_service_url: str | None = None) -> dict[str, str]:
    """Repo-relative path -> expected text for a target."""
    files: dict[str, str] = {}
    if target in ("lua", "all"):
        from flink_gitops.argocd.actions import generate_action_files
        from flink_gitops.argocd.health_lua import generate_health_files

        files.update(generate_health_files())
        files.update(generate_action_files())
    if target in ("docs", "all"):
        from flink_gitops.health.docs import generate_health_doc
        from flink_gitops.render.validation.docs import generate_compatibility_doc, generate_validation_doc

        files["docs/health.md"] = generate_health_doc()
        files["docs/validation.md"] = generate_validation_doc(root)
        files["docs/compatibility.md"] = generate_compatibility_doc(root)
    if target in ("bundle", "all"):
        from flink_gitops.argocd.bundle import generate_bundle_files

        files.update(generate_bundle_files(root, health_service_url))
    if target in ("flux", "all"):
        from flink_gitops.flux.files import generate_flux_files

        files.update(generate_flux_files())
    if target in ("monitoring", "all"):
        from flink_gitops.service.observability import generate_monitoring_files

        files.update(generate_monitoring_files())
    return files


def find_checkout(start: Path) -> Path | None:
    """The flink-gitops checkout holding ``start``, found as git finds its work tree: upwards."""
    for folder in (start, *start.parents):
        project = folder / "pyproject.toml"
        if project.is_file() and 'name = "flink-gitops"' in project.read_text(encoding="utf-8", errors="replace"):
            return folder
    return None


def _root(args) -> Path:
    if args.root is not None:
        root = Path(args.root)
        if not root.is_dir():
            raise UserError(Problem("no such folder", file=args.root, hint="--root names an existing folder"))
        return root
    found = find_checkout(Path.cwd().resolve())
    if found is None:
        raise UserError(Problem(
            "not inside a flink-gitops checkout: generated files belong in one (lua/, docs/, argocd/)",
            hint="run it in the checkout, or name the folder to write into with --root DIR"))
    return found


def _run(args) -> int:
    url = getattr(args, "health_service_url", None)
    if url is not None and args.target not in ("bundle", "argocd-cm"):
        raise UserError(Problem("--health-service-url goes with the bundle or argocd-cm targets",
                                hint="flink-gitops generate bundle --health-service-url URL"))
    if args.target == "argocd-cm":
        from flink_gitops.argocd.bundle import generate_argocd_cm_text

        sys.stdout.write(generate_argocd_cm_text(url, printed=True))
        return 0
    root = _root(args)
    files = generated_files(args.target, root, url)
    stale = []
    for rel, text in sorted(files.items()):
        path = root / rel
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        stale.append(rel)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "stale" if args.check else "wrote"
    for rel in stale:
        print(f"flink-gitops generate: {verb} {rel}", file=sys.stderr)
    if args.check and stale:
        print("flink-gitops generate: run `flink-gitops generate all` and commit the result", file=sys.stderr)
        return 1
    if not stale:
        print(f"flink-gitops generate: {len(files)} file(s) up to date", file=sys.stderr)
    return 0
