"""Event pre-coding: suggest ACLED events from an article's words and its machine spans.

For each sentence with a trigger word (غارة → Air/drone strike, اشتباكات → Armed clash),
the pre-coder fills what the text supports and records where: the date (dates.py, from
the publication date and Arabic relative expressions), fatalities (fatalities.py), the
linked place nearest the trigger, and the actors named around it (by alias). Every
field it fills cites its evidence offsets.

What keeps the suggestions sensible (a paragraph is the text between line breaks):

* A sentence with a killing or strike word (قتل، مقتل، غارة، قصف، استهداف …) is never
  a strategic development: "قتل 35 مدنيا في غارة رغم اتفاق وقف إطلاق النار" is the strike,
  not the agreement. A generic strike word with an aircraft word ("قصف طيران التحالف")
  is an Air/drone strike, and the air force's nationality word after the aircraft word
  ("طائرات حربية روسية") names actor 1, the attacker.
* The place is a span the gazetteer linked with confidence (a place and a link status)
  in the sentence, else in the sentence before it in the same paragraph.
* Evidence never leaves the event's paragraph: a sentence that only adds a toll goes to
  the event just told in the same paragraph (never to a strategic development), and a
  date stated in an earlier paragraph still dates the event but is not cited.
* Without a publication date, relative dates stay unresolved: no date, precision 3.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from . import gazetteer, incidents
from .acled import SUB_EVENT_TYPES
from .dates import find_dates
from .document import document_for
from .fatalities import find_fatalities
from .models import (
    Actor,
    ActorAlias,
    Article,
    AuditEntry,
    Event,
    Evidence,
    Layer,
    Place,
    Span,
    SpanRejected,
)
from .text import Token, match_key, sentences, strip_proclitics, tokenize

TRIGGERS_FILE = Path(__file__).parent / "data" / "triggers_ar.json"
VERSION = "2"  # of the pre-coder; the machine layer records it with the engines
TERRITORY = ("Government regains territory", "Non-state actor overtakes territory")
CIVILIANS = 7  # ACLED actor type code
MAX_PHRASE = 4  # words in the longest trigger or actor alias looked for
STRATEGIC = "Strategic developments"
UNKNOWN_DATE = 3  # the time precision of an event whose date the text cannot give
Action, EVENT = AuditEntry.Action, AuditEntry.ObjectType.EVENT


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
def _triggers_file() -> dict:
    return json.loads(TRIGGERS_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def trigger_lexicon() -> dict[str, str]:
    """Matching key of each trigger phrase → its sub-event type."""
    lexicon = {}
    for sub_event_type, entry in _triggers_file().items():
        if sub_event_type not in SUB_EVENT_TYPES or not isinstance(entry, dict):
            continue
        for trigger in entry.get("triggers", []):
            lexicon.setdefault(match_key(trigger), sub_event_type)
    return lexicon


@lru_cache(maxsize=4)
def word_list(name: str) -> frozenset[str]:
    """The matching keys of one word list of the triggers file (violence, fallbacks …)."""
    return frozenset(match_key(word) for word in _triggers_file()[name])


@lru_cache(maxsize=1)
def air_force_words() -> dict[str, str]:
    """Matching key of a nationality word → the ACLED name of that country's air force."""
    forces = _triggers_file()["air_forces"]
    return {match_key(word): name for name, words in forces.items() for word in words}


# The stems of a word's matching key: words repeat, so a worker computes each once.
_stems = lru_cache(maxsize=65536)(strip_proclitics)


def _has(keys: list[str], words: frozenset[str]) -> bool:
    return any(stem in words for key in keys for stem in _stems(key))


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
                    for stem in _stems(keys[i])
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


@dataclass
class _Sentence:
    start: int
    end: int
    paragraph: int
    tokens: list[Token]
    keys: list[str]


def _sentences(body: str, tokens: list[Token], keys: list[str]) -> list[_Sentence]:
    """The body's sentences with their tokens and paragraph number."""
    starts = [t.start for t in tokens]
    found, paragraph, previous_end = [], 0, 0
    for start, end in sentences(body):
        # A line break between two sentences (any str.splitlines knows, as sentences()
        # does) starts a new paragraph.
        paragraph += len(f".{body[previous_end:start]}.".splitlines()) > 1
        a, b = bisect.bisect_left(starts, start), bisect.bisect_left(starts, end)
        found.append(_Sentence(start, end, paragraph, tokens[a:b], keys[a:b]))
        previous_end = end
    return found


def precode(article: Article, spans: list[Span]) -> list[Suggested]:
    """One suggested event per sentence that has a trigger word."""
    return [event for _sentence, event in _precode(article, spans) if event is not None]


def for_sentence(article: Article, spans: list[Span], sentence: tuple[int, int]) -> Suggested:
    """The event the pre-coder gives this sentence: its own, or the one its toll went to;
    for a sentence the pre-coder leaves alone, "Other" (or "Attack" when it tells a
    killing or a strike, which is never a strategic development)."""
    told = _precode(article, spans)
    start, end = sentence
    for told_in, event in told:
        if event is not None and (told_in.start, told_in.end) == sentence:
            return event
    for _told_in, event in told:
        if event and any(f == "fatalities" and start <= a < end for f, a, _b in event.evidence):
            return event
    keys = [match_key(t.text) for t in tokenize(article.body[start:end])]
    sub = "Attack" if _has(keys, word_list("violence")) else "Other"
    return Suggested(SUB_EVENT_TYPES[sub], sub, [("event_type", start, end)])


def _precode(article: Article, spans: list[Span]) -> list[tuple[_Sentence, Suggested | None]]:
    """Each sentence with the event it tells (None for one that tells none)."""
    body = article.body
    published = article.published_at  # never the import day: an unknown date stays unknown
    tokens = tokenize(body)
    keys = [match_key(t.text) for t in tokens]
    lexicon, aliases = trigger_lexicon(), alias_index()
    # A span the gazetteer was unsure of (no place, or no link status) places nothing.
    located = [s for s in spans if s.label == "LOC" and s.place_id and s.link_status]
    countries = set(
        Place.objects.filter(pk__in={s.place_id for s in located}, feature_code="PCLI").values_list(
            "pk", flat=True
        )
    )
    told: list[tuple[_Sentence, Suggested | None]] = []
    said: tuple[date | None, int, int, int, int] | None = None  # the last date the article gave
    previous: tuple[_Sentence, Suggested] | None = None
    before: _Sentence | None = None
    for sentence in _sentences(body, tokens, keys):
        start, end = sentence.start, sentence.end
        if before and before.paragraph != sentence.paragraph:
            before = None
        dates = find_dates(body[start:end], published)
        if dates:
            first = dates[0]
            said = (first.date, first.precision, start + first.start, start + first.end)
            said += (sentence.paragraph,)
        triggers = _triggers(sentence, lexicon)
        if not triggers:
            # A sentence that only adds a toll belongs to the event just told (قتل ٩ …).
            if previous and _takes_toll(previous, sentence):
                _fatalities(previous[1], body, start, end)
            told.append((sentence, None))
            before = sentence
            continue
        t_start, t_end, sub = triggers[0]
        event = Suggested(SUB_EVENT_TYPES[sub], sub, [("event_type", t_start, t_end)])
        _date(event, said, published, sentence.paragraph)
        _fatalities(event, body, start, end)
        _place(event, body, located, countries, sentence, before, t_start)
        named = phrases(sentence.tokens, sentence.keys, aliases)
        air_force = _air_force(sentence) if sub == "Air/drone strike" else None
        _actors(event, named, t_start, air_force)
        told.append((sentence, event))
        previous, before = (sentence, event), sentence
    return told


def _triggers(sentence: _Sentence, lexicon: dict[str, str]) -> list[tuple[int, int, str]]:
    """The sentence's triggers, the one to code first: a specific trigger before a generic
    one, then the longest ("طائرات حربية" says more than the "قصفت" before it)."""
    found = phrases(sentence.tokens, sentence.keys, lexicon)
    if _has(sentence.keys, word_list("violence")):
        found = [t for t in found if SUB_EVENT_TYPES[t[2]] != STRATEGIC]
        if _has(sentence.keys, word_list("aircraft")):
            found = [_by_air(t, sentence) for t in found]
    fallbacks = word_list("fallbacks")

    def rank(t: tuple[int, int, str]) -> tuple[bool, int]:
        generic = set(_stems(match_key(_text_of(sentence, t)))) & fallbacks
        return (not generic, t[1] - t[0])

    return sorted(found, key=rank, reverse=True)


def _text_of(sentence: _Sentence, trigger: tuple[int, int, str]) -> str:
    return " ".join(t.text for t in sentence.tokens if trigger[0] <= t.start < trigger[1])


def _by_air(trigger: tuple[int, int, str], sentence: _Sentence) -> tuple[int, int, str]:
    """A generic strike word in a sentence that names aircraft is an air strike."""
    if trigger[2] == "Shelling/artillery/missile attack" and set(
        _stems(match_key(_text_of(sentence, trigger)))
    ) & word_list("fallbacks"):
        return trigger[0], trigger[1], "Air/drone strike"
    return trigger


def _air_force(sentence: _Sentence) -> tuple[int, int, Actor] | None:
    """The air force a nationality word names just after an aircraft word, as an actor."""
    aircraft, forces = word_list("aircraft"), air_force_words()
    for i, key in enumerate(sentence.keys):
        if not set(_stems(key)) & aircraft:
            continue
        for j in range(i + 1, min(i + 4, len(sentence.keys))):
            name = forces.get(sentence.keys[j])
            actor = Actor.objects.filter(name=name).first() if name else None
            if actor:
                return sentence.tokens[i].start, sentence.tokens[j].end, actor
    return None


def _takes_toll(previous: tuple[_Sentence, Suggested], sentence: _Sentence) -> bool:
    """Whether a toll-only sentence belongs to the event just told: one of the same
    paragraph, with no toll yet, and not a strategic development (a killing never is)."""
    told, event = previous
    return (
        told.paragraph == sentence.paragraph
        and event.fatalities is None
        and event.event_type != STRATEGIC
    )


def _date(
    event: Suggested,
    said: tuple[date | None, int, int, int, int] | None,
    published: date | None,
    paragraph: int,
) -> None:
    """The date this sentence or an earlier one gave (news states it once, up front; it is
    cited when in the event's paragraph), else the publication day; unknown without one."""
    if said:
        when, precision, start, end, where = said
        event.event_date, event.time_precision = when, precision if when else UNKNOWN_DATE
        if where == paragraph:
            event.evidence.append(("event_date", start, end))
    elif published:
        event.event_date, event.time_precision = published, 1
    else:
        event.event_date, event.time_precision = None, UNKNOWN_DATE


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
    sentence: _Sentence,
    before: _Sentence | None,
    trigger: int,
) -> None:
    """The linked place nearest the trigger in the sentence, else in the sentence before
    it in the same paragraph; a town before a country."""
    inside = [s for s in located if sentence.start <= s.start < sentence.end]
    if not inside and before:
        inside = [s for s in located if before.start <= s.start < before.end]
        sentence = before
    if not inside:
        return
    towns = [s for s in inside if s.place_id not in countries]
    nearest = min(towns or inside, key=lambda s: abs(s.start - trigger))
    precision = nearest.geo_precision or 1
    preceding = body[sentence.start : nearest.start].split()
    if (
        preceding
        and gazetteer.parse_mention(
            f"{preceding[-1]} {body[nearest.start : nearest.end]}"
        ).geo_precision
        == 2
    ):
        precision = 2  # "ريف حلب": near the place, coded to it
    if nearest.place_id in countries:
        precision = 3
    event.place_id, event.geo_precision = nearest.place_id, precision
    event.evidence.append(("location", nearest.start, nearest.end))


def _actors(
    event: Suggested,
    named: list[tuple[int, int, Actor]],
    trigger: int,
    air_force: tuple[int, int, Actor] | None = None,
) -> None:
    """Actors named before the trigger act (actor1); those after it are acted on (actor2).
    An air force named with the aircraft is the attacker; civilians are never actor 1."""
    if air_force:
        named = [air_force, *(n for n in named if n[2] != air_force[2])]
        trigger = air_force[1]
    before = [n for n in named if n[0] < trigger]
    after = [n for n in named if n[0] >= trigger]
    first = before[0] if before else (after.pop(0) if after else None)
    second = next((n for n in after if first is None or n[2] != first[2]), None)
    if first and first[2].inter_code == CIVILIANS:
        first, second = second, first  # civilians named first are the victims, not the actor
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
    # Two statements however many events: a long report has a hundred.
    events = Event.objects.bulk_create(
        Event(
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
        for s in suggestions
    )
    Evidence.objects.bulk_create(
        Evidence(event=event, field=f, start=a, end=b)
        for event, s in zip(events, suggestions, strict=True)
        for f, a, b in s.evidence
    )
    return events


def set_publication_date(article: Article, published: date, user: object) -> int:
    """Give the article its publication date and resolve the dates of the machine layer's
    events again against it (annotators' layers keep what they have); one audit entry.
    Returns how many events changed date."""
    with transaction.atomic():
        before = article.published_at
        article.published_at = published
        article.save(update_fields=["published_at"])
        layer = article.machine_layer()
        changed = _redate(layer) if layer else 0
        AuditEntry.objects.create(
            article=article,
            user=user if getattr(user, "is_authenticated", False) else None,
            object_type=AuditEntry.ObjectType.ARTICLE,
            object_id=article.pk,
            action=Action.UPDATE,
            before={"published_at": before.isoformat() if before else None},
            after={"published_at": published.isoformat(), "events_redated": changed},
        )
    return changed


def _redate(layer: Layer) -> int:
    """Re-date each machine event from the pre-coder's suggestion with the same trigger."""
    suggested = {
        (f, a, b): s
        for s in precode(layer.article, list(layer.spans.all()))
        for f, a, b in s.evidence
        if f == "event_type"
    }
    changed = 0
    for event in layer.events.prefetch_related("evidence"):
        cited = [("event_type", e.start, e.end) for e in event.evidence.all()]
        s = next((suggested[c] for c in cited if c in suggested), None)
        if s is None or (event.event_date, event.time_precision) == (
            s.event_date,
            s.time_precision,
        ):
            continue
        event.event_date, event.time_precision = s.event_date, s.time_precision
        event.save(update_fields=["event_date", "time_precision"])
        event.evidence.filter(field="event_date").delete()
        Evidence.objects.bulk_create(
            Evidence(event=event, field=f, start=a, end=b)
            for f, a, b in s.evidence
            if f == "event_date"
        )
        changed += 1
    if changed:
        Layer.objects.filter(pk=layer.pk).update(version=F("version") + 1)
    return changed


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
    suggestion = for_sentence(layer.article, list(layer.spans.all()), sentence)
    with layer.writing(user, version) as write:
        (event,) = _create(layer, [suggestion], Span.HUMAN)
        write.record(Action.CREATE, event.pk, None, snapshot(event), EVENT)
        incidents.queue_for(layer, [event.pk])
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


def save_edit(
    event: Event, user: object, version: int, cited: Collection[int] = frozenset()
) -> None:
    """Save an event already changed by a validated form; the layer version guards it.

    `cited` are the evidence ids cited while this form was open: they back the values the
    form holds now, so the value rule (`_follow_values`) leaves them where they are."""
    with event.layer.writing(user, version) as write:
        saved = Event.objects.get(pk=event.pk)
        before = snapshot(saved)
        event.save()
        _follow_values(event, cited_values(saved), cited_values(event), cited)
        write.record(Action.UPDATE, event.pk, before, snapshot(event), EVENT)
        incidents.queue_for(event.layer, [event.pk])


# Evidence backs one value of its field. When a save changes that value, the words cited
# for the old value no longer support the field: an actor's evidence moves with the actor
# to the other actor field (a swap of actor 1 and actor 2 swaps their evidence), and any
# other evidence of a changed field is dropped. Evidence cited while the form was open was
# cited for the form's new value and stays. Notes evidence stays while there are notes.
ACTOR_FIELDS = ("actor1", "actor2")


def cited_values(event: Event) -> dict[str, object]:
    """The value each evidence field backs (Evidence.FIELDS)."""
    return {
        "event_type": (event.event_type, event.sub_event_type),
        "actor1": event.actor1_id,
        "actor2": event.actor2_id,
        "event_date": event.event_date,
        "location": event.place_id,
        "fatalities": event.fatalities,
        "notes": bool(event.notes.strip()),
    }


def _follow_values(
    event: Event, old: dict[str, object], new: dict[str, object], cited: Collection[int]
) -> None:
    stale = [e for e in event.evidence.exclude(pk__in=cited) if old[e.field] != new[e.field]]
    kept = {(e.field, e.start, e.end) for e in event.evidence.all() if e not in stale}
    for evidence in stale:
        moved = _field_now_holding(old[evidence.field], evidence.field, new)
        if moved and (moved, evidence.start, evidence.end) not in kept:
            evidence.field = moved
            evidence.save(update_fields=["field"])
            kept.add((moved, evidence.start, evidence.end))
        else:
            evidence.delete()


def _field_now_holding(value: object, field_name: str, new: dict[str, object]) -> str | None:
    """The actor field that holds the actor an actor field held before, if any."""
    if field_name not in ACTOR_FIELDS or value is None:
        return None
    return next((f for f in ACTOR_FIELDS if new[f] == value), None)


def delete_event(event: Event, user: object, version: int) -> None:
    with event.layer.writing(user, version) as write:
        before, pk = snapshot(event), event.pk
        incidents.leave_incident(event, user)
        event.delete()
        write.record(Action.DELETE, pk, before, None, EVENT)


def attach(event: Event, user: object, field_name: str, span: Span, version: int) -> Evidence:
    """Cite a span of the same layer as evidence for one field of the event."""
    if field_name not in dict(Evidence.FIELDS):
        raise SpanRejected(_("Unknown event field: %(f)s.") % {"f": field_name})
    if span.layer_id != event.layer_id:
        raise SpanRejected(_("Evidence must come from the same layer."))
    with event.layer.writing(user, version) as write:
        before = snapshot(event)
        evidence, _created = Evidence.objects.get_or_create(
            event=event, field=field_name, start=span.start, end=span.end, defaults={"span": span}
        )
        write.record(Action.UPDATE, event.pk, before, snapshot(event), EVENT)
    return evidence


def detach(evidence: Evidence, user: object, version: int) -> None:
    """Remove one piece of evidence from its event (an audited write like citing one)."""
    event = evidence.event
    with event.layer.writing(user, version) as write:
        before = snapshot(event)
        evidence.delete()
        write.record(Action.UPDATE, event.pk, before, snapshot(event), EVENT)


def events_with_evidence(layer: Layer) -> list[tuple[Event, str]]:
    """The layer's events, each with its evidence as JSON: one list of piece ids per cited
    range (the page draws each range as one highlight)."""
    doc = document_for(layer.article.body)
    listed = layer.events.select_related("place", "actor1", "actor2").prefetch_related("evidence")
    return [
        (e, json.dumps([doc.pieces_in(ev.start, ev.end) for ev in e.evidence.all()]))
        for e in listed
    ]
