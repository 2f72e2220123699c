"""Gazetteer engine: place names found in the gazetteer, whole tokens only, precision first.

A match is a run of whole tokens whose matching key is an Arabic place name; only the first
token may lose a separable proclitic (وحلب → حلب), and only when that reading is likelier
than the token as a word of its own (كامل is a word, not ك + امل → Amol). A wrong place
costs the annotator more than a missing one, so a match that could be something else
is kept only with evidence:

- the name is an ordinary word in general Arabic text (إطار "framework" is Atar, الباب
  "the door" is al-Bab): `ordinary_word`, from wordfreq's Arabic list;
- the place is a village (population under SMALL_PLACE);
- the name is also a nationality adjective (سورية is Syria and "Syrian").

Evidence is a place word before it (بلدة، قرية، ريف…), a list of places it belongs to
(قرى الخالدية والعامرية وخربة حسون), or, for names that are not very common words, a
candidate in a country the article names or implies. A word after a place word that the
gazetteer lacks in Arabic is tagged too when it is rare as a word; its candidates are the
article's places of that Latin-name skeleton (see gazetteer.rank).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from ..gazetteer import (
    CITY,
    LOCATION_TRIGGERS,
    NISBA_KEYS,
    SMALL_PLACE,
    WORD_ZIPF,
    Candidate,
    NameIndex,
    major,
    name_index,
    ordinary_word,
    place_word,
)
from ..text import Token, likelier_cut, match_key, proclitic_splits, strip_proclitics, zipf
from .base import Suggestion
from .features import NAMES_DIR, _read_list

ARTICLE = "ال"
# An ordinary word this common needs a place word or a list; the article's country is not
# enough (الباب, صور).
VERY_COMMON = 4.5
# Words before a name that make a nationality-adjective form a country (في سورية).
PREPOSITIONS = {match_key(w) for w in "في إلى الى من عن على مع داخل خارج حول نحو عبر".split()}
# Words before a place name that make it part of another name: clubs (ريال مدريد), and with
# the CRF's hand-made lists, organisations' head nouns, people's titles and given names.
CLUB_WORDS = (
    "فريق نادي منتخب ريال دينامو بايرن أولمبيك سسكا ستيوا حسنية أيك إي سي "
    "جامعة شركة صحيفة وكالة بنك مصرف اتحاد"
)
NAME_LISTS = ("person_titles", "given_names")
FUNCTION_WORD = 6.5  # zipf: على (7.2), إلى (6.9); محمد is 6.1


@lru_cache(maxsize=1)
def name_context() -> frozenset[str]:
    words = {match_key(w) for w in CLUB_WORDS.split()}
    for stem in NAME_LISTS:
        words |= {match_key(w) for w in _read_list(NAMES_DIR / f"{stem}.txt") if " " not in w}
    # على and علي share a key: function words this common are no one's name.
    return frozenset(w for w in words if zipf(w) < FUNCTION_WORD)


# A foreign town's name this common in Arabic text is mostly someone's name (بولتون).
ABROAD_ZIPF = 3.5
# The deployment's region: its towns need no other country in the article.
REGION = set(settings.NEWSDESK_GAZETTEER_COUNTRIES)
# Words that join the members of a list of places.
JOINERS = {"،", ",", "و"}
# A rare word after an indefinite town word is a place name the gazetteer lacks (بلدة
# تادف); "المدينة وأسواقها" is not.
RARE_WORD = 2.5
TOWN_TRIGGERS = {
    match_key(w) for w in "مدينة بلدة قرية ناحية مخيم مدن بلدات قرى مخيمات خربة ريف".split()
}
SUFFIXES = ("ها", "هم", "هما", "كم", "نا", "هن")


@dataclass
class Match:
    start: int
    end: int
    first: int  # token positions, end exclusive
    last: int
    key: str
    candidates: list[Candidate]
    cut: bool  # the first token lost a proclitic

    @property
    def countries(self) -> set[str]:
        return {c.country for c in self.candidates}


class GazetteerEngine:
    name = "gazetteer"

    def __init__(self, index: NameIndex | None = None) -> None:
        self._index = index

    @property
    def index(self) -> NameIndex:
        return self._index or name_index()

    @property
    def version(self) -> str:
        return f"2:{self.index.signature}"

    def tag(self, text: str, tokens: list[Token]) -> list[Suggestion]:
        index = self.index
        keys = [match_key(t.text) for t in tokens]
        matches = self._matches(text, tokens, keys, index)
        countries = _article_countries(keys, matches)
        accepted: list[Match] = []
        evidence: dict[int, str] = {}
        for match in matches:
            why = _evidence(match, keys, accepted, countries)
            if why:
                accepted.append(match)
                evidence[match.start] = why
        # A name shown to be a place once is that place at every mention (بلدة تادف …
        # وتادف), within the article.
        # Not for names that are also words: هجين is "hybrid" too, سورية "Syrian".
        names = {m.key for m in accepted if zipf(m.key) < WORD_ZIPF and m.key not in NISBA_KEYS}
        repeated = [m for m in matches if m.start not in evidence and m.key in names]
        repeated += _mentions(tokens, keys, {m.key for m in accepted if not m.candidates})
        for match in repeated:
            if not any(m.start < match.end and match.start < m.end for m in accepted):
                accepted.append(match)
                evidence[match.start] = "repeat"
        return [self._suggestion(m, evidence[m.start]) for m in sorted(accepted, key=_start)]

    def _suggestion(self, match: Match, evidence: str) -> Suggestion:
        sure = evidence in {"trigger", "repeat"} or len(match.candidates) == 1
        top = match.candidates[0].place_id if match.candidates else None
        confidence = 0.95 if evidence == "trigger" else 0.9 if sure else 0.7
        certain = evidence == "trigger"
        return Suggestion(match.start, match.end, "LOC", confidence, self.name, top, certain)

    def _matches(
        self, text: str, tokens: list[Token], keys: list[str], index: NameIndex
    ) -> list[Match]:
        matches: list[Match] = []
        i = 0
        while i < len(tokens):
            match = self._longest_at(text, tokens, keys, i, index)
            if match is None and _after_trigger(keys, i, TOWN_TRIGGERS):
                match = _unknown_name(tokens, keys, i)
            if match:
                matches.append(match)
                i = match.last
            else:
                i += 1
        return matches

    def _longest_at(
        self, text: str, tokens: list[Token], keys: list[str], i: int, index: NameIndex
    ) -> Match | None:
        first = tokens[i]
        readings = []  # (proclitic cut, ل swallowed the article) that may start a name
        for cut in [0, *proclitic_splits(first.text)]:
            stem = match_key(first.text[cut:])
            swallowed = _swallowed_article(first.text[:cut], stem)
            word = ARTICLE + stem if swallowed else stem  # للرقة: weigh ل + الرقة
            if word not in index.first_words and stem not in index.first_words:
                continue  # no place name starts so: the common case, decided at once
            if cut == 0 or likelier_cut(keys[i], word):
                readings.append((cut, swallowed))
        if not readings:
            return None
        for n in range(min(index.max_words, len(tokens) - i), 0, -1):
            last = tokens[i + n - 1]
            if "\n" in text[first.start : last.end]:
                continue
            for cut, swallowed in readings:
                start = first.start + cut
                key = match_key(text[start : last.end])
                candidates = index.lookup(key)
                if not candidates and swallowed:
                    key = ARTICLE + key  # the name found is الرقة, not رقة
                    candidates = index.lookup(key)
                if candidates:
                    return Match(start, last.end, i, i + n, key, candidates, cut > 0)
        return None


def _evidence(
    match: Match, keys: list[str], accepted: list[Match], countries: set[str]
) -> str | None:
    """Why a match is a place ("trigger", "list", "country", "name"), or None."""
    before = keys[match.first - 1] if match.first else ""
    if before in NISBA_KEYS or any(s in name_context() for s in strip_proclitics(before)):
        return None  # part of another name: ريال مدريد، بجامعة دمشق، الرئيس بشار، جون بولتون
    common = ordinary_word(match.key)
    if _after_trigger(
        keys, match.first, TOWN_TRIGGERS if common >= VERY_COMMON else LOCATION_TRIGGERS
    ):
        return "trigger"  # but شرق البلاد is "the east of the country"
    if match.key in NISBA_KEYS:
        # سورية is also "Syrian": a country only after a preposition or a proclitic.
        return "name" if match.cut or before in PREPOSITIONS else None
    if common >= VERY_COMMON:
        return None  # كان، دولة، فإن: not even in a list
    if _in_list(match, keys, accepted):
        return "list"
    if not match.candidates:
        return None  # an unknown name is taken only after a place word
    if all(c.feature_class != "A" and c.population < SMALL_PLACE for c in match.candidates):
        # A village named like a word (سوف "will", صاحب "owner") needs a place word.
        if zipf(match.key) >= WORD_ZIPF:
            return None
        return "country" if countries & match.countries else None
    if not match.countries & REGION and not _major(match):
        # A town abroad is more often a person or a club (فيرجسون، ليفربول، بولتون) unless
        # the article names its country and the name is rare in Arabic text.
        if not match.countries & countries or zipf(match.key) >= ABROAD_ZIPF:
            return None
    if not common:
        return "name"
    if countries & match.countries and (match.countries & REGION or _city(match)):
        return "country"
    return None


def _major(match: Match) -> bool:
    return any(major(c) for c in match.candidates)


def _city(match: Match) -> bool:
    return any(c.population >= CITY or c.feature_class in {"A", "L"} for c in match.candidates)


def _after_trigger(keys: list[str], i: int, words: set[str] = LOCATION_TRIGGERS) -> bool:
    """Whether the word before position i is a place word (see gazetteer.place_word)."""
    return i > 0 and place_word(keys[i - 1], words)


def _in_list(match: Match, keys: list[str], accepted: list[Match]) -> bool:
    """Whether the match continues a list of places: "X وY", "X، Y", "X، وY"."""
    if not accepted:
        return False
    previous = accepted[-1]
    between = keys[previous.last : match.first]
    if not all(k in JOINERS for k in between):
        return False
    return bool(between) or (match.cut and keys[match.first].startswith("و"))


def _start(match: Match) -> int:
    return match.start


def _mentions(tokens: list[Token], keys: list[str], names: set[str]) -> list[Match]:
    """Other mentions of names the gazetteer lacks, with or without a proclitic."""
    if not names:
        return []
    found = []
    for i, token in enumerate(tokens):
        for cut in [0, *proclitic_splits(token.text)]:
            key = match_key(token.text[cut:])
            if key in names and (cut == 0 or likelier_cut(keys[i], key)):
                found.append(Match(token.start + cut, token.end, i, i + 1, key, [], cut > 0))
                break
    return found


def _unknown_name(tokens: list[Token], keys: list[str], i: int) -> Match | None:
    """A rare word right after a place word: a place the gazetteer has no Arabic name for."""
    token, key = tokens[i], keys[i]
    if key[:1] in "وف" or key.endswith(SUFFIXES) or len(key) < 3 or zipf(key) >= RARE_WORD:
        return None  # a conjunction or a pronoun suffix: the sentence goes on
    if not all("\u0621" <= c <= "\u064a" for c in key):
        return None
    return Match(token.start, token.end, i, i + 1, key, [], False)


def _article_countries(keys: list[str], matches: list[Match]) -> set[str]:
    """Countries the article names or implies: names with one country that are no ordinary
    word, and nationality adjectives (السورية، الروسي)."""
    countries = set()
    for match in matches:
        if len(match.countries) != 1 or match.key in NISBA_KEYS or ordinary_word(match.key):
            continue
        if _major(match) or any(c.population >= CITY for c in match.candidates):
            countries |= match.countries
    for key in keys:
        for stem in strip_proclitics(key):
            if stem in NISBA_KEYS:
                countries.add(NISBA_KEYS[stem])
    return countries


def _swallowed_article(proclitic: str, key: str) -> bool:
    # The preposition ل swallows the article's alef: للحديدة = ل + الحديدة.
    return match_key(proclitic).endswith("لل") and not key.startswith(ARTICLE)
