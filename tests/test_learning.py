"""The learning loop: approved annotations → a new CRF model → re-tagged unstarted articles."""

import random
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from annotations import spans
from annotations.conll import write_conll
from annotations.learning import layer_sentences, train_model, unstarted_articles
from annotations.models import Article, Layer, TaggerModel
from annotations.taggers import pretag

PEOPLE = ["كريم", "سمير", "خالد", "ليلى", "عمر", "هدى"]
PLACES = ["حمص", "بغداد", "صنعاء", "بنغازي", "الخرطوم", "صيدا"]


def synthetic_conll(path, n: int = 60) -> str:
    rng = random.Random(4)
    sentences = []
    for _ in range(n):
        person, place = rng.choice(PEOPLE), rng.choice(PLACES)
        opening = [("قال", "O"), ("الوزير", "O"), (person, "B-PERS"), ("إن", "O")]
        sentences.append(
            [*opening, ("وفدا", "O"), ("وصل", "O"), ("إلى", "O"), (place, "B-LOC"), (".", "O")]
        )
    write_conll(sentences, path)
    return str(path)


@pytest.fixture(autouse=True)
def model_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def conll(tmp_path) -> str:
    return synthetic_conll(tmp_path / "base.conll")


@pytest.fixture
def approved(article, alice):
    layer = spans.annotator_layer(article, alice)
    body = article.body
    spans.add(layer, alice, body.index("الرقة"), body.index("الرقة") + 5, "LOC", 1)
    spans.add(layer, alice, body.index("مصدر"), body.index("مصدر") + 4, "PERS", 2)
    Layer.objects.filter(pk=layer.pk).update(state=Layer.APPROVED)
    return layer


def test_a_layer_becomes_bio_sentences_of_project_tokens(approved):
    sentences = layer_sentences(approved)
    assert len(sentences) == 2
    assert ("الرقة", "B-LOC") in sentences[0] and ("مصدر", "B-PERS") in sentences[1]
    assert sum(1 for s in sentences for _, tag in s if tag != "O") == 2


def test_it_retrains_from_approved_layers_and_retags_only_unstarted_articles(
    approved, conll, corpus
):
    started = approved.article
    fresh = Article.objects.create(
        corpus=corpus, title="t", body="قال الوزير ليلى إن وفدا وصل إلى صيدا."
    )
    pretag(started)
    started_version = started.machine_layer().version
    model = train_model([conll], from_annotations=True)
    assert model.active and TaggerModel.objects.active() == model
    assert model.metrics["sources"]["approved_layers"] == 1
    assert model.metrics["sentences"] == 60 + 2
    assert list(unstarted_articles()) == [fresh]
    pretag(fresh)
    pretag(started)  # someone started it: the new model does not replace its machine spans
    machine = fresh.machine_layer()
    assert [e["name"] for e in machine.engines] == ["crf", "gazetteer", "events"]
    found = {(fresh.body[s.start : s.end], s.label) for s in machine.spans.all()}
    assert {("ليلى", "PERS"), ("صيدا", "LOC")} <= found
    assert started.machine_layer().version == started_version


def test_the_commands_train_and_evaluate(conll, db):
    out = StringIO()
    call_command("train_tagger", "--conll", conll, "--name", "crf-test", stdout=out)
    assert "model crf-test" in out.getvalue() and "(active)" in out.getvalue()
    out = StringIO()
    call_command("evaluate_tagger", "--conll", conll, stdout=out)
    report = out.getvalue()
    assert "model crf-test" in report and "micro" in report and "PERS" in report


def test_training_on_nothing_is_refused_with_a_reason(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nothing to train on"):
        call_command("train_tagger", "--from-annotations", stdout=StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("train_tagger", "--conll", "/nonexistent.conll", stdout=StringIO())


def test_editors_retrain_from_the_tagger_page(
    editor, alice, approved, conll, settings, django_capture_on_commit_callbacks
):
    settings.NEWSDESK_BASE_CONLL = [conll]
    client = Client()
    client.force_login(editor)
    # The tagger is shared by every corpus: a corpus role alone does not retrain it.
    assert client.post(reverse("tagger_retrain")).status_code == 403
    editor.user_permissions.add(Permission.objects.get(codename="add_taggermodel"))
    page = client.get(reverse("tagger"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "on 1 approved layer plus" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("tagger_retrain"))
    assert response.status_code == 302
    assert TaggerModel.objects.active() is not None
    client.force_login(alice)
    assert client.get(reverse("tagger")).status_code == 404
    assert client.post(reverse("tagger_retrain")).status_code == 403


def test_make_run_trains_once_on_the_base_data(conll, settings, db):
    settings.NEWSDESK_BASE_CONLL = [conll]
    out = StringIO()
    call_command("train_tagger", "--base", "--if-none", stdout=out)
    assert "(active)" in out.getvalue()
    out = StringIO()
    call_command("train_tagger", "--base", "--if-none", stdout=out)
    assert "nothing to do" in out.getvalue() and TaggerModel.objects.count() == 1
    settings.NEWSDESK_BASE_CONLL = []
    TaggerModel.objects.all().delete()
    out = StringIO()
    call_command("train_tagger", "--base", stdout=out)
    assert "CRF not trained" in out.getvalue() and not TaggerModel.objects.exists()
