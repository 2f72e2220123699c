"""Event pre-coding: suggest ACLED events from an article's words and its machine spans.

For each sentence with a trigger word (غارة → Air/drone strike, اشتباكات → Armed clash),
the pre-coder fills what the text supports and records where: the date (dates.py, from
the publication date and Arabic relative expressions), fatalities (fatalities.py), the
linked place nearest the trigger, and the actors named around it (by alias). Every
field it fills cites its evidence offsets.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from . import gazetteer
from .acled import SUB_EVENT_TYPES
from .dates import find_dates
from .document import document_for
from .fatalities import find_fatalities
from .models import (
    Actor,
    ActorAlias,
    Article,
    Event,
    Evidence,
    Layer,
    Place,
    Span,
    SpanRejected,
    audit,
)
from .text import Token, match_key, sentences, strip_proclitics, tokenize

TRIGGERS_FILE = Path(__file__).parent / "data" / "triggers_ar.json"
VERSION = "1"  # of the pre-coder; the machine layer records it with the engines
TERRITORY = ("Government regains territory", "Non-state actor overtakes territory")
CIVILIANS = 7  # ACLED actor type code
MAX_PHRASE = 4  # words in the longest trigger or actor alias looked for


@dataclass
class Suggested:
    event_type: str
    sub_event_type: str
    evidence: list[tuple[str, int, int]] = field(default_factory=list)  # (field, start, end)
    event_date: date | None = None
    time_precision: int | None = None
    place_id: int | None = None
    geo_precision: int | None = None
    fatalities: int | None = None
    fatalities_low: int | None = None
    fatalities_high: int | None = None
    actor1: Actor | None = None
    actor2: Actor | None = None
    civilian_targeting: bool = False


@lru_cache(maxsize=1)
def trigger_lexicon() -> dict[str, str]:
    """Matching key of each trigger phrase → its sub-event type."""
    data = json.loads(TRIGGERS_FILE.read_text(encoding="utf-8"))
    lexicon = {}
    for sub_event_type, entry in data.items():
        if sub_event_type not in SUB_EVENT_TYPES or not isinstance(entry, dict):
            continue
        for trigger in entry.get("triggers", []):
            lexicon.setdefault(match_key(trigger), sub_event_type)
    return lexicon


def alias_index() -> dict[str, Actor]:
    aliases = ActorAlias.objects.select_related("actor")
    return {a.key: a.actor for a in aliases}


def phrases(tokens: list[Token], keys: list[str], lexicon: dict) -> list[tuple[int, int, object]]:
    """(start, end, value) for lexicon phrases in the tokens, longest first, clitic-aware;
    `keys` are the tokens' matching keys."""
    found = []
    i = 0
    while i < len(tokens):
        for n in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
            rest = keys[i + 1 : i + n]
            hit = next(
                (
                    lexicon[key]
                    for stem in strip_proclitics(keys[i])
                    if (key := " ".join([stem, *rest])) in lexicon
                ),
                None,
            )
            if hit is not None:
                found.append((tokens[i].start, tokens[i + n - 1].end, hit))
                i += n
                break
        else:
            i += 1
    return found


def precode(
    article: Article, spans: list[Span], only: tuple[int, int] | None = None
) -> list[Suggested]:
    """One suggested event per sentence that has a trigger word (or for one sentence:
    `only`, whose event defaults to "Other" when it has no trigger)."""
    body = article.body
    published = article.published_at or article.created.date()
    tokens = tokenize(body)
    keys = [match_key(t.text) for t in tokens]
    starts = [t.start for t in tokens]
    lexicon, aliases = trigger_lexicon(), alias_index()
    located = [s for s in spans if s.label == "LOC" and s.place_id]
    countries = set(
        Place.objects.filter(pk__in={s.place_id for s in located}, feature_code="PCLI").values_list(
            "pk", flat=True
        )
    )
    suggestions = []
    said: tuple[date, int, int, int] | None = None  # the last date the article gave
    previous: Suggested | None = None
    for start, end in [only] if only else sentences(body):
        a, b = bisect.bisect_left(starts, start), bisect.bisect_left(starts, end)
        words, word_keys = tokens[a:b], keys[a:b]
        dates = find_dates(body[start:end], published)
        if dates:
            said = (dates[0].date, dates[0].precision, start + dates[0].start, start + dates[0].end)
        triggers = phrases(words, word_keys, lexicon)
        if not triggers and only:
            triggers = [(start, end, "Other")]
        if not triggers:
            # A sentence that only adds a toll belongs to the event just told (قتل ٩ …).
            if previous and previous.fatalities is None:
                _fatalities(previous, body, start, end)
            continue
        # The most specific trigger: "طائرات حربية" says more than the "قصفت" before it.
        t_start, t_end, sub = max(triggers, key=lambda t: t[1] - t[0])
        event = Suggested(SUB_EVENT_TYPES[sub], sub, [("event_type", t_start, t_end)])
        _date(event, said, published)
        _fatalities(event, body, start, end)
        _place(event, body, located, countries, (start, end), t_start)
        _actors(event, phrases(words, word_keys, aliases), t_start)
        suggestions.append(event)
        previous = event
    return suggestions


def _date(event: Suggested, said: tuple[date, int, int, int] | None, published: date) -> None:
    """The date this sentence or an earlier one gave (news states it once, up front),
    else the publication day."""
    if said:
        event.event_date, event.time_precision = said[0], said[1]
        event.evidence.append(("event_date", said[2], said[3]))
    else:
        event.event_date, event.time_precision = published, 1


def _fatalities(event: Suggested, body: str, start: int, end: int) -> None:
    found = find_fatalities(body[start:end])
    if found:
        first = found[0]
        event.fatalities = first.count
        event.fatalities_low, event.fatalities_high = first.low, first.high
        event.evidence.append(("fatalities", start + first.start, start + first.end))


def _place(
    event: Suggested,
    body: str,
    located: list[Span],
    countries: set[int],
    sentence: tuple[int, int],
    trigger: int,
) -> None:
    """The linked place nearest the trigger in the sentence; a town before a country."""
    inside = [s for s in located if sentence[0] <= s.start < sentence[1]]
    if not inside:
        return
    towns = [s for s in inside if s.place_id not in countries]
    nearest = min(towns or inside, key=lambda s: abs(s.start - trigger))
    precision = nearest.geo_precision or 1
    before = body[sentence[0] : nearest.start].split()
    if (
        before
        and gazetteer.parse_mention(
            f"{before[-1]} {body[nearest.start : nearest.end]}"
        ).geo_precision
        == 2
    ):
        precision = 2  # "ريف حلب": near the place, coded to it
    if nearest.place_id in countries:
        precision = 3
    event.place_id, event.geo_precision = nearest.place_id, precision
    event.evidence.append(("location", nearest.start, nearest.end))


def _actors(event: Suggested, named: list[tuple[int, int, Actor]], trigger: int) -> None:
    """Actors named before the trigger act (actor1); those after it are acted on (actor2)."""
    before = [n for n in named if n[0] < trigger]
    after = [n for n in named if n[0] >= trigger]
    first = before[0] if before else (after.pop(0) if after else None)
    second = next((n for n in after if first is None or n[2] != first[2]), None)
    if first and first[2].inter_code == CIVILIANS and second is None:
        first, second = None, first  # civilians named first are the victims, not the actor
    if first:
        event.actor1 = first[2]
        event.evidence.append(("actor1", first[0], first[1]))
    if second:
        event.actor2 = second[2]
        event.evidence.append(("actor2", second[0], second[1]))
    if event.sub_event_type in TERRITORY and event.actor1:
        event.sub_event_type = TERRITORY[0] if event.actor1.inter_code == 1 else TERRITORY[1]
    event.civilian_targeting = bool(event.actor2 and event.actor2.inter_code == 7) or (
        event.event_type == "Violence against civilians"
    )


def store(layer: Layer, suggestions: list[Suggested]) -> list[Event]:
    """Write suggested events and their evidence into a layer, replacing its events."""
    with transaction.atomic():
        layer.events.all().delete()
        return _create(layer, suggestions, Span.MACHINE)


def _create(layer: Layer, suggestions: list[Suggested], origin: str) -> list[Event]:
    events = []
    for s in suggestions:
        event = Event.objects.create(
            layer=layer,
            event_type=s.event_type,
            sub_event_type=s.sub_event_type,
            actor1=s.actor1,
            actor2=s.actor2,
            civilian_targeting=s.civilian_targeting,
            event_date=s.event_date,
            time_precision=s.time_precision,
            place_id=s.place_id,
            geo_precision=s.geo_precision,
            fatalities=s.fatalities,
            fatalities_low=s.fatalities_low,
            fatalities_high=s.fatalities_high,
            origin=origin,
        )
        Evidence.objects.bulk_create(
            Evidence(event=event, field=f, start=a, end=b) for f, a, b in s.evidence
        )
        events.append(event)
    return events


def copy_events(source: Layer, target: Layer) -> None:
    """Copy a layer's events and their evidence (an annotator starts from the machine's)."""
    for event in source.events.prefetch_related("evidence"):
        evidence = list(event.evidence.all())
        original = event.pk
        event.pk, event.layer, event.derived_from_id = None, target, original
        event.save()
        Evidence.objects.bulk_create(
            Evidence(event=event, field=e.field, start=e.start, end=e.end) for e in evidence
        )


def sentence_at(body: str, offset: int) -> tuple[int, int]:
    for start, end in sentences(body):
        if start <= offset < end:
            return start, end
    raise ValueError("no sentence at that offset")


def create_from_sentence(layer: Layer, user: object, offset: int, version: int) -> Event:
    """A human event for the sentence around `offset`, pre-filled by the pre-coder."""
    sentence = sentence_at(layer.article.body, offset)
    suggestion = precode(layer.article, list(layer.spans.all()), only=sentence)[0]
    with transaction.atomic():
        layer.bump(version)
        (event,) = _create(layer, [suggestion], Span.HUMAN)
        audit(layer, user, "create", event.pk, None, snapshot(event), "event")
    return event


def snapshot(event: Event) -> dict:
    return {
        "sub_event_type": event.sub_event_type,
        "event_date": str(event.event_date) if event.event_date else None,
        "place": event.place_id,
        "fatalities": event.fatalities,
        "actor1": event.actor1_id,
        "actor2": event.actor2_id,
        "evidence": sorted([e.field, e.start, e.end] for e in event.evidence.all()),
    }


def save_edit(event: Event, user: object, version: int) -> None:
    """Save an event already changed by a validated form; the layer version guards it."""
    with transaction.atomic():
        before = snapshot(Event.objects.get(pk=event.pk))
        event.layer.bump(version)
        event.save()
        audit(event.layer, user, "update", event.pk, before, snapshot(event), "event")


def delete_event(event: Event, user: object, version: int) -> None:
    with transaction.atomic():
        event.layer.bump(version)
        before, pk = snapshot(event), event.pk
        event.delete()
        audit(event.layer, user, "delete", pk, before, None, "event")


def attach(event: Event, user: object, field_name: str, span: Span, version: int) -> Evidence:
    """Cite a span of the same layer as evidence for one field of the event."""
    if field_name not in dict(Evidence.FIELDS):
        raise SpanRejected(_("Unknown event field: %(f)s.") % {"f": field_name})
    if span.layer_id != event.layer_id:
        raise SpanRejected(_("Evidence must come from the same layer."))
    with transaction.atomic():
        before = snapshot(event)
        event.layer.bump(version)
        evidence, _created = Evidence.objects.get_or_create(
            event=event, field=field_name, start=span.start, end=span.end, defaults={"span": span}
        )
        audit(event.layer, user, "update", event.pk, before, snapshot(event), "event")
    return evidence


def events_with_evidence(layer: Layer) -> list[tuple[Event, str]]:
    """The layer's events, each with the piece ids of its evidence as JSON (the page
    highlights them)."""
    doc = document_for(layer.article.body)
    listed = layer.events.select_related("place", "actor1", "actor2").prefetch_related("evidence")
    return [
        (e, json.dumps([p for ev in e.evidence.all() for p in doc.pieces_in(ev.start, ev.end)]))
        for e in listed
    ]
