"""A zip of every format plus the datasheet, written member by member to a file object.

Each member is streamed into the zip as it is produced, so the bundle needs constant
memory; the web view writes it to a temporary file, then sends that file.
"""

from __future__ import annotations

import itertools
import tempfile
import zipfile
from collections.abc import Iterable
from typing import IO

from . import Selection, acled, chunks, conll, datasheet, geojson
from .jsonl import encoded

FILES = [
    "data.jsonl",
    "data.conll",
    "conll_dropped.txt",
    "events.csv",
    "events.geojson",
    "datasheet.md",
    "datasheet.json",
]


def write(selection: Selection, target: IO[bytes], excel: bool = False) -> datasheet.Stats:
    """`excel` starts events.csv with the byte order mark Excel needs to read UTF-8."""
    stats = datasheet.Stats()
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
        csv_pieces = acled.write(selection)
        if excel:
            csv_pieces = itertools.chain([acled.EXCEL_BOM], csv_pieces)
        _member(zf, "events.csv", csv_pieces)
        _member(zf, "events.geojson", geojson.write(selection))
        sheet = datasheet.build(selection, stats, FILES)
        zf.writestr("datasheet.md", datasheet.as_markdown(sheet))
        zf.writestr("datasheet.json", datasheet.as_json(sheet))
    return stats


def _jsonl_counting(selection: Selection, stats: datasheet.Stats) -> Iterable[bytes]:
    for chunk in chunks(selection):
        for record in chunk:
            stats.add(record)
        yield encoded(chunk)


def _member(zf: zipfile.ZipFile, name: str, pieces: Iterable[str | bytes]) -> None:
    with zf.open(name, "w", force_zip64=True) as out:
        for piece in pieces:
            out.write(piece if isinstance(piece, bytes) else piece.encode("utf-8"))
