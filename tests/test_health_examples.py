"""The live examples (examples/live) tell a true story: an operator error in a status is what the
operator's validation says about that spec, and the spec the operator last accepted passes it."""

import json
from pathlib import Path

import pytest
import yaml

from flink_gitops.flink import Located
from flink_gitops.health.evaluate import evaluate
from flink_gitops.render.validation.validator import validate_objects

LIVE = Path(__file__).resolve().parents[1] / "examples" / "live"
EXAMPLES = sorted(LIVE.glob("*.yaml"))


def _validation_errors(obj: dict, name: str) -> list[str]:
    errors, _ = validate_objects([Located(obj, name, 1)], {})
    return [e.message for e in errors]


def _last_accepted(obj: dict) -> dict:
    """The object with the spec the operator last reconciled (its JSON holds the fields it records)."""
    reconciled = json.loads(obj["status"]["reconciliationStatus"]["lastReconciledSpec"])["spec"]
    spec = dict(obj["spec"]) | {k: v for k, v in reconciled.items() if k != "job"}
    if reconciled.get("job") is not None:
        spec["job"] = dict(obj["spec"].get("job", {})) | reconciled["job"]
    return dict(obj, spec=spec)


def test_every_example_is_checked():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_status_error_is_what_the_operator_says_about_the_spec(path):
    obj = yaml.safe_load(path.read_text())
    status = obj.get("status", {})
    errors = _validation_errors(obj, path.name)
    if status.get("error"):
        operator_says = json.loads(status["error"])["message"]
        assert any(operator_says in e for e in errors), (operator_says, errors)
        # The rejected generation is not the one the operator runs, and health says so.
        assert status["observedGeneration"] < obj["metadata"]["generation"]
        health = evaluate(obj, string_lib=True)
        assert health["status"] == "Degraded" and health["message"].endswith(operator_says)
    else:
        assert errors == []


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "lastReconciledSpec" in p.read_text()], ids=lambda p: p.stem)
def test_the_last_accepted_spec_is_valid_and_matches_observed_generation(path):
    obj = yaml.safe_load(path.read_text())
    assert _validation_errors(_last_accepted(obj), path.name) == []
    meta = json.loads(obj["status"]["reconciliationStatus"]["lastReconciledSpec"]).get("resource_metadata")
    if meta and "observedGeneration" in obj["status"]:
        assert meta["metadata"]["generation"] == obj["status"]["observedGeneration"]
