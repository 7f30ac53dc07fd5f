"""The dashboard in a real browser: Debian's headless chromium, driven by selenium through chromedriver,
showing ``flink-gitops serve`` (real gunicorn) watching the API-server stand-in; with
``--auth kubernetes``, the page asking for a token, and behind an auth proxy that sends one.

Screenshots are kept: ``dashboard.png`` (first view, with injected markup shown as text),
``dashboard-after-change.png`` and ``dashboard-token.png`` (asking for a token) in
``$FLINK_GITOPS_TEST_ARTIFACTS`` when that is set (CI), else in the test's tmp dir; the paths are
printed (``pytest -s``).
"""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from flink_gitops.simulation.apiserver import ApiServer, Identity, Rule
from tools import chromium
from service_objects import deployment
from service_process import serve, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

XSS = "<img src=x onerror=window.__pwned=1>"  # no quotes: the message quotes the operator's JSON


@pytest.fixture
def browser(tmp_path):
    if not chromium.available():
        pytest.skip(chromium.MISSING)
    driver = chromium.start(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.quit()


def artifacts(tmp_path) -> Path:
    """Where screenshots go: ``$FLINK_GITOPS_TEST_ARTIFACTS`` (CI keeps it), else the test's tmp dir."""
    out = Path(os.environ.get("FLINK_GITOPS_TEST_ARTIFACTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


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

    with ApiServer() as api:
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
            out = artifacts(tmp_path)
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


# --- serve --auth kubernetes: the page asks for a token ------------------------------------------


def auth_policy(api) -> None:
    api.set_policy({"tok-alice": Identity("alice", ("system:authenticated", "team-streaming")),
                    "tok-admin": Identity("admin", ("system:authenticated", "flink-admins"))},
                   [Rule(("list",), ("flinkdeployments",), namespaces=("streaming",), groups=("team-streaming",)),
                    Rule(("list",), ("*",), groups=("flink-admins",))])


def signin_shown(driver) -> bool:
    return driver.execute_script("return !document.getElementById('signin').hidden")


def test_dashboard_asks_for_a_token_keeps_it_in_the_tab_only_and_shows_what_it_may_see(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with ApiServer() as api:
        auth_policy(api)
        put(api, deployment("orders", "streaming", "Healthy"))
        put(api, deployment("pricing", "streaming", "Degraded", error="checkpoint storage unreachable"))
        put(api, deployment("audit", "batch", "Degraded", error="OOMKilled"))
        with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), auth="kubernetes") as svc:
            svc.wait_ready()
            browser.get(svc.url("/"))
            wait_until(lambda: signin_shown(browser), 15, "the page to ask for a token")
            assert rows(browser) == [] and browser.find_element(By.ID, "sync").text == "token needed"
            box = browser.find_element(By.ID, "token")
            assert box.get_attribute("type") == "password"

            box.send_keys("tok-stolen", Keys.ENTER)
            wait_until(lambda: "rejected" in browser.find_element(By.ID, "signin-why").text, 15,
                       "the page to say the token was rejected")
            time.sleep(2.5)  # a poll without a token since: the reason stays on screen
            assert "rejected" in browser.find_element(By.ID, "signin-why").text
            out = artifacts(tmp_path)
            assert browser.save_screenshot(str(out / "dashboard-token.png"))
            print(f"dashboard screenshot: {out / 'dashboard-token.png'}")
            assert browser.execute_script("return sessionStorage.getItem('flink-gitops-token')") is None

            browser.find_element(By.ID, "token").send_keys("tok-alice")
            browser.find_element(By.CSS_SELECTOR, "#token-form button[type=submit]").click()
            wait_until(lambda: {(r[1], r[2]) for r in rows(browser)} == {("streaming", "orders"),
                                                                          ("streaming", "pricing")},
                       15, "alice's rows: streaming only")
            assert not signin_shown(browser) and browser.find_element(By.ID, "signout").is_displayed()
            assert browser.find_element(By.ID, "sync").text == "live"
            assert namespaces(browser) == ["", "streaming"]  # batch is not even named
            # in this tab's sessionStorage, nowhere else
            assert browser.execute_script("return sessionStorage.getItem('flink-gitops-token')") == "tok-alice"
            assert browser.execute_script("return localStorage.length") == 0
            assert browser.execute_script("return document.cookie") == ""

            browser.refresh()  # the same tab keeps it
            wait_until(lambda: len(rows(browser)) == 2, 15, "the rows again after a reload, without asking")
            assert not signin_shown(browser)

            first = browser.current_window_handle
            browser.switch_to.new_window("tab")  # another tab asks again
            browser.get(svc.url("/"))
            wait_until(lambda: signin_shown(browser), 15, "a new tab to ask for a token")
            assert rows(browser) == []
            browser.close()
            browser.switch_to.window(first)

            browser.find_element(By.ID, "signout").click()
            wait_until(lambda: signin_shown(browser) and rows(browser) == [], 15, "the rows to go with the token")
            assert browser.execute_script("return sessionStorage.getItem('flink-gitops-token')") is None


class _HeaderProxy(ThreadingHTTPServer):
    """An auth proxy in front of the service that sends its own bearer token upstream (as
    oauth2-proxy with --pass-authorization-header does)."""

    daemon_threads = True

    def __init__(self, upstream: str, token: str):
        self.upstream, self.token = upstream, token
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                conn = http.client.HTTPConnection(proxy.upstream, timeout=15)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "authorization")}
                conn.request("GET", self.path, headers={**headers, "Authorization": f"Bearer {proxy.token}"})
                resp = conn.getresponse()
                body = resp.read()
                self.send_response(resp.status)
                for key, value in resp.getheaders():
                    if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                conn.close()

        super().__init__(("127.0.0.1", 0), Handler)


def test_dashboard_behind_an_auth_proxy_that_sets_the_header_never_asks(browser, tmp_path):
    with ApiServer() as api:
        auth_policy(api)
        put(api, deployment("orders", "streaming", "Healthy"))
        put(api, deployment("audit", "batch", "Degraded", error="OOMKilled"))
        with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), auth="kubernetes") as svc:
            svc.wait_ready()
            proxy = _HeaderProxy(svc.base.removeprefix("http://"), "tok-admin")
            threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            try:
                browser.get(f"http://127.0.0.1:{proxy.server_address[1]}/")
                wait_until(lambda: {r[2] for r in rows(browser)} == {"orders", "audit"}, 15, "every row via the proxy")
                assert not signin_shown(browser)
                assert browser.execute_script("return sessionStorage.getItem('flink-gitops-token')") is None
            finally:
                proxy.shutdown()
                proxy.server_close()
