"""Debian's headless chromium driven by selenium through chromedriver: one way to start it, for the suite's
browser tests and ``make screenshots``."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
#: quiet and local: no first-run UI, no background fetches, no GPU (containers have none)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
MISSING = ("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; "
           "`make test` installs them when run as root)")


def available() -> bool:
    return bool(CHROMIUM and CHROMEDRIVER)


def start(profile: Path, width: int = 1400, height: int = 900, extra: tuple[str, ...] = ()):
    """A new headless chromium with its own profile folder, its window ``width`` x ``height``, and ``extra``
    command-line flags."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, *extra, f"--window-size={width},{height}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver
