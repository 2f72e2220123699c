"""Incident suggestions: precision and recall of incidents.candidates_for on the reports of
fixtures/incident_eval.jsonl, and the time to find one event's candidates among many.

    .venv/bin/python bench/incidents.py             # the database of DATABASE_URL, else SQLite
    .venv/bin/python bench/incidents.py --events 300000

Each line of the fixture is one report as an annotator codes it (sub-type, date with its
precision, place, actors, fatalities) with its Arabic sentence; reports of one real-world
event share an "incident" id, and near-misses (kind "near_miss": the same town on another
day, or the same day in a neighbouring town) have an id of their own. Each split is loaded
into a corpus of its own, one article per report with its event in an approved gold layer.
A suggested pair is right when both reports share an incident id. The "dev" split is what
the weights and threshold were tuned on; "test" is only reported.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import date, timedelta
from itertools import combinations

from common import ROOT, percentiles, record, run, timed
from django.db import connection

from annotations import incidents
from annotations.acled import SUB_EVENT_TYPES
from annotations.models import Actor, Article, Corpus, Event, Layer, Place

EVAL = ROOT / "fixtures" / "incident_eval.jsonl"
SPLITS = ("dev", "test")


def actor(name: str | None) -> Actor | None:
    if not name:
        return None
    return Actor.objects.get_or_create(name=name, defaults={"inter_code": 1})[0]


def place(spec: dict) -> Place:
    fields = {k: spec[k] for k in ("name", "latitude", "longitude", "country_code")}
    fields |= {"admin1_code": spec["admin1_code"], "admin2": spec["admin2"]}
    return Place.objects.get_or_create(geonameid=spec["geonameid"], defaults=fields)[0]


def load(items: list[dict], corpus: Corpus) -> dict[int, dict]:
    """One article per report, its event in the gold layer; {event id: report}."""
    by_event = {}
    for item in items:
        article = Article.objects.create(
            corpus=corpus,
            title=item["id"],
            body=item["sentence"],
            source=item["outlet"],
            published_at=date.fromisoformat(item["published"]),
        )
        layer = Layer.objects.create(article=article, kind=Layer.GOLD, state=Layer.APPROVED)
        event = Event.objects.create(
            layer=layer,
            event_type=item["event_type"],
            sub_event_type=item["sub_event_type"],
            event_date=date.fromisoformat(item["event_date"]),
            time_precision=item["time_precision"],
            place=place(item["place"]),
            geo_precision=item["geo_precision"],
            actor1=actor(item["actor1"]),
            actor2=actor(item["actor2"]),
            fatalities=item["fatalities"],
        )
        by_event[event.pk] = item
    return by_event


def score_split(split: str, items: list[dict]) -> None:
    corpus = Corpus.objects.create(name=f"incident eval {split}")
    by_event = load(items, corpus)
    truth = {
        frozenset((a, b))
        for a, b in combinations(by_event, 2)
        if by_event[a]["incident"] == by_event[b]["incident"]
    }
    suggested = set()
    for event in Event.objects.filter(pk__in=by_event).select_related("layer__article", "place"):
        for found in incidents.candidates_for(event):
            suggested.add(frozenset((event.pk, found.event_id)))
    right = suggested & truth
    precision = len(right) / len(suggested) if suggested else 1.0
    recall = len(right) / len(truth) if truth else 1.0
    incidents_n = len({i["incident"] for i in items if i["kind"] == "incident"})
    near = sum(i["kind"] == "near_miss" for i in items)
    record(
        f"{split}: incidents / reports / near-misses", f"{incidents_n} / {len(items)} / {near}", ""
    )
    record(f"{split}: pairs to find / suggested", f"{len(truth)} / {len(suggested)}", "pairs")
    record(f"{split}: precision", f"{precision:.3f}", "")
    record(f"{split}: recall", f"{recall:.3f}", "")
    for pair in sorted(suggested - truth, key=sorted):
        a, b = (by_event[e]["id"] for e in sorted(pair))
        print(f"    {split} wrong suggestion: {a} ~ {b}", file=sys.stderr)
    for pair in sorted(truth - suggested, key=sorted):
        a, b = (by_event[e]["id"] for e in sorted(pair))
        print(f"    {split} missed: {a} ~ {b}", file=sys.stderr)


def bench_speed(total: int) -> None:
    """`total` approved events over three years and 38 places, then candidates_for timed
    for 200 of them."""
    rng = random.Random(7)
    corpus = Corpus.objects.create(name="incident speed")
    places = list(Place.objects.all())
    actors = list(Actor.objects.all())
    subs = list(SUB_EVENT_TYPES)
    start = date(2021, 1, 1)
    per_article = 10
    made = 0
    while made < total:
        articles = Article.objects.bulk_create(
            Article(corpus=corpus, title=f"s{made + i}", body="-", content_hash=f"s{made + i}")
            for i in range(1000)
        )
        layers = Layer.objects.bulk_create(
            Layer(article=a, kind=Layer.GOLD, state=Layer.APPROVED) for a in articles
        )
        events = []
        for layer in layers:
            for _ in range(per_article):
                sub = rng.choice(subs)
                events.append(
                    Event(
                        layer=layer,
                        event_type=SUB_EVENT_TYPES[sub],
                        sub_event_type=sub,
                        event_date=start + timedelta(days=rng.randrange(1095)),
                        time_precision=rng.choice([1, 1, 1, 1, 2, 3]),
                        place=rng.choice(places),
                        geo_precision=1,
                        actor1=rng.choice(actors),
                    )
                )
        Event.objects.bulk_create(events, batch_size=5000)
        made += len(events)
    print(f"  {made:,} events loaded", file=sys.stderr)
    if connection.vendor == "postgresql":  # as autovacuum would after a load this size
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    sample = list(
        Event.objects.filter(layer__article__corpus=corpus)
        .select_related("layer__article", "place")
        .order_by("?")[:200]
    )
    samples, found = [], 0
    for event in sample:
        result, ms = timed(incidents.candidates_for, event)
        samples.append(ms)
        found += len(result)
    print(incidents.prefilter(sample[0]).explain(analyze=True), file=sys.stderr)
    median, p95 = percentiles(samples)
    record(f"candidates_for among {made:,} events: median", median, "ms")
    record(f"candidates_for among {made:,} events: p95", p95, "ms")
    record("candidates per event (random data)", found / len(sample), "")


def main() -> None:
    items = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line]
    for split in SPLITS:
        score_split(split, [item for item in items if item["split"] == split])
    if "--events" in sys.argv:
        bench_speed(int(sys.argv[sys.argv.index("--events") + 1]))


if __name__ == "__main__":
    run("Incident suggestions", main)
