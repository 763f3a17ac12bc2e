"""`reqtrace publish`: the pages it writes, the folder rules, --rev/--baseline, and the Markdown subset.

The site is published once per worker (publish_kit) and copied for each test; the browser checks
are in test_publish_browser.py.
"""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from publish_kit import links_and_ids, published_site, signed_repo, visible_text
from reqtrace.publish.prose import kept_html, markdown_blocks, prose_html

pytestmark = pytest.mark.skipif(__import__("shutil").which("ssh-keygen") is None, reason="ssh-keygen signs the test baseline")


def page_holding(site: Path, text: str) -> Path:
    found = [p for p in sorted(site.glob("*.html")) if p.name != "index.html" and text in p.read_text(encoding="utf-8")]
    assert len(found) == 1, (text, found)
    return found[0]


def test_one_page_per_document_and_an_index(make_repo, run_cli, tmp_path):
    site, result = published_site(make_repo, run_cli, tmp_path)
    pages = sorted(p.name for p in site.glob("*.html"))
    assert result["ok"] and sorted(result["files"]) == pages and len(pages) == 4 and "index.html" in pages
    assert set(result) == {"schema_version", "ok", "output", "files", "removed", "document_count", "requirement_count", "commit", "where", "single_page", "notes"}
    assert result["document_count"] == 3 and result["requirement_count"] == 7 and result["single_page"] is False and result["commit"] is None
    index = visible_text(site / "index.html")
    # Parents before children, numbered in reading order; the folder outside any document last.
    assert "1 System requirements SYS · 1 requirement 2 Accounts 账户 ACC · 2 requirements 3 booking · 4 requirements" in index
    html = (site / "index.html").read_text(encoding="utf-8")
    assert 'style="padding-left: 1.5em"' in html  # ACC indented under SYS
    assert "accepted baseline v1" in index and "approved by Chen Jing <chen.jing@clinic.example> (customer)" in index


def test_each_requirement_shows_its_links_both_ways_baseline_state_and_records(make_repo, run_in_process, tmp_path):
    gc.enable()
    site, _ = published_site(make_repo, run_in_process, tmp_path)
    assert gc.isenabled()  # publish pauses the collector for its own work, not for the process that ran it
    booking = page_holding(site, "Booking window")
    text = visible_text(booking)
    # REQ-1: its children, across documents too, and the signed baseline that holds it.
    assert "children REQ-2, REQ-3, REQ-10" in text
    assert "in v1: approved by Li Wei <li.wei@vendor.example> (vendor); approved by Chen Jing <chen.jing@clinic.example> (customer)" in text
    # REQ-2 changed with an approved request, REQ-3 without one, REQ-4 is new.
    assert "changed since v1, approved by RQ-1" in text
    assert "changed since v1, not approved by any request" in text
    assert "added since v1, not approved by any request" in text
    # The requests and decisions that touched REQ-2.
    assert "RQ-1 affected-by 30 天预约窗口" in text and "MTG-2 decision approved RQ-1: Approve the 30-day window." in text
    accounts = page_holding(site, "REQ-11")
    hrefs, _ = links_and_ids(accounts)
    assert any(h.startswith(booking.name + "#") for h in hrefs), hrefs  # REQ-10's parent REQ-1 lives on the booking page
    assert "unchanged since v1" in visible_text(accounts)


def test_sections_in_order_with_numbered_headings_and_text_nodes(make_repo, run_in_process, tmp_path):
    site, _ = published_site(make_repo, run_in_process, tmp_path)
    accounts = page_holding(site, "REQ-11")
    text = visible_text(accounts)
    assert "2 Accounts 账户" in text and "part of System requirements" in text
    order = [text.index(part) for part in ("1 Introduction", "This document covers sign-in. 本文件描述登录。", "2 Sign-in", "REQ-10 Two-factor", "2.1 Lockout 锁定", "REQ-11 账户锁定")]
    assert order == sorted(order), order
    html = accounts.read_text(encoding="utf-8")
    assert "<h2" in html and "<h3" in html and "<strong>sign-in</strong>" in html


def test_every_link_resolves_to_a_page_and_an_element(make_repo, run_in_process, tmp_path):
    site, _ = published_site(make_repo, run_in_process, tmp_path)
    checked = 0
    for page in site.glob("*.html"):
        hrefs, _ = links_and_ids(page)
        for href in hrefs:
            parts = urlsplit(href)
            if parts.scheme:
                assert parts.scheme in ("https", "http", "mailto"), href
                continue
            target = site / parts.path if parts.path else page
            assert target.is_file(), (page.name, href)
            if parts.fragment:
                assert parts.fragment in links_and_ids(target)[1], (page.name, href)
            checked += 1
    assert checked >= 10


def test_statements_render_markdown_and_keep_hostile_text_inert(make_repo, run_in_process, tmp_path):
    site, _ = published_site(make_repo, run_in_process, tmp_path)
    html = page_holding(site, "REQ-11").read_text(encoding="utf-8")
    assert "<strong>two factors</strong>" in html and "<code>otp</code>" in html and "<em>5 minutes</em>" in html
    assert '<a href="https://example.test/guide" rel="noreferrer">the guide</a>' in html
    assert "<li>医生账户需要双重验证</li>" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html and "[bad](javascript:alert(1))" in html
    assert "Two-factor sign-in &lt;b&gt;staff&lt;/b&gt;" in html
    assert "script-src &#39;sha256-" in html and "default-src &#39;none&#39;" in html


def test_single_page_holds_everything_with_in_page_links(make_repo, run_in_process, tmp_path):
    site, result = published_site(make_repo, run_in_process, tmp_path, "--single-page")
    assert result["files"] == ["index.html"] and sorted(p.name for p in site.glob("*.html")) == ["index.html"]
    hrefs, ids = links_and_ids(site / "index.html")
    local = [h for h in hrefs if h.startswith("#")]
    assert len(local) >= 10 and all(h[1:] in ids for h in local)
    text = visible_text(site / "index.html")
    assert "2 Accounts 账户" in text and "3 booking" in text and "2.2.1 Lockout 锁定" in text and "账户锁定" in text and "Waiting list" in text


def test_baseline_and_rev_publish_what_was_frozen(make_repo, run_in_process, tmp_path):
    signed = signed_repo(make_repo, tmp_path)
    root = signed.repo.root
    out = tmp_path / "v1"
    done = run_in_process("publish", "-o", str(out), "--baseline", "v1", "--format", "json", cwd=root)
    assert done.exit_code == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["requirement_count"] == 6 and data["commit"] == signed.baseline_commit and data["where"].startswith("baseline v1")
    text = " ".join(visible_text(p) for p in out.glob("*.html"))
    assert "Patients book up to 14 days ahead." in text and "Waiting list" not in text
    by_rev = run_in_process("publish", "-o", str(tmp_path / "rev"), "--rev", "v1", cwd=root)
    assert by_rev.exit_code == 0, by_rev.stderr
    both = run_in_process("publish", "-o", str(tmp_path / "x"), "--rev", "HEAD", "--baseline", "v1", cwd=root)
    assert both.exit_code == 2 and "not both" in both.stderr
    unknown = run_in_process("publish", "-o", str(tmp_path / "y"), "--baseline", "v9", cwd=root)
    assert unknown.exit_code == 3 and "no baseline named 'v9'" in unknown.stderr and "Traceback" not in unknown.stderr
    option = run_in_process("publish", "-o", str(tmp_path / "z"), "--rev", "--output=/tmp/x", cwd=root)
    assert option.exit_code in (2, 3) and not (tmp_path / "z").exists()


def test_the_output_folder_rules(make_repo, run_in_process, tmp_path):
    signed = signed_repo(make_repo, tmp_path)
    root = signed.repo.root
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    refused = run_in_process("publish", "-o", str(foreign), cwd=root)
    assert refused.exit_code == 3 and "not empty" in refused.stderr and "--force" in refused.stderr
    assert sorted(os.listdir(foreign)) == ["notes.txt"]
    forced = run_in_process("publish", "-o", str(foreign), "--force", cwd=root)
    assert forced.exit_code == 0, forced.stderr
    assert (foreign / "notes.txt").read_text() == "mine" and (foreign / "index.html").is_file()
    # A previous publish may be replaced; pages it wrote that are no longer written go.
    again = run_in_process("publish", "-o", str(foreign), "--single-page", "--format", "json", cwd=root)
    assert again.exit_code == 0, again.stderr
    assert len(json.loads(again.stdout)["removed"]) == 3
    assert sorted(os.listdir(foreign)) == [".reqtrace-publish.json", "index.html", "notes.txt"]
    a_file = tmp_path / "file.html"
    a_file.write_text("x")
    assert run_in_process("publish", "-o", str(a_file), cwd=root).exit_code == 3
    missing = run_in_process("publish", "-o", str(tmp_path / "no" / "such"), cwd=root)
    assert missing.exit_code == 3 and "does not exist" in missing.stderr and not (tmp_path / "no").exists()
    link = tmp_path / "link"
    link.symlink_to(foreign)
    assert run_in_process("publish", "-o", str(link), cwd=root).exit_code == 3
    blocked = tmp_path / "blocked"
    (blocked / "index.html").mkdir(parents=True)
    failed = run_in_process("publish", "-o", str(blocked), "--force", cwd=root)
    assert failed.exit_code == 3 and "index.html is a folder" in failed.stderr and "Traceback" not in failed.stderr
    leftovers = [name for folder in (foreign, blocked) for name in os.listdir(folder) if name.endswith(".reqtrace-tmp")]
    assert leftovers == []


def test_a_broken_baseline_file_is_said_and_does_not_stop_the_pages(make_repo, run_in_process, tmp_path):
    signed = signed_repo(make_repo, tmp_path)
    (signed.repo.root / "baselines/v1/manifest.yaml").write_text("format: [broken\n")
    done = run_in_process("publish", "-o", str(tmp_path / "site"), "--format", "json", cwd=signed.repo.root)
    assert done.exit_code == 0, done.stderr
    notes = json.loads(done.stdout)["notes"]
    assert len(notes) == 1 and "cannot tell which baseline is accepted" in notes[0] and "manifest.yaml" in notes[0]
    booking = page_holding(tmp_path / "site", "Booking window")
    text = visible_text(booking)
    assert "cannot tell which baseline is accepted" in text and "no accepted baseline" in text


# ----------------------------------------------------------------- the Markdown subset (no repo)


def test_markdown_blocks_and_spans():
    blocks = markdown_blocks("First line\n第二行\n\n1. one\n2. two `x`\n\n```\n<b>\n```\n# Heading")
    assert [b.kind for b in blocks] == ["p", "ol", "pre", "h"]
    assert blocks[0].lines[0][0].text == "First line\n第二行"  # no space is added between Chinese lines
    assert blocks[2].raw == "<b>"
    html = prose_html(blocks)
    assert "<ol><li>one</li><li>two <code>x</code></li></ol>" in html and "<pre>&lt;b&gt;</pre>" in html


@pytest.mark.parametrize("hostile", ["<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", "**<i>**", "[x](data:text/html,hi)", '"><svg onload=1>'])
def test_no_markup_from_the_text_survives(hostile):
    html = str(prose_html(markdown_blocks(hostile)))
    assert "<img" not in html and "<svg" not in html and "<i>" not in html and "href=\"javascript" not in html and "href=\"data" not in html


def test_ids_and_hashes_stay_whole():
    assert str(kept_html("see REQ-12 and a<b")) == 'see <span class="nowrap">REQ-12</span> and a&lt;b'
    assert str(kept_html("中文没有空格")) == "中文没有空格"
