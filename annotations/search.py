"""Arabic-aware search over articles: one normalised key per word, matched word for word.

Every word of an article's title and body is stored in `Article.search_key` as its
matching key (`text.match_key`) without the proclitics it most likely carries, the words
separated by single spaces: "وبالرقة" and "الرقة" both become "الرقه", "مَسْكَنة" becomes
"مسكنه". A query is keyed the same way and found as a run of whole words, so the text
is never normalised and a hit is mapped back to its original offsets for the snippet.

On PostgreSQL a trigram GIN index (pg_trgm, migration 0013_search) serves the LIKE;
on SQLite an FTS5 table over the same key (migration 0016_search_fts, kept by triggers,
so bulk inserts are covered too) narrows the rows the LIKE then confirms.

The filters (`filtered`) and keyset pages (`page`) serve the article list as well.
"""

from __future__ import annotations

import datetime
import math
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from . import gazetteer
from .ids import row_id
from .models import Actor, ActorAlias, Article, Corpus, Event, Layer, Place, PlaceName, Span
from .text import likelier_cut, match_key, strip_proclitics, tokenize

SNIPPET_CONTEXT = 80  # characters of original text on each side of the hit
PAGE_SIZE = 20
LIST_PAGE_SIZE = 50  # the article list: a longer table of shorter rows


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
    within_km: float | None = None  # with `place`: any place this close to it instead
    actor: int | None = None
    event_type: str = ""
    sub_event_type: str = ""
    state: str = ""
    annotator: int | None = None
    in_spans: bool = False  # the words must overlap an entity span (see `in_spans`)


def search(user: Any, query: str, filters: Filters = Filters()) -> QuerySet[Article]:
    """Articles the user may see whose title or body contains the query's words in order,
    newest first (by published date, then id: the keyset `after` pages on)."""
    articles = filtered(user, Article.objects.visible_to(user), query, filters)
    return articles.order_by(F("published_at").desc(nulls_last=True), "-id")


def filtered(
    user: Any, articles: QuerySet[Article], query: str, f: Filters, below: int | None = None
) -> QuerySet[Article]:
    """`articles` narrowed to the query's words and the filters: what the search page and
    the article list share; each caller orders and pages the result its own way. The place,
    actor, event and layer filters look only at the layers `user` may read.

    `below` is the article list's keyset bound (its page holds ids under it). The layer
    probes repeat it: PostgreSQL carries no inequality across a join, and merge-joined every
    layer of the articles above the page (page 500 read 30,000 layers, 38 ms more)."""
    if f.corpus:
        articles = articles.filter(corpus_id=f.corpus)
    if f.published_from:
        articles = articles.filter(published_at__gte=f.published_from)
    if f.published_to:
        articles = articles.filter(published_at__lte=f.published_to)
    if f.place:
        articles = articles.filter(_at_places(user, _places(f), f, below))
    if f.actor or f.event_type or f.sub_event_type:
        articles = articles.filter(_with_events(user, f, below))
    if _chose_layers(f):
        layers = chosen_layers(user, f, below).filter(article_id=OuterRef("pk"))
        articles = articles.filter(Exists(layers))
    key = query_key(query)
    if key:
        return with_words(articles, key)
    if f != Filters() and _few(articles):
        return _by_ids(articles)
    return articles


def _few(found: QuerySet[Article]) -> bool:
    """Whether, on PostgreSQL, under 1 % of a sample of the newest articles pass: then the
    ordered walk would read much of the table, and naming the rows is quicker."""
    return connections[found.db].vendor == "postgresql" and _sampled(found) < SAMPLE_HITS


def _by_ids(found: QuerySet[Article]) -> QuerySet[Article]:
    ids = list(found.order_by().values_list("pk", flat=True)[: RARE_MAX + 1])
    if len(ids) > RARE_MAX:
        return found
    # Marked, so that `page` sorts these few rows instead of walking an index.
    return Article.objects.using(found.db).filter(pk__in=ids).alias(**{FEW: Value(True)})


def with_words(articles: QuerySet[Article], key: str) -> QuerySet[Article]:
    """`articles` (already filtered) whose search_key holds the keyed words as a run of
    whole words.

    The LIKE decides on both databases, so they agree word for word. SQLite first narrows
    to the FTS5 phrase match (migration 0016_search_fts), whose tokenizer may split a key
    at punctuation the LIKE keeps. PostgreSQL serves the LIKE from the trigram GIN index
    when matches are sparse, and otherwise walks the newest-first index (see `_sampled`)."""
    like = articles.filter(search_key__contains=f" {key} ")
    vendor = connections[articles.db].vendor
    if vendor == "sqlite":
        phrase = '"' + key.replace('"', '""') + '"'
        matched = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (phrase,))
        return like.filter(pk__in=matched)
    words = Article.objects.using(articles.db).filter(search_key__contains=f" {key} ")
    if _few(like) and _sampled(words) < RARE_HITS:
        ids = list(words.order_by().values_list("pk", flat=True)[: RARE_MAX + 1])
        if len(ids) <= RARE_MAX:
            return _by_ids(articles.filter(pk__in=ids))
    return like


# PostgreSQL's planner cannot tell a rare word from a common one (a LIKE on a long text has
# no useful statistics), so it walks the newest-first index testing every row against the
# words and the filters. When few rows pass, that walk reads much of the table. A sample of
# the newest articles tells: if under 1 % of them pass the words and filters, and under 2 %
# hold the words at all, the word's articles are looked up in the trigram index (a bitmap
# scan, cheap for a word in a few thousand articles, dear for a common one) and named by
# id. Otherwise the walk: it fills a page quickly, or nothing would be quicker.
SAMPLE = 400
SAMPLE_HITS = 4
FEW = "search_few_rows"
RARE_HITS = 8
RARE_MAX = 5000


def _sampled(found: QuerySet[Article]) -> int:
    newest = Article.objects.using(found.db).order_by(*_ordering(BY_PUBLISHED))
    return found.filter(pk__in=newest.values("pk")[:SAMPLE]).count()


FTS_TABLE = "annotations_article_fts"


def readable_layers(user: Any) -> QuerySet[Layer]:
    """The layers whose spans and events the user's filters may look at: those the article
    pages show them (an annotator: their own layer, or the machine's standing in for it; an
    editor: every layer of their corpora). A filter over any other layer would tell an
    annotator what a colleague or gold coded, and annotation is blind.

    The rule of `Layer.objects.visible_to(user) | standing_in_for(user)` (a test holds them
    equal), spelled for a probe of one article's layers: the editor's part by the article's
    corpus, not as a list of every article of their corpora, which PostgreSQL would hash
    for each query."""
    if user.is_superuser:
        return Layer.objects.all()
    if not user.is_authenticated:
        return Layer.objects.none()
    edited = Q(article__corpus__in=Corpus.objects.edited_by(user).values("pk"))
    assigned = Q(article__in=Article.objects.assigned_to(user).values("pk"))
    theirs = Q(kind=Layer.ANNOTATOR, annotator=user) | Q(kind=Layer.MACHINE)
    return Layer.objects.filter(edited | (assigned & theirs))


def chosen_layers(user: Any, f: Filters, below: int | None = None) -> QuerySet[Layer]:
    """The layers whose spans and events the place, actor and event filters look at: those
    the user may read, in the chosen state and of the chosen annotator (of articles with
    ids under `below`, when given)."""
    layers = readable_layers(user)
    if below is not None:
        layers = layers.filter(article_id__lt=below)
    if f.state:
        layers = layers.filter(state=f.state)
    if f.annotator:
        layers = layers.filter(annotator_id=f.annotator)
    return layers


def _chose_layers(f: Filters) -> bool:
    return bool(f.state or f.annotator)


def _places(f: Filters) -> list[int]:
    """The chosen places' ids, listed: the planner then reads spans and events by their
    place index instead of scanning them against a subquery."""
    assert f.place is not None
    if f.within_km:
        return list(places_near(f.place, f.within_km).values_list("pk", flat=True))
    return list(places_under(f.place).values_list("pk", flat=True))


def _at_places(user: Any, places: list[int], f: Filters, below: int | None = None) -> Exists:
    """Articles with a layer (of the chosen ones the user may read) that links a span to,
    or codes an event at, one of the places. Asked layer by layer: the planner then probes
    the few layers of each article it reads, by index, instead of joining every span at the
    places to its layer first."""
    spans = Span.objects.filter(layer_id=OuterRef("pk"), place_id__in=places)
    events = Event.objects.filter(layer_id=OuterRef("pk"), place_id__in=places)
    here = (
        chosen_layers(user, f, below)
        .filter(article_id=OuterRef("pk"))
        .filter(Q(Exists(spans)) | Q(Exists(events)))
    )
    return Exists(here)


def _with_events(user: Any, f: Filters, below: int | None = None) -> Exists:
    """Articles with a layer (of the chosen ones the user may read) that codes an event of
    the chosen actor and types; asked layer by layer, as `_at_places` is."""
    events = _events(f).filter(layer_id=OuterRef("pk"))
    layers = chosen_layers(user, f, below).filter(article_id=OuterRef("pk"))
    return Exists(layers.filter(Exists(events)))


def _events(f: Filters) -> QuerySet[Event]:
    events = Event.objects.all()
    if f.actor:
        actor = Q(actor1=f.actor) | Q(actor2=f.actor)
        events = events.filter(actor | Q(assoc_actor_1=f.actor) | Q(assoc_actor_2=f.actor))
    if f.event_type:
        events = events.filter(event_type=f.event_type)
    if f.sub_event_type:
        events = events.filter(sub_event_type=f.sub_event_type)
    return events


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
    elif place.feature_code == "ADM2" and place.admin2_code:
        within |= Q(
            country_code=place.country_code,
            admin1_code=place.admin1_code,
            admin2_code=place.admin2_code,
        )
    return Place.objects.filter(within)


def places_near(place_id: int, km: float) -> QuerySet[Place]:
    """The place and every place within `km` of it: a bounding box on latitude and
    longitude narrows the rows in the database, the haversine distance decides."""
    place = Place.objects.filter(pk=place_id).first()
    if place is None or place.latitude is None or place.longitude is None:
        return places_under(place_id)  # no coordinates: no distance, fall back to the tree
    lat, lon = place.latitude, place.longitude
    dlat = math.degrees(km / gazetteer.EARTH_KM)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    box = Place.objects.filter(
        latitude__range=(lat - dlat, lat + dlat), longitude__range=(lon - dlon, lon + dlon)
    ).values_list("pk", "latitude", "longitude")
    near = [pk for pk, la, lo in box if gazetteer.km(lat, lon, la, lo) <= km]
    return Place.objects.filter(pk__in=[place.pk, *near])


# Keyset pages. The search orders by publication date (newest first, undated last), then
# id; the article list by id alone. A position names the last row shown, so a page at any
# depth costs one indexed range read, never an OFFSET that reads every row before it.

BY_PUBLISHED = "published"
BY_ID = "id"


def page(
    articles: QuerySet[Article],
    after: str = "",
    *,
    size: int | None = None,
    order: str = BY_PUBLISHED,
    keep: Callable[[list[Article]], list[Article]] | None = None,
) -> tuple[list[Article], str]:
    """One page from the keyset position `after`, and the next position ("" at the end).

    `keep` drops rows the database cannot judge (words inside a span): batches are read
    until the page is full, and the next page starts after the last row read."""
    size = size or PAGE_SIZE
    # Neither caller shows the stored keys; they would be read (and detoasted) for nothing.
    ordered = articles.order_by(*_ordering(order, FEW in articles.query.annotations))
    ordered = ordered.select_related("corpus")
    ordered = ordered.defer("search_key", "tokens")
    rows: list[Article] = []
    position = after
    for _ in range(MAX_BATCHES if keep else 1):
        batch = list(_after(ordered, position, order)[: size + 1])
        if not keep:
            more = len(batch) > size
            rows = batch[:size]
            return rows, _position(rows[-1], order) if more else ""
        kept = keep(batch[:size])
        for row in kept:
            if len(rows) == size:
                return rows, _position(rows[-1], order)
            rows.append(row)
        if len(batch) <= size:
            return rows, ""
        position = _position(batch[size - 1], order)
        if len(rows) == size:
            return rows, position
    return rows, position  # a sparse match: a short page, and more may follow


MAX_BATCHES = 20


def _ordering(order: str, few: bool = False) -> list[Any]:
    """The order of a page. For a few rows named by id, by expressions no index serves:
    PostgreSQL would otherwise walk the whole ordering index looking for them."""
    published, pk = (F("published_at") + 0, F("id") + 0) if few else (F("published_at"), F("id"))
    if order == BY_ID:
        return [pk.desc()]
    return [published.desc(nulls_last=True), pk.desc()]


def _position(last: Article, order: str) -> str:
    if order == BY_ID:
        return str(last.pk)
    return f"{last.published_at.isoformat() if last.published_at else '-'}:{last.pk}"


def _after(articles: QuerySet[Article], after: str, order: str = BY_PUBLISHED) -> QuerySet[Article]:
    """The rows after the position; a position that names none (hand-edited, truncated)
    starts at the first page, as an unknown filter value is ignored rather than an error."""
    if order == BY_ID:
        pk = row_id(after)
        return articles.filter(pk__lt=pk) if pk is not None else articles
    date_text, _, pk_text = after.partition(":")
    pk = row_id(pk_text)
    if pk is None:
        return articles
    if date_text == "-":
        return articles.filter(published_at__isnull=True, pk__lt=pk)
    try:
        date = datetime.date.fromisoformat(date_text)
    except ValueError:
        return articles
    return articles.filter(
        Q(published_at__lt=date) | Q(published_at=date, pk__lt=pk) | Q(published_at__isnull=True)
    )


# Span texts. A span's text is a stretch of the body, so the body's words already hold
# every span's words and the plain search finds them. "Only in entity spans" narrows that
# to articles where a matched run of words overlaps a span (overlap, not containment: a
# span may start after a proclitic, وبمسكنة → مسكنة) in a layer the user may see.


def in_spans(user: Any, query: str, f: Filters) -> Callable[[list[Article]], list[Article]]:
    """A `keep` for `page`: the articles whose hit overlaps a span of a visible layer."""
    wanted = query_key(query).split()

    def keep(articles: list[Article]) -> list[Article]:
        ranges = span_ranges(user, [a.pk for a in articles], f)
        return [a for a in articles if _hits(a.body, wanted, ranges.get(a.pk, []))]

    return keep


def span_ranges(user: Any, article_ids: list[int], f: Filters) -> dict[int, list[tuple[int, int]]]:
    layers = chosen_layers(user, f)
    spans = Span.objects.filter(layer__article_id__in=article_ids, layer__in=layers)
    ranges: dict[int, list[tuple[int, int]]] = {}
    for article_id, start, end in spans.values_list("layer__article_id", "start", "end"):
        ranges.setdefault(article_id, []).append((start, end))
    return ranges


def _hits(body: str, wanted: list[str], ranges: list[tuple[int, int]]) -> bool:
    return any(
        start < span_end and span_start < end
        for start, end in hit_ranges(body, wanted)
        for span_start, span_end in ranges
    )


def hit_ranges(text: str, wanted: list[str]) -> Iterator[tuple[int, int]]:
    """(start, end) in `text` of every run of words whose keys are `wanted`, in order.

    Lazy: the snippet needs the first hit only, and keying every word of a long body
    costs more than the search's queries."""
    if not wanted:
        return
    n = len(wanted)
    window: deque[tuple[int, int, str]] = deque(maxlen=n)
    for token in tokenize(text):
        key = word_key(token.text)
        if not any(c.isalnum() for c in key):
            continue
        window.append((token.start, token.end, key))
        if len(window) == n and all(w[2] == k for w, k in zip(window, wanted, strict=True)):
            yield window[0][0], window[-1][1]


@dataclass(frozen=True)
class Snippet:
    before: str
    hit: str
    after: str
    in_title: bool


def snippet(
    article: Article, query: str, spans: list[tuple[int, int]] | None = None
) -> Snippet | None:
    """The original text around the first hit (body first, then title), for highlighting;
    with `spans`, the first hit in the body that overlaps one of them."""
    wanted = query_key(query).split()
    if not wanted:
        return None
    for start, end in hit_ranges(article.body, wanted):
        if spans is None or any(start < e and s < end for s, e in spans):
            return _cut(article.body, start, end, in_title=False)
    for start, end in hit_ranges(article.title, wanted):
        return _cut(article.title, start, end, in_title=True)
    return None


def _cut(text: str, start: int, end: int, in_title: bool) -> Snippet:
    begin = max(0, start - SNIPPET_CONTEXT)
    finish = min(len(text), end + SNIPPET_CONTEXT)
    before = ("…" if begin else "") + text[begin:start]
    after = text[end:finish] + ("…" if finish < len(text) else "")
    return Snippet(before, text[start:end], after, in_title)


# Pickers: places, actors and annotators chosen by name; the query string keeps their ids.

PICKS = 10


@dataclass(frozen=True)
class Option:
    pk: int
    label: str  # the Latin-script name and its context
    arabic: str = ""  # shown right to left beside it


def place_options(term: str) -> list[Option]:
    """Places whose name in any language starts with the term (by matching key, so
    مسكنه finds مَسْكَنة), the most populous first."""
    key = match_key(term)
    if not key:
        return []
    named = PlaceName.objects.filter(key__startswith=key).values("place_id")
    places = Place.objects.filter(Q(pk__in=named) | Q(name__istartswith=term.strip()))
    found = list(places.order_by("-population", "name")[:PICKS])
    return [Option(p.pk, _place_label(p), _arabic_names(found).get(p.pk, "")) for p in found]


def place_option(pk: int) -> Option | None:
    place = Place.objects.filter(pk=pk).first()
    return Option(pk, _place_label(place), _arabic_names([place]).get(pk, "")) if place else None


def _place_label(place: Place) -> str:
    where = ", ".join(part for part in (place.admin1, place.country_code) if part)
    return f"{place.name} ({where})" if where else place.name


def _arabic_names(places: list[Place]) -> dict[int, str]:
    names = PlaceName.objects.filter(place__in=places, lang="ar").order_by("pk")
    found: dict[int, str] = {}
    for place_id, name in names.values_list("place_id", "name"):
        found.setdefault(place_id, name)
    return found


def actor_options(term: str) -> list[Option]:
    """Actors whose name, Arabic name or an alias starts with the term."""
    key, text = match_key(term), term.strip()
    if not key:
        return []
    aliased = ActorAlias.objects.filter(key__startswith=key).values("actor_id")
    actors = Actor.objects.filter(
        Q(pk__in=aliased) | Q(name__icontains=text) | Q(name_ar__startswith=text)
    )
    return [_actor_option(a) for a in actors.order_by("name")[:PICKS]]


def actor_option(pk: int) -> Option | None:
    actor = Actor.objects.filter(pk=pk).first()
    return _actor_option(actor) if actor else None


def _actor_option(actor: Actor) -> Option:
    return Option(actor.pk, actor.name, actor.name_ar)


def annotator_options(user: Any, term: str) -> list[Option]:
    """Members of the corpora the user edits (only these: a user list is not public)."""
    text = term.strip()
    if not text:
        return []
    named = Q(username__istartswith=text) | Q(first_name__istartswith=text)
    people = _colleagues(user).filter(named | Q(last_name__istartswith=text))
    return [_person(u) for u in people.order_by("username")[:PICKS]]


def annotator_option(user: Any, pk: int) -> Option | None:
    person = _colleagues(user).filter(pk=pk).first()
    return _person(person) if person else None


def _colleagues(user: Any) -> QuerySet[Any]:
    people = get_user_model().objects.all()
    if user.is_superuser:
        return people
    return people.filter(corpora__in=Corpus.objects.edited_by(user)).distinct()


def _person(user: Any) -> Option:
    full = user.get_full_name()
    return Option(user.pk, f"{full} ({user.username})" if full else user.username)
