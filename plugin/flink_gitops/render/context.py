"""What a render knows about where and for whom it runs, plus the stderr collectors."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Mapping

from flink_gitops.errors import Problem, UserError
from flink_gitops.render.budget import Budget
from flink_gitops.render.params import is_text


@dataclass
class RenderContext:
    params: Mapping[str, object]
    app_dir: str | None  # absolute, real path of the app folder; None when reading stdin
    repo_root: str | None  # absolute, real path of the repository checkout (contains app_dir)
    repo_url: str | None = None  # ARGOCD_APP_SOURCE_REPO_URL, or origin from .git/config
    app_name: str = ""  # the Application's name (Helm's default release name)
    namespace: str = ""  # ARGOCD_APP_NAMESPACE: where objects without a namespace land
    kube_version: str = ""
    api_versions: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)  # the --explain lines of the wave step
    #: What this render may still read and build (the sidecar's ceilings, lowered by parameters).
    budget: Budget = field(default_factory=Budget.defaults)

    def warn(self, message: str | Problem) -> None:
        self.warnings.append(str(message))

    def note(self, message: str) -> None:
        self.notes.append(message)

    def param(self, name: str) -> object:
        return self.params[name]

    def on(self, name: str) -> bool:
        return self.params.get(name) == "true"

    def namespace_of(self, obj: dict) -> str:
        ns = (obj.get("metadata") or {}).get("namespace")
        return ns if isinstance(ns, str) and ns else self.namespace


def normalize_repo_url(url: str) -> str:
    """Same repository, however it is spelled: scheme, user, ``.git``, trailing ``/``, case of host."""
    url = url.strip()
    m = re.fullmatch(r"(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)", url)  # scp-like git@host:org/repo
    if m:
        host, path = m.groups()
    else:
        m = re.fullmatch(r"[a-zA-Z][\w+.-]*://(?:[^@/]*@)?([^/:]+)(?::\d+)?/(.*)", url)
        if not m:
            return url.rstrip("/").removesuffix(".git").lower()
        host, path = m.groups()
    path = path.strip("/").removesuffix(".git").rstrip("/")
    return f"{host.lower()}/{path}"


def _origin_from_git_config(repo_root: str) -> str | None:
    """The ``origin`` remote, read as text (git is never run)."""
    try:
        with open(os.path.join(repo_root, ".git", "config"), encoding="utf-8") as fh:
            text = fh.read(1 << 16)
    except OSError:
        return None
    m = re.search(r'\[remote "origin"\][^\[]*?^\s*url\s*=\s*(\S+)', text, re.M)
    return m.group(1) if m else None


def find_repo_root(app_dir: str, source_path: str | None) -> str:
    """The checkout root: ``app_dir`` minus ``ARGOCD_APP_SOURCE_PATH``, else the nearest ``.git``."""
    if source_path is not None:
        parts = [p for p in source_path.replace("\\", "/").split("/") if p not in ("", ".")]
        if ".." in parts:
            raise UserError(Problem(f"ARGOCD_APP_SOURCE_PATH {source_path!r} leaves the repository"))
        root = app_dir
        for part in reversed(parts):
            if os.path.basename(root) != part:
                # The app folder was reached through a symlink inside the checkout (the working
                # directory arrives resolved), or a local run has a stale variable.
                return _root_leading_here(app_dir, parts) or app_dir
            root = os.path.dirname(root)
        return root
    probe = app_dir
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return app_dir
        probe = parent


def _root_leading_here(app_dir: str, parts: list[str]) -> str | None:
    """The nearest folder above ``app_dir`` from which the source path resolves to ``app_dir``."""
    real = os.path.realpath(app_dir)
    probe = os.path.dirname(app_dir)
    while True:
        if os.path.realpath(os.path.join(probe, *parts)) == real:
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return None
        probe = parent


def _name_part(app_name: str) -> str:
    """The Application's name without its namespace: Argo CD passes ``<namespace>_<name>`` for an app
    outside its own namespace, and its Helm uses the name part as the release name
    (reposerver ``helmTemplate``: ``argo.ParseInstanceName``); an underscore is no release name."""
    namespace, sep, name = app_name.partition("_")
    return name if sep else namespace


def build_context(params: Mapping[str, object], app_dir: str | None, env: Mapping[str, str]) -> RenderContext:
    for name in _ENV_IN_OUTPUT:
        if not is_text(env.get(name, "")):
            raise UserError(Problem("not valid UTF-8 text", file=name))
    repo_root = None
    repo_url = env.get("ARGOCD_APP_SOURCE_REPO_URL") or None
    if app_dir is not None:
        repo_root = find_repo_root(app_dir, env.get("ARGOCD_APP_SOURCE_PATH"))
        if repo_url is None:
            repo_url = _origin_from_git_config(repo_root)
    api_versions = tuple(v for v in env.get("KUBE_API_VERSIONS", "").split(",") if v)
    return RenderContext(
        params=params,
        app_dir=app_dir,
        repo_root=repo_root,
        repo_url=repo_url,
        app_name=_name_part(env.get("ARGOCD_APP_NAME", "")) or (os.path.basename(app_dir) if app_dir else ""),
        namespace=env.get("ARGOCD_APP_NAMESPACE", ""),
        kube_version=env.get("KUBE_VERSION", ""),
        api_versions=api_versions,
        budget=Budget.of(params, env),
    )


#: Variables whose text can reach the output or a tool's command line.
_ENV_IN_OUTPUT = ("ARGOCD_APP_NAME", "ARGOCD_APP_NAMESPACE", "ARGOCD_APP_SOURCE_REPO_URL", "ARGOCD_APP_SOURCE_PATH",
                  "KUBE_VERSION", "KUBE_API_VERSIONS")
