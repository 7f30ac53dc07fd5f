"""Evaluations per second: generated Lua in the sandbox runner vs the Python evaluator.

One runtime, each script compiled once (as Argo CD caches compiled scripts). Objects are the
realistic fixtures in lua/flink.apache.org/*/testdata. Run: `.venv/bin/python bench/health_bench.py`.
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from flink_gitops.health.evaluate import evaluate
from flink_gitops.argocd.sandbox import LuaSandbox
from flink_gitops.argocd.health_scripts import evaluate as run_lua

ROOT = Path(__file__).resolve().parents[1]


def objects() -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted(ROOT.glob("lua/flink.apache.org/*/testdata/*.yaml"))]


def rate(fn, objs, seconds=2.0) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for o in objs:
            fn(o)
        n += len(objs)
    return n / (time.perf_counter() - start)


def main() -> None:
    objs = objects()
    strict, open_ = LuaSandbox(open_libs=False), LuaSandbox(open_libs=True)
    print(f"{len(objs)} realistic objects (the health fixtures)")
    print(f"lua strict sandbox : {rate(lambda o: run_lua(o, strict), objs):10,.0f} evaluations/s")
    print(f"lua open libs      : {rate(lambda o: run_lua(o, open_), objs):10,.0f} evaluations/s")
    print(f"python evaluator   : {rate(evaluate, objs):10,.0f} evaluations/s")


if __name__ == "__main__":
    main()
