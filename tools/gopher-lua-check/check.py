"""Cross-check the generated health scripts in real gopher-lua (the engine Argo CD embeds).

Not part of `make test` (it needs Go and gopher-lua from Debian): run `make crosscheck`.
Feeds every health fixture and every combination the agreement tests use (tests/
test_health_agreement.py) to the Go harness beside this file, in both library modes, and
compares with the Python evaluator, which the suite proves equal to the lupa sandbox.
Then runs every resource action (discovery and each action.lua) on every action sample, and
compares what gopher-lua returns, encoded as gopher-json encodes it, with the lupa sandbox.
Exit 1 on any difference, error, or fixture whose expected health gopher-lua does not give.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import test_health_agreement as combos  # noqa: E402

from flink_gitops.health.evaluate import evaluate  # noqa: E402
from flink_gitops.argocd.sandbox import LuaSandbox, LuaScriptError, _jsonable  # noqa: E402


def cases() -> list[tuple[str, dict, dict | None]]:
    out = []
    for spec in sorted(ROOT.glob("lua/flink.apache.org/*/health_test.yaml")):
        for case in yaml.safe_load(spec.read_text())["tests"]:
            obj = yaml.safe_load((spec.parent / case["inputPath"]).read_text())
            out.append((str(spec.parent / "health.lua"), obj, case["healthStatus"]))
    for kind, objs in (
        ("FlinkDeployment", combos.deployment_combinations() + combos.old_operator_deployments()),
        ("FlinkSessionJob", combos.session_job_combinations()),
        ("FlinkStateSnapshot", combos.snapshot_combinations()),
        ("FlinkBlueGreenDeployment", combos.blue_green_combinations()),
    ):
        script = str(ROOT / "lua" / "flink.apache.org" / kind / "health.lua")
        out.extend((script, obj, None) for obj in objs)
    return out


def action_cases() -> list[tuple[str, dict]]:
    out = []
    for actions in sorted(ROOT.glob("lua/flink.apache.org/*/actions")):
        scripts = [actions / "discovery.lua"] + sorted(actions.glob("*/action.lua"))
        for sample in sorted((actions / "testdata").glob("*.yaml")):
            obj = yaml.safe_load(sample.read_text())
            if isinstance(obj, dict):  # an expected output of the savepoint action is a list of resources
                out.extend((str(script), obj) for script in scripts)
    return out


def _without_clock(result: dict) -> dict:
    return json.loads(re.sub(r"-savepoint-\d{14}", "-savepoint-<time>", json.dumps(result)))


def check_actions(harness: str) -> int:
    todo = action_cases()
    feed = "".join(json.dumps({"script": s, "obj": _jsonable(o), "mode": "json"}) + "\n" for s, o in todo)
    run = subprocess.run([harness], input=feed, capture_output=True, text=True, check=True)
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(results) == len(todo), "the harness lost cases"
    box, bad = LuaSandbox(open_libs=False), 0
    for (script, obj), got in zip(todo, results):
        try:
            want = {"value": box.run(Path(script).read_text(), obj, script)}
        except LuaScriptError as exc:
            want = {"error": str(exc)}
        # The savepoint action names its snapshot after the clock: the two VMs ran at different moments.
        got, want = _without_clock(got), _without_clock(want)
        if ("error" in got) != ("error" in want) or got.get("value") != want.get("value"):
            bad += 1
            print(f"DIFFERENT action {script}: gopher-lua {str(got)[:300]}, lupa {str(want)[:300]}")
    print(f"{len(results)} action runs in gopher-lua, {bad} different")
    return bad


def main(harness: str) -> int:
    todo = [(c, open_libs) for open_libs in (False, True) for c in cases()]
    feed = "".join(json.dumps({"script": s, "obj": _jsonable(o), "openlibs": ol}) + "\n" for (s, o, _), ol in todo)
    run = subprocess.run([harness], input=feed, capture_output=True, text=True, check=True)
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(results) == len(todo), "the harness lost cases"
    bad = 0
    for ((script, obj, expected), open_libs), got in zip(todo, results):
        want = evaluate(obj, string_lib=open_libs)
        if "error" in got or (got["status"], got["message"]) != (want["status"], want["message"]):
            bad += 1
            print(f"DIFFERENT ({'open' if open_libs else 'strict'}) {script}: gopher-lua {got}, python {want}")
        elif expected and open_libs and (got["status"], got["message"]) != (expected["status"],
                                                                           expected.get("message", "")):
            bad += 1
            print(f"FIXTURE {script}: gopher-lua {got}, health_test.yaml {expected}")
    print(f"{len(results)} evaluations in gopher-lua, {bad} different")
    bad += check_actions(harness)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
