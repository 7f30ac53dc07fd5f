#!/usr/bin/env python3
"""The maintainer's release helper: reads the one version, checks every file that names it, bumps it, and
prints a release's notes from CHANGELOG.md (standard library only, so a bare CI runner can run it).

    python tools/release.py version                 # flink_gitops.__version__
    python tools/release.py check [--tag vX.Y.Z]    # every reference agrees; CHANGELOG has the section
    python tools/release.py notes [X.Y.Z]           # that section's text, for the GitHub release
    python tools/release.py bump X.Y.Z              # set the version everywhere, date the Unreleased section

Exit codes: 0 fine, 1 a check failed (one line per problem), 2 bad usage. See docs/releasing.md.
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION_FILE = "plugin/flink_gitops/__init__.py"
CHANGELOG = "CHANGELOG.md"
_VERSION_LINE = re.compile(r'^__version__ = "(?P<v>[^"]*)"$', re.M)
#: Releases are X.Y.Z: the same string is a PEP 440 version (PyPI), a semver (the image tags) and the tag's tail.
RELEASE = re.compile(r"\d+\.\d+\.\d+")
_V = r"(?P<v>\d+\.\d+\.\d+)"

#: Files that may name flink-gitops's own version. CHANGELOG.md names every past version and is checked apart.
SCANNED = ("README.md", "docs/*.md", "Dockerfile", "argocd/**/*.yaml", "deploy/**/*.yaml", "flux/**/*.yaml",
           "plugin/plugin.yaml")

#: How a file names flink-gitops's version (group ``v``). Other software's versions never match.
REFERENCES = {
    "a Git ref of this repository": re.compile(r"flink-gitops/flink-gitops//[^\s'\"]*\?ref=v" + _V),
    "an image tag": re.compile(r"\bflink-gitops:v?" + _V + r"\b"),
    "a kustomize image tag": re.compile(
        r"name:\s*[\"']?[\w./-]*flink-gitops[\"']?[ \t]*\n(?:[ \t]+(?!-)[\w-]+:[^\n]*\n)*?[ \t]+newTag:\s*[\"']?" + _V),
    "the image's VERSION build argument": re.compile(r"\bVERSION=" + _V + r"\b"),
    "what `flink-gitops --version` prints": re.compile(r"^flink-gitops " + _V + r"$", re.M),
    "a pip pin": re.compile(r"\bflink-gitops(?:\[[\w,]+\])?==" + _V),
}


class Refused(Exception):
    """Bad usage or a state the command cannot work from: one line, exit 2."""


@dataclass(frozen=True)
class Reference:
    path: str
    line: int
    what: str
    version: str
    start: int
    end: int


def read_version(root: Path = ROOT) -> str:
    match = _VERSION_LINE.search((root / VERSION_FILE).read_text(encoding="utf-8"))
    if match is None:
        raise Refused(f"{VERSION_FILE}: no line `__version__ = \"X.Y.Z\"`")
    return match["v"]


def scanned_files(root: Path) -> list[Path]:
    files = {p for pattern in SCANNED for p in root.glob(pattern) if p.is_file()}
    return sorted(files)


def references(root: Path = ROOT) -> list[Reference]:
    """Every place a scanned file names flink-gitops's version, in file order."""
    found = []
    for path in scanned_files(root):
        text = path.read_text(encoding="utf-8")
        for what, pattern in REFERENCES.items():
            for m in pattern.finditer(text):
                found.append(Reference(path.relative_to(root).as_posix(), text.count("\n", 0, m.start("v")) + 1,
                                       what, m["v"], m.start("v"), m.end("v")))
    return sorted(found, key=lambda r: (r.path, r.start))


def _heading(version: str) -> re.Pattern:
    return re.compile(r"^## \[" + re.escape(version) + r"\](?P<date> - \d{4}-\d{2}-\d{2})?[ \t]*$", re.M)


def changelog_section(text: str, version: str) -> str | None:
    """The body under ``## [version] - date`` (or ``## [Unreleased]``), up to the next section; None if absent."""
    match = _heading(version).search(text)
    if match is None:
        return None
    rest = text[match.end():]
    end = re.search(r"^## \[|^\[[^\]]+\]: ", rest, re.M)
    return (rest[:end.start()] if end else rest).strip()


def check(root: Path = ROOT, tag: str | None = None) -> list[str]:
    """Problems that stop a release: one line each, naming the file and line."""
    version = read_version(root)
    problems = []
    if not RELEASE.fullmatch(version):
        problems.append(f"{VERSION_FILE}: version {version!r} is not X.Y.Z")
    refs = references(root)
    if not refs:
        problems.append("no file names the version (README.md, docs/, argocd/, deploy/, Dockerfile): "
                        "the patterns in tools/release.py no longer match the docs")
    for ref in refs:
        if ref.version != version:
            problems.append(f"{ref.path}:{ref.line}: {ref.what} names {ref.version}, the package is {version}")
    changelog = (root / CHANGELOG).read_text(encoding="utf-8") if (root / CHANGELOG).is_file() else None
    if changelog is None:
        problems.append(f"{CHANGELOG}: missing")
    else:
        if changelog_section(changelog, "Unreleased") is None:
            problems.append(f"{CHANGELOG}: no `## [Unreleased]` section (Keep a Changelog)")
        heading = _heading(version).search(changelog)
        if heading is None or not heading["date"]:
            problems.append(f"{CHANGELOG}: no `## [{version}] - YYYY-MM-DD` section for the package's version "
                            f"(`make bump TO={version}` writes it)")
        elif not changelog_section(changelog, version):
            problems.append(f"{CHANGELOG}: the [{version}] section is empty")
        elif not re.search(r"^\[" + re.escape(version) + r"\]: \S+", changelog, re.M):
            problems.append(f"{CHANGELOG}: no link definition `[{version}]: URL` at the end")
    if tag is not None and tag != f"v{version}":
        problems.append(f"tag {tag} does not name the package's version: expected v{version}")
    return problems


def notes(root: Path, version: str) -> str:
    text = (root / CHANGELOG).read_text(encoding="utf-8")
    body = changelog_section(text, version)
    if not body:
        raise Refused(f"{CHANGELOG}: no section, or an empty one, for {version}")
    return body + "\n"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def bump(root: Path, new: str, today: datetime.date) -> list[str]:
    """Set ``new`` as the version everywhere and turn CHANGELOG's Unreleased section into ``## [new] - today``.
    Returns the files changed."""
    old = read_version(root)
    if not RELEASE.fullmatch(new):
        raise Refused(f"{new!r} is not X.Y.Z")
    if _key(new) <= _key(old):
        raise Refused(f"{new} is not newer than {old}")
    changelog_path = root / CHANGELOG
    changelog = changelog_path.read_text(encoding="utf-8")
    if not changelog_section(changelog, "Unreleased"):
        raise Refused(f"{CHANGELOG}: the Unreleased section is empty: nothing to release")
    if _heading(new).search(changelog):
        raise Refused(f"{CHANGELOG} already has a [{new}] section")

    edits: dict[str, list[Reference]] = {}
    for ref in references(root):
        edits.setdefault(ref.path, []).append(ref)
    for rel, refs in edits.items():
        path = root / rel
        text = path.read_text(encoding="utf-8")
        for ref in sorted(refs, key=lambda r: r.start, reverse=True):
            text = text[:ref.start] + new + text[ref.end:]
        path.write_text(text, encoding="utf-8")

    version_path = root / VERSION_FILE
    version_path.write_text(_VERSION_LINE.sub(f'__version__ = "{new}"', version_path.read_text(encoding="utf-8")),
                            encoding="utf-8")

    changelog = re.sub(r"^## \[Unreleased\][ \t]*$", f"## [Unreleased]\n\n## [{new}] - {today.isoformat()}",
                       changelog, count=1, flags=re.M)
    link = re.search(r"^\[Unreleased\]: (?P<base>\S+)/compare/v(?P<prev>\S+)\.\.\.HEAD$", changelog, re.M)
    if link is not None:
        base = link["base"]
        changelog = (changelog[:link.start()] + f"[Unreleased]: {base}/compare/v{new}...HEAD\n"
                     + f"[{new}]: {base}/compare/v{link['prev']}...v{new}" + changelog[link.end():])
    changelog_path.write_text(changelog, encoding="utf-8")
    return sorted({VERSION_FILE, CHANGELOG, *edits})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="release.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout (default: the one holding this file)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version", help="print the version")
    p = sub.add_parser("check", help="check the version references and CHANGELOG.md")
    p.add_argument("--tag", help="the release tag (vX.Y.Z) to check against the version")
    p = sub.add_parser("notes", help="print a version's CHANGELOG section")
    p.add_argument("version", nargs="?", help="default: the package's version")
    p = sub.add_parser("bump", help="set a new version everywhere and date the Unreleased section")
    p.add_argument("version")
    p.add_argument("--date", type=datetime.date.fromisoformat, help="the release date (default: today, UTC)")
    args = parser.parse_args(argv)
    try:
        return _run(args, args.root.resolve())
    except Refused as exc:
        print(f"release {args.command}: {exc}", file=sys.stderr)
        return 2


def _run(args, root: Path) -> int:

    if args.command == "version":
        print(read_version(root))
    elif args.command == "check":
        problems = check(root, args.tag)
        for problem in problems:
            print(f"release check: {problem}", file=sys.stderr)
        if problems:
            return 1
        print(f"release check: {read_version(root)}: {len(references(root))} references agree, "
              f"{CHANGELOG} has its section", file=sys.stderr)
    elif args.command == "notes":
        sys.stdout.write(notes(root, args.version or read_version(root)))
    elif args.command == "bump":
        today = args.date or datetime.datetime.now(datetime.timezone.utc).date()
        for rel in bump(root, args.version, today):
            print(f"release bump: wrote {rel}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
