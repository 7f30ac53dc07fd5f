"""What a render may read: an app folder inside its repository, and kustomize/helm inputs that stay there.

In Argo CD's sidecar every app's checkout sits in the same ``/tmp``: a path that leaves the
repository can read another app's files. So the real path of the app folder, of every path a
kustomization names, and of everything a Helm chart folder holds (helm follows symlinks) must be
inside the repository root, and files must be regular files (a FIFO would hang the tool).

Kustomize is checked here, not left to its load restrictor: ``LoadRestrictionsRootOnly`` (its
default, which the plugin also passes) refuses a *file* outside the kustomization's own folder,
symlinks resolved, but accepts a *directory* base anywhere (``resources: [../../../elsewhere]``).
The walk below follows the kustomization graph as kustomize would and checks every local path
it names; remote bases (URLs) are kustomize's to fetch, and kustomize keeps what a cloned base
reads inside its clone.
"""

from __future__ import annotations

import os
from typing import Iterator, Mapping

from flink_gitops import yamlio
from flink_gitops.errors import Problem, UserError
from flink_gitops.manifests import file_type, inside, read_text, relative
from flink_gitops.render.context import find_repo_root

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: Kustomization fields holding lists of paths (files or folders), and those holding {path: ...} entries.
_PATH_LISTS = ("resources", "bases", "components", "crds", "configurations", "generators", "transformers",
               "validators", "patchesStrategicMerge")
_PATH_ENTRIES = ("patches", "patchesJson6902", "replacements")
_GENERATORS = ("configMapGenerator", "secretGenerator")
#: Enough for any real overlay tree; a bound on the walk whatever the repository holds.
MAX_KUSTOMIZATIONS = 1000
MAX_CHART_ENTRIES = 100_000
_KUSTOMIZATION_BYTES = 1 << 20


def app_folder(path: str, env: Mapping[str, str]) -> str:
    """The real path of the app folder ``path``, refused when it leaves the repository root.

    The root is found from the path as given, symlinks unresolved (``ARGOCD_APP_SOURCE_PATH``
    taken off its end, else the nearest ``.git`` above it); a relative path is read from ``$PWD``
    when that names the working directory, as a shell sets it. Argo CD's cmp-server gives the
    working directory already resolved, and cannot give a symlink out: it re-points every symlink
    it unpacks inside the checkout (util/io/files/tar.go ``Untgz``).
    """
    real = os.path.realpath(path)
    if not os.path.isdir(real):
        raise UserError(Problem("no such file or folder", file=path,
                                hint="pass the app folder, a manifest file, or - to read stdin"))
    logical = _logical(path, env)
    root = os.path.realpath(find_repo_root(logical, env.get("ARGOCD_APP_SOURCE_PATH")))
    if not inside(real, root):
        raise UserError(Problem(
            f"the app folder is {real}, outside the repository {root}: it, or a folder above it, is a symlink "
            "out of the repository; refusing it", file=path,
            hint="point the Application at a folder of this repository"))
    return real


def _logical(path: str, env: Mapping[str, str]) -> str:
    if os.path.isabs(path):
        return os.path.normpath(path)
    cwd = os.getcwd()
    pwd = env.get("PWD", "")
    try:
        if os.path.isabs(pwd) and os.path.samefile(pwd, cwd):
            cwd = pwd
    except OSError:
        pass
    return os.path.normpath(os.path.join(cwd, path))


def _outside(what: str, name: str, real: str, root: str, shown: str) -> Problem:
    return Problem(f"{what} {name!r} is {real}, outside the repository {root}; refusing it", file=shown,
                   hint="kustomize and helm may read only this repository: copy it into the repository, or refer "
                        "to a remote base by its URL")


# --- kustomize ------------------------------------------------------------------------------

def kustomization_file(folder: str) -> str | None:
    for name in KUSTOMIZATION_FILES:
        full = os.path.join(folder, name)
        if os.path.lexists(full):
            return full
    return None


def _is_remote(entry: str) -> bool:
    """A kustomize remote target (git URL or HTTP file), which kustomize fetches, not a local path."""
    return "://" in entry or entry.startswith(("git@", "github.com/", "gitlab.com/", "bitbucket.org/")) or \
        "?ref=" in entry or "?version=" in entry


def _paths(doc: dict) -> Iterator[tuple[str, str, bool]]:
    """(field, path, may be a folder) for every local path a kustomization names."""
    for field in _PATH_LISTS:
        for entry in doc.get(field) or []:
            # an inline patch or config in these lists is YAML text, not a path
            if isinstance(entry, str) and "\n" not in entry and not _is_remote(entry):
                yield field, entry, field in ("resources", "bases", "components", "generators", "transformers",
                                              "validators")
    for field in _PATH_ENTRIES:
        for entry in doc.get(field) or []:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                yield field, entry["path"], False
    openapi = doc.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        yield "openapi", openapi["path"], False
    for field in _GENERATORS:
        for gen in doc.get(field) or []:
            if not isinstance(gen, dict):
                continue
            for entry in gen.get("files") or []:
                if isinstance(entry, str):  # [key=]path
                    yield f"{field}.files", entry.split("=", 1)[-1] if "=" in entry else entry, False
            for entry in gen.get("envs") or []:
                if isinstance(entry, str):
                    yield f"{field}.envs", entry, False
            if isinstance(gen.get("env"), str):
                yield f"{field}.env", gen["env"], False


def check_kustomize_inputs(app_dir: str, repo_root: str) -> None:
    """Every local path of the kustomization in ``app_dir``, and of the kustomizations it reaches, stays
    inside ``repo_root`` and is a regular file or a folder. Raises UserError with every problem."""
    root = os.path.realpath(repo_root)
    problems: list[Problem] = []
    seen: set[str] = set()
    pending = [os.path.realpath(app_dir)]
    while pending:
        folder = pending.pop()
        if folder in seen:
            continue
        seen.add(folder)
        if len(seen) > MAX_KUSTOMIZATIONS:
            raise UserError(Problem(f"more than {MAX_KUSTOMIZATIONS} kustomizations reached from the app folder",
                                    file=relative(app_dir, root)))
        found = kustomization_file(folder)
        if found is None:
            continue  # kustomize reports a folder without a kustomization itself
        shown = relative(found, root)
        real = os.path.realpath(found)
        if not inside(real, root):
            problems.append(_outside("the kustomization", os.path.basename(found), real, root, shown))
            continue
        doc = _read_kustomization(found, shown)
        if not isinstance(doc, dict):
            continue  # kustomize says what is wrong with it
        for field, entry, folder_ok in _paths(doc):
            full = os.path.normpath(os.path.join(folder, entry))
            target = os.path.realpath(full)
            if not inside(target, root):
                problems.append(_outside(f"{field} entry", entry, target, root, shown))
                continue
            try:
                mode = os.stat(target).st_mode
            except OSError:
                continue  # missing: kustomize reports it
            what = file_type(mode)
            if what == "a folder" and folder_ok:
                pending.append(target)
            elif what is not None and what != "a folder":
                problems.append(Problem(f"{field} entry {entry!r} is {what}, not a regular file; refusing it",
                                        file=shown, hint="remove it; only regular files are read"))
    if problems:
        raise UserError(problems)


def _read_kustomization(path: str, shown: str) -> object:
    """The kustomization's document (read_text refuses a FIFO or device before opening it)."""
    docs = yamlio.load_documents(read_text(path, shown, _KUSTOMIZATION_BYTES), shown)
    return docs[0][1] if docs else None


# --- helm -----------------------------------------------------------------------------------

def check_helm_inputs(app_dir: str, repo_root: str) -> None:
    """Everything in the chart folder ``app_dir``, as helm loads it (every file, symlinks followed),
    is inside ``repo_root`` and a regular file or folder. Raises UserError with every problem."""
    root = os.path.realpath(repo_root)
    top = os.path.realpath(app_dir)
    problems: list[Problem] = []
    seen: set[str] = set()
    count = 0
    pending = [top]
    while pending:
        folder = pending.pop()
        if folder in seen:
            continue
        seen.add(folder)
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            raise UserError(Problem(f"cannot read: {exc.strerror}", file=relative(folder, root))) from None
        for name in names:
            if name == ".git" and folder == top:
                continue  # git's own metadata when the chart is the checkout root
            count += 1
            if count > MAX_CHART_ENTRIES:
                raise UserError(Problem(f"the chart folder holds more than {MAX_CHART_ENTRIES:,} files",
                                        file=relative(top, root)))
            full = os.path.join(folder, name)
            real = os.path.realpath(full)
            shown = relative(full, root)
            if not inside(real, root):
                problems.append(_outside("the chart's file", name, real, root, shown))
                continue
            try:
                what = file_type(os.stat(real).st_mode)
            except OSError:
                continue  # a dangling symlink: helm reports it
            if what == "a folder":
                pending.append(real)
            elif what is not None:
                problems.append(Problem(f"{what}, not a regular file; refusing it", file=shown,
                                        hint="remove it from the chart; only regular files are read"))
    if problems:
        raise UserError(problems)
