"""The sidecar image built for real and its contract checked inside it (`make image-check`).

No registry image can be pulled here, so the Dockerfile is built by `make image` with buildah on
substitutes passed as build args: a Debian bookworm base made with debootstrap (PYTHON_IMAGE) and a
stand-in for the Argo CD image whose kustomize and helm only say they are absent (ARGOCD_IMAGE);
docs/install.md says what that leaves unverified. The image's root is then mounted read-only in a
private mount namespace with a fresh tmpfs on /tmp and every shell made unusable, and its commands
run as the image's user. Needs root, buildah, debootstrap and unshare; skips and says why elsewhere.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

from flink_gitops import __version__

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = pathlib.Path(__file__).resolve().parents[1]
BASE = "localhost/flink-gitops-base:bookworm"
ARGOCD_STANDIN = "localhost/flink-gitops-argocd-standin:check"
IMAGE = "localhost/flink-gitops:check"
PLUGIN_CONFIG = "/home/argocd/cmp-server/config/plugin.yaml"
# vfs and chroot isolation: what works as root without overlay or a container runtime.
BUILDAH_ENV = {**os.environ, "STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"}
# Inside the mount namespace: the root read-only, a new tmpfs on /tmp (the sidecar's emptyDir), the
# host's /dev for /dev/null, every shell covered by an empty non-executable file; then chroot, chdir
# and drop to the image's user in Python (no shell in the image is used to start the command).
ISOLATE = r"""
set -eu
root=$1 uid=$2 gid=$3 cwd=$4 app=$5; shift 5
mount --make-rprivate /
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mount --rbind /dev "$root/dev"
: > "$root/tmp/.no-shell"
for shell in usr/bin/dash usr/bin/bash usr/bin/sh; do
  if [ -f "$root/$shell" ] && [ ! -L "$root/$shell" ]; then mount --bind "$root/tmp/.no-shell" "$root/$shell"; fi
done
if [ -n "$app" ]; then cp -r "$app" "$root/tmp/app" && chown -R "$uid:$gid" "$root/tmp/app"; fi
exec "$@"
"""
ENTER = (
    "import json, os, sys, warnings  # warnings: os.execvpe imports it, after the chroot it is gone\n"
    "root, uid, gid, cwd, env = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])\n"
    "os.chroot(root); os.chdir(cwd); os.setgroups([]); os.setgid(gid); os.setuid(uid)\n"
    "os.execvpe(sys.argv[6], sys.argv[6:], env)\n"
)


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "not root: buildah (vfs, chroot isolation) and the mount namespace need root"
    for tool in ("buildah", "debootstrap", "unshare", "mount"):
        if not shutil.which(tool):
            return f"{tool} not installed (`make image-tools` installs buildah and debootstrap as root)"
    if not shutil.which("make"):
        return "make not installed"
    return None


def _buildah(*args: str, timeout: float = 120) -> str:
    done = subprocess.run(["buildah", *args], env=BUILDAH_ENV, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"buildah {' '.join(args)}: {done.stderr[-2000:]}"
    return done.stdout.strip()


@pytest.fixture(scope="module")
def image():
    reason = _missing()
    if reason:
        pytest.skip(reason)
    base = subprocess.run([str(ROOT / "tools/image-check/local-base.sh"), BASE, ARGOCD_STANDIN], env=BUILDAH_ENV,
                          capture_output=True, text=True, timeout=600)
    if base.returncode != 0:
        # debootstrap needs Debian's mirror; without it there is nothing to build on
        pytest.skip(f"could not make the local Debian base: {base.stderr.strip()[-500:]}")
    build = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "image", f"IMAGE={IMAGE}",
         "IMAGE_PYTHON=3.11", f"IMAGE_ARCHES={os.uname().machine}",
         f"PYTHON_IMAGE={BASE}", f"ARGOCD_IMAGE={ARGOCD_STANDIN}", f"PYTHON={sys.executable}"],
        env=BUILDAH_ENV, capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, f"make image failed:\n{build.stdout[-3000:]}\n{build.stderr[-3000:]}"
    assert "$ buildah bud" in build.stdout or "$ docker build" in build.stdout
    return IMAGE


@pytest.fixture(scope="module")
def config(image) -> dict:
    return json.loads(_buildah("inspect", "--type", "image", image))["OCIv1"]["config"]


@pytest.fixture(scope="module")
def rootfs(image):
    container = _buildah("from", "--pull-never", image)
    try:
        yield pathlib.Path(_buildah("mount", container))
    finally:
        subprocess.run(["buildah", "rm", container], env=BUILDAH_ENV, capture_output=True, timeout=120)


def run_in_image(rootfs, config, argv, *, cwd="/tmp", app: pathlib.Path | None = None):
    """Run argv in the image as its user, the root read-only, only /tmp writable, no shell."""
    uid, _, gid = config["User"].partition(":")
    env = dict(item.split("=", 1) for item in config["Env"])
    command = ["unshare", "--mount", "--fork", "sh", "-c", ISOLATE, "isolate", str(rootfs), uid, gid or uid, cwd,
               str(app or ""), sys.executable, "-c", ENTER, str(rootfs), uid, gid or uid, cwd, json.dumps(env), *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_image_runs_as_999_from_tmp_with_every_tool_state_under_tmp(config):
    assert config["User"] == "999:999"
    assert config.get("WorkingDir") == "/tmp"
    assert not config.get("Entrypoint"), "Argo CD sets the command"
    env = dict(item.split("=", 1) for item in config["Env"])
    for key in ("HOME", "TMPDIR", "XDG_CACHE_HOME", "HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        assert env[key].startswith("/tmp"), key
    assert config["Labels"]["org.opencontainers.image.version"] == __version__


def test_flink_gitops_version_runs_in_the_image(rootfs, config):
    done = run_in_image(rootfs, config, ["flink-gitops", "--version"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["flink-gitops", __version__]


def test_the_installed_package_carries_its_license(rootfs):
    """The Apache License asks that every copy carries it: the wheel built in the image included."""
    found = list((rootfs / "opt/flink-gitops/lib").glob("python3*/site-packages/flink_gitops-*.dist-info/licenses/LICENSE"))
    assert len(found) == 1, "no LICENSE in the installed flink_gitops dist-info"
    assert found[0].read_text() == (ROOT / "LICENSE").read_text()


def test_the_plugin_config_is_where_argocd_cmp_server_reads_it(rootfs):
    baked = rootfs / PLUGIN_CONFIG.lstrip("/")
    assert baked.read_text() == (ROOT / "plugin/plugin.yaml").read_text()


def test_the_plugin_renders_an_example_app_as_999_on_a_read_only_root(rootfs, config, tmp_path):
    """What argocd-cmp-server does: the plugin config's generate command, in the app's folder."""
    plugin = yaml.safe_load((rootfs / PLUGIN_CONFIG.lstrip("/")).read_text())
    command = plugin["spec"]["generate"]["command"]
    app = tmp_path / "orders-pipeline"
    shutil.copytree(ROOT / "examples/app/orders-pipeline", app)
    done = run_in_image(rootfs, config, command, cwd="/tmp/app", app=app)
    assert done.returncode == 0, done.stderr
    objects = [o for o in yaml.safe_load_all(done.stdout) if o]
    assert "FlinkDeployment" in {o["kind"] for o in objects}
    # the same objects the checkout's own render gives for the same folder
    local = subprocess.run([sys.executable, "-m", "flink_gitops", *command[1:]], cwd=app,
                           capture_output=True, text=True, timeout=60)
    assert local.returncode == 0, local.stderr
    assert objects == [o for o in yaml.safe_load_all(local.stdout) if o]


def test_the_check_really_has_a_read_only_root_and_no_shell(rootfs, config):
    """The render above could not have written outside /tmp, nor started a shell."""
    probe = ("import os, subprocess\n"
             "open('/tmp/ok', 'w').write('x')\n"
             "for path in ('/opt/flink-gitops/x', '/home/argocd/x', '/x'):\n"
             "    try:\n"
             "        open(path, 'w')\n"
             "    except OSError as error:\n"
             "        print(path, error.strerror)\n"
             "try:\n"
             "    subprocess.run(['/bin/sh', '-c', 'true'])\n"
             "except OSError as error:\n"
             "    print('sh', error.strerror)\n"
             "print('uid', os.getuid(), os.getgid())\n")
    done = run_in_image(rootfs, config, ["/opt/flink-gitops/bin/python", "-c", probe])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "/opt/flink-gitops/x Read-only file system" in lines
    assert "/x Read-only file system" in lines
    assert "sh Permission denied" in lines
    assert "uid 999 999" in lines
