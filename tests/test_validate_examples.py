"""Every validation rule by example: its minimal manifest in, its exact error line out.

The examples live with the rules (``render/validation/registry.py``, registered in
``render/validation/rules/<concern>.py``) and are printed in docs/validation.md, so these tests are
the rules' documentation: a rule cannot be registered without an example, and an example that
stops producing its line fails here.
"""

from __future__ import annotations

import pytest
import yaml

from flink_gitops.flink import Located
from flink_gitops.render.validation.validator import validate_objects
from flink_gitops.render.validation.registry import RULES

#: The file name the examples are validated under (it starts every expected line).
EXAMPLE_FILE = "example.yaml"


def validate_example(text: str, operator_version: str = "") -> tuple[list[str], list[str]]:
    docs = [d for d in yaml.safe_load_all(text)]
    objs = [Located(d, EXAMPLE_FILE, i) for i, d in enumerate(docs, 1) if d is not None]
    errors, warnings = validate_objects(objs, {"operator-version": operator_version} if operator_version else {})
    return [str(e) for e in errors], warnings


@pytest.mark.parametrize("rule_id", list(RULES))
def test_rule_example_prints_exactly_its_line(rule_id):
    rule = RULES[rule_id]
    assert validate_example(rule.example, rule.example_version) == ([rule.expected], [])
    assert rule.expected.endswith(f" [{rule_id}]") or f" [{rule_id}] (fix: " in rule.expected


@pytest.mark.parametrize("rule_id", list(RULES))
def test_rule_example_is_the_only_thing_wrong(rule_id):
    # With the rule skipped by annotation the example is clean: it breaks this rule alone.
    docs = [d for d in yaml.safe_load_all(RULES[rule_id].example) if d is not None]
    if rule_id == "duplicate-identity":  # never skippable: the first of the two objects alone is clean
        docs = docs[:1]
    for d in docs:
        d.setdefault("metadata", {}).setdefault("annotations", {})["flink-gitops.io/skip-validation"] = rule_id
    assert validate_example(yaml.safe_dump_all(docs), RULES[rule_id].example_version) == ([], [])


def test_every_rule_says_what_it_mirrors_and_how_to_fix_it():
    for rule in RULES.values():
        assert rule.summary and "\n" not in rule.summary, rule.id
        assert rule.operator and rule.fix, rule.id
        assert rule.concern not in ("", "registry"), rule.id


def test_committed_rule_index_matches_the_registry(repo):
    from flink_gitops.render.validation.docs import BEGIN, END, generate_validation_doc

    committed = (repo / "docs/validation.md").read_text()
    assert committed == generate_validation_doc(repo), "run `flink-gitops generate docs`"
    index = committed[committed.index(BEGIN):committed.index(END)]
    for rule in RULES.values():
        assert f"#### `{rule.id}`" in index and rule.expected in index, rule.id


def test_generate_docs_rewrites_only_the_rule_index(tmp_path):
    from flink_gitops.render.validation.docs import BEGIN, END, generate_validation_doc

    doc = tmp_path / "docs" / "validation.md"
    doc.parent.mkdir()
    doc.write_text(f"# Validation\n\nHand-written prose.\n\n{BEGIN}\nstale index\n{END}\n\n## After\n")
    text = generate_validation_doc(tmp_path)
    assert text.startswith("# Validation\n\nHand-written prose.\n\n" + BEGIN) and text.endswith(END + "\n\n## After\n")
    assert "stale index" not in text and "#### `upgrade-mode`" in text
