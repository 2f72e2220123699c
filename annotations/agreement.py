"""Inter-annotator agreement: spans, token labels, place links and events.

The measures are pure functions on plain records (`SpanRecord`, `EventRecord`, ...) so they
can be checked against hand-computed cases; `load` fetches the records for a set of
articles in five bulk queries and `compute` puts the two together.

Choices, in one place:

- Only annotator layers count (not "new" ones unless asked), and only articles with two
  or more. Annotators are compared pairwise within an article; a pair's figures pool all
  the articles both annotated, and the overall figures pool all pairs.
- Span F1 between two annotators is symmetric: 2 * matches / (|A| + |B|). Exact matching
  needs the same label and the same offsets. Overlap matching needs the same label and
  overlapping offsets, one-to-one, as many pairs as possible (larger overlaps preferred).
- Token labels: each token of `annotations.text.tokenize` takes the label of the span that
  overlaps it, "O" outside spans. Where spans overlap, the longest wins (then the one that
  starts first, then the label first in alphabetical order).
- Cohen's kappa (scikit-learn) is pooled over the tokens of the articles both annotators
  annotated; the one-per-article figures use the same formula in closed form, since each
  scikit-learn call costs about a millisecond. Krippendorff's alpha (krippendorff) on
  labels takes every annotator of an article at once, one unit per token; on fatalities
  it is interval-scaled, one unit per matched event pair, an unknown count missing.
- Place-link agreement: among exactly matched LOC span pairs where at least one side
  links a place, the share linking the same place.
- Events are matched one-to-one between two annotators (see `match_events`); then each
  field's agreement is the share of matched pairs that agree on it. Two unknowns agree.
- A measure is None where it is undefined: nothing to compare, or (kappa, alpha) no
  variation at all, where chance agreement is already perfect.
"""

from __future__ import annotations

import bisect
import gc
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from typing import Any, NamedTuple

import krippendorff
import numpy as np
from django.db.models import Count, QuerySet

from .models import Article, Event, Evidence, Layer, Span
from .text import TOKENIZER_VERSION, token_bounds, unpack_bounds

OUTSIDE = "O"
PLACE_LABEL = "LOC"

# The keys of AgreementReport.overall, in the order pages and CSV show them.
METRICS = (
    "span_f1_exact",
    "span_f1_overlap",
    "kappa",
    "alpha_labels",
    "alpha_fatalities",
    "place_link",
    "event_f1",
    "event_type",
    "event_sub_type",
    "event_date",
    "event_place",
    "event_fatalities",
)
EVENT_FIELDS = ("event_type", "event_sub_type", "event_date", "event_place", "event_fatalities")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while records are built.

    A thousand articles make some 10^5 small records that live until the page is done and
    form no cycles; the collector would scan them again and again as they accumulate,
    which took a third of `compute`'s time on the bench. The pause is process-wide but
    lasts only as long as the computation (a second or so); reference counting still
    frees everything meanwhile, and the collector resumes as soon as the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- Records -------------------------------------------------------------------------------


class SpanRecord(NamedTuple):
    start: int
    end: int
    label: str
    place_id: int | None = None


class EventRecord(NamedTuple):
    event_type: str
    sub_event_type: str
    event_date: date | None = None
    place_id: int | None = None
    fatalities: int | None = None
    evidence: tuple[tuple[int, int], ...] = ()  # (start, end) of every evidence piece


@dataclass
class LayerRecord:
    annotator: str
    spans: list[SpanRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)


@dataclass
class ArticleRecord:
    article_id: int
    title: str
    body: str
    layers: list[LayerRecord] = field(default_factory=list)
    content_hash: str = ""  # names the body's tokens in TOKEN_CACHE; empty: not cached
    tokens: bytes | memoryview | None = None  # Article.tokens, when stored for this tokenizer


# --- Counting ------------------------------------------------------------------------------


@dataclass
class Tally:
    """`agree` out of `total`; for F1, agree is 2 * matches and total is |A| + |B|."""

    agree: int = 0
    total: int = 0

    def __iadd__(self, other: Tally) -> Tally:
        self.agree += other.agree
        self.total += other.total
        return self

    @property
    def value(self) -> float | None:
        return self.agree / self.total if self.total else None


class Score(NamedTuple):
    value: float | None
    n: int  # what the value is computed over: spans, tokens, units or pairs


# --- Spans ---------------------------------------------------------------------------------


def _by_label(spans: Iterable[SpanRecord]) -> dict[str, list[SpanRecord]]:
    grouped: dict[str, list[SpanRecord]] = defaultdict(list)
    for span in spans:
        grouped[span.label].append(span)
    return grouped


def exact_matches(
    a: Sequence[SpanRecord], b: Sequence[SpanRecord]
) -> list[tuple[SpanRecord, SpanRecord]]:
    """Pairs with the same label and offsets (each span used once)."""
    waiting: dict[tuple[int, int, str], list[SpanRecord]] = defaultdict(list)
    for span in b:
        waiting[span.start, span.end, span.label].append(span)
    pairs = []
    for span in a:
        twins = waiting.get((span.start, span.end, span.label))
        if twins:
            pairs.append((span, twins.pop()))
    return pairs


def overlap_matches(
    a: Sequence[SpanRecord], b: Sequence[SpanRecord]
) -> list[tuple[SpanRecord, SpanRecord]]:
    """Same label and overlapping offsets, one-to-one: the most pairs, then the most overlap."""
    b_by_label = _by_label(b)
    pairs = []
    for label, mine in _by_label(a).items():
        theirs = b_by_label.get(label, [])
        pairs += [(mine[i], theirs[j]) for i, j in _max_matching(mine, theirs)]
    return pairs


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _candidates(a: Sequence[SpanRecord], b: Sequence[SpanRecord]) -> dict[tuple[int, int], int]:
    """{(i, j): shared characters} for overlapping spans, found by bisecting b's starts."""
    if not a or not b:
        return {}
    order = sorted(range(len(b)), key=lambda j: b[j].start)
    starts = [b[j].start for j in order]
    longest = max(span.end - span.start for span in b)
    found = {}
    for i, span in enumerate(a):
        # Only a b-span starting less than `longest` before this one can reach it.
        lo = bisect.bisect_right(starts, span.start - longest)
        for k in range(lo, bisect.bisect_left(starts, span.end)):
            shared = _overlap(span, b[order[k]])
            if shared:
                found[i, order[k]] = shared
    return found


def _max_matching(a: Sequence[SpanRecord], b: Sequence[SpanRecord]) -> list[tuple[int, int]]:
    candidates = _candidates(a, b)
    rows = {i for i, _ in candidates}
    if len(rows) == len(candidates) == len({j for _, j in candidates}):
        return list(candidates)  # the usual case: no span overlaps two others
    # Each pair is worth 1 plus its share of all a's characters, so overlap only breaks
    # ties between matchings with the same number of pairs (the shares sum to less than 1).
    characters = sum(span.end - span.start for span in a) + 1
    weights = np.zeros((len(a), len(b)))
    for (i, j), shared in candidates.items():
        weights[i, j] = 1 + shared / characters
    # Imported here: scipy and scikit-learn take seconds to load, which every manage.py call
    # (the system checks import all views) would otherwise pay.
    from scipy.optimize import linear_sum_assignment

    chosen = zip(*linear_sum_assignment(weights, maximize=True), strict=True)
    return [(int(i), int(j)) for i, j in chosen if weights[i, j] > 0]


def f1_tallies(
    a: Sequence[SpanRecord],
    b: Sequence[SpanRecord],
    *,
    overlap: bool = False,
    pairs: Sequence[tuple[SpanRecord, SpanRecord]] | None = None,
) -> dict[str, Tally]:
    """Per label: 2 * matches out of |A| + |B|; `pairs` if the matches are already known."""
    if pairs is None:
        pairs = overlap_matches(a, b) if overlap else exact_matches(a, b)
    sizes = Counter(span.label for span in a)
    sizes.update(span.label for span in b)
    matched = Counter(span.label for span, _ in pairs)
    return {label: Tally(2 * matched[label], n) for label, n in sizes.items()}


def span_f1(
    a: Sequence[SpanRecord], b: Sequence[SpanRecord], *, overlap: bool = False
) -> float | None:
    """Symmetric F1 of two annotators' spans; None if neither marked anything."""
    pooled = Tally()
    for tally in f1_tallies(a, b, overlap=overlap).values():
        pooled += tally
    return pooled.value


def place_link_tally(
    a: Sequence[SpanRecord],
    b: Sequence[SpanRecord],
    label: str = PLACE_LABEL,
    *,
    pairs: Sequence[tuple[SpanRecord, SpanRecord]] | None = None,
) -> Tally:
    """Exactly matched `label` pairs with a place on either side; agree when it is the same."""
    tally = Tally()
    for mine, theirs in exact_matches(a, b) if pairs is None else pairs:
        if mine.label == label and (mine.place_id or theirs.place_id):
            tally.total += 1
            tally.agree += mine.place_id == theirs.place_id
    return tally


# --- Token labels --------------------------------------------------------------------------


class TokenIndex:
    """The token boundaries of one body, to find the tokens a span overlaps."""

    def __init__(self, starts: Sequence[int], ends: Sequence[int]) -> None:
        self.starts, self.ends = starts, ends

    @classmethod
    def of(cls, body: str) -> TokenIndex:
        # Machine ints: a tenth of the memory of lists of int objects, for the cache.
        return cls(*token_bounds(body))

    def __len__(self) -> int:
        return len(self.starts)

    def labels(self, spans: Iterable[SpanRecord]) -> dict[int, str]:
        """{token index: label} for the tokens inside spans; every other token is "O"."""
        labels: dict[int, str] = {}
        lengths: dict[int, int] = {}
        # Sorted, and only a strictly longer span replaces a label: ties go to the first.
        for span in sorted(spans):
            length = span.end - span.start
            first = bisect.bisect_right(self.ends, span.start)  # first token ending after it
            for t in range(first, bisect.bisect_left(self.starts, span.end)):
                if length > lengths.get(t, 0):
                    labels[t], lengths[t] = span.label, length
        return labels


class TokenCache:
    """Token boundaries of the last `size` bodies this process saw, by content hash.

    Tokenizing is most of the work of a large agreement page (about half a second per
    thousand articles), and a body never changes after import, so its content hash names
    its tokens for good. First in, first out; a lock, as views may run in threads.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: dict[str, TokenIndex] = {}
        self._lock = threading.Lock()

    def get(self, article: ArticleRecord) -> TokenIndex:
        if article.tokens is not None:
            # Stored on import: reading them back is much cheaper than tokenizing.
            return TokenIndex(*unpack_bounds(article.tokens))
        if not article.content_hash:
            return TokenIndex.of(article.body)
        with self._lock:
            found = self._items.get(article.content_hash)
        if found is None:
            found = TokenIndex.of(article.body)
            with self._lock:
                self._items[article.content_hash] = found
                while len(self._items) > self.size:
                    del self._items[next(iter(self._items))]
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# About 4 KB per 500-word article: a few thousand fit in a worker easily.
TOKEN_CACHE = TokenCache(4096)


def token_labels(tokens: Sequence[tuple[int, int]], spans: Iterable[SpanRecord]) -> list[str]:
    """The label of each (start, end) token: of the longest overlapping span, else "O"."""
    index = TokenIndex([start for start, _ in tokens], [end for _, end in tokens])
    labels = index.labels(spans)
    return [labels.get(t, OUTSIDE) for t in range(len(tokens))]


def confusion(
    labels_a: dict[int, str], labels_b: dict[int, str], tokens: int
) -> Counter[tuple[str, str]]:
    """{(label by A, label by B): tokens} from two sparse labellings of `tokens` tokens."""
    inside = labels_a.keys() | labels_b.keys()
    pairs = Counter((labels_a.get(t, OUTSIDE), labels_b.get(t, OUTSIDE)) for t in inside)
    pairs[OUTSIDE, OUTSIDE] += tokens - len(inside)
    return +pairs  # without zero counts


def kappa(confusion: Counter[tuple[str, str]]) -> float | None:
    """Cohen's kappa from {(label by A, label by B): tokens}, by scikit-learn.

    None when both annotators used one and the same label throughout (kappa is 0/0)."""
    if len({label for pair in confusion for label in pair}) < 2:
        return None
    from sklearn.metrics import cohen_kappa_score  # slow to import, so only when used

    pairs = list(confusion)
    value = float(
        cohen_kappa_score(
            [a for a, _ in pairs],
            [b for _, b in pairs],
            sample_weight=[confusion[pair] for pair in pairs],
        )
    )
    return None if math.isnan(value) else value


def kappa_closed_form(confusion: Counter[tuple[str, str]]) -> float | None:
    """The same value as `kappa`, without scikit-learn's ~1 ms of input checks per call.

    Used for the one-per-article figures (a thousand calls would take a second); the
    tests check it equals scikit-learn's."""
    total = sum(confusion.values())
    if not total:
        return None
    observed = sum(n for (a, b), n in confusion.items() if a == b) / total
    by_a: Counter[str] = Counter()
    by_b: Counter[str] = Counter()
    for (a, b), n in confusion.items():
        by_a[a] += n
        by_b[b] += n
    expected = sum(by_a[label] * by_b[label] for label in by_a) / total**2
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def alpha_nominal(value_counts: np.ndarray) -> float | None:
    """Krippendorff's alpha from a units x labels matrix of how many annotators chose each.

    None without a pairable unit or when only one label occurs at all."""
    value_counts = np.asarray(value_counts)
    if not _alpha_defined(value_counts):
        return None
    return float(krippendorff.alpha(value_counts=value_counts, level_of_measurement="nominal"))


def alpha_interval(pairs: Iterable[tuple[float | None, float | None]]) -> float | None:
    """Interval alpha over units of two values (None is missing): matched events' fatalities."""
    data = np.array([[np.nan if v is None else v for v in pair] for pair in pairs], dtype=float)
    if data.size == 0:
        return None
    values = np.unique(data[~np.isnan(data)])
    counts = (data[..., np.newaxis] == values).sum(axis=1)
    if not _alpha_defined(counts):
        return None
    return float(krippendorff.alpha(reliability_data=data.T, level_of_measurement="interval"))


def _alpha_defined(value_counts: np.ndarray) -> bool:
    if value_counts.size == 0 or not (value_counts.sum(axis=1) >= 2).any():
        return False
    return int((value_counts.sum(axis=0) > 0).sum()) >= 2


# --- Events --------------------------------------------------------------------------------


def _dates_agree(a: date | None, b: date | None, tolerance_days: int) -> bool:
    if a is None or b is None:
        return a is b
    return abs((a - b).days) <= tolerance_days


def _shared_evidence(a: EventRecord, b: EventRecord) -> int:
    return sum(_overlap(x, y) for x in a.evidence for y in b.evidence)


def _fields_agreeing(a: EventRecord, b: EventRecord, tolerance_days: int) -> int:
    """How many of sub-type, date and place agree, counting only known dates and places."""
    return (
        (a.sub_event_type == b.sub_event_type)
        + (a.event_date is not None and _dates_agree(a.event_date, b.event_date, tolerance_days))
        + (a.place_id is not None and a.place_id == b.place_id)
    )


def match_events(
    a: Sequence[EventRecord], b: Sequence[EventRecord], *, tolerance_days: int = 1
) -> list[tuple[EventRecord, EventRecord]]:
    """Pair up two annotators' events of one article, one-to-one.

    Two events may pair when their evidence overlaps (they cite the same words), or when
    at least two of sub-event type, date (within the tolerance) and place agree. Pairs are
    taken greedily: most shared evidence characters first, then most agreeing fields, then
    the order the events were coded in. Requiring two fields, not all three, lets the
    field agreements below still find disagreement on the third.
    """
    scored = []
    for i, mine in enumerate(a):
        for j, theirs in enumerate(b):
            shared = _shared_evidence(mine, theirs)
            agreeing = _fields_agreeing(mine, theirs, tolerance_days)
            if shared or agreeing >= 2:
                scored.append((-shared, -agreeing, i, j))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for _, _, i, j in sorted(scored):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((a[i], b[j]))
    return pairs


def event_tallies(
    a: Sequence[EventRecord], b: Sequence[EventRecord], *, tolerance_days: int = 1
) -> tuple[dict[str, Tally], list[tuple[int | None, int | None]]]:
    """Event F1 and each field's agreement among matched pairs, and the fatalities pairs."""
    matched = match_events(a, b, tolerance_days=tolerance_days)
    tallies = {"event_f1": Tally(2 * len(matched), len(a) + len(b))}
    checks = {
        "event_type": lambda x, y: x.event_type == y.event_type,
        "event_sub_type": lambda x, y: x.sub_event_type == y.sub_event_type,
        "event_date": lambda x, y: _dates_agree(x.event_date, y.event_date, tolerance_days),
        "event_place": lambda x, y: x.place_id == y.place_id,
        "event_fatalities": lambda x, y: x.fatalities == y.fatalities,
    }
    for name, agrees in checks.items():
        tallies[name] = Tally(sum(agrees(x, y) for x, y in matched), len(matched))
    return tallies, [(x.fatalities, y.fatalities) for x, y in matched]


# --- One pair on one article ---------------------------------------------------------------


@dataclass
class Comparison:
    """Everything additive about two annotators' layers of one article (or of many, pooled)."""

    exact: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    overlap: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    tallies: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    fatalities: list[tuple[int | None, int | None]] = field(default_factory=list)
    articles: int = 0

    def __iadd__(self, other: Comparison) -> Comparison:
        for mine, theirs in ((self.exact, other.exact), (self.overlap, other.overlap)):
            for label, tally in theirs.items():
                mine[label] += tally
        for name, tally in other.tallies.items():
            self.tallies[name] += tally
        self.confusion.update(other.confusion)
        self.fatalities += other.fatalities
        self.articles += other.articles
        return self

    def scores(self, *, fast_kappa: bool = False) -> dict[str, Score]:
        scores = {
            "span_f1_exact": _pooled(self.exact.values()),
            "span_f1_overlap": _pooled(self.overlap.values()),
            "kappa": Score(
                (kappa_closed_form if fast_kappa else kappa)(self.confusion),
                sum(self.confusion.values()),
            ),
        }
        if not fast_kappa:  # one alpha per article would cost more than it tells
            pairable = sum(None not in pair for pair in self.fatalities)
            scores["alpha_fatalities"] = Score(alpha_interval(self.fatalities), pairable)
        for name in ("place_link", "event_f1", *EVENT_FIELDS):
            tally = self.tallies.get(name, Tally())
            scores[name] = Score(tally.value, tally.total)
        return scores


def _pooled(tallies: Iterable[Tally]) -> Score:
    pooled = Tally()
    for tally in tallies:
        pooled += tally
    return Score(pooled.value, pooled.total)


def compare(
    a: LayerRecord,
    b: LayerRecord,
    labels_a: dict[int, str],
    labels_b: dict[int, str],
    tokens: int,
    *,
    tolerance_days: int = 1,
) -> Comparison:
    """Two annotators on one article of `tokens` tokens; `labels_*` from `TokenIndex.labels`."""
    result = Comparison(articles=1)
    exact = exact_matches(a.spans, b.spans)
    result.exact.update(f1_tallies(a.spans, b.spans, pairs=exact))
    result.overlap.update(f1_tallies(a.spans, b.spans, overlap=True))
    result.confusion = confusion(labels_a, labels_b, tokens)
    result.tallies["place_link"] = place_link_tally(a.spans, b.spans, pairs=exact)
    tallies, result.fatalities = event_tallies(a.events, b.events, tolerance_days=tolerance_days)
    for name, tally in tallies.items():
        result.tallies[name] += tally
    return result


# --- The report ----------------------------------------------------------------------------


@dataclass
class Breakdown:
    """One row of a table: the figures for a pair, a label or an article's pair."""

    scores: dict[str, Score]
    article_id: int | None = None
    title: str = ""
    label: str = ""
    annotator_a: str = ""
    annotator_b: str = ""
    articles: int = 0


@dataclass
class AgreementReport:
    overall: dict[str, float | None]
    overall_n: dict[str, int]
    pairs: list[Breakdown]
    labels: list[Breakdown]
    articles: list[Breakdown]  # one per article and pair, least exact-F1 agreement first
    articles_compared: int
    date_tolerance_days: int

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """(scope, article_id, label, annotator_a, annotator_b, metric, value, n) per figure."""
        for metric in METRICS:
            yield ("overall", "", "", "", "", metric, self.overall[metric], self.overall_n[metric])
        for scope, rows in (("pair", self.pairs), ("label", self.labels)):
            yield from _flat(scope, rows)
        yield from _flat("article", self.articles)


def _flat(scope: str, rows: Iterable[Breakdown]) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        key = (scope, row.article_id or "", row.label, row.annotator_a, row.annotator_b)
        for metric, score in row.scores.items():
            yield (*key, metric, score.value, score.n)


@_collector_paused()
def report(articles: Iterable[ArticleRecord], *, date_tolerance_days: int = 1) -> AgreementReport:
    """Every measure for loaded articles (see `load`); any with fewer than 2 layers is skipped."""
    overall = Comparison()
    by_pair: dict[tuple[str, str], Comparison] = defaultdict(Comparison)
    article_rows = []
    units = LabelUnits()
    for article in articles:
        if len(article.layers) < 2:
            continue
        tokens = TOKEN_CACHE.get(article)
        layers = sorted(article.layers, key=lambda layer: layer.annotator)
        labels = [tokens.labels(layer.spans) for layer in layers]
        units.add(labels, len(tokens))
        for (i, a), (j, b) in combinations(enumerate(layers), 2):
            comparison = compare(
                a, b, labels[i], labels[j], len(tokens), tolerance_days=date_tolerance_days
            )
            by_pair[a.annotator, b.annotator] += comparison
            overall += comparison
            article_rows.append(
                Breakdown(
                    comparison.scores(fast_kappa=True),
                    article_id=article.article_id,
                    title=article.title,
                    annotator_a=a.annotator,
                    annotator_b=b.annotator,
                )
            )
    # Editors come to the article table to find disagreements: the lowest agreement first.
    article_rows.sort(key=_worst_first)
    scores = overall.scores()
    scores["alpha_labels"] = Score(alpha_nominal(units.counts()), units.size)
    return AgreementReport(
        overall={metric: scores[metric].value for metric in METRICS},
        overall_n={metric: scores[metric].n for metric in METRICS},
        pairs=[
            Breakdown(pool.scores(), annotator_a=a, annotator_b=b, articles=pool.articles)
            for (a, b), pool in sorted(by_pair.items())
        ],
        labels=[_label_row(overall, label) for label in sorted(overall.exact)],
        articles=article_rows,
        articles_compared=units.articles,
        date_tolerance_days=date_tolerance_days,
    )


def _label_row(pool: Comparison, label: str) -> Breakdown:
    exact, overlap = pool.exact[label], pool.overlap[label]
    return Breakdown(
        {
            "span_f1_exact": Score(exact.value, exact.total),
            "span_f1_overlap": Score(overlap.value, overlap.total),
        },
        label=label,
    )


def _worst_first(row: Breakdown) -> tuple[bool, float, int]:
    value = row.scores["span_f1_exact"].value
    return (value is None, value or 0.0, row.article_id or 0)


class LabelUnits:
    """Krippendorff's units for token labels, one per token, gathered article by article.

    A unit on which all its m annotators agree on a label adds m to that label's diagonal
    coincidence, whatever the other units hold. So all such units fold into one unit per
    label carrying the summed count: alpha is unchanged, and krippendorff works on the few
    thousand disputed tokens instead of every token of every article.
    """

    def __init__(self) -> None:
        self.size = 0  # tokens seen, all pairable: every article here has 2+ annotators
        self.articles = 0
        self.agreed: Counter[str] = Counter()
        self.disputed: list[list[str]] = []

    def add(self, labels: Sequence[dict[int, str]], tokens: int) -> None:
        """One article: each annotator's sparse token labels (see `TokenIndex.labels`)."""
        inside: set[int] = set().union(*labels)
        self.agreed[OUTSIDE] += len(labels) * (tokens - len(inside))
        for t in inside:
            given = [layer.get(t, OUTSIDE) for layer in labels]
            if given.count(given[0]) == len(given):
                self.agreed[given[0]] += len(given)
            else:
                self.disputed.append(given)
        self.size += tokens
        self.articles += 1

    def counts(self) -> np.ndarray:
        """Units x labels: how many annotators gave each label, agreed units folded."""
        domain = sorted(set(self.agreed) | {x for unit in self.disputed for x in unit})
        column = {label: i for i, label in enumerate(domain)}
        counts = np.zeros((len(self.agreed) + len(self.disputed), len(domain)), dtype=np.int64)
        for row, (label, n) in enumerate(self.agreed.items()):
            counts[row, column[label]] = n
        for row, unit in enumerate(self.disputed, start=len(self.agreed)):
            for label in unit:
                counts[row, column[label]] += 1
        return counts


# --- Loading -------------------------------------------------------------------------------


@_collector_paused()
def load(
    article_ids: Iterable[int] | QuerySet, *, states: Iterable[str] | None = None
) -> list[ArticleRecord]:
    """The articles with two annotator layers or more, with their layers, in five queries.

    `states` selects layers by state; by default every state but "new" (a layer nobody
    has touched yet is the machine's copy, not an annotation). Every query filters by
    subquery, so the number of articles never turns into a list of parameters.
    """
    chosen = Layer.objects.annotators().filter(article_id__in=_ids(article_ids))
    chosen = chosen.filter(state__in=list(states)) if states else chosen.exclude(state=Layer.NEW)
    paired = chosen.values("article_id").annotate(n=Count("pk")).filter(n__gte=2)
    layers = chosen.filter(article_id__in=paired.values("article_id")).order_by()
    rows = list(layers.values_list("id", "article_id", "annotator__username"))
    records = {layer_id: LayerRecord(name) for layer_id, _, name in rows}
    by_article: dict[int, list[LayerRecord]] = defaultdict(list)
    for layer_id, article_id, _ in rows:
        by_article[article_id].append(records[layer_id])
    spans = Span.objects.filter(layer__in=layers.values("pk")).order_by()
    for layer_id, *span in spans.values_list("layer_id", "start", "end", "label", "place_id"):
        records[layer_id].spans.append(SpanRecord(*span))
    _load_events(layers.values("pk"), records)
    articles = Article.objects.filter(pk__in=layers.values("article_id")).order_by("pk")
    return [
        ArticleRecord(
            pk,
            title,
            body,
            by_article[pk],
            content_hash,
            tokens if version == TOKENIZER_VERSION else None,
        )
        for pk, title, body, content_hash, tokens, version in articles.values_list(
            "pk", "title", "body", "content_hash", "tokens", "tokens_version"
        )
    ]


def _ids(article_ids: Iterable[int] | QuerySet) -> Any:
    if isinstance(article_ids, QuerySet):
        return article_ids.order_by().values("pk")  # a subquery, not a list of parameters
    return list(article_ids)


def _load_events(chosen: QuerySet, records: dict[int, LayerRecord]) -> None:
    evidence: dict[int, list[tuple[int, int]]] = defaultdict(list)
    pieces = Evidence.objects.filter(event__layer__in=chosen).order_by()
    for event_id, start, end in pieces.values_list("event_id", "start", "end"):
        evidence[event_id].append((start, end))
    fields = ("event_type", "sub_event_type", "event_date", "place_id", "fatalities")
    events = Event.objects.filter(layer__in=chosen).order_by("id")
    for event_id, layer_id, *values in events.values_list("id", "layer_id", *fields):
        records[layer_id].events.append(EventRecord(*values, tuple(evidence[event_id])))


def compute(
    article_ids: Iterable[int] | QuerySet,
    *,
    date_tolerance_days: int = 1,
    states: Iterable[str] | None = None,
) -> AgreementReport:
    """Agreement among the annotators of these articles (ids, or a QuerySet of Article)."""
    with _collector_paused():
        return report(load(article_ids, states=states), date_tolerance_days=date_tolerance_days)
