"""annotations.fatalities: death counts tied to death words in Arabic reports."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.fatalities import Fatalities, find_fatalities

# (phrase, (count, low, high, estimate)) for the one result expected, or None for none.
CASES: list[tuple[str, tuple[int | None, int | None, int | None, bool] | None]] = [
    # digits, both sets, with thousands separators
    ("مقتل 3 أشخاص", (3, 3, 3, False)),
    ("مقتل ٣ مدنيين", (3, 3, 3, False)),
    ("قتل 12 مدنيا في القصف", (12, 12, 12, False)),
    ("مقتل 1,200 شخص", (1200, 1200, 1200, False)),
    ("مقتل ١٬٢٠٠ شخص", (1200, 1200, 1200, False)),
    ("وفاة 4 أشخاص", (4, 4, 4, False)),
    ("مصرع 4 جنود", (4, 4, 4, False)),
    ("أودى بحياة 7 أشخاص", (7, 7, 7, False)),
    ("قتل الجيش 5 مسلحين", (5, 5, 5, False)),
    # number words, masculine and feminine, compound, with case endings
    ("مقتل ثلاثة مدنيين", (3, 3, 3, False)),
    ("مقتل ثلاث نساء", (3, 3, 3, False)),
    ("استشهاد خمسة وعشرين فلسطينيا", (25, 25, 25, False)),
    ("استشهاد أحد عشر شخصا", (11, 11, 11, False)),
    ("مقتل عشرين شخصا", (20, 20, 20, False)),
    ("ومقتل ثلاثة آلاف شخص", (3000, 3000, 3000, False)),
    ("مقتل أحد المدنيين", (1, 1, 1, False)),
    ("مقتل اثنين من الجنود", (2, 2, 2, False)),
    # singular and dual nouns
    ("مقتل طفل", (1, 1, 1, False)),
    ("مقتل شخص وإصابة آخرين", (1, 1, 1, False)),
    ("مقتل شخصين", (2, 2, 2, False)),
    ("مقتل مدنيَّين", (2, 2, 2, False)),
    ("مقتل جنديين اثنين", (2, 2, 2, False)),
    ("سقوط قتيلين", (2, 2, 2, False)),
    ("قتيلان وثلاثة جرحى", (2, 2, 2, False)),
    ("مقتل امرأتين", (2, 2, 2, False)),
    ("مقتل مدنيين", None),  # unvocalized: plural of unknown size, not a dual
    # number before a death noun, tolls, لقي حتفه
    ("سقوط 10 قتلى", (10, 10, 10, False)),
    ("خلفت الغارة ١٥ شهيدا", (15, 15, 15, False)),
    ("ارتفاع حصيلة القتلى إلى 15", (15, 15, 15, False)),
    ("ارتفعت حصيلة القتلى إلى 15 قتيلا", (15, 15, 15, False)),
    ("بلغ عدد الشهداء 40", (40, 40, 40, False)),
    ("لقي 5 أشخاص حتفهم", (5, 5, 5, False)),
    ("لقي شخصان حتفهما", (2, 2, 2, False)),
    ("لقي طفل مصرعه", (1, 1, 1, False)),
    ("قضى خمسة أشخاص نحبهم", (5, 5, 5, False)),
    # qualifiers and ranges
    ("مقتل أكثر من 20 شخصا", (21, 21, None, True)),
    ("سقوط أكثر من 20 قتيلا", (21, 21, None, True)),
    ("مقتل نحو 50 مدنيا", (50, None, None, True)),
    ("مقتل قرابة مئة شخص", (100, None, None, True)),
    ("مقتل حوالى ٣٠ شخصا", (30, None, None, True)),
    ("مقتل زهاء 200 مسلح", (200, None, None, True)),
    ("مقتل ما لا يقل عن 12 شخصا", (12, 12, None, True)),
    ("مقتل 20 شخصا على الأقل", (20, 20, None, True)),
    ("مقتل ما بين 10 و15 شخصا", (10, 10, 15, True)),
    ("مقتل بين 10 و 15 شخصا", (10, 10, 15, True)),
    # vague quantities: the count is the conservative low bound
    ("مقتل عشرات المدنيين", (20, 20, 99, True)),
    ("مقتل العشرات", (20, 20, 99, True)),
    ("مقتل بضعة جنود", (3, 3, 9, True)),
    ("مقتل مئات المدنيين", (200, 200, 999, True)),
    # injuries are not deaths
    ("مقتل 3 وإصابة 10", (3, 3, 3, False)),
    ("إصابة 10 أشخاص بجروح", None),
    ("جرح 7 مدنيين", None),
    ("أصيب ٤ جنود بجروح خطيرة", None),
    ("مقتل وإصابة 10 أشخاص", None),  # the dead and the wounded together
    # explicit denials: zero deaths
    ("دون وقوع إصابات", (0, 0, 0, False)),
    ("لم يسفر الانفجار عن قتلى", (0, 0, 0, False)),
    ("دون أن يسفر عن وقوع ضحايا", (0, 0, 0, False)),
    ("دون خسائر بشرية", (0, 0, 0, False)),
    ("دون خسائر مادية", None),
    ("لم تعرف حصيلة القتلى بعد", None),
    # numbers not tied to a death word
    ("قتل 3 في 2025", (3, 3, 3, False)),
    ("مقتل جندي في 3 هجمات", (1, 1, 1, False)),
    ("قضى ثلاث سنوات في السجن", None),
    ("مقتل 30 بالمئة من السكان", None),
    ("سقوط قتلى وجرحى", None),
    ("وصل 500 نازح إلى المخيم", None),
    ("قتل منذ 2011", None),
    ("مقتل عناصر الفرقة 17", None),
]


@pytest.mark.parametrize(("phrase", "expected"), CASES)
def test_fatalities(
    phrase: str, expected: tuple[int | None, int | None, int | None, bool] | None
) -> None:
    found = find_fatalities(phrase)
    if expected is None:
        assert found == []
        return
    [result] = found
    assert (result.count, result.low, result.high, result.estimate) == expected
    assert phrase[result.start : result.end] == result.text


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 40


def test_offsets_of_evidence_phrases() -> None:
    text = (
        "قصفت طائرات حربية بلدة في ريف إدلب، ما أسفر عن مقتل ٣ مدنيين وإصابة 10 آخرين. "
        "وفي حادث منفصل، لقي 5 أشخاص حتفهم، وارتفعت حصيلة القتلى إلى 15 قتيلا."
    )
    found = find_fatalities(text)
    assert [f.text for f in found] == [
        "مقتل ٣ مدنيين",
        "لقي 5 أشخاص حتفهم",
        "حصيلة القتلى إلى 15 قتيلا",
    ]
    assert [f.count for f in found] == [3, 5, 15]
    for f in found:
        assert text[f.start : f.end] == f.text
    expected = Fatalities(
        text.index("مقتل"), text.index(" وإصابة"), 3, 3, 3, False, "مقتل ٣ مدنيين"
    )
    assert found[0] == expected


def test_proclitic_stays_outside_the_span() -> None:
    text = "وقتل 4 جنود"
    [result] = find_fatalities(text)
    assert (result.start, result.text) == (1, "قتل 4 جنود")


def test_one_result_per_number() -> None:
    found = find_fatalities("سقوط 10 قتلى وأكثر من 20 جريحا ومقتل طفلين")
    assert [(f.text, f.count) for f in found] == [("سقوط 10 قتلى", 10), ("مقتل طفلين", 2)]


WORDS = [
    "مقتل", "ومقتل", "قتل", "قتلى", "قتيلا", "قتيلان", "لقي", "حتفهم", "حتفه", "حصيلة", "القتلى",
    "إلى", "3", "٣", "1", ",", "200", "ثلاثة", "وعشرين", "أحد", "عشر", "أكثر", "من", "نحو",
    "ما", "لا", "يقل", "عن", "بين", "و", "و15", "عشرات", "آلاف", "أشخاص", "شخصين", "طفل",
    "مدنيين", "وإصابة", "جرحى", "دون", "إصابات", "لم", "على", "الأقل", "في", "2025", "،", ".",
]  # fmt: skip


@given(st.lists(st.sampled_from(WORDS), max_size=14))
def test_any_text_gives_consistent_results(words: list[str]) -> None:
    text = " ".join(words)
    previous_end = 0
    for result in find_fatalities(text):
        assert text[result.start : result.end] == result.text
        assert result.start >= previous_end  # in order, never overlapping
        bounds = [b for b in (result.low, result.count, result.high) if b is not None]
        assert bounds == sorted(bounds) and all(b >= 0 for b in bounds)
        previous_end = result.end
