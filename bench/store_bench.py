"""The health cache's own cost with N objects: memory of the records and of their transition history, and
the time of a watch event (``upsert``) through the store, the evaluation left out (a stand-in evaluator
answers from the object, so what is timed is the store: fields, decoded error, history, lock).

Run: `.venv/bin/python bench/store_bench.py [--objects 10000]`. Numbers go to docs/BENCHMARKS.md by hand.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from service_objects import deployment  # noqa: E402

from flink_gitops.assess import Verdict  # noqa: E402
from flink_gitops.cluster.store import HealthStore  # noqa: E402

try:
    from flink_gitops.cluster.store import HISTORY
except ImportError:  # a store from before the history (PYTHONPATH=<older checkout>/plugin, for comparison)
    HISTORY = 20


def quick(obj: dict) -> Verdict:
    """Degraded with the health message Argo CD would show when the job failed, else Healthy."""
    meta, status = obj["metadata"], obj.get("status", {})
    if status.get("jobStatus", {}).get("state") == "FAILED":
        return Verdict(obj["kind"], meta["namespace"], meta["name"], "Degraded", "Job FAILED: " + status["error"],
                       "job-failed")
    return Verdict(obj["kind"], meta["namespace"], meta["name"], "Healthy", "Job running", "running-stable")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=10_000)
    args = parser.parse_args()
    n = args.objects
    healthy = deployment("x", "ns", "Healthy")
    failed = deployment("x", "ns", "Degraded", error="checkpoint storage unreachable: s3://bucket/path (timeout)")

    def obj(i: int, rv: int, bad: bool) -> dict:
        o = copy.deepcopy(failed if bad else healthy)
        o["metadata"].update(name=f"job-{i:05d}", namespace=f"team-{i % 50:02d}", resourceVersion=str(rv))
        return o

    objects = [obj(i, 1, False) for i in range(n)]
    events = [[obj(i, 2 + k, k % 2 == 0) for i in range(n)] for k in range(2)]  # Degraded, then Healthy
    store = HealthStore(evaluator=quick)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    store.replace("FlinkDeployment", objects)
    listed = tracemalloc.get_traced_memory()[0] - base
    started = time.perf_counter()
    for k in range(HISTORY):  # every object flaps until its history is full
        for o in events[k % 2]:
            o["metadata"]["resourceVersion"] = str(10 + k)
            store.upsert("FlinkDeployment", o)
    took = time.perf_counter() - started
    full = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    print(json.dumps({
        "objects": n,
        "records_mib": round(listed / 2**20, 1),
        "records_and_full_history_mib": round(full / 2**20, 1),
        "history_bytes_per_object": round((full - listed) / n),
        "upsert_us": round(took / (HISTORY * n) * 1e6, 1),
    }, indent=1))


if __name__ == "__main__":
    main()
