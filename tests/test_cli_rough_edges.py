"""The rough edges a new user hits first, through the real console script: bad bytes, wrong places,
empty inputs, single files, and help that says what to type."""

import os
import subprocess

import pytest
import yaml

pytestmark = pytest.mark.e2e

FD = "examples/app/orders-pipeline/flinkdeployment.yaml"


def run(argv, cli_env, cwd, stdin: bytes | None = None, tty: bool = False):
    return subprocess.run(["flink-gitops", *argv], input=stdin, capture_output=True, env=cli_env, cwd=cwd)


@pytest.mark.parametrize("command", ["render", "health"])
def test_non_utf8_bytes_on_stdin_are_bad_input_not_a_traceback(command, cli_env, repo):
    r = run([command, "-"], cli_env, repo, stdin=b"\xff\xfe apiVersion: v1\n")
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode() == f"flink-gitops {command}: error: <stdin>: not UTF-8 text (byte 0) " \
                                "(fix: save the file as UTF-8)\n"


def test_a_binary_file_in_the_app_folder_is_named_with_a_fix(cli_env, tmp_path):
    (tmp_path / "x.yaml").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe")
    r = run(["render", "."], cli_env, tmp_path)
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode() == ("flink-gitops render: error: x.yaml: a binary file, not text (fix: remove it from "
                                 "the app folder, or name it with a suffix other than .yaml/.yml/.json)\n")


def test_a_name_that_is_not_a_string_is_not_called_missing(cli_env, tmp_path):
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 123}\n")
    r = run(["render", "."], cli_env, tmp_path)
    assert r.returncode == 2
    assert "cm.yaml (document 1): ConfigMap ?: metadata.name: must be a string, got 123 (fix: quote it: \"123\")" \
        in r.stderr.decode()


@pytest.mark.parametrize("argv", [["generate", "lua"], ["generate", "all", "--check"], ["generate", "bundle"]])
def test_generate_outside_a_checkout_is_a_clear_error_and_writes_nothing(argv, cli_env, tmp_path):
    r = run(argv, cli_env, tmp_path)
    assert r.returncode == 2
    assert "not inside a flink-gitops checkout" in r.stderr.decode() and "--root DIR" in r.stderr.decode()
    assert list(tmp_path.iterdir()) == []


def test_generate_finds_the_checkout_from_a_subfolder_and_writes_where_told(cli_env, repo, tmp_path):
    r = run(["generate", "all", "--check"], cli_env, repo / "plugin" / "flink_gitops")
    assert r.returncode == 0, r.stderr
    r = run(["generate", "lua", "--root", str(tmp_path)], cli_env, tmp_path)
    assert r.returncode == 0, r.stderr
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("health.lua"))
    assert written == sorted(p.relative_to(repo).as_posix() for p in (repo / "lua").rglob("health.lua"))


def test_generate_bundle_into_a_folder_without_the_sidecar_patch_names_the_file(cli_env, tmp_path):
    r = run(["generate", "bundle", "--root", str(tmp_path)], cli_env, tmp_path)
    assert r.returncode == 2 and list(tmp_path.iterdir()) == []
    assert "argocd/repo-server-sidecar.yaml: cannot read: No such file or directory" in r.stderr.decode()


def test_an_empty_list_from_kubectl_is_exit_0_with_a_note(cli_env, repo):
    r = run(["health", "-"], cli_env, repo, stdin=b"apiVersion: v1\nkind: List\nitems: []\nmetadata: {}\n")
    assert r.returncode == 0 and r.stdout == b""
    assert r.stderr.decode() == "flink-gitops health: note: no objects in <stdin>; nothing to assess\n"


@pytest.mark.parametrize("stdin", [b"", b"# nothing but a comment\n---\n"])
def test_no_document_at_all_is_bad_input_not_an_empty_namespace(stdin, cli_env, repo):
    # What a failed `kubectl get ... | flink-gitops health -` pipes in: exit 0 would turn CI green.
    r = run(["health", "-"], cli_env, repo, stdin=stdin)
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode() == (
        "flink-gitops health: error: <stdin>: no YAML or JSON document to read (fix: if a command is piped in, it "
        "printed nothing: did it fail? (kubectl get -o yaml prints an empty List, not nothing, when there is "
        "nothing to list))\n")


def test_an_empty_folder_is_bad_input(cli_env, repo, tmp_path):
    r = run(["health", str(tmp_path)], cli_env, repo)
    assert r.returncode == 2 and "no YAML or JSON document to read" in r.stderr.decode()


def test_objects_none_of_them_flink_are_still_bad_input(cli_env, repo):
    r = run(["health", "-"], cli_env, repo, stdin=b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    assert r.returncode == 2 and "no flink.apache.org resources found" in r.stderr.decode()


def test_health_with_nothing_piped_in_on_a_terminal_prints_usage_instead_of_waiting(cli_env, repo):
    # `script` gives the command a real terminal as stdin, as a user typing `flink-gitops health` has.
    if subprocess.run(["which", "script"], capture_output=True).returncode != 0:
        pytest.skip("util-linux `script` is not installed")
    r = subprocess.run(["script", "-qec", "flink-gitops health", "/dev/null"], capture_output=True, env=cli_env,
                       cwd=repo, timeout=20, stdin=subprocess.DEVNULL)
    out = r.stdout.decode()
    assert r.returncode == 2
    assert "usage: flink-gitops health" in out and "pipe objects in" in out


def test_render_one_manifest_file(cli_env, repo):
    r = run(["render", FD], cli_env, repo)
    assert r.returncode == 0, r.stderr
    docs = list(yaml.safe_load_all(r.stdout))
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [("FlinkDeployment", "orders-pipeline")]
    # errors name the file, not <stdin>
    r = run(["render", "missing.yaml"], cli_env, repo)
    assert r.returncode == 2 and r.stderr.decode().startswith("flink-gitops render: error: missing.yaml: no such")


def test_render_lists_its_parameters(cli_env, repo):
    from flink_gitops.render.params import PARAMETERS

    r = run(["render", "--list-params"], cli_env, repo)
    assert r.returncode == 0
    text = r.stdout.decode()
    for spec in PARAMETERS:
        assert f"\n{spec.name}  (default: " in "\n" + text
    assert "log4j-strategy  (default: configmap; one of configmap, inline)" in text
    assert "--list-params" in run(["render", "--help"], cli_env, repo).stdout.decode()


def test_render_a_file_it_may_not_read_is_one_error_line(repo, monkeypatch):
    # As root every file is readable, so the refusal an ordinary user meets is made here.
    import builtins

    from tests.helpers import run_cli

    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if str(file).endswith("flinkdeployment.yaml"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.chdir(repo)
    monkeypatch.setattr(builtins, "open", refusing_open)
    code, out, err = run_cli("render", FD)
    assert (code, out) == (2, "")
    assert err == f"flink-gitops render: error: {FD}: cannot read: Permission denied\n"


def test_list_params_for_flux_shows_flux_defaults_and_flux_version(cli_env, repo):
    text = run(["render", "--list-params", "--target", "flux"], cli_env, repo).stdout.decode()
    assert "sync-waves  (default: false)" in text and "log4j-strategy  (default: inline;" in text
    assert "\nflux-version  (default: empty)\n" in text
    argocd = run(["render", "--list-params"], cli_env, repo).stdout.decode()
    assert "sync-waves  (default: true)" in argocd and "flux-version" not in argocd
