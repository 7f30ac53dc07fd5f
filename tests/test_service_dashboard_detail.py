"""The dashboard explains itself, in a real browser (Debian's headless chromium through selenium) showing
``flink-gitops serve`` (real gunicorn) watching the API-server stand-in: the cluster and version in the
header, the simulation banner, a resource's detail view (rule and its explanation, transition history,
status fields, the operator's error decoded with the raw message one click away, the Flink web UI),
deep links that work on load and with back/forward, markup shown as text, and no sideways scrolling at
1280 px or on a phone.

Screenshots (``detail.png``, ``detail-phone.png``, ``list-phone.png``) go to ``$FLINK_GITOPS_TEST_ARTIFACTS``
when set, else the test's tmp dir.
"""

from __future__ import annotations

import pytest

from flink_gitops.simulation.apiserver import ApiServer
from service_objects import deployment
from service_process import serve, wait_until
from test_service_dashboard import XSS, artifacts, browser, put  # noqa: F401 - browser: the chromium fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LONG = "a-very-long-deployment-name-" + "x" * 180  # DNS-1123 allows 253 characters
WORD = "Unbreakable" * 40  # one "word" of 440 characters in a message


def overflow(driver) -> dict:
    """How far the page is wider than the window, and the elements that stick out on the right."""
    return driver.execute_script("""
        const w = document.documentElement.clientWidth;
        const out = [...document.querySelectorAll('body *')].filter(e => e.getClientRects().length &&
            e.getBoundingClientRect().right > w + 1).map(e => e.tagName + '#' + e.id + '.' + e.className);
        return {scroll: document.documentElement.scrollWidth - w, out: out.slice(0, 5)};""")


def text(driver, element_id: str) -> str:
    return driver.execute_script(f"return document.getElementById('{element_id}').textContent")


def history_rows(driver) -> list[list[str]]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#d-history tbody tr')].map(tr => [...tr.cells].map(c => c.textContent))")


def test_header_detail_view_history_deep_links_and_escaping(browser, tmp_path):
    from selenium.webdriver.common.by import By

    pricing = deployment("pricing", "streaming", "Healthy")
    pricing["spec"]["ingress"] = {"template": "flink.example.com/{{namespace}}/{{name}}(/|$)(.*)"}
    # not a name a real API server accepts; the stand-in does, so the page is tested with one
    evil = deployment("<b>bold<b>", "streaming", "Healthy")
    evil["spec"]["ingress"] = {"template": "javascript:window.__pwned=1//{{name}}"}
    with ApiServer() as api:
        put(api, pricing)
        put(api, evil)
        put(api, deployment(LONG, "batch", "Degraded", error=WORD + " " + XSS))
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig", context="prod-eu")
        with serve(tmp_path, kubeconfig, "--simulation") as svc:
            svc.wait_ready()
            browser.set_window_size(1280, 900)
            browser.get(svc.url("/"))
            wait_until(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#resources tbody tr")) == 3, 15, "rows")
            # the header says which cluster, which version, and that it is a simulation
            wait_until(lambda: api.url in text(browser, "cluster"), 10, "the cluster in the header")
            assert "context prod-eu" in text(browser, "cluster")
            from flink_gitops import __version__
            assert f"flink-gitops {__version__}" in browser.find_element(By.TAG_NAME, "header").text
            assert "Simulated cluster (flink-gitops demo)" in browser.find_element(By.ID, "simulation").text

            # the operator's error is decoded in the table, and markup in it is text
            long_row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "#resources tbody tr")
                            if LONG in r.text)
            message = long_row.find_element(By.CSS_SELECTOR, "td.message").get_attribute("textContent")
            assert message == f"Job FAILED: JobException: {WORD} {XSS}"
            assert overflow(browser)["scroll"] <= 0, overflow(browser)
            assert browser.save_screenshot(str(artifacts(tmp_path) / "list.png"))

            # a click on a row opens its detail view, in the URL
            pricing_row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "#resources tbody tr")
                               if r.find_element(By.CSS_SELECTOR, "td.name").text == "pricing")
            pricing_row.find_element(By.CSS_SELECTOR, "td.message").click()
            wait_until(lambda: browser.current_url.endswith("#/streaming/FlinkDeployment/pricing"), 5, "the URL")
            wait_until(lambda: text(browser, "d-rule") == "running-stable", 10, "the detail view")
            assert browser.find_element(By.ID, "list").is_displayed() is False
            doc = svc.get("/api/v1/resources/streaming/FlinkDeployment/pricing")[1]["rule_doc"]
            assert doc and text(browser, "d-rule-doc") == doc
            assert "Lifecycle state" in text(browser, "d-fields") and "STABLE" in text(browser, "d-fields")
            link = browser.find_element(By.ID, "d-webui")
            assert link.get_attribute("href") == "http://flink.example.com/streaming/pricing/"
            assert set(link.get_attribute("rel").split()) == {"noopener", "noreferrer"}

            # the history grows while the view is open, newest first
            for n, health in enumerate(["Degraded", "Healthy"]):
                api.update("FlinkDeployment", "streaming", "pricing",
                           status=deployment("pricing", "streaming", health, error=f"<i>{n}</i>")["status"])
                wait_until(lambda: len(history_rows(browser)) == n + 2, 15, f"{n + 2} history rows")
            rows = history_rows(browser)
            assert [r[0] for r in rows] == ["Healthy", "Degraded", "Healthy"]
            assert rows[1][2] == "job-failed" and rows[1][3] == "Job FAILED: JobException: <i>0</i>"
            assert browser.find_elements(By.CSS_SELECTOR, "#detail i, #detail img") == []
            assert browser.save_screenshot(str(artifacts(tmp_path) / "detail.png"))

            # back returns to the list, forward to the detail
            browser.back()
            wait_until(lambda: browser.find_element(By.ID, "list").is_displayed(), 5, "the list after back")
            browser.forward()
            wait_until(lambda: browser.find_element(By.ID, "detail").is_displayed(), 5, "the detail after forward")

            # a deep link works on load: the long name, decoded error, raw JSON one click away
            browser.get(svc.url(f"/#/batch/FlinkDeployment/{LONG}"))
            wait_until(lambda: text(browser, "d-rule") == "job-failed", 10, "the deep-linked detail")
            assert text(browser, "d-id") == f"batch/{LONG}"
            assert text(browser, "d-message") == f"Job FAILED: JobException: {WORD} {XSS}"
            raw = browser.find_element(By.ID, "d-raw-box")
            assert raw.is_displayed() and not browser.find_element(By.ID, "d-raw").is_displayed()
            raw.find_element(By.TAG_NAME, "summary").click()
            assert '"type": "org.apache.flink.runtime.JobException"' in browser.find_element(By.ID, "d-raw").text
            assert "JobException" in text(browser, "d-fields")  # the error among the status fields
            assert not browser.find_element(By.ID, "d-webui").is_displayed()
            assert overflow(browser)["scroll"] <= 0, overflow(browser)

            # a javascript: ingress is no link; nothing injected ever ran
            browser.get(svc.url(f"/#/streaming/FlinkDeployment/{evil['metadata']['name']}"))
            wait_until(lambda: text(browser, "d-rule") == "running-stable", 10, "the evil detail")
            assert not browser.find_element(By.ID, "d-webui").is_displayed()
            assert browser.find_element(By.ID, "d-webui").get_attribute("href") is None
            assert text(browser, "d-id") == "streaming/<b>bold<b>"
            assert browser.find_elements(By.CSS_SELECTOR, "#detail b") == []
            assert browser.execute_script("return window.__pwned") is None

            # an unknown resource says so
            browser.get(svc.url("/#/streaming/FlinkDeployment/nope"))
            wait_until(lambda: "Not found" in text(browser, "d-missing"), 10, "not found")

            # a phone: no sideways scrolling, in the list or the detail
            browser.set_window_size(390, 844)
            browser.get(svc.url(f"/#/batch/FlinkDeployment/{LONG}"))
            wait_until(lambda: text(browser, "d-rule") == "job-failed", 10, "the detail on a phone")
            assert overflow(browser)["scroll"] <= 0, overflow(browser)
            # the header wraps into a few lines, not a column one letter wide
            assert browser.find_element(By.TAG_NAME, "header").size["height"] < 200
            assert browser.save_screenshot(str(artifacts(tmp_path) / "detail-phone.png"))
            browser.get(svc.url("/"))
            wait_until(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#resources tbody tr")) == 3, 15, "rows")
            assert overflow(browser)["scroll"] <= 0, overflow(browser)
            assert browser.save_screenshot(str(artifacts(tmp_path) / "list-phone.png"))
            assert browser.execute_script("return window.__pwned") is None


def test_no_banner_without_simulation(browser, tmp_path):
    from selenium.webdriver.common.by import By

    with ApiServer() as api:
        put(api, deployment("orders", "streaming", "Healthy"))
        with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig")) as svc:
            svc.wait_ready()
            browser.get(svc.url("/"))
            wait_until(lambda: api.url in text(browser, "cluster"), 15, "the cluster in the header")
            assert browser.find_elements(By.ID, "simulation") == []


def test_under_kubernetes_auth_a_deep_link_asks_for_the_token_then_shows_the_detail_it_may_see(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from test_service_dashboard import auth_policy, signin_shown

    with ApiServer() as api:
        auth_policy(api)  # alice may list FlinkDeployments in streaming only
        put(api, deployment("orders", "streaming", "Degraded", error="disk full"))
        put(api, deployment("audit", "batch", "Degraded", error="OOMKilled"))
        with serve(tmp_path, api.kubeconfig(tmp_path / "kubeconfig"), auth="kubernetes") as svc:
            svc.wait_ready()
            browser.get(svc.url("/#/streaming/FlinkDeployment/orders"))
            wait_until(lambda: signin_shown(browser), 15, "the page to ask for a token")
            assert text(browser, "cluster") == "" and text(browser, "d-message") == ""  # nothing before a token
            browser.find_element(By.ID, "token").send_keys("tok-alice", Keys.ENTER)
            wait_until(lambda: text(browser, "d-message") == "Job FAILED: JobException: disk full", 15,
                       "the detail after the token")
            wait_until(lambda: api.url in text(browser, "cluster"), 10, "the cluster after the token")
            # a resource the token may not see is as absent as one that does not exist
            browser.get(svc.url("/#/batch/FlinkDeployment/audit"))
            wait_until(lambda: "Not found" in text(browser, "d-missing"), 15, "not found for alice")
            assert not browser.find_element(By.ID, "d-body").is_displayed()  # nothing of orders left on screen
