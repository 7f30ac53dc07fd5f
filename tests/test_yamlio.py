"""Safe YAML loading: what users' manifests rely on, and what is refused."""

import pytest

from flink_gitops.errors import UserError
from flink_gitops.yamlio import dump_documents, load_documents


def test_merge_keys_may_override_what_they_merge():
    docs = load_documents("base: &b {cpu: 1, memory: 1g}\ntm:\n  <<: *b\n  memory: 2g\n", "x.yaml")
    assert docs[0][1]["tm"] == {"cpu": 1, "memory": "2g"}


def test_duplicate_keys_are_refused_with_file_document_and_line():
    with pytest.raises(UserError) as err:
        load_documents("kind: ConfigMap\n---\nmetadata:\n  name: a\n  name: b\n", "app/cm.yaml")
    assert str(err.value) == "app/cm.yaml (document 2): invalid YAML: line 5, column 3: duplicate key 'name'"


def test_timestamps_stay_text_and_round_trip_unchanged():
    text = "metadata:\n  creationTimestamp: 2026-10-02T08:14:51Z\n  day: 2026-10-02\n"
    (_, doc), = load_documents(text, "x.yaml")
    assert doc["metadata"]["creationTimestamp"] == "2026-10-02T08:14:51Z"
    again = load_documents(dump_documents([doc]), "y.yaml")[0][1]
    assert again == doc


def test_alias_bomb_is_refused_but_json_and_empty_documents_are_fine():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    prev = "a"
    for name in "bcdefgh":
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    with pytest.raises(UserError, match="alias bomb"):
        load_documents(bomb, "bomb.yaml")
    assert load_documents('{"kind": "List", "items": []}', "x.json") == [(1, {"kind": "List", "items": []})]
    # an empty document keeps its number, so errors in later documents point at the right one
    assert [i for i, _ in load_documents("---\n---\na: 1\n", "x.yaml")] == [2]


def test_absurd_nesting_is_a_clear_error_not_a_traceback(tmp_path, cli_env):
    import subprocess

    deep_json = '{"a":' * 50_000 + "1" + "}" * 50_000
    with pytest.raises(UserError, match="nesting is too deep"):
        load_documents(deep_json, "deep.json")
    # Nested just below what the loader refuses: later steps must not crash either.
    deep = tmp_path / "app" / "deep.yaml"
    deep.parent.mkdir()
    deep.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: " + "[" * 900 + "]" * 900 + "\n")
    for argv in (["render", str(deep.parent)], ["health", str(deep)]):
        run = subprocess.run(["flink-gitops", *argv], capture_output=True, text=True, env=cli_env)
        assert "Traceback" not in run.stderr, run.stderr[-500:]
        assert run.returncode in (0, 2)
        if run.returncode == 2:
            assert run.stdout == "" and "error:" in run.stderr
