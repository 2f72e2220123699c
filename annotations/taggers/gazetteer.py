"""Gazetteer engine: tags place names found in the gazetteer, clitic-aware, longest first."""

from __future__ import annotations

from ..gazetteer import LOCATION_TRIGGERS, SMALL_PLACE, Candidate, NameIndex, name_index
from ..text import Token, match_key, proclitic_splits
from .base import Suggestion

ARTICLE = "ال"


class GazetteerEngine:
    name = "gazetteer"

    def __init__(self, index: NameIndex | None = None) -> None:
        self._index = index

    @property
    def index(self) -> NameIndex:
        return self._index or name_index()

    @property
    def version(self) -> str:
        return f"1:{self.index.signature}"

    def tag(self, text: str, tokens: list[Token]) -> list[Suggestion]:
        index = self.index
        found: list[Suggestion] = []
        i = 0
        while i < len(tokens):
            match = self._longest_at(text, tokens, i, index)
            if match:
                found.append(match[0])
                i = match[1]
            else:
                i += 1
        return found

    def _longest_at(
        self, text: str, tokens: list[Token], i: int, index: NameIndex
    ) -> tuple[Suggestion, int] | None:
        first = tokens[i]
        for n in range(min(index.max_words, len(tokens) - i), 0, -1):
            last = tokens[i + n - 1]
            if "\n" in text[first.start : last.end]:
                continue
            for cut in [0, *proclitic_splits(first.text)]:
                start = first.start + cut
                key = match_key(text[start : last.end])
                candidates = index.lookup(key) or _after_lam(index, first.text[:cut], key)
                if candidates and n == 1 and not _plausible_alone(candidates, tokens, i):
                    continue
                if candidates:
                    confidence = 0.9 if len(candidates) == 1 else 0.7
                    top = candidates[0]
                    return Suggestion(
                        start, last.end, "LOC", confidence, self.name, top.place_id
                    ), i + n
        return None


def _plausible_alone(candidates: list[Candidate], tokens: list[Token], i: int) -> bool:
    """A one-word match to a small village is trusted only after a word like بلدة or ريف."""
    top = candidates[0]
    if top.feature_class == "A" or top.population >= SMALL_PLACE:
        return True
    if i == 0:
        return False
    previous = match_key(tokens[i - 1].text)
    stems = [previous] + [previous[cut:] for cut in proclitic_splits(previous)]
    return any(stem in LOCATION_TRIGGERS for stem in stems)


def _after_lam(index: NameIndex, proclitic: str, key: str) -> list:
    # The preposition ل swallows the article's alef: للحديدة = ل + الحديدة.
    if match_key(proclitic).endswith("لل") and not key.startswith(ARTICLE):
        return index.lookup(ARTICLE + key)
    return []
