"""JSONL: one line per exported layer of an article, with its text, spans, places and events.

The schema is in the README ("Export"). Lines are compact (fixed separators) and keep
Arabic as UTF-8, so the same data always gives the same bytes: an export, re-imported
into an empty database and exported again, is byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from . import Selection, chunks

# One encoder for every line: json.dumps with options builds a new one per call.
encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def line(record: dict[str, Any]) -> str:
    return encode(record) + "\n"


def write(selection: Selection) -> Iterator[str]:
    """The export as text pieces, one per chunk of articles."""
    for chunk in chunks(selection):
        yield "".join([encode(record) + "\n" for record in chunk])
