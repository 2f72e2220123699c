"""Fatality counts tied to death words in Arabic news reports.

A count is only taken when the number is syntactically tied to a death word: right after
it ("مقتل 3 أشخاص", "قتل الجيش 5 مسلحين", at most two words between and no punctuation,
preposition or injury word), right before a death noun ("10 قتلى", "أكثر من 20 قتيلا"),
between لقي and حتفهم/مصرعهم, or after a toll ("ارتفاع حصيلة القتلى إلى 15"). Injuries
(جرحى، إصابة، جريح) are never counted: "مقتل 3 وإصابة 10" gives 3, and "مقتل وإصابة 10"
gives nothing, since the 10 mixes the dead and the wounded. A death word without any
quantity ("سقوط قتلى") gives nothing either.

Each result carries the best estimate `count` and the bounds the wording allows:

* exact "مقتل 3": count = low = high = 3, estimate False.
* "نحو/قرابة/حوالي/زهاء 50": count 50, no bounds, estimate True.
* "أكثر من 20": low 21, count 21 (the most conservative reading, ACLED's rule), no high.
* "ما لا يقل عن 20" and "20 ... على الأقل": low = count = 20, no high.
* "بين 10 و15" and "10 إلى 15": low 10, high 15, count 10 (conservative).
* vague quantities, count = low (conservative): بضعة/بضع 3-9, عشرات 20-99 (Arabic
  عشرات is "tens", at least two of them), مئات 200-999, آلاف 2000 and up.
* singular and dual nouns count 1 and 2: "مقتل طفل", "مقتل شخصين", "قتيلان", "لقيا
  حتفهما". An unvocalized sound plural/dual ("مدنيين") is read as plural; the dual
  is only recognized when vocalized ("مدنيَّين") or for nouns with a broken plural.
* explicit denials ("دون وقوع إصابات", "لم يسفر عن قتلى", "دون خسائر بشرية") give a
  count of 0 (low = high = 0): إصابات there means casualties of any kind, so no deaths.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass

from annotations.text import Token, match_key, proclitic_splits, strip_proclitics, tokenize

__all__ = ["Fatalities", "find_fatalities"]


@dataclass(frozen=True)
class Fatalities:
    start: int
    end: int
    count: int | None
    low: int | None
    high: int | None
    estimate: bool
    text: str


# --- Lexicon (match keys: أ إ آ -> ا, ى -> ي, ة -> ه) --------------------------------------

# Death words followed by their count ("مقتل 3"), and those preceded by it ("3 قتلى").
DEATH_BEFORE_COUNT = frozenset(
    "قتل قتلت قتلوا مقتل استشهاد استشهد استشهدت استشهدوا وفاه توفي توفيت مصرع قضي قضوا".split()
)
DEATH_AFTER_COUNT = frozenset("قتلي قتيلا قتيل شهداء شهيدا شهيد ضحيه".split())
DEATH_DUALS = frozenset("قتيلان قتيلين شهيدان شهيدين".split())
# لقي حتفه / مصرعه: the suffix gives the number when no count is written.
FATE_WORDS = ("حتف", "مصرع", "نحب")
FATE_SUFFIXES = {"ه": 1, "ها": 1, "هما": 2, "هم": None, "هن": None}
TOLL_HEADS = frozenset(["حصيله", "عدد"])
TOLL_NOUNS = frozenset("القتلي قتلي الشهداء شهداء الضحايا ضحايا الوفيات وفيات".split())
# Words allowed between a toll and its number: "ارتفعت حصيلة القتلى لتصل إلى 15".
TOLL_FILLERS = frozenset("الي بلغت بلغ لتصل ليصل لتبلغ ليبلغ وصلت وصل".split())
# قضى also means "spent" (قضى ثلاث سنوات): only a death word with نحب or a person noun.
WEAK_DEATH = frozenset(["قضي", "قضوا"])

INJURY = frozenset(
    "اصابه اصابات جرحي جريح جريحا جرح اصيب اصيبت اصيبوا مصاب مصابين مصابا اصابتهم".split()
)
# Words across which a number no longer belongs to the death word.
STOPS = frozenset(
    "في منذ خلال عام يوم بعد قبل مع الي علي عن عند عندما اثر جراء اثناء حيث بينما كما وفق "
    "بحسب حسب بسبب لكن الا ثم".split()
)
UNITS = frozenset(
    "عام اعوام عاما سنه سنوات سنه شهر اشهر شهرا يوم ايام يوما ساعه ساعات دقيقه دقائق "
    "كم كيلومتر كيلومترا كيلومترات متر مترا امتار دولار دولارا بالمئه بالمائه % ٪".split()
)

UNIT_WORDS = {
    **dict.fromkeys(["واحد", "واحده", "واحدا", "احد", "احدي"], 1),
    **dict.fromkeys(["اثنان", "اثنين", "اثنتان", "اثنتين", "اثنا", "اثني", "اثنتا"], 2),
    **dict.fromkeys(["ثلاثه", "ثلاث"], 3),
    **dict.fromkeys(["اربعه", "اربع"], 4),
    **dict.fromkeys(["خمسه", "خمس"], 5),
    **dict.fromkeys(["سته", "ست"], 6),
    **dict.fromkeys(["سبعه", "سبع"], 7),
    **dict.fromkeys(["ثمانيه", "ثماني", "ثمان"], 8),
    **dict.fromkeys(["تسعه", "تسع"], 9),
    **dict.fromkeys(["عشره", "عشر"], 10),
}
_TENS = ["عشر", "ثلاث", "اربع", "خمس", "ست", "سبع", "ثمان", "تسع"]
TENS_WORDS = {
    **{stem + end: 10 * (n + 2) for n, stem in enumerate(_TENS) for end in ("ون", "ين")},
    "ثمانون": 80,
    "ثمانين": 80,
}
BIG_WORDS = {
    **dict.fromkeys(["مئه", "مائه"], 100),
    **dict.fromkeys(["مئتان", "مئتين", "مائتان", "مائتين"], 200),
    **dict.fromkeys(["الف"], 1000),
    **dict.fromkeys(["الفان", "الفين"], 2000),
    **{
        stem + hundred: UNIT_WORDS[stem] * 100
        for stem in ("ثلاث", "اربع", "خمس", "ست", "سبع", "ثماني", "ثمان", "تسع")
        for hundred in ("مئه", "مائه")
    },
}
MULTIPLIERS = {"مئه": 100, "مائه": 100, "الاف": 1000, "الف": 1000}
# Vague quantities: (low, high); the count is the low bound.
VAGUE = {
    **dict.fromkeys(["بضعه", "بضع"], (3, 9)),
    **dict.fromkeys(["عشرات", "العشرات"], (20, 99)),
    **dict.fromkeys(["مئات", "المئات"], (200, 999)),
    **dict.fromkeys(["الاف", "الالاف"], (2000, None)),
}

QUALIFIERS: dict[tuple[str, ...], str] = {
    **dict.fromkeys([("اكثر", "من"), ("ازيد", "من"), ("يزيد", "عن"), ("يزيد", "علي")], "more"),
    **dict.fromkeys([("ما", "يزيد", "عن"), ("ما", "يزيد", "علي"), ("ما", "يربو", "علي")], "more"),
    **dict.fromkeys([("نحو",), ("قرابه",), ("حوالي",), ("زهاء",), ("ما", "يقارب")], "about"),
    **dict.fromkeys([("ما", "يقرب", "من"), ("نحو", "من"), ("قرابه", "من")], "about"),
    **dict.fromkeys([("ما", "لا", "يقل", "عن"), ("لا", "يقل", "عن")], "atleast"),
    **dict.fromkeys([("اقل", "من"), ("ما", "دون")], "less"),
    **dict.fromkeys([("بين",), ("ما", "بين")], "between"),
}

# Person nouns counted after a number: singular key -> broken plurals. A noun whose only
# plural is broken has an unambiguous dual in -ين; one with a sound plural does not.
_BROKEN = {
    "شخص": "اشخاص",
    "طفل": "اطفال",
    "طفله": "طفلات",
    "امراه": "نساء",
    "سيده": "سيدات",
    "رجل": "رجال",
    "جندي": "جنود",
    "عنصر": "عناصر",
    "شرطي": "شرطه",
    "ضابط": "ضباط",
    "شاب": "شبان شباب",
    "صبي": "صبيه",
    "فتاه": "فتيات",
    "طبيب": "اطباء",
    "شقيق": "اشقاء",
    "حارس": "حراس",
    "قائد": "قاده",
    "اسير": "اسري",
    "عضو": "اعضاء",
}
_SOUND = (
    "مدني عسكري مسلح مقاتل مواطن فلسطيني سوري عراقي يمني لبناني اسرائيلي سوداني ليبي مصري "
    "صحفي مسعف عامل مزارع مهاجر لاجئ نازح مستوطن متظاهر محتج معتقل مسن مجند ارهابي متمرد "
    "موظف مدنيه"
).split()


def _dual_base(stem: str) -> str:
    return stem[:-1] + "ت" if stem.endswith("ه") else stem


SINGULAR = frozenset([*_BROKEN, *_SOUND]) | {s + "ا" for s in [*_BROKEN, *_SOUND]}
DUAL = frozenset(
    {_dual_base(s) + "ان" for s in [*_BROKEN, *_SOUND]} | {_dual_base(s) + "ين" for s in _BROKEN}
)
COUNTED = (
    SINGULAR
    | DUAL
    | {p for plurals in _BROKEN.values() for p in plurals.split()}
    | {s + end for s in _SOUND for end in ("ين", "ون")}
    | DEATH_AFTER_COUNT
    | {"اخرين", "اخرون", "اخر", "ضحايا", "قتلي", "شهداء"}
)
# A vocalized dual in -ayn (مدنيَّين): fatha before the final ي, whatever marks follow.
_VOCALIZED_DUAL_RE = re.compile("\u064e[\u064e\u0651]*\u064a[\u0652]?\u0646[\u0650]?$")
_NEGATIONS = {("دون",): 1, ("بدون",): 1, ("دونما",): 1, ("من", "دون"): 2, ("لم",): 1}
_NEGATIONS |= {("لا",): 1, ("عدم",): 1}
# "سقوط 10 قتلى", "وقوع قتيل": part of the evidence phrase.
_FALLING = frozenset(["سقوط", "وقوع", "ارتقاء"])
_FATE_VERBS = frozenset("لقي لقيا لقوا لقيت لقيتا قضي قضيا قضوا قضت".split())
CASUALTIES = frozenset("قتلي اصابات ضحايا وفيات قتيل خسائر".split())
_NOT_DENIAL = frozenset("حصيله عدد حجم ماديه".split())


# --- Token helpers -------------------------------------------------------------------------


class _Text:
    """Tokens and keys of one text, with proclitic-stripped readings on demand."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = tokenize(text)
        self.keys = [match_key(t.text) for t in self.tokens]

    def key(self, j: int) -> str:
        return self.keys[j] if 0 <= j < len(self.keys) else ""

    def stems(self, j: int) -> list[str]:
        return strip_proclitics(self.key(j))

    def is_any(self, j: int, words: Container[str]) -> bool:
        return any(s in words for s in self.stems(j))

    def is_word(self, j: int) -> bool:
        key = self.key(j)
        return bool(key) and key[0].isalnum()

    def adjacent(self, j: int) -> bool:
        """Whether token j+1 follows token j with no space between."""
        return j + 1 < len(self.tokens) and self.tokens[j].end == self.tokens[j + 1].start


@dataclass(frozen=True)
class _Count:
    start: int  # token range
    end: int
    count: int | None
    low: int | None
    high: int | None
    estimate: bool


# --- Numbers -------------------------------------------------------------------------------


def _digits(t: _Text, j: int) -> tuple[int, int] | None:
    """(value, end) for "15", "١٥", "1,200", "١٬٢٠٠"."""
    if not t.key(j).isdecimal():
        return None
    value, end = t.key(j), j + 1
    # Thousands groups: tokenize splits "1,200" into 1 | , | 200 with no spaces between.
    while (
        t.key(end) in (",", "٬")
        and t.adjacent(end - 1)
        and t.adjacent(end)
        and len(t.key(end + 1)) == 3
        and t.key(end + 1).isdecimal()
    ):
        value += t.key(end + 1)
        end += 2
    return int(value), end


def _word_term(key: str) -> int | None:
    for table in (UNIT_WORDS, TENS_WORDS, BIG_WORDS):
        if key in table:
            return table[key]
    return None


def _words(t: _Text, j: int, first: str | None = None) -> tuple[int, int] | None:
    """(value, end) for number words: "ثلاثة", "خمسة وعشرون", "أحد عشر", "ثلاثة آلاف"."""
    value = _word_term(first if first is not None else t.key(j))
    if value is None:
        return None
    end = j + 1
    if value < 10 and t.key(end) in ("عشر", "عشره"):  # teens
        value, end = value + 10, end + 1
    if value < 100 and t.key(end) in MULTIPLIERS:  # ثلاث مئة, ثلاثة آلاف
        value, end = value * MULTIPLIERS[t.key(end)], end + 1
    key = t.key(end)
    if key.startswith("و") and (more := _word_term(key[1:])) is not None and more < value:
        value, end = value + more, end + 1  # مئة وخمسون
    elif key.startswith("و") and (more := _word_term(key[1:])) and value < 10 <= more < 100:
        value, end = value + more, end + 1  # خمسة وعشرون
    return value, end


def _number(t: _Text, j: int, first: str | None = None) -> tuple[int, int] | None:
    if first is not None and first.isdecimal():
        return int(first), j + 1
    return _digits(t, j) if first is None and t.key(j).isdecimal() else _words(t, j, first)


def _second(t: _Text, j: int) -> tuple[int, int] | None:
    """The upper end of "بين 10 و15", "بين 10 و 15", "10 إلى 15", "10-15"."""
    if t.key(j) in ("و", "الي", "-", "حتي"):
        return _number(t, j + 1)
    if t.key(j).startswith("و"):
        return _number(t, j, first=t.key(j)[1:])
    return None


def _quantity(t: _Text, j: int) -> _Count | None:
    """A number with its qualifier starting at token j."""
    kind, k = "exact", j
    for phrase, qualifier in QUALIFIERS.items():
        if tuple(t.key(j + n) for n in range(len(phrase))) == phrase:
            if len(phrase) > k - j:
                kind, k = qualifier, j + len(phrase)
    if t.key(k) in VAGUE:
        low, high = VAGUE[t.key(k)]
        if t.key(k + 1) in ("الاف", "الالاف") and high and high < 1000:
            return _Count(j, k + 2, low * 1000, low * 1000, high * 1000, True)
        return _Count(j, k + 1, low, low, high, True)
    found = _number(t, k)
    if found is None:
        return None
    value, end = found
    if kind == "exact" and (upper := _second(t, end)) and upper[0] > value:
        return _Count(j, upper[1], value, value, upper[0], True)
    if kind == "between":
        upper = _second(t, end)
        if upper is None:
            return None
        return _Count(j, upper[1], value, value, upper[0], True)
    if t.key(end) == "علي" and t.key(end + 1) == "الاقل":
        return _Count(j, end + 2, value, value, None, True)
    return _qualified(j, end, value, kind)


def _qualified(start: int, end: int, value: int, kind: str) -> _Count:
    if kind == "more":
        return _Count(start, end, value + 1, value + 1, None, True)
    if kind == "about":
        return _Count(start, end, value, None, None, True)
    if kind == "atleast":
        return _Count(start, end, value, value, None, True)
    if kind == "less":
        return _Count(start, end, None, None, value - 1, True)
    return _Count(start, end, value, value, value, False)


def _noun_after(t: _Text, q: _Count) -> _Count | None:
    """Extend a count over its counted noun; None if it counts years, km, dollars..."""
    end = q.end
    if t.is_any(end, UNITS) or (t.key(end) == "في" and t.key(end + 1) in ("المئه", "المائه")):
        return None
    if t.key(end) == "من" and t.is_any(end + 1, COUNTED):  # "خمسة من الجنود"
        end += 2
    elif t.is_any(end, COUNTED):
        end += 1
    if t.key(end) == "علي" and t.key(end + 1) == "الاقل":  # "20 شخصا على الأقل"
        return _Count(q.start, end + 2, q.count, q.count, None, True)
    return _Count(q.start, end, q.count, q.low, q.high, q.estimate)


def _is_year(t: _Text, q: _Count) -> bool:
    key = t.key(q.start)
    return q.end == q.start + 1 and len(key) == 4 and key.isdecimal() and 1900 <= int(key) <= 2100


def _person(t: _Text, j: int) -> _Count | None:
    """A singular or dual person noun standing for its count: "طفل" 1, "شخصين" 2."""
    if t.is_any(j, DUAL) or (t.is_any(j, COUNTED) and _VOCALIZED_DUAL_RE.search(t.tokens[j].text)):
        end = j + 2 if t.key(j + 1) in UNIT_WORDS and UNIT_WORDS[t.key(j + 1)] == 2 else j + 1
        return _Count(j, end, 2, 2, 2, False)
    if t.is_any(j, SINGULAR):
        return _Count(j, j + 1, 1, 1, 1, False)
    return None


# --- Attachment ----------------------------------------------------------------------------


def _blocks(t: _Text, j: int) -> bool:
    return not t.is_word(j) or t.is_any(j, INJURY) or t.key(j) in STOPS


def _forward(
    t: _Text, j: int, fillers: frozenset[str] = frozenset(), skips: int = 2
) -> _Count | None:
    """The count after a death word ending at token j: "مقتل [الجيش] 5 مسلحين"."""
    k = j
    while skips >= 0:
        if t.key(k) in fillers:  # "حصيلة القتلى [لتصل إلى] 15" costs nothing
            k += 1
            continue
        if _blocks(t, k):
            return None
        q = _quantity(t, k)
        if q is not None:
            counted = _noun_after(t, q)
            # Past a skipped word the number must count a noun: "قتل الجيش 5 مسلحين", but
            # not "مقتل عناصر الفرقة 17".
            skipped = any(t.key(n) not in fillers for n in range(j, k))
            if counted is None or _is_year(t, q) or (skipped and counted.end == q.end):
                return None
            return counted
        if (person := _person(t, k)) is not None:
            return person
        skips, k = skips - 1, k + 1
    return None


def _backward(t: _Text, j: int) -> _Count | None:
    """The count ending right before token j (or before one noun): "أكثر من 20 قتيلا"."""
    for end in (j, j - 1):
        if end < j and not t.is_any(end, COUNTED):
            break
        for start in range(max(0, end - 6), end):
            q = _quantity(t, start)
            if q is not None and q.end == end and not _is_year(t, q):
                return _Count(q.start, j + 1, q.count, q.low, q.high, q.estimate)
        if end < j and (person := _person(t, end)) is not None:
            return _Count(end, j + 1, person.count, person.low, person.high, False)
    return None


def _fate(t: _Text, j: int, stem: str) -> _Count | None:
    """لقي 5 أشخاص حتفهم / لقي طفل مصرعه / لقيا حتفهما / قضى نحبه."""
    suffix = next(stem[len(h) :] for h in FATE_WORDS if stem.startswith(h))
    if suffix not in FATE_SUFFIXES:
        return None
    verbs = [k for k in range(j - 1, max(-1, j - 5), -1) if t.is_any(k, _FATE_VERBS)]
    verb = verbs[0] if verbs else None
    if verb is None:
        return None
    between = _forward(t, verb + 1, skips=3) if verb + 1 < j else None
    if between is not None and between.end <= j + 1:
        return _Count(verb, j + 1, between.count, between.low, between.high, between.estimate)
    count = FATE_SUFFIXES[suffix]
    return _Count(verb, j + 1, count, count, count, False) if count else None


def _at(t: _Text, j: int) -> tuple[int, _Count] | None:
    """(stem offset, count) for a death word at token j."""
    token = t.tokens[j]
    for offset in (0, *proclitic_splits(token.text)):
        stem = match_key(token.text[offset:])
        found = _trigger(t, j, stem)
        if found is not None:
            return offset, found
    return None


def _trigger(t: _Text, j: int, stem: str) -> _Count | None:
    if stem in DEATH_BEFORE_COUNT:
        q = _forward(t, j + 1)
        weak = stem in WEAK_DEATH and (q is None or not t.is_any(q.end - 1, COUNTED))
        return None if weak else q
    if stem in DEATH_DUALS:
        return _backward(t, j) or _Count(j, j + 1, 2, 2, 2, False)
    if stem in DEATH_AFTER_COUNT:
        q = _backward(t, j)
        if q is None and stem in ("قتيل", "شهيد") and t.key(j - 1) in _FALLING:
            return _Count(j - 1, j + 1, 1, 1, 1, False)
        if q is not None and t.key(q.start - 1) in _FALLING:  # "سقوط 10 قتلى"
            return _Count(q.start - 1, q.end, q.count, q.low, q.high, q.estimate)
        return q
    if stem in TOLL_HEADS and t.key(j + 1) in TOLL_NOUNS:
        return _forward(t, j + 2, fillers=TOLL_FILLERS, skips=3)
    if any(stem.startswith(h) for h in FATE_WORDS):
        return _fate(t, j, stem)
    if stem == "بحياه" and t.key(j - 1).startswith("اود"):  # أودى بحياة 5 أشخاص
        q = _forward(t, j + 1)
        return q and _Count(j - 1, q.end, q.count, q.low, q.high, q.estimate)
    return None


def _denial(t: _Text, j: int) -> int | None:
    """End token of "دون وقوع إصابات", "لم يسفر عن قتلى", "دون خسائر بشرية"."""
    for phrase, length in _NEGATIONS.items():
        if tuple(t.key(j + n) for n in range(length)) != phrase:
            continue
        for k in range(j + length, j + length + 5):
            if not t.is_word(k) or t.key(k) in _NOT_DENIAL:
                return None
            if t.is_any(k, CASUALTIES):
                human = t.key(k) != "خسائر" or t.key(k + 1) == "بشريه"
                return (k + 1 + (t.key(k) == "خسائر")) if human else None
    return None


# --- Search --------------------------------------------------------------------------------


def find_fatalities(text: str) -> list[Fatalities]:
    """Fatality counts in `text`, one per number, in text order, never overlapping."""
    t = _Text(text)
    found: list[Fatalities] = []
    taken: list[tuple[int, int]] = []
    for j in range(len(t.tokens)):
        candidate = _candidate(t, j)
        if candidate is None:
            continue
        start, span, q = candidate
        if any(a < span[1] and span[0] < b for a, b in taken):
            continue  # "حصيلة القتلى إلى 15 قتيلا": one number, one result
        taken.append(span)
        found.append(_result(t, start, span[1], q))
    return sorted(found, key=lambda f: f.start)


def _candidate(t: _Text, j: int) -> tuple[int, tuple[int, int], _Count] | None:
    """(start offset, token span, count) for a denial or a death word at token j."""
    if (end := _denial(t, j)) is not None:
        return t.tokens[j].start, (j, end), _Count(j, end, 0, 0, 0, False)
    hit = _at(t, j)
    if hit is None:
        return None
    offset, q = hit
    span = (min(q.start, j), max(q.end, j + 1))
    # The span starts inside the death word when a proclitic was stripped from it.
    start = t.tokens[j].start + offset if span[0] == j else t.tokens[span[0]].start
    return start, span, q


def _result(t: _Text, start: int, end_token: int, q: _Count) -> Fatalities:
    end = t.tokens[end_token - 1].end
    return Fatalities(start, end, q.count, q.low, q.high, q.estimate, t.text[start:end])
