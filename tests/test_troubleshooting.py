"""docs/troubleshooting.md quotes what flink-gitops prints word for word: each quote is produced here again, by the
installed command where it can be, and must still be in the page."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from flink_gitops.render.validation.examples import flink_deployment

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "troubleshooting.md").read_text()
FIXTURES = ROOT / "lua" / "flink.apache.org" / "FlinkDeployment" / "testdata"

pytestmark = pytest.mark.e2e


def text_blocks() -> list[str]:
    return re.findall(r"```text\n(.*?)```", PAGE, re.S)


def in_a_block(output: str) -> bool:
    """``output`` (one or more lines) appears, whole lines, in one of the page's text blocks."""
    return any(f"\n{block}".find(f"\n{output}") != -1 for block in text_blocks())


def run(cli_env, cwd, *argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["flink-gitops", *argv], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={**cli_env, **(env or {})})


def quoting_blocks() -> list[str]:
    """The blocks that quote flink-gitops: lines starting with `flink-gitops ` or a table header."""
    return [b for b in text_blocks() if any(line.startswith(("flink-gitops ", "KIND ")) for line in b.splitlines())]


def app_folder(tmp_path: Path, cli_env: dict) -> tuple[Path, dict]:
    """An app folder named like an Argo CD app path's last part, rendered without Argo CD's variables."""
    folder = tmp_path / "orders"
    folder.mkdir(parents=True)
    env = {k: v for k, v in cli_env.items() if not k.startswith(("ARGOCD_", "PARAM_", "FLINK_GITOPS_"))}
    return folder, env


def render_errors(cli_env: dict, tmp_path: Path) -> list[str]:
    """The render errors the page quotes, produced again: a field older operators lack, a misspelt parameter,
    an empty app, a kustomization without kustomize in the sidecar."""
    folder, env = app_folder(tmp_path, cli_env)
    (folder / "orders.yaml").write_text(
        flink_deployment(task_manager="{resource: {memory: 2048m, cpu: 1}, resources: {limits: {cpu: 2}}}"))
    results = [run(env, folder, "render", ".", "-p", "operator-version=1.15"),
               run(env, folder, "render", ".", "-p", "sync-wave=false")]
    (folder / "orders.yaml").unlink()
    results.append(run(env, folder, "render", "."))
    (folder / "many.yaml").write_text("".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{i}}}\n"
                                              for i in range(101)))
    results.append(run(env, folder, "render", ".", "-p", "max-objects=100"))
    (folder / "many.yaml").unlink()
    (folder / "kustomization.yaml").write_text("resources: []\n")
    only_us = str(Path(shutil.which("flink-gitops", path=env["PATH"])).parent)  # no kustomize there
    results.append(run(env, folder, "render", ".", env={"PATH": only_us, "ARGOCD_APP_NAME": "orders"}))
    assert all(r.returncode == 2 and r.stdout == "" for r in results), [r.stderr for r in results]
    return [r.stderr.rstrip("\n") for r in results]


def timeout_error() -> str:
    from flink_gitops.render.budget import Budget

    return (f"flink-gitops render: error: `kustomize build` did not finish within {Budget.defaults().tool_timeout:g}s "
            "(parameter tool-timeout; the sidecar's ceiling is FLINK_GITOPS_TOOL_TIMEOUT)")


HEALTH_CASES = [
    ("argocd", "progressing_no_status"),
    ("argocd", "progressing_generation_pending"),
    ("argocd", "healthy_created_suspended_never_deployed"),
    ("argocd", "degraded_spec_rejected"),
    ("argocd", "unknown_unrecognised_job_state"),
    ("flux", "degraded_spec_rejected"),
    ("flux", "progressing_no_status"),
]


def health_table(engine: str, fixture: str, cli_env: dict, tmp_path: Path) -> str:
    out = run(cli_env, tmp_path, "health", "--engine", engine, str(FIXTURES / f"{fixture}.yaml"))
    assert out.returncode in (0, 1, 3) and out.stderr == "", out.stderr
    return out.stdout.rstrip("\n")


def refusals(kubeapi, kube_env: dict, tmp_path: Path) -> list[re.Pattern]:
    """The 401 and 403 lines, as patterns: the cluster's name and address, and the API server's own words after
    the code, are the reader's; the rest is ours, word for word."""
    kc = kubeapi.kubeconfig(tmp_path / "kc")
    stale = kubeapi.kubeconfig(tmp_path / "stale", token="stale")
    kubeapi.forbid("FlinkSessionJob")
    lines = [run(kube_env, tmp_path, "health", "--cluster", "--kubeconfig", stale),
             run(kube_env, tmp_path, "wait", "sessionjob/fraud", "-n", "streaming", "--kubeconfig", kc,
                 "--timeout", "5s")]
    patterns = []
    for result in lines:
        assert result.returncode == 2, result.stderr
        command, _, rest = result.stderr.rstrip("\n").partition(": error: cluster ")
        ours = re.sub(r"^(.*?\d{3} \w+)(: .*)?$", r"\1", rest.partition("): ")[2])
        patterns.append(re.compile(rf"{re.escape(command)}: error: cluster \S+ \(\S+\): {re.escape(ours)}(: .*)?$"))
    return patterns


def test_render_errors_are_quoted_as_printed(cli_env, tmp_path):
    for line in render_errors(cli_env, tmp_path):
        assert in_a_block(line), line


def test_the_tool_timeout_is_quoted_with_its_limit():
    assert in_a_block(timeout_error())


@pytest.mark.parametrize("engine, fixture", HEALTH_CASES)
def test_health_tables_are_quoted_as_printed(engine, fixture, cli_env, tmp_path):
    if engine == "flux":
        pytest.importorskip("cel_expr_python", reason="the flux extra (cel-expr-python) is not installed")
    table = health_table(engine, fixture, cli_env, tmp_path)
    assert in_a_block(table), table


def test_refusals_by_the_api_server_are_quoted_as_printed(kubeapi, kube_env, tmp_path):
    quoted = [line for block in text_blocks() for line in block.splitlines()]
    for pattern in refusals(kubeapi, kube_env, tmp_path):
        assert any(pattern.match(q) for q in quoted), pattern.pattern


def test_every_quote_on_the_page_is_produced_here(cli_env, kubeapi, kube_env, tmp_path):
    pytest.importorskip("cel_expr_python", reason="the flux extra (cel-expr-python) is not installed")
    exact = render_errors(cli_env, tmp_path / "render") + [timeout_error()]
    exact += [health_table(e, f, cli_env, tmp_path) for e, f in HEALTH_CASES]
    patterns = refusals(kubeapi, kube_env, tmp_path)
    for block in quoting_blocks():
        for line in block.splitlines():
            covered = any(line in text.splitlines() for text in exact) or any(p.match(line) for p in patterns)
            assert covered, f"docs/troubleshooting.md quotes a line no test produces: {line}"


def test_the_readyz_excerpt_is_what_the_service_answers():
    from flask import Flask

    from flink_gitops.cluster.store import FAILING, KindState

    app = Flask(__name__)
    with app.app_context():  # what probes.readyz's jsonify writes (keys sorted, compact outside debug mode)
        body = app.json.response(FlinkSessionJob=KindState(FAILING, "403 Forbidden: ...", 403).as_json())
    assert body.get_data(as_text=True).strip().strip("{}") in PAGE


def test_the_pages_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for page in ("troubleshooting", "compatibility"):
        assert f"[docs/{page}.md](docs/{page}.md)" in readme and os.path.exists(ROOT / "docs" / f"{page}.md")
