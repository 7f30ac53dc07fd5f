"""``flink-gitops serve`` under real gunicorn when the watch stream itself goes wrong: a watch that stays
open and sends nothing, a line that is not a watch event, objects that cannot be read. The service must
say a kind is not current while it is not, count and log what it could not read, and never lose the
objects that follow.
"""

from __future__ import annotations

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from flink_gitops.cluster.reflector import WATCH_IDLE_TIMEOUT
from flink_gitops.service import settings
from flink_gitops.simulation.apiserver import ApiServer
from service_objects import deployment
from service_process import BIN, serve, wait_until
from service_process import http as request
from test_service_dashboard import browser  # noqa: F401 - the headless chromium fixture

KINDS = ("FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot")
IDLE = 2.0  # --watch-idle-timeout in these tests; the stand-in sends a bookmark every 0.5 s


def put(api: ApiServer, obj: dict) -> dict:
    meta = obj["metadata"]
    return api.create(obj["kind"], meta["namespace"], meta["name"], spec=obj.get("spec"), status=obj.get("status"),
                      generation=meta.get("generation", 1))


def seed(api: ApiServer) -> None:
    put(api, deployment("orders", "streaming", "Healthy"))
    put(api, deployment("pricing", "streaming", "Degraded", error="checkpoint storage unreachable"))
    api.create("FlinkSessionJob", "streaming", "enrich", spec={"deploymentName": "orders"})


def expected(api: ApiServer) -> set[tuple[str, str, str]]:
    return {(o["metadata"]["namespace"], o["kind"], o["metadata"]["name"]) for k in KINDS for o in api.objects(k)}


def samples(svc, name: str) -> dict[tuple, float]:
    code, text, _ = request(svc.url("/metrics"))
    assert code == 200
    return {tuple(sorted(s.labels.items())): s.value for f in text_string_to_metric_families(text.decode())
            for s in f.samples if s.name == name}


@pytest.fixture
def api():
    with ApiServer(installed=KINDS) as server:
        yield server


# --- end to end ------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.slow
def test_a_stalled_watch_is_reported_failing_within_the_idle_timeout_and_recovers(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), "--watch-idle-timeout", f"{IDLE:g}") as svc:
        svc.wait_ready()
        wait_until(lambda: svc.get("/api/v1/resources")[1]["synced"], 20, "every kind to be current")
        wait_until(lambda: api.open_watches == len(KINDS), 10, "a watch per kind")
        api.mute_watches(True)  # every watch stays open and sends nothing, not even bookmarks
        muted = time.monotonic()

        def all_failing():
            code, body = svc.get("/readyz")
            watched = {k: s for k, s in body["kinds"].items() if k in KINDS}  # FlinkBlueGreenDeployment: absent
            return body if all(s["state"] == "failing" for s in watched.values()) else None

        body = wait_until(all_failing, 30, "/readyz to say every kind's watch is stalled", interval=0.05)
        # within the idle timeout of the last bookmark (at most 0.5 s before the mute), and a poll
        assert time.monotonic() - muted < IDLE + 2.0
        assert body["kinds"]["FlinkDeployment"] == {
            "state": "failing", "reason": "the watch sent no event and no bookmark for 2s; watching again"}
        code, body = svc.get("/readyz")
        assert code == 200 and body["ready"] is True  # as in an outage: the last known health is served
        assert svc.get("/api/v1/resources")[1]["synced"] is False
        state = samples(svc, "flink_gitops_watch_state")
        assert state[(("kind", "FlinkDeployment"), ("state", "failing"))] == 1.0
        assert state[(("kind", "FlinkDeployment"), ("state", "synced"))] == 0.0

        # a change the stuck server holds back stays unseen, and the service keeps saying so
        api.update("FlinkDeployment", "streaming", "pricing",
                   status=deployment("pricing", "streaming", "Healthy").get("status"))
        time.sleep(2 * IDLE)  # re-watches are accepted, and stay silent too
        assert all_failing() and svc.get("/api/v1/resources")[1]["synced"] is False
        assert svc.statuses()[("streaming", "FlinkDeployment", "pricing")] == "Degraded"

        api.mute_watches(False)
        wait_until(lambda: svc.get("/api/v1/resources")[1]["synced"], 20, "every kind to be current again")
        wait_until(lambda: svc.statuses()[("streaming", "FlinkDeployment", "pricing")] == "Healthy", 10,
                   "the held-back change")
        assert svc.get("/readyz")[1]["kinds"]["FlinkDeployment"] == {"state": "synced"}
        restarts = samples(svc, "flink_gitops_watch_restarts_total")
        assert restarts[(("kind", "FlinkDeployment"), ("reason", "timeout"))] >= 1
        assert api.count("FlinkDeployment", "list") == 1  # resumed from where it was: no relist
        assert svc.terminate() == 0
        log = svc.log_text()
        assert "reflector-flinkdeployments: failing (the watch sent no event and no bookmark for 2s" in log
        assert "Traceback" not in log


@pytest.mark.e2e
@pytest.mark.slow
def test_unreadable_watch_lines_are_counted_logged_and_nothing_after_them_is_lost(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
        svc.wait_ready()
        wait_until(lambda: api.open_watches == len(KINDS), 10, "a watch per kind")
        lists = {k: api.count(k, "list") for k in KINDS}
        api.inject_watch_line("FlinkDeployment", '{"type": "MODIFIED", "object": {"metadata": ')  # cut short
        api.inject_watch_line("FlinkSessionJob", '{"type": "ADDED", "object": {"kind": "FlinkSessionJob"}}')
        # the objects that follow the bad lines
        put(api, deployment("late", "batch", "Degraded", error="OOMKilled"))
        api.create("FlinkSessionJob", "batch", "late-job", spec={"deploymentName": "late"})
        api.update("FlinkDeployment", "streaming", "orders",
                   status=deployment("orders", "streaming", "Degraded", error="after the bad line").get("status"))
        wait_until(lambda: set(svc.statuses()) == expected(api), 30, "every object, those after the bad lines too")
        wait_until(lambda: svc.get("/api/v1/resources")[1]["synced"], 20, "every kind to be current again")
        assert svc.statuses()[("streaming", "FlinkDeployment", "orders")] == "Degraded"
        assert svc.statuses()[("batch", "FlinkDeployment", "late")] == "Degraded"
        errors = samples(svc, "flink_gitops_decode_errors_total")
        assert errors == {(("kind", "FlinkDeployment"), ("reason", "watch")): 1.0,
                          (("kind", "FlinkSessionJob"), ("reason", "watch")): 1.0}
        restarts = samples(svc, "flink_gitops_watch_restarts_total")
        assert restarts[(("kind", "FlinkSessionJob"), ("reason", "malformed"))] == 1.0
        assert api.count("FlinkDeployment", "list") > lists["FlinkDeployment"]  # listed again: nothing missed
        assert api.count("FlinkStateSnapshot", "list") == lists["FlinkStateSnapshot"]  # the others untouched
        assert svc.terminate() == 0
        log = svc.log_text()
        assert ("reflector-flinkdeployments: failing (cannot read the watch stream: a line that is not JSON "
                "(Expecting value): '{\"type\": \"MODIFIED\", \"object\": {\"metadata\":'; listing again)") in log
        assert ("reflector-flinksessionjobs: failing (cannot read the watch stream: an ADDED event whose object "
                "cannot be read (no metadata); listing again)") in log
        assert "Traceback" not in log and "unexpected error" not in log


@pytest.mark.e2e
@pytest.mark.slow
def test_unreadable_list_items_are_left_out_counted_and_shown_the_kind_still_served(api, tmp_path):
    seed(api)
    api.add_unreadable("FlinkDeployment", "not an object")
    api.add_unreadable("FlinkDeployment", {"kind": "FlinkDeployment", "spec": {}})
    api.add_unreadable("FlinkDeployment", {"apiVersion": "apps/v1", "kind": "Deployment",
                                           "metadata": {"name": "web", "namespace": "streaming"}})
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"),
               env={"FLINK_GITOPS_WATCH_IDLE_TIMEOUT": "30"}) as svc:
        ready = svc.wait_ready()
        assert ready["kinds"]["FlinkDeployment"] == {"state": "synced", "skipped": 3}
        assert ready["kinds"]["FlinkSessionJob"] == {"state": "synced"}
        assert set(svc.statuses()) == expected(api)
        assert svc.statuses()[("streaming", "FlinkDeployment", "pricing")] == "Degraded"
        body = svc.get("/api/v1/resources")[1]
        assert body["synced"] is True and body["kinds"]["FlinkDeployment"]["skipped"] == 3
        assert samples(svc, "flink_gitops_decode_errors_total") == {
            (("kind", "FlinkDeployment"), ("reason", "list")): 3.0}
        put(api, deployment("late", "batch", "Healthy"))  # the kind is followed as usual
        wait_until(lambda: ("batch", "FlinkDeployment", "late") in svc.statuses(), 15, "the new object")
        assert svc.terminate() == 0
        log = svc.log_text()
        assert "left out a list item that cannot be read: item 1: not an object but a JSON string" in log
        assert "left out a list item that cannot be read: streaming/web: kind 'Deployment'" in log
        assert "Traceback" not in log


@pytest.mark.e2e
@pytest.mark.slow
def test_the_dashboard_says_a_stalled_watch_is_not_current(api, tmp_path, browser):
    from selenium.webdriver.common.by import By

    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), "--watch-idle-timeout", f"{IDLE:g}") as svc:
        svc.wait_ready()
        browser.get(svc.url("/"))

        def badge():
            return browser.find_element(By.ID, "sync").text

        wait_until(lambda: badge() == "live", 20, "the page to be live")
        api.mute_watches(True)
        wait_until(lambda: badge() == "not current: cannot watch the cluster", 20, "the page to say so")
        problems = browser.find_element(By.ID, "problems").text
        assert "FlinkDeployment: failing (the watch sent no event and no bookmark for 2s; watching again)" in problems
        api.mute_watches(False)
        wait_until(lambda: badge() == "live", 20, "the page to be live again")


# --- the setting ---------------------------------------------------------------------------------


def test_the_idle_timeout_setting_comes_from_the_flag_the_environment_or_the_default():
    assert settings.Settings().watch_idle_timeout == WATCH_IDLE_TIMEOUT <= 300  # the issue: at most 5 minutes
    assert settings.resolve({}, environ={}).watch_idle_timeout == WATCH_IDLE_TIMEOUT
    assert settings.resolve({}, environ={"FLINK_GITOPS_WATCH_IDLE_TIMEOUT": "90"}).watch_idle_timeout == 90.0
    assert settings.resolve({"WATCH_IDLE_TIMEOUT": 5}, environ={"FLINK_GITOPS_WATCH_IDLE_TIMEOUT": "90"}) \
        .watch_idle_timeout == 5.0
    for bad in ("0", "-1", "soon", "inf", "nan"):
        with pytest.raises(ValueError, match="FLINK_GITOPS_WATCH_IDLE_TIMEOUT must be a number of seconds above 0"):
            settings.from_env({"FLINK_GITOPS_WATCH_IDLE_TIMEOUT": bad})


def test_serve_refuses_a_bad_idle_timeout_in_one_line(tmp_path):
    import subprocess

    for args, env, says in (
            (["--watch-idle-timeout", "0"], {}, "--watch-idle-timeout must be a number of seconds above 0, got '0'"),
            ([], {"FLINK_GITOPS_WATCH_IDLE_TIMEOUT": "5m"},
             "FLINK_GITOPS_WATCH_IDLE_TIMEOUT must be a number of seconds above 0, got '5m'")):
        out = subprocess.run([str(BIN / "flink-gitops"), "serve", *args], capture_output=True, text=True, timeout=60,
                             env={"PATH": str(BIN), "HOME": str(tmp_path), **env})
        assert (out.returncode, out.stderr) == (2, f"flink-gitops serve: error: {says}\n")
    out = subprocess.run([str(BIN / "flink-gitops"), "serve", "--help"], capture_output=True, text=True, timeout=60)
    assert f"else {WATCH_IDLE_TIMEOUT:g})" in " ".join(out.stdout.split())
