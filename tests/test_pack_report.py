"""index.html: hostile text stays text, nothing loads from outside, and every section is there."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest

from conftest import requirement_yaml
from reqtrace.core.config import find_spec_repo
from reqtrace.io.archive import DeterministicZip, is_safe_member
from reqtrace.pack.build import gather_pack, lay_out
from reqtrace.pack.report import CSP, field_view, render_pack_html, safe_href

SCRIPT = '<script>alert("pwned")</script>'
STYLE_BREAK = "</style><script>alert(2)</script>"
JS_LINK = "[click me](javascript:alert(3))"
RICH = "[bold red]rich markup[/bold red]"
MARKDOWN = "**bold** _em_ <img src=x onerror=alert(4)>"
IFRAME = '<iframe src="https://evil.example/"></iframe>'

HOSTILE_FILES = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1", f"{SCRIPT} 登录 {RICH}", f"{STYLE_BREAK} {JS_LINK}", acceptance=["javascript:alert(5)", MARKDOWN]),
    "specs/REQ-2.yaml": requirement_yaml("REQ-2", "预约窗口", "患者可以提前 14 天预约。"),
    "records/meetings/MTG-1.md": f"---\nid: MTG-1\ndate: 2026-01-12\ntitle: '{SCRIPT}'\nrefs: [REQ-1]\ndecisions:\n  - text: '{STYLE_BREAK}'\n---\n# Minutes {RICH}\n\n{IFRAME}\n<a href=\"javascript:alert(6)\">x</a>\n",
}


class PageScan(HTMLParser):
    """Collects what a browser would treat as markup: elements, links, event handlers, text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.csp: str | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append(tag)
        values = dict(attrs)
        for name, value in attrs:
            self.attrs.append((tag, name, value or ""))
        if tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.csp = values.get("content")

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.text.append(data)


def scan(html: str) -> PageScan:
    parser = PageScan()
    parser.feed(html)
    return parser


@dataclass(frozen=True)
class FakeEmail:
    """Stands in for issue 5's Email record: what email_view reads."""

    id: str
    path: str
    message: str
    subject: str
    from_: str
    date: str
    refs: tuple[str, ...] = ()
    kind = "email"


def render(make_repo, extra_files=None, emails=()) -> str:  # type: ignore[no-untyped-def]
    repo = make_repo({**HOSTILE_FILES, **(extra_files or {})}, tag="baseline/v1")
    repo.commit({"specs/REQ-2.yaml": requirement_yaml("REQ-2", "预约窗口", f"患者可以提前 30 天预约。{SCRIPT}")}, date="2026-03-01T00:00:00+00:00")
    contents = gather_pack(find_spec_repo(repo.root), "v1")
    for email in emails:
        contents.to.emails[email.id] = email
    layout, _ = lay_out(contents, DeterministicZip(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    return render_pack_html(contents, layout)


@pytest.fixture
def hostile_page(make_repo) -> tuple[str, PageScan]:
    emails = [
        FakeEmail("MAIL-1", "records/emails/a.eml.yaml", "records/emails/a.eml", f"Re: {SCRIPT} {JS_LINK} 请回复", '"</style>" <javascript:alert(7)@evil>', "2026-01-10T09:00:00+08:00", ("REQ-1",)),
        FakeEmail("MAIL-2", "records/emails/b.eml.yaml", "records/emails/b.eml", "Plain subject", "Chen Jing <chen.jing@clinic.example>", "2026-01-11T09:00:00+08:00"),
    ]
    html = render(make_repo, emails=emails)
    return html, scan(html)


def test_hostile_text_is_shown_as_text(hostile_page):
    html, page = hostile_page
    text = "".join(page.text)
    for hostile in (SCRIPT, STYLE_BREAK, JS_LINK, RICH, MARKDOWN, IFRAME, "javascript:alert(5)", '<a href="javascript:alert(6)">x</a>', '"</style>" <javascript:alert(7)@evil>'):
        assert hostile in text, hostile
    assert "预约窗口" in text and "请回复" in text


def test_the_page_has_no_active_or_loading_markup(hostile_page):
    html, page = hostile_page
    for forbidden in ("script", "iframe", "img", "link", "object", "embed", "base", "form", "video", "audio", "source", "frame"):
        assert forbidden not in page.tags, forbidden
    assert page.tags.count("style") == 1
    assert html.count("</style>") == 1  # the only one closes our own stylesheet
    for tag, name, value in page.attrs:
        assert not name.startswith("on"), (tag, name)
        assert "javascript:" not in value.lower(), (tag, name, value)
        if name == "href":
            assert value.startswith(("#", "mailto:")), value
        if name in ("src", "srcset", "action", "formaction", "data", "poster", "background"):
            raise AssertionError(f"{tag} has {name}={value!r}")
    assert page.csp == CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def test_only_a_plain_address_becomes_a_mailto_link(hostile_page):
    _, page = hostile_page
    links = [value for _, name, value in page.attrs if name == "href" and not value.startswith("#")]
    assert links == ["mailto:chen.jing@clinic.example"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:x", "java\tscript:x", "data:text/html,x", "vbscript:x", "file:///etc/passwd", "//evil.example", "mailto:a@b.c?body=<script>", "http:evil"])
def test_safe_href_refuses_everything_but_http_https_and_plain_mailto(url):
    assert safe_href(url) is None


def test_safe_href_keeps_real_links():
    assert safe_href("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert safe_href("mailto:li.wei@vendor.example") == "mailto:li.wei@vendor.example"


def test_every_section_is_present(hostile_page):
    html, _ = hostile_page
    for heading in ("Summary", "Sign-offs", "Baseline requirements", "Changes since the baseline", "Requests", "Traceability matrix", "Timeline", "Trace graph", "Meetings, emails and documents", "Pack contents and verification"):
        assert re.search(f"<h2[^>]*>{re.escape(heading)}", html), heading
    assert "<svg" in html and "</svg>" in html
    assert '"Noto Sans CJK SC"' in html and "@media print" in html and "break-before: page" in html


def test_changed_fields_show_words_list_items_and_values():
    text = field_view({"field": "statement", "before": "book 14 days ahead", "after": "book 30 days ahead"})
    assert text["kind"] == "text" and ("del", "14") in text["segments"] and ("ins", "30") in text["segments"]
    chinese = field_view({"field": "title", "before": "提前十四天", "after": "提前三十天"})
    assert ("same", "提前") in chinese["segments"] and any(op == "ins" and "三" in t for op, t in chinese["segments"])
    listed = field_view({"field": "acceptance", "before": ["a", "b"], "after": ["b", "c"], "added": ["c"], "removed": ["a"]})
    assert (listed["removed"], listed["added"], listed["kept"]) == (["a"], ["c"], ["b"])
    value = field_view({"field": "owner", "before": None, "after": "Li Wei"})
    assert (value["kind"], value["after"]) == ("value", "Li Wei")


def test_hostile_record_file_names_become_safe_unique_members(make_repo, run_cli, tmp_path):
    long_name = "a" * 240 + ".eml"
    files = {
        "records/emails/CON.eml": b"From: a\r\n\r\nx",
        "records/emails/con.eml": b"From: b\r\n\r\nx",
        "records/emails/Report.eml": b"From: c\r\n\r\nx",
        "records/emails/report.eml": b"From: d\r\n\r\nx",
        f"records/emails/{long_name}": b"From: e\r\n\r\nx",
        "records/documents/合同 (signed).pdf": b"%PDF",
        "records/documents/..hidden": b"x",
        "records/documents/a;rm -rf ~.txt": b"x",
        "records/emails/with-attachments.eml": (
            b"From: x@example.com\r\nSubject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
            b"--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            b"--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nroot:x:0:0\r\n"
            b"--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"/etc/passwd\"\r\n\r\nabsolute\r\n"
            b"--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"CON\"\r\n\r\ndevice\r\n"
            b"--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"Notes.TXT\"\r\n\r\nupper\r\n"
            b"--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\nlower\r\n"
            b"--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"" + b"n" * 300 + b".txt\"\r\n\r\nlong\r\n"
            b"--B--\r\n"
        ),
    }
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1"), **files}, tag="baseline/v1")
    out = tmp_path / "p.zip"
    assert run_cli("pack", "build", "v1", "-o", str(out), cwd=repo.root).exit_code == 0
    import zipfile

    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        origins = json.loads(archive.read("data/files.json"))["files"]
        contents = {name: archive.read(name) for name in names}
    assert all(is_safe_member(name) for name in names)
    assert len({name.casefold() for name in names}) == len(names)
    originals = {(o["path"], o.get("attachment")) for o in origins.values()}
    for path in files:
        assert (path, None) in originals, path
    attachments = {o["attachment"]: m for m, o in origins.items() if o.get("attachment")}
    assert set(attachments) == {"../../etc/passwd", "/etc/passwd", "CON", "Notes.TXT", "notes.txt", "n" * 300 + ".txt"}
    assert contents[attachments["../../etc/passwd"]] == b"root:x:0:0"
    assert all(m.startswith("data/records/attachments/") for m in attachments.values())
    index = contents["index.html"].decode()
    assert "../../etc/passwd" in index  # the original name is shown, as text


def test_the_same_content_renders_the_same_page(make_repo):
    first = render(make_repo)
    second = render(lambda files, tag: make_repo(files, tag=tag, name="repo2"))
    assert first == second
