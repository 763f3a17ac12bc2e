"""The small email reader triage uses for .eml files."""

from pathlib import Path

import pytest

from reqtrace.mailtext import read_email

SHARED_EML = Path(__file__).resolve().parents[2] / "shared" / "material" / "eml"


def test_subject_and_plain_text_with_rfc2047_and_gbk():
    data = (
        b"From: =?gbk?b?zfW3vA==?= <wang@clinic.example>\nSubject: =?utf-8?b?5o+Q6YaS55+t5L+h?=\n"
        b"Date: Wed, 05 Aug 2026 10:10:00 +0800\nContent-Type: text/plain; charset=gbk\n\n"
        + "短信没收到".encode("gbk")
    )
    mail = read_email(data)
    assert mail.subject == "提醒短信" and mail.text == "短信没收到"
    assert mail.date == "2026-08-05" and "王芳" in (mail.sender or "")


def test_html_only_and_a_bogus_charset_never_crash():
    html = b"Subject: hi\nContent-Type: text/html; charset=utf-8\n\n<p>The <b>reminder</b> is late</p>"
    assert "reminder" in read_email(html).text and "<b>" not in read_email(html).text
    bogus = b"Subject: x\nContent-Type: text/plain; charset=no-such-charset\n\nhello \xff"
    assert "hello" in read_email(bogus).text


@pytest.mark.skipif(not SHARED_EML.is_dir(), reason="shared mail material not present")
def test_real_messages_read_without_a_traceback():
    for path in sorted(SHARED_EML.rglob("*.eml"))[:400]:
        try:
            read_email(path.read_bytes())
        except ValueError:
            pass  # over the size cap: a clear refusal, not a crash
