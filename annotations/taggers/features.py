"""Token features for the CRF tagger: a sentence of token strings in, crfsuite items out.

Every feature is a binary string (crfsuite gives string items weight 1.0). Features that
depend on the word alone are computed once per distinct word and cached, which is what
makes tagging fast: news prose repeats its words.

Five kinds of evidence:
* the word itself: its match key, its candidate proclitic-stripped stems, affixes, shape;
* name lists in `annotations/data/names/` (hand-assembled, see its README), plus an
  optional set of place match keys supplied at run time, matched as phrases over the
  sentence with proclitics stripped from the first word;
* a `Lexicon` learned from the labelled training sentences: the entity types each word
  and stem was seen with, and the entity phrases seen. It must be built from the
  training part only (inside cross-validation, from each fold's training part), and
  for the training sentences themselves it is cross-fitted (see `crf.py`), since a
  lexicon built from a sentence predicts that sentence's labels perfectly;
* word frequencies in general Arabic text (the `wordfreq` package's list, offline): how
  common the word and its likeliest proclitic-free stem are, and whether the stem behaves
  like a common word there (takes the article or pronoun suffixes) or like a name;
* the document: the name-list and phrase hits on and before the word's other occurrences
  in the same article (`FeatureExtractor.document`);
* stacking (`stacked_features`): a first CRF's labels of the whole document, e.g. "this
  stem was labelled PERS elsewhere in the article". For training sentences the first-pass
  labels come from models trained on the other parts of the training data (`crf.py`).

Optional, off by default (measured no gain on ANERcorp): `word_clusters`, distributional
word classes (PPMI + SVD + k-means, numpy) learned from the training text only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from ..conll import entities
from ..text import frequencies as _frequencies
from ..text import match_key, strip_proclitics

__all__ = [
    "FeatureExtractor",
    "FeatureSettings",
    "Gazetteer",
    "Lexicon",
    "load_name_lists",
    "stacked_features",
    "word_clusters",
]

NAMES_DIR = Path(__file__).resolve().parent.parent / "data" / "names"
# Runtime places join the hand-made country and city lists under one feature, so a model
# trained without the app's Place table still has a weight for the place gazetteer.
PLACE_LIST = "loc"
PLACE_FILES = ("countries", "cities")
LIST_FILES = {
    "given_names": "first",
    "name_particles": "part",
    "person_titles": "ptitle",
    "org_triggers": "otrig",
    "loc_triggers": "ltrig",
    "organizations": "org",
    "misc": "misc",
    "person_names": "person",
}
ARABIC_INDIC = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
MIN_DOCUMENT_WORD = 3  # letters; shorter words are particles, and their evidence noise


@dataclass(frozen=True)
class FeatureSettings:
    """Switches for feature groups; stored in a model's settings.json."""

    window: int = 2  # context words each side
    affix: int = 3  # longest prefix/suffix of the stem
    stem_context: bool = True  # neighbours' stems as well as their words
    bigrams: bool = True  # previous/next word paired with the current one
    names: bool = True  # hand-made name lists and runtime places
    names_window: int = 2  # name-list hits of neighbours up to this far
    lexicon: bool = True  # training-derived word -> entity type features
    phrases: bool = True  # training-derived entity phrases
    document: bool = True  # evidence from the word's other occurrences in the document
    stacking: bool = True  # a first CRF's labels of the document feed a second CRF
    clusters: bool = False  # distributional word classes learned from the training text
    frequency: bool = True  # word frequencies in general Arabic text (wordfreq)

    @classmethod
    def from_dict(cls, data: dict) -> FeatureSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict:
        return asdict(self)


# --- Name lists ----------------------------------------------------------------------------


def _read_list(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=1)
def load_name_lists() -> dict[str, tuple[str, ...]]:
    """The hand-made lists by feature name; countries and cities together as `loc`."""
    lists = {
        name: tuple(_read_list(NAMES_DIR / f"{stem}.txt")) for stem, name in LIST_FILES.items()
    }
    places = [entry for stem in PLACE_FILES for entry in _read_list(NAMES_DIR / f"{stem}.txt")]
    lists[PLACE_LIST] = tuple(places)
    return lists


@lru_cache(maxsize=65536)
def _key(token: str) -> str:
    return match_key(token)


@lru_cache(maxsize=65536)
def _stems(key: str) -> tuple[str, ...]:
    return tuple(strip_proclitics(key)) if key else ()


class Gazetteer:
    """Phrases (already match keys) grouped in named lists, found in token key sequences."""

    def __init__(self, lists: dict[str, Iterable[str]]) -> None:
        self.entries: dict[str, set[str]] = defaultdict(set)
        for name, phrases in lists.items():
            for phrase in phrases:
                key = match_key(phrase)
                if key:
                    self.entries[key].add(name)
        self.first_words = {key.split(" ", 1)[0] for key in self.entries}
        self.max_words = max((key.count(" ") + 1 for key in self.entries), default=0)

    def tag(self, keys: Sequence[str]) -> list[list[str]]:
        """Per position, `list:B` / `list:I` for every listed phrase covering it."""
        hits: list[list[str]] = [[] for _ in keys]
        for i, key in enumerate(keys):
            for head in _stems(key):
                if head in self.first_words:
                    self._mark(keys, i, head, hits)
        # "الرئيس" is listed and so is its stem "رئيس": one hit is enough.
        return [list(dict.fromkeys(h)) if len(h) > 1 else h for h in hits]

    def _mark(self, keys: Sequence[str], i: int, head: str, hits: list[list[str]]) -> None:
        phrase = head
        for n in range(1, min(self.max_words, len(keys) - i) + 1):
            if n > 1:
                phrase = f"{phrase} {keys[i + n - 1]}"
            for name in self.entries.get(phrase, ()):
                hits[i].append(f"{name}:B")
                hits[i + 1 : i + n] = [[*h, f"{name}:I"] for h in hits[i + 1 : i + n]]


# --- Training-derived lexicon --------------------------------------------------------------


@dataclass
class Lexicon:
    """Entity types seen with each word key and stem, and entity phrases, in training data."""

    words: dict[str, str] = field(default_factory=dict)  # key -> "LOC" or "PERS LOC"...
    # Every candidate stem of every word (strip_proclitics over-generates: بيروت gives
    # يروت); junk stems are harmless because text is stripped the same way when looking up.
    stems: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, list[str]] = field(default_factory=dict)  # type -> phrase keys

    MIN_SHARE = 0.25  # a type must label at least this share of a word's occurrences

    @classmethod
    def build(cls, sentences: Iterable[Sequence[tuple[str, str]]]) -> Lexicon:
        words: dict[str, Counter[str]] = defaultdict(Counter)
        stems: dict[str, Counter[str]] = defaultdict(Counter)
        phrases: dict[str, set[str]] = defaultdict(set)
        for sentence in sentences:
            keys = [_key(token) for token, _ in sentence]
            for key, (_, tag) in zip(keys, sentence, strict=True):
                kind = tag[2:] or "O"
                words[key][kind] += 1
                for stem in _stems(key):
                    stems[stem][kind] += 1
            for start, end, kind in _spans([tag for _, tag in sentence]):
                phrases[kind].update(_phrase_forms(keys[start:end]))
        return cls(
            words=_summarize(words),
            stems=_summarize(stems),
            phrases={kind: sorted(found) for kind, found in phrases.items()},
        )

    def to_dict(self) -> dict:
        return {"words": self.words, "stems": self.stems, "phrases": self.phrases}

    @classmethod
    def from_dict(cls, data: dict) -> Lexicon:
        return cls(words=data["words"], stems=data["stems"], phrases=data["phrases"])


def _shortest(key: str) -> str:
    stems = _stems(key)
    return stems[-1] if stems else key


def _proper_stems(key: str) -> tuple[str, ...]:
    """Candidate stems without the key itself, longest first; () for clitic-free words."""
    return _stems(key)[1:]


def _phrase_forms(keys: Sequence[str]) -> set[str]:
    # The phrase with each candidate stem of its first word: "وبيروت" is stored as "بيروت"
    # too, which "لبيروت" finds once stripped itself. Stems under 3 letters match too much.
    rest = " ".join(keys[1:])
    heads = [keys[0], *(s for s in _proper_stems(keys[0]) if len(s) >= 3)]
    return {" ".join(filter(None, (head, rest))) for head in heads}


def _spans(tags: Sequence[str]) -> Iterator[tuple[int, int, str]]:
    yield from sorted(entities(tags))


def _summarize(counts: dict[str, Counter[str]]) -> dict[str, str]:
    summary = {}
    for key, counter in counts.items():
        total = counter.total()
        kinds = sorted(k for k, n in counter.items() if n >= Lexicon.MIN_SHARE * total)
        summary[key] = " ".join(kinds)
    return summary


# --- Extraction ----------------------------------------------------------------------------


class FeatureExtractor:
    """Turns sentences (lists of token strings) into lists of crfsuite feature lists."""

    def __init__(
        self,
        settings: FeatureSettings | None = None,
        lexicon: Lexicon | None = None,
        places: Iterable[str] | None = None,
        clusters: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings or FeatureSettings()
        self.clusters = clusters or {}
        self.lexicon = lexicon if self.settings.lexicon or self.settings.phrases else None
        self.names = self._name_gazetteer(places) if self.settings.names else None
        self.phrases = self._phrase_gazetteer()
        # word key -> its own features; (word key, offset) -> features seen from a neighbour
        self._own: dict[str, list[str]] = {}
        self._context: dict[tuple[str, int], list[str]] = {}

    def _name_gazetteer(self, places: Iterable[str] | None) -> Gazetteer:
        lists: dict[str, Iterable[str]] = dict(load_name_lists())
        if places is not None:
            lists[PLACE_LIST] = [*lists[PLACE_LIST], *places]
        return Gazetteer(lists)

    def _phrase_gazetteer(self) -> Gazetteer | None:
        if not (self.lexicon and self.settings.phrases):
            return None
        return Gazetteer(self.lexicon.phrases)

    def sentence(self, tokens: Sequence[str]) -> list[list[str]]:
        """One feature list per token."""
        return self.document([tokens])[0]

    def document(self, sentences: Sequence[Sequence[str]]) -> list[list[list[str]]]:
        """Features of each sentence of one document (an article, or nearby sentences).

        With `settings.document`, a word also gets the name-list and phrase evidence of
        its other occurrences in the document: "بوش" alone inherits "follows a given name"
        from "جورج بوش" two sentences back. The evidence is label-free, so no leakage.
        """
        keys = [[_key(token) for token in tokens] for tokens in sentences]
        marks = [self._marks(sentence_keys) for sentence_keys in keys]
        evidence = _document_evidence(keys, marks) if self.settings.document else {}
        return [
            self._sentence(sentence_keys, sentence_marks, evidence)
            for sentence_keys, sentence_marks in zip(keys, marks, strict=True)
        ]

    def _sentence(
        self, keys: list[str], marks: list[list[str]], evidence: dict[str, list[str]]
    ) -> list[list[str]]:
        window = self.settings.window
        items = []
        for i, key in enumerate(keys):
            features = ["bias", *self._own_features(key), *marks[i]]
            for offset in range(-window, window + 1):
                j = i + offset
                if offset and 0 <= j < len(keys):
                    features += self._context_features(keys[j], offset)
                elif offset:
                    features.append(f"{offset}:edge")
            features += self._neighbour_marks(marks, i)
            if self.settings.bigrams:
                features += _bigrams(keys, i)
            if evidence:
                features += evidence.get(_shortest(key), ())
            items.append(features)
        return items

    def _marks(self, keys: Sequence[str]) -> list[list[str]]:
        """Phrase-level hits: name lists as `g:`, training entity phrases as `e:`."""
        marks: list[list[str]] = [[] for _ in keys]
        for prefix, gazetteer in (("g", self.names), ("e", self.phrases)):
            if gazetteer is None:
                continue
            for i, hits in enumerate(gazetteer.tag(keys)):
                marks[i] += [f"{prefix}:{hit}" for hit in hits]
        return marks

    def _neighbour_marks(self, marks: list[list[str]], i: int) -> list[str]:
        found = []
        reach = self.settings.names_window
        for offset in range(-reach, reach + 1):
            j = i + offset
            if offset and 0 <= j < len(marks):
                found += [f"{offset}{mark}" for mark in marks[j]]
        return found

    def _own_features(self, key: str) -> list[str]:
        cached = self._own.get(key)
        if cached is None:
            cached = self._own[key] = self._word_features(key)
        return cached

    def _context_features(self, key: str, offset: int) -> list[str]:
        cached = self._context.get((key, offset))
        if cached is None:
            cached = [f"{offset}:w={key}"]
            if self.settings.stem_context:
                cached += [f"{offset}:s={stem}" for stem in _proper_stems(key)]
            if abs(offset) == 1:
                cached.append(f"{offset}:shape={_shape(key)}")
                cached += [f"{offset}:{c}" for c in self._cluster_features(key)]
                cached += [f"{offset}:{f}" for f in self._lexicon_features(key)]
                if self.settings.frequency:
                    cached += [f"{offset}:{f}" for f in _frequency_features(key)]
            self._context[(key, offset)] = cached
        return cached

    def _word_features(self, key: str) -> list[str]:
        # Which proclitics a word carries is unknown (ب may be a root letter), so every
        # candidate stem is a feature; affixes come from the shortest.
        stems = _proper_stems(key)
        stem = stems[-1] if stems else key
        features = [f"w={key}", f"shape={_shape(key)}", f"len={min(len(stem), 8)}"]
        features += [f"s={s}" for s in stems]
        features += [f"clitic={key[: len(key) - len(s)]}" for s in stems]
        for n in range(1, self.settings.affix + 1):
            if len(stem) > n:
                features += [f"p{n}={stem[:n]}", f"x{n}={stem[-n:]}"]
        digits = key.translate(ARABIC_INDIC)
        if digits.isdigit():
            features.append(f"num={min(len(digits), 5)}")
        if self.settings.frequency:
            features += _frequency_features(key)
        return features + self._lexicon_features(key) + self._cluster_features(key)

    def _cluster_features(self, key: str) -> list[str]:
        if not self.clusters:
            return []
        found = self.clusters.get(key)
        if found is None:
            stem = next((s for s in _proper_stems(key) if s in self.clusters), None)
            found = self.clusters[stem] if stem is not None else "-"
        return [f"c{n}={c}" for n, c in enumerate(found.split())]

    def _lexicon_features(self, key: str) -> list[str]:
        if not (self.lexicon and self.settings.lexicon):
            return []
        found = [f"lw={kind}" for kind in self.lexicon.words.get(key, "UNK").split()]
        # The longest stem seen in training: وبيروت finds بيروت before يروت.
        stems = self.lexicon.stems
        stem = next((s for s in _proper_stems(key) if s in stems), None)
        if stem is not None:
            found += [f"ls={kind}" for kind in stems[stem].split()]
        return found


def _document_evidence(keys: list[list[str]], marks: list[list[list[str]]]) -> dict[str, list[str]]:
    """Per stem: the marks on and just before its occurrences anywhere in the document."""
    found: dict[str, set[str]] = defaultdict(set)
    for sentence_keys, sentence_marks in zip(keys, marks, strict=True):
        for i, key in enumerate(sentence_keys):
            if len(key) < MIN_DOCUMENT_WORD:
                continue
            seen = found[_shortest(key)]
            seen.update(f"d:{mark}" for mark in sentence_marks[i])
            if i:
                seen.update(f"d:-1{mark}" for mark in sentence_marks[i - 1])
    return {stem: sorted(seen) for stem, seen in found.items() if seen}


def _bigrams(keys: Sequence[str], i: int) -> list[str]:
    previous = keys[i - 1] if i else "<s>"
    following = keys[i + 1] if i + 1 < len(keys) else "</s>"
    return [f"b-={previous}|{keys[i]}", f"b+={keys[i]}|{following}"]


@lru_cache(maxsize=65536)
def _shape(key: str) -> str:
    """Coarse script class of a token: A(rabic), L(atin), D(igit), P(unct) or mixed."""
    classes = []
    for char in key:
        if "\u0600" <= char <= "\u06ff" and not char.isdigit():
            kind = "A"
        elif char.isdigit():
            kind = "D"
        elif char.isalpha():
            kind = "L"
        else:
            kind = "P"
        if not classes or classes[-1] != kind:
            classes.append(kind)
    return "".join(classes[:3])


# --- Word frequencies ----------------------------------------------------------------------

_ARTICLE = "ال"
_PRONOUN_SUFFIXES = ("ه", "ها", "هم", "كم", "نا")


@lru_cache(maxsize=65536)
def _frequency_features(key: str) -> tuple[str, ...]:
    """How common the word is in general text, and how it behaves there.

    Proper names are rarely made definite or given a pronoun suffix, while common nouns
    and adjectives are; places and peoples give nisba adjectives (لبنان, لبناني). Each is
    a difference of zipf frequencies, in whole steps: f(ال+stem) - f(stem), and so on.
    """
    zipf = _frequencies()
    own = zipf.get(key, 0.0)
    # The proclitic cut whose stem is commonest, each letter cut off costing half a step:
    # وبوش is و + بوش, but وكالة is not وك + اله.
    stem = max(_stems(key) or (key,), key=lambda s: _cut_score(key, s, zipf))
    best = zipf.get(stem, 0.0)
    features = [f"fz={int(own)}", f"fs={int(best)}", f"fcut={key[: len(key) - len(stem)]}"]
    bare = stem[2:] if stem.startswith(_ARTICLE) and len(stem) > 4 else stem
    plain = zipf.get(bare, 0.0)
    base = bare[:-1] + "ت" if bare.endswith("ه") else bare
    suffixed = max(zipf.get(base + suffix, 0.0) for suffix in _PRONOUN_SUFFIXES)
    nisba = zipf.get((bare[:-1] if bare.endswith("ه") else bare) + "ي", 0.0)
    for name, value in (
        ("fal", zipf.get(_ARTICLE + bare, 0.0)),
        ("fsuf", suffixed),
        ("fnis", nisba),
    ):
        features.append(f"{name}={_step(value - plain)}")
    return tuple(features)


def _cut_score(key: str, stem: str, zipf: dict[str, float]) -> float:
    if len(stem) < 3:
        return -9.0
    return zipf.get(stem, 0.0) - max(len(key) - len(stem), stem != key) / 2


def _step(difference: float) -> int:
    return max(-3, min(3, round(difference)))


# --- Stacking ------------------------------------------------------------------------------


def stacked_features(
    sentences: Sequence[Sequence[str]], labels: Sequence[Sequence[str]]
) -> list[list[list[str]]]:
    """Features from a first CRF's labels of one document, added to the second CRF's items.

    Per token: the first pass's labels of it and its neighbours; the entity types the first
    pass gave the word's stem at its other occurrences in the document (`dp=`), at earlier
    ones (`de=`), and entity phrases it found elsewhere that cover the token (`dph:`).
    For training sentences the first-pass labels come from models that never saw them.
    """
    keys = [[_key(token) for token in tokens] for tokens in sentences]
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    phrases: dict[str, set[str]] = defaultdict(set)
    for sentence_keys, sentence_labels in zip(keys, labels, strict=True):
        for key, label in zip(sentence_keys, sentence_labels, strict=True):
            if len(key) >= MIN_DOCUMENT_WORD:
                seen[_shortest(key)][label[2:] or "O"] += 1
        for start, end, kind in _spans(sentence_labels):
            if end - start > 1 or len(sentence_keys[start]) >= MIN_DOCUMENT_WORD:
                phrases[kind].update(_phrase_forms(sentence_keys[start:end]))
    gazetteer = Gazetteer(phrases) if phrases else None
    earlier: dict[str, set[str]] = defaultdict(set)
    found = []
    for sentence_keys, sentence_labels in zip(keys, labels, strict=True):
        hits = gazetteer.tag(sentence_keys) if gazetteer else [[] for _ in sentence_keys]
        items = []
        size = len(sentence_keys)
        for i, key in enumerate(sentence_keys):
            label = sentence_labels[i]
            features = [f"p0={label}"]
            for offset in (-2, -1, 1, 2):
                j = i + offset
                features.append(f"p{offset}={sentence_labels[j] if 0 <= j < size else '-'}")
            features.append(f"p-1|p0={sentence_labels[i - 1] if i else '-'}|{label}")
            if len(key) >= MIN_DOCUMENT_WORD:
                stem = _shortest(key)
                others = seen[stem].copy()
                others[label[2:] or "O"] -= 1
                kinds = [kind for kind, n in others.items() if n > 0]
                features += [f"dp={kind}" for kind in kinds]
                features += [f"de={kind}" for kind in sorted(earlier[stem])]
                if len(kinds) == 1:
                    features.append(f"dp1={kinds[0]}")
            features += [f"dph:{hit}" for hit in hits[i]]
            items.append(features)
        for key, label in zip(sentence_keys, sentence_labels, strict=True):
            if len(key) >= MIN_DOCUMENT_WORD:
                earlier[_shortest(key)].add(label[2:] or "O")
        found.append(items)
    return found


# --- Word clusters -------------------------------------------------------------------------


def word_clusters(
    sentences: Iterable[Sequence[str]],
    sizes: Sequence[int] = (32, 128, 512),
    min_count: int = 4,
    contexts: int = 1000,
    dimensions: int = 64,
    seed: int = 0,
) -> dict[str, str]:
    """Distributional classes of words and stems, from unlabelled text (the training part).

    Each word (match key) and each of its candidate stems seen `min_count` times is a row
    of counts of the `contexts` most frequent words just before and just after it; the
    rows are PPMI-weighted, reduced to `dimensions` by SVD and grouped by k-means at each
    of `sizes`. Returns key -> "id id id", one class id per size, coarse to fine.
    """
    import numpy as np

    counts: Counter[str] = Counter()
    rows_of: list[list[str]] = []
    for tokens in sentences:
        keys = [_key(token) for token in tokens]
        rows_of.append(keys)
        for key in keys:
            counts[key] += 1
    context_ids = {k: i for i, (k, _) in enumerate(counts.most_common(contexts))}
    width = len(context_ids)
    # pairs of (row word, context column): a word's and its stems' rows share contexts
    pair_counts: Counter[tuple[str, int]] = Counter()
    for keys in rows_of:
        padded = ["<s>", *keys, "</s>"]
        for i, key in enumerate(keys, 1):
            left = context_ids.get(padded[i - 1], -1)
            right = context_ids.get(padded[i + 1], -1)
            for word in {key, *(s for s in _proper_stems(key) if len(s) >= 3)}:
                if left >= 0:
                    pair_counts[(word, left)] += 1
                if right >= 0:
                    pair_counts[(word, width + right)] += 1
    row_totals: Counter[str] = Counter()
    for (word, _), n in pair_counts.items():
        row_totals[word] += n
    words = sorted(w for w, n in row_totals.items() if n >= min_count)
    if len(words) <= max(sizes):
        return {}
    row_ids = {w: i for i, w in enumerate(words)}
    entries = [(row_ids[w], c, n) for (w, c), n in pair_counts.items() if w in row_ids]
    rows = np.fromiter((e[0] for e in entries), dtype=np.int64, count=len(entries))
    columns = np.fromiter((e[1] for e in entries), dtype=np.int64, count=len(entries))
    values = np.fromiter((e[2] for e in entries), dtype=np.float64, count=len(entries))
    row_sums = np.bincount(rows, values, minlength=len(words))
    column_sums = np.bincount(columns, values, minlength=2 * width)
    pmi = np.log(values * values.sum() / (row_sums[rows] * column_sums[columns]))
    ppmi = np.zeros((len(words), 2 * width), dtype=np.float32)
    ppmi[rows, columns] = np.maximum(pmi, 0.0)
    # SVD through the small Gram matrix: ppmi is words x 2*contexts, contexts << words
    gram = ppmi.T @ ppmi
    eigenvalues, vectors = np.linalg.eigh(gram)
    top = np.argsort(eigenvalues)[::-1][:dimensions]
    embedded = ppmi @ vectors[:, top]
    embedded /= np.linalg.norm(embedded, axis=1, keepdims=True) + 1e-9
    rng = np.random.default_rng(seed)
    ids = [_kmeans(embedded, size, rng) for size in sizes]
    return {w: " ".join(str(found[i]) for found in ids) for w, i in row_ids.items()}


def _kmeans(points, k: int, rng, iterations: int = 15):
    import numpy as np

    centres = points[rng.choice(len(points), size=k, replace=False)].copy()
    assigned = np.zeros(len(points), dtype=np.int64)
    for _ in range(iterations):
        assigned = np.argmax(points @ centres.T, axis=1)  # cosine: rows are unit length
        sums = np.zeros_like(centres)
        np.add.at(sums, assigned, points)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centres = np.where(norms > 0, sums / np.maximum(norms, 1e-9), centres)
    return assigned
