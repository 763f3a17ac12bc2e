"""The small email reader triage uses for .eml files."""

from conftest import MATERIAL_EML
from reqtrace.records.mailtext import read_email


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


def test_real_messages_give_triage_a_readable_subject_and_text():
    """Mail written by other tools: every message reads, with no mojibake or raw encoded words."""
    mails = {path.name: read_email(path.read_bytes()) for path in sorted(MATERIAL_EML.glob("*.eml"))}
    assert len(mails) == 18
    for name, mail in mails.items():
        assert mail.subject or mail.text, name
        assert "\ufffd" not in mail.subject + mail.text, name
        assert "=?" not in mail.subject, name
    # What a project manager reads in the triage list: the subject in its own script.
    assert mails["spamscope_mail_test_12_gb2312_8bit.eml"].subject == "代开各地增值税发票"
    assert mails["spamscope_mail_test_12_gb2312_8bit.eml"].sender == "张先生 <baoguan@hotmail.com>"
    assert "繁體中文光碟版" in mails["mikelmail_cte_empty_big5.eml"].subject
    assert "ガーデン&エクステリア" in mails["webklex_issue-410_iso2022jp.eml"].subject
    assert mails["webklex_ks_c_5601-1987_headers.eml"].subject == "RE: 회원님께 Ersi님이 메시지를 보냈습니다."
    assert mails["webklex_mixed_filename_cp1251.eml"].subject == "Свежий прайс-лист"
    assert mails["webklex_gbk_charset.eml"].text == "Hi"  # the non-standard X-GBK label
    # The date triage files a request under, and None when the message has none.
    assert mails["spamscope_mail_test_12_gb2312_8bit.eml"].date == "2018-05-13"
    assert mails["stalwart_dovecot_malformed_013.eml"].date is None
    assert mails["webklex_missing_from.eml"].sender is None
