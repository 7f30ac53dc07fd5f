"""Where the objects come from: a folder of manifests, stdin, ``kustomize build`` or ``helm template``.

Only the configured kustomize/helm binaries are ever executed (found on the sidecar's PATH or
named by ``FLINK_GITOPS_KUSTOMIZE`` / ``FLINK_GITOPS_HELM`` in the sidecar's environment,
never by the Application, whose env and parameters the repository author controls).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Mapping

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import Located
from flink_gitops import manifests
from flink_gitops.manifests import inside, objects_from_text, read_text, relative
from flink_gitops.render.context import RenderContext
from flink_gitops.render.params import parse_size

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: The app's own flink-gitops settings and opt-in marker (see docs/plugin.md).
APP_CONFIG_FILE = "flink-gitops.yaml"
#: Files that sit next to manifests but are not manifests: skipped with a line on stderr.
NOT_MANIFESTS = (*KUSTOMIZATION_FILES, "Chart.yaml", "Chart.lock", "values*.yaml", "values*.yml",
                 APP_CONFIG_FILE, "plugin.yaml")
TOOL_TIMEOUT_SECONDS = 80  # below Argo CD's default ARGOCD_EXEC_TIMEOUT of 90s
#: Helm's own rule for release names (pkg/chartutil ValidateReleaseName), 53 characters at most.
_RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def detect_source(app_dir: str, requested: str) -> str:
    if requested != "auto":
        return requested
    names = set(os.listdir(app_dir))
    if names.intersection(KUSTOMIZATION_FILES):
        return "kustomize"
    if "Chart.yaml" in names:
        return "helm"
    return "directory"


def manifest_files(app_dir: str, ctx: RenderContext | None = None) -> list[str]:
    """The app's manifest files (see :func:`flink_gitops.manifests.manifest_files`), leaving out
    the files that sit next to manifests but are not manifests (noted on ``ctx``)."""
    def note(rel: str) -> None:
        if ctx is not None:
            ctx.note(f"skipped {rel}: not a manifest ({os.path.basename(rel)})")

    return manifests.manifest_files(app_dir, NOT_MANIFESTS, note)


def load_directory(app_dir: str, ctx: RenderContext) -> list[Located]:
    limit = parse_size(str(ctx.param("max-file-size")))
    root = os.path.realpath(app_dir)
    objs: list[Located] = []
    problems: list[Problem] = []
    for path in manifest_files(app_dir, ctx):
        rel = relative(path, root)
        try:
            objs.extend(objects_from_text(read_text(path, rel, limit), rel))
        except UserError as exc:  # keep going: report every broken file at once
            problems.extend(exc.problems)
            objs.extend(exc.partial)
    if problems:
        raise UserError(problems, partial=objs)  # the render still checks what could be read
    return objs


def resolve_tool(name: str, env: Mapping[str, str], ctx: RenderContext) -> str:
    configured = env.get(f"FLINK_GITOPS_{name.upper()}")
    path = configured or shutil.which(name, path=env.get("PATH", os.defpath))
    if not path or not os.access(path, os.X_OK) or os.path.isdir(path):
        what = f"FLINK_GITOPS_{name.upper()}={configured}" if configured else f"{name!r} on PATH"
        raise UserError(Problem(
            f"this app needs `{name}` but {what} was not found",
            file=ctx.app_dir and os.path.basename(ctx.app_dir),
            hint=_missing_tool_hint(name, env, ctx),
        ))
    real = os.path.realpath(path)
    if ctx.repo_root and inside(real, os.path.realpath(ctx.repo_root)):
        raise UserError(Problem(f"refusing to run {path}: it is inside the repository being rendered"))
    return path


def _missing_tool_hint(name: str, env: Mapping[str, str], ctx: RenderContext) -> str:
    """In Argo CD's sidecar (it sets ARGOCD_APP_NAME): the image. Elsewhere, a laptop or CI: how to get the tool,
    or what to pipe into ``render -`` instead."""
    not_plain = (f"(a {'Helm chart' if name == 'helm' else 'kustomization'} is not plain manifests: "
                 "source=directory would not render it)")
    if "ARGOCD_APP_NAME" in env:
        return (f"run the sidecar from the flink-gitops image, which ships {name}, or set FLINK_GITOPS_{name.upper()} "
                f"to the {name} binary in the sidecar {not_plain}")
    folder = os.path.relpath(ctx.app_dir) if ctx.app_dir else "."
    folder = ctx.app_dir if folder.startswith("..") else folder
    if name == "kustomize":  # kubectl carries a kustomize of its own: its build can be piped in
        get = ("install kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/) or set "
               f"FLINK_GITOPS_KUSTOMIZE to its path; or render kubectl's build: kubectl kustomize {folder} | "
               "flink-gitops render -")
    else:
        get = "install helm (https://helm.sh/docs/intro/install/) or set FLINK_GITOPS_HELM to its path"
    return f"{get} (in Argo CD, the flink-gitops sidecar image ships {name}) {not_plain}"


def run_tool(argv: list[str], cwd: str, env: Mapping[str, str], what: str) -> str:
    try:
        proc = subprocess.run(argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=TOOL_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise UserError(Problem(f"`{what}` did not finish within {TOOL_TIMEOUT_SECONDS}s")) from None
    except OSError as exc:
        raise UserError(Problem(f"cannot run `{what}`: {exc.strerror}")) from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = " | ".join(err[-5:]) if err else "no message"
        raise UserError(Problem(f"`{what}` failed with exit code {proc.returncode}: {detail}"))
    try:
        return proc.stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(Problem(f"`{what}` printed something that is not UTF-8")) from None


def load_kustomize(app_dir: str, ctx: RenderContext, env: Mapping[str, str]) -> list[Located]:
    tool = resolve_tool("kustomize", env, ctx)
    text = run_tool([tool, "build", "."], app_dir, env, "kustomize build")
    return objects_from_text(text, "kustomize build")


def load_helm(app_dir: str, ctx: RenderContext, env: Mapping[str, str]) -> list[Located]:
    tool = resolve_tool("helm", env, ctx)
    release = str(ctx.param("helm-release-name")) or ctx.app_name or "release"
    if not (_RELEASE_NAME.fullmatch(release) and len(release) <= 53):  # also: never an option to helm
        raise UserError(Problem(f"{release!r} is not a Helm release name",
                                file="parameter helm-release-name" if ctx.param("helm-release-name") else None,
                                hint="set parameter helm-release-name: lower-case letters, digits, '-' and '.', "
                                     "at most 53 characters"))
    argv = [tool, "template", release, ".", "--include-crds"]
    if ctx.namespace:
        argv += ["--namespace", ctx.namespace]
    if ctx.kube_version:
        argv += ["--kube-version", ctx.kube_version]
    for api in ctx.api_versions:
        argv += ["--api-versions", api]
    root = os.path.realpath(ctx.repo_root or app_dir)
    for values in ctx.param("values-files") or ():
        full = os.path.realpath(os.path.join(app_dir, values))
        if not inside(full, root):
            raise UserError(Problem(f"values file {values!r} is outside the repository", file="parameter values-files"))
        if not os.path.isfile(full):
            raise UserError(Problem(f"values file {values!r} does not exist", file="parameter values-files"))
        argv += ["--values", full]
    text = run_tool(argv, app_dir, env, "helm template")
    return objects_from_text(text, "helm template")


def load_app(app_dir: str, ctx: RenderContext, env: Mapping[str, str]) -> list[Located]:
    kind = detect_source(app_dir, str(ctx.param("source")))
    if kind == "kustomize":
        return load_kustomize(app_dir, ctx, env)
    if kind == "helm":
        return load_helm(app_dir, ctx, env)
    return load_directory(app_dir, ctx)
