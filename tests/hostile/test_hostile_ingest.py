"""Hostile email for `reqtrace ingest`: truncated and garbled MIME, bogus charsets,
unlabelled GBK, huge headers, hostile attachment names. Ingest stores what it can or
refuses (exit 3), writes only under records/, and what it wrote `check` can read."""

from __future__ import annotations

from pathlib import Path

import pytest

from .kit import Case, Sentinel, ids, judge, rng, run

pytestmark = pytest.mark.hostile

ROOT = Path(__file__).resolve().parents[2]
MATERIAL = sorted((ROOT / "tests" / "data" / "material" / "eml").glob("*.eml")) + sorted((ROOT / "examples" / "clinic" / "inbox").glob("*.eml"))

PLAIN = (
    b"From: Wang Fang <wang.fang@clinic.example>\r\nTo: li.wei@vendor.example\r\nSubject: REQ-1 please\r\n"
    b"Message-ID: <plain@clinic.example>\r\nDate: Tue, 10 Feb 2026 09:00:00 +0800\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nPlease change REQ-1.\r\n"
)


def _message(headers: bytes, body: bytes, content_type: bytes = b"text/plain; charset=utf-8") -> bytes:
    return (
        b"From: a@example.test\r\nTo: b@example.test\r\nMessage-ID: <crafted@example.test>\r\nDate: Tue, 10 Feb 2026 09:00:00 +0800\r\n"
        + headers + b"Content-Type: " + content_type + b"\r\n\r\n" + body
    )


def _multipart(parts: list[bytes], boundary: bytes = b"BOUNDARY") -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts) + b"--" + boundary + b"--\r\n"
    return _message(b"Subject: parts\r\n", body, b"multipart/mixed; boundary=" + boundary)


def _attachment(name: bytes, data: bytes = b"aGVsbG8=") -> bytes:
    return (
        b"Content-Type: application/octet-stream; name=\"" + name + b"\"\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename=\"" + name + b"\"\r\n\r\n" + data
    )


def _nested(depth: int) -> bytes:
    inner = b"Content-Type: text/plain\r\n\r\ndeep"
    for level in range(depth):
        boundary = b"B%d" % level
        inner = b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" + boundary + b"\r\n" + inner + b"\r\n--" + boundary + b"--"
    return _message(b"Subject: nested\r\n", inner.split(b"\r\n\r\n", 1)[1], inner.split(b"\r\n", 1)[0].split(b": ", 1)[1])


CRAFTED: dict[str, bytes] = {
    "empty-file": b"",
    "only-newlines": b"\r\n\r\n\r\n",
    "binary-garbage": bytes(range(256)) * 64,
    "nul-bytes": PLAIN.replace(b"Please", b"Ple\x00ase"),
    "no-headers": b"just a body, no headers at all\r\n",
    "header-without-colon": b"This is not a header\r\n" + PLAIN,
    "bogus-charset": _message(b"Subject: x\r\n", "中文".encode("gbk"), b"text/plain; charset=x-no-such-charset"),
    "utf7-charset": _message(b"Subject: x\r\n", b"+ZeVnLDCi-", b"text/plain; charset=utf-7"),
    "charset-path": _message(b"Subject: x\r\n", b"body", b"text/plain; charset=../../etc/passwd"),
    "charset-empty": _message(b"Subject: x\r\n", b"body", b'text/plain; charset=""'),
    "unlabelled-gbk": _message(b"Subject: x\r\n", "请把预约窗口改为十四天，谢谢。".encode("gbk"), b"text/plain"),
    "gbk-labelled-utf8": _message(b"Subject: x\r\n", "请把预约窗口改为十四天".encode("gbk"), b"text/plain; charset=utf-8"),
    "gbk-raw-subject": _message(b"Subject: " + "预约窗口".encode("gbk") + b"\r\n", b"body"),
    "encoded-word-bogus-charset": _message(b"Subject: =?x-bogus?B?5Lit5paH?=\r\n", b"body"),
    "encoded-word-broken-base64": _message(b"Subject: =?utf-8?B?####?=\r\nFrom: =?utf-8?Q?=ZZ=?= <x@example.test>\r\n", b"body"),
    "encoded-word-esc": _message(b"Subject: =?utf-8?B?G1sySht7XTA7cHduZWQH?=\r\n", b"body"),
    "esc-in-subject": _message(b"Subject: \x1b]0;pwned\x07\x1b[2J title\r\n", b"body"),
    "huge-subject": _message(b"Subject: " + b"x" * 500_000 + b"\r\n", b"body"),
    "many-headers": _message(b"".join(b"X-H%d: v\r\n" % i for i in range(20_000)), b"body"),
    "folded-forever": _message(b"Subject: a" + b"\r\n b" * 50_000 + b"\r\n", b"body"),
    "huge-references": _message(b"References: " + b" ".join(b"<r%d@x>" % i for i in range(20_000)) + b"\r\n", b"body"),
    "bad-date": _message(b"Subject: x\r\nDate: Tue, 99 Foo 2026 25:61:00 +9999\r\n", b"body"),
    "date-year-0": _message(b"Subject: x\r\nDate: Mon, 01 Jan 0000 00:00:00 +0000\r\n", b"body"),
    "message-id-esc": _message(b"Subject: x\r\nMessage-ID: <\x1b[2J@x>\r\n", b"body"),
    "two-message-ids": _message(b"Subject: x\r\nMessage-ID: <a@x>\r\n", b"body"),
    "deep-nesting-200": _nested(200),
    "many-parts-3000": _multipart([b"Content-Type: text/plain\r\n\r\npart %d" % i for i in range(3000)]),
    "boundary-missing-end": _message(b"Subject: x\r\n", b"--B\r\nContent-Type: text/plain\r\n\r\nopen", b"multipart/mixed; boundary=B"),
    "boundary-empty": _message(b"Subject: x\r\n", b"--\r\n\r\nbody", b'multipart/mixed; boundary=""'),
    "attachment-dotdot": _multipart([b"Content-Type: text/plain\r\n\r\nsee attached", _attachment(b"../../outside/pwned.txt")]),
    "attachment-absolute": _multipart([_attachment(b"/tmp/reqtrace-hostile-pwned.txt")]),  # kit.judge checks it never appears
    "attachment-esc": _multipart([_attachment(b"\x1b]0;pwned\x07.txt")]),
    "attachment-empty-name": _multipart([_attachment(b"")]),
    "attachment-bad-base64": _multipart([_attachment(b"x.bin", b"!!!not base64!!!")]),
    "attachment-rfc2231-bogus": _multipart([b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=x-bogus''%FF%FE\r\n\r\nAAAA"]),
    "quoted-printable-broken": _message(b"Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n", b"=ZZ=\r\n=", b"text/plain; charset=utf-8"),
    "base64-broken": _message(b"Subject: x\r\nContent-Transfer-Encoding: base64\r\n", b"%%%%", b"text/plain; charset=utf-8"),
    "cte-unknown": _message(b"Subject: x\r\nContent-Transfer-Encoding: x-rot13\r\n", b"body"),
    "lf-cr-mix": PLAIN.replace(b"\r\n", b"\n", 3).replace(b"\r\n", b"\r", 2),
    "mbox-garbled": b"From nobody Tue Feb 10 09:00:00 2026\nnot a header\n\nFrom \nFrom: x\n",
}


def _mutations(random, data: bytes, name: str) -> list[tuple[str, bytes]]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(2):
        cut = random.randrange(1, max(2, len(data)))
        out.append((f"{name}:truncated-at-{cut}", data[:cut]))
    for _ in range(2):
        garbled = bytearray(data)
        for _ in range(random.randint(1, 8)):
            garbled[random.randrange(len(garbled))] = random.randrange(256)
        position = random.randrange(len(data))
        out.append((f"{name}:garbled-near-{position}", bytes(garbled[:position]) + bytes(random.randrange(256) for _ in range(16)) + bytes(garbled[position:])))
    return out


def email_cases() -> list[Case]:
    random = rng("email")
    cases = [Case("email", f"crafted:{name}", data, frozenset({0, 3})) for name, data in CRAFTED.items()]
    for path in MATERIAL:
        data = path.read_bytes()
        cases.append(Case("email", f"{path.stem}:as-is", data, frozenset({0, 3})))
        cases += [Case("email", name, mutated, frozenset({0, 3})) for name, mutated in _mutations(random, data, path.stem)]
    return cases


EMAIL_CASES = email_cases()


@pytest.mark.parametrize("case", EMAIL_CASES, ids=ids(EMAIL_CASES))
def test_hostile_email(small_ws, case: Case) -> None:
    message = small_ws.out / "message.eml"
    message.write_bytes(case.payload)  # type: ignore[arg-type]
    # Ingest writes under records/ (and may commit: .git); nowhere else.
    sentinel = Sentinel([small_ws.top, Path.home()], [small_ws.repo / ".git", small_ws.repo / "records"])
    try:
        judge(case, run(["ingest", str(message)], small_ws.repo), sentinel)
        # What ingest stored, reqtrace must read back: a finding at most, never a crash.
        judge(Case(case.family, case.name + " (check after)", allowed=frozenset({0, 1})), run(["check"], small_ws.repo))
    finally:
        message.unlink()
        small_ws.reset()

