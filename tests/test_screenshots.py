"""``make screenshots`` (tools/screenshots.py) photographs the demo's dashboard and a detail view with headless
Chromium, and the README shows the pictures it writes."""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tools import chromium

ROOT = Path(__file__).resolve().parents[1]
PICTURES = ("dashboard.png", "detail.png")


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; AssertionError when it is not a PNG."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_the_readme_shows_both_pictures_and_they_are_committed():
    readme = (ROOT / "README.md").read_text()
    shown = re.findall(r"!\[[^\]]+\]\((docs/images/[^)]+)\)", readme)
    assert shown == [f"docs/images/{name}" for name in PICTURES]
    for name in PICTURES:
        width, height = png_size(ROOT / "docs/images" / name)
        assert width == 1280 and 600 <= height <= 2400, (name, width, height)


@pytest.mark.slow
@pytest.mark.e2e
def test_make_screenshots_photographs_the_demo(tmp_path):
    if not chromium.available():
        pytest.skip(chromium.MISSING)
    done = subprocess.run([sys.executable, str(ROOT / "tools/screenshots.py"), "--out", str(tmp_path),
                           "--wait", "2", "--speed", "10"], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    for name in PICTURES:
        assert name in done.stdout
        width, height = png_size(tmp_path / name)
        # the list of the whole fleet and the detail view with its history are both taller than a window
        assert width == 1280 and height > 700, (name, width, height)
