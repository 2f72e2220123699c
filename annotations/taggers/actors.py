"""Actor engine: organisations and people of the actor list (ORG, PERS), on every mention.

A match is a run of whole tokens whose matching key is a pre-tagged alias of an actor with
an entity label (annotations.actors.actor_index). Only the first token may lose a separable
proclitic, and the span starts after it: وداعش → داعش, بالجيش السوري → الجيش السوري, and
for ل before the article, whose alef it swallows, للأمم المتحدة → أمم المتحدة as the
gazetteer engine does (للرقة → رقة). A one-word alias loses a proclitic only when that
reading is likelier than the token as a word of its own (wordfreq), and never matches
inside a longer word (داعشي is not داعش).

The list is precise, so the engine runs before the CRF and the gazetteer and wins their
overlaps (قوات سوريا الديمقراطية is an organisation, not the place سوريا). It never takes
a place's name from the gazetteer: a one-word alias that is also the name of a country,
an admin area or a city is left to it (see `_place_name`).
"""

from __future__ import annotations

from ..actors import ActorIndex, actor_index
from ..gazetteer import CITY, name_index
from ..text import Token, likelier_cut, match_key, proclitic_splits
from .base import EngineUnavailable, Suggestion

ARTICLE = "ال"


class ActorEngine:
    name = "actors"

    def __init__(self, index: ActorIndex | None = None) -> None:
        self.index = index or actor_index()
        if not self.index.labels:
            raise EngineUnavailable("no actors with an entity label; run `manage.py load_actors`")

    @property
    def version(self) -> str:
        return f"1:{self.index.signature}"

    def tag(self, text: str, tokens: list[Token]) -> list[Suggestion]:
        found: list[Suggestion] = []
        i = 0
        while i < len(tokens):
            match = self._longest_at(text, tokens, i)
            if match is None:
                i += 1
                continue
            start, n, label = match
            confidence = 0.95 if n > 1 else 0.9
            found.append(Suggestion(start, tokens[i + n - 1].end, label, confidence, self.name))
            i += n
        return found

    def _longest_at(self, text: str, tokens: list[Token], i: int) -> tuple[int, int, str] | None:
        """(span start, tokens, label) of the longest alias starting at token i."""
        first = tokens[i]
        labels = self.index.labels
        for n in range(min(self.index.max_words, len(tokens) - i), 0, -1):
            end = tokens[i + n - 1].end
            if "\n" in text[first.start : end] or not _edges_are_words(
                tokens[i], tokens[i + n - 1]
            ):
                continue
            for cut in [0, *proclitic_splits(first.text)]:
                key = match_key(text[first.start + cut : end])
                if cut and match_key(first.text[:cut]).endswith("لل") and key not in labels:
                    key = ARTICLE + key  # للأمم = ل + الأمم
                if key not in labels:
                    continue
                if n == 1 and (
                    _place_name(key) or (cut and not likelier_cut(match_key(first.text), key))
                ):
                    continue
                return first.start + cut, n, labels[key]
        return None


def _edges_are_words(first: Token, last: Token) -> bool:
    # A lone tatweel (ـ رويترز ـ) has an empty key: it must not widen the span.
    return bool(match_key(first.text)) and bool(match_key(last.text))


def _place_name(key: str) -> bool:
    # A place this populous (or an area) is a place first, whatever the actor list says.
    return any(c.feature_class == "A" or c.population >= CITY for c in name_index().lookup(key))
