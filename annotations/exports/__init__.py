"""Exporting layers: which layers (a Selection) and reading them in chunks of articles.

Every format is written from the same records, one per exported layer of an article,
in the shape of a JSONL line (see jsonl.py). Articles are read 1,000 at a time by
primary key and each chunk's layers, spans, events, evidence, places and actors come
from a few bulk `values_list` queries, so memory stays flat however large the corpus.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from operator import itemgetter
from typing import Any

import psycopg
from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Collate

from ..acled import DISORDER, interaction
from ..models import Actor, Article, Corpus, Event, Evidence, Layer, Place, Span

__all__ = [
    "ANNOTATORS",
    "FORMATS",
    "GOLD",
    "INCIDENT",
    "LEVELS",
    "REPORT",
    "Chunk",
    "Selection",
    "chunks",
    "fetched",
    "layer_name",
    "records",
    "stream",
]

GOLD = "gold"
ANNOTATORS = "annotators"
FORMATS = ("jsonl", "conll", "acled", "geojson", "bundle")
# Report level: one row per event of each report. Incident level: one row per incident, the
# events editors linked across reports merged (see incidents.py); CoNLL has report level only.
REPORT = "report"
INCIDENT = "incident"
LEVELS = (REPORT, INCIDENT)
INCIDENT_FORMATS = ("jsonl", "acled", "geojson")
# Content type and file extension of each format.
MEDIA = {
    "jsonl": ("application/x-ndjson; charset=utf-8", "jsonl"),
    "conll": ("text/plain; charset=utf-8", "conll"),
    "acled": ("text/csv; charset=utf-8", "csv"),
    "geojson": ("application/geo+json", "geojson"),
    "bundle": ("application/zip", "zip"),
}
CHUNK = 1000

ARTICLE_FIELDS = ("id", "title", "body", "source", "url", "published_at", "external_id")
SPAN_FIELDS = (
    "layer_id",
    "id",
    "start",
    "end",
    "label",
    "origin",
    "confidence",
    "engine",
    "link_status",
    "link_score",
    "geo_precision",
    "place_id",
)
EVENT_FIELDS = (
    "layer_id",
    "id",
    "event_type",
    "sub_event_type",
    "event_date",
    "time_precision",
    "actor1_id",
    "assoc_actor_1_id",
    "actor2_id",
    "assoc_actor_2_id",
    "civilian_targeting",
    "place_id",
    "geo_precision",
    "fatalities",
    "fatalities_low",
    "fatalities_high",
    "notes",
    "source",
    "origin",
)
PLACE_FIELDS = (
    "geonameid",
    "name",
    "latitude",
    "longitude",
    "country_code",
    "admin1",
    "admin2",
    "admin1_code",
    "admin2_code",
    "feature_class",
    "feature_code",
    "population",
    "source",
)
ACTOR_ROLES = ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")


@dataclass(frozen=True)
class Selection:
    """Which layers to export: gold or annotator layers of one corpus, filtered."""

    corpus: Corpus
    layers: str = GOLD
    annotator: str | None = None  # username; only with layers="annotators"
    state: str | None = None
    since: date | None = None  # on Article.published_at, inclusive
    until: date | None = None

    def layer_q(self) -> Q:
        q = Q(kind=Layer.GOLD if self.layers == GOLD else Layer.ANNOTATOR)
        if self.annotator:
            q &= Q(annotator__username=self.annotator)
        if self.state:
            q &= Q(state=self.state)
        return q

    def articles(self) -> QuerySet[Article]:
        """The corpus's articles in the date range that have at least one selected layer."""
        articles = Article.objects.filter(corpus=self.corpus)
        if self.since:
            articles = articles.filter(published_at__gte=self.since)
        if self.until:
            articles = articles.filter(published_at__lte=self.until)
        selected = Layer.objects.filter(self.layer_q(), article=OuterRef("pk"))
        return articles.filter(Exists(selected))

    def layers_between(self, low: int, high: int) -> QuerySet[Layer]:
        """The selected layers of the selected articles with low < pk <= high: a chunk."""
        layers = Layer.objects.filter(
            self.layer_q(),
            article__corpus=self.corpus,
            article_id__gt=low,
            article_id__lte=high,
        )
        if self.since:
            layers = layers.filter(article__published_at__gte=self.since)
        if self.until:
            layers = layers.filter(article__published_at__lte=self.until)
        return layers

    def describe(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus.name,
            "layers": self.layers,
            "annotator": self.annotator,
            "state": self.state,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


def layer_name(record: dict[str, Any]) -> str:
    """How files and reports name an exported layer: gold, or annotator:alice."""
    layer = record["layer"]
    return layer["kind"] if layer["kind"] != Layer.ANNOTATOR else f"annotator:{layer['annotator']}"


@dataclass
class Chunk:
    """The rows of up to CHUNK articles and everything their selected layers hold."""

    corpus: str
    articles: list[tuple]
    layers: dict[int, list[tuple]]  # by article id
    spans: dict[int, list[tuple]]  # by layer id, in (start, end, label) order
    events: dict[int, list[tuple]]  # by layer id
    evidence: dict[int, list[tuple]]  # by event id
    places: dict[int, dict[str, Any]]
    actors: dict[int, dict[str, Any]]

    def pairs(self) -> Iterator[tuple[tuple, tuple]]:
        """(article row, layer row) for each exported line, in export order."""
        for article in self.articles:
            for layer in self.layers.get(article[0], ()):
                yield article, layer

    def records(self) -> list[dict[str, Any]]:
        return [_record(self, article, layer) for article, layer in self.pairs()]


def fetched(selection: Selection, size: int = CHUNK, spans: bool = True) -> Iterator[Chunk]:
    """The selection's chunks: articles by primary key, a few bulk queries per chunk.

    On PostgreSQL outside a transaction (the export command, a streamed download) the
    chunks are read by READERS threads, each on its own connection, while this one writes:
    the driver waits on the server without holding the GIL, and one reader, waiting on
    each query in turn, could not keep up with the writer. Inside a transaction (tests,
    or a caller that needs one snapshot) another connection would not see the same data,
    so the chunks are read here, one after the other.

    `spans=False` leaves the spans out (an empty dict): the incident level reads events only.
    """
    connection = connections[Article.objects.db]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _read_ahead(selection, size, spans=spans)
    return _read(selection, size, spans)


READERS = 2


def _read_ahead(
    selection: Selection, size: int, readers: int = READERS, spans: bool = True
) -> Iterator[Chunk]:
    bounds = _bounds(selection, size)
    # Reader k reads chunks k, k + readers, …, each one ahead at most: memory stays flat.
    ready = [queue.Queue(maxsize=1) for _ in range(readers)]
    stop = threading.Event()

    def put(k: int, item: object) -> bool:
        while not stop.is_set():
            try:
                ready[k].put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work(k: int) -> None:
        try:
            for low, high in bounds[k::readers]:
                if not put(k, _chunk(selection, low, high, spans)):
                    return
        except BaseException as exc:  # handed to the writer, raised there
            put(k, exc)
        finally:
            connections.close_all()  # this thread's connection

    threads = [
        threading.Thread(target=work, args=(k,), name="export-read-ahead", daemon=True)
        for k in range(readers)
    ]
    for thread in threads:
        thread.start()
    try:
        for i in range(len(bounds)):
            item = ready[i % readers].get()
            if isinstance(item, BaseException):
                raise item
            if item is not None:
                yield item
    finally:
        # A client that hung up mid-download stops the readers too.
        stop.set()
        for thread in threads:
            thread.join(timeout=10)


def _read(selection: Selection, size: int, spans: bool = True) -> Iterator[Chunk]:
    for low, high in _bounds(selection, size):
        chunk = _chunk(selection, low, high, spans)
        if chunk is not None:
            yield chunk


def _bounds(selection: Selection, size: int) -> list[tuple[int, int | None]]:
    """The chunks as (low, high] ranges of article ids, `size` selected articles each; the
    last is open. Known up front, so that several threads can read them at once; one id
    per chunk, not every id, is held."""
    articles = selection.articles().order_by().values_list("pk")
    sql, params = articles.query.sql_with_params()
    with connections[articles.db].cursor() as cursor:
        cursor.execute(
            "SELECT pk FROM (SELECT a.pk, ROW_NUMBER() OVER (ORDER BY a.pk) AS n "
            f"FROM ({sql}) a) numbered WHERE n %% %s = 0 ORDER BY pk",
            (*params, size),
        )
        highs = [row[0] for row in cursor.fetchall()]
    lows = [0, *highs]
    return [*zip(lows, highs, strict=False), (lows[-1], None)]


def _chunk(selection: Selection, low: int, high: int | None, spans: bool = True) -> Chunk | None:
    articles = selection.articles().filter(pk__gt=low).order_by("pk")
    if high is not None:
        articles = articles.filter(pk__lte=high)
    rows = _article_rows(articles.values_list(*ARTICLE_FIELDS, "metadata"))
    if not rows:
        return None
    return _fetch(selection, rows, selection.layers_between(low, rows[-1][0]), spans)


def chunks(selection: Selection, size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    """Lists of export records (one per selected layer), article by article in pk order."""
    for chunk in fetched(selection, size):
        yield chunk.records()


def stream(
    selection: Selection, fmt: str, on_drop: Callable | None = None, level: str = REPORT
) -> Iterator[bytes]:
    """The text formats as pieces of UTF-8; `on_drop` hears of spans CoNLL could not write.
    At the incident level (JSONL, ACLED CSV and GeoJSON only) one row per incident."""
    # The writers import this package, so they are imported here, not at the top.
    from . import acled, conll, geojson, incidents, jsonl

    if level == INCIDENT:
        if fmt not in INCIDENT_FORMATS:
            raise ValueError(f"{fmt} has no incident level")
        return incidents.stream(selection, fmt)

    if fmt == "jsonl":
        return jsonl.write(selection)  # UTF-8 already
    if fmt == "conll":
        pieces = conll.write(selection, on_drop)
    else:
        pieces = {"acled": acled.write, "geojson": geojson.write}[fmt](selection)
    return (piece.encode("utf-8") for piece in pieces)


def records(selection: Selection) -> Iterator[dict[str, Any]]:
    for chunk in chunks(selection):
        yield from chunk


def _fetch(
    selection: Selection, articles: list[tuple], layers: QuerySet[Layer], with_spans: bool = True
) -> Chunk:
    rows = list(
        layers.values_list("id", "article_id", "kind", "state", "annotator__username").order_by()
    )
    # Gold, then annotators by name: an order that survives a re-import (layer ids do not).
    rows.sort(key=lambda row: (row[1], row[2] != Layer.GOLD, row[4] or "", row[0]))
    by_article: dict[int, list[tuple]] = {}
    for row in rows:
        by_article.setdefault(row[1], []).append(row)
    ids = [row[0] for row in rows]
    spans = _spans_by_layer(ids) if ids and with_spans else {}
    events = _events_by_layer(ids) if ids else {}
    return Chunk(
        corpus=selection.corpus.name,
        articles=articles,
        layers=by_article,
        spans=spans,
        events=events,
        evidence=_evidence_by_event(events),
        places=_places(spans, events),
        actors=_actors(events),
    )


def _among(queryset: QuerySet, field: str, ids: list[int]) -> QuerySet:
    """`field IN ids`, written for the database at hand.

    On PostgreSQL the ids go as one array parameter: psycopg's client-side binding of an
    IN list of 1,000 parameters cost more than the query, and a join to the chunk's layers
    instead made the planner scan all spans."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.filter(**{f"{field}__in": ids})
    meta = queryset.model._meta
    column = f"{connection.ops.quote_name(meta.db_table)}.{meta.get_field(field).column}"
    return queryset.extra(where=[f"{column} = ANY(%s)"], params=[ids])


def _spans_by_layer(layer_ids: list[int]) -> dict[int, list[tuple]]:
    spans = _among(Span.objects.all(), "layer_id", layer_ids)
    # By layer, then start, end and label by code point: the same order on both databases
    # (SQLite compares text bytewise, PostgreSQL does under the "C" collation). The
    # database sorts while the other thread writes; sorting here took Python time.
    label = Collate("label", "C") if connections[spans.db].vendor == "postgresql" else "label"
    rows = spans.order_by("layer_id", "start", "end", label).values_list(*SPAN_FIELDS)
    return {layer: list(group) for layer, group in groupby(_all_rows(rows), _FIRST)}


_FIRST = itemgetter(0)


def _all_rows(queryset: QuerySet) -> list[tuple]:
    """Every row in one fetch, as the driver returns it.

    Django fetches 100 rows at a time through its converters, which took longer than the
    query itself on 30,000 spans. Only for columns that need no conversion (numbers, text),
    or on PostgreSQL, whose driver returns dates as dates."""
    sql, params = queryset.query.sql_with_params()
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        # psycopg's own cursor, in binary: numbers arrive without being parsed from text.
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, binary=True)
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _rows(queryset: QuerySet) -> list[tuple]:
    """A values_list's rows: in one fetch on PostgreSQL (see _all_rows); through Django's
    converters elsewhere (SQLite returns dates as text)."""
    if connections[queryset.db].vendor == "postgresql":
        return _all_rows(queryset)
    return list(queryset)


def _article_rows(queryset: QuerySet) -> list[tuple]:
    """Article rows, `metadata` last: PostgreSQL's driver hands JSON over as text."""
    rows = _rows(queryset)
    if rows and isinstance(rows[0][-1], str):
        return [(*row[:-1], json.loads(row[-1])) for row in rows]
    return rows


def _events_by_layer(layer_ids: list[int]) -> dict[int, list[tuple]]:
    events: dict[int, list[tuple]] = {}
    rows = _among(Event.objects.all(), "layer_id", layer_ids).order_by()
    for row in _rows(rows.values_list(*EVENT_FIELDS)):
        events.setdefault(row[0], []).append(row)
    # By date (undated last) then creation: the same order on SQLite and PostgreSQL, which
    # sort NULLs differently, and after a re-import, which keeps the creation order.
    for rows in events.values():
        rows.sort(key=lambda r: (r[4] is None, r[4] or date.min, r[1]))
    return events


def _places(spans: dict[int, list[tuple]], events: dict[int, list[tuple]]) -> dict[int, dict]:
    ids = {r[11] for rows in spans.values() for r in rows if r[11]}
    ids |= {r[11] for rows in events.values() for r in rows if r[11]}
    if not ids:
        return {}
    rows = Place.objects.filter(pk__in=ids).values_list("id", *PLACE_FIELDS)
    return {row[0]: dict(zip(PLACE_FIELDS, row[1:], strict=True)) for row in rows}


def _actors(events: dict[int, list[tuple]]) -> dict[int, dict]:
    ids = {r[i] for rows in events.values() for r in rows for i in (6, 7, 8, 9) if r[i]}
    if not ids:
        return {}
    rows = Actor.objects.filter(pk__in=ids).values_list("id", "name", "name_ar", "inter_code")
    return {pk: {"name": n, "name_ar": ar, "inter_code": code} for pk, n, ar, code in rows}


def _evidence_by_event(events: dict[int, list[tuple]]) -> dict[int, list[tuple]]:
    ids = [r[1] for rows in events.values() for r in rows]
    evidence: dict[int, list[tuple]] = {}
    if not ids:
        return evidence
    rows = _among(Evidence.objects.all(), "event_id", ids).order_by()
    for row in _all_rows(rows.values_list("event_id", "field", "start", "end", "span_id", "id")):
        evidence.setdefault(row[0], []).append(row)
    for pieces in evidence.values():
        pieces.sort(key=lambda r: (r[1], r[2], r[3], r[5]))
    return evidence


def _record(chunk: Chunk, article: tuple, layer: tuple) -> dict[str, Any]:
    body = article[2]
    layer_spans = chunk.spans.get(layer[0], [])
    return {
        **head(chunk.corpus, article, layer),
        "spans": span_dicts(layer_spans, body, chunk.places),
        "events": events(chunk, layer, body, layer_spans),
    }


def head(corpus: str, article: tuple, layer: tuple) -> dict[str, Any]:
    """A record's fields before its spans and events."""
    pk, title, body, source, url, published, external_id, metadata = article
    return {
        "id": pk,
        "corpus": corpus,
        "title": title,
        "text": body,
        "source": source,
        "url": url,
        "published_at": published.isoformat() if published else None,
        "external_id": external_id,
        "metadata": metadata,
        "layer": {"kind": layer[2], "annotator": layer[4], "state": layer[3]},
    }


def events(chunk: Chunk, layer: tuple, body: str, layer_spans: list[tuple]) -> list[dict]:
    rows = chunk.events.get(layer[0])
    if not rows:
        return []
    # Evidence names the span it cites by its position in the record's span list.
    index = {row[1]: i for i, row in enumerate(layer_spans)}
    return [
        event_record(row, body, chunk.evidence.get(row[1], ()), index, chunk.places, chunk.actors)
        for row in rows
    ]


def span_dicts(rows: list[tuple], body: str, places: dict[int, dict]) -> list[dict[str, Any]]:
    """A layer's span rows as records' span dicts.

    One comprehension rather than a call per span: 30 spans an article made the call
    a tenth of the JSONL export's time."""
    return [
        {
            "start": start,
            "end": end,
            "text": body[start:end],
            "label": label,
            "origin": origin,
            "engine": engine,
            "confidence": conf,
            "place": places.get(place) if place else None,
            "link_status": status,
            "link_score": score,
            "geo_precision": precision,
        }
        for _, _, start, end, label, origin, conf, engine, status, score, precision, place in rows
    ]


def event_record(
    row: tuple,
    body: str,
    evidence: Any,
    span_index: dict[int, int],
    places: dict[int, dict],
    actors: dict[int, dict],
) -> dict[str, Any]:
    """An event row (EVENT_FIELDS) as a record's event dict; `evidence` rows are
    (event_id, field, start, end, span_id, id), their text cut from `body`."""
    (_, _, event_type, sub_type, when, time_precision, a1, aa1, a2, aa2, civilians, place) = row[
        :12
    ]
    geo_precision, fatalities, low, high, notes, source, origin = row[12:]
    actor1, actor2 = actors.get(a1), actors.get(a2)
    return {
        "event_type": event_type,
        "sub_event_type": sub_type,
        "disorder_type": DISORDER.get(event_type, ""),
        "event_date": when.isoformat() if when else None,
        "time_precision": time_precision,
        "actor1": actor1,
        "assoc_actor_1": actors.get(aa1),
        "actor2": actor2,
        "assoc_actor_2": actors.get(aa2),
        "interaction": interaction(
            actor1["inter_code"] if actor1 else None, actor2["inter_code"] if actor2 else None
        ),
        "civilian_targeting": civilians,
        "place": places.get(place) if place else None,
        "geo_precision": geo_precision,
        "fatalities": fatalities,
        "fatalities_low": low,
        "fatalities_high": high,
        "notes": notes,
        "source": source,
        "origin": origin,
        "evidence": [
            {
                "field": field,
                "start": start,
                "end": end,
                "text": body[start:end],
                "span": span_index.get(span_id) if span_id else None,
            }
            for _, field, start, end, span_id, _ in evidence
        ],
    }
