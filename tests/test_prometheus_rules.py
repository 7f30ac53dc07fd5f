"""The generated alert and recording rules, as Prometheus' own promtool checks and unit-tests them.

promtool comes with Debian's ``prometheus`` package, which ``make test`` installs where it can;
where it cannot, these tests skip and say so.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from flink_gitops.service import observability

ROOT = Path(__file__).resolve().parents[1]
PROMTOOL = shutil.which("promtool")
UNIT_TESTS = ROOT / "tests" / "prometheus" / "flink-gitops-rules.test.yaml"
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="needs promtool (Debian's prometheus package; `make test` installs it as root)")


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@needs_promtool
def test_promtool_accepts_the_rule_file():
    proc = promtool("check", "rules", observability.RULES_FILE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(observability.RECORDING_RULES) + len(observability.ALERTS)} rules found" in proc.stdout


@needs_promtool
def test_the_rules_behave_as_their_unit_tests_say():
    proc = promtool("test", "rules", UNIT_TESTS.name, cwd=UNIT_TESTS.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout


def test_the_prometheus_rule_carries_the_same_groups_as_the_rule_file():
    plain = yaml.safe_load((ROOT / observability.RULES_FILE).read_text())
    operator = yaml.safe_load((ROOT / observability.PROMETHEUS_RULE).read_text())
    assert operator["kind"] == "PrometheusRule" and operator["spec"]["groups"] == plain["groups"]


def test_every_alert_is_unit_tested_firing_and_quiet():
    tests = yaml.safe_load(UNIT_TESTS.read_text())["tests"]
    cases = [case for test in tests for case in test.get("alert_rule_test", [])]
    for alert in observability.ALERTS:
        name = alert["alert"]
        assert any(c["alertname"] == name and c["exp_alerts"] for c in cases), f"{name} never fires in a test"
        assert any(c["alertname"] == name and not c["exp_alerts"] for c in cases), f"{name} is never quiet"
    recorded = " ".join(c["expr"] for test in tests for c in test.get("promql_expr_test", []))
    assert all(rule["record"] in recorded for rule in observability.RECORDING_RULES)


def test_every_alert_has_a_runbook_line_and_a_runbook_section():
    service_doc = (ROOT / "docs" / "service.md").read_text()
    for alert in observability.ALERTS:
        annotations = alert["annotations"]
        assert annotations["runbook"] and "\n" not in annotations["runbook"]
        anchor = annotations["runbook_url"].rsplit("#", 1)[1]
        assert f"### Runbook: {alert['alert']}" in service_doc and anchor == f"runbook-{alert['alert'].lower()}"
