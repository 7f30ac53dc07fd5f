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
    # As Argo CD's util/lua/health_test.go does: every folder with a health_test.yaml is a kind.
    for spec_file in sorted(LUA.glob("*/health_test.yaml")):
        folder = spec_file.parent
        for case in yaml.safe_load(spec_file.read_text())["tests"]:
            yield pytest.param(folder.name, folder, case, id=f"{folder.name}/{Path(case['inputPath']).stem}")


CASES = list(_cases())
OPEN = LuaSandbox(open_libs=True)
STRICT = LuaSandbox(open_libs=False)


def test_the_fixture_folders_are_the_table_kinds():
    assert {p.parent.name for p in LUA.glob("*/health_test.yaml")} == set(TABLES)


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_the_fixtures_show_every_status_a_kind_can_have(kind):
    """Each status a rule of the table gives (the catch-all last rule aside) is seen in a realistic object."""
    shown = {p.values[2]["healthStatus"]["status"] for p in CASES if p.values[0] == kind}
    assert {r.status for r in TABLES[kind].rules[:-1]} <= shown


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
