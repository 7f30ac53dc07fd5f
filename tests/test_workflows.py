"""The GitHub workflows: actionlint passes on them (rhysd/actionlint as WebAssembly, tools/actionlint), CI runs the
README's test command on every supported Python, and a tag runs the whole release in order with the least
permissions. Nothing here runs on GitHub: what GitHub does with them is not verified (docs/releasing.md)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
LINT = ROOT / "tools" / "actionlint" / "lint.cjs"

#: node20 actions are deprecated: each action at least at the first major that runs on node24 (read from each
#: action's action.yml at its tags). Composite and Docker actions run no Node.js.
FIRST_NODE24_MAJOR = {
    "actions/checkout": 5, "actions/setup-python": 6, "actions/setup-node": 5, "actions/upload-artifact": 6,
    "actions/download-artifact": 7, "docker/setup-qemu-action": 4, "docker/setup-buildx-action": 4,
    "docker/login-action": 4, "docker/metadata-action": 6, "docker/build-push-action": 7,
    "anchore/sbom-action": 0, "sigstore/cosign-installer": 4,
}


def load(name: str) -> dict:
    return yaml.load((WORKFLOWS / name).read_text(), Loader=yaml.BaseLoader)  # `on` stays a string key


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def uses(job: dict) -> list[str]:
    return [step["uses"] for step in steps(job) if "uses" in step]


# -- actionlint ----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def actionlint():
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: actionlint (WebAssembly, tools/actionlint) cannot run")
    if not (ROOT / "tools" / "actionlint" / "node_modules" / "@tktco" / "node-actionlint").is_dir():
        pytest.skip("actionlint is not installed: `make test` runs `npm ci` in tools/actionlint")

    def lint(*files: Path) -> subprocess.CompletedProcess:
        return subprocess.run(["node", str(LINT), *map(str, files)], capture_output=True, text=True, timeout=120,
                              cwd=ROOT)
    return lint


def test_actionlint_passes_on_every_workflow(actionlint):
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert [f.name for f in files] == ["ci.yml", "release.yml"]
    result = actionlint(*files)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actionlint_reports_what_a_broken_workflow_gets_wrong(actionlint, tmp_path):
    """The linter is really checking: a dangling `needs`, an unknown permission and a typo in a step output."""
    text = (WORKFLOWS / "release.yml").read_text()
    broken = (text.replace("needs: [dist, pypi, image]", "needs: [dist, pypi, images]")
              .replace("packages: write  # push to ghcr.io", "package: write")
              .replace("steps.build.outputs.digest }}\n", "steps.biuld.outputs.digest }}\n", 1))
    assert broken != text
    (tmp_path / "release.yml").write_text(broken)
    result = actionlint(tmp_path / "release.yml")
    assert result.returncode == 1
    assert 'job "github-release" needs job "images" which does not exist' in result.stdout
    assert 'unknown permission scope "package"' in result.stdout
    assert 'property "biuld" is not defined' in result.stdout
    assert re.match(r"^\S*release\.yml:\d+:\d+: ", result.stdout)


def test_make_lint_workflows_runs_it(actionlint):
    result = subprocess.run(["make", "-s", "lint-workflows"], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr


# -- what the workflows do -----------------------------------------------------------------------------------------

def test_ci_runs_the_readme_test_command_on_pushes_and_pull_requests_on_each_supported_python():
    ci = load("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request", "workflow_call"}
    job = ci["jobs"]["test"]
    pythons = job["strategy"]["matrix"]["python"]
    assert pythons == ["3.11", "3.12", "3.13"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert [c.rsplit(" ", 1)[-1] for c in project["classifiers"] if re.fullmatch(r".*Python :: 3\.\d+", c)] == pythons
    assert "make test" in (ROOT / "README.md").read_text()
    assert re.search(r"^make test\b", runs(job), re.M)
    assert ci["permissions"] == {"contents": "read"}


def test_every_action_is_on_a_current_major_that_runs_on_node24():
    for name in ("ci.yml", "release.yml"):
        for job_name, job in load(name)["jobs"].items():
            for ref in uses(job):
                action, _, version = ref.partition("@")
                if action == "pypa/gh-action-pypi-publish":
                    assert version == "release/v1", "PyPI's publish action is used by its release branch"
                    continue
                assert action in FIRST_NODE24_MAJOR, f"{name} {job_name}: {action} has no known node24 major"
                major = re.fullmatch(r"v(\d+)", version)
                assert major, f"{name} {job_name}: {ref} is not pinned to a major version tag"
                assert int(major[1]) >= FIRST_NODE24_MAJOR[action], f"{name} {job_name}: {ref} runs on node20"


def test_a_tag_tests_then_builds_then_publishes_and_releases():
    release = load("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    jobs = release["jobs"]
    assert jobs["test"]["uses"] == "./.github/workflows/ci.yml"
    assert jobs["dist"]["needs"] == "test"
    assert jobs["pypi"]["needs"] == "dist" and jobs["image"]["needs"] == "dist"
    assert jobs["github-release"]["needs"] == ["dist", "pypi", "image"]
    # the tag must name the package's version before anything is built
    dist = runs(jobs["dist"])
    assert dist.index('make release-check TAG="$GITHUB_REF_NAME"') < dist.index("make dist")
    assert "make -s version" in dist


def test_release_permissions_are_per_job_and_least():
    release = load("release.yml")
    assert release["permissions"] == {}
    jobs = release["jobs"]
    assert jobs["dist"]["permissions"] == {"contents": "read"}
    assert jobs["pypi"]["permissions"] == {"id-token": "write"}  # trusted publishing: no token, no secret
    assert jobs["image"]["permissions"] == {"contents": "read", "packages": "write", "id-token": "write"}
    assert jobs["github-release"]["permissions"] == {"contents": "write", "id-token": "write"}
    text = (WORKFLOWS / "release.yml").read_text()
    assert "secrets." not in text.replace("secrets.GITHUB_TOKEN", "")  # no long-lived secret anywhere
    for job in jobs.values():
        for step in steps(job):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] == "false"


def test_pypi_is_published_with_trusted_publishing_from_the_built_dist():
    job = load("release.yml")["jobs"]["pypi"]
    assert job["environment"]["name"] == "pypi"
    assert uses(job) == ["actions/download-artifact@v8", "pypa/gh-action-pypi-publish@release/v1"]
    assert steps(job)[0]["with"] == {"name": "dist", "path": "dist/"}
    publish = steps(job)[1]
    assert "password" not in publish.get("with", {})


def test_the_image_is_multi_arch_labelled_with_the_version_signed_and_has_an_sbom():
    job = load("release.yml")["jobs"]["image"]
    build = next(s for s in steps(job) if s.get("uses", "").startswith("docker/build-push-action@"))
    assert build["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert build["with"]["push"] == "true"
    assert build["with"]["build-args"] == "VERSION=${{ env.VERSION }}"
    assert job["env"]["VERSION"] == "${{ needs.dist.outputs.version }}"  # from the package, via `make version`
    assert build["with"]["sbom"] == "true"
    assert re.search(r'^cosign sign --yes "\$\{IMAGE\}@\$\{DIGEST\}"$', runs(job), re.M)  # keyless: no --key
    assert "--key" not in runs(job)
    sbom = next(s for s in steps(job) if s.get("uses", "").startswith("anchore/sbom-action@"))
    assert sbom["with"]["image"].endswith("@${{ steps.build.outputs.digest }}")
    assert "cosign attest --yes --type spdxjson" in runs(job)
    assert [u.split("@")[0] for u in uses(job)].index("docker/setup-qemu-action") < \
        [u.split("@")[0] for u in uses(job)].index("docker/build-push-action")


def test_the_github_release_notes_come_from_the_changelog():
    job = load("release.yml")["jobs"]["github-release"]
    script = runs(job)
    assert 'python3 tools/release.py notes "$VERSION"' in script
    assert 'gh release create "$GITHUB_REF_NAME" --verify-tag' in script and "--notes-file notes.md" in script
    assert "cosign sign-blob --yes --bundle" in script
