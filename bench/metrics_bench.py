"""What one Flink resource costs Prometheus: series, scrape bytes and render time of /metrics, per resource.

Builds the health cache in this process with N FlinkDeployments (names and namespaces like a real
fleet's, the same mix of health as bench/service_bench.py), then renders the exposition as a scrape
does: first cold (every line formatted), then warm (nothing changed), then after 1% of the resources
changed. The per-resource figures size a fleet in docs/fleet.md.

Run: `.venv/bin/python bench/metrics_bench.py [--objects 10000]`. Numbers go to docs/BENCHMARKS.md
by hand; no test asserts them.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from service_objects import deployment  # noqa: E402

HEALTH = ("Healthy", "Healthy", "Healthy", "Progressing", "Degraded")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", type=int, default=10_000)
    n = ap.parse_args().objects

    from flink_gitops.assess import evaluator
    from flink_gitops.cluster.store import HealthStore
    from flink_gitops.service.metrics import Exposition

    store = HealthStore(kinds=["FlinkDeployment"], evaluator=evaluator())
    objs = [deployment(f"job-{i:05d}", f"team-{i % 50:02d}", HEALTH[i % len(HEALTH)], rv=1) for i in range(n)]
    store.replace("FlinkDeployment", objs)
    exposition = Exposition(store)

    def timed() -> tuple[float, bytes]:
        start = time.perf_counter()
        body = exposition.body()
        return time.perf_counter() - start, body

    cold, body = timed()
    warm, _ = timed()
    for i in range(0, n, 100):  # 1% change
        obj = objs[i]
        store.upsert("FlinkDeployment", deployment(obj["metadata"]["name"], obj["metadata"]["namespace"],
                                                    "Degraded" if i % 200 else "Healthy", rv=2))
    changed, _ = timed()
    text = body.decode()
    per_resource = [line for line in text.splitlines()
                    if line.startswith(("flink_gitops_resource_health{", "flink_gitops_resource_status_since"))]
    size = sum(len(line) + 1 for line in per_resource)
    print(f"resources                         : {n:,}")
    print(f"per-resource series               : {len(per_resource):,} ({len(per_resource) / n:.1f} per resource)")
    print(f"scrape body                       : {len(body):,} bytes ({size / n:.0f} bytes per resource)")
    print(f"render cold / warm / after 1% change: {cold * 1000:.0f} / {warm * 1000:.0f} / {changed * 1000:.0f} ms")


if __name__ == "__main__":
    main()
