"""The reflectors against the API-server stand-in, through the real ``kubernetes`` client over HTTP."""

from __future__ import annotations

import random
import threading
import time

import pytest

from flink_gitops.cluster.config import connect
from flink_gitops.cluster.reflector import Backoff, Timeouts
from flink_gitops.assess import evaluator
from flink_gitops.cluster.store import ABSENT, FAILING, SYNCED, HealthStore
from flink_gitops.cluster.watcher import Watcher, list_once
from flink_gitops.simulation.apiserver import ApiServer
from tests.kubeapi.samples import DEGRADED, HEALTHY, SESSION_JOB, job_failed_status, load, seed, status_of

# Short enough that recoveries happen within a test, long enough not to spin on 2 cores.
FAST = Timeouts(connect=2, list_read=5, min_watch=3, read_margin=2, absent_retry=0.5)
QUICK = Backoff(initial=0.05, cap=0.4)


@pytest.fixture
def server():
    with ApiServer(bookmark_interval=0.2) as s:
        yield s


def start(server, tmp_path, store=None, token=None, **kw) -> tuple[Watcher, HealthStore]:
    cluster = connect(server.kubeconfig(tmp_path / "kubeconfig", token=token))
    store = store or HealthStore()
    kw.setdefault("timeouts", FAST)
    kw.setdefault("backoff", QUICK)
    return Watcher(cluster.api_client, store, **kw).start(), store


def until(store: HealthStore, predicate, timeout: float = 15.0, what: str = "condition"):
    """Wait on the store's change signal until ``predicate()`` holds; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    version = -1
    while not predicate():
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        version = store.wait_for_change(version if version >= 0 else store.version, min(left, 0.2))


def stored(store: HealthStore) -> set:
    return {(r.namespace, r.kind, r.name, r.resource_version) for r in store.all_records()}


def served(server) -> set:
    from flink_gitops.flink import kind_names

    return {(o["metadata"]["namespace"], o["kind"], o["metadata"]["name"], o["metadata"]["resourceVersion"])
            for k in kind_names() for o in server.objects(k)}


def test_lists_then_follows_changes_with_the_health_argo_cd_shows(server, tmp_path):
    seed(server, HEALTHY, "streaming", "orders")
    seed(server, DEGRADED, "streaming", "pricing")
    seed(server, SESSION_JOB, "jobs", "fraud")
    watcher, store = start(server, tmp_path)
    try:
        until(store, store.synced, what="first sync")
        assert {(r.name, r.status) for r in store.all_records()} == {
            ("orders", "Healthy"), ("pricing", "Degraded"), ("fraud", "Healthy")}
        healthy_since = store.get("streaming", "FlinkDeployment", "orders").since

        # a new spec: generation 4, the operator still at 3 -> Progressing, never Healthy
        spec = dict(load(HEALTHY)["spec"], restartNonce=7)
        server.update("FlinkDeployment", "streaming", "orders", spec=spec)
        until(store, lambda: store.get("streaming", "FlinkDeployment", "orders").status == "Progressing")
        progressing = store.get("streaming", "FlinkDeployment", "orders")
        assert progressing.generation == 4 and progressing.observed_generation == 3
        assert progressing.since >= healthy_since

        server.update("FlinkDeployment", "streaming", "orders", status=status_of(HEALTHY, observed_generation=4))
        until(store, lambda: store.get("streaming", "FlinkDeployment", "orders").status == "Healthy")
        server.delete("FlinkDeployment", "streaming", "pricing")
        until(store, lambda: store.get("streaming", "FlinkDeployment", "pricing") is None)
        assert stored(store) == served(server)
        assert store.transitions()[("FlinkDeployment", "Healthy", "Progressing")] == 1
        assert store.transitions()[("FlinkDeployment", "Progressing", "Healthy")] == 1
        # one list per kind: every change came over the watch
        assert server.count("FlinkDeployment", "list") == 1
        assert watcher.alive()
    finally:
        assert watcher.stop()


def test_a_large_list_is_read_in_pages(server, tmp_path):
    for i in range(23):
        seed(server, HEALTHY, f"ns{i % 3}", f"app-{i:02d}")
    watcher, store = start(server, tmp_path, page_size=5, kinds=["FlinkDeployment"], store=HealthStore(
        kinds=["FlinkDeployment"]))
    try:
        until(store, store.synced)
        assert len(store.all_records()) == 23
        assert server.count("FlinkDeployment", "list") == 5  # 5 + 5 + 5 + 5 + 3
        assert stored(store) == served(server)
    finally:
        watcher.stop()


def test_relists_when_history_was_compacted_during_an_outage(server, tmp_path):
    for i in range(4):
        seed(server, HEALTHY, "streaming", f"app-{i}")
    watcher, store = start(server, tmp_path)
    try:
        until(store, store.synced)
        server.outage(True)  # cuts every open watch; every request now gets 503
        until(store, lambda: store.watch_restarts().get(("FlinkDeployment", "error"), 0) >= 1,
              what="a refused re-watch")
        server.delete("FlinkDeployment", "streaming", "app-0")
        server.update("FlinkDeployment", "streaming", "app-1", status=job_failed_status())
        seed(server, DEGRADED, "streaming", "app-new")
        server.compact()
        # during the outage the kind says it is failing and why, and keeps serving what it had
        until(store, lambda: store.kind_states()["FlinkDeployment"].state == FAILING, what="FAILING")
        state = store.kind_states()["FlinkDeployment"]
        assert state.code == 503 and state.reason.startswith("503 Service Unavailable")
        assert store.ready() and not store.synced()
        assert store.get("streaming", "FlinkDeployment", "app-0") is not None
        server.outage(False)
        until(store, lambda: stored(store) == served(server), what="the store to match the server")
        until(store, store.synced, what="the kind to be current again")
        assert store.get("streaming", "FlinkDeployment", "app-1").status == "Degraded"
        assert store.watch_restarts()[("FlinkDeployment", "expired")] == 1
        assert server.count("FlinkDeployment", "list") == 2
    finally:
        watcher.stop()


def test_an_unreachable_server_after_the_first_sync_is_failing_until_a_watch_is_accepted(server, tmp_path):
    seed(server, HEALTHY, "streaming", "orders")
    watcher, store = start(server, tmp_path, kinds=["FlinkDeployment"], store=HealthStore(kinds=["FlinkDeployment"]))
    try:
        until(store, store.synced)
        server.outage(True)  # every new watch request is refused with 503
        until(store, lambda: store.kind_states()["FlinkDeployment"].state == FAILING, what="FAILING")
        assert store.kind_states()["FlinkDeployment"].code == 503
        assert store.ready() and store.get("streaming", "FlinkDeployment", "orders").status == "Healthy"
        server.outage(False)
        until(store, store.synced, what="SYNCED again once a watch is accepted")
        assert server.count("FlinkDeployment", "list") == 1  # watched again from where it was: no relist
        server.update("FlinkDeployment", "streaming", "orders", status=job_failed_status())
        until(store, lambda: store.get("streaming", "FlinkDeployment", "orders").status == "Degraded")
    finally:
        watcher.stop()


def test_a_crd_installed_after_start_is_picked_up(tmp_path):
    with ApiServer(installed=["FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot"]) as server:
        watcher, store = start(server, tmp_path)
        try:
            until(store, store.synced)
            state = store.kind_states()["FlinkBlueGreenDeployment"]
            assert state.state == ABSENT and "flinkbluegreendeployments.flink.apache.org" in state.reason
            lists_while_absent = server.count("FlinkBlueGreenDeployment", "list")
            server.install("FlinkBlueGreenDeployment")
            server.create("FlinkBlueGreenDeployment", "streaming", "bg", spec={}, status={})
            until(store, lambda: store.get("streaming", "FlinkBlueGreenDeployment", "bg") is not None,
                  what="the new kind's object")
            assert store.kind_states()["FlinkBlueGreenDeployment"].state == SYNCED
            assert server.count("FlinkBlueGreenDeployment", "list") > lists_while_absent
            assert watcher.alive()

            server.uninstall("FlinkBlueGreenDeployment")  # CRD deleted: its objects go, the kind is absent
            until(store, lambda: store.kind_states()["FlinkBlueGreenDeployment"].state == ABSENT)
            assert store.get("streaming", "FlinkBlueGreenDeployment", "bg") is None
        finally:
            watcher.stop()


def test_bad_credentials_fail_with_the_code_and_recover_when_accepted(server, tmp_path, caplog):
    seed(server, HEALTHY, "streaming", "orders")
    caplog.set_level("WARNING", logger="flink_gitops.cluster")
    watcher, store = start(server, tmp_path, token="stale-token")
    try:
        until(store, lambda: all(s.state == FAILING for s in store.kind_states().values()), what="FAILING")
        state = store.kind_states()["FlinkDeployment"]
        assert state.code == 401 and state.reason.startswith("401 Unauthorized")
        assert "reflector-flinkdeployments: failing (401 Unauthorized)" in caplog.text
        assert not store.synced() and watcher.alive()
        server.token = "stale-token"  # the server now accepts what the client sends
        until(store, store.synced, what="recovery")
        assert store.get("streaming", "FlinkDeployment", "orders").status == "Healthy"
    finally:
        watcher.stop()


def test_forbidden_kind_fails_alone(server, tmp_path):
    server.forbid("FlinkStateSnapshot")
    watcher, store = start(server, tmp_path)
    try:
        until(store, lambda: store.kind_states()["FlinkStateSnapshot"].state == FAILING
              and store.kind_states()["FlinkDeployment"].state == SYNCED)
        state = store.kind_states()["FlinkStateSnapshot"]
        assert state.code == 403 and "cannot list" in state.reason
        assert not store.synced()
    finally:
        watcher.stop()


def test_bookmarks_keep_a_quiet_kind_from_relisting_after_compaction(server, tmp_path):
    watcher, store = start(server, tmp_path, kinds=["FlinkDeployment"], store=HealthStore(kinds=["FlinkDeployment"]))
    try:
        until(store, store.synced)
        for i in range(30):  # churn in another kind: the FlinkDeployment watch sees only bookmarks
            seed(server, SESSION_JOB, "jobs", f"job-{i}")
        latest = str(server.resource_version)
        reflector = watcher.reflectors[0]
        deadline = time.monotonic() + 10
        while reflector.resource_version != latest:  # a bookmark arrives within bookmark_interval
            assert time.monotonic() < deadline, "no bookmark advanced the resourceVersion"
            time.sleep(0.05)
        server.compact()
        server.drop_watches()
        until(store, lambda: store.watch_restarts().get(("FlinkDeployment", "dropped"), 0) >= 1)
        deadline = time.monotonic() + 10
        while server.count("FlinkDeployment", "watch") < 2:
            assert time.monotonic() < deadline, "no re-watch"
            time.sleep(0.05)
        seed(server, HEALTHY, "streaming", "after")
        until(store, lambda: store.get("streaming", "FlinkDeployment", "after") is not None)
        assert server.count("FlinkDeployment", "list") == 1  # re-watched from the bookmark: no relist
        assert ("FlinkDeployment", "expired") not in store.watch_restarts()
    finally:
        watcher.stop()


def test_converges_after_churn(server, tmp_path):
    rng = random.Random(9)
    examples = [HEALTHY, DEGRADED, SESSION_JOB]
    names = []
    for i in range(60):
        ex = examples[i % 3]
        seed(server, ex, f"ns{i % 4}", f"obj-{i}")
        names.append((load(ex)["kind"], f"ns{i % 4}", f"obj-{i}"))
    watcher, store = start(server, tmp_path)
    try:
        until(store, store.synced)
        n = len(names)
        for step in range(600):
            op = rng.random()
            if op < 0.5 and names:
                kind, ns, name = rng.choice(names)
                server.update(kind, ns, name, status=rng.choice([status_of(HEALTHY), job_failed_status()])
                              if kind == "FlinkDeployment" else status_of(SESSION_JOB))
            elif op < 0.75 and names:
                kind, ns, name = names.pop(rng.randrange(len(names)))
                server.delete(kind, ns, name)
            else:
                ex = rng.choice(examples)
                ns, name = f"ns{rng.randrange(4)}", f"obj-{n}"
                n += 1
                seed(server, ex, ns, name)
                names.append((load(ex)["kind"], ns, name))
            if step in (200, 400):  # connections drop mid-churn too
                server.drop_watches()
        until(store, lambda: stored(store) == served(server), timeout=30, what="convergence")
        assert len(store.all_records()) == len(names)
        # each record holds the health of the object's latest version, as file mode assesses it
        evaluate = evaluator()
        latest = {(o["metadata"]["namespace"], o["kind"], o["metadata"]["name"]): o
                  for k in ("FlinkDeployment", "FlinkSessionJob") for o in server.objects(k)}
        assert {r.key: r.status for r in store.all_records()} == {
            (ns, kind, name): evaluate(o).status for (ns, kind, name), o in latest.items()}
        assert {r.status for r in store.all_records()} >= {"Healthy", "Degraded", "Progressing"}
    finally:
        watcher.stop()


def test_namespaces_limit_what_is_watched(server, tmp_path):
    seed(server, HEALTHY, "team-a", "one")
    seed(server, HEALTHY, "team-b", "two")
    seed(server, HEALTHY, "team-c", "three")
    watcher, store = start(server, tmp_path, namespaces=["team-a", "team-b"])
    try:
        until(store, store.synced)
        assert {r.name for r in store.all_records()} == {"one", "two"}
        assert server.count("FlinkDeployment", "list") == 2  # one list (and watch) per namespace
        seed(server, HEALTHY, "team-c", "ignored")
        seed(server, HEALTHY, "team-b", "seen")
        until(store, lambda: store.get("team-b", "FlinkDeployment", "seen") is not None)
        assert store.get("team-c", "FlinkDeployment", "ignored") is None
        # a relist of one namespace leaves the other's objects alone
        server.outage(True)
        server.delete("FlinkDeployment", "team-a", "one")
        server.compact()
        server.outage(False)
        # both namespaces relist (their resourceVersions were compacted away)
        until(store, lambda: server.count("FlinkDeployment", "list") == 4
              and store.get("team-a", "FlinkDeployment", "one") is None)
        assert store.get("team-b", "FlinkDeployment", "two") is not None
        assert store.get("team-b", "FlinkDeployment", "seen") is not None
    finally:
        watcher.stop()


def test_a_silent_connection_ends_in_a_client_read_timeout(server, tmp_path):
    watcher, store = start(server, tmp_path, kinds=["FlinkDeployment"], store=HealthStore(kinds=["FlinkDeployment"]),
                           timeouts=Timeouts(connect=2, list_read=5, min_watch=1, read_margin=1, absent_retry=1))
    try:
        until(store, store.synced)
        server.stall(True)
        server.drop_watches()  # the next watch gets headers, then silence, past its timeoutSeconds
        until(store, lambda: store.watch_restarts().get(("FlinkDeployment", "timeout"), 0) >= 1, timeout=20,
              what="a client-side read timeout")
        server.stall(False)
        seed(server, HEALTHY, "streaming", "after-stall")
        until(store, lambda: store.get("streaming", "FlinkDeployment", "after-stall") is not None)
    finally:
        watcher.stop()


def test_a_watch_that_ends_at_once_lists_again(server, tmp_path):
    watcher, store = start(server, tmp_path, kinds=["FlinkDeployment"], store=HealthStore(kinds=["FlinkDeployment"]))
    try:
        until(store, store.synced)
        server.short_watches(True)
        server.drop_watches()
        until(store, lambda: server.count("FlinkDeployment", "list") >= 2, what="a relist")
        assert store.watch_restarts()[("FlinkDeployment", "closed")] >= 1
        server.short_watches(False)
        seed(server, HEALTHY, "streaming", "after")
        until(store, lambda: store.get("streaming", "FlinkDeployment", "after") is not None)
    finally:
        watcher.stop()


def test_stop_is_prompt_with_long_watches_open(server, tmp_path):
    watcher, store = start(server, tmp_path, timeouts=Timeouts())  # 5-10 minute watches, as in production
    until(store, store.synced)
    deadline = time.monotonic() + 5
    while server.open_watches < 4:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    started = time.monotonic()
    assert watcher.stop(timeout=2.0)
    assert time.monotonic() - started < 2.0
    assert not watcher.alive()
    assert not [t for t in threading.enumerate() if t.name.startswith("reflector-")]


def test_list_once_reads_every_page_and_names_absent_kinds(tmp_path):
    with ApiServer(installed=["FlinkDeployment"]) as server:
        for i in range(7):
            seed(server, HEALTHY, "a" if i % 2 else "b", f"d{i}")
        cluster = connect(server.kubeconfig(tmp_path / "kubeconfig"))
        objects, absent = list_once(cluster.api_client, page_size=3)
        assert sorted(o["metadata"]["name"] for o in objects) == [f"d{i}" for i in range(7)]
        assert absent == ["FlinkSessionJob", "FlinkStateSnapshot", "FlinkBlueGreenDeployment"]
        objects, _ = list_once(cluster.api_client, kinds=["flinkdep"], namespaces=["a"])
        assert sorted(o["metadata"]["name"] for o in objects) == ["d1", "d3", "d5"]
        assert all(o["kind"] == "FlinkDeployment" for o in objects)


def test_an_expiring_token_from_an_exec_plugin_is_fetched_again_on_the_next_watch(server, tmp_path):
    """Cloud logins (EKS, GKE, OIDC helpers) hand out tokens that expire: the watch that follows a
    rotation must ask the plugin again, not fail with 401 forever."""
    import sys

    current = tmp_path / "current-token"
    current.write_text(server.token)
    plugin = tmp_path / "get-token"
    plugin.write_text(
        f"#!{sys.executable}\nimport datetime, json, pathlib\n"
        "soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', 'kind': 'ExecCredential',\n"
        f"  'status': {{'token': pathlib.Path({str(current)!r}).read_text(),\n"
        "             'expirationTimestamp': soon.strftime('%Y-%m-%dT%H:%M:%SZ')}}))\n")
    plugin.chmod(0o755)
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": str(plugin),
                     "interactiveMode": "Never"}}
    cluster = connect(server.kubeconfig(tmp_path / "kubeconfig", user=user))
    store = HealthStore(kinds=["FlinkDeployment"])
    watcher = Watcher(cluster.api_client, store, kinds=["FlinkDeployment"], timeouts=FAST, backoff=QUICK).start()
    try:
        until(store, store.synced)
        current.write_text("rotated-token")  # the identity provider rotates the token ...
        server.token = "rotated-token"  # ... and the API server accepts only the new one
        server.drop_watches()
        seed(server, HEALTHY, "streaming", "after-rotation")
        until(store, lambda: store.get("streaming", "FlinkDeployment", "after-rotation") is not None,
              what="the object created after the rotation")
        assert store.synced() and server.count("FlinkDeployment", "list") == 1
    finally:
        watcher.stop()


# --- faults in the stream itself: silence, lines and objects that cannot be read -----------------

IDLE = Timeouts(connect=2, list_read=5, min_watch=3, read_margin=2, absent_retry=0.5, watch_idle=1.5)


def one_kind(server, tmp_path, store=None, **kw) -> tuple[Watcher, HealthStore]:
    return start(server, tmp_path, kinds=["FlinkDeployment"], store=store or HealthStore(kinds=["FlinkDeployment"]),
                 **kw)


def test_a_watch_gone_silent_is_failing_within_the_idle_timeout_until_it_delivers_again(server, tmp_path, caplog):
    caplog.set_level("INFO", logger="flink_gitops.cluster")
    seed(server, HEALTHY, "streaming", "orders")
    watcher, store = one_kind(server, tmp_path, timeouts=IDLE)
    try:
        until(store, store.synced)
        server.mute_watches(True)  # the open watch stays open and sends nothing, bookmarks included
        muted = time.monotonic()
        until(store, lambda: store.kind_states()["FlinkDeployment"].state == FAILING, what="FAILING")
        # the last bookmark came at most bookmark_interval before the mute: failing within the idle timeout
        assert time.monotonic() - muted < IDLE.watch_idle + 2.0
        state = store.kind_states()["FlinkDeployment"]
        assert state.reason == "the watch sent no event and no bookmark for 1.5s; watching again"
        assert not store.synced() and store.ready()  # as in an outage: the last known health is still served
        assert "reflector-flinkdeployments: failing (the watch sent no event and no bookmark" in caplog.text

        # a change the silent server holds back: not shown, and the kind keeps saying it is not current
        server.update("FlinkDeployment", "streaming", "orders", status=job_failed_status())
        deadline = time.monotonic() + 10
        while store.watch_restarts().get(("FlinkDeployment", "timeout"), 0) < 2:  # re-watched, accepted, silent
            assert store.kind_states()["FlinkDeployment"].state == FAILING and not store.synced()
            assert time.monotonic() < deadline, "no second idle timeout"
            time.sleep(0.05)
        assert store.kind_states()["FlinkDeployment"].state == FAILING and not store.synced()
        assert store.get("streaming", "FlinkDeployment", "orders").status == "Healthy"

        server.mute_watches(False)
        until(store, store.synced, what="SYNCED once the watch delivers again")
        until(store, lambda: store.get("streaming", "FlinkDeployment", "orders").status == "Degraded")
        assert server.count("FlinkDeployment", "list") == 1  # resumed from its resourceVersion, no relist
    finally:
        server.mute_watches(False)
        assert watcher.stop()


def test_a_quiet_kind_with_bookmarks_is_not_taken_for_stalled(tmp_path):
    with ApiServer(bookmark_interval=0.3) as server:
        seed(server, HEALTHY, "streaming", "orders")
        watcher, store = one_kind(server, tmp_path, timeouts=IDLE)
        try:
            until(store, store.synced)
            time.sleep(4 * IDLE.watch_idle)  # no change at all: only bookmarks keep the watch alive
            assert store.kind_states()["FlinkDeployment"].state == SYNCED
            assert ("FlinkDeployment", "timeout") not in store.watch_restarts()
        finally:
            watcher.stop()


UNREADABLE_LINES = {
    "not JSON": ('{"type": "ADDED", "object": {"metadata": ', "a line that is not JSON"),
    "not UTF-8": (b'\xff\xfe{"type"', "a line that is not JSON"),
    "a number": ("42", "a line that is a JSON number, not an event: '42'"),
    "an array": ('["ADDED", {}]', "a line that is a JSON array, not an event"),
    "no object": ('{"type": "ADDED"}', "an ADDED event without an object"),
    "a string object": ('{"type": "MODIFIED", "object": "orders"}', "a MODIFIED event without an object"),
    "unknown type": ('{"type": "SNAPSHOT", "object": {}}', "an event of unknown type 'SNAPSHOT'"),
    "no metadata": ('{"type": "ADDED", "object": {"kind": "FlinkDeployment", "spec": {}}}',
                    "an ADDED event whose object cannot be read (no metadata)"),
    "no name": ('{"type": "MODIFIED", "object": {"kind": "FlinkDeployment", "metadata": {"namespace": "a"}}}',
                "a MODIFIED event whose object cannot be read (no metadata.name)"),
    "another kind": ('{"type": "ADDED", "object": {"apiVersion": "apps/v1", "kind": "Deployment", '
                     '"metadata": {"name": "web", "namespace": "streaming"}}}',
                     "an ADDED event whose object cannot be read (kind 'Deployment', not FlinkDeployment)"),
    "an ERROR without a code": ('{"type": "ERROR", "object": {"kind": "Status"}}', "an ERROR event without a status code"),
}


@pytest.mark.parametrize("line, says", UNREADABLE_LINES.values(), ids=UNREADABLE_LINES.keys())
def test_an_unreadable_watch_line_is_counted_logged_and_the_kind_listed_again(server, tmp_path, caplog, line, says):
    caplog.set_level("INFO", logger="flink_gitops.cluster")
    seed(server, HEALTHY, "streaming", "orders")
    watcher, store = one_kind(server, tmp_path)
    try:
        until(store, store.synced)
        server.inject_watch_line("FlinkDeployment", line)
        seed(server, DEGRADED, "streaming", "after")  # sent right after the bad line
        until(store, lambda: store.get("streaming", "FlinkDeployment", "after") is not None,
              what="the object created after the bad line")
        until(store, store.synced, what="the kind to be current again")
        assert store.decode_errors() == {("FlinkDeployment", "watch"): 1}
        assert store.watch_restarts()[("FlinkDeployment", "malformed")] == 1
        assert server.count("FlinkDeployment", "list") == 2  # the event it held is lost: listed again
        assert stored(store) == served(server)
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1 and warnings[0].startswith(
            "reflector-flinkdeployments: failing (cannot read the watch stream: ") and says in warnings[0]
        assert warnings[0].endswith("; listing again)")
        assert "unexpected error" not in caplog.text and "Traceback" not in caplog.text

        server.update("FlinkDeployment", "streaming", "orders", status=job_failed_status())  # and it follows on
        until(store, lambda: store.get("streaming", "FlinkDeployment", "orders").status == "Degraded")
    finally:
        watcher.stop()


def test_unreadable_list_items_are_left_out_counted_and_logged_the_rest_kept(server, tmp_path, caplog):
    caplog.set_level("INFO", logger="flink_gitops.cluster")
    server.add_unreadable("FlinkDeployment", "not an object")
    server.add_unreadable("FlinkDeployment", {"kind": "FlinkDeployment", "spec": {}})  # no metadata
    server.add_unreadable("FlinkDeployment", {"apiVersion": "apps/v1", "kind": "Deployment",
                                              "metadata": {"name": "web", "namespace": "streaming"}})
    seed(server, HEALTHY, "streaming", "orders")
    seed(server, DEGRADED, "streaming", "pricing")
    watcher, store = one_kind(server, tmp_path)
    try:
        until(store, store.synced, what="the kind to be listed despite three unreadable items")
        assert {(r.name, r.status) for r in store.all_records()} == {("orders", "Healthy"), ("pricing", "Degraded")}
        state = store.kind_states()["FlinkDeployment"]
        assert state.as_json() == {"state": "synced", "skipped": 3}
        assert store.decode_errors() == {("FlinkDeployment", "list"): 3}
        left_out = [r.getMessage() for r in caplog.records if "left out a list item" in r.getMessage()]
        assert left_out == [
            "reflector-flinkdeployments: left out a list item that cannot be read: "
            "item 1: not an object but a JSON string 'not an object'",
            "reflector-flinkdeployments: left out a list item that cannot be read: item 2: no metadata",
            "reflector-flinkdeployments: left out a list item that cannot be read: "
            "streaming/web: kind 'Deployment', not FlinkDeployment"]
        server.update("FlinkDeployment", "streaming", "orders", status=job_failed_status())  # still followed
        until(store, lambda: store.get("streaming", "FlinkDeployment", "orders").status == "Degraded")
    finally:
        watcher.stop()


class BrokenOnce(HealthStore):
    """A store whose first watch event write fails, as a bug in it would."""

    broken = True

    def upsert(self, kind, obj):
        if self.broken:
            self.broken = False
            raise RuntimeError("a bug")
        super().upsert(kind, obj)


def test_an_unexpected_error_after_the_first_sync_is_failing_until_listed_again(server, tmp_path, caplog):
    seed(server, HEALTHY, "streaming", "orders")
    store = BrokenOnce(kinds=["FlinkDeployment"])
    states = []
    set_kind_state = store.set_kind_state
    store.set_kind_state = lambda kind, state, *a, **kw: (states.append(state), set_kind_state(kind, state, *a, **kw))
    watcher, store = one_kind(server, tmp_path, store=store)
    try:
        until(store, store.synced)
        seed(server, HEALTHY, "streaming", "lost")  # its event meets the bug
        until(store, lambda: store.get("streaming", "FlinkDeployment", "lost") is not None)
        until(store, store.synced)
        assert FAILING in states  # it said so, instead of staying "synced" with "lost" missing
        assert "unexpected error: RuntimeError: a bug; listing again" in caplog.text
        assert server.count("FlinkDeployment", "list") == 2
    finally:
        watcher.stop()
