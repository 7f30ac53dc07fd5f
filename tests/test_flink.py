"""The Flink vocabulary: which objects are the operator's, and the names kubectl accepts for its kinds."""

import pytest

from flink_gitops import flink
from flink_gitops.flink import in_api_group, is_flink, resolve_kind


@pytest.mark.parametrize("api, ours", [
    ("flink.apache.org/v1beta1", True),
    ("flink.apache.org/v1alpha1", True),      # another version is still the group (validation names it)
    ("flink.apache.org", False),              # Kubernetes reads this as version "flink.apache.org", no group
    ("flink.apache.org/", False),             # no version
    ("flink.apache.org/v1beta1/x", False),    # not a group/version
    ("xflink.apache.org/v1beta1", False),
    ("apps/v1", False),
    (None, False),
])
def test_an_object_is_the_operators_only_as_kubernetes_parses_its_api_version(api, ours):
    obj = {"apiVersion": api, "kind": "FlinkDeployment"}
    assert in_api_group(obj) is ours
    assert is_flink(obj) is ours


def test_a_misspelled_kind_is_in_the_group_but_has_no_health_table():
    obj = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSesionJob"}
    assert in_api_group(obj) and not is_flink(obj)
    assert is_flink({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob"}, "FlinkSessionJob")
    assert not in_api_group({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob"}, "FlinkDeployment")


@pytest.mark.parametrize("text, kind", [
    ("FlinkDeployment", "FlinkDeployment"), ("flinkdeployments", "FlinkDeployment"), ("FLINKDEP", "FlinkDeployment"),
    ("sessionjob", "FlinkSessionJob"), ("flinksnp", "FlinkStateSnapshot"), ("flinkbgdep", "FlinkBlueGreenDeployment"),
    ("flinksessionjobs.flink.apache.org", "FlinkSessionJob"), ("pods", None), ("flink", None),
])
def test_kinds_are_named_as_kubectl_names_them(text, kind):
    found = resolve_kind(text)
    assert (found.kind if found else None) == kind


def test_every_kind_of_the_vocabulary_has_a_health_table_in_the_same_order():
    from flink_gitops.health.tables import TABLES

    assert tuple(TABLES) == flink.kind_names()
    assert all(t.group == flink.API_GROUP for t in TABLES.values())


@pytest.mark.parametrize("api_version, parsed", [
    ("flink.apache.org/v1beta1", ("flink.apache.org", "v1beta1")),
    ("v1", ("", "v1")),
    ("", ("", "")),
    ("flink.apache.org/", ("flink.apache.org", "")),
    ("flink.apache.org/v1beta1/extra", None),
    (7, None),
])
def test_api_versions_are_parsed_as_apimachinery_parses_them(api_version, parsed):
    assert flink.parse_api_version(api_version) == parsed
    assert flink.group_of({"apiVersion": api_version}) == (parsed[0] if parsed else "")
