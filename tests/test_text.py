"""annotations.text: matching keys, tokens, proclitics and sentences. No Django needed."""

from __future__ import annotations

import dataclasses

import pytest
import regex
from camel_tools.tokenizers.word import simple_word_tokenize
from hypothesis import given
from hypothesis import strategies as st

from annotations.text import (
    PROCLITICS,
    Token,
    match_key,
    proclitic_splits,
    sentences,
    strip_proclitics,
    token_at,
    tokenize,
)

INVISIBLE = regex.compile(r"[\p{Cc}\p{Cf}]")

# Characters of ordinary news text: Arabic letters and harakat, tatweel, both digit sets,
# Latin letters, punctuation and spaces. On these, tokenize agrees with camel-tools.
NEWS_ALPHABET = (
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئىة"
    "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0640"
    "0123456789٠١٢٣٤٥٦٧٨٩"
    "ISabcxyz"
    ".,:;!?؟،؛«»()\"'-/%٪"
    " \n\t"
)


def texts(tokens: list[Token]) -> list[str]:
    return [t.text for t in tokens]


# --- match_key -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("ﻻ", "لا"),  # NFKC: presentation-form ligature
        ("ＩＳＩＳ", "isis"),  # NFKC: fullwidth Latin, then casefold
        ("قُتِلَ", "قتل"),  # diacritics
        ("مُحمّد", "محمد"),  # shadda
        ("الرقـــة", "الرقه"),  # tatweel, teh marbuta
        ("أحمد", "احمد"),
        ("إدلب", "ادلب"),
        ("آمنة", "امنه"),
        ("ٱلرقة", "الرقه"),  # alef wasla
        ("مصطفى", "مصطفي"),  # alef maksura
        ("حماة", "حماه"),  # teh marbuta
        ("ISIS", "isis"),
        ("Straße", "strasse"),
        ("  الرقة \n\t  الشمالية  ", "الرقه الشماليه"),
        ("\u200fالرقة\u200f", "الرقه"),  # bidi marks from pasted web text
        ("ﷺ", "صلي الله عليه وسلم"),
    ],
)
def test_it_normalizes_match_keys(text: str, key: str) -> None:
    assert match_key(text) == key


def test_it_gives_differently_written_names_one_key() -> None:
    spellings = ["الرَّقَّة", "الرقـة", "الرقة", "ٱلرقه", " الرقة "]
    assert {match_key(s) for s in spellings} == {"الرقه"}


@given(st.text())
def test_it_keeps_match_key_idempotent(text: str) -> None:
    key = match_key(text)
    assert match_key(key) == key
    assert key == key.strip()
    assert "  " not in key


# --- tokenize ------------------------------------------------------------------------------


def assert_aligned(text: str, tokens: list[Token]) -> None:
    for i, t in enumerate(tokens):
        assert t.index == i
        assert text[t.start : t.end] == t.text


def test_it_tokenizes_diacritized_words_whole() -> None:
    text = "قُتِلَ ثلاثةٌ"
    tokens = tokenize(text)
    assert tokens == [Token(0, 0, 6, "قُتِلَ"), Token(1, 7, 13, "ثلاثةٌ")]


def test_it_keeps_tatweel_inside_words() -> None:
    text = "في الرقـــة."
    tokens = tokenize(text)
    assert texts(tokens) == ["في", "الرقـــة", "."]
    assert (tokens[1].start, tokens[1].end) == (3, 11)


def test_it_tokenizes_ascii_and_arabic_indic_digits() -> None:
    text = "٣ قتلى و12 جريحا و١٢٠٠"
    tokens = tokenize(text)
    assert texts(tokens) == ["٣", "قتلى", "و12", "جريحا", "و١٢٠٠"]
    assert_aligned(text, tokens)


def test_it_splits_numbers_at_separators_like_camel() -> None:
    text = "1,500 و٣٫٥ 3.5"
    assert texts(tokenize(text)) == ["1", ",", "500", "و٣", "٫", "٥", "3", ".", "5"]
    assert texts(tokenize(text)) == simple_word_tokenize(text)


def test_it_makes_each_punctuation_mark_a_token() -> None:
    text = "قال: «انسحبوا»!؟"
    assert texts(tokenize(text)) == ["قال", ":", "«", "انسحبوا", "»", "!", "؟"]


def test_it_tokenizes_mixed_rtl_and_ltr() -> None:
    text = "أعلن تنظيم ISIS (داعش) عبر Reuters مسؤوليته"
    tokens = tokenize(text)
    assert texts(tokens) == [
        "أعلن",
        "تنظيم",
        "ISIS",
        "(",
        "داعش",
        ")",
        "عبر",
        "Reuters",
        "مسؤوليته",
    ]
    assert_aligned(text, tokens)


def test_it_keeps_emoji_sequences_whole() -> None:
    text = "نصر👍🏽 🇸🇾 ❤️ 👨\u200d👩\u200d👧!"
    tokens = tokenize(text)
    assert texts(tokens) == ["نصر", "👍🏽", "🇸🇾", "❤️", "👨\u200d👩\u200d👧", "!"]
    assert_aligned(text, tokens)


def test_it_survives_unusual_characters() -> None:
    # A combining mark at the very start, an NFKC-unstable honorific and a ligature.
    text = "\u064eabc ﷺ ﻻ"
    tokens = tokenize(text)
    assert texts(tokens) == ["\u064eabc", "ﷺ", "ﻻ"]
    assert_aligned(text, tokens)


def test_it_leaves_invisible_characters_out_of_token_edges() -> None:
    text = "\u200fالرقة\u200f \u200e \u200d ومسك\u200cنة"
    tokens = tokenize(text)
    # The RLM, LRM and ZWJ between words are skipped; the ZWNJ inside a word is kept.
    assert tokens == [Token(0, 1, 6, "الرقة"), Token(1, 12, 19, "ومسك\u200cنة")]


def test_it_returns_no_tokens_for_blank_text() -> None:
    assert tokenize("") == []
    assert tokenize(" \n\t\u00a0\u200f") == []


def test_it_makes_frozen_tokens() -> None:
    token = tokenize("الرقة")[0]
    assert token == Token(0, 0, 5, "الرقة")
    assert hash(token) == hash(Token(0, 0, 5, "الرقة"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.start = 1  # type: ignore[misc]


def test_it_agrees_with_camel_on_a_news_paragraph() -> None:
    text = (
        "وقال المرصد السوري لحقوق الإنسان، اليوم (الأحد)، إن 12 مدنياً قُتِلوا "
        "وأصيب ٣٠ آخرون في قصفٍ على مدينة الرقـة… «وفق» مصادر محلية!"
    )
    assert texts(tokenize(text)) == simple_word_tokenize(text)


@given(st.text(alphabet=NEWS_ALPHABET))
def test_it_agrees_with_camel_on_news_characters(text: str) -> None:
    assert texts(tokenize(text)) == simple_word_tokenize(text)


@given(st.text())
def test_it_aligns_tokens_on_any_text(text: str) -> None:
    tokens = tokenize(text)
    assert_aligned(text, tokens)
    covered = set()
    previous_end = 0
    for t in tokens:
        assert previous_end <= t.start < t.end  # ordered, non-overlapping, non-empty
        previous_end = t.end
        assert not any(ch.isspace() for ch in t.text)
        assert not INVISIBLE.match(t.text[0])
        assert not INVISIBLE.match(t.text[-1])
        covered.update(range(t.start, t.end))
    # Only whitespace and invisible controls/format characters are left uncovered.
    for i, ch in enumerate(text):
        if i not in covered:
            assert ch.isspace() or INVISIBLE.match(ch)


# --- token_at ------------------------------------------------------------------------------


def test_it_finds_the_token_at_an_offset() -> None:
    tokens = tokenize("في الرقة، اليوم")
    assert token_at(tokens, 0) == 0
    assert token_at(tokens, 1) == 0
    assert token_at(tokens, 2) is None  # the space
    assert token_at(tokens, 3) == 1
    assert token_at(tokens, 7) == 1
    assert token_at(tokens, 8) == 2  # the comma
    assert token_at(tokens, 14) == 3
    assert token_at(tokens, 15) is None  # end of text
    assert token_at(tokens, -1) is None
    assert token_at([], 0) is None


@given(st.text(alphabet=NEWS_ALPHABET))
def test_it_maps_every_covered_offset_back_to_its_token(text: str) -> None:
    tokens = tokenize(text)
    for t in tokens:
        assert token_at(tokens, t.start) == t.index
        assert token_at(tokens, t.end - 1) == t.index


# --- proclitics ----------------------------------------------------------------------------


def test_it_lists_the_separable_proclitics() -> None:
    expected = "و ف ب ك ل ال وال بال فال كال لل وبال وب ول فب فل ولل فلل وك"
    assert set(expected.split()) <= set(PROCLITICS)
    assert len(set(PROCLITICS)) == len(PROCLITICS)
    assert [len(p) for p in PROCLITICS] == sorted((len(p) for p in PROCLITICS), reverse=True)
    assert "لال" not in PROCLITICS  # ل swallows the article's alef


@pytest.mark.parametrize(
    ("word", "splits"),
    [
        ("ومسكنة", [1]),
        ("والرقة", [1, 3]),
        ("بالموصل", [1, 3]),
        ("فالمدينة", [1, 3]),
        ("كالعادة", [1, 3]),
        ("الرقة", [2]),
        ("وبالموصل", [1, 2, 4]),
        ("للحديدة", [1, 2]),  # ل + الحديدة, or ل + a stem starting with ل
        ("للبنان", [1, 2]),  # ل + لبنان
        ("وللحديدة", [1, 2, 3]),
        ("فلليمن", [1, 2, 3]),
        ("ٱلرقة", [2]),  # the article with alef wasla
        ("وَالرَّقَّة", [2, 4]),  # offsets skip the proclitics' harakat
        ("لِلْحُدَيْدَة", [2, 4]),
        ("بـالموصل", [2, 4]),  # tatweel after the proclitic
        ("و12", [1]),
        ("وزير", [1]),  # over-generated: the stem "زير" has 3 letters
        ("والي", [1]),  # و + الي; ال + ي would leave one letter
        # Negatives: no stem of at least two letters would remain, or no proclitic.
        ("ول", []),
        ("وي", []),
        ("بي", []),
        ("الي", []),
        ("لله", [1]),
        ("مسكنة", []),
        ("سوريا", []),
        ("دمشق", []),
        ("ISIS", []),
        ("12", []),
        ("،", []),
        ("", []),
        ("\u064eوالرقة", []),  # a bare mark first: not a word we can split
    ],
)
def test_it_offers_proclitic_splits(word: str, splits: list[int]) -> None:
    assert proclitic_splits(word) == splits


@given(st.text(alphabet="وفبكلاٱلرقةمسن\u064e\u0651\u0640\u200c"))
def test_it_keeps_proclitic_splits_inside_the_word(word: str) -> None:
    splits = proclitic_splits(word)
    assert splits == sorted(set(splits))
    assert all(0 < s < len(word) for s in splits)
    # A split never leaves a mark at the start of the stem.
    assert all(word[s] not in "\u064e\u0651\u0640\u200c" for s in splits)


@pytest.mark.parametrize(
    ("key", "stems"),
    [
        ("والرقه", ["والرقه", "الرقه", "رقه"]),
        ("بالموصل", ["بالموصل", "الموصل", "موصل"]),
        ("وبالموصل", ["وبالموصل", "بالموصل", "الموصل", "موصل"]),
        ("الرقه", ["الرقه", "رقه"]),
        ("دمشق", ["دمشق"]),
        ("وزير", ["وزير", "زير"]),
        ("ول", ["ول"]),
        ("", []),
        ("والرقه الشماليه", ["والرقه الشماليه", "الرقه الشماليه", "رقه الشماليه"]),
    ],
)
def test_it_strips_proclitics_from_keys(key: str, stems: list[str]) -> None:
    assert strip_proclitics(key) == stems


def test_it_restores_the_article_after_lam_lam() -> None:
    # ل + الرقه is written للرقه; ل + اللاذقيه (three lams) is written للاذقيه.
    assert {"الرقه", "رقه"} <= set(strip_proclitics("للرقه"))
    assert "اللاذقيه" in strip_proclitics("للاذقيه")
    assert "لبنان" in strip_proclitics("للبنان")
    stems = strip_proclitics("للرقه")
    assert stems[0] == "للرقه"
    assert [len(s) for s in stems[1:]] == sorted((len(s) for s in stems[1:]), reverse=True)


# --- sentences -----------------------------------------------------------------------------


def split(text: str) -> list[str]:
    return [text[a:b] for a, b in sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "قصفت الطائرات الرقة. وقال مصدر إن 3 قتلوا!",
            ["قصفت الطائرات الرقة.", "وقال مصدر إن 3 قتلوا!"],
        ),
        ("هل انسحبوا؟ نعم… ثم عادوا", ["هل انسحبوا؟", "نعم…", "ثم عادوا"]),
        ("ماذا؟! لا أعرف...", ["ماذا؟!", "لا أعرف..."]),
        ("جملة۔ أخرى", ["جملة۔", "أخرى"]),
        ("ارتفع بنسبة 3.5 بالمئة. ثم", ["ارتفع بنسبة 3.5 بالمئة.", "ثم"]),
        ("نحو ٣.٥ مليون", ["نحو ٣.٥ مليون"]),
        ("قالت U.N. إن الوضع سيئ.", ["قالت U.N. إن الوضع سيئ."]),
        ("أعلن تنظيم ISIS. ثم", ["أعلن تنظيم ISIS.", "ثم"]),
        ("صرح د. أحمد للصحفيين", ["صرح د. أحمد للصحفيين"]),
        ("عبر موقع bbc.co.uk اليوم", ["عبر موقع bbc.co.uk اليوم"]),
        ("قال: «انتهى الأمر.» ثم غادر", ["قال: «انتهى الأمر.»", "ثم غادر"]),
        ("سطر أول\nسطر ثان", ["سطر أول", "سطر ثان"]),
        ("  فقرة أولى.  \n\n  فقرة ثانية  ", ["فقرة أولى.", "فقرة ثانية"]),
        ("العنوان\r\nالنص", ["العنوان", "النص"]),
        ("", []),
        (" \n\n ", []),
        ("...", ["..."]),
    ],
)
def test_it_splits_sentences(text: str, expected: list[str]) -> None:
    assert split(text) == expected


@given(st.text(alphabet=NEWS_ALPHABET + "…۔.\r\u2028") | st.text())
def test_it_covers_every_non_space_character_with_one_sentence(text: str) -> None:
    spans = sentences(text)
    previous_end = 0
    covered: list[int] = []
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        previous_end = end
        covered.extend(range(start, end))
    assert [i for i in covered if not text[i].isspace()] == [
        i for i, ch in enumerate(text) if not ch.isspace()
    ]
    assert not any(ch == "\n" for a, b in spans for ch in text[a:b])


@given(st.text())
def test_token_bounds_are_the_offsets_of_tokenize(text: str) -> None:
    from annotations.text import token_bounds

    starts, ends = token_bounds(text)
    tokens = tokenize(text)
    assert list(starts) == [t.start for t in tokens]
    assert list(ends) == [t.end for t in tokens]


def test_packed_bounds_round_trip() -> None:
    from annotations.text import pack_bounds, token_bounds, unpack_bounds

    starts, ends = token_bounds("قصفت طائرات حربية مواقع في الرقة.")
    assert unpack_bounds(memoryview(pack_bounds(starts, ends))) == (starts, ends)
