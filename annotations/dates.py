"""Resolve Arabic date expressions in news reports against the publication date.

Dates are coded the ACLED way: one day plus a time precision (1 the exact day, 2 a week
or a part of a month, 3 a month). Choices made where the text is vague:

* Past tense is assumed: an expression resolves to a day on or before publication, and a
  mid-point that would fall after publication is capped at the publication day.
* "يوم الخميس" is the most recent Thursday on or before publication (the same day if the
  report is dated Thursday). "الخميس الماضي/المنصرم" is strictly before: 1-7 days back.
  "الخميس المقبل/القادم" is a future plan, not an event, and is not returned.
* Weeks run Sunday to Saturday, as in most Arab countries. "الأسبوع الماضي" codes the
  Wednesday (mid-point) of the previous week, precision 2; "مطلع" a week codes its Monday
  and "نهاية/أواخر" its Friday. The weekend ("نهاية الأسبوع", "عطلة نهاية الأسبوع") is
  Friday-Saturday and codes the Friday: the most recent one on or before publication, or
  the previous week's with "الماضي".
* A whole month ("الشهر الماضي", "شهر آذار") codes the 15th, precision 3. A part of a
  month is precision 2: "مطلع/بداية" the 5th, "منتصف" the 15th, "أواخر/نهاية" the 25th.
* "الليلة الماضية" and "ليل أمس" are the day before publication; "الليلة" is publication day.
* "قبل N أيام" is exact (precision 1); "قبل أسبوع/أسبوعين" is precision 2.
* A day and month without a year is the most recent such date not after publication; a
  month name alone is only read as a date with "شهر", a part word, a year or "الماضي",
  because مارس ("practised") and آب/أب ("father") are ordinary words too.
* Numeric dates are day-first (15/3/2025) unless the year comes first (2025/03/15).
* Without a publication date (`published` None) only an expression that names its year
  ("15 آذار 2025", "15/3/2025") is resolved; any other ("أمس", "يوم الخميس الماضي",
  "15 آذار") is still found, with date None, rather than read against a guessed day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from annotations.text import Token, match_key, proclitic_splits, strip_proclitics, tokenize

__all__ = ["DateMention", "dateline", "find_dates", "resolve"]

EXACT, WEEK, MONTH = 1, 2, 3  # ACLED time_precision


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    date: dt.date | None  # None: relative, and the publication date is unknown
    precision: int
    text: str


# --- Lexicon (match keys: أ إ آ -> ا, ى -> ي, ة -> ه) --------------------------------------

WEEKDAYS = {  # Python's weekday(): Monday is 0
    "الاثنين": 0,
    "الثلاثاء": 1,
    "الاربعاء": 2,
    "الخميس": 3,
    "الجمعه": 4,
    "السبت": 5,
    "الاحد": 6,
}
PAST = frozenset(
    "الماضي الماضيه المنصرم المنصرمه الفائت الفائته المنقضي المنقضيه السابق السابقه".split()
)
FUTURE = frozenset("المقبل المقبله القادم القادمه".split())
CURRENT = frozenset("الجاري الجاريه الحالي الحاليه".split())

MONTHS: dict[tuple[str, ...], int] = {
    # Levantine and Iraqi (Syriac) names
    ("كانون", "الثاني"): 1,
    ("شباط",): 2,
    ("اذار",): 3,
    ("نيسان",): 4,
    ("ايار",): 5,
    ("حزيران",): 6,
    ("تموز",): 7,
    ("اب",): 8,
    ("ايلول",): 9,
    ("تشرين", "الاول"): 10,
    ("تشرين", "الثاني"): 11,
    ("كانون", "الاول"): 12,
    # Egyptian and Gulf names, with the Maghrebi ones the wires also carry
    ("يناير",): 1,
    ("جانفي",): 1,
    ("فبراير",): 2,
    ("فيفري",): 2,
    ("مارس",): 3,
    ("ابريل",): 4,
    ("افريل",): 4,
    ("مايو",): 5,
    ("ماي",): 5,
    ("يونيو",): 6,
    ("يونيه",): 6,
    ("جوان",): 6,
    ("يوليو",): 7,
    ("يوليه",): 7,
    ("جويليه",): 7,
    ("اغسطس",): 8,
    ("اوت",): 8,
    ("سبتمبر",): 9,
    ("اكتوبر",): 10,
    ("نوفمبر",): 11,
    ("ديسمبر",): 12,
}

# Days back from publication for "today / yesterday" phrases.
_DAY_NOUNS = {"اليوم": 0, "امس": 1, "الامس": 1, "البارحه": 1}
_DAY_PARTS = ("صباح", "مساء", "ظهر", "ظهيره", "عصر", "فجر", "ليل", "ليله", "يوم")
RELATIVE_DAYS: dict[tuple[str, ...], int] = {
    **{(noun,): back for noun, back in _DAY_NOUNS.items()},
    **{(part, noun): back for part in _DAY_PARTS for noun, back in _DAY_NOUNS.items()},
    ("الليله",): 0,
    ("الليله", "الماضيه"): 1,
    ("اول", "امس"): 2,
    ("اول", "الامس"): 2,
    ("اول", "من", "امس"): 2,
    ("امس", "الاول"): 2,
}
del RELATIVE_DAYS[("يوم", "اليوم")]
# "اليوم التالي" is "the next day", "اليوم العالمي" a world day: not today.
_NOT_TODAY = frozenset(
    "التالي السابق الاول الثاني الثالث الرابع الخامس الاخير العالمي الوطني الدولي".split()
)
# "بأمس الحاجة" is "in dire need".
_NOT_YESTERDAY = frozenset(["الحاجه"])

NUMBER_WORDS = {
    "ثلاثه": 3,
    "ثلاث": 3,
    "اربعه": 4,
    "اربع": 4,
    "خمسه": 5,
    "خمس": 5,
    "سته": 6,
    "ست": 6,
    "سبعه": 7,
    "سبع": 7,
    "ثمانيه": 8,
    "ثماني": 8,
    "تسعه": 9,
    "تسع": 9,
    "عشره": 10,
    "عشر": 10,
}
_AGO = frozenset(["قبل", "منذ"])
# (days, precision) for "قبل يومين" and the like, and per counted unit.
_AGO_SINGLE = {"يوم": (1, EXACT), "يومين": (2, EXACT), "اسبوع": (7, WEEK), "اسبوعين": (14, WEEK)}
_AGO_UNITS = {"ايام": (1, EXACT), "يوما": (1, EXACT), "اسابيع": (7, WEEK), "اسبوعا": (7, WEEK)}

# Parts of a week (days after Sunday) and of a month (day coded).
_WEEK_PARTS = {"مطلع": 1, "بدايه": 1, "اوائل": 1, "مستهل": 1, "منتصف": 3, "اواسط": 3}
_WEEK_PARTS |= dict.fromkeys(["نهايه", "اواخر", "اخر", "ختام", "عطله"], 5)
_MONTH_PARTS = dict.fromkeys(["مطلع", "بدايه", "اوائل", "مستهل", "اول", "بدء"], 5)
_MONTH_PARTS |= dict.fromkeys(["منتصف", "اواسط"], 15)
_MONTH_PARTS |= dict.fromkeys(["اواخر", "نهايه", "اخر", "ختام"], 25)

_DAY_RE = re.compile(r"(?:ال)?(\d{1,2})")  # "15", "١٥", "الـ15" (key: ال15)
_YEAR_RE = re.compile(r"(\d{4})م?")  # "2025", "2025م"
_NUMERIC_RE = re.compile(
    r"(?<![\d/.\-])"
    r"(?:(?P<y1>\d{4})(?P<s1>[/.\-])(?P<m1>\d{1,2})(?P=s1)(?P<d1>\d{1,2})"
    r"|(?P<d2>\d{1,2})(?P<s2>[/.\-])(?P<m2>\d{1,2})(?P=s2)(?P<y2>\d{4}))"
    r"(?!\d|[/.\-]\d)"
)


# --- Calendar arithmetic -------------------------------------------------------------------


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _latest(month: int, day: int, published: dt.date) -> dt.date | None:
    """The most recent `day` of `month` on or before publication (29 Feb: a leap year)."""
    for year in range(published.year, published.year - 9, -1):
        found = _safe_date(year, month, day)
        if found and found <= published:
            return found
    return None


def _month_start(published: dt.date, back: int) -> dt.date:
    index = published.year * 12 + published.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _sunday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def _capped(day: dt.date, published: dt.date) -> dt.date:
    return min(day, published)


# --- Patterns ------------------------------------------------------------------------------


class _Keys:
    """Token keys, where the token starting a candidate match may have lost its proclitics."""

    def __init__(self, keys: list[str], first: int, stem: str) -> None:
        self.keys, self.first, self.stem = keys, first, stem

    def __getitem__(self, j: int) -> str:
        if j == self.first:
            return self.stem
        return self.keys[j] if 0 <= j < len(self.keys) else ""


# A pattern reads keys from token i on and returns (end token, date, precision).
Found = tuple[int, dt.date, int]
Pattern = Callable[[_Keys, int, dt.date], Found | None]


def _relative_day(keys: _Keys, i: int, published: dt.date) -> Found | None:
    for length in (3, 2, 1):
        phrase = tuple(keys[i + n] for n in range(length))
        back = RELATIVE_DAYS.get(phrase)
        if back is None:
            continue
        end = i + length
        if (phrase[-1] == "اليوم" and keys[end] in _NOT_TODAY) or keys[end] in _NOT_YESTERDAY:
            return None
        if keys[end] in WEEKDAYS:  # "أمس الأحد": the weekday only confirms
            end += 1
        return end, published - dt.timedelta(days=back), EXACT
    return None


def _number(key: str) -> int | None:
    if key.isdecimal():
        return int(key)
    return NUMBER_WORDS.get(key)


def _ago(keys: _Keys, i: int, published: dt.date) -> Found | None:
    if keys[i] not in _AGO:
        return None
    if keys[i + 1] in _AGO_SINGLE:
        days, precision = _AGO_SINGLE[keys[i + 1]]
        return i + 2, published - dt.timedelta(days=days), precision
    count = _number(keys[i + 1])
    if count is None or keys[i + 2] not in _AGO_UNITS or count > 400:
        return None
    days, precision = _AGO_UNITS[keys[i + 2]]
    return i + 3, published - dt.timedelta(days=count * days), precision


def _weekday(keys: _Keys, i: int, published: dt.date) -> Found | None:
    j = i + 1 if keys[i] == "يوم" else i
    if keys[j] not in WEEKDAYS or keys[j + 1] in FUTURE:
        return None
    back = (published.weekday() - WEEKDAYS[keys[j]]) % 7
    if keys[j + 1] in PAST:
        return j + 2, published - dt.timedelta(days=back or 7), EXACT
    return j + 1, published - dt.timedelta(days=back), EXACT


def _week(keys: _Keys, i: int, published: dt.date) -> Found | None:
    j, part = i, 3  # the whole week codes its Wednesday
    if keys[j] in _WEEK_PARTS:
        part = _WEEK_PARTS[keys[j]]
        j += 1
        if keys[j] == "نهايه":  # "عطلة نهاية الأسبوع"
            j += 1
    if keys[j] == "هذا" and keys[j + 1] == "الاسبوع":
        j, back = j + 2, 0
    elif keys[j] == "الاسبوع" and keys[j + 1] in PAST:
        j, back = j + 2, 7
    elif keys[j] == "الاسبوع" and keys[j + 1] in CURRENT:
        j, back = j + 2, 0
    elif keys[j] == "الاسبوع" and part != 3:  # "مطلع الأسبوع", "نهاية الأسبوع"
        j, back = j + 1, 0
    else:
        return None
    day = _sunday(published) + dt.timedelta(days=part - back)
    if part == 5 and back == 0 and day > published:  # the most recent weekend instead
        day -= dt.timedelta(days=7)
    return j, _capped(day, published), WEEK


def _month_part(keys: _Keys, i: int) -> tuple[int, int, int]:
    """(next token, day coded, precision) for an optional "مطلع"/"منتصف"/"أواخر"."""
    if keys[i] in _MONTH_PARTS:
        return i + 1, _MONTH_PARTS[keys[i]], WEEK
    return i, 15, MONTH


def _relative_month(keys: _Keys, i: int, published: dt.date) -> Found | None:
    j, day, precision = _month_part(keys, i)
    if keys[j] == "هذا" and keys[j + 1] == "الشهر":
        j, back = j + 2, 0
    elif keys[j] in ("الشهر", "شهر") and keys[j + 1] in PAST:
        j, back = j + 2, 1
    elif keys[j] in ("الشهر", "شهر") and keys[j + 1] in CURRENT:
        j, back = j + 2, 0
    elif keys[j] == "الشهر" and j > i:  # "مطلع الشهر": the current month
        j, back = j + 1, 0
    else:
        return None
    start = _month_start(published, back)
    return j, _capped(start.replace(day=day), published), precision


def _month_name(keys: _Keys, i: int) -> tuple[int, int] | None:
    """(month, next token) for a month name, with "آذار/مارس" or "آذار (مارس)" variants."""
    for length in (2, 1):
        month = MONTHS.get(tuple(keys[i + n] for n in range(length)))
        if month is not None:
            j = i + length
            for opener, closer in (("/", None), ("(", ")")):
                if keys[j] == opener:
                    alt = _month_name(keys, j + 1)
                    if alt and (closer is None or keys[alt[1]] == closer):
                        j = alt[1] + (closer is not None)
            return month, j
    return None


def _year(keys: _Keys, i: int, published: dt.date) -> tuple[int, int] | None:
    """(year, next token) for "2025", "عام 2025", "من العام الماضي" and the like."""
    j = i + 1 if keys[i] == "من" else i
    if keys[j] in ("عام", "العام", "سنه", "السنه"):
        if keys[j + 1] in PAST:
            return published.year - 1, j + 2
        if keys[j + 1] in CURRENT:
            return published.year, j + 2
        j += 1
    match = _YEAR_RE.fullmatch(keys[j])
    if match and 1900 <= int(match[1]) <= 2200:
        return int(match[1]), j + 1
    return None


def _absolute(keys: _Keys, i: int, published: dt.date) -> Found | None:
    j = i + 1 if keys[i] == "يوم" else i
    j += keys[j] in WEEKDAYS  # "الثلاثاء 14 كانون الثاني": the weekday only confirms
    day = _DAY_RE.fullmatch(keys[j])
    if not day:
        return None
    j += 1
    j += keys[j] == "من"
    j += keys[j] == "شهر"
    named = _month_name(keys, j)
    if named is None:
        return None
    month, j = named
    year = _year(keys, j, published)
    if year is None:
        found = _latest(month, int(day[1]), published)
    else:
        found = _safe_date(year[0], month, int(day[1]))
        j = year[1]
    return (j, found, EXACT) if found else None


def _named_month(keys: _Keys, i: int, published: dt.date) -> Found | None:
    j, day, precision = _month_part(keys, i)
    if j == i and _DAY_RE.fullmatch(keys[i - 1]):
        return None  # "31 نيسان 2025" is an invalid day, not the month of April
    has_word = keys[j] == "شهر"
    named = _month_name(keys, j + has_word)
    if named is None:
        return None
    month, j = named
    year = _year(keys, j, published)
    past = year is None and keys[j] in PAST
    if not (year or past or has_word or precision == WEEK or j - i > 2):
        return None  # a bare مارس or آب is too often an ordinary word
    if year:
        return year[1], dt.date(year[0], month, day), precision
    found = _latest(month, 1, published)
    if found and past and (found.year, found.month) == (published.year, published.month):
        found = found.replace(year=found.year - 1)
    return j + past, _capped(found.replace(day=day), published), precision


PATTERNS: tuple[Pattern, ...] = (
    _relative_day,
    _ago,
    _weekday,
    _week,
    _relative_month,
    _absolute,
    _named_month,
)


# --- Search --------------------------------------------------------------------------------


def _best_at(
    text: str, tokens: list[Token], keys: list[str], i: int, published: dt.date
) -> DateMention | None:
    """The longest expression starting at token i, read with or without its proclitics."""
    best: tuple[int, int, dt.date, int] | None = None
    token = tokens[i]
    for offset in (0, *proclitic_splits(token.text)):
        view = _Keys(keys, i, match_key(token.text[offset:]))
        for pattern in PATTERNS:
            found = pattern(view, i, published)
            if found and (best is None or found[0] > best[0]):
                best = (found[0], token.start + offset, found[1], found[2])
    if best is None:
        return None
    end_token, start, day, precision = best
    end = tokens[end_token - 1].end
    return DateMention(start, end, day, precision, text[start:end])


def _numeric(text: str, published: dt.date) -> list[DateMention]:
    mentions = []
    for m in _NUMERIC_RE.finditer(text):
        if m["y1"]:
            found = _safe_date(int(m["y1"]), int(m["m1"]), int(m["d1"]))
        else:
            found = _safe_date(int(m["y2"]), int(m["m2"]), int(m["d2"]))
        if found:
            mentions.append(DateMention(m.start(), m.end(), found, EXACT, m[0]))
    return mentions


# Every word-based expression contains one of these words (or a digit): a sentence
# without any is not read token by token, which keeps pre-coding a long article fast.
_HINTS = frozenset(
    {*_DAY_NOUNS, *_DAY_PARTS, *_AGO, *_WEEK_PARTS, *_MONTH_PARTS, *NUMBER_WORDS}
    | {w for day in WEEKDAYS for w in (day, day.removeprefix("ال"))}
    | {w for names in MONTHS for w in names}
    | {"الاسبوع", "اسبوع", "الشهر", "شهر", "نهايه", "عطله", "الليله", "ليله"}
)


def _may_hold_a_date(text: str, keys: list[str]) -> bool:
    if any(c.isdigit() for c in text):
        return True
    return any(stem in _HINTS for key in keys for stem in strip_proclitics(key))


# Two publication days centuries apart: an expression that resolves to the same day
# against both names its own year and does not depend on the publication date.
_ANCHORS = (dt.date(1950, 6, 15), dt.date(2150, 6, 15))


def _unanchored(text: str) -> list[DateMention]:
    return [
        m if _names_its_year(m) else replace(m, date=None) for m in find_dates(text, _ANCHORS[1])
    ]


def _names_its_year(mention: DateMention) -> bool:
    again = find_dates(mention.text, _ANCHORS[0])
    return bool(again) and again[0].date == mention.date


def find_dates(text: str, published: dt.date | None) -> list[DateMention]:
    """Every date expression in `text`, resolved against `published`, in text order; with
    no publication date, relative expressions come back with date None."""
    if published is None:
        return _unanchored(text)
    mentions = _numeric(text, published)
    numeric = [(m.start, m.end) for m in mentions]
    tokens = tokenize(text)
    keys = [match_key(t.text) for t in tokens]
    if not _may_hold_a_date(text, keys):
        return mentions
    i = 0
    while i < len(tokens):
        mention = _best_at(text, tokens, keys, i, published)
        if mention is None or any(a < mention.end and mention.start < b for a, b in numeric):
            i += 1
            continue
        mentions.append(mention)
        while i < len(tokens) and tokens[i].start < mention.end:
            i += 1
    return sorted(mentions, key=lambda m: m.start)


def resolve(expression: str, published: dt.date) -> tuple[dt.date, int] | None:
    """(date, precision) of the first date expression in `expression`, if any."""
    mentions = find_dates(expression, published)
    return (mentions[0].date, mentions[0].precision) if mentions else None


# A dateline is a short line near the top ("الرقة – نشرة نيوزديسك – 12 آذار/مارس 2025"): only
# the first few lines are read, and none after the first long one (the story has begun), so a
# date in the story is never taken for it.
DATELINE_LINES = 4
DATELINE_LENGTH = 160


def dateline(body: str, today: dt.date | None = None) -> dt.date | None:
    """The publication day a report's dateline gives, when it names its year; else None.

    Only an exact day that names its own year counts ("12 آذار/مارس 2025", "2025/03/12"),
    and never one after `today`: a dateline is the day the report was filed."""
    today = today or dt.date.today()
    lines = [line.strip() for line in body.split("\n") if line.strip()][:DATELINE_LINES]
    for line in lines:
        if len(line) > DATELINE_LENGTH:
            return None
        for mention in find_dates(line, None):
            if mention.date is not None and mention.precision == EXACT and mention.date <= today:
                return mention.date
    return None
