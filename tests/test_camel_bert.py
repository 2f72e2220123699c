"""The camel-tools BERT engine, through NERecognizer's real loading and prediction code.

camel-tools' own model (ner-arabert) cannot be downloaded here, so the tests build a
tiny BertForTokenClassification with camel-tools' label set and a small Arabic
vocabulary, save it like a fine-tuned model, and point the engine at it.
"""

import pytest

from annotations.taggers import EngineUnavailable, configured_engines
from annotations.taggers.camel_bert import WINDOW_WORDS, CamelBertEngine, load_recognizer
from annotations.text import tokenize

LABELS = ["B-LOC", "B-ORG", "B-PERS", "B-MISC", "I-LOC", "I-ORG", "I-PERS", "I-MISC", "O"]
LETTERS = "ءآأؤإئابةتثجحخدذرزسشصضطظعغفقكلمنهوىي"


def tiny_model(directory, favoured: str):
    """A random tiny BERT whose classifier always prefers `favoured` (so output is known)."""
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", "،"]
    vocab += list(LETTERS) + [f"##{c}" for c in LETTERS]
    (directory / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizer(str(directory / "vocab.txt"), do_lower_case=False).save_pretrained(directory)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=512,
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    torch.manual_seed(0)
    model = BertForTokenClassification(config)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.fill_(-5.0)
        model.classifier.bias[LABELS.index(favoured)] = 5.0
    model.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def loc_model(tmp_path_factory):
    return str(tiny_model(tmp_path_factory.mktemp("tiny-b-loc"), "B-LOC"))


@pytest.fixture(scope="module")
def pers_model(tmp_path_factory):
    return str(tiny_model(tmp_path_factory.mktemp("tiny-i-pers"), "I-PERS"))


def test_it_predicts_with_nerecognizer_and_maps_words_back_to_offsets(loc_model):
    text = "قصفت الطائرات مدينة الرقة، وقُتل ثلاثة."
    tokens = tokenize(text)
    found = CamelBertEngine(loc_model).tag(text, tokens)
    # Every token is B-LOC, so each is its own entity, at its exact offsets.
    assert [(s.start, s.end, s.label) for s in found] == [(t.start, t.end, "LOC") for t in tokens]
    assert all(text[s.start : s.end] == t.text for s, t in zip(found, tokens, strict=True))
    assert found[0].engine == "camel_bert"


def test_long_articles_are_cut_into_windows_the_model_can_take(pers_model):
    sentence = " ".join(["قال"] * (WINDOW_WORDS * 2 + 10)) + "."
    text = sentence + "\nوصل الوفد."
    tokens = tokenize(text)
    found = CamelBertEngine(pers_model).tag(text, tokens)
    # All I-PERS: one entity per window; windows never cross a sentence.
    assert [(s.start, s.end) for s in found] == [
        (tokens[0].start, tokens[WINDOW_WORDS - 1].end),
        (tokens[WINDOW_WORDS].start, tokens[2 * WINDOW_WORDS - 1].end),
        (tokens[2 * WINDOW_WORDS].start, tokens[2 * WINDOW_WORDS + 10].end),  # with "."
        (text.index("وصل"), len(text)),
    ]
    assert {s.label for s in found} == {"PERS"}


def test_a_missing_model_makes_the_engine_unavailable_and_says_how_to_install(
    settings, tmp_path, monkeypatch, db
):
    monkeypatch.setenv("CAMELTOOLS_DATA", str(tmp_path))
    settings.NEWSDESK_CAMEL_NER_MODEL = ""
    load_recognizer.cache_clear()
    with pytest.raises(EngineUnavailable, match="camel_data -i ner-arabert"):
        CamelBertEngine()
    settings.NEWSDESK_CAMEL_NER_MODEL = str(tmp_path / "nothing-here")
    with pytest.raises(EngineUnavailable, match="camel_data -i ner-arabert"):
        CamelBertEngine()
    # Pre-tagging carries on with the other engines (no CRF model is active either).
    assert [e.name for e in configured_engines()] == ["gazetteer"]


def test_the_engine_is_used_first_when_its_model_is_there(settings, loc_model, db):
    settings.NEWSDESK_CAMEL_NER_MODEL = loc_model
    names = [e.name for e in configured_engines()]
    assert names[0] == "camel_bert" and names[-1] == "gazetteer"
    assert configured_engines()[0].version == loc_model.rsplit("/", 1)[-1]
