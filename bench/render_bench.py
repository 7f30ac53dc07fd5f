"""Render benchmark: the render path against a bare libyaml parse+dump of the same files.

    .venv/bin/python bench/render_bench.py [--sizes 1000,2000,5000,10000] [--repeat 5]

Prints a Markdown table for docs/BENCHMARKS.md ("Render"). Each figure is the best of
--repeat runs (least disturbed by other processes), in one process, files already in the page
cache. The small-app figure is the wall time of the whole `flink-gitops render` process, as
argocd-cmp-server pays it (interpreter start-up included).
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugin"))

from flink_gitops.render import params as P  # noqa: E402
from flink_gitops.render.api import render_text  # noqa: E402
from timing import best  # noqa: E402  (bench/, the script's folder)

OBJECTS_PER_FILE = 50


def app_objects(i: int) -> list[dict]:
    """One Flink app of 5 objects: ServiceAccount, Secret, FlinkDeployment, its log4j ConfigMap, a savepoint."""
    name = f"job-{i:05d}"
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": f"{name}-sa"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{name}-s3"}, "type": "Opaque",
         "stringData": {"AWS_ACCESS_KEY_ID": name, "AWS_SECRET_ACCESS_KEY": "x" * 24}},
        {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
         "metadata": {"name": name, "labels": {"team": f"team-{i % 7}"}},
         "spec": {"image": "registry.example.com/jobs:1.0", "flinkVersion": "v1_20", "serviceAccount": f"{name}-sa",
                  "flinkConfiguration": {"taskmanager.numberOfTaskSlots": "2",
                                         "state.checkpoints.dir": f"s3://state/{name}/cp",
                                         "state.savepoints.dir": f"s3://state/{name}/sp",
                                         "high-availability.type": "kubernetes",
                                         "high-availability.storageDir": f"s3://state/{name}/ha"},
                  "podTemplate": {"spec": {"containers": [{"name": "flink-main-container",
                                                           "envFrom": [{"secretRef": {"name": f"{name}-s3"}}]}]}},
                  "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
                  "taskManager": {"resource": {"memory": "4096m", "cpu": 2}},
                  "job": {"jarURI": "local:///opt/flink/usrlib/job.jar", "parallelism": 4,
                          "upgradeMode": "last-state", "state": "running"}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"flink-config-{name}"},
         "data": {"log4j-console.properties": "monitorInterval=30\nrootLogger.level=INFO\n"
                                              "logger.app.name=com.example\nlogger.app.level=DEBUG\n"}},
        {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkStateSnapshot",
         "metadata": {"name": f"{name}-before-upgrade"},
         "spec": {"backoffLimit": 0, "jobReference": {"kind": "FlinkDeployment", "name": name},
                  "savepoint": {"path": f"s3://state/{name}/sp/manual", "disposeOnDelete": False}}},
    ]


def write_app(folder: Path, n_objects: int) -> list[Path]:
    docs = [o for i in range(n_objects // 5) for o in app_objects(i)]
    files = []
    for k in range(0, len(docs), OBJECTS_PER_FILE):
        path = folder / f"part-{k // OBJECTS_PER_FILE:04d}.yaml"
        path.write_text(yaml.dump_all(docs[k:k + OBJECTS_PER_FILE], Dumper=yaml.CSafeDumper, sort_keys=False))
        files.append(path)
    return files


def bare(files: list[Path], pause_gc: bool = False) -> str:
    if pause_gc:
        gc.disable()
        try:
            return bare(files)
        finally:
            gc.enable()
    docs = []
    for path in files:
        docs.extend(yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader))
    return yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False,
                         explicit_start=True)


def full(folder: Path, params: dict) -> str:
    return render_text(str(folder), params, {})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,2000,5000,10000")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with_validation = {**P.defaults()}
    without = {**P.defaults(), "validate": "false"}
    print("| objects | bare libyaml parse+dump | same, GC paused | render (all steps) | ratio | ratio to GC-paused "
          "| render without validate | µs/object (render) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            files = write_app(folder, n)
            t_bare = best(lambda: bare(files), args.repeat)
            t_bare_nogc = best(lambda: bare(files, pause_gc=True), args.repeat)
            t_full = best(lambda: full(folder, with_validation), args.repeat)
            t_noval = best(lambda: full(folder, without), args.repeat)
            print(f"| {n:,} | {t_bare * 1000:.0f} ms | {t_bare_nogc * 1000:.0f} ms | {t_full * 1000:.0f} ms "
                  f"| {t_full / t_bare:.2f}x | {t_full / t_bare_nogc:.2f}x | {t_noval * 1000:.0f} ms "
                  f"| {t_full / n * 1e6:.0f} |")
    exe = Path(sys.executable).parent / "flink-gitops"
    walls = []
    for _ in range(args.repeat * 2):
        start = time.perf_counter()
        subprocess.run([str(exe), "render", str(ROOT / "examples" / "app")], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
        walls.append(time.perf_counter() - start)
    walls.sort()
    print(f"\nSmall app (examples/app, 11 objects), whole `flink-gitops render` process: "
          f"best {walls[0] * 1000:.0f} ms, median {walls[len(walls) // 2] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
