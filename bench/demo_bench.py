"""`flink-gitops demo`: how long from typing the command to a dashboard that lists the fleet, and to a clean exit.

Runs the installed script as a user would, N times, each on a free port: the time from process start to the
first `GET /api/v1/resources` listing every resource the simulated cluster holds (the demo's "ready"), to the
banner on stdout, and from SIGTERM to exit. Over HTTP on 127.0.0.1. Numbers go to docs/BENCHMARKS.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from service_process import free_port  # noqa: E402  (the suite's)


def listed(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/resources", timeout=2) as resp:
            return len(json.load(resp)["resources"])
    except (OSError, ValueError):
        return 0


def once(fleet: int) -> tuple[float, float, float]:
    port = free_port()
    began = time.monotonic()
    proc = subprocess.Popen([str(BIN / "flink-gitops"), "demo", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env={k: v for k, v in os.environ.items()
                                                                       if k != "KUBECONFIG"})
    ready = None
    while ready is None:
        if proc.poll() is not None:
            raise SystemExit(f"the demo exited with {proc.returncode}")
        if listed(port) >= fleet:
            ready = time.monotonic() - began
        else:
            time.sleep(0.02)
    for line in proc.stdout:
        if "stops the demo" in line:
            break
    banner = time.monotonic() - began
    stopping = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(30)
    stopped = time.monotonic() - stopping
    if code != 0:
        raise SystemExit(f"the demo exited with {code} on SIGTERM")
    return ready, banner, stopped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from flink_gitops.simulation.fleet import FLEET

    fleet = sum(1 for r in FLEET if r.track[r.opens_at].status is not None)  # what exists when the demo opens
    runs = [once(fleet) for _ in range(args.runs)]
    for name, values in zip(("ready (fleet listed)", "banner printed", "SIGTERM to exit"), zip(*runs)):
        print(f"{name:22} median {statistics.median(values):.2f} s  max {max(values):.2f} s  "
              f"({', '.join(f'{v:.2f}' for v in values)})")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
