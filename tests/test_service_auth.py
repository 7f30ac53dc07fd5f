"""``--auth kubernetes``: bearer tokens checked with TokenReviews, rights with SubjectAccessReviews,
asked of the API-server stand-in through the real ``kubernetes`` client.

In-process (Flask's test client on a store the test fills) for the rules of who sees what; under
real gunicorn for the defaults, the log, concurrent callers and the reviews' load on the API server.
The dashboard's token prompt in a browser: test_service_dashboard.py.
"""

from __future__ import annotations

import json
import subprocess
import threading

import pytest
import yaml

from flink_gitops.assess import evaluator
from flink_gitops.cluster.store import HealthStore
from flink_gitops.service import create_app
from flink_gitops.service.access import Caller, ExpiringCache, Reviewer, view_for
from flink_gitops.simulation.apiserver import ApiServer, Identity, Rule
from service_objects import deployment
from service_process import BIN, serve, wait_until
from service_process import http as request

FLINK = ("flinkdeployments", "flinksessionjobs", "flinkstatesnapshots", "flinkbluegreendeployments")

#: token -> who; the rules below say what each may do
TOKENS = {
    "tok-admin": Identity("admin", ("system:authenticated", "flink-admins"), uid="u-admin"),
    "tok-alice": Identity("alice", ("system:authenticated", "team-streaming"), uid="u-alice",
                          extra=(("scopes", ("view",)),)),
    "tok-bob": Identity("bob", ("system:authenticated",)),
    "tok-prometheus": Identity("system:serviceaccount:monitoring:prometheus-k8s",
                               ("system:serviceaccounts", "system:authenticated")),
}
RULES = [
    Rule(("get", "list", "watch"), FLINK, groups=("flink-admins",)),  # a ClusterRoleBinding
    Rule(("get",), api_groups=(), non_resource_urls=("/metrics",), groups=("flink-admins",)),
    # RoleBindings in namespace streaming: deployments and session jobs there, nothing else
    Rule(("get", "list", "watch"), ("flinkdeployments", "flinksessionjobs"), namespaces=("streaming",),
         groups=("team-streaming",)),
    Rule(("get",), api_groups=(), non_resource_urls=("/metrics",),
         users=("system:serviceaccount:monitoring:prometheus-k8s",)),
]


def fill(store: HealthStore) -> None:
    store.replace("FlinkDeployment", [
        deployment("orders", "streaming", "Healthy"),
        deployment("pricing", "streaming", "Degraded", error="checkpoint storage unreachable"),
        deployment("audit", "batch", "Degraded", error="OOMKilled"),
        deployment("backfill", "batch", "Progressing"),
    ])
    session = {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob", "spec": {}}
    store.replace("FlinkSessionJob", [
        {**session, "metadata": {"name": "enrich", "namespace": "streaming", "resourceVersion": "1"}},
        {**session, "metadata": {"name": "nightly", "namespace": "batch", "resourceVersion": "1"}},
    ])
    for kind in ("FlinkStateSnapshot", "FlinkBlueGreenDeployment"):
        store.replace(kind, [])


@pytest.fixture
def api():
    with ApiServer() as server:
        server.set_policy(TOKENS, RULES)
        yield server


@pytest.fixture
def client(api, tmp_path):
    store = HealthStore(evaluator=evaluator())
    fill(store)
    app = create_app({"STORE": store, "WATCH": False, "AUTH": "kubernetes",
                      "KUBECONFIG": api.kubeconfig(tmp_path / "kubeconfig")})
    return app.test_client()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def shown(client, token: str, query: str = "") -> set[tuple[str, str, str]]:
    resp = client.get("/api/v1/resources" + query, headers=bearer(token))
    assert resp.status_code == 200, resp.json
    return {(r["namespace"], r["kind"], r["name"]) for r in resp.json["resources"]}


GUARDED = [("GET", "/api/v1/resources"), ("GET", "/api/v1/resources/streaming/flinkdep/orders"),
           ("GET", "/metrics"), ("POST", "/api/v1/evaluate"), ("GET", "/api/v1/nothing-here")]


@pytest.mark.parametrize("method, path", GUARDED)
def test_no_token_a_rejected_token_or_another_scheme_is_401_asking_for_a_bearer_token(client, api, method, path):
    for headers in ({}, bearer("tok-stolen"), {"Authorization": "Basic YWRtaW46YWRtaW4="}, {"Authorization": "Bearer "}):
        resp = client.open(path, method=method, headers=headers, data=b"" if method == "POST" else None)
        assert resp.status_code == 401, (headers, resp.status_code)
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert "error" in resp.json and "pricing" not in resp.get_data(as_text=True)
    rejected = client.open(path, method=method, headers=bearer("tok-stolen"))
    assert 'error="invalid_token"' in rejected.headers["WWW-Authenticate"]
    assert "rejected" in rejected.json["error"]


def test_the_probes_and_the_dashboards_page_stay_open(client):
    for path in ("/livez", "/readyz", "/", "/static/dashboard.js", "/static/dashboard.css", "/favicon.ico"):
        assert client.get(path).status_code in (200, 204), path
    page = client.get("/").get_data(as_text=True)
    assert "pricing" not in page and "streaming" not in page  # the page carries no cluster data


def test_each_caller_sees_the_kinds_and_namespaces_it_may_list(client):
    everything = {("streaming", "FlinkDeployment", "orders"), ("streaming", "FlinkDeployment", "pricing"),
                  ("batch", "FlinkDeployment", "audit"), ("batch", "FlinkDeployment", "backfill"),
                  ("streaming", "FlinkSessionJob", "enrich"), ("batch", "FlinkSessionJob", "nightly")}
    assert shown(client, "tok-admin") == everything
    assert shown(client, "tok-alice") == {k for k in everything if k[0] == "streaming"}
    assert shown(client, "tok-alice", "?namespace=batch") == set()
    assert shown(client, "tok-alice", "?kind=sessionjob") == {("streaming", "FlinkSessionJob", "enrich")}
    assert shown(client, "tok-alice", "?status=Degraded") == {("streaming", "FlinkDeployment", "pricing")}
    # allowed nowhere: an empty list, not an error; the counts are over what it sees
    body = client.get("/api/v1/resources", headers=bearer("tok-bob")).json
    assert body["resources"] == [] and set(body["counts"].values()) == {0}
    counts = client.get("/api/v1/resources", headers=bearer("tok-alice")).json["counts"]
    assert counts["Degraded"] == 1 and sum(counts.values()) == 3  # audit (batch) is not counted


def test_a_resource_the_caller_may_not_see_is_404_like_one_that_does_not_exist(client):
    ok = client.get("/api/v1/resources/streaming/flinkdep/pricing", headers=bearer("tok-alice"))
    assert ok.status_code == 200 and "checkpoint storage unreachable" in ok.json["message"]
    hidden = client.get("/api/v1/resources/batch/flinkdep/audit", headers=bearer("tok-alice"))
    missing = client.get("/api/v1/resources/batch/flinkdep/nothing", headers=bearer("tok-alice"))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == {"error": "FlinkDeployment batch/audit not found"} and "OOMKilled" not in hidden.get_data(as_text=True)
    assert client.get("/api/v1/resources/streaming/flinkdep/pricing", headers=bearer("tok-bob")).status_code == 404
    assert client.get("/api/v1/resources/batch/flinkdep/audit", headers=bearer("tok-admin")).status_code == 200


def test_metrics_need_get_on_the_non_resource_url(client, api):
    assert client.get("/metrics", headers=bearer("tok-prometheus")).status_code == 200
    assert client.get("/metrics", headers=bearer("tok-admin")).status_code == 200
    denied = client.get("/metrics", headers=bearer("tok-alice"))  # may list deployments, not scrape
    assert denied.status_code == 403 and "alice" in denied.json["error"]
    assert "flink_gitops" not in denied.get_data(as_text=True)
    spec = api.access_reviews[-1]
    assert spec["nonResourceAttributes"] == {"path": "/metrics", "verb": "get"} and spec["user"] == "alice"


def test_evaluate_needs_an_authenticated_caller_and_nothing_more(client):
    text = yaml.safe_dump(deployment("a", health="Degraded", error="x"))
    assert client.post("/api/v1/evaluate", data=text).status_code == 401
    resp = client.post("/api/v1/evaluate", data=text, headers=bearer("tok-bob"))
    assert resp.status_code == 200 and resp.json["resources"][0]["status"] == "Degraded"


def test_the_access_review_is_of_the_reviewed_user_with_groups_uid_and_extra(client, api):
    shown(client, "tok-alice")
    spec = api.access_reviews[0]
    assert spec["user"] == "alice" and spec["uid"] == "u-alice"
    assert spec["groups"] == ["system:authenticated", "team-streaming"] and spec["extra"] == {"scopes": ["view"]}
    # cluster-wide first, then a namespace at a time, for the kinds it may not list everywhere
    assert spec["resourceAttributes"] == {"group": "flink.apache.org", "resource": "flinkdeployments",
                                          "verb": "list"}
    namespaced = {(s["resourceAttributes"]["resource"], s["resourceAttributes"].get("namespace"))
                  for s in api.access_reviews[1:]}
    assert ("flinkdeployments", "streaming") in namespaced and ("flinkdeployments", "batch") in namespaced


def test_an_etag_never_answers_304_for_a_caller_with_another_view(client):
    admin = client.get("/api/v1/resources", headers=bearer("tok-admin"))
    alice = client.get("/api/v1/resources", headers=bearer("tok-alice"))
    assert admin.headers["ETag"] != alice.headers["ETag"]
    again = client.get("/api/v1/resources", headers={**bearer("tok-alice"), "If-None-Match": admin.headers["ETag"]})
    assert again.status_code == 200 and len(again.json["resources"]) == 3
    assert client.get("/api/v1/resources", headers={
        **bearer("tok-alice"), "If-None-Match": alice.headers["ETag"]}).status_code == 304
    # no token, or someone else's with alice's tag: never a 304 that would confirm anything
    assert client.get("/api/v1/resources", headers={"If-None-Match": alice.headers["ETag"]}).status_code == 401
    assert client.get("/api/v1/resources", headers={
        **bearer("tok-bob"), "If-None-Match": alice.headers["ETag"]}).status_code == 200


def test_reviews_failing_is_503_never_an_open_door_and_nothing_failed_is_kept(client, api):
    for code in (503, 403, 500):  # the API server down, the service's own rights missing, a bug there
        api.fail_reviews(code)
        for method, path in GUARDED[:4]:
            resp = client.open(path, method=method, headers=bearer("tok-admin"))
            assert resp.status_code == 503, (code, path, resp.status_code)
            assert resp.headers["Retry-After"] and "cannot check the caller" in resp.json["error"]
            assert "pricing" not in resp.get_data(as_text=True)
    api.fail_reviews(None)
    assert shown(client, "tok-admin") and client.get("/metrics", headers=bearer("tok-admin")).status_code == 200
    # a SubjectAccessReview failing after the token was accepted is a 503 too
    api.fail_reviews(503)
    resp = client.get("/api/v1/resources/streaming/flinkdep/orders", headers=bearer("tok-alice"))
    assert resp.status_code == 503


def test_an_api_server_that_cannot_be_reached_is_503(tmp_path):
    with ApiServer() as gone:
        kubeconfig = gone.kubeconfig(tmp_path / "kubeconfig")
    store = HealthStore(evaluator=evaluator())
    fill(store)
    client = create_app({"STORE": store, "WATCH": False, "AUTH": "kubernetes", "KUBECONFIG": kubeconfig}).test_client()
    resp = client.get("/api/v1/resources", headers=bearer("tok-admin"))
    assert resp.status_code == 503 and "cannot reach the API server" in resp.json["error"]
    assert "127.0.0.1" not in resp.json["error"]  # where the API server is, is for the log
    assert client.get("/livez").status_code == 200


# --- the reviewer's caches -------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def reviewer_for(api, tmp_path, **kw) -> Reviewer:
    from flink_gitops.cluster.config import connect

    kubeconfig = api.kubeconfig(tmp_path / "kubeconfig-reviewer")
    return Reviewer(lambda: connect(kubeconfig).api_client, **kw)


def test_answers_are_kept_briefly_then_asked_again(api, tmp_path):
    clock = Clock()
    reviewer = reviewer_for(api, tmp_path, ttl=20, clock=clock)
    alice = reviewer.authenticate("tok-alice")
    assert alice == Caller("alice", "u-alice", ("system:authenticated", "team-streaming"), (("scopes", ("view",)),))
    assert reviewer.authenticate("tok-nope") is None
    for _ in range(20):
        reviewer.authenticate("tok-alice")
        reviewer.authenticate("tok-nope")
        assert reviewer.allowed(alice, "list", kind="FlinkDeployment", namespace="streaming")
    assert api.reviews("tokenreviews") == 2 and api.reviews("subjectaccessreviews") == 1
    # a right taken away holds until the answer expires, then is gone
    api.set_policy(rules=[])
    clock.now += 19
    assert reviewer.allowed(alice, "list", kind="FlinkDeployment", namespace="streaming")
    clock.now += 2
    assert not reviewer.allowed(alice, "list", kind="FlinkDeployment", namespace="streaming")
    assert reviewer.authenticate("tok-alice") == alice and api.reviews("tokenreviews") == 3


def test_a_caller_who_keeps_asking_never_waits_for_a_review_and_nothing_is_used_past_its_time(api, tmp_path):
    import time

    clock = Clock()
    reviewer = reviewer_for(api, tmp_path, ttl=20, clock=clock)
    alice = reviewer.authenticate("tok-alice")
    assert reviewer.allowed(alice, "list", kind="FlinkDeployment", namespace="streaming")
    api.set_policy(rules=[])  # the RoleBinding is removed
    clock.now += 16  # the answers near their end: kept answers served, asked again in the background
    assert reviewer.allowed(alice, "list", kind="FlinkDeployment", namespace="streaming")
    assert reviewer.authenticate("tok-alice") == alice
    wait_until(lambda: api.reviews("subjectaccessreviews") == 2 and api.reviews("tokenreviews") == 2, 10,
               "the background reviews")
    time.sleep(0.2)  # the answers stored
    assert not reviewer.allowed(alice, "list", kind="FlinkDeployment", namespace="streaming")  # the new answer
    # a background review that fails changes nothing: the kept answer ends at its time, then 503
    clock.now += 16
    api.fail_reviews(503)
    assert reviewer.authenticate("tok-alice") == alice
    wait_until(lambda: api.reviews("tokenreviews") == 3, 10, "the failed background review")
    time.sleep(0.2)
    assert reviewer.authenticate("tok-alice") == alice  # still within its 20 s
    clock.now += 5
    with pytest.raises(Exception, match="TokenReview: 503"):
        reviewer.authenticate("tok-alice")


def test_a_namespace_scoped_caller_costs_one_review_per_namespace_once_and_cluster_wide_one(api, tmp_path):
    reviewer = reviewer_for(api, tmp_path)
    alice, admin = reviewer.authenticate("tok-alice"), reviewer.authenticate("tok-admin")
    present = {"FlinkDeployment": {f"ns-{i}" for i in range(30)} | {"streaming"}}
    view = view_for(reviewer, alice, present, ["FlinkDeployment"])
    assert view.kinds == {"FlinkDeployment": frozenset({"streaming"})}
    assert api.reviews("subjectaccessreviews") == 1 + 31
    assert view_for(reviewer, alice, present, ["FlinkDeployment"]).tag == view.tag
    assert api.reviews("subjectaccessreviews") == 32  # all kept
    wide = view_for(reviewer, admin, present, ["FlinkDeployment"])
    assert wide.kinds == {"FlinkDeployment": None} and wide.tag != view.tag
    assert api.reviews("subjectaccessreviews") == 33  # cluster-wide: one review, no namespace asked


def test_a_burst_of_requests_for_one_answer_asks_once(api, tmp_path):
    reviewer = reviewer_for(api, tmp_path)
    results = []
    threads = [threading.Thread(target=lambda: results.append(reviewer.authenticate("tok-admin"))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 16 and {r.username for r in results} == {"admin"}
    assert api.reviews("tokenreviews") == 1


def test_the_caches_are_bounded_least_recently_used_first():
    clock = Clock()
    cache = ExpiringCache(size=3, ttl=10, clock=clock)
    for key in "abc":
        cache.put(key, key.upper())
    assert cache.get("a") == (True, "A")  # a is now the most recently used
    cache.put("d", "D")
    assert cache.get("b") == (False, None) and cache.get("a") == (True, "A") and len(cache) == 3
    clock.now += 10
    assert cache.get("a") == (False, None)


# --- under gunicorn ---------------------------------------------------------------------------




def seed(api: ApiServer) -> None:
    for name, ns, health in (("orders", "streaming", "Healthy"), ("pricing", "streaming", "Degraded"),
                             ("audit", "batch", "Degraded"), ("backfill", "batch", "Progressing")):
        obj = deployment(name, ns, health, error="checkpoint storage unreachable")
        api.create("FlinkDeployment", ns, name, spec=obj["spec"], status=obj.get("status"),
                   generation=obj["metadata"]["generation"])


@pytest.mark.e2e
@pytest.mark.slow
def test_serve_asks_for_tokens_by_default_and_sees_per_caller(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), auth=None) as svc:  # no --auth given
        svc.wait_ready()
        code, body, headers = request(svc.url("/api/v1/resources"))
        assert code == 401 and headers["WWW-Authenticate"].startswith("Bearer")
        assert "pricing" not in body.decode()
        assert request(svc.url("/metrics"))[0] == 401
        assert {k[2] for k in svc.statuses(token="tok-admin")} == {"orders", "pricing", "audit", "backfill"}
        assert {k[2] for k in svc.statuses(token="tok-alice")} == {"orders", "pricing"}
        assert svc.statuses(token="tok-bob") == {}
        assert request(svc.url("/metrics"), token="tok-prometheus")[0] == 200
        assert request(svc.url("/metrics"), token="tok-alice")[0] == 403
        assert svc.get("/api/v1/resources/batch/flinkdep/audit", token="tok-alice")[0] == 404

        # many callers at once: every answer is the caller's own, and the API server is asked about
        # each token once (kept 20 s), not once per request
        errors = []

        def hammer(token, names):
            for _ in range(15):
                code, body = svc.get("/api/v1/resources", token=token)
                got = {r["name"] for r in body.get("resources", [])}
                if code != 200 or got != names:
                    errors.append((token, code, got))

        wanted = {"tok-admin": {"orders", "pricing", "audit", "backfill"}, "tok-alice": {"orders", "pricing"},
                  "tok-bob": set()}
        threads = [threading.Thread(target=hammer, args=item) for item in list(wanted.items()) * 3]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        assert api.reviews("tokenreviews") <= 2 * len(TOKENS), api.reviews("tokenreviews")
        assert "authentication is off" not in svc.log_text()


@pytest.mark.e2e
@pytest.mark.slow
def test_serve_with_reviews_failing_is_503_and_stays_ready(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), auth="kubernetes") as svc:
        svc.wait_ready()
        api.fail_reviews(503)
        code, body, headers = request(svc.url("/api/v1/resources"), token="tok-admin")
        assert code == 503 and headers["Retry-After"] and "pricing" not in body.decode()
        assert request(svc.url("/metrics"), token="tok-prometheus")[0] == 503
        assert svc.get("/livez")[0] == 200 and svc.get("/readyz")[0] == 200  # the watch is fine
        api.fail_reviews(None)
        assert {k[2] for k in svc.statuses(token="tok-admin")} == {"orders", "pricing", "audit", "backfill"}
        assert svc.terminate() == 0
        assert "cannot check a caller, answering 503: TokenReview: 503" in svc.log_text()


@pytest.mark.e2e
@pytest.mark.slow
def test_auth_none_serves_everyone_and_says_so(api, tmp_path):
    seed(api)
    with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), auth="none") as svc:
        svc.wait_ready()
        assert len(svc.statuses()) == 4 and request(svc.url("/metrics"))[0] == 200
        assert api.reviews("tokenreviews") == 0
        wait_until(lambda: "authentication is off (--auth none)" in svc.log_text(), 10, "the warning in the log")


@pytest.mark.e2e
@pytest.mark.slow
def test_plain_gunicorn_takes_the_mode_from_the_environment(api, tmp_path):
    seed(api)
    command = [str(BIN / "gunicorn"), "--worker-class", "gthread", "--threads", "4", "--bind", "127.0.0.1:{port}",
               "flink_gitops.service:create_app()"]
    env = {"FLINK_GITOPS_KUBECONFIG": api.kubeconfig(tmp_path / "kubeconfig")}
    with serve(tmp_path, None, command=command, env=env) as svc:  # FLINK_GITOPS_AUTH unset: kubernetes
        svc.wait_ready()
        assert svc.get("/api/v1/resources")[0] == 401
        assert len(svc.statuses(token="tok-admin")) == 4


@pytest.mark.e2e
def test_a_bad_auth_mode_is_one_error_line(api, tmp_path):
    kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
    for args, env, said in ((["--auth", "tokens"], {}, "--auth: auth mode 'tokens' is not one of kubernetes, none"),
                            ([], {"FLINK_GITOPS_AUTH": "off"},
                             "$FLINK_GITOPS_AUTH: auth mode 'off' is not one of kubernetes, none")):
        out = subprocess.run([str(BIN / "flink-gitops"), "serve", "--kubeconfig", kubeconfig, *args],
                             capture_output=True, text=True, timeout=60,
                             env={"PATH": str(BIN), "HOME": str(tmp_path), **env})
        assert out.returncode == 2 and out.stderr == f"flink-gitops serve: error: {said}\n"


def test_the_review_spec_is_what_kube_apiserver_accepts(api, tmp_path):
    """The stand-in refuses what kube-apiserver refuses (no user or group, both or neither attribute kinds)."""
    for spec in ({"resourceAttributes": {"verb": "list"}}, {"user": "a"},
                 {"user": "a", "resourceAttributes": {}, "nonResourceAttributes": {}}):
        code, body, _ = request(api.url + "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                                json.dumps({"spec": spec}).encode(), token=api.token)
        assert code == 422, (spec, body)


@pytest.mark.slow
def test_an_api_server_that_never_answers_is_503_within_seconds(tmp_path):
    """A half-open connection or a hung API server: the review times out, the caller gets 503 (not a
    request hanging for good, and not the data)."""
    import socket
    import time

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # connections are accepted by the kernel and never answered
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{silent.getsockname()[1]}"}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
        store = HealthStore(evaluator=evaluator())
        fill(store)
        client = create_app({"STORE": store, "WATCH": False, "AUTH": "kubernetes",
                             "KUBECONFIG": str(kubeconfig)}).test_client()
        started = time.monotonic()
        resp = client.get("/api/v1/resources", headers=bearer("tok-admin"))
        took = time.monotonic() - started
    assert resp.status_code == 503 and "timed out" in resp.json["error"].lower(), resp.json
    assert took < 15, took  # the review's read timeout is 5 s


def test_the_mode_comes_from_the_config_else_the_environment_else_kubernetes():
    from flink_gitops.service.settings import resolve

    assert resolve({}, environ={}).auth == "kubernetes"
    assert resolve({}, environ={"FLINK_GITOPS_AUTH": " None "}).auth == "none"
    assert resolve({"AUTH": "none"}, environ={"FLINK_GITOPS_AUTH": "kubernetes"}).auth == "none"
    assert resolve({"AUTH": "kubernetes"}, environ={"FLINK_GITOPS_AUTH": "bogus"}).auth == "kubernetes"
    with pytest.raises(ValueError, match="FLINK_GITOPS_AUTH: auth mode 'bogus' is not one of kubernetes, none"):
        resolve({}, environ={"FLINK_GITOPS_AUTH": "bogus"})


def test_a_view_keeps_exactly_the_rows_it_shows_in_order():
    """The namespace-scoped path (bisection over the sorted rows) against the plain definition."""
    import random
    from types import SimpleNamespace

    from flink_gitops.service.access import View

    rng = random.Random(14)
    kinds, namespaces = ["A", "B", "C"], [f"ns-{i:02d}" for i in range(12)] + [""]
    for _ in range(300):
        rows = sorted((SimpleNamespace(namespace=rng.choice(namespaces), kind=rng.choice(kinds), name=str(i))
                       for i in range(rng.randrange(0, 60))), key=lambda r: (r.namespace, r.kind, r.name))
        view = View({k: None if rng.random() < 0.2 else frozenset(rng.sample(namespaces + ["elsewhere"], rng.randrange(0, 5)))
                     for k in rng.sample(kinds, rng.randrange(0, 4))})
        assert view.filter(rows) == [r for r in rows if view.shows(r.namespace, r.kind)]
