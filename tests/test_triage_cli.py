"""`reqtrace triage` and `reqtrace decide`, run as a user would.

The repos are built once per module and copied; tests that only read get one shared copy.
Real processes (`run_cli`) where a test writes files, pins the JSON, or needs a cold
cache; the rest run through `reqtrace.cli.main` in-process (`run_in_process`)."""

import json
from pathlib import Path

import pytest

from conftest import CONFIG, SpecRepoFixture, copy_repo, git, keep_triage_dictionaries, write_files
from reqtrace.core.model import SCHEMA_VERSION

BASELINE = Path(__file__).parent / "data" / "triage" / "baseline"


def _baseline_files() -> dict[str, str]:
    return {f"specs/{p.relative_to(BASELINE).as_posix()}": p.read_text(encoding="utf-8") for p in BASELINE.rglob("*.yaml")}


RQ_12 = """\
# Dr. Chen's email of 10 July — keep this comment
id: RQ-12
received: 2026-07-10
from:   "Dr. Chen Jing (clinic director)"
channel: email
title: Patients want to book further ahead
text: |
  Please change it so patients can book 30 days ahead instead of 14.
  I assume this is just a setting and part of the after-sales service.
refs: [ REQ-3 ]
claimed: after-sales      # her words
x-ticket: T-12
"""

RQ_13 = """\
id: RQ-13
received: 2026-07-15
from: 王芳（前台主管）
channel: phone
title: 日程表打印不出来
text: |
  前台打印机不出纸了，打Word文档也不行，是不是你们系统的问题？
"""

RQ_14 = """\
id: RQ-14
received: 2026-07-21
title: Patients cancel online on the same day
text: |
  We agreed that online cancelling is only possible until 24 hours before, but
  patients cancel this morning for this morning, one only 3 hours before. Fix it.
decision:
  as: defect
  status: approved
  by: Li Wei
  when: 2026-08-20
"""

MEETING = """\
---
id: MTG-2026-08-20
date: 2026-08-20
title: Post-delivery review
---
# Minutes
"""


CLINIC_FILES = {
    **_baseline_files(),
    "records/requests/RQ-12.yaml": RQ_12,
    "records/requests/RQ-13.yaml": RQ_13,
    "records/requests/RQ-14.yaml": RQ_14,
    "records/meetings/MTG-2026-08-20.md": MEETING,
}


def _build(root: Path, files: dict[str, str], tag: str | None = None) -> SpecRepoFixture:
    """What `make_repo` builds, for a fixture built once per module (needs `build_env`)."""
    write_files(root, {"reqtrace.yaml": CONFIG, **files})
    git(root, "init", "-q")
    repo = SpecRepoFixture(root)
    repo.commit(message="initial", tag=tag)
    return repo


@pytest.fixture(scope="module")
def clinic_template(tmp_path_factory, build_env, triage_dictionaries) -> Path:
    """Built once; tests work on copies. It holds the dictionaries of a first triage (CC-CEDICT
    parsed and jieba's: ~1.5 s of CPU to make, made once per run) and no other cache, so that
    each copy still builds its own index of the baseline."""
    root = _build(tmp_path_factory.mktemp("triage-cli") / "clinic", CLINIC_FILES, tag="baseline/v1.0").root
    keep_triage_dictionaries(triage_dictionaries, root)
    assert git(root, "status", "--porcelain") == ""
    return root


@pytest.fixture
def clinic(clinic_template, tmp_path):
    """A copy of its own, for a test that writes (files, or a damaged cache)."""
    return copy_repo(clinic_template, tmp_path / "repo")


@pytest.fixture(scope="module")
def clinic_shared(clinic_template, tmp_path_factory):
    """One copy shared by the tests that only read (they may fill the caches under .git)."""
    return copy_repo(clinic_template, tmp_path_factory.mktemp("triage-cli-shared") / "repo")


def _json(result):
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_triage_by_id_gives_the_pinned_json(clinic_shared, run_cli):
    result = run_cli("triage", "RQ-12", "--baseline", "v1.0", "--format", "json", cwd=clinic_shared.root)
    assert result.exit_code == 0, result.stderr
    data = _json(result)
    assert data["schema_version"] == SCHEMA_VERSION and data["baseline"] == "v1.0"
    (first,) = data["results"]
    assert set(first) >= {"request", "classification", "diverges", "confidence", "matches", "reasons"}
    assert first["request"] == "RQ-12" and first["classification"] == "change" and first["diverges"] is True
    assert first["matches"][0]["id"] == "REQ-3" and 0 < first["matches"][0]["score"] <= 1
    assert "asks for 30 days; REQ-3 says 14 days" in first["reasons"]
    assert "14 days" in first["matches"][0]["statement"]  # the signed text, beside the request
    assert set(first) >= {"cues", "unknown_refs", "title", "received", "evidence", "probabilities"}
    assert first["evidence"][0]["requirement"] == "REQ-3" and first["evidence"][0]["relation"] == "asks to change"
    assert "30 days ahead" in first["evidence"][0]["request_sentence"] and "14" in first["evidence"][0]["signed_sentence"]
    assert set(first["probabilities"]) == {"defect", "change", "new-scope", "out-of-scope"}
    assert first["confidence"] == round(first["probabilities"]["change"], 2)


def test_triage_all_skips_decided_requests(clinic_shared, run_in_process):
    data = _json(run_in_process("triage", "--all", "--baseline", "v1.0", "--format", "json", cwd=clinic_shared.root))
    assert [r["request"] for r in data["results"]] == ["RQ-12", "RQ-13"]
    assert data["results"][1]["classification"] == "out-of-scope"


def test_triage_text_output_shows_request_and_signed_text(clinic_shared, run_in_process):
    result = run_in_process("triage", "RQ-12", "--baseline", "v1.0", cwd=clinic_shared.root)
    assert result.exit_code == 0, result.stderr
    assert "change" in result.stdout and "REQ-3" in result.stdout
    assert "Booking window" in result.stdout and "30 days ahead" in result.stdout


def test_triage_of_raw_text_and_of_an_email(clinic_shared, run_in_process, tmp_path):
    data = _json(run_in_process("triage", "--text", "能不能加一个微信支付挂号费的功能？", "--baseline", "v1.0", "--format", "json", cwd=clinic_shared.root))
    assert data["results"][0]["classification"] == "new-scope"
    mail = tmp_path / "ask.eml"
    mail.write_bytes(
        b"From: Dr. Chen <chen@clinic_shared.example>\nTo: li@vendor.example\nSubject: =?utf-8?b?5o+Q6YaS55+t5L+h?=\n"
        b"Date: Tue, 21 Jul 2026 09:40:00 +0800\nMIME-Version: 1.0\nContent-Type: text/plain; charset=gb2312\n"
        b"Content-Transfer-Encoding: 8bit\n\n" + "提醒短信能不能提前两天发？提前一天太晚了。\n".encode("gb2312")
    )
    data = _json(run_in_process("triage", str(mail), "--baseline", "v1.0", "--format", "json", cwd=clinic_shared.root))
    assert data["results"][0]["classification"] == "change"
    assert data["results"][0]["received"] == "2026-07-21"


def test_write_stores_the_block_and_touches_nothing_else(clinic, run_cli):
    path = clinic.root / "records/requests/RQ-12.yaml"
    result = run_cli("triage", "RQ-12", "--baseline", "v1.0", "--write", cwd=clinic.root, env={"SOURCE_DATE_EPOCH": "1785000000"})
    assert result.exit_code == 0, result.stderr
    after = path.read_text(encoding="utf-8")
    assert after.startswith(RQ_12)  # every byte the user wrote is still there, in place
    block = after[len(RQ_12):]
    assert block.startswith("triage:\n  classification: change\n  confidence: ")
    assert "  baseline: v1.0\n  matches: [REQ-3" in block and "  when: \"2026-07-25T17:20:00+00:00\"\n" in block
    check = _json(run_cli("check", "--format", "json", cwd=clinic.root))
    assert [f for f in check["findings"] if "RQ-12" in (f["path"] or "")] == []
    # again: the same bytes, nothing changes
    run_cli("triage", "RQ-12", "--baseline", "v1.0", "--write", cwd=clinic.root, env={"SOURCE_DATE_EPOCH": "1785000000"})
    assert path.read_text(encoding="utf-8") == after


def test_a_malformed_request_file_is_reported_and_nothing_is_written(clinic, run_in_process):
    broken = RQ_13 + "title: twice\n"
    path = clinic.root / "records/requests/RQ-13.yaml"
    path.write_text(broken, encoding="utf-8")
    result = run_in_process("triage", str(path), "--baseline", "v1.0", "--write", cwd=clinic.root)
    assert result.exit_code == 3
    assert "RQ-13.yaml:8" in result.stderr and "appears twice" in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_text(encoding="utf-8") == broken


def test_a_request_id_that_does_not_exist(clinic_shared, run_in_process):
    result = run_in_process("triage", "RQ-404", "--baseline", "v1.0", cwd=clinic_shared.root)
    assert result.exit_code == 3
    assert "no request 'RQ-404'" in result.stderr


def test_no_accepted_baseline_says_which_to_name_or_how_to_sign(clinic_shared, run_in_process):
    result = run_in_process("triage", "--all", cwd=clinic_shared.root)
    assert result.exit_code == 3
    assert "no accepted baseline" in result.stderr
    assert "--baseline NAME (baselines in this repo: v1.0)" in result.stderr
    assert "reqtrace baseline sign" in result.stderr
    as_json = run_in_process("triage", "--all", "--format", "json", cwd=clinic_shared.root)
    assert _json(as_json)["error"]["code"] == "bad-input"


def test_an_unknown_baseline_name(clinic_shared, run_in_process):
    result = run_in_process("triage", "--all", "--baseline", "v9", cwd=clinic_shared.root)
    assert result.exit_code == 3 and "unknown revision 'v9'" in result.stderr


def test_a_baseline_with_no_requirements(make_repo, run_in_process):
    repo = make_repo({"records/requests/RQ-1.yaml": RQ_13.replace("RQ-13", "RQ-1")}, tag="baseline/empty")
    data = _json(run_in_process("triage", "RQ-1", "--baseline", "empty", "--format", "json", cwd=repo.root))
    (first,) = data["results"]
    assert first["classification"] == "needs-review" and first["matches"] == []
    assert "no requirements" in first["reasons"][0]


def test_empty_and_punctuation_text(clinic_shared, run_in_process):
    for text in ("", "?!。，"):
        data = _json(run_in_process("triage", "--text", text, "--baseline", "v1.0", "--format", "json", cwd=clinic_shared.root))
        assert data["results"][0]["classification"] == "needs-review"


def test_one_megabyte_of_text(clinic_shared, run_in_process, tmp_path):
    text = ("提醒短信没收到 the reminder did not arrive. " * 40000).encode()[: 1024 * 1024].decode("utf-8", "ignore")
    result = run_in_process("triage", "--text", "-", "--baseline", "v1.0", "--format", "json", cwd=clinic_shared.root, input=text)
    assert result.exit_code == 0, result.stderr
    assert _json(result)["results"][0]["classification"] in ("defect", "needs-review")
    big = tmp_path / "big.yaml"
    big.write_text("id: RQ-900\nreceived: 2026-09-01\ntitle: Huge\ntext: " + json.dumps(text[:330_000], ensure_ascii=False) + "\n", encoding="utf-8")
    result = run_in_process("triage", str(big), "--baseline", "v1.0", "--format", "json", cwd=clinic_shared.root)
    assert result.exit_code == 0, result.stderr
    assert _json(result)["results"][0]["request"] == str(big)


def test_decide_records_the_decision_beside_the_recommendation(clinic, run_cli):
    path = clinic.root / "records/requests/RQ-12.yaml"
    run_cli("triage", "RQ-12", "--baseline", "v1.0", "--write", cwd=clinic.root)
    triaged = path.read_text(encoding="utf-8")
    result = run_cli("decide", "RQ-12", "--as", "new-scope", "--status", "rejected", "--by", "Li Wei",
                     "--in", "MTG-2026-08-20", "--note", "Quoted separately: CO-7.", "--on", "2026-08-20", cwd=clinic.root)
    assert result.exit_code == 0, result.stderr
    assert "triage recommended change; both stay on record" in result.stdout
    after = path.read_text(encoding="utf-8")
    assert after.startswith(triaged)
    assert after[len(triaged):] == (
        "decision:\n  as: new-scope\n  status: rejected\n  by: Li Wei\n  when: 2026-08-20\n"
        "  in: MTG-2026-08-20\n  note: 'Quoted separately: CO-7.'\n"
    )
    shown = _json(run_cli("show", "RQ-12", "--format", "json", cwd=clinic.root))
    assert shown["fields"]["triage"]["classification"] == "change"
    assert shown["fields"]["decision"]["as"] == "new-scope"


def test_decide_in_a_record_that_does_not_exist_writes_nothing(clinic, run_in_process):
    path = clinic.root / "records/requests/RQ-12.yaml"
    result = run_in_process("decide", "RQ-12", "--as", "change", "--status", "approved", "--by", "Li Wei", "--in", "MTG-1999-01-01", cwd=clinic.root)
    assert result.exit_code == 3
    assert "--in MTG-1999-01-01: no meeting or email with that id" in result.stderr
    assert path.read_text(encoding="utf-8") == RQ_12


def test_decide_on_a_malformed_request_writes_nothing(clinic, run_in_process):
    path = clinic.root / "records/requests/RQ-12.yaml"
    broken = RQ_12 + "refs: [REQ-4]\n"
    path.write_text(broken, encoding="utf-8")
    result = run_in_process("decide", "RQ-12", "--as", "change", "--status", "approved", "--by", "Li Wei", cwd=clinic.root)
    assert result.exit_code == 3
    assert "records/requests/RQ-12.yaml:13: key 'refs' appears twice" in result.stderr
    assert "nothing was written" in result.stderr
    assert path.read_text(encoding="utf-8") == broken


def test_decide_rejects_a_class_it_does_not_know(clinic_shared, run_in_process):
    result = run_in_process("decide", "RQ-12", "--as", "warranty", "--status", "approved", "--by", "Li Wei", cwd=clinic_shared.root)
    assert result.exit_code == 2


def test_since_delivery_needs_a_delivery_date(clinic_shared, run_in_process):
    result = run_in_process("triage", "--all", "--since-delivery", "--baseline", "v1.0", cwd=clinic_shared.root)
    assert result.exit_code == 3
    assert "baseline 'v1.0' has no delivery date" in result.stderr


def test_nothing_to_triage_is_a_usage_error(clinic_shared, run_in_process):
    result = run_in_process("triage", "--baseline", "v1.0", cwd=clinic_shared.root)
    assert result.exit_code == 2 and "nothing to triage" in result.stderr


def test_the_index_cache_is_used_and_survives_corruption(clinic, run_cli):
    first = _json(run_cli("triage", "RQ-12", "--baseline", "v1.0", "--format", "json", cwd=clinic.root))
    (cached,) = (clinic.root / ".git" / "reqtrace" / "triage-index").glob("*.idx")
    cached.write_bytes(b"garbage")
    again = _json(run_cli("triage", "RQ-12", "--baseline", "v1.0", "--format", "json", cwd=clinic.root))
    assert again["results"] == first["results"]
    assert cached.read_bytes() != b"garbage"  # rebuilt


@pytest.fixture(scope="module")
def accepted(tmp_path_factory, build_env):
    """The clinic with baseline contract signed off by the customer (recorded) and delivered.
    Built once: its tests only read."""
    from reqtrace.baselines.baseline import create_baseline
    from reqtrace.baselines.signoff import sign_baseline
    from reqtrace.core.config import find_spec_repo

    top = tmp_path_factory.mktemp("triage-accepted")
    spec = _build(top / "repo", {**_baseline_files(), "records/requests/RQ-12.yaml": RQ_12, "records/requests/RQ-13.yaml": RQ_13,
                                 "records/meetings/MTG-2026-08-20.md": MEETING})
    repo = find_spec_repo(spec.root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1783000000")  # signed on 2026-07-02: RQ-12 and RQ-13 come later
        create_baseline(repo, "contract", message="Contract scope")
        letter = top / "letter.pdf"
        letter.write_bytes(b"%PDF-1.4 signed by Dr. Chen\n")
        sign_baseline(repo, "contract", signer="Dr. Chen <chen@clinic.example>", meaning="accepted", role="customer", evidence=letter)
    spec.commit({"records/requests/RQ-5.yaml": RQ_13.replace("RQ-13", "RQ-5").replace("2026-07-15", "2026-06-01")})
    return spec


def test_the_accepted_baseline_is_the_default_with_its_signers(accepted, run_in_process):
    data = _json(run_in_process("triage", "RQ-12", "--format", "json", cwd=accepted.root))
    assert data["baseline"] == "contract"
    assert data["signoffs"][0]["signer"] == "Dr. Chen <chen@clinic.example>"
    assert data["signoffs"][0]["meaning"] == "accepted"
    assert data["delivery_date"] is not None
    assert data["results"][0]["classification"] == "change"
    text = run_in_process("triage", "RQ-12", cwd=accepted.root)
    assert "Dr. Chen <chen@clinic.example> (accepted" in text.stdout


def test_since_delivery_keeps_requests_received_after_delivery(accepted, run_in_process):
    every = _json(run_in_process("triage", "--all", "--format", "json", cwd=accepted.root))
    assert [r["request"] for r in every["results"]] == ["RQ-5", "RQ-12", "RQ-13"]
    data = _json(run_in_process("triage", "--all", "--since-delivery", "--format", "json", cwd=accepted.root))
    assert data["delivery_date"] == "2026-07-02"
    assert [r["request"] for r in data["results"]] == ["RQ-12", "RQ-13"]
