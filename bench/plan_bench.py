"""Plan benchmark: ``flink-gitops plan`` over N FlinkDeployments (desired and live with the operator's status).

    .venv/bin/python bench/plan_bench.py [--sizes 1000,5000] [--repeat 5]

Prints a Markdown table for docs/BENCHMARKS.md ("Plan"): the decisions alone (``plan.engine.plan``
over parsed objects, best of --repeat in one process) and the whole command as a user runs it
(``flink-gitops plan desired.yaml --live live.yaml -o json``: process start, reading both files,
deciding, printing; best of --repeat), with the live objects as ``kubectl get -o yaml`` and as
``-o json`` writes them (YAML parsing is most of the command's time). The mix: a quarter unchanged, a quarter changing only
ignored fields, a quarter upgraded with a savepoint, an eighth scaled in place (reactive
standalone), an eighth upgraded stateless.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugin"))

from flink_gitops.manifests import read_objects  # noqa: E402
from flink_gitops.plan.engine import plan  # noqa: E402
from timing import best  # noqa: E402  (bench/, the script's folder)

BASE = ROOT / "tests" / "plan" / "cases" / "upgrade" / "from-savepoint-to-savepoint" / "live.yaml"


def objects(count: int) -> tuple[list[dict], list[dict]]:
    """(desired, live): ``count`` FlinkDeployments in 20 namespaces, each live one with a reconciled status."""
    base = yaml.safe_load(BASE.read_text())["items"][0]
    desired, live = [], []
    for n in range(count):
        spec = copy.deepcopy(base["spec"])
        if n % 8 == 6:
            spec["mode"] = "standalone"
            spec["flinkConfiguration"]["scheduler-mode"] = "reactive"
            spec["taskManager"]["replicas"] = 2
        obj = {"apiVersion": base["apiVersion"], "kind": "FlinkDeployment",
               "metadata": {"name": f"job-{n}", "namespace": f"team-{n % 20}"}, "spec": spec}
        status = copy.deepcopy(base["status"])
        status["reconciliationStatus"]["lastReconciledSpec"] = json.dumps({"spec": spec, "resource_metadata": {}})
        live.append(dict(copy.deepcopy(obj), status=status))
        want = copy.deepcopy(obj)
        kind = n % 8
        if kind in (2, 3):
            want["spec"]["flinkConfiguration"]["kubernetes.operator.periodic.savepoint.interval"] = "6h"
        elif kind in (4, 5):
            want["spec"]["image"] = "registry.example/payments:3.2"
        elif kind == 6:
            want["spec"]["taskManager"]["replicas"] = 4
        elif kind == 7:
            want["spec"]["job"]["upgradeMode"] = "stateless"
            want["spec"]["image"] = "registry.example/payments:3.2"
        desired.append(want)
    return desired, live


def best_command(argv: list[str], size: int, repeat: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of ``repeat`` runs; CPU (user + system) says what a loaded machine hides."""
    runs = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(argv, capture_output=True, text=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert result.returncode == 1, result.stderr  # the stateless eighth loses its state
        assert len(json.loads(result.stdout)["resources"]) == size
        runs.append((wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "flink-gitops")
    print("| FlinkDeployments | decisions (best) | µs/object | command, live as YAML: wall / CPU | "
          "command, live as JSON: wall / CPU |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            desired, live = objects(size)
            dpath, lpath, jpath = Path(tmp) / "desired.yaml", Path(tmp) / "live.yaml", Path(tmp) / "live.json"
            dpath.write_text(yaml.safe_dump_all(desired))
            listed = {"apiVersion": "v1", "kind": "List", "items": live}
            lpath.write_text(yaml.safe_dump(listed))
            jpath.write_text(json.dumps(listed, indent=4))
            dl, ll = read_objects([str(dpath)]), read_objects([str(lpath)])
            decisions = plan(dl, ll)
            assert len(decisions) == size
            engine = best(lambda: plan(dl, ll), args.repeat)

            argv = [exe, "plan", str(dpath), "--live"]
            yw, yc = best_command(argv + [str(lpath), "-o", "json"], size, args.repeat)
            jw, jc = best_command(argv + [str(jpath), "-o", "json"], size, args.repeat)
            print(f"| {size:,} | {engine * 1000:.0f} ms | {engine / size * 1e6:.0f} | {yw:.2f} s / {yc:.2f} s | "
                  f"{jw:.2f} s / {jc:.2f} s |", flush=True)


if __name__ == "__main__":
    main()
