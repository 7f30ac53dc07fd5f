"""The house's layers (docs/architecture.md): no import cycles, and each command loads only what it drives.

The cycle count reads every ``import`` in the package with ``ast`` (inside functions too, as
``lint-imports`` counts them: a lazy import is still an arrow). The contracts themselves are in
pyproject.toml and run by ``make test``; the test here runs ``lint-imports`` too, so ``pytest``
alone cannot pass on a broken contract. The import probes run real commands in a fresh
interpreter and read ``sys.modules``.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "plugin" / "flink_gitops"


def _modules() -> dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (``from pkg import mod`` names the module)."""
    mods = _modules()

    def known(name: str) -> str:
        while name not in mods:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for module, path in mods.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            graph[module] |= {known(t) for t in targets if t.split(".")[0] == "flink_gitops"}
        graph[module].discard(module)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The same arrows between the top-level parts (``flink_gitops.render``, ``flink_gitops.flink``, ...)."""
    def part(m: str) -> str:
        return ".".join(m.split(".")[:2])

    out: dict[str, set[str]] = {}
    for module, deps in graph.items():
        out.setdefault(part(module), set()).update(part(d) for d in deps if part(d) != part(module))
    return out


def test_the_cycle_counter_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back():
    graph = import_graph()
    assert "flink_gitops.commands.health" in graph and "flink_gitops.assess" in graph["flink_gitops.commands.health"]
    assert cycles(graph) == []


def test_no_two_packages_import_each_other():
    assert cycles(package_graph(import_graph())) == []


def test_the_vocabulary_and_the_model_import_nothing_above_them():
    graph = import_graph()
    assert graph["flink_gitops.flink"] <= {"flink_gitops.errors"}
    model = {m: deps for m, deps in graph.items() if m.startswith("flink_gitops.health")}
    assert all(d.startswith(("flink_gitops.health", "flink_gitops.flink")) for deps in model.values() for d in deps), \
        model


def test_nothing_below_the_commands_imports_a_command():
    graph = import_graph()
    offenders = {m: sorted(d for d in deps if d.startswith("flink_gitops.commands"))
                 for m, deps in graph.items() if not m.startswith("flink_gitops.commands")}
    assert {m: d for m, d in offenders.items() if d} == {}


def test_the_import_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("lint-imports (import-linter, a test extra) is not installed in this environment")
    proc = subprocess.run([lint, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def _loaded_by(argv: list[str]) -> tuple[int, set[str]]:
    """Run ``flink-gitops ARGV`` in a fresh interpreter: (exit code, top-level and flink_gitops modules loaded)."""
    probe = (
        "import sys, io, contextlib\n"
        "from flink_gitops.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    code = main({argv!r})\n"
        "print(code)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('flink_gitops.') or '.' not in m)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    code, modules = proc.stdout.strip().split("\n")
    return int(code), set(modules.split())


HEAVY = {"kubernetes", "flask", "werkzeug", "gunicorn", "lupa", "cel_expr_python", "prometheus_client"}


@pytest.mark.parametrize("target", ["argocd", "flux"])
def test_render_loads_no_cluster_service_engine_or_heavy_library(target):
    code, loaded = _loaded_by(["render", str(ROOT / "examples" / "app"), "--target", target])
    assert code == 0
    assert loaded & HEAVY == set()
    ours = {m for m in loaded if m.startswith("flink_gitops.")}
    # (the assessment layer's vocabulary, exit codes included, is loaded with the parser: it imports no engine)
    assert {m for m in ours if m.startswith(("flink_gitops.cluster", "flink_gitops.service", "flink_gitops.flux",
                                             "flink_gitops.argocd", "flink_gitops.simulation",
                                             "flink_gitops.plan"))} == set()
    assert "flink_gitops.render.pipeline" in ours  # the probe did run the render


def test_health_on_files_loads_no_cluster_or_service_code():
    code, loaded = _loaded_by(["health", str(ROOT / "examples" / "live")])
    assert code in (0, 1, 3)
    assert "flink_gitops.argocd.sandbox" in loaded and "lupa" in loaded  # it did assess, with Argo CD's engine
    assert {m for m in loaded if m.startswith(("flink_gitops.cluster", "flink_gitops.service"))} == set()
    assert loaded & {"kubernetes", "flask", "gunicorn"} == set()
