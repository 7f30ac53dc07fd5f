"""Manifest files, folders and streams to Kubernetes objects: the one reader and walker every command uses.

Folders are walked in one way (suffixes, hidden names, symlinks, only regular files); files and
streams are read under a size limit; YAML aliases are bounded by :mod:`flink_gitops.yamlio`. A document must be a
Kubernetes object (apiVersion, kind, a name, string labels and annotations, as the API server
would insist); ``List`` kinds are flattened into their items. Every problem names file, document
(and List item) and field.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import sys
from typing import Callable, Iterator

from flink_gitops import yamlio
from flink_gitops.errors import Problem, UserError
from flink_gitops.flink import Located

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
#: Discovery also looks into Helm templates, which are not YAML until rendered.
DISCOVERY_SUFFIXES = (*MANIFEST_SUFFIXES, ".tpl")
#: The limit for ``flink-gitops health`` inputs (render has its parameter max-file-size).
MAX_INPUT_BYTES = 16 * 1024 * 1024
OUTSIDE = "symlink points outside the app folder; refusing it"
OUTSIDE_FIX = "put a copy of what it points to in the app folder"
NOT_REGULAR_FIX = "remove it; only regular files are read"
#: How much of a stream is read at a time: never a buffer the size of the limit up front.
_CHUNK = 1 << 20


def file_type(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO", "a socket", ...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def not_regular(path: str) -> str | None:
    """What ``path`` is when it is not a regular file (symlinks followed; nothing is opened), or None.
    A path that cannot be looked at is left to whoever opens it, to report as it can."""
    try:
        return file_type(os.stat(path).st_mode)
    except OSError:
        return None


def inside(path: str, root: str) -> bool:
    """True when ``path`` is ``root`` or below it (both already resolved)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def relative(path: str, root: str) -> str:
    return os.path.relpath(path, root).replace(os.sep, "/")


def walk(folder: str, suffixes: tuple[str, ...] = MANIFEST_SUFFIXES, refuse_outside: bool = True,
         skip: tuple[str, ...] = (), on_skip: Callable[[str], None] | None = None) -> Iterator[str]:
    """Files under ``folder`` with one of ``suffixes``, top-down, each folder's names sorted.

    Hidden files and folders are skipped; symlinked folders are not followed (they could loop).
    A file whose name matches a ``skip`` pattern is left out (and its relative path reported to
    ``on_skip``) before anything else: it is never read, so where it points does not matter.
    A symlink whose target resolves outside ``folder``, or a name that is not a regular file (a FIFO
    would hang the read, a device never end), raises UserError, or with ``refuse_outside=False`` is
    passed over in silence. Nothing is opened to decide.
    """
    root = os.path.realpath(folder)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        if refuse_outside:
            for d in dirnames:
                full = os.path.join(dirpath, d)
                if os.path.islink(full) and not inside(os.path.realpath(full), root):
                    raise UserError(Problem(OUTSIDE, file=relative(full, root), hint=OUTSIDE_FIX))
        for name in sorted(filenames):
            if name.startswith(".") or not name.endswith(suffixes):
                continue
            full = os.path.join(dirpath, name)
            if any(fnmatch.fnmatchcase(name, pat) for pat in skip):
                if on_skip is not None:
                    on_skip(relative(full, root))
                continue
            if not inside(os.path.realpath(full), root):
                if refuse_outside:
                    raise UserError(Problem(OUTSIDE, file=relative(full, root), hint=OUTSIDE_FIX))
                continue
            what = not_regular(full)
            if what is not None:
                if refuse_outside:
                    raise UserError(Problem(f"{what}, not a regular file; refusing to read it",
                                            file=relative(full, root), hint=NOT_REGULAR_FIX))
                continue
            yield full


def manifest_files(folder: str, skip: tuple[str, ...] = (), on_skip: Callable[[str], None] | None = None) -> list[str]:
    """Manifest files under ``folder``, recursively, sorted by relative path; names matching a
    ``skip`` pattern are left out (and reported to ``on_skip`` with their relative path)."""
    root = os.path.realpath(folder)
    return sorted(walk(root, skip=skip, on_skip=on_skip), key=lambda p: relative(p, root))


def read_stream(stream, shown: str, max_bytes: int) -> str:
    """A whole stream (stdin) as UTF-8 text, refused above ``max_bytes``.

    Bytes are decoded here, strictly: the console's own decoding would smuggle invalid bytes in
    as surrogates that fail later, far from where they came in.
    """
    raw = getattr(stream, "buffer", None)
    data = _read_bounded(raw if raw is not None else stream, max_bytes)
    if len(data) > max_bytes:
        raise UserError(Problem(f"input is above the limit of {max_bytes:,} bytes (parameter max-file-size)",
                                file=shown))
    if isinstance(data, str):  # a text stream without bytes underneath (tests, embedding callers)
        return data
    return decode(data, shown)


def _read_bounded(fh, max_bytes: int):
    """At most ``max_bytes + 1`` from ``fh`` (bytes or str, as it gives), in chunks: a large limit
    is never allocated up front, and one byte past it is enough to know the input is too large."""
    parts = []
    size = 0
    while size <= max_bytes:
        part = fh.read(min(_CHUNK, max_bytes + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    if len(parts) == 1:
        return parts[0]
    return (b"" if not parts or isinstance(parts[0], bytes) else "").join(parts)


def decode(data: bytes, shown: str) -> str:
    """UTF-8 text (a BOM dropped), strictly: anything else is a UserError naming ``shown``."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        binary = b"\0" in data[:8192]
        what = "a binary file, not text" if binary else f"not UTF-8 text (byte {exc.start})"
        hint = ("remove it from the app folder, or name it with a suffix other than .yaml/.yml/.json"
                if binary else "save the file as UTF-8")
        raise UserError(Problem(what, file=shown, hint=hint)) from None


def read_objects(args: list[str], max_bytes: int = MAX_INPUT_BYTES) -> list[Located]:
    """Every object in files, folders (recursively) or ``-``/nothing for stdin, read for their
    health (no name needed; ``List`` kinds flattened). Raises UserError with every problem.

    An empty List (``kubectl get`` in an empty namespace) gives no objects; input with no document
    at all is an error: it is what a failed ``kubectl get`` leaves in a pipe.
    """
    out: list[Located] = []
    problems: list[Problem] = []
    documents = False
    for arg in args or ["-"]:
        try:
            text_of = _sources(arg, max_bytes)
            for name, read in text_of:
                try:
                    text = read()
                    found = objects_from_text(text, name, applicable=False)
                    documents = documents or bool(found) or any(True for _ in yamlio.iter_documents(text, name))
                    out.extend(found)
                except UserError as exc:  # keep going: report every broken file at once
                    problems.extend(exc.problems)
        except UserError as exc:
            problems.extend(exc.problems)
    if problems:
        raise UserError(problems)
    if not documents:
        raise UserError(Problem(
            "no YAML or JSON document to read", file=", ".join("<stdin>" if a == "-" else a for a in args or ["-"]),
            hint="if a command is piped in, it printed nothing: did it fail? (kubectl get -o yaml prints an "
                 "empty List, not nothing, when there is nothing to list)"))
    return out


def _sources(arg: str, max_bytes: int) -> list[tuple[str, Callable[[], str]]]:
    if arg == "-":
        return [("<stdin>", lambda: read_stream(sys.stdin, "<stdin>", max_bytes))]
    if os.path.isdir(arg):
        root = os.path.realpath(arg)
        files = [(os.path.normpath(os.path.join(arg, relative(f, root))), f) for f in manifest_files(arg)]
        return [(shown, lambda f=f, shown=shown: read_text(f, shown, max_bytes)) for shown, f in files]
    if not os.path.exists(arg):
        raise UserError(Problem("no such file or directory", file=arg))
    return [(arg, lambda: read_text(arg, arg, max_bytes, streams=True))]


def read_text(path: str, shown: str, max_bytes: int, streams: bool = False) -> str:
    """A file as UTF-8 text, refused above ``max_bytes``; see :func:`read_bytes`."""
    return decode(read_bytes(path, shown, max_bytes, streams), shown)


def read_bytes(path: str, shown: str, max_bytes: int, streams: bool = False) -> bytes:
    """A regular file's bytes, refused above ``max_bytes``. A FIFO, socket or device is refused by
    its name before it is opened, unless ``streams`` (a path the user named on the command line, such
    as ``<(kubectl get ...)``): then it is read as a stream, under the same limit."""
    try:
        st = os.stat(path)
        what = file_type(st.st_mode)
        if what is not None and (not streams or what == "a folder"):
            raise UserError(Problem(f"{what}, not a regular file; refusing to read it", file=shown,
                                    hint=NOT_REGULAR_FIX))
        if what is None and st.st_size > max_bytes:
            raise UserError(Problem(f"file is {st.st_size:,} bytes, above the limit of {max_bytes:,} "
                                    "(parameter max-file-size)", file=shown))
        # O_NONBLOCK: a file swapped for a FIFO since the stat above must not hang the open.
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | (0 if streams else os.O_NONBLOCK))
        with os.fdopen(fd, "rb") as fh:
            if what is None and file_type(os.fstat(fd).st_mode) is not None:
                raise UserError(Problem("changed into something other than a regular file while it was read",
                                        file=shown, hint=NOT_REGULAR_FIX))
            data = _read_bounded(fh, max_bytes)
    except OSError as exc:
        raise UserError(Problem(f"cannot read: {exc.strerror}", file=shown)) from None
    if len(data) > max_bytes:  # grew while we looked, or a stream
        raise UserError(Problem(f"file is above the limit of {max_bytes:,} bytes (parameter max-file-size)",
                                file=shown))
    return data


def objects_from_text(text: str, source: str, applicable: bool = True, stop_after: int | None = None) -> list[Located]:
    """Every Kubernetes object in a YAML/JSON stream; ``List`` kinds are flattened into their items.

    ``applicable``: also insist on what the API server would (a name, string labels and
    annotations). Off for objects that are only read, e.g. to assess their health.
    ``stop_after``: stop parsing once more objects than this are found (the caller's budget is
    spent: the rest of the stream is not worth its time), and return what was found.
    """
    out: list[Located] = []
    problems: list[Problem] = []
    for index, doc in _documents_up_to_error(text, source, problems):
        if stop_after is not None and len(out) > stop_after:
            return out
        if not isinstance(doc, dict):
            problems.append(Problem(f"expected a Kubernetes object (a mapping), got a {type(doc).__name__}",
                                    file=source, document=index))
            continue
        if _is_list_kind(doc):
            items = doc.get("items")
            if items is not None and not isinstance(items, list):
                problems.append(Problem(f"items of a {doc['kind']} must be a list, got a {type(items).__name__}",
                                        file=source, document=index))
                continue
            for i, item in enumerate(items or []):
                loc = Located(item if isinstance(item, dict) else {}, source, index, i)
                if _check_object(item, loc, problems, applicable):
                    out.append(loc)
            continue
        loc = Located(doc, source, index)
        if _check_object(doc, loc, problems, applicable):
            out.append(loc)
    if problems:
        raise UserError(problems, partial=out)
    return out


def _documents_up_to_error(text: str, source: str, problems: list[Problem]) -> Iterator[tuple[int, object]]:
    """The documents of ``text`` up to the first that does not parse, whose problem goes to ``problems``
    (the parser cannot find its feet after it): the ones before it are still checked."""
    documents = yamlio.iter_documents(text, source)
    while True:
        try:
            yield next(documents)
        except StopIteration:
            return
        except UserError as exc:
            problems.extend(exc.problems)
            return


def _is_list_kind(doc: dict) -> bool:
    kind = doc.get("kind")
    return kind == "List" or (isinstance(kind, str) and kind.endswith("List") and isinstance(doc.get("items"), list))


def _check_object(doc: object, loc: Located, problems: list[Problem], applicable: bool) -> bool:
    if not isinstance(doc, dict):
        problems.append(Problem(f"List item {(loc.item or 0) + 1} is not a mapping", file=loc.file,
                                document=loc.document))
        return False
    missing = [k for k in ("apiVersion", "kind") if not (isinstance(doc.get(k), str) and doc.get(k))]
    if missing:
        where = f"List item {loc.item + 1}: " if loc.item is not None else ""
        problems.append(Problem(
            f"{where}not a Kubernetes object: no {' and no '.join(missing)}", file=loc.file, document=loc.document,
            hint="every document must be a Kubernetes object; move other YAML out of the app folder",
        ))
        return False
    if not applicable:
        return True
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if name is not None and not isinstance(name, str):
        shown = "true" if name is True else "false" if name is False else name
        problems.append(loc.problem(f"must be a string, got {shown!r}", "metadata.name", f'quote it: "{shown}"'))
        return False
    if not isinstance(meta, dict) or not (name or isinstance(meta.get("generateName"), str)):
        problems.append(loc.problem("missing: every object needs a name", "metadata.name"))
        return False
    ok = True
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is None:
            continue
        if not isinstance(value, dict):
            problems.append(loc.problem(f"must be a mapping of strings, got a {type(value).__name__}",
                                        f"metadata.{field}"))
            ok = False
            continue
        for key, item in value.items():
            if not isinstance(item, str):
                # The API server refuses it ("cannot unmarshal number into ... of type string").
                shown = "true" if item is True else "false" if item is False else item
                problems.append(loc.problem(f"value {shown!r} is not a string", f"metadata.{field}[{key}]",
                                            f'quote it: "{shown}"' if item is not None else "give it a text value"))
                ok = False
    return ok
