"""Triage's domain-free readings of whose side a failure is on, and temperatures as measured numbers:
a product that works on another device of the customer's, an environment the customer rules out
themselves ("on any network"), and degrees Celsius compared across languages (22度 = 22 °C)."""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, classify_request, weigh
from reqtrace.triage.quantities import quantities


@pytest.mark.parametrize(("text", "degrees"), [
    ("the dial goes to 32.5度", [32.5]), ("from 5.0 °c to 30.0 °c", [5.0, 30.0]), ("32.5℃", [32.5]),
    ("改成十五度", [15.0]), ("keep it at 20 degrees", [20.0]),
])
def test_a_temperature_is_a_measured_number(text, degrees):
    import unicodedata

    found = quantities(unicodedata.normalize("NFKC", text).lower())
    assert [(q.dimension, q.value) for q in found] == [("temperature", d) for d in degrees]


@pytest.mark.parametrize("text", ["百度也打不开", "这个月用了三百度电", "300度电"])
def test_a_name_or_kilowatt_hours_are_no_temperature(text):
    assert [q for q in quantities(text) if q.dimension == "temperature"] == []


@pytest.fixture(scope="module")
def baseline():
    return BaselineIndex.build([
        Requirement(id="R-1", title="Low-temperature alert", path="a.yaml",
                    statement="The app sends a push notification when the room stays below 12 °C for 30 minutes."),
        Requirement(id="R-2", title="Online booking page", path="b.yaml",
                    statement="Customers book and cancel appointments on the booking page from any browser."),
    ])


def test_a_temperature_asked_for_is_compared_with_the_signed_one(baseline):
    result = classify_request("Please raise the low-temperature alert to 15 °C, 12 is too late for older people.", index=baseline)
    assert result.matches[0].id == "R-1"
    assert any(r.startswith("asks for 15 °C; R-1 says 12 °C") for r in result.reasons), result.reasons


def test_a_chinese_temperature_meets_the_signed_one_in_english(baseline):
    weighed = weigh("低温提醒太晚了，屋里12度才提醒，请改成15度", baseline)
    assert weighed.matches[0].id == "R-1"
    assert (15.0, 12.0, "asked") in [(n.request.value, n.signed.value, n.stance) for n in weighed.signals.numbers]


@pytest.mark.parametrize("text", [
    "The booking page stays blank on the reception PC. On my phone it works fine.",
    "前台那台电脑打开预约页面全是乱的，用另外一台电脑的浏览器就好好的。",
    "The page is cut off on the new laptops; on the big monitors in the office everything is fine.",
])
def test_the_product_working_on_another_device_of_theirs_is_told(baseline, text):
    result = classify_request(text, index=baseline)
    assert dict(result.cues).get("works elsewhere"), result.cues
    assert any(r.startswith("says it works on another device or program of theirs") for r in result.reasons)


@pytest.mark.parametrize("text", [
    "Their own program does not work with my phone, it fails on mine.",
    "The booking page does not load on any network, nobody can book.",
])
def test_a_failure_everywhere_is_not_working_elsewhere(baseline, text):
    assert not dict(classify_request(text, index=baseline).cues).get("works elsewhere")


@pytest.mark.parametrize(("text", "phrase"), [
    ("Booking site down since 8am, nobody can book or log in, on any network. Fix it now.", "on any network"),
    ("预约页面打不开，这不是用户网络问题，用户的手机电视都能上网！", "网络"),
    ("打开日视图要等七八秒，电脑和网络都没换过。", "电脑"),
])
def test_an_environment_the_customer_rules_out_is_not_theirs(baseline, text, phrase):
    weighed = weigh(text, baseline)
    assert weighed.signals.environment == []
    assert weighed.features["environment"] == 0.0
    assert weighed.features["own_side_fine"] == 1.0
    assert any(phrase in p for p in weighed.signals.found["own side fine"])


def test_an_environment_the_customer_names_stays_theirs(baseline):
    weighed = weigh("Our router was replaced this morning and now the booking page does not load.", baseline)
    assert [what for what, _words in weighed.signals.environment] == ["network"]
    assert weighed.features["own_side_fine"] == 0.0
