"""The dashboard in a real browser: Debian's headless chromium, driven by selenium through chromedriver,
showing ``flink-gitops serve`` (real gunicorn) watching the API-server stand-in.

Screenshots are kept: ``dashboard.png`` (first view, with injected markup shown as text) and
``dashboard-after-change.png`` in ``$FLINK_GITOPS_TEST_ARTIFACTS`` when that is set (CI), else in the
test's tmp dir; the paths are printed (``pytest -s``).
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from kubeapi import FakeApiServer
from service_objects import deployment
from service_process import serve, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,900")
XSS = "<img src=x onerror=window.__pwned=1>"  # no quotes: the message quotes the operator's JSON


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver; "
                    "`make test` installs them when run as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def put(api, obj):
    meta = obj["metadata"]
    api.create(obj["kind"], meta["namespace"], meta["name"], spec=obj["spec"], status=obj.get("status"),
               generation=meta["generation"])


def rows(driver) -> list[tuple[str, str, str, str]]:
    """(status, namespace, name, message) of every row shown, read in one go (the page re-renders by itself)."""
    return [tuple(r) for r in driver.execute_script(
        "return [...document.querySelectorAll('#resources tbody tr')].map(tr => "
        "['status', 'namespace', 'name', 'message'].map(c => tr.querySelector('td.' + c).textContent))")]


def namespaces(driver) -> list[str]:
    """The namespace filter's choices ("" is all)."""
    return driver.execute_script("return [...document.querySelectorAll('#f-namespace option')].map(o => o.value)")


def test_dashboard_rows_filters_live_updates_and_escaping(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    with FakeApiServer() as api:
        put(api, deployment("orders", "streaming", "Healthy"))
        put(api, deployment("pricing", "streaming", "Degraded", error=XSS))
        put(api, deployment("backfill", "batch", "Progressing"))
        put(api, deployment("audit", "batch", "Degraded", error="TaskManager lost"))
        put(api, deployment("reports", "batch", "Healthy"))
        with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
            svc.wait_ready()
            browser.get(svc.url("/"))
            wait_until(lambda: len(rows(browser)) == 5, 15, "five rows")
            shown = rows(browser)
            # Degraded first, then Progressing, then the rest
            assert [r[0] for r in shown] == ["Degraded", "Degraded", "Progressing", "Healthy", "Healthy"]
            assert [r[2] for r in shown[:2]] == ["audit", "pricing"]
            counts = {b.get_attribute("data-status"): b.find_element(By.CSS_SELECTOR, ".n").text
                      for b in browser.find_elements(By.CSS_SELECTOR, "#counts .count")}
            assert counts == {"Degraded": "2", "Progressing": "1", "Unknown": "0", "Healthy": "2"}
            # the injected markup is text: shown verbatim, no element made, no script run
            pricing = next(r for r in shown if r[2] == "pricing")
            assert XSS in pricing[3]
            assert browser.find_elements(By.CSS_SELECTOR, "#resources img") == []
            assert browser.execute_script("return window.__pwned") is None
            out = Path(os.environ.get("FLINK_GITOPS_TEST_ARTIFACTS") or tmp_path)
            out.mkdir(parents=True, exist_ok=True)
            assert browser.save_screenshot(str(out / "dashboard.png"))
            print(f"dashboard screenshot: {out / 'dashboard.png'}")
            # time in status is shown and counts up
            first = browser.find_element(By.CSS_SELECTOR, "#resources tbody tr td.for").text
            assert first.endswith("s")

            # filters: namespace, then status (a count tile), then clear
            Select(browser.find_element(By.ID, "f-namespace")).select_by_value("batch")
            assert {r[1] for r in rows(browser)} == {"batch"} and len(rows(browser)) == 3
            browser.find_element(By.CSS_SELECTOR, '#counts .count[data-status="Degraded"]').click()
            assert [(r[0], r[2]) for r in rows(browser)] == [("Degraded", "audit")]
            assert "status=Degraded" in browser.current_url  # a filtered view can be bookmarked
            browser.find_element(By.ID, "f-clear").click()
            assert len(rows(browser)) == 5
            Select(browser.find_element(By.ID, "f-kind")).select_by_value("FlinkSessionJob")
            assert rows(browser) == [] and browser.find_element(By.ID, "empty").is_displayed()
            browser.find_element(By.ID, "f-clear").click()

            # a change in the cluster shows up without a reload
            browser.execute_script("window.__sameDocument = true")
            api.update("FlinkDeployment", "streaming", "pricing",
                       status=deployment("pricing", "streaming", "Healthy")["status"])
            api.delete("FlinkDeployment", "batch", "reports")
            trace = "new trouble " + "at org.apache.flink.Frame(Frame.java:1)\n" * 5000  # a 200 KB stack trace
            put(api, deployment("fresh", "payments", "Degraded", error=trace))
            wait_until(lambda: {r[2]: r[0] for r in rows(browser)} == {
                "audit": "Degraded", "fresh": "Degraded", "backfill": "Progressing", "orders": "Healthy",
                "pricing": "Healthy"}, 15, "the dashboard to show the cluster's change")
            assert browser.execute_script("return window.__sameDocument") is True
            # the huge message is cut in the page (whole in the API), so the other rows stay in view
            fresh = next(r for r in rows(browser) if r[2] == "fresh")
            assert "new trouble" in fresh[3] and len(fresh[3]) < 2100 and fresh[3].endswith("more characters in the API)")
            assert len(svc.get("/api/v1/resources/payments/flinkdep/fresh")[1]["message"]) > 100_000
            assert namespaces(browser) == ["", "batch", "payments", "streaming"]
            assert browser.find_element(By.ID, "sync").text == "live"
            assert browser.save_screenshot(str(out / "dashboard-after-change.png"))
            print(f"dashboard screenshot: {out / 'dashboard-after-change.png'}")

            # the API server goes away: the rows stay, the page says they are not current, and why
            def badge():
                return browser.find_element(By.ID, "sync").text

            api.outage(True)
            wait_until(lambda: badge() == "not current: cannot watch the cluster", 20, "the page to say so")
            problems = browser.find_element(By.ID, "problems").text
            assert "FlinkDeployment: failing (503 Service Unavailable" in problems
            assert len(rows(browser)) == 5
            api.outage(False)
            wait_until(lambda: badge() == "live", 30, "the page to be live again")

            # the service stops answering (a stopped worker, a half-open port-forward): the page
            # must not keep saying "live" on a request that never returns
            worker = int(Path(f"/proc/{svc.proc.pid}/task/{svc.proc.pid}/children").read_text().split()[0])
            os.kill(worker, signal.SIGSTOP)
            try:
                wait_until(lambda: badge() == "service unreachable", 25, "the page to notice")
            finally:
                os.kill(worker, signal.SIGCONT)
            wait_until(lambda: badge() == "live", 20, "the page to be live again")

            # a namespace whose last resource is gone leaves the filter's choices
            api.delete("FlinkDeployment", "payments", "fresh")
            wait_until(lambda: namespaces(browser) == ["", "batch", "streaming"], 15, "payments to leave the list")
