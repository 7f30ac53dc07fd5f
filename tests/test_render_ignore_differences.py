"""ignoreDifferences for child Applications of an app-of-apps, and the argocd-cm entries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from flink_gitops.render import params as P
from flink_gitops.render.api import render
from flink_gitops.render.context import RenderContext, normalize_repo_url
from flink_gitops.argocd.ignore_differences import system_level_customizations
from flink_gitops.render.ignore_differences import merge_entries

REPO = Path(__file__).parent / "fixtures" / "apps" / "app-of-apps-repo"
URL = "https://git.example.com/platform/streaming.git"
STATUS = {"group": "flink.apache.org", "kind": "FlinkDeployment", "jsonPointers": ["/status"]}
JOB_STATUS = {"group": "flink.apache.org", "kind": "FlinkSessionJob", "jsonPointers": ["/status"]}


def render_parent(repo: Path = REPO, url: str = URL, **params) -> tuple[dict, RenderContext]:
    env = {"ARGOCD_APP_SOURCE_PATH": "apps", "ARGOCD_APP_SOURCE_REPO_URL": url, "ARGOCD_APP_NAME": "streaming"}
    contexts: list[RenderContext] = []
    docs = render(str((repo / "apps").resolve()), {**P.defaults(), "validate": "false", **params}, env,
                  contexts=contexts)
    return {d["metadata"]["name"]: d for d in docs}, contexts[0]


def test_child_in_this_repository_keeps_user_entries_and_options():
    apps, _ = render_parent()
    spec = apps["orders"]["spec"]
    assert spec["ignoreDifferences"] == [
        {"group": "flink.apache.org", "kind": "FlinkDeployment", "jsonPointers": ["/spec/restartNonce", "/status"]},
        {"group": "apps", "kind": "Deployment", "jqPathExpressions": [".spec.template.spec.containers[].resources"]},
        JOB_STATUS,  # the always-safe set is whole, whether or not the child has a session job
    ]
    assert spec["syncPolicy"] == {"automated": {"prune": True, "selfHeal": True},
                                  "syncOptions": ["CreateNamespace=true", "RespectIgnoreDifferences=true"]}


def test_autoscaled_child_ignores_parallelism_of_that_deployment_only():
    apps, _ = render_parent()  # the child's repoURL is written scp-style: still this repository
    assert apps["fraud"]["spec"]["ignoreDifferences"] == [
        STATUS, JOB_STATUS,
        {"group": "flink.apache.org", "kind": "FlinkDeployment", "name": "fraud-detector",
         "jsonPointers": ["/spec/job/parallelism"]},
    ]


def test_hpa_target_ignores_taskmanager_replicas():
    apps, _ = render_parent()  # multi-source Application
    assert apps["clicks"]["spec"]["ignoreDifferences"][2] == {
        "group": "flink.apache.org", "kind": "FlinkDeployment", "name": "clickstream", "namespace": "web",
        "jsonPointers": ["/spec/taskManager/replicas"]}
    assert apps["clicks"]["spec"]["syncPolicy"]["syncOptions"] == ["RespectIgnoreDifferences=true"]


def test_child_without_flink_resources_is_left_alone():
    apps, _ = render_parent()
    original = yaml.safe_load((REPO / "apps" / "web.yaml").read_text())
    assert apps["web"] == original


def test_children_that_cannot_be_read_get_the_safe_entries_and_a_note():
    apps, ctx = render_parent()
    assert apps["partner-feeds"]["spec"]["ignoreDifferences"] == [STATUS, JOB_STATUS]
    assert apps["tenants"]["spec"]["template"]["spec"]["ignoreDifferences"] == [STATUS, JOB_STATUS]
    notes = "\n".join(ctx.notes)
    assert "Application argocd/partner-feeds: cannot inspect its source (its repository " \
           "https://git.partner.example.org/feeds/flink.git is not this app's)" in notes
    assert "ApplicationSet argocd/tenants: cannot inspect its source (its source is templated)" in notes


def test_unknown_repository_url_means_safe_entries_for_every_flink_child():
    apps, ctx = render_parent(url="")
    assert apps["fraud"]["spec"]["ignoreDifferences"] == [STATUS, JOB_STATUS]
    assert any("repository URL is unknown" in n for n in ctx.notes)


def test_parallelism_managed_externally():
    apps, _ = render_parent(**{"parallelism-managed-externally": "true"})
    # Same target as the kind-wide entry: merged into it, not a second entry.
    assert apps["orders"]["spec"]["ignoreDifferences"][0] == {
        "group": "flink.apache.org", "kind": "FlinkDeployment",
        "jsonPointers": ["/spec/restartNonce", "/status", "/spec/job/parallelism"]}
    # The autoscaled one needs no named entry any more.
    assert apps["fraud"]["spec"]["ignoreDifferences"] == [
        dict(STATUS, jsonPointers=["/status", "/spec/job/parallelism"]), JOB_STATUS]


def test_child_path_leaving_the_repository_is_not_read(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "fd.yaml").write_text((REPO / "flink" / "fraud" / "fraud-detector.yaml").read_text())
    app = yaml.safe_load((repo / "apps" / "fraud.yaml").read_text())
    app["spec"]["source"]["path"] = "../outside"
    (repo / "apps" / "fraud.yaml").write_text(yaml.safe_dump(app))
    apps, ctx = render_parent(repo)
    assert apps["fraud"]["spec"]["ignoreDifferences"] == [STATUS, JOB_STATUS]
    assert any("its path '../outside' leaves the repository" in n for n in ctx.notes)


def test_broken_child_is_noted_not_fatal(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    (repo / "flink" / "orders" / "broken.yaml").write_text("kind: [unclosed\n")
    apps, ctx = render_parent(repo)
    assert apps["orders"]["spec"]["ignoreDifferences"][0]["jsonPointers"] == ["/spec/restartNonce", "/status"]
    assert any("does not load" in n and "broken.yaml" in n for n in ctx.notes)


def test_respect_ignore_differences_false_is_kept_with_a_warning(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    app = yaml.safe_load((repo / "apps" / "orders.yaml").read_text())
    app["spec"]["syncPolicy"]["syncOptions"].append("RespectIgnoreDifferences=false")
    (repo / "apps" / "orders.yaml").write_text(yaml.safe_dump(app))
    apps, ctx = render_parent(repo)
    assert apps["orders"]["spec"]["syncPolicy"]["syncOptions"] == ["CreateNamespace=true",
                                                                    "RespectIgnoreDifferences=false"]
    assert any("RespectIgnoreDifferences=false is kept" in w for w in ctx.warnings)


def test_merge_never_duplicates():
    once = merge_entries([], [STATUS, JOB_STATUS])
    assert merge_entries(once, [STATUS, JOB_STATUS]) == once
    assert merge_entries([dict(STATUS, jsonPointers=["/status", "/spec/x"])], [STATUS]) == [
        dict(STATUS, jsonPointers=["/status", "/spec/x"])]


@pytest.mark.parametrize("a, b", [
    ("https://git.example.com/platform/streaming.git", "git@git.example.com:platform/streaming"),
    ("https://git.example.com/platform/streaming", "ssh://git@GIT.example.com:22/platform/streaming.git/"),
])
def test_repo_urls_compare_however_spelled(a, b):
    assert normalize_repo_url(a) == normalize_repo_url(b)
    assert normalize_repo_url(a) != normalize_repo_url("https://git.example.com/platform/other.git")


def test_system_level_customizations_for_argocd_cm():
    entries = system_level_customizations()
    assert sorted(entries) == [
        f"resource.customizations.ignoreDifferences.flink.apache.org_{k}"
        for k in ("FlinkBlueGreenDeployment", "FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot")]
    for text in entries.values():
        # The value is YAML text as Argo CD reads it: the keys of an ignoreDifferences entry.
        assert yaml.safe_load(text) == {"jsonPointers": ["/status"]}
        assert not text.startswith("---")


def test_hpa_in_the_parent_stream_counts_for_the_child(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    (repo / "apps" / "hpa.yaml").write_text(yaml.safe_dump({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "orders-tm"},
        "spec": {"minReplicas": 1, "maxReplicas": 4,
                 "scaleTargetRef": {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                                    "name": "orders"}}}))
    apps, _ = render_parent(repo)
    assert {"group": "flink.apache.org", "kind": "FlinkDeployment", "name": "orders",
            "jsonPointers": ["/spec/taskManager/replicas"]} in apps["orders"]["spec"]["ignoreDifferences"]


from hypothesis import given, settings, strategies as st  # noqa: E402

POINTERS = st.sampled_from(["/status", "/spec/job/parallelism", "/spec/taskManager/replicas", "/spec/restartNonce"])
ENTRY = st.fixed_dictionaries(
    {"group": st.sampled_from(["flink.apache.org", "apps"]), "kind": st.sampled_from(["FlinkDeployment", "Deployment"]),
     "jsonPointers": st.lists(POINTERS, unique=True, max_size=3)},
    optional={"name": st.sampled_from(["a", "b"]), "namespace": st.sampled_from(["x", "y"])})


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(ENTRY, max_size=4), st.lists(ENTRY, max_size=4))
def test_property_merge_keeps_user_entries_adds_missing_never_duplicates(existing, wanted):
    import copy

    before, wanted_before = copy.deepcopy(existing), copy.deepcopy(wanted)
    merged = merge_entries(existing, wanted)
    assert existing == before and wanted == wanted_before  # inputs untouched
    assert merge_entries(merged, wanted) == merged  # idempotent
    # The user's entries come first, in order, each keeping its pointers as a prefix.
    for old, new in zip(before, merged):
        assert {k: v for k, v in new.items() if k != "jsonPointers"} == \
            {k: v for k, v in old.items() if k != "jsonPointers"}
        assert new["jsonPointers"][: len(old["jsonPointers"])] == old["jsonPointers"]
    # Every wanted pointer is covered by an entry with the same target; no pointer twice in an entry.
    for want in wanted:
        targets = [e for e in merged if all(e.get(k, "") == want.get(k, "")
                                            for k in ("group", "kind", "name", "namespace"))]
        assert targets and set(want["jsonPointers"]) <= set(targets[0]["jsonPointers"])
    for entry in merged[len(before):]:
        assert len(set(entry["jsonPointers"])) == len(entry["jsonPointers"])


def test_application_fields_of_the_wrong_shape_are_errors_not_overwritten(tmp_path):
    from flink_gitops.errors import UserError

    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    app = yaml.safe_load((repo / "apps" / "orders.yaml").read_text())
    app["spec"]["syncPolicy"]["syncOptions"] = "CreateNamespace=true"
    (repo / "apps" / "orders.yaml").write_text(yaml.safe_dump(app))
    with pytest.raises(UserError, match=r"orders.yaml \(document 1\): Application argocd/orders: "
                                        r"spec.syncPolicy.syncOptions: must be a list"):
        render_parent(repo)


def _render_stream(folder: Path, url: str) -> list[dict]:
    env = {"ARGOCD_APP_SOURCE_PATH": "apps", "ARGOCD_APP_SOURCE_REPO_URL": url, "ARGOCD_APP_NAME": "streaming"}
    return render(str(folder), {**P.defaults(), "validate": "false"}, env)


def _render_again(tmp_path: Path, once: list[dict], url: str) -> list[dict]:
    """The rendered stream committed as the parent app's only file, rendered again."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO, repo)
    for old in (repo / "apps").iterdir():
        old.unlink()
    (repo / "apps" / "rendered.yaml").write_text(yaml.safe_dump_all(once, sort_keys=False))
    return _render_stream((repo / "apps").resolve(), url)


@pytest.mark.parametrize("url", [URL, ""], ids=["children-readable", "children-unreadable"])
def test_render_of_the_render_is_the_render(tmp_path, url):
    once = _render_stream((REPO / "apps").resolve(), url)
    assert _render_again(tmp_path, once, url) == once


def test_render_again_where_the_children_cannot_be_read_changes_no_flink_child(tmp_path):
    # Issue 8: a child that could be read got only the /status entries of the kinds it holds (the
    # fraud child: FlinkDeployment); rendered again where it cannot be read, it also got the
    # FlinkSessionJob entry. Now both get the whole always-safe set: nothing changes.
    once = {d["metadata"]["name"]: d for d in _render_stream((REPO / "apps").resolve(), URL)}
    again = {d["metadata"]["name"]: d for d in _render_again(tmp_path, list(once.values()), "")}
    for name in ("orders", "fraud", "clicks", "partner-feeds", "tenants"):
        assert again[name] == once[name], name
    # A child without Flink resources is left alone where it can be read; where it cannot, nothing
    # tells that it has none, so it gets the always-safe entries (which match nothing there).
    assert "ignoreDifferences" not in once["web"]["spec"]
    assert again["web"]["spec"]["ignoreDifferences"] == [STATUS, JOB_STATUS]


def test_the_always_safe_entries_are_the_same_set_whether_or_not_the_child_can_be_read():
    readable, _ = render_parent()
    unreadable, _ = render_parent(url="")
    safe = [STATUS, JOB_STATUS]
    for name in ("orders", "fraud", "clicks"):
        got = [e for e in readable[name]["spec"]["ignoreDifferences"] if e in safe or
               (e.get("group") == "flink.apache.org" and "name" not in e)]
        assert {e["kind"] for e in got} == {"FlinkDeployment", "FlinkSessionJob"}, name
        assert {e["kind"] for e in unreadable[name]["spec"]["ignoreDifferences"] if "name" not in e} >= \
            {"FlinkDeployment", "FlinkSessionJob"}, name


def test_child_folders_are_read_within_the_renders_budget_and_past_it_the_render_fails():
    # The parent's own files are small; the children's folders are read for their objects, charged to the same
    # budget. Past it the render stops (not a quiet fallback to the always-safe entries).
    from flink_gitops.errors import UserError

    apps_only = sum(len(p.read_bytes()) for p in (REPO / "apps").glob("*.yaml"))
    with pytest.raises(UserError) as err:
        render_parent(**{"max-total-size": str(apps_only + 10)})
    assert "past its limit of" in str(err.value) and "parameter max-total-size" in str(err.value)
    assert str(err.value).startswith("flink/")  # named by the child's file that went past it
    apps, _ = render_parent(**{"max-total-size": "1Mi"})
    assert "ignoreDifferences" in apps["orders"]["spec"]
