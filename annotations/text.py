"""Text primitives for Arabic news reports: matching keys, tokens, proclitics, sentences.

Offsets everywhere are Python str indices (code points) into the stored article body.
The body is never normalized; normalization happens only in `match_key`, whose output
is used for lookups and never mapped back to offsets.
"""

from __future__ import annotations

import bisect
import re
import sys
import unicodedata
from array import array
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from operator import attrgetter

import regex
from camel_tools.utils.dediac import dediac_ar
from camel_tools.utils.normalize import (
    normalize_alef_ar,
    normalize_alef_maksura_ar,
    normalize_teh_marbuta_ar,
)

__all__ = [
    "PROCLITICS",
    "Token",
    "likelier_cut",
    "match_key",
    "pack_bounds",
    "proclitic_splits",
    "sentences",
    "strip_proclitics",
    "token_at",
    "token_bounds",
    "tokenize",
    "unpack_bounds",
    "zipf",
]

TATWEEL = "\u0640"

# --- Matching keys -------------------------------------------------------------------------

# dediac_ar removes only the harakat, shadda, sukun and dagger alef. Quranic annotation
# marks, maddah and hamza marks left over after NFKC would still split keys that differ
# only in vocalization, so they go too.
_EXTRA_MARKS_RE = re.compile(
    "[\u0610-\u061a\u0653-\u065f\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed]"
)

# Invisible format characters (bidi marks, ZWJ/ZWNJ, BOM, soft hyphen) are common in text
# pasted from the web and must not make two visually identical names differ.
_FORMAT_RE = regex.compile(r"\p{Cf}")


@lru_cache(maxsize=65536)
def match_key(text: str) -> str:
    """The key used for every lookup (gazetteer, search, aliases); never stored as text.

    Cached: pre-tagging asks for the same words' keys many times (dates, fatalities,
    triggers, places), and news vocabulary repeats."""
    key = unicodedata.normalize("NFKC", text).casefold()
    key = _strip_invisible(key)
    # Casefolding and removals can leave sequences that compose differently; one more NFKC
    # keeps match_key idempotent.
    key = unicodedata.normalize("NFKC", key)
    key = normalize_alef_ar(key)  # أ إ آ and alef wasla ٱ
    key = normalize_alef_maksura_ar(key)
    key = normalize_teh_marbuta_ar(key)
    if not key.isascii() or "'" in key or "`" in key:
        key = _fold_latin(key)
    return " ".join(key.split())


# Transliterations spell one name many ways (Khāliş, Khalis; Ma‘arrat, Maarrat): Latin
# letters lose their accents and the marks for ayn and hamza go.
_TRANSLITERATION_MARKS = dict.fromkeys(map(ord, "‘’ʿʾʼ'`´"), None)
_LATIN_EXTENDED = regex.compile(r"[\u00c0-\u024f\u1e00-\u1eff]")
_LATIN_BASE = {"ı": "i", "ø": "o", "đ": "d", "ł": "l", "ħ": "h", "æ": "ae", "œ": "oe"}


def _fold_latin(key: str) -> str:
    key = key.translate(_TRANSLITERATION_MARKS)
    return _LATIN_EXTENDED.sub(_latin_base, key)


def _latin_base(letter: regex.Match) -> str:
    char = letter.group()
    return _LATIN_BASE.get(char) or unicodedata.normalize("NFKD", char)[0]


def _strip_invisible(text: str) -> str:
    text = dediac_ar(text).replace(TATWEEL, "")
    text = _EXTRA_MARKS_RE.sub("", text)
    return _FORMAT_RE.sub("", text)


# --- Tokens --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    index: int  # position in the list returned by tokenize()
    start: int
    end: int
    text: str


# Emoji sequences as in UTS #51 (and camel-tools), so that a flag, a skin-toned hand or a
# ZWJ family stays one token. The base must be a symbol or punctuation: \p{Emoji} also
# contains the digits 0-9, which belong in words.
_EMOJI_ELEMENT = (
    r"(?:\p{RI}\p{RI}"
    r"|(?=[\p{P}\p{S}])\p{Emoji}(?:\p{EMod}|\uFE0F\u20E3?|[\U000E0020-\U000E007E]+\U000E007F)?)"
)
# Word characters are everything but whitespace, punctuation, symbols and invisible
# controls (Cc, Cf), spelled positively because regex matches positive classes faster.
_WORD_CHAR = r"[\p{L}\p{M}\p{N}\p{Co}\p{Cn}\p{Cs}]"
# Invisible characters (a stray RLM, ZWJ, BOM, NUL) are kept only between word characters,
# never at a word's edge or as a token of their own. These are the non-space Cc and Cf.
_INVISIBLE = r"[\p{Cf}\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]"
_TOKEN_RE = regex.compile(
    rf"{_WORD_CHAR}+(?:{_INVISIBLE}+{_WORD_CHAR}+)*"  # letters, marks, digits, tatweel...
    rf"|{_EMOJI_ELEMENT}(?:\u200D{_EMOJI_ELEMENT})*"  # one emoji sequence
    r"|[\p{P}\p{S}]",  # any other punctuation or symbol, one character per token
    regex.VERSION1,
)

# A frozen dataclass's __init__ sets each field through object.__setattr__, which is most
# of tokenize()'s run time; writing the slots directly builds the same objects faster.
_SET_FIELDS = (Token.index.__set__, Token.start.__set__, Token.end.__set__, Token.text.__set__)


def tokenize(text: str) -> list[Token]:
    """Word, punctuation and emoji tokens with exact code-point offsets.

    Agrees with camel_tools' simple_word_tokenize except that invisible control and format
    characters (Cc, Cf: RLM, ZWJ, BOM...) are not kept at the edges of a word or as tokens
    of their own; together with whitespace they are the only characters left uncovered.
    Numbers split at their separators: "1,500" is 1 | , | 500 and "3.5" is 3 | . | 5.
    """
    set_index, set_start, set_end, set_text = _SET_FIELDS
    new = object.__new__
    tokens = []
    end = 0
    for i, piece in enumerate(_TOKEN_RE.findall(text)):
        # Only skipped characters lie between tokens and a token never starts with one,
        # so the next occurrence of the token's text is the token.
        start = text.find(piece, end)
        end = start + len(piece)
        token = new(Token)
        set_index(token, i)
        set_start(token, start)
        set_end(token, end)
        set_text(token, piece)
        tokens.append(token)
    return tokens


def token_bounds(text: str) -> tuple[array, array]:
    """The (starts, ends) of tokenize(text)'s tokens, without building Token objects.

    Half the time of tokenize(), for code that only needs offsets (agreement measures
    over thousands of articles); machine ints keep a cache of them small.
    """
    starts, ends = array("i"), array("i")
    add_start, add_end, find = starts.append, ends.append, text.find
    end = 0
    for piece in _TOKEN_RE.findall(text):
        start = find(piece, end)  # as in tokenize(): the next occurrence is the token
        end = start + len(piece)
        add_start(start)
        add_end(end)
    return starts, ends


# Bump when tokenize() changes: stored token boundaries of another version are recomputed.
TOKENIZER_VERSION = 1


def pack_bounds(starts: array, ends: array) -> bytes:
    """Token boundaries as bytes to store beside an immutable body: starts then ends,
    32-bit little-endian."""
    both = array("i", starts)
    both.extend(ends)
    if sys.byteorder == "big":
        both.byteswap()
    return both.tobytes()


def unpack_bounds(data: bytes | memoryview) -> tuple[array, array]:
    both = array("i")
    both.frombytes(bytes(data))
    if sys.byteorder == "big":
        both.byteswap()
    half = len(both) // 2
    return both[:half], both[half:]


def token_at(tokens: list[Token], offset: int) -> int | None:
    """Position in `tokens` of the token containing `offset`, or None between tokens.

    For the list returned by tokenize() this is also the token's `index`.
    """
    i = bisect.bisect_right(tokens, offset, key=attrgetter("start")) - 1
    if i >= 0 and tokens[i].start <= offset < tokens[i].end:
        return i
    return None


# --- Proclitics ----------------------------------------------------------------------------

_CONJUNCTIONS = "وف"
_PREPOSITIONS = "بكل"
_ARTICLE = "ال"
_MIN_STEM = 2  # letters: و + ي (وي) is a word, not a proclitic and a stem
_LONGEST = 4  # letters in the longest proclitic sequence, وبال
_INITIALS = frozenset(_CONJUNCTIONS + _PREPOSITIONS + "اٱ")
# A letter with the diacritics, tatweel and format characters that follow it: a split
# after a vocalized proclitic (وَ) must not separate the letter from its haraka.
_LETTER_RE = regex.compile(r"[^\p{M}\p{Cf}\u0640][\p{M}\p{Cf}\u0640]*")


def _proclitic_combinations() -> tuple[str, ...]:
    forms = set()
    for conj in ("", *_CONJUNCTIONS):
        for prep in ("", *_PREPOSITIONS):
            for article in ("", _ARTICLE):
                # ل before the article swallows its alef: ل + الرقة = للرقة.
                form = conj + ("لل" if prep == "ل" and article else prep + article)
                if form:
                    forms.add(form)
    return tuple(sorted(forms, key=lambda f: (-len(f), f)))


# Every separable proclitic sequence, longest first: وبال ولل وال بال لل ال و ف ب ك ل...
PROCLITICS: tuple[str, ...] = _proclitic_combinations()


@lru_cache(maxsize=1024)
def _proclitic_cuts(prefix: str) -> tuple[tuple[int, bool], ...]:
    """Letter counts after which a stem may start, each flagged if it ends a contracted لل.

    `prefix` is the word's first letters without marks. Over-generates by design, since
    the morphology is unknown: "والي" is offered as و | الي too.
    """
    prefix = prefix.replace("\u0671", "ا")  # ٱل is the article written with alef wasla
    cuts: list[tuple[int, bool]] = []
    i = 0
    if prefix[:1] and prefix[0] in _CONJUNCTIONS:
        i = 1
        cuts.append((i, False))
    if prefix[i : i + 1] and prefix[i] in _PREPOSITIONS:
        if prefix[i : i + 2] == "لل":
            # Either ل + a stem starting with ل (للبنان = ل + لبنان) or the contraction
            # ل + ال (للحديدة = ل + الحديدة); both are offered.
            return (*cuts, (i + 1, False), (i + 2, True))
        i += 1
        cuts.append((i, False))
    if prefix[i : i + 2] == _ARTICLE:
        cuts.append((i + 2, False))
    return tuple(cuts)


def _stem_cuts(word: str) -> tuple[tuple[int, bool], ...]:
    """(offset, ends a contracted لل) for each proclitic cut leaving a stem of 2+ letters."""
    if not word or word[0] not in _INITIALS:
        return ()  # the common case, answered without reading the word
    return _initial_stem_cuts(word)


# News prose repeats its words, and documents and taggers ask for every token's cuts.
@lru_cache(maxsize=16384)
def _initial_stem_cuts(word: str) -> tuple[tuple[int, bool], ...]:
    letters = _LETTER_RE.findall(word)
    if len(letters) <= _MIN_STEM:
        return ()
    prefix = "".join(letter[0] for letter in letters[:_LONGEST])
    ends = list(accumulate(map(len, letters[:_LONGEST])))
    return tuple(
        (ends[n - 1], lamlam)
        for n, lamlam in _proclitic_cuts(prefix)
        if len(letters) - n >= _MIN_STEM
    )


def proclitic_splits(word: str) -> list[int]:
    """Offsets inside `word` (ascending, 0 < offset < len) where a span may start.

    "والرقة" -> [1, 3]; "بالموصل" -> [1, 3]; "للحديدة" -> [1, 2]; "وَالرقة" -> [2, 4].
    """
    return [offset for offset, _ in _stem_cuts(word)]


def strip_proclitics(key: str) -> list[str]:
    """Candidate stems of a match key: the key itself first, then the rest longest first.

    "والرقه" -> ["والرقه", "الرقه", "رقه"]. After لل the article is restored both ways the
    contraction arises: "للرقه" gives "الرقه" (ل + الرقه) and "للاذقيه" gives "اللاذقيه"
    (ل + اللاذقيه, whose three lams are written as two); junk candidates simply miss.
    """
    if not key:
        return []
    head = key.split(" ", 1)[0]  # proclitics attach to the first word only
    stems: list[str] = []
    previous = 0
    for offset, lamlam in _stem_cuts(head):
        rest = key[offset:]
        if lamlam:
            # The cut before a contracted لل is always the one after its first ل.
            stems += [_ARTICLE + rest, _ARTICLE + key[previous:]]
        stems.append(rest)
        previous = offset
    stems.sort(key=len, reverse=True)
    return list(dict.fromkeys([key, *stems]))


# --- Sentences -----------------------------------------------------------------------------

_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines() splits on
_CLOSERS = "»”’\"')]}›\ufd3f"
_SENTENCE_END_RE = re.compile(rf"[.!?؟…۔]+[{re.escape(_CLOSERS)}]*|[{_LINE_BREAKS}]")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end), trimmed of whitespace, in order, empty ones dropped.

    Every non-space character lies in exactly one span. A sentence ends after . ! ? ؟ … ۔
    (with any closing quotes or brackets) and at every line break.
    """
    spans = []
    start = 0
    for m in _SENTENCE_END_RE.finditer(text):
        if m.group() == "." and not _ends_sentence(text, m.start()):
            continue
        spans.append(_trim(text, start, m.end()))
        start = m.end()
    spans.append(_trim(text, start, len(text)))
    return [(a, b) for a, b in spans if a < b]


def _ends_sentence(text: str, dot: int) -> bool:
    """Whether a lone '.' at `dot` (not followed by a closer) ends a sentence."""
    before = text[dot - 1] if dot > 0 else ""
    after = text[dot + 1] if dot + 1 < len(text) else ""
    if before.isdecimal() and after.isdecimal():
        return False  # 3.5, ٣.٥
    if after.isascii() and after.isalnum():
        return False  # bbc.co.uk, U.N (the first dot)
    # A single capital letter or a single Arabic letter is an initial or an abbreviation:
    # U.N., J. Smith, د. (doctor).
    single = dot < 2 or not text[dot - 2].isalnum()
    return not (single and (("A" <= before <= "Z") or ("\u0621" <= before <= "\u064a")))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# --- Word frequencies ----------------------------------------------------------------------

# match_key's letter normalization, for the general-text frequency list (undiacritized)
_FREQUENCY_KEY = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ٱ", "ا"), ("ى", "ي"), ("ة", "ه"), ("ـ", ""))


@lru_cache(maxsize=1)
def frequencies() -> dict[str, float]:
    """Zipf frequency (log10 per billion words) of each word of wordfreq's Arabic list.

    Keys are normalized like match_key; of variants that meet, the commoner one's figure
    is kept. Built with string and dict operations that run in C: about 0.6 s.
    """
    from wordfreq import get_frequency_list

    buckets = [(i, words) for i, words in enumerate(get_frequency_list("ar")) if words]
    text = "\n".join("\n".join(words) for _, words in buckets)
    for variant, plain in _FREQUENCY_KEY:
        text = text.replace(variant, plain)
    keys = text.split("\n")
    zipfs = [9 - i / 100 for i, words in buckets for _ in words]  # bucket i: 10**(-i/100)
    return dict(zip(reversed(keys), reversed(zipfs), strict=True))


def zipf(key: str) -> float:
    """How common a matching key is as a word of general Arabic text (0: not in the list)."""
    return frequencies().get(key, 0.0)


# A proclitic reading of a word pays this much (zipf steps) per proclitic cut off: وسوريا
# (4.3) is و + سوريا (5.5 - 0.8), but كامل (5.3) is no ك + امل (4.8 - 0.8).
CUT_MARGIN = 0.8


def likelier_cut(whole: str, stem: str) -> bool:
    """Whether a word (its matching key) is proclitic + this stem rather than a word of its
    own (كامل, بلاد) or a shorter proclitic + another word (وكبرى is و + كبرى, not وك + برى).

    Each reading scores its word's frequency less CUT_MARGIN per proclitic step; the stem
    must score best. Words wordfreq does not know (ومسكنة) are names: cut freely."""
    readings = strip_proclitics(whole)  # the whole word first, then shorter stems
    if stem not in readings:
        return False
    if not any(zipf(r) for r in readings):
        return True
    scores = {r: zipf(r) - CUT_MARGIN * _proclitic_steps(whole, r) for r in readings}
    return scores[stem] >= max(scores.values())


def _proclitic_steps(whole: str, stem: str) -> int:
    """Proclitic steps between a word and a reading of it: 0, 1 (و، ال) or 2 (وال، بال)."""
    gone = len(whole) - len(stem)
    return 0 if gone <= 0 else 1 if gone <= 2 else 2
