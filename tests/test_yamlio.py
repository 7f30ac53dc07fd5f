"""Safe YAML loading: what users' manifests rely on, and what is refused."""

import sys

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
        assert run.returncode == 2 and run.stdout == ""
        assert "deep.yaml (document 1): nested more than 200 levels deep" in run.stderr


def test_multi_line_text_is_written_as_a_block_scalar_a_diff_can_read():
    doc = {"data": {"log4j-console.properties": "rootLogger.level = INFO\nlogger.a.name = com.example\n"}}
    assert dump_documents([doc]) == (
        "---\n"
        "data:\n"
        "  log4j-console.properties: |\n"
        "    rootLogger.level = INFO\n"
        "    logger.a.name = com.example\n"
    )


@pytest.mark.parametrize("text", [
    "trailing space \nnext",          # a block cannot keep trailing spaces: quoted instead
    "no final newline\nsecond",       # '|-' keeps it exact
    "two final newlines\n\n",         # '|+'
    "\n leading newline and indent",  # indentation indicator
    "tab\there\nand\tthere\n",
    "unicode ✓\n",
])
def test_multi_line_text_round_trips_exactly_and_stably(text):
    once = dump_documents([{"v": text}])
    assert load_documents(once, "x.yaml")[0][1] == {"v": text}
    assert dump_documents([load_documents(once, "x.yaml")[0][1]]) == once


def test_tabs_used_for_indentation_get_a_fix():
    with pytest.raises(UserError) as err:
        load_documents("apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n", "app/cm.yaml")
    assert str(err.value) == (
        "app/cm.yaml (document 1): invalid YAML: line 4, column 1: found character that cannot start any token "
        "(fix: YAML does not allow tabs for indentation: indent with spaces)"
    )


def test_a_broken_json_file_gets_json_s_error_not_yaml_s():
    with pytest.raises(UserError) as err:
        load_documents('{"apiVersion": "v1", "kind": "ConfigMap",}', "live.json")
    # the interpreter's own words: Python 3.13 names the trailing comma, earlier versions what should follow it
    assert str(err.value) == ("live.json (document 1): invalid JSON: line 1, column 41: Illegal trailing comma before "
                              "end of object" if sys.version_info >= (3, 13) else
                              "live.json (document 1): invalid JSON: line 1, column 42: Expecting property name "
                              "enclosed in double quotes")
    # JSON-looking text that is not YAML either, from a .yaml file or stdin: JSON's error too
    with pytest.raises(UserError) as err:
        load_documents('{"kind": "ConfigMap" "x": 1}', "<stdin>")
    assert str(err.value) == "<stdin> (document 1): invalid JSON: line 1, column 22: Expecting ',' delimiter"
    # a YAML flow mapping that is not JSON still loads as YAML
    assert load_documents("{kind: ConfigMap, data: {a: b}}", "x.yaml") == [(1, {"kind": "ConfigMap", "data": {"a": "b"}})]


def test_nesting_deeper_than_any_object_names_file_and_document():
    deep = "apiVersion: v1\nkind: ConfigMap\n---\nx: " + "[" * 300 + "]" * 300 + "\n"
    with pytest.raises(UserError) as err:
        load_documents(deep, "app/deep.yaml")
    assert str(err.value) == "app/deep.yaml (document 2): nested more than 200 levels deep; no Kubernetes object is"
    block = "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 260)) + "  " * 260 + "v: 1\n"
    with pytest.raises(UserError, match=r"deep.yaml \(document 1\): nested more than 200"):
        load_documents(block, "deep.yaml")
    # a CRD-like schema 60 levels deep is fine
    ok = "x: " + "[" * 60 + "]" * 60 + "\n"
    assert load_documents(ok, "ok.yaml")[0][0] == 1


# --- what JSON cannot carry, refused where it comes in (issue 14) ---------------------------------

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"


@pytest.mark.parametrize("value", [
    "9" * 5000,                      # decimal: past Python's int/str conversion limit
    "0x" + "f" * 3600,               # hex: parses, but could never be written back as decimal text
    ":".join(["1"] + ["0"] * 2500),  # sexagesimal (YAML 1.1): 60**2500
])
def test_an_integer_too_long_to_write_back_is_refused_with_its_line(value):
    with pytest.raises(UserError) as err:
        load_documents(CM + "---\n" + CM + "data:\n  x: 1\nspec: " + value + "\n", "app/cm.yaml")
    assert str(err.value) == ("app/cm.yaml (document 2): invalid YAML: line 10, column 7: an integer of more than "
                              "4,300 digits; no Kubernetes number is this long")


def test_a_long_integer_under_the_limit_loads_and_dumps():
    (_, doc), = load_documents(CM + "x: " + "9" * 4000 + "\n", "cm.yaml")
    assert doc["x"] == int("9" * 4000) and ("9" * 4000) in dump_documents([doc])


def test_a_json_integer_too_long_is_refused_with_its_line():
    text = '{"apiVersion": "v1",\n "kind": "ConfigMap",\n "x": ' + "1" * 5000 + "}"
    for name in ("live.json", "live.yaml"):  # a .yaml file holding JSON says the same
        with pytest.raises(UserError) as err:
            load_documents(text, name)
        assert str(err.value) == (f"{name} (document 1): invalid JSON: line 3: an integer of more than 4,300 digits; "
                                  "no Kubernetes number is this long")


def test_a_lone_surrogate_escape_in_json_is_refused_naming_the_field():
    text = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": ["ok", "x\\udc00"]}}'
    with pytest.raises(UserError) as err:
        load_documents(text, "cm.json")
    assert str(err.value) == (
        "cm.json (document 1): data.k[1]: invalid JSON: a lone UTF-16 surrogate \\udc00 in a string is not Unicode "
        "text (fix: escape a character outside the Basic Multilingual Plane as a surrogate pair, or write it as "
        "UTF-8)")
    with pytest.raises(UserError) as err:  # in a key: the mapping is named
        load_documents('{"data": {"\\ud800": "x"}}', "cm.json")
    assert str(err.value).startswith("cm.json (document 1): data: invalid JSON: a lone UTF-16 surrogate \\ud800 ")
    # a surrogate pair is one character, and an escaped backslash is no escape at all
    (_, doc), = load_documents('{"a": "\\ud83d\\ude00", "b": "\\\\ud800"}', "ok.json")
    assert doc == {"a": "\U0001F600", "b": "\\ud800"}


@pytest.mark.parametrize("text, where", [
    ("data: &a\n  x: *a\n", "line 5, column 7"),                      # a mapping holding itself
    ("spec:\n  list: &l\n  - a\n  - [b, *l]\n", "line 6, column 9"),  # a sequence, one level down
    ("spec:\n  a: &x {b: {c: [1, {d: *x}]}}\n", "line 6, column 6"),  # deep inside
])
def test_a_recursive_alias_is_refused_before_anything_is_built(text, where):
    # The position is the anchor's: the collection that would contain itself.
    with pytest.raises(UserError) as err:
        load_documents("kind: List\n---\nkind: ConfigMap\nmetadata: {name: b}\n" + text, "app/x.yaml")
    assert str(err.value) == (
        f"app/x.yaml (document 2): {where}: an alias refers to the anchored collection that contains it (a recursive "
        "alias); a Kubernetes object cannot contain itself (fix: an alias may only repeat a collection from outside it)")


def test_an_alias_repeating_a_collection_from_outside_it_still_works():
    docs = load_documents("a: &a {x: 1}\nb: [*a, *a]\nc: {d: *a}\n", "x.yaml")
    assert docs[0][1] == {"a": {"x": 1}, "b": [{"x": 1}, {"x": 1}], "c": {"d": {"x": 1}}}


def test_duplicate_keys_in_json_are_refused_with_their_line_as_the_docs_say():
    text = '{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",\n  "data": {"a": "1",\n           "a": "2"}\n}\n'
    for name in ("cm.json", "cm.yaml", "<stdin>"):
        with pytest.raises(UserError) as err:
            load_documents(text, name)
        assert str(err.value) == f"{name} (document 1): invalid JSON: line 5, column 12: duplicate key 'a'"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant):
    with pytest.raises(UserError) as err:
        load_documents('{"kind": "ConfigMap", "x": ' + constant + "}", "cm.json")
    assert str(err.value) == (f"cm.json (document 1): invalid JSON: {constant} is not a JSON number (JSON has no NaN "
                              "or Infinity)")


@pytest.mark.parametrize("tag, value, column", [("!!binary", "aGVsbG8=", 14), ("!!set", "{a, b}", 4)])
def test_types_json_has_no_word_for_are_refused(tag, value, column):
    with pytest.raises(UserError) as err:
        load_documents(CM + f"data: {{k: {tag} {value}}}\n".replace("{k: !!set", "{k: !!set"), "cm.yaml")
    assert str(err.value).startswith("cm.yaml (document 1): invalid YAML: line 4, column ")
    assert str(err.value).endswith(f"{tag} is not JSON data: a Kubernetes object holds strings, numbers, booleans, "
                                   "null, lists and mappings")


def test_count_nodes_is_a_bound_taken_before_parsing():
    from flink_gitops.yamlio import count_nodes

    dense = "x: [" + "1," * 1000 + "1]"
    assert count_nodes(dense) > 1000  # one line, a thousand nodes: the commas tell
    nested = "- {a: {b: {c: 1}}}\n" * 10
    assert count_nodes(nested) >= 10 * 4  # mappings and keys with no comma between them: brackets and colons tell
