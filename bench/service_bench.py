"""The health service with N Flink objects: time to ready, change latency, API and /metrics times, memory.

`flink-gitops serve` (real gunicorn, one gthread worker) watches the API-server stand-in of the
test suite (tests/kubeapi, in this process) holding N objects. Measured over HTTP on 127.0.0.1:

- ready: from starting the process to the first 200 of /readyz (and to the first /livez answer);
- change latency: the stand-in changes objects at RATE changes/s; for every 4th change a probe
  polls GET /api/v1/resources/<ns>/<kind>/<name> every 2 ms until the change shows;
- GET /api/v1/resources (all N) and /metrics: cached (nothing changed since the last request) and
  uncached (one change before each request);
- RSS of the gunicorn worker (the cache) and the master, with N objects and with none.

Run: `.venv/bin/python bench/service_bench.py [--objects 10000] [--rate 100] [--seconds 20]`.
Numbers go to docs/BENCHMARKS.md by hand; no test asserts them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from kubeapi import FakeApiServer  # noqa: E402  (the suite's stand-in)
from service_objects import deployment  # noqa: E402
from service_process import free_port, get_json, http  # noqa: E402

HEALTH = ("Healthy", "Healthy", "Healthy", "Progressing", "Degraded")


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


def fill(api: FakeApiServer, n: int) -> list[tuple[str, str]]:
    names = []
    for i in range(n):
        ns, name = f"team-{i % 50:02d}", f"job-{i:05d}"
        obj = deployment(name, ns, HEALTH[i % len(HEALTH)], error=f"initial failure {i}")
        api.create("FlinkDeployment", ns, name, spec=obj["spec"], status=obj.get("status"),
                   generation=obj["metadata"]["generation"])
        names.append((ns, name))
    return names


def start(api: FakeApiServer, tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "FLINK_GITOPS_"))}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "flink-gitops"), "serve", "--bind",
                             f"127.0.0.1:{port}", "--kubeconfig", api.kubeconfig(tmp / "kubeconfig")],
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "serve.log", "wb"), env=env)
    return proc, f"http://127.0.0.1:{port}"


def wait_for(base: str, path: str, code: int, timeout: float = 120) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        try:
            if http(base + path, timeout=5)[0] == code:
                return time.perf_counter()
        except OSError:
            pass
        time.sleep(0.01)
    raise SystemExit(f"{path} never answered {code}")


def churn(api: FakeApiServer, base: str, names, rate: float, seconds: float) -> list[float]:
    """Change objects at ``rate``/s; every 4th change is watched until the API shows it."""
    latencies: list[float] = []
    probes: list[threading.Thread] = []

    def probe(ns: str, name: str, marker: str, written: float) -> None:
        deadline = written + 10
        while time.perf_counter() < deadline:
            code, body = get_json(f"{base}/api/v1/resources/{ns}/flinkdep/{name}")
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


def timed(url: str, repeat: int, before=None) -> list[float]:
    out = []
    for _ in range(repeat):
        if before:
            before()
        t = time.perf_counter()
        code, body, _ = http(url, timeout=30)
        out.append(time.perf_counter() - t)
        assert code == 200, code
    return out


def breakdown(api: FakeApiServer, tmp: Path) -> None:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="service-bench-"))

    with FakeApiServer(bookmark_interval=5) as api:
        proc, base = start(api, tmp)
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

        lists, watches = api.count("FlinkDeployment", "list"), api.count("FlinkDeployment", "watch")
        proc, base = start(api, tmp)
        try:
            t0 = time.perf_counter()
            live = wait_for(base, "/livez", 200)
            ready = wait_for(base, "/readyz", 200)
            body = get_json(base + "/api/v1/resources")[1]
            assert len(body["resources"]) == args.objects, len(body["resources"])
            print(f"{args.objects:,} objects: listening {ms(live - t0)}, ready {ms(ready - t0)} "
                  f"(list + evaluate: {ms(ready - live)})")

            lat = churn(api, base, names, args.rate, args.seconds)
            print(f"change visible in the API: p50 {ms(pct(lat, 50))}, p99 {ms(pct(lat, 99))}, "
                  f"max {ms(max(lat))}")
            time.sleep(1)

            counter = iter(range(10**9))

            def one_change():
                ns, name = names[next(counter) % len(names)]
                before = get_json(base + "/api/v1/resources?status=Degraded&namespace=" + ns)[1]
                api.update("FlinkDeployment", ns, name,
                           status=deployment(name, ns, "Degraded", error=f"x{next(counter)}")["status"])
                deadline = time.perf_counter() + 5
                while time.perf_counter() < deadline:  # wait until the service has it (a new version)
                    if get_json(base + "/api/v1/resources?status=Degraded&namespace=" + ns)[1] != before:
                        return
                    time.sleep(0.005)

            for path in ("/api/v1/resources", "/metrics"):
                cached = timed(base + path, args.repeat)
                uncached = timed(base + path, max(5, args.repeat // 3), before=one_change)
                print(f"GET {path}: cached p50 {ms(pct(cached, 50))}, uncached p50 {ms(pct(uncached, 50))} "
                      f"(max {ms(max(uncached))}), {len(http(base + path)[1]) / 1e6:.1f} MB")
            w = worker_pid(proc.pid)
            print(f"RSS: worker {rss_kib(w) / 1024:.0f} MiB, master {rss_kib(proc.pid) / 1024:.0f} MiB; "
                  f"this service's requests for FlinkDeployments: "
                  f"{api.count('FlinkDeployment', 'list') - lists} list pages, "
                  f"{api.count('FlinkDeployment', 'watch') - watches} watch")
        finally:
            proc.terminate()
            proc.wait(20)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other work on the machine shows in every figure)")


if __name__ == "__main__":
    main()
