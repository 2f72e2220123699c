"""Pre-tagging engines.

An engine is any object with `name`, `version` and `tag(text, tokens)` returning
`Suggestion`s; its constructor raises EngineUnavailable when its model or data is
missing. settings.NEWSDESK_ENGINES lists engines by dotted path, in order; an item
that is a list means "the first of these that is available" (BERT when its model is
installed, else the CRF).

Conflict rule: certain suggestions first (`Suggestion.certain`: the text itself says
what the words are, as a place word before a name does: قرية خربة حسون is a place whatever
the CRF thought of حسون), then engines in the listed order; a suggestion overlapping one
already taken is dropped; within one engine, longer suggestions win.
Before that, a name span (ORG, PERS, LOC) of any engine loses a leading separable
proclitic when what follows it is clearly the name (`without_proclitic`): للأمم المتحدة
from the CRF becomes أمم المتحدة, as the actor and gazetteer engines tag it.
Every LOC span is then linked to its best-ranked place (gazetteer.link_mentions),
whichever engine found it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from .. import events
from ..actors import actor_index
from ..gazetteer import Ranked, link_mentions, name_index, never_a_place
from ..models import Article, AuditEntry, Layer, Span
from ..text import Token, match_key, proclitic_splits, tokenize, zipf
from .base import Engine, EngineUnavailable, Suggestion

__all__ = ["Engine", "EngineUnavailable", "Suggestion", "combine", "pretag"]

logger = logging.getLogger(__name__)
_warned: set[tuple[str, str]] = set()


def configured_engines() -> list[Engine]:
    engines = []
    for item in settings.NEWSDESK_ENGINES:
        for path in [item] if isinstance(item, str) else item:
            try:
                engines.append(import_string(path)())
                break
            except EngineUnavailable as exc:
                if (path, str(exc)) not in _warned:  # once per process, not per article
                    _warned.add((path, str(exc)))
                    logger.warning("pre-tagging engine %s unavailable: %s", path, exc)
    return engines


def combine(batches: list[list[Suggestion]], text: str | None = None) -> list[Suggestion]:
    """Merge engines' suggestions in engine order (see the module docstring); given the
    text they were found in, name spans first lose a leading proclitic."""
    taken: list[Suggestion] = []
    if text is not None:
        names = known_names()
        batches = [[without_proclitic(text, s, names) for s in batch] for batch in batches]
    for certain in (True, False):
        for batch in batches:
            for suggestion in sorted(batch, key=lambda s: (s.start - s.end, s.start)):
                if suggestion.certain != certain:
                    continue
                if not any(s.start < suggestion.end and suggestion.start < s.end for s in taken):
                    taken.append(suggestion)
    return sorted(taken, key=lambda s: (s.start, s.end))


NAME_LABELS = {"ORG", "PERS", "LOC"}
PARTICLES = set("وفبكل")  # the proclitics a name span may lose; not the article
# A cut the names do not vouch for must leave a stem this much commoner (zipf steps) than
# the whole word: وإسرائيل 4.1 vs إسرائيل 5.3 is cut; وزارة 5.5 vs زارة 3.3, فيصل 4.8 vs
# يصل 5.1 and كمال 4.5 vs مال 4.7 are not.
TRIM_MARGIN = 1.0
# ... and a stem that is a word, but no function word: كوفي is not ك + وفي (6.0), فان
# not ف + ان (7.0), بنحسي not ب + نحسي (1.3). On ANERcorp's first five sixths this cuts
# the first token of 697 gold names, a dozen of them wrongly (واين, لانس, كولن, ودان).
STEM_ZIPF = (2.5, 6.0)


def known_names() -> Callable[[str], bool]:
    """A membership test for matching keys of actor aliases and Arabic place names."""
    aliases, places = actor_index().names, name_index()
    return lambda key: key in aliases or bool(places.lookup(key))


def without_proclitic(
    text: str, suggestion: Suggestion, is_name: Callable[[str], bool]
) -> Suggestion:
    """The suggestion without a leading separable proclitic, when what follows it is a
    known name or the first word is much rarer than its stem: وداعش → داعش, but never
    وزارة → زارة. The article stays (it belongs to the name: الرقة); after لل the stem is
    the name with its article (للأمم = ل + الأمم), and the span starts after لل."""
    span = text[suggestion.start : suggestion.end]
    word = span.split(maxsplit=1)[0] if span.strip() else ""
    cuts = [c for c in proclitic_splits(word) if set(match_key(word[:c])) <= PARTICLES]
    if suggestion.label not in NAME_LABELS or not cuts or is_name(match_key(span)):
        return suggestion
    cut = next((c for c in cuts if any(map(is_name, _stem_keys(span, c)))), None)
    if cut is None:
        cut = next((c for c in cuts if _rarer_than_stem(word, c)), None)
    return suggestion if cut is None else replace(suggestion, start=suggestion.start + cut)


def _stem_keys(span: str, cut: int) -> list[str]:
    key = match_key(span[cut:])
    return ["ال" + key, key] if match_key(span[:cut]).endswith("لل") else [key]


def _rarer_than_stem(word: str, cut: int) -> bool:
    stem = max(zipf(key) for key in _stem_keys(word, cut))
    low, high = STEM_ZIPF
    return low <= stem < high and zipf(match_key(word)) <= stem - TRIM_MARGIN


def places_only(text: str, batch: list[Suggestion]) -> list[Suggestion]:
    """An engine's suggestions without LOC spans that are only a place word or an
    adjective (ريف، جرود، السورية): never a place by themselves, and dropped before the
    merge so that they cannot block a longer span of a later engine (ريف حلب)."""
    return [s for s in batch if s.label != "LOC" or not never_a_place(text[s.start : s.end])]


def pretag(article: Article, *, force: bool = False) -> Layer:
    """Fill the article's machine layer from the configured engines.

    Idempotent: when the layer already records the same engines and versions,
    nothing is done. A re-tag replaces only machine spans; annotators' layers are
    copies and never change here.
    """
    engines = configured_engines()
    signature = [{"name": e.name, "version": e.version} for e in engines]
    signature.append({"name": "events", "version": events.VERSION})
    with transaction.atomic():
        layer, _ = Layer.objects.select_for_update().get_or_create(
            article=article, kind=Layer.MACHINE
        )
        if layer.engines == signature and not force:
            return layer
        if layer.engines and not force and article.layers.exclude(kind=Layer.MACHINE).exists():
            # Someone started on the machine spans: replacing them would cut their
            # copies loose from what they were derived from (correction statistics).
            return layer
        tokens = tokenize(article.body)
        labels = set(article.corpus.labels)
        batches = [places_only(article.body, e.tag(article.body, tokens)) for e in engines]
        suggestions = combine(batches, article.body)
        before = {"spans": layer.spans.count(), "engines": layer.engines}
        layer.spans.all().delete()
        kept = [s for s in suggestions if s.label in labels]
        created = Span.objects.bulk_create(
            machine_span(layer, s, link) for s, link in linked(article.body, kept, tokens)
        )
        stored = events.store(layer, events.precode(article, created))
        layer.engines = signature
        layer.version += 1
        layer.save()
        # One entry per run: the machine layer's spans are replaced as a whole.
        after = {"spans": len(created), "events": len(stored), "engines": signature}
        AuditEntry.objects.create(
            article=article,
            layer=layer,
            object_type="layer",
            object_id=layer.pk,
            action="update",
            before=before,
            after=after,
        )
    return layer


def linked(
    text: str, suggestions: list[Suggestion], tokens: list[Token] | None = None
) -> list[tuple[Suggestion, Ranked | None]]:
    locations = [i for i, s in enumerate(suggestions) if s.label == "LOC"]
    mentions = [(suggestions[i].start, suggestions[i].end) for i in locations]
    links = link_mentions(text, mentions, tokens)
    chosen: dict[int, Ranked | None] = dict(zip(locations, links, strict=True))
    return [(s, chosen.get(i)) for i, s in enumerate(suggestions)]


def machine_span(layer: Layer, suggestion: Suggestion, link: Ranked | None) -> Span:
    return Span(
        layer=layer,
        start=suggestion.start,
        end=suggestion.end,
        label=suggestion.label,
        confidence=suggestion.confidence,
        origin=Span.MACHINE,
        engine=suggestion.engine,
        place_id=link.candidate.place_id if link else None,
        link_status=Span.LINK_AUTO if link else "",
        link_score=link.score if link else None,
        geo_precision=link.geo_precision if link else None,
    )
