"""A zip of every format plus the datasheet, written member by member to a file object.

Events at both levels: `events.csv`, `events.geojson` (and `data.jsonl`) one row per event
of each report; `incidents.csv`, `incidents.geojson`, `incidents.jsonl` one row per
incident (see incidents.py).

Each member is streamed into the zip as it is produced, so the bundle needs constant
memory; the web view writes it to a temporary file, then sends that file.
"""

from __future__ import annotations

import itertools
import tempfile
import zipfile
from collections.abc import Iterable
from typing import IO

from . import Selection, acled, chunks, conll, datasheet, geojson, incidents
from .jsonl import encoded

FILES = [
    "data.jsonl",
    "data.conll",
    "conll_dropped.txt",
    "events.csv",
    "events.geojson",
    "incidents.csv",
    "incidents.geojson",
    "incidents.jsonl",
    "datasheet.md",
    "datasheet.json",
]


def write(selection: Selection, target: IO[bytes], excel: bool = False) -> datasheet.Stats:
    """`excel` starts the CSV files with the byte order mark Excel needs to read UTF-8."""
    stats = datasheet.Stats()
    counts = incidents.Counts()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        _member(zf, "data.jsonl", _jsonl_counting(selection, stats))
        # Only one zip member can be open at a time: the dropped spans wait in a temp file.
        with tempfile.TemporaryFile("w+", encoding="utf-8") as dropped:

            def report(drop: conll.Dropped) -> None:
                stats.conll_dropped += 1
                dropped.write(f"{drop}\n")

            _member(zf, "data.conll", conll.write(selection, report))
            dropped.seek(0)
            _member(zf, "conll_dropped.txt", dropped)
        _member(zf, "events.csv", _bom(acled.write(selection), excel))
        _member(zf, "events.geojson", geojson.write(selection))
        _member(zf, "incidents.csv", _bom(incidents.write_acled(selection, counts), excel))
        _member(zf, "incidents.geojson", incidents.write_geojson(selection))
        _member(zf, "incidents.jsonl", incidents.write_jsonl(selection))
        sheet = datasheet.build(selection, stats, FILES, counts)
        zf.writestr("datasheet.md", datasheet.as_markdown(sheet))
        zf.writestr("datasheet.json", datasheet.as_json(sheet))
    return stats


def _bom(pieces: Iterable[str], excel: bool) -> Iterable[str]:
    return itertools.chain([acled.EXCEL_BOM], pieces) if excel else pieces


def _jsonl_counting(selection: Selection, stats: datasheet.Stats) -> Iterable[bytes]:
    for chunk in chunks(selection):
        for record in chunk:
            stats.add(record)
        yield encoded(chunk)


def _member(zf: zipfile.ZipFile, name: str, pieces: Iterable[str | bytes]) -> None:
    with zf.open(name, "w", force_zip64=True) as out:
        for piece in pieces:
            out.write(piece if isinstance(piece, bytes) else piece.encode("utf-8"))
