"""Reading real-world mail: charsets, encoded words, HTML, embedded messages, caps."""

from __future__ import annotations

import base64
import io

import pytest

from conftest import DATA, MATERIAL_EML
from reqtrace.records.mail import (
    MAX_HEADER_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_PARTS,
    MailRefused,
    decode_bytes,
    decode_header_text,
    html_to_text,
    mail_id,
    read_message,
    split_mbox,
)

EML = DATA / "eml"


def mail(body: bytes, *, charset: str | None = "utf-8", subject: str = "Hello", extra: str = "", content_type: str = "text/plain") -> bytes:
    ctype = f"{content_type}; charset={charset}" if charset else content_type
    head = (
        "From: Dr. Chen <chen@clinic.example>\r\nTo: Li Wei <li@vendor.example>\r\n"
        f"Subject: {subject}\r\nDate: Mon, 12 Jan 2026 09:30:00 +0800\r\n"
        f"Message-ID: <a1@clinic.example>\r\n{extra}Content-Type: {ctype}\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode("ascii") + body


def test_gbk_body_labelled_x_gbk_is_read():
    text = "预约时间窗口改为30天，见REQ-4。"
    message = read_message(mail(text.encode("gbk"), charset='"X-GBK"'))
    assert message.body == text


@pytest.mark.parametrize("label, codec", [("gb2312", "gb2312"), ("GBK", "gbk"), ("gb18030", "gb18030"), ("big5", "big5"), ("ISO-2022-JP", "iso2022_jp")])
def test_cjk_bodies_in_their_declared_charset(label, codec):
    text = "預約提醒" if "big5" in label.lower() else ("予約の確認" if "2022" in label else "预约提醒短信")
    message = read_message(mail(text.encode(codec), charset=label))
    assert message.body == text


def test_gb2312_label_on_gbk_only_characters_still_reads():
    # 镕 is in GBK but not in GB2312; senders label such mail gb2312 anyway.
    text = "朱镕基"
    assert read_message(mail(text.encode("gbk"), charset="gb2312")).body == text


def test_mislabelled_utf8_wins_over_the_label():
    text = "患者可以在线预约"
    message = read_message(mail(text.encode("utf-8"), charset="iso-8859-1"))
    assert message.body == text


def test_unknown_charset_falls_back_without_crashing():
    message = read_message(mail("Bülow".encode("latin-1"), charset="x-no-such-charset"))
    assert message.body == "Bülow"
    assert any("unknown charset" in note for note in message.notes)


def test_undecodable_bytes_in_declared_gbk_become_replacement_characters():
    text, note = decode_bytes("预约".encode("gbk") + b"\xff\xff", "gbk")
    assert text.startswith("预约") and "\ufffd" in text
    assert note


def test_rfc2047_words_split_in_the_middle_of_a_character_are_joined():
    raw = "采购需求变更".encode("gb2312")
    first, second = base64.b64encode(raw[:5]).decode(), base64.b64encode(raw[5:]).decode()
    text, _ = decode_header_text(f"=?gb2312?B?{first}?=\r\n =?gb2312?B?{second}?=")
    assert text == "采购需求变更"


def test_rfc2047_q_encoding_and_plain_text_mix():
    text, _ = decode_header_text("Re: =?utf-8?Q?Termin_=C3=A4ndern?= please")
    assert text == "Re: Termin ändern please"


def test_raw_8bit_header_uses_the_body_charset():
    subject = "关于预约的需求"
    data = mail("正文".encode("gbk"), charset="gbk", subject="SUBJ")
    data = data.replace(b"SUBJ", subject.encode("gbk"))
    assert read_message(data).subject == subject


def test_html_only_body_becomes_text():
    html = b"<html><head><style>p{color:red}</style></head><body><p>Please see <b>REQ-12</b></p><p>Thanks &amp; regards</p></body></html>"
    message = read_message(mail(html, content_type="text/html"))
    assert message.body == "Please see REQ-12\n\nThanks & regards"
    assert html_to_text("<script>alert(1)</script>ok") == "ok"


def test_embedded_message_is_listed_and_its_text_searched():
    message = read_message((EML / "webklex_embedded_email.eml").read_bytes())
    assert "demo text" in message.body
    kinds = {a.type for a in message.attachments}
    assert "message/rfc822" in kinds


def test_missing_headers_are_none_not_errors():
    message = read_message((EML / "webklex_missing_from.eml").read_bytes())
    assert message.from_ is None
    assert message.message_id is None
    assert message.subject == "Nuu"


def test_thread_headers():
    reply = read_message((EML / "webklex_thread_re_my_topic.eml").read_bytes())
    assert reply.message_id == "<456@example.com>"
    assert reply.in_reply_to == ("<123@example.com>",)


def test_chinese_material_comes_out_readable():
    spam = read_message((EML / "spamscope_mail_test_12_gb2312_8bit.eml").read_bytes())
    assert spam.subject == "代开各地增值税发票"
    assert spam.from_ == "张先生 <baoguan@hotmail.com>"
    assert "增值税发票" in spam.body  # labelled GB2312, really UTF-8
    big5 = read_message((EML / "mikelmail_cte_empty_big5.eml").read_bytes())
    assert "繁體中文光碟版" in (big5.subject or "")  # Big5 that a gateway re-encoded as UTF-8
    assert "內置防止彈出視窗工能" in big5.body
    japanese = read_message((EML / "webklex_issue-410_iso2022jp.eml").read_bytes())
    assert "ガーデン&エクステリア" in (japanese.subject or "")


def test_a_lone_accented_letter_is_not_taken_for_mojibake():
    text, _ = decode_bytes("danglüe@email.com".encode(), "gb2312")
    assert text == "danglüe@email.com"


def test_every_message_of_the_shared_material_reads():
    files = sorted(MATERIAL_EML.glob("*.eml"))
    assert len(files) == 18
    for path in files:
        message = read_message(path.read_bytes())  # never raises
        assert message.subject or message.body, path.name
        assert "\ufffd" not in (message.subject or "") + message.body, path.name


def test_id_comes_from_the_message_id_or_the_bytes():
    assert mail_id("<123@example.com>", b"anything") == mail_id("<123@example.com>", b"other")
    assert mail_id(None, b"one") != mail_id(None, b"two")
    assert mail_id(None, b"x").startswith("MAIL-") and len(mail_id(None, b"x")) == 15


# --- caps ------------------------------------------------------------------------------


def test_message_over_25_mb_is_refused():
    with pytest.raises(MailRefused, match="25 MB"):
        read_message(b"Subject: big\r\n\r\n" + b"x" * (MAX_MESSAGE_BYTES + 1))


def test_ten_thousand_mime_parts_are_refused():
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart\r\n" for _ in range(10_000))
    data = b"Subject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"
    with pytest.raises(MailRefused, match=f"more than {MAX_PARTS:,} MIME parts"):
        read_message(data)


def test_a_one_megabyte_header_line_is_refused():
    data = b"Subject: " + b"A" * 1_000_000 + b"\r\n\r\nbody"
    with pytest.raises(MailRefused, match=f"header line 1 is .* bytes long; reqtrace reads header lines up to {MAX_HEADER_BYTES:,}"):
        read_message(data)


def test_a_huge_folded_header_in_a_part_is_refused():
    folded = b"X-Junk: a\r\n" + b" b\r\n" * 40_000
    data = b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + folded + b"\r\nbody\r\n--b--\r\n"
    with pytest.raises(MailRefused, match="longer than"):
        read_message(data)


def test_deeply_nested_multiparts_are_refused_not_crashed():
    depth = 200
    head = b"".join(f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode() for i in range(depth))
    data = b"Subject: deep\r\n" + head + b"Content-Type: text/plain\r\n\r\nhi\r\n"
    with pytest.raises(MailRefused):
        read_message(data)


def test_attachment_name_is_kept_as_text_only():
    attachment = base64.b64encode(b"root:x:0:0").decode()
    data = (
        "Subject: evil\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        '--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="../../etc/passwd"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{attachment}\r\n--b--\r\n"
    ).encode()
    (item,) = read_message(data).attachments
    assert item.name == "../../etc/passwd"
    assert item.size == 10


# --- mbox ------------------------------------------------------------------------------


def test_mbox_splits_messages_and_reports_a_broken_from_line():
    data = (
        b"From chen@clinic.example Mon Jan 12 09:30:00 2026\nSubject: one\nMessage-ID: <1@x>\n\nfirst\n\n"
        b"From nobody\nSubject: two\nMessage-ID: <2@x>\n\nsecond\n\n"
        b"From li@vendor.example Tue Jan 13 10:00:00 2026\nSubject: three\n\nthird\n\nFrom here on we agree.\nmore\n"
    )
    content = split_mbox(io.BytesIO(data))
    assert [m.line for m in content.messages] == [1, 7, 13]
    assert content.messages[0].data == b"Subject: one\nMessage-ID: <1@x>\n\nfirst\n"
    messages = {p.line: p.message for p in content.problems}
    assert "broken 'From ' line 'From nobody'" in messages[7]
    assert "kept as text of the message that starts at line 13" in messages[18]
    assert b"From here on we agree." in content.messages[2].data


def test_a_file_that_is_not_an_mbox_is_refused():
    content = split_mbox(io.BytesIO(b"Subject: hi\n\nbody\n"))
    assert content.messages == []
    assert content.problems[0].refused and "not an mbox file" in content.problems[0].message


def test_content_type_built_to_stall_the_parser_is_refused_at_once():
    import time

    data = b"Subject: x\r\nContent-Type: multipart/mixed; " + b";" * 5000 + b"boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n"
    start = time.perf_counter()
    with pytest.raises(MailRefused, match="Content-Type header at line 2 has 5,001 parameters; reqtrace reads up to 64"):
        read_message(data)
    assert time.perf_counter() - start < 1


def test_html_that_stalls_htmlparser_is_read_in_linear_time():
    import time

    start = time.perf_counter()
    for hostile in ("<!--" * 500_000, "<a " * 1_000_000, "<script>" * 500_000):
        html_to_text(hostile)
    assert time.perf_counter() - start < 2


def test_a_broken_part_does_not_lose_the_message():
    data = (
        b"Message-ID: <p@x>\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nREQ-1 is fine\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\x00\r\n\r\nx\r\n--b--\r\n"
    )
    message = read_message(data)
    assert "REQ-1 is fine" in message.body
    assert message.subject == "parts"


def test_sidecars_of_odd_messages_read_back_as_written():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from reqtrace.core.model import Config
    from reqtrace.core.parse import parse_email
    from reqtrace.io.yamlio import dump_yaml
    from reqtrace.records.ingest import _sidecar_data

    seed = (EML / "webklex_thread_re_my_topic.eml").read_bytes()
    tokens = st.sampled_from([b"?=", b"=?utf-8?B?5Lit?=", b"\xff", b"\x00", b": ", b"- ", b"#", b"'", b'"', b"[", b"{", b"&", b"*", b"!", b"%", b"@", b"`", b",", b"\xe2\x80\xa8"])

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.tuples(st.integers(0, 120), tokens), max_size=6))
    def check(edits):
        data = bytearray(seed)
        for position, token in edits:
            data[position:position] = token
        try:
            message = read_message(bytes(data))
        except MailRefused:
            return
        text = dump_yaml(_sidecar_data("MAIL-0123456789", message, ["REQ-1"], []))
        parsed = parse_email("records/emails/x.eml.yaml", text.encode("utf-8"), Config(project="p"))
        assert [f for f in parsed.findings if f.severity == "error"] == []
        (email,) = parsed.items
        assert (email.subject or "") == (message.subject or "")
        assert email.to == message.to

    check()
