"""Reading watch lines and list items: what the reflector may apply, and why not, in one line."""

from __future__ import annotations

import pytest

from flink_gitops.cluster.events import Unreadable, decode_line, describe_item, object_problem

KIND = "FlinkDeployment"


def test_events_of_every_type_are_read_and_list_items_completed():
    added = decode_line(b'{"type": "ADDED", "object": {"metadata": {"name": "a", "namespace": "n", '
                        b'"resourceVersion": "7"}}}', KIND)
    assert (added.type, added.resource_version) == ("ADDED", "7")
    assert added.object["kind"] == KIND and added.object["apiVersion"] == "flink.apache.org/v1beta1"
    bookmark = decode_line('{"type": "BOOKMARK", "object": {"kind": "FlinkDeployment", '
                           '"metadata": {"resourceVersion": "9"}}}', KIND)
    assert (bookmark.type, bookmark.resource_version) == ("BOOKMARK", "9")
    error = decode_line('{"type": "ERROR", "object": {"kind": "Status", "code": 410, "reason": "Expired"}}', KIND)
    assert error.object["code"] == 410


@pytest.mark.parametrize("line, says", [
    ("", "a line that is not JSON (Expecting value): ''"),
    ('{"type": "ADDED", "object": {"metadata": {"name": "a"}}', "a line that is not JSON (Expecting ',' delimiter)"),
    (b"\xff\xfe", "a line that is not JSON"),
    ("null", "a line that is a JSON null, not an event: 'null'"),
    ('"ADDED"', "a line that is a JSON string, not an event"),
    ('{"object": {}}', "an event without a type: '{\"object\": {}}'"),
    ('{"type": "DELETED", "object": null}', "a DELETED event without an object"),
    ('{"type": "BOOKMARK", "object": {"metadata": {}}}', "a BOOKMARK without metadata.resourceVersion"),
    ('{"type": "ERROR", "object": {"code": "410"}}', "an ERROR event without a status code"),
    ('{"type": "ADDED", "object": {"metadata": []}}', "an ADDED event whose object cannot be read (metadata is a "
                                                      "JSON array)"),
    ('{"type": "ADDED", "object": {"metadata": {"name": ""}}}', "(no metadata.name)"),
    ('{"type": "ADDED", "object": {"metadata": {"name": "a", "namespace": 3}}}',
     "(metadata.namespace is not a string)"),
])
def test_what_cannot_be_applied_is_unreadable_with_a_one_line_reason(line, says):
    with pytest.raises(Unreadable) as caught:
        decode_line(line, KIND)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_long_line_is_shortened_in_the_reason():
    with pytest.raises(Unreadable) as caught:
        decode_line("{" + "x" * 10_000, KIND)
    assert len(str(caught.value)) < 200 and str(caught.value).endswith("...'")


def test_list_items_name_themselves_when_they_can():
    assert object_problem({"metadata": {"name": "a"}}, KIND) is None  # a List's items may leave out kind
    assert object_problem({"kind": "FlinkSessionJob", "metadata": {"name": "a"}}, KIND) == \
        "kind 'FlinkSessionJob', not FlinkDeployment"
    assert object_problem(7, KIND) == "not an object but a JSON number '7'"
    assert describe_item({"metadata": {"name": "a", "namespace": "n"}}, 0) == "n/a"
    assert describe_item([], 4) == "item 5"
