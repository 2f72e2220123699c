"""GeoJSON FeatureCollection of events: a Point at the event place's coordinates.

Every event is a Feature, also those whose place is unknown or has no coordinates: they
keep `"geometry": null` (allowed by RFC 7946) so the file holds the same events as the
CSV; the datasheet counts them. Properties are the ACLED CSV row (typed, null where
unknown) with the evidence as a list of {field, start, end, text, span}.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Selection, chunks
from .acled import events, layer_key, layer_timestamps
from .jsonl import encode

HEAD = '{"type":"FeatureCollection","features":[\n'
TAIL = "\n]}\n"


def write(selection: Selection) -> Iterator[str]:
    yield HEAD
    first = True
    for chunk in chunks(selection):
        stamps = layer_timestamps(chunk)
        parts = []
        for record in chunk:
            rows = events(record, stamps.get(layer_key(record)))
            for event, row in zip(record["events"], rows, strict=True):
                parts.append(encode(feature(row, event)))
        if parts:
            yield ("" if first else ",\n") + ",\n".join(parts)
            first = False
    yield TAIL


def feature(row: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    lat, lon = row["latitude"], row["longitude"]
    geometry = None
    if lat is not None and lon is not None:
        geometry = {"type": "Point", "coordinates": [lon, lat]}
    properties = {k: v for k, v in row.items() if k not in ("latitude", "longitude")}
    properties["evidence"] = event["evidence"]
    return {"type": "Feature", "geometry": geometry, "properties": properties}
