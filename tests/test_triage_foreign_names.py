"""Names written as code that the baseline never uses: another product, a platform or a dependency,
not the product's own components.

Cheap: one small baseline, no git, no model fit.
"""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, decide, weigh
from reqtrace.triage.prepare import prepare

_REQUIREMENTS = [
    Requirement(id="T-1", title="Message queue", status="approved",
                statement="The message queue delivers each message to every subscriber in priority order.", path="t1.yaml"),
    Requirement(id="T-2", title="File downlink", status="approved",
                statement="The file downlink component sends a file to the ground in packets.", path="t2.yaml"),
    Requirement(id="T-3", title="Plugin", status="proposed",
                statement="A build plugin runs the tool from the build.", path="t3.yaml"),
]
# A model that reads nothing: only the reasons are looked at.
_FLAT = {"classes": ["defect", "change", "new-scope", "out-of-scope"], "bias": [0.0, 0.0, 0.0, 0.0],
         "temperature": 1.0, "threshold": 0.0, "features": {}}


@pytest.fixture(scope="module")
def index():
    return BaselineIndex.build(_REQUIREMENTS)


def test_code_like_names_are_collected_from_the_whole_text_but_not_from_links_ids_or_versions():
    prepared = prepare("fprime-vxworks queue fails\n\n| Component | Os::Queue |\n\n```\nERROR in cfe_sb_events.h\n```\n"
                       "See https://example.org/some_path/file_name.c and REQ-12, version v1.2.3; `osal` and FileDownlink.")
    assert prepared.names == ("fprime-vxworks", "Os::Queue", "cfe_sb_events.h", "osal", "FileDownlink")


def test_a_name_is_foreign_unless_the_baseline_writes_it_or_every_word_of_it(index):
    weighed = weigh("The gds-tool hangs when the `Os::Queue` of fprime-vxworks is full; FileDownlink works.", index)
    signals = weighed.signals
    # queue, file and downlink are words of the baseline; gds and vxworks are not.
    assert signals.foreign_names == ["gds-tool", "fprime-vxworks"]
    assert weighed.features["foreign_name_share"] == pytest.approx(2 / 4)
    assert weighed.features["foreign_names"] > 0
    reasons = decide(weighed, index, model=_FLAT).reasons
    assert 'names components the baseline never names: "gds-tool", "fprime-vxworks"' in reasons


def test_a_request_in_the_baseline_s_own_names_gives_no_foreign_name_and_no_reason(index):
    # build and plugin are words of a proposed requirement only: it names the product's things too.
    weighed = weigh("FileDownlink drops the last packet of a file; the message_queue and `build_plugin` are fine.", index)
    assert weighed.signals.foreign_names == []
    assert weighed.features["foreign_name_share"] == 0.0
    assert not any("the baseline never names" in r for r in decide(weighed, index, model=_FLAT).reasons)


def test_words_joined_by_hyphens_are_prose_unless_a_part_is_coined(index):
    # "go-live", "after-sales" and "e-mail" are everyday words written with hyphens, not a product's
    # components; "fprime-gds" holds a coined word, so it is a name.
    prepared = prepare("Since go-live the after-sales e-mail is a built-in follow-up; fprime-gds logs it.")
    assert prepared.names == ("fprime-gds",)
    weighed = weigh("Since go-live the after-sales e-mail never arrives.", index)
    assert weighed.signals.foreign_names == []
    assert not any("the baseline never names" in r for r in decide(weighed, index, model=_FLAT).reasons)
