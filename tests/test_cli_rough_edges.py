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


# --- issue 14: every bad input is exit 2, never a traceback ---------------------------------------

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
FLINK = ("apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata: {name: a}\n"
         "spec: {job: {jarURI: 'local:///x.jar'}}\n")
HOSTILE = {
    "big-int.yaml": (CM + "data: {x: y}\nspec: " + "9" * 5000 + "\n",
                     "line 5, column 7: an integer of more than 4,300 digits"),
    "big-int.json": ('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "x": ' + "9" * 5000 + "}",
                     "invalid JSON: line 1: an integer of more than 4,300 digits"),
    "surrogate.json": ('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"x": "\\ud800"}}',
                       "data.x: invalid JSON: a lone UTF-16 surrogate \\ud800"),
    "recursive.yaml": (FLINK.replace("spec: {", "spec: &s {") .replace("}}\n", "}, again: *s}\n"),
                       "line 4, column 7: an alias refers to the anchored collection that contains it"),
    "duplicate.json": ('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "name": "b"}}',
                       "invalid JSON: line 1, column 69: duplicate key 'name'"),
    "binary.yaml": (CM + "binaryData: {x: !!binary aGVsbG8=}\n",
                    "!!binary is not JSON data"),
}


@pytest.mark.parametrize("argv", [["render"], ["render", "-o", "json"], ["render", "--target", "flux"], ["health"]],
                         ids=" ".join)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_is_exit_2_with_one_line_in_every_command(argv, name, cli_env, tmp_path):
    text, message = HOSTILE[name]
    (tmp_path / name).write_text(text)
    r = run([*argv, name], cli_env, tmp_path)
    err = r.stderr.decode()
    assert "Traceback" not in err, err[-2000:]
    assert r.returncode == 2 and r.stdout == b"", err
    assert f"error: {name} (document 1): " in err and message in err


def test_a_recursive_alias_is_refused_in_every_command_even_where_yaml_output_could_write_it(cli_env, tmp_path):
    # Before: render wrote `&id001 ... *id001` with exit 0, and -o json crashed on it.
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "cm.yaml").write_text(CM + "data: &a\n  x: *a\n")
    for argv in (["render", "app"], ["render", "-", "-o", "json"], ["health", "-"]):
        r = run(argv, cli_env, tmp_path, stdin=(tmp_path / "app" / "cm.yaml").read_bytes())
        assert r.returncode == 2 and r.stdout == b"" and b"Traceback" not in r.stderr
        assert b"(a recursive alias)" in r.stderr


def test_nan_is_refused_in_json_output_naming_object_and_field_but_kept_in_yaml(cli_env, tmp_path):
    (tmp_path / "cm.yaml").write_text(CM + "data: {a: b}\nspec:\n  ratios: [0.5, .nan]\n  limit: -.inf\n")
    r = run(["render", "cm.yaml", "-o", "json"], cli_env, tmp_path)
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode() == (
        "flink-gitops render: error: ConfigMap a: spec.ratios[1]: not a finite number; JSON has no NaN or Infinity "
        "(fix: write a number (YAML's .nan and .inf have no JSON form), or render with -o yaml)\n")
    r = run(["render", "cm.yaml"], cli_env, tmp_path)
    assert r.returncode == 0 and b"- .nan" in r.stdout and b"limit: -.inf" in r.stdout


@pytest.mark.parametrize("argv, env, message", [
    (["render", "app", "-p", "max-file-size=" + "9" * 30], {},
     "--param: '999999999999999999999999999999' is above the largest size accepted, 1Ti"),
    (["render", "app", "-p", "max-objects=" + "9" * 5000], {},
     "--param: '999999999999999999999999999999...999999' is above the largest number accepted, 1,000,000,000"),
    (["render", "app"], {"PARAM_TOOL_TIMEOUT": "99999999999999999999h"},
     "PARAM_TOOL_TIMEOUT: '99999999999999999999h' is longer than the longest accepted, 1h"),
    (["render", "app"], {"FLINK_GITOPS_MAX_TOTAL_SIZE": "lots"},
     "FLINK_GITOPS_MAX_TOTAL_SIZE: 'lots' is not a size (examples: 1048576, 512Ki, 16Mi)"),
    (["wait", "flinkdep/x", "--timeout", "99999999999999999999h"], {},
     "--timeout: '99999999999999999999h' is longer than the longest accepted, 168h"),
    (["wait", "flinkdep/x", "--timeout", "1e999"], {}, "--timeout: '1e999' is not a duration"),
])
def test_absurd_numbers_in_flags_parameters_and_the_environment_are_exit_2(argv, env, message, cli_env, tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "cm.yaml").write_text(CM)
    r = run(argv, {**cli_env, **env, "KUBECONFIG": str(tmp_path / "none")}, tmp_path)
    err = r.stderr.decode()
    assert "Traceback" not in err, err[-2000:]
    assert r.returncode == 2 and r.stdout == b"" and message in err, err


def test_a_limit_in_the_repository_can_only_lower_the_sidecars(cli_env, tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "cm.yaml").write_text(CM)
    (tmp_path / "app" / "flink-gitops.yaml").write_text("parameters:\n  max-file-size: " + "9" * 30 + "Gi\n")
    r = run(["render", "app"], cli_env, tmp_path)
    assert r.returncode == 2 and b"flink-gitops.yaml: '" in r.stderr and b"above the largest size accepted" in r.stderr
    (tmp_path / "app" / "flink-gitops.yaml").write_text("parameters:\n  max-file-size: 1Gi\n")
    r = run(["render", "app"], cli_env, tmp_path)
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode() == (
        "flink-gitops render: error: parameter max-file-size: 1Gi is above the sidecar's limit of 16Mi "
        "(FLINK_GITOPS_MAX_FILE_SIZE) (fix: a repository or Application can only lower it; leave it out for the "
        "sidecar's limit, or ask the Argo CD admin to raise FLINK_GITOPS_MAX_FILE_SIZE in the sidecar's environment)\n")
    # the sidecar's admin raises the ceiling: the same repository renders
    r = run(["render", "app"], {**cli_env, "FLINK_GITOPS_MAX_FILE_SIZE": "2Gi"}, tmp_path)
    assert r.returncode == 0, r.stderr
    # and lowering always works
    (tmp_path / "app" / "flink-gitops.yaml").write_text("parameters:\n  max-file-size: 10\n")
    r = run(["render", "app"], cli_env, tmp_path)
    assert r.returncode == 2 and b"cm.yaml: file is 51 bytes, above the limit of 10" in r.stderr


def test_text_that_is_not_utf8_in_a_parameter_or_argo_cds_variables_is_exit_2(cli_env, tmp_path):
    (tmp_path / "cm.yaml").write_text(CM)
    bad = b"\xff".decode("utf-8", "surrogateescape")  # what Python makes of a non-UTF-8 byte in argv or env
    r = run(["render", "cm.yaml", "-p", f"helm-release-name=x{bad}"], cli_env, tmp_path)
    assert r.returncode == 2 and b"parameter 'helm-release-name' is not valid UTF-8 text" in r.stderr
    r = run(["render", "cm.yaml"], {**cli_env, "ARGOCD_APP_NAMESPACE": f"ns{bad}"}, tmp_path)
    assert r.returncode == 2 and b"ARGOCD_APP_NAMESPACE: not valid UTF-8 text" in r.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux) to stand for a full disk")
@pytest.mark.parametrize("argv", [["render", "app"], ["render", "app", "-o", "json"], ["health", "live"],
                                  ["render", "--list-params"]], ids=" ".join)
def test_output_to_a_full_disk_is_exit_2_with_one_line(argv, cli_env, repo):
    with open("/dev/full", "wb") as full:
        r = subprocess.run(["flink-gitops", *argv], stdout=full, stderr=subprocess.PIPE, env=cli_env,
                           cwd=repo / "examples")
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert err.endswith(f"flink-gitops {argv[0]}: error: cannot write the output: No space left on device\n"), err
    assert "Traceback" not in err and "Exception ignored" not in err


def test_a_fifo_in_the_app_folder_is_refused_by_name_and_discovery_passes_over_it(cli_env, repo, tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "job.yaml").write_bytes((repo / FD).read_bytes())
    os.mkfifo(app / "stream.yaml")  # nobody ever writes to it: opening it would hang
    r = subprocess.run(["flink-gitops", "render", "."], capture_output=True, env=cli_env, cwd=app, timeout=30)
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode() == ("flink-gitops render: error: stream.yaml: a FIFO (named pipe), not a regular file; "
                                 "refusing to read it (fix: remove it; only regular files are read)\n")
    r = subprocess.run(["flink-gitops", "render", ".", "--discover"], capture_output=True, env=cli_env, cwd=app,
                       timeout=30)
    assert (r.returncode, r.stdout) == (0, b"job.yaml\n")
    r = subprocess.run(["flink-gitops", "health", "."], capture_output=True, env=cli_env, cwd=app, timeout=30)
    assert r.returncode == 2 and b"stream.yaml: a FIFO (named pipe), not a regular file" in r.stderr


def test_a_pipe_named_on_the_command_line_is_still_read(cli_env, repo):
    # `health <(kubectl get ... -o yaml)`: the user named it, so it is read as a stream.
    r = subprocess.run(["bash", "-c", f"flink-gitops health <(cat {repo / 'examples/live' / 'fraud-scoring.yaml'})"],
                       capture_output=True, env=cli_env, cwd=repo, timeout=60)
    assert r.returncode == 0 and b"fraud-scoring  Healthy" in r.stdout, r.stderr


def test_an_app_folder_that_is_a_symlink_out_of_the_repository_is_refused(cli_env, repo, tmp_path):
    checkout = tmp_path / "repo"
    (checkout / ".git").mkdir(parents=True)
    (checkout / "apps").mkdir()
    other = tmp_path / "another-apps-checkout" / "secrets"
    other.mkdir(parents=True)
    (other / "job.yaml").write_bytes((repo / FD).read_bytes())
    (checkout / "apps" / "orders").symlink_to(other)
    expected = (f"the app folder is {other}, outside the repository {checkout}: it, or a folder above it, is a "
                "symlink out of the repository; refusing it (fix: point the Application at a folder of this "
                "repository)")
    r = run(["render", "apps/orders"], cli_env, checkout)
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode() == f"flink-gitops render: error: apps/orders: {expected}\n"
    # from inside it, as a shell leaves you there ($PWD keeps the path you came by), Argo CD's variable set
    r = run(["render", "."], {**cli_env, "PWD": str(checkout / "apps" / "orders"),
                              "ARGOCD_APP_SOURCE_PATH": "apps/orders"}, checkout / "apps" / "orders")
    assert r.returncode == 2 and r.stderr.decode() == f"flink-gitops render: error: .: {expected}\n"
    # a symlink that stays inside the repository is fine
    inside = checkout / "shared" / "orders"
    inside.mkdir(parents=True)
    (inside / "job.yaml").write_bytes((repo / FD).read_bytes())
    (checkout / "apps" / "mirror").symlink_to(inside)
    r = run(["render", "apps/mirror"], cli_env, checkout)
    assert r.returncode == 0, r.stderr
