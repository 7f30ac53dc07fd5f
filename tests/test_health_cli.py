"""`flink-gitops health` as a user runs it: real process, files and stdin, exit codes."""

import json
import subprocess

import pytest
import yaml

pytestmark = pytest.mark.e2e

FD = "lua/flink.apache.org/FlinkDeployment/testdata/"


def run(args, cli_env, repo, stdin=None):
    return subprocess.run(["flink-gitops", "health", *args], input=stdin, capture_output=True, text=True,
                          env=cli_env, cwd=repo)


def test_table_output_and_exit_0_when_all_healthy(cli_env, repo):
    r = run([FD + "healthy_running_stable.yaml", FD + "healthy_suspended.yaml"], cli_env, repo)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["KIND", "NAMESPACE", "NAME", "HEALTH", "MESSAGE"]
    assert lines[1].split()[:4] == ["FlinkDeployment", "streaming", "orders", "Healthy"]
    assert lines[1].endswith("Job running")
    assert lines[2].endswith("Suspended")


def test_json_output_and_exit_1_on_degraded(cli_env, repo):
    r = run(["-o", "json", FD + "healthy_running_stable.yaml", FD + "degraded_spec_rejected.yaml"], cli_env, repo)
    assert r.returncode == 1
    rows = json.loads(r.stdout)
    assert [row["status"] for row in rows] == ["Healthy", "Degraded"]
    assert set(rows[1]) == {"kind", "namespace", "name", "status", "message"}
    # strict sandbox (as installed through argocd-cm): the raw operator error is shown
    assert "ValidationException" in rows[1]["message"]


def test_open_libs_show_the_error_message(cli_env, repo):
    r = run(["-o", "json", "--lua-libs", "open", FD + "degraded_spec_rejected.yaml"], cli_env, repo)
    assert json.loads(r.stdout)[0]["message"].endswith(": Job parallelism must be larger than 0")


def test_exit_3_when_progressing_and_stdin_list(cli_env, repo):
    items = [yaml.safe_load((repo / FD / f).read_text()) for f in ("healthy_running_stable.yaml",
                                                                   "progressing_upgrading.yaml")]
    items.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "not-flink"}})
    r = run(["-"], cli_env, repo, stdin=yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    assert r.returncode == 3, r.stderr
    assert "Progressing" in r.stdout and "Upgrading" in r.stdout
    assert "skipped 1 object" in r.stderr


def test_bad_input_exit_2_names_file_and_document(cli_env, repo, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\n---\nkind: [unclosed\n")
    r = run([str(bad)], cli_env, repo)
    assert r.returncode == 2
    assert r.stdout == ""
    assert f"{bad} (document 2)" in r.stderr and "Traceback" not in r.stderr
    missing = run([str(tmp_path / "nope.yaml")], cli_env, repo)
    assert missing.returncode == 2 and "no such file" in missing.stderr and missing.stdout == ""


def test_no_flink_resources_is_an_error(cli_env, repo, tmp_path):
    f = tmp_path / "cm.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    r = run([str(f)], cli_env, repo)
    assert r.returncode == 2 and "no flink.apache.org resources" in r.stderr


def test_help_and_version(cli_env, repo):
    for args in (["--help"], ["health", "--help"], ["generate", "--help"], ["render", "--help"]):
        r = subprocess.run(["flink-gitops", *args], capture_output=True, text=True, env=cli_env)
        assert r.returncode == 0 and "usage: flink-gitops" in r.stdout
    v = subprocess.run(["flink-gitops", "--version"], capture_output=True, text=True, env=cli_env)
    assert v.stdout.startswith("flink-gitops ")


def test_why_names_the_deciding_rule(cli_env, repo):
    r = run(["--why", "-o", "json", FD + "healthy_created_suspended_never_deployed.yaml"], cli_env, repo)
    row = json.loads(r.stdout)[0]
    assert row["rule"] == "suspended-never-deployed" and "26818" in row["why"]
    t = run(["--why", FD + "degraded_restarting.yaml"], cli_env, repo)
    assert t.returncode == 1 and "rule job-failing:" in t.stdout


def test_objects_without_a_name_are_still_assessed(cli_env, repo, tmp_path):
    # Test data and hand-written snippets often carry no metadata; health needs only the status.
    f = tmp_path / "snippet.yaml"
    f.write_text("apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nspec: {job: {state: running}}\n"
                 "status: {jobManagerDeploymentStatus: READY, jobStatus: {state: RUNNING},\n"
                 "         reconciliationStatus: {state: DEPLOYED}}\n")
    r = run(["-o", "json", str(f)], cli_env, repo)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == [{"kind": "FlinkDeployment", "namespace": "", "name": "",
                                     "status": "Healthy", "message": "Job running"}]


def test_a_list_whose_items_are_not_a_list_is_bad_input(cli_env, repo, tmp_path):
    f = tmp_path / "list.yaml"
    f.write_text("apiVersion: v1\nkind: List\nitems: 5\n")
    r = run([str(f)], cli_env, repo)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert f"{f} (document 1): items of a List must be a list, got a int" in r.stderr


def test_a_folder_is_walked_by_the_render_rules(cli_env, repo, tmp_path):
    """health reads folders as render does (flink_gitops.manifests): hidden files skipped, a symlink
    out of the folder refused with one line naming it."""
    folder = tmp_path / "live"
    folder.mkdir()
    (folder / "fd.yaml").write_text((repo / FD / "healthy_running_stable.yaml").read_text())
    (folder / ".editor-backup.yaml").write_text("kind: [unclosed\n")
    r = run([str(folder)], cli_env, repo)
    assert r.returncode == 0, r.stderr
    outside = tmp_path / "secret.yaml"
    outside.write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n")
    (folder / "link.yaml").symlink_to(outside)
    r = run([str(folder)], cli_env, repo)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ("flink-gitops health: error: link.yaml: symlink points outside the app folder; refusing it "
                        "(fix: put a copy of what it points to in the app folder)\n")
