"""JSONL: one line per exported layer of an article, with its text, spans, places and events.

The schema is in the README ("Export"). Lines are compact (fixed separators) and keep
Arabic as UTF-8, so the same data always gives the same bytes: an export, re-imported
into an empty database and exported again, is byte-identical.

A line is exactly `encode(record)` for the record `exports.records()` gives (a test
holds them equal), but spans, the bulk of every line, are written from their rows with
the encoder's own string escaping and each place encoded once per chunk: building and
encoding 30 dicts per article was most of the export's time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from . import Chunk, Selection, events, fetched, head

# One encoder for every line: json.dumps with options builds a new one per call.
encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# The string escaping that encoder applies (ensure_ascii=False).
string = json.encoder.encode_basestring


def write(selection: Selection) -> Iterator[str]:
    """The export as text pieces, one per chunk of articles."""
    for chunk in fetched(selection):
        yield "".join(lines(chunk))


def lines(chunk: Chunk) -> list[str]:
    places = {pk: encode(place) for pk, place in chunk.places.items()}
    out = []
    for article, layer in chunk.pairs():
        body = article[2]
        spans = chunk.spans.get(layer[0], [])
        start = encode(head(chunk.corpus, article, layer))[:-1]  # without its closing brace
        written = ",".join([_span(row, body, places) for row in spans])
        coded = encode(events(chunk, layer, body, spans))
        out.append(f'{start},"spans":[{written}],"events":{coded}}}\n')
    return out


def _span(row: tuple, body: str, places: dict[int, str]) -> str:
    _, _, start, end, label, origin, confidence, engine, status, score, precision, place = row
    # Nulls inline: most spans have no confidence, score or precision, and a call per
    # field was a fifth of the export's time.
    return (
        f'{{"start":{start},"end":{end},"text":{string(body[start:end])},'
        f'"label":{string(label)},"origin":{string(origin)},"engine":{string(engine)},'
        f'"confidence":{"null" if confidence is None else _number(confidence)},'
        f'"place":{places.get(place, "null")},"link_status":{string(status)},'
        f'"link_score":{"null" if score is None else _number(score)},'
        f'"geo_precision":{"null" if precision is None else precision}}}'
    )


def _number(value: Any) -> str:
    if isinstance(value, int) or math.isfinite(value):
        return repr(value)  # what the encoder writes for ints and finite floats
    return encode(value)  # NaN and infinities, spelled the encoder's way
