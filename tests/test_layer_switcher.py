"""The editor's article page: one layer at a time (machine, annotators', gold) with the
text, read-only where the editor may not write; spans of such layers open without
controls; the import page lists what it imported; the list shows each article's progress."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from annotations import adjudication, workflow
from annotations.models import Article, Event, Evidence, ImportJob, Layer, Span
from annotations.taggers import pretag
from annotations.tasks import pretag_article

from .conftest import make_user

HX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add_span(layer: Layer, word: str, label: str, place=None) -> Span:
    start = layer.article.body.index(word)
    return Span.objects.create(
        layer=layer, start=start, end=start + len(word), label=label, place=place
    )


@pytest.fixture
def tagged(article, places) -> Article:
    pretag(article)
    return article


@pytest.fixture
def alices(tagged, alice, places) -> Layer:
    """Alice's submitted layer: her own span on مواقع, الرقة linked, an event with evidence."""
    layer = Layer.objects.create(
        article=tagged, kind=Layer.ANNOTATOR, annotator=alice, state=Layer.SUBMITTED
    )
    add_span(layer, "مواقع", "MISC")
    add_span(layer, "الرقة", "LOC", places["raqqa"])
    event = Event.objects.create(layer=layer, event_type="Battles", sub_event_type="Armed clash")
    start = tagged.body.index("الاشتباكات")
    Evidence.objects.create(event=event, field="event_type", start=start, end=start + 10)
    return layer


def page(client: Client, article: Article, layer: Layer | None = None, **extra) -> str:
    query = f"?layer={layer.pk}" if layer else ""
    response = client.get(article.get_absolute_url() + query, **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_an_editor_sees_the_machine_layer_with_a_switch_to_every_layer(editor, tagged, alices, bob):
    bobs = Layer.objects.create(article=tagged, kind=Layer.ANNOTATOR, annotator=bob)
    machine = tagged.machine_layer()
    html = page(logged_in(editor), tagged)
    # The pre-tags are marked in the text, and a click opens them read-only.
    raqqa = machine.spans.get(label="LOC", start=tagged.body.index("الرقة"))
    assert f'data-spans="{raqqa.pk}"' in html
    assert f'data-span-url="{reverse("layer_span", args=[machine.pk, 0])}"' in html
    assert 'id="readonly-notice"' in html and 'id="layer-switch"' in html
    for layer in (machine, alices, bobs):
        assert f'href="{tagged.get_absolute_url()}?layer={layer.pk}"' in html
    assert f'data-layer="{machine.pk}" data-kind="machine" aria-current="page"' in html
    # The editor's tools stay: assigning, the date, the layers, adjudication.
    assert "Annotators (2 / 2)" in html and 'id="assign-form"' not in html
    assert 'name="published_at"' in html and reverse("adjudicate", args=[tagged.pk]) in html


def test_an_editor_switches_to_an_annotators_layer_read_only(editor, tagged, alices):
    client = logged_in(editor)
    html = page(client, tagged, alices)
    mine = alices.spans.get(label="MISC")
    assert f'data-spans="{mine.pk}"' in html
    assert f'data-layer="{alices.pk}" data-kind="annotator" aria-current="page"' in html
    assert "alice's layer (submitted), read-only." in html
    # Read-only: the label form stays hidden, there is no submit button, clicks go to the
    # read-only span view, and the review form is there.
    assert 'id="label-form"' in html and 'hx-swap="none" hidden>' in html
    assert 'id="submit-layer"' not in html
    assert reverse("layer_span", args=[alices.pk, 0]) in html
    assert 'id="review-form"' in html and 'value="approve"' in html
    # The linked place is listed, with a link to its span.
    raqqa = alices.spans.get(label="LOC")
    assert reverse("layer_span", args=[alices.pk, raqqa.pk]) in html
    # /layers/<id>/ shows the same page.
    html = logged_in(editor).get(reverse("layer_detail", args=[alices.pk])).content.decode()
    assert f'data-layer="{alices.pk}" data-kind="annotator" aria-current="page"' in html


def test_an_editor_writes_to_gold_from_the_same_page(editor, tagged, alices):
    gold = adjudication.gold_layer(tagged, editor)
    html = page(logged_in(editor), tagged)  # gold, once there, is what the page opens on
    assert f'name="layer" value="{gold.pk}"' in html
    assert f'data-span-url="{reverse("span_detail", args=[0])}"' in html
    assert 'id="readonly-notice"' not in html
    workflow.approve_gold(gold, editor)
    html = page(logged_in(editor), tagged, gold)
    assert 'id="locked-notice"' in html and 'value="reopen"' in html
    assert reverse("layer_span", args=[gold.pk, 0]) in html


def test_a_span_of_a_read_only_layer_opens_without_controls(editor, tagged, alices, places):
    raqqa = alices.spans.get(label="LOC")
    url = reverse("layer_span", args=[alices.pk, raqqa.pk])
    client = logged_in(editor)
    fragment = client.get(url, **HX)
    text = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in text
    assert 'id="span-panel"' in text and "الرقة" in text and "Ar Raqqah" in text
    assert "https://www.geonames.org/172955" in text
    assert "<form" not in text and "<button" not in text
    # Plain: the whole page, with the panel open.
    html = client.get(url).content.decode()
    assert "<html" in html and "https://www.geonames.org/172955" in html
    assert 'id="layer-switch"' in html
    # A span of another layer is not found under this one.
    machine_span = tagged.machine_layer().spans.first()
    other = reverse("layer_span", args=[alices.pk, machine_span.pk])
    assert client.get(other, **HX).status_code == 404


def test_a_span_lists_the_events_it_is_evidence_for(editor, tagged, alices):
    span = add_span(alices, "الاشتباكات", "MISC")
    text = logged_in(editor).get(reverse("layer_span", args=[alices.pk, span.pk]), **HX)
    assert "Evidence for" in text.content.decode() and "Armed clash" in text.content.decode()


def test_annotators_cannot_open_others_layers_and_strangers_nothing(
    alice, bob, stranger, tagged, alices
):
    machine = tagged.machine_layer()
    raqqa = alices.spans.get(label="LOC")
    for layer in (alices, machine):
        assert (
            logged_in(bob).get(f"{tagged.get_absolute_url()}?layer={layer.pk}").status_code == 404
        )
    assert logged_in(bob).get(reverse("layer_span", args=[alices.pk, raqqa.pk])).status_code == 404
    machine_span = machine.spans.first()
    machine_url = reverse("layer_span", args=[machine.pk, machine_span.pk])
    assert logged_in(alice).get(machine_url, **HX).status_code == 404
    # Her own layer she may name; the page is her ordinary annotation page.
    assert 'id="layer-switch"' not in page(logged_in(alice), tagged, alices)
    for client in (logged_in(stranger),):
        assert client.get(f"{tagged.get_absolute_url()}?layer={alices.pk}").status_code == 404
        assert client.get(reverse("layer_span", args=[alices.pk, raqqa.pk])).status_code == 404
    anonymous = Client().get(reverse("layer_span", args=[alices.pk, raqqa.pk]))
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    # A layer of another article is not this article's.
    other = Article.objects.create(corpus=tagged.corpus, title="آخر", body="نص آخر.")
    pretag(other)
    url = f"{tagged.get_absolute_url()}?layer={other.machine_layer().pk}"
    assert logged_in(make_user(tagged.corpus, "ed2", "editor")).get(url).status_code == 404
    assert logged_in(alice).get(f"{tagged.get_absolute_url()}?layer=abc").status_code == 404


def test_an_article_nobody_tagged_yet_opens_for_an_editor(editor, corpus):
    fresh = Article.objects.create(corpus=corpus, title="جديد", body="نص لم يوسم بعد.")
    html = page(logged_in(editor), fresh)
    assert "Not pre-tagged yet" in html and ">يوسم</span>" in html


def test_review_messages_say_what_happened(editor, tagged, alices):
    url = reverse("layer_review", args=[alices.pk])
    client = logged_in(editor)
    returned = client.post(url, {"action": "return", "comment": "الرقة?"}, follow=True)
    assert "Changes requested; the annotator can edit again." in returned.content.decode()
    assert returned.redirect_chain[-1][0] == f"{tagged.get_absolute_url()}?layer={alices.pk}"
    Layer.objects.filter(pk=alices.pk).update(state=Layer.SUBMITTED)
    approved = client.post(url, {"action": "approve"}, follow=True).content.decode()
    assert "Layer approved." in approved and "The layer is now" not in approved


def test_the_list_is_newest_first_with_each_articles_progress(
    editor, alice, corpus, tagged, alices
):
    newer = Article.objects.create(corpus=corpus, title="أحدث", body="خبر جديد.")
    html = logged_in(editor).get(reverse("article_list")).content.decode()
    assert html.index("أحدث") < html.index(tagged.title)
    assert "1 of 2 submitted" in html and "unassigned" in html
    newer.assignments.create(user=alice)
    # An annotator sees her own layer's state.
    html = logged_in(alice).get(reverse("article_list")).content.decode()
    assert "submitted" in html and "of 2 submitted" not in html
    gold = adjudication.gold_layer(tagged, editor)
    workflow.approve_gold(gold, editor)
    html = logged_in(editor).get(reverse("article_list")).content.decode()
    assert "gold approved" in html


def imported_job(editor, corpus, articles: list[Article]) -> ImportJob:
    report = {"imported": len(articles), "duplicates": 0, "rejected": [], "files": {}}
    report["article_ids"] = [a.pk for a in articles]
    return ImportJob.objects.create(
        corpus=corpus, user=editor, directory="unused", state=ImportJob.DONE, report=report
    )


def test_the_import_page_links_its_articles_with_their_pre_tagging(
    editor, corpus, tagged, settings
):
    waiting = Article.objects.create(corpus=corpus, title="ينتظر", body="خبر ينتظر الوسم.")
    job = imported_job(editor, corpus, [tagged, waiting])
    url = reverse("import_detail", args=[job.pk])
    client = logged_in(editor)
    html = client.get(url).content.decode()
    assert f'href="{tagged.get_absolute_url()}"' in html
    assert f'href="{waiting.get_absolute_url()}"' in html
    assert 'data-state="done"' in html and 'data-state="queued"' in html
    # While an article waits, the status keeps polling (slower than the import itself).
    fragment = client.get(url, **HX)
    assert fragment.status_code == 200 and 'hx-trigger="every 2s"' in fragment.content.decode()
    # The worker's record says where a task is, when the database backend keeps one.
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "nlp"]}
    }
    pretag_article.enqueue(waiting.pk)
    assert 'data-state="queued"' in client.get(url, **HX).content.decode()
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.update(status="RUNNING")
    assert 'data-state="running"' in client.get(url, **HX).content.decode()
    DBTaskResult.objects.update(status="FAILED")
    fragment = client.get(url, **HX)
    assert 'data-state="failed"' in fragment.content.decode()
    assert fragment.status_code == 286  # nothing left to wait for


def test_an_upload_lists_the_articles_it_imported(
    editor, corpus, places, django_capture_on_commit_callbacks
):
    line = json.dumps(
        {"id": "n1", "title": "خبر الرقة", "body": "قصف في الرقة."}, ensure_ascii=False
    )
    file = SimpleUploadedFile("batch.jsonl", line.encode())
    client = logged_in(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import_new"), {"corpus": corpus.pk, "files": [file]})
    made = Article.objects.get(title="خبر الرقة")
    fragment = client.get(response.url, **HX)
    assert fragment.status_code == 286
    text = fragment.content.decode()
    assert f'href="{made.get_absolute_url()}"' in text and 'data-state="done"' in text
