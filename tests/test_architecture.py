"""The house (docs/architecture.md): a health kind is one table, and everything else follows.

A fifth kind is defined here and put into the tables; with no other edit it gets a Lua health
script, argocd-cm keys, a section in docs/health.md, a Flux health check, a place in the live
health cache, and `flink-gitops health` assesses it.
"""

from __future__ import annotations

import json

import pytest
import yaml

from flink_gitops import cli, flink
from flink_gitops.argocd import health_scripts
from flink_gitops.argocd.bundle import argocd_cm_data
from flink_gitops.argocd.sandbox import LuaSandbox
from flink_gitops.health.docs import generate_health_doc
from flink_gitops.argocd.health_lua import generate_health_files
from flink_gitops.health.model import TRUE, Eq, Field, Rule, Table, Val
from flink_gitops.health.tables import TABLES

KIND = "FlinkBackfill"
BACKFILL_KIND = flink.KindName(KIND, "flinkbackfills", ("flinkbf",))
BACKFILL = Table(
    kind=KIND,
    group=flink.API_GROUP,
    doc="A made-up kind for this test: a one-off job that replays history.",
    fields=(Field("phase", ("status.phase",), values=("DONE", "BROKEN")),),
    rules=(
        Rule("done", Eq("phase", "DONE"), "Healthy", ("Backfill done",), "Replayed everything."),
        Rule("broken", Eq("phase", "BROKEN"), "Degraded", ("Backfill broken at phase ", Val("phase")),
             "The replay stopped and will not resume by itself."),
        Rule("unrecognised", TRUE, "Unknown", ("Unrecognised phase ", Val("phase")), "No rule matched."),
    ),
)


def _obj(phase: str) -> dict:
    return {"apiVersion": f"{flink.API_GROUP}/{flink.API_VERSION}", "kind": KIND,
            "metadata": {"name": "replay-2024", "namespace": "batch"}, "status": {"phase": phase}}


@pytest.fixture
def fifth_kind(monkeypatch):
    # The recipe of docs/architecture.md: the kind's names in the vocabulary, its table in the tables.
    monkeypatch.setattr(flink, "KINDS", flink.KINDS + (BACKFILL_KIND,))
    monkeypatch.setitem(TABLES, KIND, BACKFILL)
    health_scripts.script_for.cache_clear()
    yield
    health_scripts.script_for.cache_clear()


def test_a_new_table_kind_gets_a_lua_script_that_runs_in_argo_cds_sandbox(fifth_kind):
    script = generate_health_files()[f"lua/{flink.API_GROUP}/{KIND}/health.lua"]
    result = LuaSandbox(open_libs=False).health(script, _obj("BROKEN"))
    assert (result.status, result.message) == ("Degraded", "Backfill broken at phase BROKEN")


def test_a_new_table_kind_gets_its_argocd_cm_keys(fifth_kind):
    data = argocd_cm_data()
    script = generate_health_files()[f"lua/{flink.API_GROUP}/{KIND}/health.lua"]
    assert data[f"resource.customizations.health.{flink.API_GROUP}_{KIND}"] == script
    ignore = data[f"resource.customizations.ignoreDifferences.{flink.API_GROUP}_{KIND}"]
    assert yaml.safe_load(ignore) == {"jsonPointers": ["/status"]}


def test_a_new_table_kind_gets_its_section_in_the_docs(fifth_kind):
    text = generate_health_doc()
    assert f"## {KIND}\n\n{BACKFILL.doc}\n" in text
    assert "| 2 | `broken` | `status.phase` = BROKEN | **Degraded** | Backfill broken at phase <status.phase> |" in text


def test_a_new_table_kind_is_assessed_by_the_cli_and_named_as_kubectl_would(fifth_kind, tmp_path, capsys):
    assert flink.resolve_kind("flinkbf").kind == KIND and flink.resolve_kind("flinkbackfills").kind == KIND
    (tmp_path / "backfill.yaml").write_text(yaml.safe_dump_all([_obj("DONE"), _obj("BROKEN")]))
    code = cli.main(["health", "-o", "json", str(tmp_path)])
    rows = json.loads(capsys.readouterr().out)
    assert code == 1  # one Degraded
    assert [(r["kind"], r["namespace"], r["name"], r["status"], r["message"]) for r in rows] == [
        (KIND, "batch", "replay-2024", "Healthy", "Backfill done"),
        (KIND, "batch", "replay-2024", "Degraded", "Backfill broken at phase BROKEN"),
    ]


def test_without_the_table_the_kind_is_not_flink(tmp_path, capsys):
    (tmp_path / "backfill.yaml").write_text(yaml.safe_dump(_obj("DONE")))
    assert cli.main(["health", str(tmp_path)]) == 2
    assert "no flink.apache.org resources found" in capsys.readouterr().err


def test_a_new_table_kind_gets_its_flux_health_check_and_flux_agrees(fifth_kind):
    from flink_gitops.flux.health_cel import all_health_check_exprs
    from flink_gitops.flux.evaluate import CelEngine, evaluate

    pytest.importorskip("cel_expr_python", reason="cel-expr-python (the test extra) runs the CEL")
    entry = next(e for e in all_health_check_exprs() if e["kind"] == KIND)
    assert entry["apiVersion"] == f"{flink.API_GROUP}/{flink.API_VERSION}"
    engine = CelEngine()
    assert evaluate(entry, _obj("DONE"), engine).status == "Current"
    assert evaluate(entry, _obj("BROKEN"), engine).status == "Failed"


def test_a_new_table_kind_is_watched_and_cached_like_the_others(fifth_kind):
    from flink_gitops.cluster.store import HealthStore

    store = HealthStore()
    assert KIND in store.kinds
    store.replace(KIND, [_obj("BROKEN")])
    (record,) = store.records(kinds=[KIND])
    assert (record.status, record.message, record.rule) == ("Degraded", "Backfill broken at phase BROKEN", "broken")
