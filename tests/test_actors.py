"""Organisations and people from the actor list: the actor engine and proclitic trimming."""

from io import StringIO

import pytest
from django.core.management import call_command

from annotations.actors import actor_index, load_actors
from annotations.conll import write_conll
from annotations.models import Actor, ActorAlias, Article
from annotations.taggers import EngineUnavailable, Suggestion, combine
from annotations.taggers.actors import ActorEngine
from annotations.tasks import pretag_article
from annotations.text import tokenize

from .conftest import add_place, machine_layer


@pytest.fixture
def actors(db) -> None:
    load_actors()


def spans(body: str) -> list[tuple[str, str]]:
    return [(body[s.start : s.end], s.label) for s in ActorEngine().tag(body, tokenize(body))]


def test_it_loads_a_hundred_actors_with_entity_labels_once(db):
    assert load_actors() >= 100
    assert load_actors() == 0
    labels = dict(Actor.objects.values_list("name", "label"))
    assert labels["Islamic State (Syria)"] == "ORG"
    assert labels["Bashar al-Assad"] == "PERS"
    assert labels["Civilians"] == ""  # an actor, but no named entity
    assert not ActorAlias.objects.get(alias="الهيئة").pretag  # also "the commission"


def test_it_gives_an_existing_actor_its_label(db):
    Actor.objects.create(name="Hezbollah", inter_code=2)
    load_actors()
    assert Actor.objects.get(name="Hezbollah").label == "ORG"


def test_isis_is_found_on_every_mention(actors):
    body = (
        "هاجم داعش القرية. وقال مصدر إن وداعش انسحب، ثم عاد تنظيم داعش "
        "وأعلن تنظيم الدولة الإسلامية مسؤوليته، ونفى لداعش أي صلة."
    )
    assert spans(body) == [
        ("داعش", "ORG"),
        ("داعش", "ORG"),
        ("تنظيم داعش", "ORG"),
        ("تنظيم الدولة الإسلامية", "ORG"),
        ("داعش", "ORG"),
    ]


def test_a_proclitic_is_never_inside_an_actor_span(actors):
    body = "قال متحدث باسم للأمم المتحدة إن بالجيش السوري ووزارة الدفاع الروسية وقسد شاركوا."
    assert spans(body) == [
        ("أمم المتحدة", "ORG"),  # ل + الأمم: the ل swallowed the article's alef
        ("الجيش السوري", "ORG"),
        ("وزارة الدفاع الروسية", "ORG"),
        ("قسد", "ORG"),
    ]


def test_acronyms_and_media_outlets_are_organisations(actors):
    body = "اتهمت قسد روسيا اليوم بنشر أخبار كاذبة، وردت قوات سوريا الديمقراطية ببيان. ـ رويترز ـ"
    assert spans(body) == [
        ("قسد", "ORG"),
        ("روسيا اليوم", "ORG"),
        ("قوات سوريا الديمقراطية", "ORG"),
        ("رويترز", "ORG"),  # not the tatweels around it
    ]


def test_leaders_are_people_but_a_common_word_alias_is_not_tagged(actors):
    body = "التقى بشار الأسد وبوتين في موسكو، وقال الأسد إن الهيئة مستقلة."
    assert spans(body) == [("بشار الأسد", "PERS"), ("بوتين", "PERS")]


def test_a_word_that_merely_contains_an_alias_is_not_matched(actors):
    body = "اعتقل عنصر داعشي في حي الحوثيينات، وقسدية لا تعني شيئا، ومجلس الأمنية."
    assert spans(body) == []


def test_the_longest_alias_wins(actors):
    body = "قصفت كتائب حزب الله مواقع الجيش السوري الحر."
    assert spans(body) == [("كتائب حزب الله", "ORG"), ("الجيش السوري الحر", "ORG")]


def test_a_one_word_alias_that_names_a_country_is_left_to_the_gazetteer(actors):
    syria = add_place("Syria", ["سوريا"], 163843, population=22_000_000)
    syria.feature_class = "A"
    syria.save()
    Actor.objects.get(name="Military Forces of Syria").add_alias("سوريا")
    assert spans("قصفت سوريا مواقع المعارضة.") == []


def test_the_engine_is_unavailable_without_actors_and_versioned_by_aliases(actors):
    before = ActorEngine().version
    Actor.objects.get(name="Houthi Movement").add_alias("أنصار الله الحوثيين")
    assert ActorEngine().version != before
    Actor.objects.all().delete()
    with pytest.raises(EngineUnavailable):
        ActorEngine()


def test_the_alias_index_is_rebuilt_when_a_label_changes(actors):
    assert actor_index().labels["بوتين"] == "PERS"
    Actor.objects.filter(name="Vladimir Putin").update(label="ORG")
    assert actor_index().labels["بوتين"] == "ORG"


def test_pretagging_finds_actors_and_places_without_stealing_either(actors, corpus, places):
    body = "سيطرت قوات سوريا الديمقراطية على مدينة الرقة بعد معارك مع داعش، بحسب للأمم المتحدة."
    article = Article.objects.create(corpus=corpus, title="الرقة", body=body)
    pretag_article.enqueue(article.pk)
    layer = machine_layer(article)
    got = [(body[s.start : s.end], s.label, s.engine) for s in layer.spans.order_by("start")]
    assert got == [
        ("قوات سوريا الديمقراطية", "ORG", "actors"),
        ("الرقة", "LOC", "gazetteer"),
        ("داعش", "ORG", "actors"),
        ("أمم المتحدة", "ORG", "actors"),
    ]
    assert layer.engines[0] == {"name": "actors", "version": ActorEngine().version}


# --- Trimming a proclitic off any engine's name span --------------------------------------


def trimmed(body: str, label: str) -> str:
    (found,) = combine([[Suggestion(0, len(body), label, 0.8, "crf")]], body)
    return body[found.start : found.end]


def test_a_crf_span_loses_the_proclitic_before_a_known_actor(actors):
    assert trimmed("للأمم المتحدة", "ORG") == "أمم المتحدة"
    assert trimmed("وحزب الله", "ORG") == "حزب الله"
    assert trimmed("والأسد", "PERS") == "الأسد"  # a context alias is still a name


def test_a_span_loses_a_proclitic_when_the_word_is_much_rarer_than_its_stem(db):
    assert trimmed("وإسرائيل", "LOC") == "إسرائيل"
    assert trimmed("لروسيا", "LOC") == "روسيا"


def test_a_word_that_only_looks_like_proclitic_and_stem_is_not_cut(actors):
    assert trimmed("وزارة الدفاع", "ORG") == "وزارة الدفاع"  # not و + زارة
    assert trimmed("كوفي أنان", "PERS") == "كوفي أنان"  # not ك + وفي
    assert trimmed("فيصل القاسم", "PERS") == "فيصل القاسم"  # not ف + يصل
    assert trimmed("الرقة", "LOC") == "الرقة"  # the article belongs to the name
    assert trimmed("وداعش", "MISC") == "وداعش"  # only names are trimmed


def test_spans_are_merged_untrimmed_without_the_text():
    found = combine([[Suggestion(0, 8, "LOC", 0.8, "crf")]])
    assert (found[0].start, found[0].end) == (0, 8)


def test_evaluate_tagger_scores_the_crf_alone_and_combined_with_actors(actors, tmp_path):
    training, held_out = tmp_path / "train.conll", tmp_path / "test.conll"
    write_conll([[("قال", "O"), ("خالد", "B-PERS"), ("في", "O"), ("دمشق", "B-LOC")]] * 30, training)
    write_conll(
        [
            [("هاجم", "O"), ("وداعش", "B-ORG"), ("القرية", "O")],
            [("قالت", "O"), ("للأمم", "B-ORG"), ("المتحدة", "I-ORG"), ("إن", "O")],
        ],
        held_out,
    )
    call_command("train_tagger", "--conll", training, "--name", "crf-actors", stdout=StringIO())
    out = StringIO()
    options = ["--engines", "crf", "--engines", "actors,crf"]
    call_command("evaluate_tagger", "--conll", held_out, *options, stdout=out)
    alone, combined = out.getvalue().split("engines actors + crf")
    assert "engines crf" in alone
    assert org_recall(alone) == 0.0 and org_recall(combined) == 1.0


def org_recall(report: str) -> float:
    (row,) = [line.split() for line in report.splitlines() if line.startswith("ORG")]
    return float(row[2])
