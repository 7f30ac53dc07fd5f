"""Where the objects come from: a folder of manifests, stdin, ``kustomize build`` or ``helm template``.

Only the configured kustomize/helm binaries are ever executed (found on the sidecar's PATH or
named by ``FLINK_GITOPS_KUSTOMIZE`` / ``FLINK_GITOPS_HELM`` in the sidecar's environment,
never by the Application, whose env and parameters the repository author controls). What they
may read is checked first (:mod:`flink_gitops.render.confine`); they run under the render's
budget: a time limit, and output counted as it arrives (:mod:`flink_gitops.render.budget`).
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import signal
import subprocess
import time
from typing import Mapping

from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import Located
from flink_gitops import manifests
from flink_gitops.manifests import decode, file_type, inside, objects_from_text, read_bytes, relative
from flink_gitops.render.budget import Budget, OverBudget
from flink_gitops.render.confine import KUSTOMIZATION_FILES, check_helm_inputs, check_kustomize_inputs
from flink_gitops.render.context import RenderContext

#: The app's own flink-gitops settings and opt-in marker (see docs/plugin.md).
APP_CONFIG_FILE = "flink-gitops.yaml"
#: Files that sit next to manifests but are not manifests: skipped with a line on stderr.
NOT_MANIFESTS = (*KUSTOMIZATION_FILES, "Chart.yaml", "Chart.lock", "values*.yaml", "values*.yml",
                 APP_CONFIG_FILE, "plugin.yaml")
#: What is kept of a tool's stderr for the error message (its last lines are what it says).
_STDERR_TAIL = 64 << 10
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


def budgeted_objects(data: bytes | str, shown: str, budget: Budget) -> list[Located]:
    """The objects in ``data`` (read from ``shown``), charged to ``budget``: bytes and lines before
    anything is parsed, objects after. Raises OverBudget past a limit."""
    budget.take_bytes(len(data), shown)
    text = data if isinstance(data, str) else decode(data, shown)
    budget.take_text(text, shown)
    objs = objects_from_text(text, shown, stop_after=budget.objects_left())
    budget.take_objects(len(objs), shown)
    return objs


def read_folder(folder: str, root: str, budget: Budget, ctx: RenderContext | None = None) -> list[Located]:
    """Every object in the manifest files of ``folder``, named relative to ``root``; every broken file
    is reported at once, but a render over its budget stops at the first file past it."""
    objs: list[Located] = []
    problems: list[Problem] = []
    for path in manifest_files(folder, ctx):
        rel = relative(path, root)
        try:
            objs.extend(budgeted_objects(read_bytes(path, rel, budget.file_size), rel, budget))
        except OverBudget:
            raise
        except UserError as exc:  # keep going: report every broken file at once
            problems.extend(exc.problems)
            budget.take_objects(len(exc.partial), rel)
            objs.extend(exc.partial)
    if problems:
        raise UserError(problems, partial=objs)  # the render still checks what could be read
    return objs


def load_directory(app_dir: str, ctx: RenderContext) -> list[Located]:
    return read_folder(app_dir, os.path.realpath(app_dir), ctx.budget, ctx)


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


def run_tool(argv: list[str], cwd: str, env: Mapping[str, str], what: str, budget: Budget | None = None) -> str:
    """The tool's stdout as text. It runs within ``budget``'s tool timeout, and is stopped (with its
    children: it runs in its own process group) as soon as its output passes the bytes the render has
    left, so a runaway tool never fills the sidecar's memory before the budget is checked."""
    budget = budget or Budget.defaults()
    timeout, limit = budget.tool_timeout, budget.bytes_left()
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    except OSError as exc:
        raise UserError(Problem(f"cannot run `{what}`: {exc.strerror}")) from None
    out, err = bytearray(), bytearray()
    deadline = time.monotonic() + timeout
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ, out)
            sel.register(proc.stderr, selectors.EVENT_READ, err)
            while sel.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _too_slow(what, timeout)
                for key, _ in sel.select(left):
                    chunk = os.read(key.fd, 1 << 16)
                    if not chunk:
                        sel.unregister(key.fileobj)
                        continue
                    key.data.extend(chunk)
                    if key.data is err and len(err) > _STDERR_TAIL:
                        del err[:-_STDERR_TAIL]
                    elif key.data is out and len(out) > limit:
                        budget.take_bytes(len(out), what)  # raises OverBudget, naming the tool
            code = proc.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise _too_slow(what, timeout) from None
    finally:
        _stop(proc)
    if code != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        detail = " | ".join(lines[-5:]) if lines else "no message"
        raise UserError(Problem(f"`{what}` failed with exit code {code}: {detail}"))
    budget.take_bytes(len(out), what)
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(Problem(f"`{what}` printed something that is not UTF-8")) from None
    budget.take_text(text, what)
    return text


def _too_slow(what: str, timeout: float) -> UserError:
    return UserError(Problem(f"`{what}` did not finish within {timeout:g}s (parameter tool-timeout; "
                             "the sidecar's ceiling is FLINK_GITOPS_TOOL_TIMEOUT)"))


def _stop(proc: subprocess.Popen) -> None:
    """Kill the tool's process group if anything of it still runs, and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            proc.kill()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    proc.wait()


def _tool_objects(text: str, what: str, budget: Budget) -> list[Located]:
    objs = objects_from_text(text, what, stop_after=budget.objects_left())
    budget.take_objects(len(objs), what)
    return objs


def load_kustomize(app_dir: str, ctx: RenderContext, env: Mapping[str, str]) -> list[Located]:
    tool = resolve_tool("kustomize", env, ctx)
    check_kustomize_inputs(app_dir, ctx.repo_root or app_dir)
    # LoadRestrictionsRootOnly is kustomize's default; said out loud so no configuration turns it off.
    text = run_tool([tool, "build", ".", "--load-restrictor", "LoadRestrictionsRootOnly"], app_dir, env,
                    "kustomize build", ctx.budget)
    return _tool_objects(text, "kustomize build", ctx.budget)


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
        if not os.path.exists(full):
            raise UserError(Problem(f"values file {values!r} does not exist", file="parameter values-files"))
        what = file_type(os.stat(full).st_mode)
        if what is not None:
            raise UserError(Problem(f"values file {values!r} is {what}, not a regular file",
                                    file="parameter values-files"))
        argv += ["--values", full]
    check_helm_inputs(app_dir, root)
    text = run_tool(argv, app_dir, env, "helm template", ctx.budget)
    return _tool_objects(text, "helm template", ctx.budget)


def load_app(app_dir: str, ctx: RenderContext, env: Mapping[str, str]) -> list[Located]:
    kind = detect_source(app_dir, str(ctx.param("source")))
    if kind == "kustomize":
        return load_kustomize(app_dir, ctx, env)
    if kind == "helm":
        return load_helm(app_dir, ctx, env)
    return load_directory(app_dir, ctx)
