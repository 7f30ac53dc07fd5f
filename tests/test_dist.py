"""`make dist` (python -m build, twine check) and the wheel it leaves, installed into a fresh virtual environment
outside the checkout: its commands, run on copies of the examples, print what the checkout's do, and the health
service serves its dashboard from the templates and static files the wheel carries."""

from __future__ import annotations

import email.parser
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from flink_gitops import __version__
from tests.kubeapi.samples import LIVE, load, seed
from tests.service_process import free_port, get_json, http, serve

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[1]
CHECKOUT_BIN = Path(sys.executable).parent
WHEEL = f"flink_gitops-{__version__}-py3-none-any.whl"
SDIST = f"flink_gitops-{__version__}.tar.gz"


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(["make", "dist", f"DIST={out}"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # twine colours its verdicts and wraps long lines
    checked = re.sub(r"\s+", " ", re.sub(r"\x1b\[[0-9;]*m", "", result.stdout))
    assert f"Checking {out}/{WHEEL}: PASSED " in checked and f"Checking {out}/{SDIST}: PASSED " in checked
    return out


def user_env(home: Path, bin_dir: Path) -> dict:
    """PATH with ``bin_dir`` first and no other venv; nothing that points Python at the checkout."""
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p != str(CHECKOUT_BIN)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "KUBE", "FLINK_GITOPS_",
                                                                      "ARGOCD_", "PARAM_"))}
    env.update(PATH=os.pathsep.join([str(bin_dir), *path]), HOME=str(home))
    return env


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory):
    """(venv bin folder, work folder with copies of the examples, env): the wheel with its [flux] extra in a new
    virtual environment under the temporary folder, far from the checkout."""
    base = tmp_path_factory.mktemp("elsewhere")
    assert ROOT not in base.parents
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                          "--disable-pip-version-check", f"{dist / WHEEL}[flux]"], capture_output=True, text=True,
                         timeout=600)
    assert pip.returncode == 0, pip.stderr[-3000:]
    work = base / "work"
    shutil.copytree(ROOT / "examples", work / "examples")
    (base / "home").mkdir()
    return venv / "bin", work, user_env(base / "home", venv / "bin")


def run(cmd: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


# -- what make dist leaves -----------------------------------------------------------------------------------------

def test_dist_holds_the_sdist_and_the_wheel_of_this_version(dist):
    assert sorted(p.name for p in dist.iterdir()) == [WHEEL, SDIST]


def test_the_wheel_carries_what_the_commands_read_at_run_time(dist):
    with zipfile.ZipFile(dist / WHEEL) as wheel:
        names = set(wheel.namelist())
        info = f"flink_gitops-{__version__}.dist-info"
        metadata = email.parser.Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    for needed in ("flink_gitops/service/templates/dashboard.html", "flink_gitops/service/static/dashboard.css",
                   "flink_gitops/service/static/dashboard.js", "flink_gitops/py.typed",
                   "flink_gitops/commands/completion.py", f"{info}/licenses/LICENSE"):
        assert needed in names, needed
    source = {str(p.relative_to(ROOT / "plugin")) for p in (ROOT / "plugin" / "flink_gitops").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    assert source <= names, f"not in the wheel: {sorted(source - names)}"
    assert "flink-gitops = flink_gitops.cli:main" in entry_points
    assert metadata["Version"] == __version__
    assert metadata["License-Expression"] == "Apache-2.0"
    requires = metadata.get_all("Requires-Dist")
    assert any(r.startswith("shtab") for r in requires)  # `completion` works from a plain install
    assert any(r.startswith("cel-expr-python") and 'extra == "flux"' in r for r in requires)


def test_the_sdist_carries_the_license_readme_and_changelog_and_no_half_test_suite(dist):
    with tarfile.open(dist / SDIST) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    assert {"LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml",
            "plugin/flink_gitops/service/templates/dashboard.html"} <= names
    assert not any(n.startswith("tests/") for n in names)


# -- the wheel, installed elsewhere --------------------------------------------------------------------------------

def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    bin_dir, work, env = installed
    result = run([str(bin_dir / "python"), "-c", "import flink_gitops; print(flink_gitops.__file__)"], work, env)
    location = Path(result.stdout.strip())
    assert bin_dir.parent in location.parents and ROOT not in location.parents
    version = run(["flink-gitops", "--version"], work, env)
    assert (version.returncode, version.stdout) == (0, f"flink-gitops {__version__}\n")


@pytest.mark.parametrize("argv, code", [
    (["render", "examples/app"], 0),
    (["render", "examples/app", "--target", "flux"], 0),
    (["health", "examples/live"], 1),
    (["health", "--engine", "flux", "examples/live"], 3),
    (["health", "examples/live", "-o", "json", "--why"], 1),
    (["generate", "argocd-cm"], 0),
    (["completion", "bash"], 0),
    (["completion", "zsh"], 0),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_installed_commands_print_what_the_checkout_prints(installed, argv, code):
    bin_dir, work, env = installed
    elsewhere = run(["flink-gitops", *argv], work, env)
    here = run([str(CHECKOUT_BIN / "flink-gitops"), *argv], work, dict(env, PATH=os.environ["PATH"]))
    assert elsewhere.returncode == code, elsewhere.stderr
    assert (elsewhere.returncode, elsewhere.stdout, elsewhere.stderr) == (here.returncode, here.stdout, here.stderr)
    assert elsewhere.stdout


@pytest.mark.parametrize("command", ["serve", "demo", "wait", "render", "health", "generate", "completion"])
def test_installed_help(installed, command):
    bin_dir, work, env = installed
    result = run(["flink-gitops", command, "--help"], work, env)
    assert result.returncode == 0 and result.stdout.startswith(f"usage: flink-gitops {command} ")


def test_generate_outside_a_checkout_says_what_to_do(installed):
    bin_dir, work, env = installed
    result = run(["flink-gitops", "generate", "all", "--check"], work, env)
    assert (result.returncode, result.stdout) == (2, "")
    assert "not inside a flink-gitops checkout" in result.stderr and "Traceback" not in result.stderr


def test_installed_service_serves_the_dashboard_and_its_static_files(installed, kubeapi, tmp_path):
    bin_dir, work, env = installed
    for path in sorted(LIVE.glob("*.yaml")):
        seed(kubeapi, path.stem, "streaming", load(path.stem)["metadata"]["name"])
    kubeconfig = kubeapi.kubeconfig(tmp_path / "kubeconfig")
    command = [str(bin_dir / "flink-gitops"), "serve", "--auth", "none", "--bind", "127.0.0.1:{port}",
               "--kubeconfig", kubeconfig]
    with serve(tmp_path, None, command=command) as served:  # gunicorn runs inside that process
        served.wait_ready()
        code, page, headers = http(served.url("/"))
        assert code == 200 and headers["Content-Type"].startswith("text/html")
        assert __version__.encode() in page
        for static in ("dashboard.css", "dashboard.js"):
            assert f"/static/{static}".encode() in page
            code, body, _ = http(served.url(f"/static/{static}"))
            assert code == 200 and body == (ROOT / "plugin/flink_gitops/service/static" / static).read_bytes()
        assert served.statuses() == {("streaming", "FlinkDeployment", "backfill"): "Healthy",
                                     ("streaming", "FlinkSessionJob", "fraud-scoring"): "Healthy",
                                     ("streaming", "FlinkDeployment", "orders"): "Healthy",
                                     ("streaming", "FlinkDeployment", "pricing"): "Degraded"}
    assert served.proc.returncode == 0, served.log_text()[-2000:]


def test_installed_demo_runs_from_the_wheel_alone(installed, tmp_path):
    """The fleet and the simulated cluster travel in the wheel: nothing of the checkout is read."""
    bin_dir, work, env = installed
    port = free_port()
    log = tmp_path / "demo.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen([str(bin_dir / "flink-gitops"), "demo", "--port", str(port), "--speed", "10"],
                                cwd=work, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        banner = []
        for line in proc.stdout:  # until the banner's last line; ends early if the demo exits
            banner.append(line)
            if "stops the demo" in line:
                break
        assert "SIMULATION" in "".join(banner), log.read_text(errors="replace")[-3000:]
        code, body = get_json(f"http://127.0.0.1:{port}/api/v1/resources")
        assert code == 200 and len(body["resources"]) >= 12
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    assert code == 0, log.read_text(errors="replace")[-3000:]
