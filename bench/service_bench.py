"""The health service with N Flink objects: time to ready, change latency, API and /metrics times, memory.

`flink-gitops serve` (real gunicorn, one gthread worker) watches the API-server stand-in of the
test suite (flink_gitops.simulation.apiserver, in this process) holding N objects. Measured over HTTP on 127.0.0.1:

- ready: from starting the process to the first 200 of /readyz (and to the first /livez answer);
- change latency: the stand-in changes objects at RATE changes/s; for every 4th change a probe
  polls GET /api/v1/resources/<ns>/<kind>/<name> every 2 ms until the change shows;
- GET /api/v1/resources (all N) and /metrics: cached (nothing changed since the last request) and
  uncached (one change before each request);
- RSS of the gunicorn worker (the cache) and the master, with N objects and with none;
- under hostile clients: /livez, /readyz and GET /api/v1/resources while 16 idle connections and 4
  clients sending a byte a second are open, and /readyz while 8 clients post 4 MiB to evaluate at once.

With ``--auth kubernetes`` (the default runs both modes, one after the other) every request carries
a bearer token the stand-in's TokenReview accepts, of a user who may list every Flink kind
cluster-wide (what an on-call engineer or Prometheus has); the same GETs are then timed for a user
who may list FlinkDeployments in 10 of the 50 namespaces: its first request (one review per
namespace, nothing cached), then cached and after a change. In-process, what the check adds to one
request once its answers are kept (timed alone); and both modes side by side, their requests
taking turns.

Run: `.venv/bin/python bench/service_bench.py [--objects 10000] [--rate 100] [--seconds 20]
[--auth none,kubernetes]`.
Numbers go to docs/BENCHMARKS.md by hand; no test asserts them.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from flink_gitops.simulation.apiserver import ApiServer, Identity, Rule  # noqa: E402  (the simulated API server)
from service_objects import deployment, evaluate_body  # noqa: E402
from service_process import SlowClients, free_port, get_json, http, timed_get  # noqa: E402

HEALTH = ("Healthy", "Healthy", "Healthy", "Progressing", "Degraded")
FLINK = ("flinkdeployments", "flinksessionjobs", "flinkstatesnapshots", "flinkbluegreendeployments")
ADMIN, TEAM = "bench-admin-token", "bench-team-token"  # who may list everywhere; in 10 namespaces
TEAM_NAMESPACES = tuple(f"team-{i:02d}" for i in range(0, 50, 5))


def policy(api: ApiServer) -> None:
    api.set_policy({ADMIN: Identity("admin", ("system:authenticated", "admins")),
                    TEAM: Identity("team", ("system:authenticated", "team"))},
                   [Rule(("list",), FLINK, groups=("admins",)),
                    Rule(("get",), api_groups=(), non_resource_urls=("/metrics",), groups=("admins",)),
                    Rule(("list",), ("flinkdeployments",), namespaces=TEAM_NAMESPACES, groups=("team",))])


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def fill(api: ApiServer, n: int) -> list[tuple[str, str]]:
    names = []
    for i in range(n):
        ns, name = f"team-{i % 50:02d}", f"job-{i:05d}"
        obj = deployment(name, ns, HEALTH[i % len(HEALTH)], error=f"initial failure {i}")
        api.create("FlinkDeployment", ns, name, spec=obj["spec"], status=obj.get("status"),
                   generation=obj["metadata"]["generation"])
        names.append((ns, name))
    return names


def start(api: ApiServer, tmp: Path, auth: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "FLINK_GITOPS_"))}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "flink-gitops"), "serve", "--bind",
                             f"127.0.0.1:{port}", "--kubeconfig", api.kubeconfig(tmp / "kubeconfig"), "--auth", auth],
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "serve.log", "wb"), env=env)
    return proc, f"http://127.0.0.1:{port}"


def wait_for(base: str, path: str, code: int, timeout: float = 120, token: str | None = None) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if http(base + path, timeout=5, token=token)[0] == code:
                return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.01)
    raise SystemExit(f"{path} never answered {code}")


def churn(api: ApiServer, base: str, names, rate: float, seconds: float, token: str | None) -> list[float]:
    """Change objects at ``rate``/s; every 4th change is watched until the API shows it."""
    latencies: list[float] = []
    probes: list[threading.Thread] = []

    def probe(ns: str, name: str, marker: str, written: float) -> None:
        deadline = written + 10
        while time.perf_counter() < deadline:
            code, body = get_json(f"{base}/api/v1/resources/{ns}/flinkdep/{name}", token=token)
            if code == 200 and marker in body["message"]:
                latencies.append(time.perf_counter() - written)
                return
            time.sleep(0.002)
        latencies.append(float("inf"))

    interval, start, i = 1 / rate, time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        ns, name = names[(i * 7919) % len(names)]
        marker = f"bench change {i}"
        status = deployment(name, ns, "Degraded", error=marker)["status"]
        api.update("FlinkDeployment", ns, name, status=status)
        written = time.perf_counter()
        if i % 4 == 0:
            t = threading.Thread(target=probe, args=(ns, name, marker, written), daemon=True)
            t.start()
            probes.append(t)
        i += 1
        time.sleep(max(0.0, start + i * interval - time.perf_counter()))
    for t in probes:
        t.join(15)
    print(f"  {i} changes in {time.perf_counter() - start:.1f} s ({i / (time.perf_counter() - start):.0f}/s), "
          f"{len(latencies)} probed")
    return latencies


def timed(url: str, repeat: int, before=None, token: str | None = None) -> list[float]:
    out = []
    for _ in range(repeat):
        if before:
            before()
        t = time.perf_counter()
        code, body, _ = http(url, timeout=30, token=token)
        out.append(time.perf_counter() - t)
        assert code == 200, code
    return out


def breakdown(api: ApiServer, tmp: Path) -> None:
    """What getting ready is made of, measured in this process: the paged list, then the evaluation."""
    from flink_gitops.cluster.config import connect
    from flink_gitops.assess import evaluator
    from flink_gitops.cluster.store import HealthStore
    from flink_gitops.cluster.watcher import list_once

    cluster = connect(api.kubeconfig(tmp / "kubeconfig-breakdown"))
    t = time.perf_counter()
    objects, _ = list_once(cluster.api_client, kinds=["FlinkDeployment"])
    listed = time.perf_counter() - t
    store = HealthStore(kinds=["FlinkDeployment"], evaluator=evaluator())
    t = time.perf_counter()
    store.replace("FlinkDeployment", objects)
    evaluated = time.perf_counter() - t
    cluster.api_client.close()
    print(f"  in-process: paged list of {len(objects):,} (stand-in + kubernetes client) {ms(listed)}, "
          f"evaluate them into the store {ms(evaluated)}")


def answers(label: str, results: list[tuple[int | str, float]]) -> str:
    took = [t for code, t in results if code == 200]
    missed = len(results) - len(took)
    text = f"{label} p50 {ms(pct(took, 50))}, max {ms(max(took))}" if took else f"{label} never answered"
    return text + (f" ({missed} of {len(results)} without an answer within the timeout)" if missed else "")


def hostile(base: str, seconds: float = 10) -> None:
    """The probes and the listing while idle and slow clients hold connections; /readyz while eight
    4 MiB evaluations are posted at once."""
    port = int(base.rsplit(":", 1)[1])
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
    slow = SlowClients(port, 4, seconds=seconds + 10)
    paths = ("/livez", "/readyz", "/api/v1/resources")
    results: dict[str, list] = {path: [] for path in paths}
    try:
        time.sleep(1)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for path in paths:
                results[path].append(timed_get(base + path, timeout=5))
            time.sleep(0.25)
    finally:
        slow.close()
        for sock in idle:
            sock.close()
    print("with 16 idle and 4 slow clients: " + "; ".join(answers(p, results[p]) for p in paths))

    body, _ = evaluate_body()
    codes: list = []

    def post() -> None:
        try:
            codes.append(http(base + "/api/v1/evaluate", body, timeout=120)[0])
        except OSError as exc:
            codes.append(type(exc).__name__)

    posters = [threading.Thread(target=post) for _ in range(8)]
    started = time.monotonic()
    for t in posters:
        t.start()
    probes = []
    while any(t.is_alive() for t in posters):
        probes.append(timed_get(base + "/readyz", timeout=10))
        time.sleep(0.2)
    print(f"8 x 4 MiB evaluations at once: {answers('/readyz', probes)}; answers "
          f"{', '.join(f'{c}: {codes.count(c)}' for c in sorted(set(codes), key=str))}, all in "
          f"{time.monotonic() - started:.1f} s")


def auth_overhead(api: ApiServer, tmp: Path, n: int = 10_000) -> None:
    """What checking the caller adds to one request once its answers are kept, timed alone in this
    process (best of 7 rounds): the guard before the request (the token's user; for /metrics, one
    decision), and for a listing the caller's view and, for a namespace-scoped caller, keeping only
    the rows it may see."""
    import logging

    from flink_gitops.assess import evaluator
    from flink_gitops.cluster.store import HealthStore
    from flink_gitops.service import auth, create_app

    logging.getLogger("flink_gitops").addHandler(logging.NullHandler())  # not the --auth none warning
    store = HealthStore(evaluator=evaluator())
    store.replace("FlinkDeployment", [deployment(f"job-{i:05d}", f"team-{i % 50:02d}") for i in range(n)])
    for kind in store.kinds[1:]:
        store.replace(kind, [])
    app = create_app({"STORE": store, "WATCH": False, "AUTH": "kubernetes",
                      "KUBECONFIG": api.kubeconfig(tmp / "kubeconfig-overhead")})

    def best(fn, repeat: int) -> float:
        runs = []
        for _ in range(7):
            t = time.perf_counter()
            for _ in range(repeat):
                fn()
            runs.append((time.perf_counter() - t) / repeat)
        return min(runs) * 1e6

    rows = store.records()
    print(f"in-process, {n:,} objects, answers kept: what the check adds per request (µs)")
    for who, token in (("cluster-wide user", ADMIN), (f"user of {len(TEAM_NAMESPACES)} namespaces", TEAM)):
        for path in ("/api/v1/resources", "/metrics"):
            with app.test_request_context(path, headers={"Authorization": f"Bearer {token}"}):
                first = app.preprocess_request()  # asks the stand-in once; kept from here on
                if first is not None:
                    continue  # /metrics is 403 for the namespace-scoped user
                guard = best(auth._check, 2000)
                if path == "/metrics":
                    print(f"  {who}, GET /metrics: guard {guard:.0f}")
                    continue
                view = auth.view(store)
                seen = best(lambda: auth.view(store), 500)
                if view.everything:
                    kept = "every row shown, none filtered"
                else:
                    kept = f"keeping its {len(view.filter(rows)):,} of {len(rows):,} rows {best(lambda: view.filter(rows), 5):.0f}"
                print(f"  {who}, GET /api/v1/resources: guard {guard:.0f}, view {seen:.0f}, {kept}")


def run(api: ApiServer, tmp: Path, names, args, auth: str) -> None:
    """Start the service with ``--auth auth`` over the filled stand-in and time it."""
    token = ADMIN if auth == "kubernetes" else None
    print(f"### --auth {auth}" + (" (a user who may list every Flink kind cluster-wide)" if token else ""))
    lists, watches = api.count("FlinkDeployment", "list"), api.count("FlinkDeployment", "watch")
    reviews = {r: api.reviews(r) for r in ("tokenreviews", "subjectaccessreviews")}
    proc, base = start(api, tmp, auth)
    try:
        t0 = time.perf_counter()
        live = wait_for(base, "/livez", 200)
        ready = wait_for(base, "/readyz", 200)
        body = get_json(base + "/api/v1/resources", token=token)[1]
        assert len(body["resources"]) == args.objects, len(body["resources"])
        print(f"{args.objects:,} objects: listening {ms(live - t0)}, ready {ms(ready - t0)} "
              f"(list + evaluate: {ms(ready - live)})")

        lat = churn(api, base, names, args.rate, args.seconds, token)
        print(f"change visible in the API: p50 {ms(pct(lat, 50))}, p99 {ms(pct(lat, 99))}, "
              f"max {ms(max(lat))}")
        time.sleep(1)

        counter = iter(range(10**9))

        def one_change():
            ns, name = names[next(counter) % len(names)]
            url = base + "/api/v1/resources?status=Degraded&namespace=" + ns
            before = get_json(url, token=token)[1]
            api.update("FlinkDeployment", ns, name,
                       status=deployment(name, ns, "Degraded", error=f"x{next(counter)}")["status"])
            deadline = time.perf_counter() + 5
            while time.perf_counter() < deadline:  # wait until the service has it (a new version)
                if get_json(url, token=token)[1] != before:
                    return
                time.sleep(0.005)

        for path in ("/api/v1/resources", "/metrics"):
            cached = timed(base + path, args.repeat, token=token)
            uncached = timed(base + path, max(5, args.repeat // 3), before=one_change, token=token)
            print(f"GET {path}: cached p50 {ms(pct(cached, 50))}, uncached p50 {ms(pct(uncached, 50))} "
                  f"(max {ms(max(uncached))}), {len(http(base + path, token=token)[1]) / 1e6:.1f} MB")
        if token:
            url = base + "/api/v1/resources"
            t = time.perf_counter()
            code, first, _ = http(url, timeout=60, token=TEAM)
            cold = time.perf_counter() - t
            assert code == 200, code
            shown = len(json.loads(first)["resources"])
            cached = timed(url, args.repeat, token=TEAM)
            uncached = timed(url, max(5, args.repeat // 3), before=one_change, token=TEAM)
            print(f"GET /api/v1/resources as a user of {len(TEAM_NAMESPACES)} namespaces ({shown:,} shown): "
                  f"first (nothing kept) {ms(cold)}, cached p50 {ms(pct(cached, 50))}, "
                  f"uncached p50 {ms(pct(uncached, 50))} (max {ms(max(uncached))})")
            print(f"reviews asked of the API server during this run: "
                  f"{api.reviews('tokenreviews') - reviews['tokenreviews']} TokenReviews, "
                  f"{api.reviews('subjectaccessreviews') - reviews['subjectaccessreviews']} SubjectAccessReviews")
        w = worker_pid(proc.pid)
        print(f"RSS: worker {rss_kib(w) / 1024:.0f} MiB, master {rss_kib(proc.pid) / 1024:.0f} MiB; "
              f"this service's requests for FlinkDeployments: "
              f"{api.count('FlinkDeployment', 'list') - lists} list pages, "
              f"{api.count('FlinkDeployment', 'watch') - watches} watch")
        if not token:  # hostile clients against the open service (the limits do not depend on auth)
            hostile(base)
    finally:
        proc.terminate()
        proc.wait(20)


def side_by_side(api: ApiServer, tmp: Path, args) -> None:
    """Both modes at once over the same stand-in, their requests taking turns: the load from
    elsewhere on the machine falls on both alike, so the difference is the check."""
    services = {mode: start(api, tmp, mode) for mode in ("none", "kubernetes")}
    tokens = {"none": None, "kubernetes": ADMIN}
    try:
        for proc, base in services.values():
            wait_for(base, "/readyz", 200)
        print("side by side (both services up, requests alternating; p50 / p90 of "
              f"{args.repeat * 2} each, --auth none vs kubernetes with a cluster-wide user):")
        for path in ("/api/v1/resources", "/metrics", "/api/v1/resources?namespace=team-07",
                     "/api/v1/resources/team-07/flinkdep/job-00007"):
            times: dict[str, list[float]] = {mode: [] for mode in services}
            for mode, (_, base) in services.items():
                assert http(base + path, token=tokens[mode])[0] == 200  # warm: reviews kept
            for _ in range(args.repeat * 2):
                for mode, (_, base) in services.items():
                    times[mode] += timed(base + path, 1, token=tokens[mode])
            print(f"  GET {path}: " + " vs ".join(
                f"{ms(pct(t, 50))} / {ms(pct(t, 90))}" for t in times.values()))
    finally:
        for proc, _ in services.values():
            proc.terminate()
            proc.wait(20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--auth", default="none,kubernetes", help="the modes to measure, comma separated")
    args = ap.parse_args()
    modes = [m.strip() for m in args.auth.split(",") if m.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="service-bench-"))

    with ApiServer(bookmark_interval=5) as api:
        policy(api)
        proc, base = start(api, tmp, "none")
        try:
            t0 = time.perf_counter()
            live = wait_for(base, "/livez", 200)
            ready = wait_for(base, "/readyz", 200)
            print(f"empty cluster: listening {ms(live - t0)}, ready {ms(ready - t0)}, "
                  f"worker RSS {rss_kib(worker_pid(proc.pid)) / 1024:.0f} MiB, "
                  f"master RSS {rss_kib(proc.pid) / 1024:.0f} MiB")
        finally:
            proc.terminate()
            proc.wait(20)

        t = time.perf_counter()
        names = fill(api, args.objects)
        print(f"stand-in filled with {args.objects:,} FlinkDeployments in {time.perf_counter() - t:.1f} s")
        breakdown(api, tmp)
        if "kubernetes" in modes:
            auth_overhead(api, tmp)
        for mode in modes:
            run(api, tmp, names, args, mode)
        if set(modes) == {"none", "kubernetes"}:
            side_by_side(api, tmp, args)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other work on the machine shows in every figure)")


if __name__ == "__main__":
    main()
