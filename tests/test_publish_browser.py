"""The published spec in a real headless Chromium: pages render, links resolve, the offline search
finds English and Chinese, and nothing is wider than an 800 px window.

Skipped when Chromium is missing, unless REQTRACE_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from browser import Browser, chromium_path
from publish_kit import published_site
from test_pack_browser import LOCAL_SCHEMES, cjk_font_installed

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is needed to sign the test baseline"),
]


@pytest.fixture
def site(make_repo, run_cli, tmp_path):
    chromium_path()  # skip (or fail in CI) before building anything
    return published_site(make_repo, run_cli, tmp_path)[0]


def search(browser: Browser, text: str) -> list[str]:
    browser.evaluate(f"(() => {{ const box = document.getElementById('q'); box.value = {json.dumps(text)}; box.dispatchEvent(new Event('input')); }})()")
    return browser.evaluate("Array.from(document.querySelectorAll('#results li')).map(li => li.textContent)")


def test_the_search_finds_english_and_chinese_and_its_results_lead_to_the_requirement(site):
    with Browser() as browser:
        browser.open((site / "index.html").as_uri())
        assert search(browser, "waiting LIST") == ["REQ-4 Waiting list"]
        assert search(browser, "输错密码") == ["REQ-11 账户锁定"]  # the middle of a sentence: no word boundary in Chinese
        assert search(browser, "在线预约") == ["REQ-1 在线预约"]
        assert search(browser, "REQ-1") == ["REQ-1 在线预约", "REQ-10 Two-factor sign-in <b>staff</b>", "REQ-11 账户锁定"]
        assert search(browser, "nothing like this") == [] and browser.evaluate("document.getElementById('search-note').textContent") == "no requirement matches"
        search(browser, "输错密码")
        browser.events.clear()
        browser.evaluate("document.querySelector('#results a').click()")
        browser.wait_for("Page.frameNavigated")
        browser.settle(0.3)
        target = browser.evaluate("(() => { const el = document.getElementById(location.hash.slice(1)); return el && el.querySelector('.head').textContent; })()")
        assert target == "REQ-11 账户锁定"
        assert all(url.startswith(LOCAL_SCHEMES) for url in browser.requested_urls())
        assert not [m for m in browser.console_messages() if "Content Security Policy" in m or "Refused" in m]


def test_a_document_page_renders_links_across_pages_and_searches_from_its_form(site):
    accounts = next(p for p in site.glob("acc-*.html"))
    with Browser() as browser:
        browser.open(accounts.as_uri())
        headings = browser.evaluate("Array.from(document.querySelectorAll('h1, h2, h3')).map(h => h.textContent.trim())")
        assert headings == ["2 Accounts 账户", "1 Introduction", "2 Sign-in", "2.1 Lockout 锁定"]
        assert browser.evaluate("document.querySelectorAll('script, img, iframe, object, embed').length") == 0
        assert not [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
        # REQ-10's parent REQ-1 is on the booking page: the link opens it at REQ-1.
        browser.events.clear()
        browser.evaluate("document.querySelector('a[href*=\"booking-\"]').click()")
        browser.wait_for("Page.frameNavigated")
        browser.settle(0.3)
        assert browser.evaluate("location.pathname.split('/').pop()").startswith("booking-")
        assert browser.evaluate("document.getElementById(location.hash.slice(1)).querySelector('.head').textContent") == "REQ-1 在线预约"
        # The search form of every page asks the index page.
        browser.events.clear()
        browser.evaluate("(() => { const f = document.querySelector('form.search'); f.q.value = '医生'; f.submit(); })()")
        browser.wait_for("Page.loadEventFired")
        browser.settle(0.3)
        assert browser.evaluate("Array.from(document.querySelectorAll('#results li')).map(li => li.textContent)") == ["REQ-1 在线预约", "REQ-10 Two-factor sign-in <b>staff</b>"]
        assert all(url.startswith(LOCAL_SCHEMES) for url in browser.requested_urls())


def test_no_page_is_wider_than_an_800_px_window(site):
    with Browser(window=(800, 1000)) as browser:
        for page in sorted(site.glob("*.html")):
            browser.open(page.as_uri())
            browser.send("Emulation.setDeviceMetricsOverride", {"width": 800, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
            widths = browser.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert widths[0] <= widths[1] <= 800, (page.name, widths)
            # Ids stay whole: no requirement id is broken across two lines.
            broken = browser.evaluate(
                "Array.from(document.querySelectorAll('.rid, a.ref, .nowrap')).filter(e => e.getClientRects().length > 1).map(e => e.textContent)"
            )
            assert broken == [], (page.name, broken)


def test_chinese_is_drawn_with_a_cjk_font(site):
    if not cjk_font_installed():
        message = "no CJK font is installed (Debian: apt-get install fonts-noto-cjk)"
        if os.environ.get("REQTRACE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    accounts = next(p for p in site.glob("acc-*.html"))
    with Browser() as browser:
        browser.open(accounts.as_uri())
        browser.send("DOM.enable")
        browser.send("CSS.enable")
        root = browser.send("DOM.getDocument")["root"]["nodeId"]
        heading = browser.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
        fonts = [f["familyName"] for f in browser.send("CSS.getPlatformFontsForNode", {"nodeId": heading})["fonts"]]
        assert any(("CJK" in f or "Han" in f or "YaHei" in f or "PingFang" in f or "WenQuanYi" in f) for f in fonts), fonts
