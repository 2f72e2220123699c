"""CoNLL reading and scoring, CRF features, and training/tagging the CRF tagger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotations.conll import entities, evaluate, format_report, read_conll, write_conll
from annotations.taggers.base import EngineUnavailable
from annotations.taggers.crf import (
    CRFEngine,
    CRFTagger,
    pseudo_documents,
    sentence_windows,
    train,
)
from annotations.taggers.features import (
    FeatureExtractor,
    FeatureSettings,
    Gazetteer,
    Lexicon,
    stacked_features,
    word_clusters,
)
from annotations.text import match_key, tokenize

ANERCORP = Path(__file__).resolve().parents[2] / "shared" / "data" / "anercorp" / "train.conll"

# --- CoNLL ---------------------------------------------------------------------------------


def test_read_conll_tolerates_tabs_spaces_and_extra_blank_lines(tmp_path):
    path = tmp_path / "a.conll"
    path.write_text(
        "\n\nفرانكفورت\tB-LOC  \n(د O\n\n\n\nأعلن   O\t\nاتحاد B-ORG\r\nصناعة I-ORG",
        encoding="utf-8",
    )
    assert read_conll(path) == [
        [("فرانكفورت", "B-LOC"), ("(د", "O")],
        [("أعلن", "O"), ("اتحاد", "B-ORG"), ("صناعة", "I-ORG")],
    ]


@pytest.mark.parametrize("line", ["lonely", "word X-LOC", "word B-"])
def test_read_conll_reports_malformed_line_with_file_and_line(tmp_path, line):
    path = tmp_path / "bad.conll"
    path.write_text(f"a O\n\n{line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.conll:3:"):
        read_conll(path)


def test_write_conll_round_trips(tmp_path):
    data = [[("a", "B-PERS"), ("b", "I-PERS")], [("c", "O")]]
    write_conll(data, tmp_path / "out.conll")
    assert read_conll(tmp_path / "out.conll") == data


def test_entities_follow_seqeval_default_mode():
    tags = ["B-PERS", "I-PERS", "O", "I-LOC", "I-LOC", "B-LOC", "I-ORG", "B-ORG", "I-ORG"]
    assert entities(tags) == {
        (0, 2, "PERS"),
        (3, 5, "LOC"),  # I- after O starts an entity
        (5, 6, "LOC"),  # B- after I- of the same type starts another
        (6, 7, "ORG"),  # I- after another type starts one
        (7, 9, "ORG"),
    }
    assert entities([]) == set()
    assert entities(["O", "O"]) == set()


def test_evaluate_hand_computed():
    gold = [["B-PERS", "I-PERS", "O", "B-LOC"], ["B-ORG", "O", "B-LOC"]]
    pred = [["B-PERS", "I-PERS", "O", "B-ORG"], ["B-ORG", "I-ORG", "B-LOC"]]
    # PERS: 1 tp of 1 gold, 1 pred. LOC: 1 tp (second sentence) of 2 gold, 1 pred.
    # ORG: 0 tp (boundary wrong, and a spurious one), 1 gold, 2 pred.
    result = evaluate(gold, pred)
    pers, loc, org = (result["labels"][k] for k in ("PERS", "LOC", "ORG"))
    assert (pers["precision"], pers["recall"], pers["f1"], pers["support"]) == (1, 1, 1, 1)
    assert (loc["precision"], loc["recall"], loc["support"]) == (1, 0.5, 2)
    assert loc["f1"] == pytest.approx(2 / 3)
    assert (org["precision"], org["recall"], org["f1"], org["support"]) == (0, 0, 0, 1)
    micro = result["micro"]  # 2 tp, 4 predicted, 4 gold
    assert (micro["precision"], micro["recall"], micro["f1"], micro["support"]) == (
        0.5,
        0.5,
        0.5,
        4,
    )
    assert result["macro"]["f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    report = format_report(result)
    assert report.splitlines()[0].split() == ["label", "precision", "recall", "f1", "support"]
    assert "micro" in report and "macro" in report and "0.6667" in report


def test_evaluate_rejects_mismatched_lengths():
    with pytest.raises(ValueError):
        evaluate([["O"]], [["O", "O"]])


# --- Features ------------------------------------------------------------------------------


def _features(tokens: list[str], **kwargs) -> list[list[str]]:
    return FeatureExtractor(FeatureSettings(lexicon=False, phrases=False), **kwargs).sentence(
        tokens
    )


def test_word_features_use_match_key_stems_and_shapes():
    items = _features(["والرئيس", "أحمد", "في", "٢٠٠٦", "CNN"])
    assert {"w=والرئيس", "s=الرئيس", "s=رئيس", "clitic=وال", "shape=A"} <= set(items[0])
    assert "w=احمد" in items[1]  # hamza on alef normalized
    assert {"shape=D", "num=4"} <= set(items[3])
    assert "shape=L" in items[4]
    assert "-1:w=والرئيس" in items[1] and "-2:edge" in items[1] and "1:w=في" in items[1]


def test_name_lists_mark_phrases_and_neighbours():
    items = _features(["قال", "والرئيس", "محمد", "في", "للأمم", "المتحدة"])
    assert "g:ptitle:B" in items[1]
    assert {"g:first:B", "-1g:ptitle:B"} <= set(items[2])
    assert "g:org:B" in items[4] and "g:org:I" in items[5]


def test_runtime_places_join_the_place_list():
    tokens = ["في", "ومسكنة"]
    assert "g:loc:B" not in _features(tokens)[1]
    assert "g:loc:B" in _features(tokens, places={match_key("مسكنة")})[1]


def test_frequency_features_tell_names_from_common_words():
    items = _features(["وبوش", "الكتاب", "وكالة"])
    # و is cut off بوش, whose stem is commoner; a name seldom takes the article
    assert {"fcut=و", "fal=-2", "fsuf=-3"} <= set(items[0])
    assert {"fcut=", "fal=0", "fsuf=0"} <= set(items[1])
    assert "fcut=" in items[2]  # وكالة is not و + كالة
    assert "1:fal=0" in items[0] and "-1:fcut=و" in items[1]
    plain = FeatureExtractor(FeatureSettings(lexicon=False, phrases=False, frequency=False))
    assert not any(f.startswith(("fz=", "1:fz=")) for f in plain.sentence(["وبوش", "في"])[0])


def test_document_evidence_follows_a_word_across_sentences():
    extractor = FeatureExtractor(FeatureSettings(lexicon=False, phrases=False))
    first, second = extractor.document([["قال", "جورج", "كلوني"], ["وصل", "وكلوني"]])
    assert "-1g:first:B" in first[2] and "d:-1g:first:B" in first[2]
    assert "-1g:first:B" not in second[1] and "d:-1g:first:B" in second[1]
    assert not any(f.startswith("d:") for f in extractor.sentence(["وصل", "وكلوني"])[1])


def test_gazetteer_strips_proclitics_from_first_word_only():
    gazetteer = Gazetteer({"x": ["الأمم المتحدة"]})
    assert gazetteer.tag(["وبالامم", "المتحده"]) == [["x:B"], ["x:I"]]
    assert gazetteer.tag(["الامم", "والمتحده"]) == [[], []]


def test_lexicon_records_types_of_words_stems_and_phrases():
    lexicon = Lexicon.build(
        [[("زار", "O"), ("كوفي", "B-PERS"), ("أنان", "I-PERS"), ("وبيروت", "B-LOC")]]
    )
    assert lexicon.words["كوفي"] == "PERS" and lexicon.words["زار"] == "O"
    assert lexicon.stems["بيروت"] == "LOC" and lexicon.stems["وبيروت"] == "LOC"
    assert "كوفي انان" in lexicon.phrases["PERS"]
    extractor = FeatureExtractor(FeatureSettings(), lexicon)
    items = extractor.sentence(["التقى", "كوفي", "أنان", "في", "لبيروت"])
    assert {"lw=PERS", "e:PERS:B"} <= set(items[1])
    assert {"ls=LOC", "lw=UNK", "e:LOC:B"} <= set(items[4])


def test_stacked_features_carry_first_pass_labels_across_the_document():
    sentences = [["قال", "جورج", "كلوني"], ["وصل", "وكلوني", "أمس"]]
    labels = [["O", "B-PERS", "I-PERS"], ["O", "O", "O"]]
    first, second = stacked_features(sentences, labels)
    assert {"p0=I-PERS", "p-1=B-PERS", "p1=-", "p-1|p0=B-PERS|I-PERS"} <= set(first[2])
    # the second "كلوني" was missed, but the document saw it as part of a person
    assert {"p0=O", "dp=PERS", "dp1=PERS", "de=PERS"} <= set(second[1])
    assert "de=PERS" not in first[2] and "dp=PERS" not in first[2]  # only itself so far


def test_word_clusters_group_words_by_their_neighbours():
    text = []
    for i in range(60):
        city, verb = ("بيروت", "دمشق", "بغداد")[i % 3], ("قال", "أعلن", "أكد")[i % 3]
        text.append(["وصل", "إلى", city, "أمس", "و", verb, "الوزير", f"x{i}"])
    clusters = word_clusters(text, sizes=(2, 4), dimensions=4)
    assert clusters["بيروت"] == clusters["دمشق"] == clusters["بغداد"]
    assert len(clusters["بيروت"].split()) == 2
    assert clusters["قال"] != clusters["بيروت"]
    extractor = FeatureExtractor(FeatureSettings(lexicon=False, phrases=False), clusters=clusters)
    item = extractor.sentence(["في", "لبيروت"])[1]  # found through its stem
    assert f"c0={clusters['بيروت'].split()[0]}" in item


# --- Training and tagging ------------------------------------------------------------------

PEOPLE = ["محمد", "أحمد", "خالد", "سمير", "جورج"]
PLACES = ["بيروت", "دمشق", "بغداد", "القاهرة", "عمان"]


def _synthetic() -> list[list[tuple[str, str]]]:
    data = []
    for i in range(40):
        person, place = PEOPLE[i % 5], PLACES[(i * 2) % 5]
        data.append(
            [
                ("وصل", "O"),
                ("الرئيس", "O"),
                (person, "B-PERS"),
                ("إلى", "O"),
                (place, "B-LOC"),
                (".", "O"),
            ]
        )
        data.append([("قال", "O"), (person, "B-PERS"), ("من", "O"), ("و" + place, "B-LOC")])
    return data


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    model_dir = tmp_path_factory.mktemp("models") / "crf-tiny"
    train(_synthetic(), model_dir, {"max_iterations": 50})
    return model_dir


def test_train_writes_model_directory(tiny_model):
    assert (tiny_model / "model.crfsuite").stat().st_size > 0
    settings = json.loads((tiny_model / "settings.json").read_text())
    assert settings["features"]["window"] == 2 and settings["params"]["max_iterations"] == 50
    metrics = json.loads((tiny_model / "metrics.json").read_text())
    assert metrics["sentences"] == 80 and metrics["tokens"] == 400


def test_tagger_labels_tokens_with_marginals(tiny_model):
    tagged = CRFTagger.load(tiny_model).tag_tokens(["وصل", "الرئيس", "خالد", "إلى", "دمشق"])
    assert [label for label, _ in tagged] == ["O", "O", "B-PERS", "O", "B-LOC"]
    assert all(0.5 < p <= 1.0 for _, p in tagged)
    assert CRFTagger.load(tiny_model).tag_tokens([]) == []


def test_stacked_model_has_two_passes_and_older_models_still_load(tiny_model, tmp_path):
    assert (tiny_model / "stage1.crfsuite").stat().st_size > 0
    # a model directory written before stacking: no stage1 file, no "stacking" setting
    old = tmp_path / "crf-old"
    train(_synthetic(), old, {"max_iterations": 30}, FeatureSettings(stacking=False))
    stored = json.loads((old / "settings.json").read_text())
    del stored["features"]["stacking"]
    (old / "settings.json").write_text(json.dumps(stored))
    tagged = CRFTagger.load(old).tag_tokens(["قال", "خالد", "من", "دمشق"])
    assert [label for label, _ in tagged] == ["O", "B-PERS", "O", "B-LOC"]


def test_engine_suggestions_map_back_to_text(tiny_model):
    text = "وصل الرئيس سمير إلى بغداد.\nقال أحمد من وبيروت"
    engine = CRFEngine(tiny_model)
    assert engine.name == "crf" and engine.version == "crf-tiny"
    found = engine.tag(text, tokenize(text))
    assert [(text[s.start : s.end], s.label) for s in found] == [
        ("سمير", "PERS"),
        ("بغداد", "LOC"),
        ("أحمد", "PERS"),
        ("وبيروت", "LOC"),
    ]
    assert all(s.engine == "crf" and 0.5 < s.confidence <= 1.0 for s in found)


def test_engine_without_a_model_is_unavailable_and_says_how_to_train(db, tmp_path):
    with pytest.raises(EngineUnavailable, match="train_tagger"):
        CRFEngine()  # no active model in the database
    with pytest.raises(EngineUnavailable, match="train_tagger"):
        CRFEngine(tmp_path)  # a directory without a model


def test_sentence_windows_split_at_sentence_ends():
    text = "جملة أولى. وجملة ثانية!\nثالثة"
    windows = sentence_windows(text, tokenize(text))
    assert [[t.text for t in w] for w in windows] == [
        ["جملة", "أولى", "."],
        ["وجملة", "ثانية", "!"],
        ["ثالثة"],
    ]


@pytest.mark.slow
@pytest.mark.skipif(not ANERCORP.exists(), reason=f"ANERcorp is not at {ANERCORP}")
def test_anercorp_slice_scores_sensibly(tmp_path):
    sentences = read_conll(ANERCORP)
    # One pass only: stacking trains seven models, too slow for the suite.
    train(sentences[:800], tmp_path, {"max_iterations": 60}, FeatureSettings(stacking=False))
    tagger = CRFTagger.load(tmp_path)
    test = sentences[800:1200]
    documents = pseudo_documents([[t for t, _ in s] for s in test])
    predicted = [labels for document in documents for labels in tagger.tag_sentences(document)]
    result = evaluate([[tag for _, tag in s] for s in test], predicted)
    assert result["micro"]["f1"] > 0.55, format_report(result)
