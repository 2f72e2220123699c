"""annotations.dates: Arabic date expressions resolved against the publication date."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotations.dates import DateMention, find_dates, resolve

THU = date(2025, 3, 13)  # a Thursday; weeks run Sunday (9 March) to Saturday (15 March)
SUN = date(2025, 3, 16)

# (expression, published, expected date, ACLED time precision)
CASES = [
    # today, tonight, yesterday, the day before
    ("اليوم", THU, date(2025, 3, 13), 1),
    ("صباح اليوم", THU, date(2025, 3, 13), 1),
    ("مساء اليوم", THU, date(2025, 3, 13), 1),
    ("الليلة", THU, date(2025, 3, 13), 1),
    ("اليوم الأحد", SUN, date(2025, 3, 16), 1),
    ("أمس", THU, date(2025, 3, 12), 1),
    ("أَمْسِ", THU, date(2025, 3, 12), 1),
    ("البارحة", THU, date(2025, 3, 12), 1),
    ("مساء أمس", THU, date(2025, 3, 12), 1),
    ("ليلة أمس", THU, date(2025, 3, 12), 1),
    ("أمس الأربعاء", THU, date(2025, 3, 12), 1),
    ("أول أمس", THU, date(2025, 3, 11), 1),
    ("أول من أمس", THU, date(2025, 3, 11), 1),
    ("أمس الأول", THU, date(2025, 3, 11), 1),
    ("قبل يومين", THU, date(2025, 3, 11), 1),
    ("منذ يومين", THU, date(2025, 3, 11), 1),
    ("قبل ثلاثة أيام", THU, date(2025, 3, 10), 1),
    ("قبل 3 أيام", THU, date(2025, 3, 10), 1),
    ("قبل ٣ أيام", THU, date(2025, 3, 10), 1),
    ("قبل 11 يوما", THU, date(2025, 3, 2), 1),
    ("قبل أسبوع", THU, date(2025, 3, 6), 2),
    # proclitics
    ("وأمس", THU, date(2025, 3, 12), 1),
    ("بالأمس", THU, date(2025, 3, 12), 1),
    ("وفي يوم الخميس", THU, date(2025, 3, 13), 1),
    ("واليوم", THU, date(2025, 3, 13), 1),
    # weekdays: plain = on or before publication, الماضي = strictly before
    ("يوم الخميس", THU, date(2025, 3, 13), 1),
    ("يوم الخميس", date(2025, 3, 12), date(2025, 3, 6), 1),
    ("يوم الخميس الماضي", THU, date(2025, 3, 6), 1),
    ("الخميس الماضي", date(2025, 3, 14), date(2025, 3, 13), 1),
    ("الثلاثاء", THU, date(2025, 3, 11), 1),
    ("يوم الإثنين", THU, date(2025, 3, 10), 1),
    ("يوم السبت المنصرم", THU, date(2025, 3, 8), 1),
    ("الجمعة الماضية", THU, date(2025, 3, 7), 1),
    ("الأحد الماضي", date(2025, 3, 2), date(2025, 2, 23), 1),
    # weeks: Wednesday of the previous Sunday-Saturday week; weekends code the Friday
    ("الأسبوع الماضي", THU, date(2025, 3, 5), 2),
    ("الأسبوع الماضي", date(2025, 3, 9), date(2025, 3, 5), 2),
    ("الأسبوع المنصرم", date(2025, 3, 8), date(2025, 2, 26), 2),
    ("نهاية الأسبوع", THU, date(2025, 3, 7), 2),
    ("عطلة نهاية الأسبوع", SUN, date(2025, 3, 14), 2),
    ("نهاية الأسبوع الماضي", THU, date(2025, 3, 7), 2),
    # months: whole month the 15th (precision 3); parts the 5th/15th/25th (precision 2)
    ("مطلع الشهر الجاري", THU, date(2025, 3, 5), 2),
    ("بداية الشهر الحالي", date(2025, 3, 3), date(2025, 3, 3), 2),
    ("منتصف الشهر الماضي", date(2025, 1, 10), date(2024, 12, 15), 2),
    ("الشهر الماضي", date(2025, 1, 10), date(2024, 12, 15), 3),
    ("الشهر الماضي", THU, date(2025, 2, 15), 3),
    ("الشهر المنصرم", date(2024, 3, 31), date(2024, 2, 15), 3),
    ("أواخر الشهر الماضي", THU, date(2025, 2, 25), 2),
    ("أوائل الشهر الماضي", date(2025, 1, 2), date(2024, 12, 5), 2),
    ("هذا الشهر", THU, date(2025, 3, 13), 3),
    ("مطلع تشرين الأول", date(2024, 10, 20), date(2024, 10, 5), 2),
    ("منتصف أيار 2024", THU, date(2024, 5, 15), 2),
    ("شهر نيسان الماضي", THU, date(2024, 4, 15), 3),
    ("آذار الماضي", THU, date(2024, 3, 15), 3),
    ("شهر يناير", THU, date(2025, 1, 15), 3),
    # absolute dates, both month-name families, both digit sets
    ("15 آذار/مارس 2025", date(2025, 3, 20), date(2025, 3, 15), 1),
    ("١٥ مارس ٢٠٢٥", date(2025, 3, 20), date(2025, 3, 15), 1),
    ("في 3 يناير", date(2025, 1, 10), date(2025, 1, 3), 1),
    ("الثلاثاء 14 كانون الثاني", date(2025, 1, 20), date(2025, 1, 14), 1),
    ("الاثنين 30 ديسمبر 2024", THU, date(2024, 12, 30), 1),
    ("10 تشرين الأول 2024", THU, date(2024, 10, 10), 1),
    ("1 تشرين الثاني 2024", THU, date(2024, 11, 1), 1),
    ("25 كانون الأول", THU, date(2024, 12, 25), 1),
    ("5 يونيه 2024", THU, date(2024, 6, 5), 1),
    ("5 إبريل 2024", THU, date(2024, 4, 5), 1),
    ("7 أبريل 2024", THU, date(2024, 4, 7), 1),
    ("2 أغسطس 2024", THU, date(2024, 8, 2), 1),
    ("2 آب 2024", THU, date(2024, 8, 2), 1),
    ("9 شباط 2025م", THU, date(2025, 2, 9), 1),
    ("الـ15 من شهر آذار", THU, date(2024, 3, 15), 1),
    ("12 مارس من العام الماضي", THU, date(2024, 3, 12), 1),
    ("1 يناير", date(2025, 1, 1), date(2025, 1, 1), 1),
    # a day and month without a year: the latest not after publication
    ("28 ديسمبر", date(2025, 1, 3), date(2024, 12, 28), 1),
    ("٣ حزيران/يونيو", date(2025, 6, 2), date(2024, 6, 3), 1),
    # leap years
    ("29 شباط", date(2025, 3, 1), date(2024, 2, 29), 1),
    ("29 فبراير 2024", THU, date(2024, 2, 29), 1),
    ("أمس", date(2024, 3, 1), date(2024, 2, 29), 1),
    ("أمس", date(2025, 3, 1), date(2025, 2, 28), 1),
    ("قبل 3 أيام", date(2024, 3, 2), date(2024, 2, 28), 1),
    # year boundary
    ("أمس", date(2025, 1, 1), date(2024, 12, 31), 1),
    ("الأسبوع الماضي", date(2025, 1, 2), date(2024, 12, 25), 2),
    # numeric dates: day first unless the year leads
    ("2025/03/15", THU, date(2025, 3, 15), 1),
    ("15/3/2025", THU, date(2025, 3, 15), 1),
    ("15-03-2025", THU, date(2025, 3, 15), 1),
    ("15.03.2025", THU, date(2025, 3, 15), 1),
    ("٢٠٢٥/٠٣/١٥", THU, date(2025, 3, 15), 1),
]


@pytest.mark.parametrize(("expression", "published", "expected", "precision"), CASES)
def test_resolve(expression: str, published: date, expected: date, precision: int) -> None:
    assert resolve(expression, published) == (expected, precision)


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 40


INVALID = ["31 شباط", "30 فبراير 2024", "31 نيسان 2025", "31/04/2025", "2025/02/30"]


@pytest.mark.parametrize("expression", INVALID)
def test_invalid_dates_are_not_returned(expression: str) -> None:
    assert find_dates(expression, THU) == []


NEGATIVES = [
    "تحسنت الأوضاع يوما بعد يوم",  # يوما: "day by day"
    "نشرت الصحف اليومية الخبر",  # اليومية: "daily"
    "وفي اليوم التالي عاد الهدوء",  # "the next day": unknown without an anchor
    "احتفل العالم باليوم العالمي للاجئين",
    "يعيش السكان بأمس الحاجة إلى الغذاء",  # بأمس الحاجة: "in dire need"
    "مقتل 15 شخصا وإصابة 30 آخرين",
    "أعلنت الحكومة موازنة عام 2025",
    "بلغت النسبة 15/3 في المئة",
    "ارتفع السعر إلى 3.5 دولار",
    "مارس الجيش ضغوطا على المسلحين",  # مارس: "exerted"
    "قتل أب لثلاثة أطفال",  # أب: "father", not آب
    "سيعقد الاجتماع يوم الخميس المقبل",  # a plan, not an event
    "الأسبوع حافل بالأحداث",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_negatives(text: str) -> None:
    assert find_dates(text, THU) == []


def test_offsets_in_a_sentence() -> None:
    text = "قصفت طائرات حربية مواقع في مدينة الرقة صباح اليوم."
    [mention] = find_dates(text, THU)
    assert mention == DateMention(39, 49, date(2025, 3, 13), 1, "صباح اليوم")
    assert text[mention.start : mention.end] == mention.text


def test_several_mentions_in_text_order() -> None:
    text = (
        "وقال مصدر محلي إن الاشتباكات اندلعت أمسِ الأربعاء، واستمرت حتى مساء اليوم، "
        "بعد هجوم مماثل في 2025/03/01 وآخر مطلع الشهر الماضي."
    )
    mentions = find_dates(text, THU)
    assert [m.text for m in mentions] == [
        "أمسِ الأربعاء",
        "مساء اليوم",
        "2025/03/01",
        "مطلع الشهر الماضي",
    ]
    assert [(m.date, m.precision) for m in mentions] == [
        (date(2025, 3, 12), 1),
        (date(2025, 3, 13), 1),
        (date(2025, 3, 1), 1),
        (date(2025, 2, 5), 2),
    ]
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.text


def test_proclitics_stay_outside_the_span() -> None:
    text = "وأمس قصفت المدفعية البلدة، وبالأمس أيضا، وفي يوم الخميس 14 كانون الثاني/يناير 2025"
    mentions = find_dates(text, date(2025, 1, 20))
    assert [m.text for m in mentions] == [
        "أمس",
        "الأمس",
        "يوم الخميس 14 كانون الثاني/يناير 2025",
    ]
    assert [m.date for m in mentions] == [date(2025, 1, 19), date(2025, 1, 19), date(2025, 1, 14)]
    for mention in mentions:
        assert text[mention.start : mention.end] == mention.text


def test_mentions_are_frozen() -> None:
    [mention] = find_dates("أمس", THU)
    with pytest.raises(dataclasses.FrozenInstanceError):
        mention.start = 1  # type: ignore[misc]


WORDS = [
    "أمس", "وأمس", "بالأمس", "اليوم", "يوم", "الخميس", "الماضي", "المقبل", "الأسبوع", "الشهر",
    "مطلع", "نهاية", "عطلة", "قبل", "3", "١٥", "31", "29", "أيام", "يومين", "آذار", "مارس",
    "شباط", "كانون", "الثاني", "/", "2024", "٢٠٢٥", "من", "عام", "العام", "شهر", "أول",
    "الليلة", "في", "،", ".", "-", "15/3/2025", "مقتل", "يوما", "الحاجة",
]  # fmt: skip


@given(
    st.lists(st.sampled_from(WORDS), max_size=12),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
)
def test_any_text_gives_consistent_mentions(words: list[str], published: date) -> None:
    text = " ".join(words)
    previous_end = 0
    for mention in find_dates(text, published):
        assert text[mention.start : mention.end] == mention.text
        assert mention.start >= previous_end  # in order, never overlapping
        assert mention.precision in (1, 2, 3)
        if not re.search(r"\d{4}", mention.text):  # an explicit year may be any year
            assert mention.date <= published
        previous_end = mention.end


def test_without_a_publication_date_only_dates_that_name_their_year_resolve():
    text = "قصفت الطائرات البلدة أمس، بعد هجوم في 15 آذار 2025 وآخر يوم 2/3/2025 وثالث في 9 شباط."
    found = {m.text: m.date for m in find_dates(text, None)}
    assert found == {
        "أمس": None,
        "15 آذار 2025": date(2025, 3, 15),
        "2/3/2025": date(2025, 3, 2),
        "9 شباط": None,  # which year depends on the publication date
    }
    assert [m.date for m in find_dates("الأسبوع الماضي ومطلع الشهر الجاري", None)] == [None, None]
