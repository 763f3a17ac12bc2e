"""The learned layer's word pairs: two adjacent words of the writer's prose with a closed-class word
among them ("no longer", "instead of", 能不能), the forms of asking and reporting every domain shares.

Cheap: the pairs of strings, one small baseline for the features, and the shipped JSON (no fit).
"""

import json
import sys
from pathlib import Path

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, classify_request, weigh
from reqtrace.triage.words import GRAM_CLOSED_EN, GRAM_CLOSED_ZH, closed_class_grams, stem, tokens

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from train_triage import WEIGHTS  # noqa: E402

_BASELINE = BaselineIndex.build([
    Requirement(id="R-1", title="Weekly export", statement="The report is exported every week as a spreadsheet.", path="r.yaml"),
    Requirement(id="R-2", title="Print", statement="Any report can be printed from its page.", path="r.yaml"),
])


def test_english_pairs_hold_a_closed_class_word_and_never_span_a_full_stop_or_a_comma():
    grams = closed_class_grams("the export no longer works. please export it as csv instead of printing, thanks")
    assert {"no longer", "longer work", "pleas export", "instead of", "csv instead"} <= grams
    assert "work pleas" not in grams  # across the full stop
    assert not any(g.startswith("print") for g in grams)  # across the comma
    # Neither word closed-class (articles are not: "the export" would be a product's word again).
    assert "as csv" not in grams and "the export" not in grams and "export it" not in grams
    assert closed_class_grams("should be 25 not 21") == {"should be", "# not", "not #"}


def test_chinese_pairs_rejoin_what_the_segmenter_split():
    # jieba splits 能不能 ("can or cannot") into 能 + 不能: the pair puts the question back together.
    grams = closed_class_grams("能不能改成每周一次，谢谢")
    assert {"能 不能", "不能 改成", "改成 每周"} <= grams
    assert not any("谢谢" in g for g in grams)  # across the comma
    assert "每周 一次" not in grams  # neither word is closed-class


def test_the_pairs_of_known_tokens_are_the_pairs_of_the_text():
    text = "it still crashes again and again 又出现了 should be 30 days"
    assert closed_class_grams(text, list(tokens(text))) == closed_class_grams(text)


def test_weigh_gives_the_pairs_as_learned_features_and_reasons_never_quote_them():
    text = "The weekly export no longer arrives. 能不能改成每天导出?"
    features = weigh(text, _BASELINE).features
    assert {"t:g:no longer", "t:g:能 不能"} <= set(features)
    for reason in classify_request(text, index=_BASELINE).reasons:
        # A pair reads as its stems joined by a space (能 不能): no sentence the customer wrote.
        assert "能 不能" not in reason and "t:g:" not in reason


def test_the_shipped_pairs_were_kept_by_the_k_domain_rule_and_name_no_product():
    model = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    grams = [name[4:] for name in model["features"] if name.startswith("t:g:")]
    assert grams  # the learned layer reads them
    closed = {*(stem(word) for word in GRAM_CLOSED_EN), *GRAM_CLOSED_ZH}  # a pair is written in stems
    for gram in grams:
        parts = gram.split(" ")
        assert len(parts) == 2 and any(p in closed for p in parts), gram
    assert not any(name.startswith("t:") for name in model["tree_features"])  # the trees read signals only
