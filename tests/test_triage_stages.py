"""The stages of triage, each on its own: prepare, words, signals, evidence; and no domain in src."""

import json
import re
from pathlib import Path

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, classify_request
from reqtrace.triage.prepare import prepare
from reqtrace.triage.words import terms_of

SRC = Path(__file__).resolve().parents[1] / "src" / "reqtrace"


def test_prepare_sets_quoted_mail_signature_template_and_urls_apart():
    text = (
        "Hi Priya,\n\n"
        "## Describe the bug\n"
        "The export stops at 500 rows, see https://example.com/ps:/tickets/9 and mail ops@example.com.\n\n"
        "## Expected behavior\n"
        "All rows are exported.\n\n"
        "Best regards,\nHelen\nSent from my iPhone\n\n"
        "-----Original Message-----\nFrom: Priya\nCould you add a new dashboard please?\n"
    )
    prepared = prepare(text)
    assert "export stops at 500 rows" in prepared.own
    assert "dashboard" not in prepared.own and "could you add" in prepared.quoted.lower()
    assert "helen" not in prepared.own and "best regards" in prepared.quoted.lower()
    assert "describe the bug" not in prepared.own and prepared.bug_template
    assert "https" not in prepared.own and "ps:" not in prepared.own and "@" not in prepared.own


def test_prepare_sets_chinese_quoted_mail_and_sign_off_apart():
    own = "昨天晚上导出的订单文件只有一半的数据，后面三百多行都不见了，财务对账的时候才发现少了钱。"
    text = f"您好，\n【问题描述】\n{own}\n谢谢\n王芳\n\n发件人：李伟\n发送时间：2026年7月1日\n能不能加一个报表？"
    prepared = prepare(text)
    assert prepared.own.strip() == own.replace("，", ",")  # NFKC: the full-width comma is folded
    assert prepared.bug_template and not prepared.forwarded
    assert "报表" in prepared.quoted


def test_a_line_above_a_forwarded_message_reads_the_forwarded_message():
    text = "请看下面。\n\n-----原始邮件-----\n发件人：王芳\n发送时间：2026年7月1日\n主题：对账\n导出的订单文件只有一半的数据，后面三百多行都不见了。"
    prepared = prepare(text)
    assert prepared.forwarded and "三百多行都不见了" in prepared.own and "王芳" not in prepared.own


def test_a_pasted_traceback_is_machine_output_and_evidence_of_failure():
    requirements = [Requirement(id="R-1", title="Nightly export", statement="The export writes every order to a CSV file each night.", path="r.yaml")]
    text = ("The nightly export.\n```\nTraceback (most recent call last):\n  File \"export.py\", line 12, in run\n"
            "KeyError: 'order_id'\n```\n")
    prepared = prepare(text)
    assert any("traceback" in line.lower() for line in prepared.machine)
    assert "keyerror" not in prepared.own
    result = classify_request(text, requirements)
    assert any(r.startswith("pastes an error or log, evidence that something failed") for r in result.reasons)


def test_chinese_is_split_into_words_and_bridged_to_english():
    terms = terms_of("打印机不出纸，导出的报表少了一半")
    assert "z:打印机" in terms.weights and "z:报表" in terms.weights
    assert "w:printer" in terms.weights and terms.bridged["w:printer"] == "打印机"
    assert not any(len(t) == 4 and t.startswith("z:") and t[2:] not in ("报表", "导出", "一半") for t in terms.weights if t.startswith("z:印机"))


@pytest.fixture(scope="module")
def shop():
    return BaselineIndex.build([
        Requirement(id="REQ-1", title="Free delivery", statement="Delivery is free when the basket total is £40.00 or more.", path="a.yaml"),
        Requirement(id="REQ-2", title="Receipt printing", statement="The till prints a receipt on the counter printer after each sale.", path="b.yaml"),
        Requirement(id="REQ-3", title="Cart kept", statement="A signed-in customer's shopping cart is kept for 30 days.", path="c.yaml"),
        Requirement(id="REQ-4", title="Gift cards", statement="Customers pay with gift cards at checkout.", path="d.yaml", status="proposed"),
    ])


def test_a_platform_word_named_by_the_signed_requirement_is_not_the_customers_environment(shop):
    result = classify_request("Since yesterday the printer prints no receipt after a sale.", index=shop)
    assert result.matches[0].id == "REQ-2"
    assert not any(r.startswith("names the customer's own environment") for r in result.reasons)
    assert any('"printer" is named by REQ-2' in r for r in result.reasons)


def test_the_customers_own_printer_is_their_environment_when_nothing_signed_names_it():
    index = BaselineIndex.build([Requirement(id="R-1", title="Basket kept", statement="A basket is kept for 30 days.", path="r.yaml")])
    result = classify_request("Our office printer is jammed again, is that your system?", index=index)
    assert any(r.startswith("names the customer's own environment: printer") for r in result.reasons)


def test_a_number_that_contradicts_the_signed_one_is_shown_side_by_side(shop):
    result = classify_request("The shopping cart was emptied after 7 days, it is supposed to stay.", index=shop)
    assert "reports 7 days; REQ-3 says 30 days" in result.reasons
    assert result.evidence[0].requirement == "REQ-3" and result.evidence[0].relation == "contradicts"
    assert "30 days" in result.evidence[0].signed_sentence


def test_the_evidence_quotes_the_sentences_that_hold_the_numbers_compared():
    """The pair of sentences that share the most words is not the evidence when numbers are
    compared: the request's sentence with its number and the signed sentence with the signed one
    are; and the number that contradicts the signed one decides the relation, not a quote of it."""
    index = BaselineIndex.build([Requirement(
        id="REQ-9", title="Fast calendar pages", statement="The calendar page is for the front desk on weekdays.",
        acceptance=["95% of calendar pages load in under 2 seconds.", "The calendar shows weekdays from Monday to Friday."],
        path="r.yaml")])
    result = classify_request("The calendar page on Monday for the front desk is slow. Each page takes 6 to 8 seconds to load. "
                              "The contract says 2 seconds.", index=index)
    evidence = result.evidence[0]
    assert evidence.relation == "contradicts"
    assert evidence.request_sentence == "Each page takes 6 to 8 seconds to load."
    assert evidence.signed_sentence == "95% of calendar pages load in under 2 seconds."


def test_what_no_requirement_speaks_of_is_shown_in_whole_words():
    """A word the segmenter does not know comes out one character at a time (工单 → 工, 单): the
    reason shows it as written, never a character cut out of a longer word (月, 起 of 月起周六) nor a
    unit after a number (秒 of "8 秒")."""
    index = BaselineIndex.build([Requirement(id="REQ-1", title="Fast pages", statement="Pages load in under 2 seconds.", path="a.yaml")])
    result = classify_request("工单 T-9：月起周六首页要等 8 秒，客户很不满意", index=index)
    [novel] = [r for r in result.reasons if r.startswith("no accepted requirement speaks of")]
    assert '"工单"' in novel and '"周六"' in novel
    assert not re.search(r'"[\u4e00-\u9fff]"', novel), novel


def test_a_cue_that_ends_inside_a_word_is_shown_as_the_whole_word(shop):
    result = classify_request("购物车页面一直转圈，打不开", index=shop)
    assert "一直转圈" in dict(result.cues)["report"]
    assert any('"一直转圈"' in r for r in result.reasons) and not any('"一直转"' in r for r in result.reasons)


def test_reasons_cite_chinese_as_whole_words(shop):
    result = classify_request("顾客的购物车只保存了7天就没了", index=shop)
    assert result.matches and result.matches[0].id == "REQ-3"
    words = result.matches[0].words
    assert "购物车" in words  # a word jieba found, bridged to "cart", never a pair of characters across words
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,}|[a-z0-9]+", w) for w in words)


def test_every_result_has_probabilities_and_sentence_evidence(shop):
    data = classify_request("Could customers pay with gift cards?", index=shop).as_dict()
    assert set(data["probabilities"]) == {"defect", "change", "new-scope", "out-of-scope"}
    assert abs(sum(data["probabilities"].values()) - 1) < 0.01
    assert data["evidence"][0] == {"request_sentence": "Could customers pay with gift cards?", "requirement": "REQ-4",
                                   "signed_sentence": data["evidence"][0]["signed_sentence"], "relation": "asks for (not accepted)"}


# Words of the worked example's product and of the invented benchmark domains: none may appear in src/.
_DOMAIN_WORDS = re.compile(
    r"\b(?:clinic|patients?|doctors?|nurses?|vaccin\w*|diabetes|front desk|receptionists?|payroll|salary"
    r"|thermostat|claims? adjuster)\b|患者|病人|医生|护士|挂号|诊所|疫苗",
    re.IGNORECASE,
)


def test_no_triage_source_names_a_product_domain():
    offenders = []
    paths = [*sorted((SRC / "triage").rglob("*")), SRC / "triage/repo.py", SRC / "triage/recording.py", SRC / "cli" / "triage_cmds.py"]
    for path in paths:
        if path.suffix not in (".py", ".json"):
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":  # the model: what it reads, not the names of the domains it was trained on
            text = "\n".join(json.loads(text)["features"])
        for number, line in enumerate(text.splitlines(), 1):
            found = _DOMAIN_WORDS.search(line)
            if found:
                offenders.append(f"{path.relative_to(SRC)}:{number}: {found.group(0)}")
    assert offenders == []


def test_loading_the_chinese_segmenter_prints_nothing(tmp_path):
    # jieba logs "Building prefix dict…" (and a traceback when its cache cannot be written) to stderr.
    import subprocess
    import sys

    code = ("from reqtrace.core.model import Requirement\nfrom reqtrace.triage import classify_request\n"
            "r = classify_request('打印机不出纸了', [Requirement(id='R-1', title='Print', statement='Prints.', path='r.yaml')])\n"
            "import sys\nprint(r.classification, 'pkg_resources' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**__import__("os").environ, "TMPDIR": str(tmp_path)}, check=False)
    assert done.returncode == 0 and done.stdout.strip()
    assert done.stderr == ""
    # jieba reads its data from its own folder, without setuptools' pkg_resources (0.08 s to import)
    assert done.stdout.split()[1] == "False"


def _jieba_cache(folder: Path, freq: dict, total: int) -> Path:
    import marshal

    cache = folder / "jieba.cache"  # the name jieba gives the cache of its default dictionary
    cache.write_bytes(marshal.dumps((freq, total)))
    return cache


def test_jiebas_cache_read_whole_gives_the_tokenizer_jieba_gives_itself(tmp_path):
    # reqtrace reads the cache in one go (jieba's own read costs ~0.85 s more for its 500,000 words):
    # the tokenizer must hold what jieba's own initialize loads from the same file, and cut alike.
    import jieba

    from reqtrace.triage.words import _read_jieba_cache

    freq = {"预约": 30, "预": 1, "约": 2, "窗口": 20, "窗": 1, "口": 3, "改为": 9, "改": 4, "为": 5, "天": 8}
    cache = _jieba_cache(tmp_path, freq, sum(freq.values()))
    ours, theirs = jieba.Tokenizer(), jieba.Tokenizer()
    assert _read_jieba_cache(ours, cache)
    theirs.tmp_dir = str(tmp_path)
    theirs.initialize()
    assert (ours.FREQ, ours.total, ours.initialized) == (theirs.FREQ, theirs.total, True)
    assert ours.lcut("预约窗口改为30天", HMM=False) == theirs.lcut("预约窗口改为30天", HMM=False) == ["预约", "窗口", "改为", "30", "天"]


@pytest.mark.parametrize("damage", ["truncated", "a list", "a word counted in text", "a directory", "a symlink", "a fifo"])
def test_a_damaged_or_strange_jieba_cache_is_left_to_jieba(tmp_path, damage):
    # Not read (jieba's own initialize then reads or rebuilds it), and a FIFO does not hang.
    import marshal
    import os

    import jieba

    from reqtrace.triage.words import _read_jieba_cache

    (tmp_path / "elsewhere").mkdir()
    good = _jieba_cache(tmp_path / "elsewhere", {"预约": 3}, 3)
    cache = tmp_path / "jieba.cache"
    if damage == "truncated":
        cache.write_bytes(good.read_bytes()[:-3])
    elif damage == "a list":
        cache.write_bytes(marshal.dumps([{"预约": 3}, 3]))
    elif damage == "a word counted in text":
        cache.write_bytes(marshal.dumps(({"预约": "3"}, 3)))
    elif damage == "a directory":
        cache.mkdir()
    elif damage == "a symlink":
        cache.symlink_to(good)
    else:
        os.mkfifo(cache)
    tokenizer = jieba.Tokenizer()
    assert not _read_jieba_cache(tokenizer, cache)
    assert not tokenizer.initialized
