"""Ids as forms, query strings and keyset positions send them.

One rule for every caller: ASCII digits only. `str.isdigit` also takes '²' (which `int`
refuses: a 500) and `int` reads '١٢' as 12, so neither is an id here.
"""

from __future__ import annotations

from typing import Any

# The largest bigint: a larger number names no row (and SQLite refuses to compare with it).
MAX_ID = 2**63 - 1


def parse_id(raw: Any) -> int | None:
    """An id as a form or query string sends it; None for '', 'abc', '1.5', '²' or '-1'."""
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def row_id(raw: Any) -> int | None:
    """An id that can name a row: parse_id, and None past the largest bigint."""
    pk = parse_id(raw)
    return pk if pk is not None and pk <= MAX_ID else None
