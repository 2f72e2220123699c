"""An article body as the browser sees it: paragraphs of token pieces with ids.

The browser never sends character offsets (its selection offsets are UTF-16 and
break on Arabic combining marks). It sends piece ids that the server rendered:
"12.1" is part 1 of token 12, where parts are split after separable proclitics
(و|مسكنة). The server maps ids back to code-point offsets here.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .models import SpanRejected
from .text import Token, proclitic_splits, tokenize

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import Span


@dataclass(frozen=True, slots=True)
class Piece:
    token: int
    part: int
    start: int
    end: int

    @property
    def id(self) -> str:
        return f"{self.token}.{self.part}"


@dataclass(frozen=True, slots=True)
class Paragraph:
    index: int
    start: int
    end: int
    first_piece: int  # index into Document.pieces
    last_piece: int  # exclusive


class Document:
    def __init__(self, body: str) -> None:
        self.body = body
        self.tokens: list[Token] = tokenize(body)
        self.pieces: list[Piece] = []
        self.token_pieces: list[tuple[int, int]] = []  # token -> (first, last) piece indexes
        for token in self.tokens:
            first = len(self.pieces)
            bounds = [0, *proclitic_splits(token.text), len(token.text)]
            for part, (a, b) in enumerate(itertools.pairwise(bounds)):
                self.pieces.append(Piece(token.index, part, token.start + a, token.start + b))
            self.token_pieces.append((first, len(self.pieces)))
        self.piece_starts = [p.start for p in self.pieces]
        self.paragraphs = self._paragraphs()
        self.paragraph_starts = [p.start for p in self.paragraphs]

    def _paragraphs(self) -> list[Paragraph]:
        paragraphs = []
        offset = 0
        for line in self.body.split("\n"):
            start, end = offset, offset + len(line)
            offset = end + 1
            if not line.strip():
                continue
            first = bisect.bisect_left(self.piece_starts, start)
            last = bisect.bisect_left(self.piece_starts, end)
            paragraphs.append(Paragraph(len(paragraphs), start, end, first, last))
        return paragraphs

    def piece(self, piece_id: str) -> Piece:
        try:
            token_s, _sep, part_s = piece_id.partition(".")
            token, part = int(token_s), int(part_s or 0)
            first, last = self.token_pieces[token]
        except (ValueError, IndexError):
            raise SpanRejected(_("Unknown token id: %(id)r.") % {"id": piece_id}) from None
        if token < 0 or not 0 <= part < last - first:
            raise SpanRejected(_("Unknown token id: %(id)r.") % {"id": piece_id})
        return self.pieces[first + part]

    def selection(self, start_id: str, end_id: str) -> tuple[int, int]:
        """Offsets for a selection from one piece to another, in either direction.

        The start may fall after a proclitic; the end snaps to the end of its token,
        since no separable clitic ends an Arabic word.
        """
        a, b = self.piece(start_id), self.piece(end_id)
        if (b.token, b.part) < (a.token, a.part):
            a, b = b, a
        return a.start, self.tokens[b.token].end

    def pieces_in(self, start: int, end: int) -> list[str]:
        """Ids of the pieces a character range touches, for highlighting evidence."""
        first = max(bisect.bisect_right(self.piece_starts, start) - 1, 0)
        ids = []
        for piece in self.pieces[first:]:
            if piece.start >= end:
                break
            if piece.end > start:
                ids.append(piece.id)
        return ids

    def paragraph_of(self, offset: int) -> Paragraph:
        index = max(bisect.bisect_right(self.paragraph_starts, offset) - 1, 0)
        return self.paragraphs[index]

    def render(
        self,
        paragraph: Paragraph,
        spans: Iterable[Span],
        labels: list[str],
        flagged: frozenset[int] = frozenset(),
    ) -> SafeString:
        """HTML for one paragraph: pieces with ids, runs covered by spans wrapped in <mark>."""
        inside = sorted(
            (s for s in spans if s.start < paragraph.end and s.end > paragraph.start),
            key=lambda s: (s.start, -s.end),
        )
        out: list[str] = []
        cursor = paragraph.start
        open_set: tuple[Span, ...] = ()
        active: list[Span] = []
        waiting = 0  # spans are sorted by start; those before `waiting` have been activated
        for i in range(paragraph.first_piece, paragraph.last_piece):
            piece = self.pieces[i]
            while waiting < len(inside) and inside[waiting].start < piece.end:
                active.append(inside[waiting])
                waiting += 1
            active = [s for s in active if s.end > piece.start]
            covering = tuple(active)
            gap = escape(self.body[cursor : piece.start])
            if covering != open_set:
                if open_set:
                    out.append("</mark>")
                out.append(gap)
                if covering:
                    out.append(_mark_open(covering, labels, flagged))
                open_set = covering
            else:
                out.append(gap)
            text = escape(self.body[piece.start : piece.end])
            out.append(f'<span data-t="{piece.id}">{text}</span>')
            cursor = piece.end
        if open_set:
            out.append("</mark>")
        out.append(escape(self.body[cursor : paragraph.end]))
        return mark_safe("".join(out))


def _mark_open(
    covering: tuple[Span, ...], labels: list[str], flagged: frozenset[int] = frozenset()
) -> str:
    # The innermost (shortest) span decides the colour and is what a click selects.
    inner = min(covering, key=lambda s: s.end - s.start)
    colour = labels.index(inner.label) if inner.label in labels else len(labels)
    ids = " ".join(str(s.pk) for s in sorted(covering, key=lambda s: s.end - s.start))
    overlap = " overlap" if len(covering) > 1 else ""
    # Auto and confirmed links are drawn apart: a confirmed link is a person's decision.
    linked = f" linked link-{inner.link_status or 'auto'}" if inner.place_id else ""
    # Adjudication marks the spans annotators disagree on.
    linked += " disagree" if any(s.pk in flagged for s in covering) else ""
    return (
        f'<mark class="ent lab-{colour}{overlap}{linked}" data-spans="{ids}" '
        f'data-label="{escape(inner.label)}" tabindex="0">'
    )


@lru_cache(maxsize=32)
def document_for(body: str) -> Document:
    # Tokenizing a long article costs milliseconds; every span write re-renders a paragraph.
    return Document(body)
