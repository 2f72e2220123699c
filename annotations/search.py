"""Arabic-aware search over articles: one normalised key per word, matched word for word.

Every word of an article's title and body is stored in `Article.search_key` as its
matching key (`text.match_key`) without the proclitics it most likely carries, the words
separated by single spaces: "وبالرقة" and "الرقة" both become "الرقه", "مَسْكَنة" becomes
"مسكنه". A query is keyed the same way and found as a run of whole words, so the text
is never normalised and a hit is mapped back to its original offsets for the snippet.

On PostgreSQL a trigram GIN index (pg_trgm, migration 0013_search) serves the LIKE;
on SQLite the LIKE scans the column (no FTS5 table yet).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import F, Q, QuerySet

from .models import Article, Event, Layer, Place, Span
from .text import likelier_cut, match_key, strip_proclitics, tokenize

SNIPPET_CONTEXT = 80  # characters of original text on each side of the hit
PAGE_SIZE = 20


# News prose repeats its words; every imported article asks for each word's key.
@lru_cache(maxsize=65536)
def word_key(word: str) -> str:
    """A word's search key: its matching key without the proclitics it likeliest carries.

    The same choice for the text and the query, so وبالرقة, بالرقة and الرقة meet."""
    key = match_key(word)
    readings = strip_proclitics(key)
    for reading in reversed(readings):  # shortest first: among equals, cut the most
        if likelier_cut(key, reading):
            return reading
    return key


def word_keys(text: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of every word of `text`; punctuation and symbols are no words."""
    words = []
    for token in tokenize(text):
        key = word_key(token.text)
        if any(c.isalnum() for c in key):
            words.append((token.start, token.end, key))
    return words


def search_key(*texts: str) -> str:
    """The stored key of an article: its words' keys, space-separated and space-framed
    so that a LIKE '% key %' finds whole words only."""
    keys = [key for text in texts for _, _, key in word_keys(text)]
    return f" {' '.join(keys)} " if keys else ""


def query_key(query: str) -> str:
    return " ".join(key for _, _, key in word_keys(query))


@dataclass(frozen=True)
class Filters:
    corpus: int | None = None
    published_from: datetime.date | None = None
    published_to: datetime.date | None = None
    place: int | None = None
    actor: int | None = None
    state: str = ""
    annotator: int | None = None


def search(user: Any, query: str, filters: Filters = Filters()) -> QuerySet[Article]:
    """Articles the user may see whose title or body contains the query's words in order,
    newest first (by published date, then id: the keyset `after` pages on)."""
    articles = Article.objects.visible_to(user)
    key = query_key(query)
    if key:
        articles = articles.filter(search_key__contains=f" {key} ")
    articles = _filtered(articles, filters)
    return articles.order_by(F("published_at").desc(nulls_last=True), "-id")


def _filtered(articles: QuerySet[Article], f: Filters) -> QuerySet[Article]:
    if f.corpus:
        articles = articles.filter(corpus_id=f.corpus)
    if f.published_from:
        articles = articles.filter(published_at__gte=f.published_from)
    if f.published_to:
        articles = articles.filter(published_at__lte=f.published_to)
    if f.place:
        spans = Span.objects.filter(place__in=places_under(f.place))
        articles = articles.filter(pk__in=spans.values("layer__article_id"))
    if f.actor:
        actor = Q(actor1=f.actor) | Q(actor2=f.actor)
        actor |= Q(assoc_actor_1=f.actor) | Q(assoc_actor_2=f.actor)
        articles = articles.filter(pk__in=Event.objects.filter(actor).values("layer__article_id"))
    if f.state or f.annotator:
        layers = Layer.objects.all()
        if f.state:
            layers = layers.filter(state=f.state)
        if f.annotator:
            layers = layers.filter(annotator_id=f.annotator)
        articles = articles.filter(pk__in=layers.values("article_id"))
    return articles


def places_under(place_id: int) -> QuerySet[Place]:
    """The place and, for a country or a governorate, every place in it (GeoNames codes)."""
    place = Place.objects.filter(pk=place_id).first()
    if place is None:
        return Place.objects.none()
    within = Q(pk=place.pk)
    if place.feature_code.startswith("PCL") and place.country_code:
        within |= Q(country_code=place.country_code)
    elif place.feature_code == "ADM1" and place.admin1_code:
        within |= Q(country_code=place.country_code, admin1_code=place.admin1_code)
    return Place.objects.filter(within)


def page(articles: QuerySet[Article], after: str = "") -> tuple[list[Article], str]:
    """One page from the keyset position `after` ("<published or ->:<id>"), and the next
    position ("" at the end). Undated articles come last, as -published_at sorts them."""
    articles = _after(articles, after)
    rows = list(articles.select_related("corpus")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if not more:
        return rows, ""
    last = rows[-1]
    return rows, f"{last.published_at.isoformat() if last.published_at else '-'}:{last.pk}"


def _after(articles: QuerySet[Article], after: str) -> QuerySet[Article]:
    date_text, _, pk_text = after.partition(":")
    if not pk_text.isdigit():
        return articles
    pk = int(pk_text)
    if date_text == "-":
        return articles.filter(published_at__isnull=True, pk__lt=pk)
    try:
        date = datetime.date.fromisoformat(date_text)
    except ValueError:
        return articles
    return articles.filter(
        Q(published_at__lt=date) | Q(published_at=date, pk__lt=pk) | Q(published_at__isnull=True)
    )


@dataclass(frozen=True)
class Snippet:
    before: str
    hit: str
    after: str
    in_title: bool


def snippet(article: Article, query: str) -> Snippet | None:
    """The original text around the first hit (body first, then title), for highlighting."""
    wanted = query_key(query).split()
    if not wanted:
        return None
    for text, in_title in ((article.body, False), (article.title, True)):
        words = word_keys(text)
        keys = [key for _, _, key in words]
        for i in range(len(keys) - len(wanted) + 1):
            if keys[i : i + len(wanted)] == wanted:
                start, end = words[i][0], words[i + len(wanted) - 1][1]
                return _cut(text, start, end, in_title)
    return None


def _cut(text: str, start: int, end: int, in_title: bool) -> Snippet:
    begin = max(0, start - SNIPPET_CONTEXT)
    finish = min(len(text), end + SNIPPET_CONTEXT)
    before = ("…" if begin else "") + text[begin:start]
    after = text[end:finish] + ("…" if finish < len(text) else "")
    return Snippet(before, text[start:end], after, in_title)
