"""Validation benchmark: ``validate_objects`` over N valid objects (the fixtures' apps, renamed per copy).

    .venv/bin/python bench/validate_bench.py [--sizes 1000,10000] [--repeat 5]

Prints a Markdown table for docs/BENCHMARKS.md ("Validation"): best of --repeat runs, in one
process, objects already parsed (what the render step pays on top of loading).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugin"))

from flink_gitops.flink import Located  # noqa: E402
from flink_gitops.render.validation.validator import validate_objects  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "validate" / "valid"


def objects(count: int) -> list[Located]:
    """``count`` objects: copies of the valid fixtures (session cluster, jobs, snapshots, application and
    autoscaled deployments), each copy renamed, its session jobs pointing at its own cluster."""
    base = [(d, p.name, i) for p in sorted(FIXTURES.glob("*.yaml"))
            for i, d in enumerate(yaml.safe_load_all(p.read_text()), 1) if d]
    out: list[Located] = []
    n = 0
    while len(out) < count:
        for doc, file, index in base:
            obj = copy.deepcopy(doc)
            obj["metadata"]["name"] = f"{obj['metadata']['name']}-{n}"
            if obj["kind"] == "FlinkSessionJob":
                obj["spec"]["deploymentName"] = f"{obj['spec']['deploymentName']}-{n}"
            if obj["kind"] == "FlinkStateSnapshot" and isinstance(obj["spec"].get("jobReference"), dict):
                obj["spec"]["jobReference"]["name"] = f"{obj['spec']['jobReference']['name']}-{n}"
            out.append(Located(obj, file, index))
        n += 1
    return out[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("| objects | validate (best) | µs/object |")
    print("|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        objs = objects(size)
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            errors, warnings = validate_objects(objs, {})
            best = min(best, time.perf_counter() - started)
        if errors or warnings:  # the copies are valid: a finding here is a bug, not a number
            raise SystemExit(f"unexpected findings: {[str(e) for e in errors[:3]]} {warnings[:3]}")
        print(f"| {size:,} | {best * 1000:.0f} ms | {best / size * 1e6:.1f} |")


if __name__ == "__main__":
    main()
