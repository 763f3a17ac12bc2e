"""The evidence pack's index.html, looked at in a real headless Chromium.

Skipped when Chromium is missing, unless REQTRACE_REQUIRE_BROWSER=1 (CI), which
makes a missing browser a failure.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from browser import Browser, chromium_path
from conftest import copy_demo, make_repo_in, run_reqtrace
from pack_kit import build_repo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is needed to sign the test baseline"),
]

HEADINGS = ["Summary", "Sign-offs", "Baseline requirements", "Changes since the baseline", "Requests", "Traceability matrix", "Timeline", "Trace graph", "Meetings, emails and documents", "Pack contents and verification"]
LOCAL_SCHEMES = ("file:", "data:", "about:")


@pytest.fixture(scope="module")
def unzipped_pack(tmp_path_factory, build_env) -> Path:
    """The pack of a signed repo, built by a real `reqtrace pack build` once per module (~3 s of
    CPU) and unzipped: the tests only open it in Chromium, which changes nothing in it."""
    chromium_path()  # skip (or fail in CI) before building anything
    tmp_path = tmp_path_factory.mktemp("browser-pack")
    signed = build_repo(make_repo_in(tmp_path), tmp_path)
    out = tmp_path / "pack.zip"
    result = run_reqtrace("pack", "build", "v1", "-o", str(out), cwd=signed.repo.root)
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    return folder / "index.html"


def cjk_font_installed() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        return False
    return bool(out.strip())


def test_the_pack_renders_with_every_section_chinese_text_and_no_outside_request(unzipped_pack):
    with Browser() as browser:
        browser.open(unzipped_pack.as_uri())
        headings = browser.evaluate("Array.from(document.querySelectorAll('h2')).map(h => h.textContent.trim())")
        for heading in HEADINGS:
            assert any(h.startswith(heading) for h in headings), (heading, headings)
        text = browser.evaluate("document.body.innerText")
        assert "在线预约" in text and "患者可以在线预约医生。" in text and "启动会" in text
        assert "UNAPPROVED" in text
        assert browser.evaluate("document.querySelectorAll('svg rect').length") >= 5
        urls = browser.requested_urls()
        assert urls and all(url.startswith(LOCAL_SCHEMES) for url in urls), urls
        assert not [m for m in browser.console_messages() if "Content Security Policy" in m or "Refused" in m]
        # Every resource the page holds points nowhere outside.
        external = browser.evaluate(
            "Array.from(document.querySelectorAll('[src],[href],[srcset],[action]'))"
            ".map(e => e.getAttribute('src') || e.getAttribute('href') || e.getAttribute('srcset') || e.getAttribute('action'))"
            ".filter(v => !v.startsWith('#') && !v.startsWith('mailto:'))"
        )
        assert external == []


def test_chinese_text_is_drawn_with_a_cjk_font(unzipped_pack):
    if not cjk_font_installed():
        message = "no CJK font is installed (Debian: apt-get install fonts-noto-cjk); the page names them but cannot draw Chinese without one"
        if __import__("os").environ.get("REQTRACE_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with Browser() as browser:
        browser.open(unzipped_pack.as_uri())
        browser.send("DOM.enable")
        browser.send("CSS.enable")
        root = browser.send("DOM.getDocument")["root"]["nodeId"]
        heading = browser.send("DOM.querySelector", {"nodeId": root, "selector": "#requirements article h3"})["nodeId"]
        fonts = [f["familyName"] for f in browser.send("CSS.getPlatformFontsForNode", {"nodeId": heading})["fonts"]]
        assert any(("CJK" in f or "Han" in f or "YaHei" in f or "PingFang" in f or "WenQuanYi" in f) for f in fonts), fonts


def test_the_pack_prints_to_a_multi_page_pdf(unzipped_pack, tmp_path):
    with Browser() as browser:
        browser.open(unzipped_pack.as_uri())
        pdf = browser.print_pdf()
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages >= 8, pages  # the cover and each major section start a page


def test_hostile_text_stays_inert_in_the_browser(make_repo, run_cli, tmp_path):
    chromium_path()
    from test_pack_report import HOSTILE_FILES

    repo = make_repo(HOSTILE_FILES, tag="baseline/v1")
    html_dir = tmp_path / "html"
    result = run_cli("pack", "build", "v1", "-o", str(tmp_path / "p.zip"), "--html-dir", str(html_dir), cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    with Browser() as browser:
        browser.open((html_dir / "index.html").as_uri())
        assert browser.evaluate("document.querySelectorAll('script, iframe, img, object, embed').length") == 0
        assert not [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
        text = browser.evaluate("document.body.innerText")
        assert '<script>alert("pwned")</script>' in text
        assert "</style><script>alert(2)</script>" in text
        assert all(url.startswith(LOCAL_SCHEMES) for url in browser.requested_urls())


def test_the_request_log_would_see_an_outside_load(tmp_path):
    """A control: the same instrument catches a page that does load from outside."""
    chromium_path()
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><html><body><img src="https://tracker.example/pixel.png"><p>x</p></body></html>')
    with Browser() as browser:
        browser.open(page.as_uri())
        urls = browser.requested_urls()
    assert "https://tracker.example/pixel.png" in urls


# slow: packs the whole demo and reads the report in Chromium
@pytest.mark.slow
def test_the_demo_pack_builds_verifies_and_reads_in_chromium(demo_build, run_cli, tmp_path):
    chromium_path()
    demo = copy_demo(demo_build, tmp_path / "demo")
    out, html = tmp_path / "pack.zip", tmp_path / "html"
    built = run_cli("pack", "build", "contract-v1.0", "-o", str(out), "--html-dir", str(html), cwd=demo)
    assert built.exit_code == 0, built.stderr
    checked = run_cli("pack", "verify", str(out), "--signers", str(demo / ".reqtrace" / "allowed_signers"), cwd=tmp_path)
    assert checked.exit_code == 0, checked.stdout
    assert "valid" in checked.stdout and "recorded" in checked.stdout
    with Browser() as browser:
        browser.open((html / "index.html").as_uri())
        headings = browser.evaluate("Array.from(document.querySelectorAll('h2')).map(h => h.textContent.trim())")
        assert all(any(h.startswith(heading) for h in headings) for heading in HEADINGS), headings
        text = browser.evaluate("document.body.innerText")
        assert "阳光家庭诊所" in text and "UNAPPROVED" in text and "2026-06-30" in text
        assert all(url.startswith(LOCAL_SCHEMES) for url in browser.requested_urls())
