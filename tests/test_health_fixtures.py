"""The Argo CD-format fixtures (lua/flink.apache.org/<Kind>/health_test.yaml), run three ways.

Argo CD's own test (util/lua/health_test.go) runs built-in scripts with the open libraries;
the expected messages are written for that mode. The strict sandbox (argocd-cm, how our bundle
installs the scripts) must give the same status, and exactly what the Python evaluator says.
"""

from pathlib import Path

import pytest
import yaml

from flink_gitops.health.evaluate import evaluate
from flink_gitops.argocd.sandbox import LuaSandbox
from flink_gitops.health.tables import TABLES

LUA = Path(__file__).resolve().parents[1] / "lua" / "flink.apache.org"


def _cases():
    for kind in TABLES:
        folder = LUA / kind
        spec = yaml.safe_load((folder / "health_test.yaml").read_text())
        for case in spec["tests"]:
            yield pytest.param(kind, folder, case, id=f"{kind}/{Path(case['inputPath']).stem}")


CASES = list(_cases())
OPEN = LuaSandbox(open_libs=True)
STRICT = LuaSandbox(open_libs=False)


def test_enough_realistic_fixtures():
    per_kind = {}
    for p in CASES:
        per_kind[p.values[0]] = per_kind.get(p.values[0], 0) + 1
    assert sum(per_kind.values()) >= 40
    assert set(per_kind) == set(TABLES)
    statuses = {p.values[2]["healthStatus"]["status"] for p in CASES}
    assert {"Healthy", "Progressing", "Degraded", "Unknown"} <= statuses


@pytest.mark.parametrize("kind,folder,case", CASES)
def test_fixture(kind, folder, case):
    obj = yaml.safe_load((folder / case["inputPath"]).read_text())
    assert obj["kind"] == kind
    want = (case["healthStatus"]["status"], case["healthStatus"].get("message", ""))
    script = (folder / "health.lua").read_text()

    got_open = OPEN.health(script, obj)
    assert (got_open.status, got_open.message) == want

    py_open = evaluate(obj, string_lib=True)
    assert (py_open["status"], py_open["message"]) == want

    got_strict = STRICT.health(script, obj)
    py_strict = evaluate(obj, string_lib=False)
    assert got_strict.status == want[0]
    assert (got_strict.status, got_strict.message) == (py_strict["status"], py_strict["message"])
