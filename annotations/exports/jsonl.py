"""JSONL: one line per exported layer of an article, with its text, spans, places and events.

The schema is in the README ("Export"). Lines are compact, keep Arabic as UTF-8 and are
encoded by orjson, so the same data always gives the same bytes: an export, re-imported
into an empty database and exported again, is byte-identical.

orjson writes the whole line, spans included, straight to UTF-8 bytes. It replaced the
standard library's encoder, with which encoding (and then re-encoding the text to UTF-8)
was over half of the export's time. Its output differs from `json.dumps` only for
numbers: 1e-05 is written 0.00001, and NaN and the infinities, which JSON has no
spelling for, are written null.
"""

from __future__ import annotations

import json
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from multiprocessing.util import Finalize
from typing import Any

import orjson
from django.db import connections

from . import CHUNK, Selection, _bounds, _chunk, fetched

# The standard encoder, for what orjson refuses (integers beyond 64 bits in metadata).
_fallback = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def encode_bytes(value: Any) -> bytes:
    """`value` as compact JSON in UTF-8."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _fallback(value).encode("utf-8")


def encode(value: Any) -> str:
    return encode_bytes(value).decode("utf-8")


def write(selection: Selection) -> Iterator[bytes]:
    """The export as UTF-8 pieces, one per chunk of articles."""
    for chunk in fetched(selection):
        yield encoded(chunk.records())


def encoded(records: Iterable[dict[str, Any]]) -> bytes:
    """The records' lines: each record encoded, then a newline."""
    return b"".join([encode_bytes(record) + b"\n" for record in records])


def write_in_processes(selection: Selection, jobs: int) -> Iterator[bytes]:
    """The same pieces as `write`, each chunk read and encoded by one of `jobs` forked
    worker processes, handed back in order.

    The export is CPU-bound in Python (decoding rows, building and encoding records), and
    threads share one interpreter lock; processes use every core. For the export command:
    a web worker should not fork, so downloads use `write`. At most two chunks per worker
    are in flight, so memory stays flat; each worker opens its own database connection.
    """
    bounds = iter(_bounds(selection, CHUNK))
    connections.close_all()  # a forked child must not share the parent's socket
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_worker_start) as pool:
        pending = deque(
            pool.apply_async(_chunk_bytes, (selection, *bound))
            for bound in islice(bounds, 2 * jobs)
        )
        while pending:
            piece = pending.popleft().get()
            bound = next(bounds, None)
            if bound is not None:
                pending.append(pool.apply_async(_chunk_bytes, (selection, *bound)))
            yield piece
        pool.close()
        pool.join()


def _worker_start() -> None:
    # Run when the worker exits normally (pool.close): its connection ends cleanly.
    Finalize(None, connections.close_all, exitpriority=10)


def _chunk_bytes(selection: Selection, low: int, high: int | None) -> bytes:
    chunk = _chunk(selection, low, high)
    return encoded(chunk.records()) if chunk is not None else b""
