"""Reading an export's JSONL back: articles, their layers, spans, places, events, evidence.

Like ingest, every rejected line is reported as `file:line: reason` and the rest goes in;
each line is its own savepoint, so a bad line leaves nothing behind. Articles are found
by their text (unique per corpus), so the several layers of one article land on it.
A new article keeps its exported id when that id is free, which makes export → import
into an empty database → export byte-identical; the PostgreSQL sequence is then moved
past the ids used. Annotators are existing users, found by username; places are found
by GeoNames id (custom places by name and coordinates) and created from the line when
missing; actors are found by name and created when missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction

from .acled import ACTOR_TYPES, EVENT_TYPES
from .ingest import UNDECODABLE, Rejection, parse_object
from .models import Actor, Article, Corpus, Event, Evidence, Layer, Place, Span, content_hash

KINDS = {k for k, _ in Layer.KINDS}
STATES = {s for s, _ in Layer.STATES}
ORIGINS = {o for o, _ in Span.ORIGINS}
LINK_STATUSES = {s for s, _ in Span.LINK_STATUSES}
EVIDENCE_FIELDS = {f for f, _ in Evidence.FIELDS}
INTER_CODES = {c for c, _ in ACTOR_TYPES}
PLACE_TEXT = ("country_code", "admin1", "admin2", "admin1_code", "admin2_code")
PLACE_CODES = ("feature_class", "feature_code", "source")
INTEGER, BIGINT = 2**31 - 1, 2**63 - 1  # the largest value of each column type


@dataclass
class ImportReport:
    articles: int = 0  # created; an article already present is reused
    layers: int = 0
    spans: int = 0
    events: int = 0
    rejected: list[Rejection] = field(default_factory=list)


class _Caches:
    """What one import looked up already: corpora, users, places, actors."""

    def __init__(self) -> None:
        self.corpora: dict[str, Corpus] = {}
        self.users: dict[str, Any] = {}
        self.places: dict[tuple, int] = {}
        self.actors: dict[str, Actor] = {}
        self.explicit_ids = False
        self._fresh: list[tuple[dict, Any]] = []

    def remember(self, cache: dict, key: Any, value: Any) -> Any:
        cache[key] = value
        self._fresh.append((cache, key))
        return value

    def line_done(self, stored: bool) -> None:
        # A rejected line's savepoint is rolled back, and with it whatever the line created:
        # a cached corpus, place or actor from it would point at a row that is gone.
        if not stored:
            for cache, key in self._fresh:
                cache.pop(key, None)
        self._fresh.clear()


def import_jsonl(path: Path, corpus: str | None = None) -> ImportReport:
    report = ImportReport()
    caches = _Caches()
    name = str(path)
    with transaction.atomic(), open(path, encoding="utf-8", errors="surrogateescape") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            reason = None
            try:
                record = parse_object(line.removeprefix("\ufeff"))
                with transaction.atomic():
                    _store(record, corpus, caches, report)
            except ValueError as exc:
                reason = str(exc)
            except DatabaseError as exc:
                reason = f"database refused it: {exc}".splitlines()[0]
            caches.line_done(stored=reason is None)
            if reason:
                report.rejected.append(Rejection(name, number, reason))
        if caches.explicit_ids:
            _reset_sequence()
    return report


def _reset_sequence() -> None:
    # Articles were inserted with explicit ids; PostgreSQL's sequence does not see those
    # and would hand them out again. SQLite's AUTOINCREMENT keeps track by itself.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Article]):
            cursor.execute(sql)


# --- Storing one line ---------------------------------------------------------------------


def _store(record: dict[str, Any], corpus: str | None, caches: _Caches, report: ImportReport):
    text = _text(record, "text", required=True)
    if not text:
        raise ValueError("empty text")
    layer_data = record.get("layer")
    if not isinstance(layer_data, dict):
        raise ValueError("layer: missing or not an object")
    target = _corpus(corpus or _text(record, "corpus"), caches)
    article, created = _article(record, text, target, caches)
    layer = _layer(layer_data, article, caches)
    spans = _spans(record.get("spans", []), text, layer, caches)
    events = _events(record.get("events", []), text, layer, spans, caches)
    report.articles += created
    report.layers += 1
    report.spans += len(spans)
    report.events += events


def _corpus(name: str, caches: _Caches) -> Corpus:
    if not name:
        raise ValueError("no corpus: the line names none and --corpus was not given")
    if name not in caches.corpora:
        caches.remember(caches.corpora, name, Corpus.objects.get_or_create(name=name[:200])[0])
    return caches.corpora[name]


def _article(record: dict, text: str, corpus: Corpus, caches: _Caches) -> tuple[Article, bool]:
    existing = Article.objects.filter(corpus=corpus, content_hash=content_hash(text)).first()
    if existing:
        return existing, False
    metadata = record.get("metadata", {})
    if not isinstance(metadata, dict):
        raise ValueError("metadata: not an object")
    article = Article(
        corpus=corpus,
        title=_text(record, "title")[:500],
        body=text,
        source=_text(record, "source")[:200],
        url=_text(record, "url")[:1000],
        published_at=_date(record.get("published_at"), "published_at"),
        external_id=_text(record, "external_id")[:200],
        metadata=metadata,
    )
    pk = record.get("id")
    if pk is not None:
        _check_int(pk, "id", minimum=1, maximum=BIGINT)
        if not Article.objects.filter(pk=pk).exists():
            article.pk = pk
            caches.explicit_ids = True
    article.save(force_insert=True)
    return article, True


def _layer(data: dict[str, Any], article: Article, caches: _Caches) -> Layer:
    kind, state = data.get("kind"), data.get("state", Layer.NEW)
    if kind not in KINDS:
        raise ValueError(f"layer: unknown kind {kind!r}")
    if state not in STATES:
        raise ValueError(f"layer: unknown state {state!r}")
    user = None
    if kind == Layer.ANNOTATOR:
        user = _user(data.get("annotator"), caches)
        if article.layers.filter(kind=kind, annotator=user).exists():
            raise ValueError(f"article {article.pk} already has a layer by {user.username}")
    elif article.layers.filter(kind=kind).exists():
        raise ValueError(f"article {article.pk} already has a {kind} layer")
    return Layer.objects.create(article=article, kind=kind, state=state, annotator=user)


def _user(username: Any, caches: _Caches) -> Any:
    if not isinstance(username, str) or not username:
        raise ValueError("layer: an annotator layer needs the annotator's username")
    if username not in caches.users:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise ValueError(f"layer: unknown user {username!r} (create the account first)")
        caches.users[username] = user
    return caches.users[username]


def _spans(items: Any, text: str, layer: Layer, caches: _Caches) -> list[Span]:
    if not isinstance(items, list):
        raise ValueError("spans: not a list")
    spans = [_span(item, text, layer, caches, f"spans[{i}]") for i, item in enumerate(items)]
    seen = set()
    for i, span in enumerate(spans):
        key = (span.start, span.end, span.label)
        if key in seen:
            raise ValueError(f"spans[{i}]: the same span twice")
        seen.add(key)
    return Span.objects.bulk_create(spans)


def _span(item: Any, text: str, layer: Layer, caches: _Caches, where: str) -> Span:
    if not isinstance(item, dict):
        raise ValueError(f"{where}: not an object")
    start, end = _offsets(item, text, where)
    label = item.get("label")
    if not isinstance(label, str) or not label or len(label) > 40:
        raise ValueError(f"{where}: label missing or longer than 40 characters")
    origin = item.get("origin", Span.HUMAN)
    status = item.get("link_status") or ""
    if origin not in ORIGINS or status not in LINK_STATUSES:
        raise ValueError(f"{where}: unknown origin {origin!r} or link_status {status!r}")
    return Span(
        layer=layer,
        start=start,
        end=end,
        label=label,
        origin=origin,
        engine=_text(item, "engine")[:60],
        confidence=_number(item.get("confidence"), f"{where}.confidence"),
        place_id=_place(item.get("place"), caches, f"{where}.place"),
        link_status=status,
        link_score=_number(item.get("link_score"), f"{where}.link_score"),
        geo_precision=_precision(item.get("geo_precision"), f"{where}.geo_precision"),
    )


def _offsets(item: dict[str, Any], text: str, where: str) -> tuple[int, int]:
    start, end = item.get("start"), item.get("end")
    _check_int(start, f"{where}.start")
    _check_int(end, f"{where}.end")
    if not start < end <= len(text):
        raise ValueError(f"{where}: offsets {start}-{end} outside the text (0-{len(text)})")
    quoted = item.get("text")
    if quoted is not None and quoted != text[start:end]:
        # Offsets are code points; UTF-16 or byte offsets land elsewhere in Arabic text.
        raise ValueError(f"{where}: text {quoted!r} is not what offsets {start}-{end} hold")
    return start, end


def _place(data: Any, caches: _Caches, where: str) -> int | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError(f"{where}: not an object")
    geonameid = data.get("geonameid")
    if geonameid is not None:
        _check_int(geonameid, f"{where}.geonameid", minimum=1, maximum=BIGINT)
    name = _text(data, "name")
    if not name:
        raise ValueError(f"{where}: no name")
    fields = {
        "name": name[:200],
        "latitude": _coordinate(data.get("latitude"), 90, f"{where}.latitude"),
        "longitude": _coordinate(data.get("longitude"), 180, f"{where}.longitude"),
        **{k: _text(data, k)[:200] for k in PLACE_TEXT},
        **{k: _text(data, k) for k in PLACE_CODES},
        "population": data.get("population") or 0,
    }
    fields["country_code"] = fields["country_code"][:2]
    _check_int(fields["population"], f"{where}.population", maximum=BIGINT)
    if len(fields["feature_class"]) > 1 or len(fields["feature_code"]) > 10:
        raise ValueError(f"{where}: feature class or code too long")
    fields["source"] = fields["source"][:40] or "import"
    key = (geonameid,) if geonameid else (None, name, fields["latitude"], fields["longitude"])
    if key not in caches.places:
        caches.remember(caches.places, key, _find_or_create_place(geonameid, fields))
    return caches.places[key]


def _find_or_create_place(geonameid: int | None, fields: dict[str, Any]) -> int:
    if geonameid:
        found = Place.objects.filter(geonameid=geonameid).values_list("pk", flat=True).first()
    else:
        found = (
            Place.objects.filter(
                geonameid=None,
                name=fields["name"],
                latitude=fields["latitude"],
                longitude=fields["longitude"],
            )
            .values_list("pk", flat=True)
            .first()
        )
    return found or Place.objects.create(geonameid=geonameid, **fields).pk


def _events(items: Any, text: str, layer: Layer, spans: list[Span], caches: _Caches) -> int:
    if not isinstance(items, list):
        raise ValueError("events: not a list")
    for i, item in enumerate(items):
        _event(item, text, layer, spans, caches, f"events[{i}]")
    return len(items)


def _event(item: Any, text: str, layer: Layer, spans: list[Span], caches: _Caches, where: str):
    if not isinstance(item, dict):
        raise ValueError(f"{where}: not an object")
    event_type, sub_type = item.get("event_type"), item.get("sub_event_type")
    if sub_type not in EVENT_TYPES.get(event_type, ()):
        raise ValueError(f"{where}: {event_type!r} / {sub_type!r} is not an ACLED type pair")
    low, high = item.get("fatalities_low"), item.get("fatalities_high")
    for key, value in (("fatalities", item.get("fatalities")), ("low", low), ("high", high)):
        if value is not None:
            _check_int(value, f"{where}.{key}")
    if low is not None and high is not None and low > high:
        raise ValueError(f"{where}: fatalities_low is above fatalities_high")
    origin = item.get("origin", Span.HUMAN)
    if origin not in ORIGINS:
        raise ValueError(f"{where}: unknown origin {origin!r}")
    civilians = item.get("civilian_targeting", False)
    if not isinstance(civilians, bool):
        raise ValueError(f"{where}.civilian_targeting: not true or false")
    event = Event.objects.create(
        layer=layer,
        event_type=event_type,
        sub_event_type=sub_type,
        event_date=_date(item.get("event_date"), f"{where}.event_date"),
        time_precision=_precision(item.get("time_precision"), f"{where}.time_precision"),
        place_id=_place(item.get("place"), caches, f"{where}.place"),
        geo_precision=_precision(item.get("geo_precision"), f"{where}.geo_precision"),
        fatalities=item.get("fatalities"),
        fatalities_low=low,
        fatalities_high=high,
        civilian_targeting=civilians,
        notes=_text(item, "notes"),
        source=_text(item, "source")[:300],
        origin=origin,
        **{
            role: _actor(item.get(role), caches, f"{where}.{role}")
            for role in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")
        },
    )
    evidence = item.get("evidence", [])
    if not isinstance(evidence, list):
        raise ValueError(f"{where}.evidence: not a list")
    Evidence.objects.bulk_create(
        _evidence(piece, text, event, spans, f"{where}.evidence[{i}]")
        for i, piece in enumerate(evidence)
    )


def _evidence(item: Any, text: str, event: Event, spans: list[Span], where: str) -> Evidence:
    if not isinstance(item, dict):
        raise ValueError(f"{where}: not an object")
    if item.get("field") not in EVIDENCE_FIELDS:
        raise ValueError(f"{where}: unknown field {item.get('field')!r}")
    start, end = _offsets(item, text, where)
    index = item.get("span")
    if index is not None:
        _check_int(index, f"{where}.span")
        if index >= len(spans):
            raise ValueError(f"{where}: span {index} does not exist ({len(spans)} spans)")
    span = spans[index] if index is not None else None
    return Evidence(event=event, field=item["field"], start=start, end=end, span=span)


def _actor(data: Any, caches: _Caches, where: str) -> Actor | None:
    if data is None:
        return None
    name = _text(data, "name") if isinstance(data, dict) else ""
    if not name:
        raise ValueError(f"{where}: not an object with a name")
    if name not in caches.actors:
        actor = Actor.objects.filter(name=name).first()
        if actor is None:
            code = data.get("inter_code")
            if code not in INTER_CODES:
                raise ValueError(f"{where}: new actor {name!r} needs an inter_code 1-8")
            actor = Actor.objects.create(
                name=name[:200], name_ar=_text(data, "name_ar")[:200], inter_code=code
            )
        caches.remember(caches.actors, name, actor)
    return caches.actors[name]


# --- Field checks -------------------------------------------------------------------------


def _text(data: dict[str, Any], key: str, required: bool = False) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key}: {'missing' if value is None else 'not text'}")
    if UNDECODABLE.search(value):
        raise ValueError(f"{key}: undecodable bytes (not UTF-8)")
    return value


def _check_int(value: Any, where: str, minimum: int = 0, maximum: int = INTEGER) -> None:
    # bool is an int in Python; true is not an offset. Past the column's range SQLite
    # raises OverflowError, not a database error, so the range is checked here.
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise ValueError(f"{where}: expected an integer from {minimum} to {maximum}, got {value!r}")


def _number(value: Any, where: str) -> float | None:
    if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
        raise ValueError(f"{where}: not a number")
    return value


def _coordinate(value: Any, limit: int, where: str) -> float | None:
    value = _number(value, where)
    if value is not None and not -limit <= value <= limit:
        raise ValueError(f"{where}: {value} is outside ±{limit}")
    return value


def _precision(value: Any, where: str) -> int | None:
    if value is not None and (isinstance(value, bool) or value not in (1, 2, 3)):
        raise ValueError(f"{where}: expected 1, 2, 3 or null, got {value!r}")
    return value


def _date(value: Any, where: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: bad date {value!r} (expected YYYY-MM-DD)") from None
