"""The release's paper trail: the Apache-2.0 LICENSE, CHANGELOG.md in the Keep a Changelog format, and one version
(``flink_gitops.__version__``) that every file naming it agrees with, checked, bumped and turned into release
notes by tools/release.py (`make version`, `make release-check`, `make bump`)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from flink_gitops import __version__

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "release.py"
#: sha256 of the Apache License 2.0 text as the ASF publishes it (LICENSE-2.0.txt); wheels carry the same file.
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def release(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), "--root", str(root), *args], capture_output=True, text=True,
                          timeout=60)


def copy_of_the_checkout(tmp_path: Path) -> Path:
    """The files tools/release.py reads and writes, copied: the version, CHANGELOG and every scanned file."""
    copy = tmp_path / "checkout"
    for rel in ("README.md", "CHANGELOG.md", "Dockerfile", "plugin/plugin.yaml", "plugin/flink_gitops/__init__.py"):
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, copy / rel)
    for folder in ("docs", "argocd", "deploy", "flux"):
        shutil.copytree(ROOT / folder, copy / folder)
    return copy


# -- LICENSE -------------------------------------------------------------------------------------------------------

def test_license_is_the_apache_2_text_and_every_package_says_so():
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == APACHE_2_SHA256, "LICENSE must be the Apache License 2.0, verbatim"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert 'org.opencontainers.image.licenses="Apache-2.0"' in (ROOT / "Dockerfile").read_text()


# -- CHANGELOG -----------------------------------------------------------------------------------------------------

def test_changelog_keeps_a_changelog_and_states_semantic_versioning():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n")
    assert "[Keep a Changelog](https://keepachangelog.com/" in text
    assert "[Semantic Versioning](https://semver.org/" in text
    headings = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.M)
    assert headings[0] == ("Unreleased", "")
    released = [version for version, date in headings[1:]]
    assert all(date for _, date in headings[1:]), "every released version has a date"
    assert released[-1] == "0.1.0", "the history starts at 0.1.0"
    keys = [tuple(map(int, v.split("."))) for v in released]
    assert keys == sorted(keys, reverse=True), "newest first"
    for version, _ in headings:
        assert re.search(rf"^\[{re.escape(version)}\]: https://\S+$", text, re.M), f"no link for [{version}]"
    sections = re.findall(r"^### (.+)$", text, re.M)
    assert set(sections) <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


# -- one version ---------------------------------------------------------------------------------------------------

def test_make_version_prints_the_package_version():
    result = subprocess.run(["make", "-s", "version"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert (result.returncode, result.stdout) == (0, f"{__version__}\n")


def test_every_file_that_names_the_version_agrees_with_the_package():
    result = release("check")
    assert result.returncode == 0, result.stderr
    sys.path.insert(0, str(TOOL.parent))
    try:
        import release as tool
    finally:
        sys.path.remove(str(TOOL.parent))
    refs = tool.references(ROOT)
    assert {r.version for r in refs} == {__version__}
    # the places a user copies a version from are found, so the check cannot pass by finding nothing
    named = {(r.path, r.what) for r in refs}
    assert {("docs/install.md", "a Git ref of this repository"), ("docs/install.md", "an image tag"),
            ("docs/install.md", "what `flink-gitops --version` prints"),
            ("argocd/kustomization.yaml", "a kustomize image tag"),
            ("deploy/health-service/kustomization.yaml", "a kustomize image tag"),
            ("argocd/helm-values.yaml", "an image tag"),
            ("Dockerfile", "the image's VERSION build argument")} <= named
    assert any("?ref=v" + __version__ in line for line in (ROOT / "docs/install.md").read_text().splitlines())


def test_a_doc_naming_another_version_fails_the_check_with_file_and_line(tmp_path):
    copy = copy_of_the_checkout(tmp_path)
    install = copy / "docs" / "install.md"
    lines = install.read_text().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if f"?ref=v{__version__}" in line)
    lines[number] = lines[number].replace(f"?ref=v{__version__}", "?ref=v0.0.9")
    install.write_text("".join(lines))
    (copy / "deploy/health-service/kustomization.yaml").write_text(
        (ROOT / "deploy/health-service/kustomization.yaml").read_text().replace(f"newTag: {__version__}",
                                                                                "newTag: 0.0.8"))
    result = release("check", root=copy)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"release check: deploy/health-service/kustomization.yaml:{_line_of(copy, 'deploy/health-service/kustomization.yaml', 'newTag: 0.0.8')}: "
        f"a kustomize image tag names 0.0.8, the package is {__version__}",
        f"release check: docs/install.md:{number + 1}: a Git ref of this repository names 0.0.9, "
        f"the package is {__version__}",
    ]


def _line_of(root: Path, rel: str, needle: str) -> int:
    return next(i for i, line in enumerate((root / rel).read_text().splitlines(), 1) if needle in line)


def test_the_tag_must_name_the_version(tmp_path):
    assert release("check", "--tag", f"v{__version__}").returncode == 0
    wrong = release("check", "--tag", "v9.9.9")
    assert wrong.returncode == 1
    assert wrong.stderr == f"release check: tag v9.9.9 does not name the package's version: expected v{__version__}\n"
    make = subprocess.run(["make", "-s", "release-check", "TAG=v9.9.9"], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert make.returncode != 0 and "expected v" + __version__ in make.stderr


def test_a_version_without_its_changelog_section_fails_the_check(tmp_path):
    copy = copy_of_the_checkout(tmp_path)
    init = copy / "plugin/flink_gitops/__init__.py"
    init.write_text(init.read_text().replace(f'"{__version__}"', '"7.7.7"'))
    problems = release("check", root=copy).stderr
    assert "CHANGELOG.md: no `## [7.7.7] - YYYY-MM-DD` section for the package's version" in problems
    assert f"docs/install.md:" in problems and f"names {__version__}, the package is 7.7.7" in problems


def test_notes_are_the_changelog_section_of_the_version():
    result = release("notes", __version__)
    assert result.returncode == 0
    text = (ROOT / "CHANGELOG.md").read_text()
    body = text.split(f"## [{__version__}]", 1)[1].split("\n", 1)[1]
    body = re.split(r"^## \[|^\[Unreleased\]: ", body, flags=re.M)[0]
    assert result.stdout == body.strip() + "\n"
    assert "### Added" in result.stdout and "## [" not in result.stdout
    missing = release("notes", "9.9.9")
    assert (missing.returncode, missing.stdout) == (2, "")
    assert "no section, or an empty one, for 9.9.9" in missing.stderr


def test_bump_sets_the_version_everywhere_and_dates_the_unreleased_section(tmp_path):
    copy = copy_of_the_checkout(tmp_path)
    unreleased = (ROOT / "CHANGELOG.md").read_text().split("## [Unreleased]\n", 1)[1].split(f"## [{__version__}]")[0]
    assert unreleased.strip(), "the Unreleased section lists what is coming"

    result = release("bump", "0.99.0", "--date", "2027-03-04", root=copy)
    assert result.returncode == 0, result.stderr
    assert "release bump: wrote docs/install.md" in result.stderr.splitlines()

    assert 'version__ = "0.99.0"' in (copy / "plugin/flink_gitops/__init__.py").read_text()
    assert release("check", "--tag", "v0.99.0", root=copy).returncode == 0
    install = (copy / "docs/install.md").read_text()
    assert "?ref=v0.99.0" in install and f"?ref=v{__version__}" not in install
    assert "ARG VERSION=0.99.0" in (copy / "Dockerfile").read_text()
    changelog = (copy / "CHANGELOG.md").read_text()
    assert f"## [Unreleased]\n\n## [0.99.0] - 2027-03-04\n{unreleased}## [{__version__}]" in changelog
    assert "[Unreleased]: https://github.com/flink-gitops/flink-gitops/compare/v0.99.0...HEAD" in changelog
    assert f"[0.99.0]: https://github.com/flink-gitops/flink-gitops/compare/v{__version__}...v0.99.0" in changelog
    notes = release("notes", root=copy)
    assert notes.stdout.strip() == unreleased.strip()

    # nothing left to release; an older or malformed version is refused, and nothing is written
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    for args, message in ((("bump", "0.99.1"), "CHANGELOG.md: the Unreleased section is empty: nothing to release"),
                          (("bump", "0.98.0"), "0.98.0 is not newer than 0.99.0"),
                          (("bump", "1.0"), "'1.0' is not X.Y.Z")):
        refused = release(*args, root=copy)
        assert (refused.returncode, refused.stderr) == (2, f"release bump: {message}\n"), args
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("doc", ["docs/releasing.md"])
def test_the_release_steps_name_no_real_version_that_would_go_stale(doc):
    """The maintainer's page uses X.Y.Z: it is not rewritten by `make bump` and must not need to be."""
    text = (ROOT / doc).read_text()
    assert "X.Y.Z" in text
    assert not re.search(r"flink-gitops[:=@ ]v?\d+\.\d+\.\d+|\?ref=v\d", text)
