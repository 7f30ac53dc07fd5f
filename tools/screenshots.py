#!/usr/bin/env python3
"""``make screenshots``: the README's pictures of the dashboard, taken of ``flink-gitops demo`` by headless Chromium.

    python tools/screenshots.py [--out docs/images] [--wait SECONDS]

Starts the demo (a simulated cluster, never a real one) on a free port, lets its story run for a while so the
fleet shows a mix of statuses and a history, then drives Debian's ``chromium`` through ``chromedriver``
(selenium, from the test extras) and writes ``dashboard.png`` (the list at 1280 px) and ``detail.png`` (the
detail view of the job whose spec the operator rejects) into ``--out``. Exit 0 when both are written; 1 (with
the reason) when Chromium, chromedriver or the demo fails.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools import chromium  # noqa: E402 - this script runs from anywhere

#: the resource the detail picture shows: a decoded operator error, a rule with its explanation, a history
DETAIL = ("streaming", "FlinkDeployment", "pricing-engine")
WIDTH = 1280
DASHBOARD_URL = re.compile(r"Dashboard\s+(http://127\.0\.0\.1:\d+/)")


class Failed(Exception):
    """A step could not be done; the message says which and why."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_demo(folder: Path, speed: float) -> tuple[subprocess.Popen, str]:
    """``flink-gitops demo`` as a user starts it; its dashboard URL once it says it is ready."""
    argv = [sys.executable, "-m", "flink_gitops", "demo", "--port", str(free_port()), "--speed", str(speed),
            "--write-kubeconfig", str(folder / "kubeconfig")]
    demo = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL)
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = demo.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = DASHBOARD_URL.search(line)
        if found:
            return demo, found.group(1)
    stop_demo(demo)
    raise Failed("the demo did not print its dashboard URL:\n" + "".join(seen[-20:]))


def stop_demo(demo: subprocess.Popen) -> None:
    if demo.poll() is None:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(20)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()


def browser(profile: Path):
    if not chromium.available():
        raise Failed(chromium.MISSING.replace("`make test`", "`make screenshots`"))
    # pictures as a reader sees them: no scrollbars, one device pixel per CSS pixel
    return chromium.start(profile, WIDTH, 900, extra=("--hide-scrollbars", "--force-device-scale-factor=1"))


def wait_for(driver, script: str, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.2)
    raise Failed(f"the page did not show {what} within {timeout:.0f} s")


def photograph(driver, path: Path, height_cap: int = 2400) -> None:
    """The whole page at WIDTH px, up to ``height_cap`` px tall (Chrome's DevTools protocol captures
    beyond the window, which headless Chrome does not grow past its screen)."""
    import base64

    time.sleep(0.3)  # the last poll's rendering settles
    height = min(driver.execute_script("return document.documentElement.scrollHeight"), height_cap)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))


def take(out: Path, wait: float, speed: float) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="flink-gitops-screenshots-") as scratch:
        demo, url = start_demo(Path(scratch), speed)
        try:
            time.sleep(wait)  # the story moves: a mix of statuses, a few transitions in each history
            driver = browser(Path(scratch) / "profile")
            try:
                driver.set_window_size(WIDTH, 900)
                driver.get(url)
                wait_for(driver, "return document.querySelectorAll('#resources tbody tr').length >= 12",
                         "the fleet")
                wait_for(driver, "return document.getElementById('cluster').textContent.trim()", "the cluster")
                dashboard = out / "dashboard.png"
                photograph(driver, dashboard)
                namespace, kind, name = DETAIL
                driver.get(f"{url}#/{namespace}/{kind}/{name}")
                # the moment the operator has rejected its spec: the decoded error, and the raw one opened
                wait_for(driver, "return !document.getElementById('detail').hidden && "
                         "document.getElementById('d-status').textContent === 'Degraded' && "
                         "document.querySelectorAll('#d-history tbody tr').length >= 3", "the rejected spec", 90)
                driver.execute_script("document.getElementById('d-raw-box').open = true")
                detail = out / "detail.png"
                photograph(driver, detail)
            finally:
                driver.quit()
        finally:
            stop_demo(demo)
    return [dashboard, detail]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/images", help="folder (default: docs/images)")
    parser.add_argument("--wait", type=float, default=12.0,
                        help="seconds the story runs before the pictures are taken (default: 12)")
    parser.add_argument("--speed", type=float, default=3.0, help="the demo's --speed (default: 3)")
    args = parser.parse_args(argv)
    try:
        for path in take(args.out, args.wait, args.speed):
            print(f"wrote {os.path.relpath(path)}")
    except Failed as exc:
        print(f"screenshots: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
