"""The article history as sentences: who did what to which words, never raw snapshots."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import adjudication, assignment, events, spans, workflow
from annotations.models import Actor, AuditEntry, Layer, Span

HX = {"HTTP_HX_REQUEST": "true"}


def logged_in(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def at(article, word: str) -> tuple[int, int]:
    start = article.body.index(word)
    return start, start + len(word)


def history_html(user, article, language: str = "en") -> str:
    response = logged_in(user, language).get(reverse("article_history", args=[article.pk]))
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    """The page's words as a reader sees them: tags dropped, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).replace("&#x27;", "'")


@pytest.fixture
def worked(article, places, alice, editor):
    """An article that went through every kind of audited write."""
    assignment.unassign(article, alice, editor)
    assignment.assign(article, alice, editor)
    events.set_publication_date(article, date(2025, 3, 2), editor)
    layer = spans.annotator_layer(article, alice)
    version = layer.version
    sites = spans.add(layer, alice, *at(article, "مواقع"), "ORG", version)
    spans.relabel(sites, alice, "MISC", sites.layer.version)
    raqqa = spans.add(layer, alice, *at(article, "الرقة"), "LOC", layer.version)
    spans.link(raqqa, alice, places["raqqa"], layer.version)
    source = spans.add(layer, alice, *at(article, "مصدر محلي"), "PERS", layer.version)
    spans.delete(source, alice, layer.version)
    event = events.create_from_sentence(layer, alice, article.body.index("قصفت"), layer.version)
    army = Actor.objects.create(name="Military Forces of Syria", inter_code=1)
    event.actor2 = army
    events.save_edit(event, alice, layer.version)
    layer.refresh_from_db()
    events.attach(event, alice, "actor2", Span.objects.get(pk=sites.pk), layer.version)
    workflow.submit(layer, alice)
    workflow.request_changes(layer, editor, "Check the place of مواقع.")
    adjudication.gold_layer(article, editor)
    return article


def test_every_change_reads_as_a_sentence_in_english(worked, editor):
    html = history_html(editor, worked)
    words = text_of(html)
    for sentence in [
        "edith took the article away from alice",
        "edith assigned the article to alice",
        "edith set the publication date to 2025-03-02",
        "alice added «مواقع» as ORG",
        "alice relabelled «مواقع» ORG → MISC",
        "alice linked «الرقة» (LOC) to Ar Raqqah, Syria — confirmed",
        "alice deleted the span «مصدر محلي» (PERS)",
        "alice coded the event Air/drone strike",
        "alice cited «مواقع» as evidence for Actor 2 (Air/drone strike)",
        "alice submitted the layer",
        "edith asked alice for changes",
        "edith started the gold layer",
    ]:
        assert sentence in words, sentence
    # Field changes by name, the comment in full.
    assert "Actor 2: Military Forces of Syria" in words
    assert "Comment: Check the place of مواقع." in words


def test_no_internal_ids_or_snapshots_are_shown(worked, editor):
    words = text_of(history_html(editor, worked))
    assert "{" not in words and "'place'" not in words and "link_status" not in words
    assert not re.search(r"#\d", words) and "update span" not in words


def test_arabic_words_are_isolated_and_changes_link_to_their_paragraph(worked, editor):
    html = history_html(editor, worked)
    assert '«<bdi dir="rtl" lang="ar">الرقة</bdi>»' in html
    layer = worked.layers.get(kind=Layer.ANNOTATOR, annotator__username="alice")
    # مصدر محلي is in the second paragraph.
    assert f'href="{reverse("layer_detail", args=[layer.pk])}#para-1"' in html
    assert 'data-object="span"' in html and 'data-action="delete"' in html


def test_the_history_reads_in_arabic(worked, editor):
    words = text_of(history_html(editor, worked, "ar"))
    assert "السجل" in words
    assert "إعادة وسم «مواقع» ORG ← MISC" in words  # the arrow points the Arabic way
    assert "relabelled" not in words and "coded the event" not in words


def test_the_review_page_shows_recent_changes_as_sentences(worked, editor):
    response = logged_in(editor).get(worked.get_absolute_url())
    words = text_of(response.content.decode())
    assert "edith started the gold layer" in words
    assert "{'" not in words


def test_pretagging_reads_as_a_sentence(article, editor):
    from annotations.taggers import pretag

    pretag(article)
    words = text_of(history_html(editor, article))
    assert "The pre-tagger tagged the article" in words and "Engines:" in words


def test_entries_of_unknown_kinds_show_their_fields_by_name(article, editor, alice):
    from annotations import history

    AuditEntry.objects.create(
        article=article, user=alice, object_type="note", action="update",
        before={"body_text": "old"}, after={"body_text": "new"},
    )  # fmt: skip
    (row,) = history.describe(AuditEntry.objects.filter(article=article), article)
    assert "alice changed a note" in text_of(row.sentence)
    assert [(c.name, text_of(c.before), text_of(c.after)) for c in row.changes] == [
        ("Body text", "old", "new")
    ]


def test_a_page_of_history_costs_the_same_queries_however_many_rows(article, alice, editor):
    layer = spans.annotator_layer(article, alice)
    start, end = at(article, "الرقة")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            history_html(editor, article)
        return len(captured)

    span = spans.add(layer, alice, start, end, "LOC", layer.version)
    few = queries()
    for label in ["ORG", "PERS", "MISC", "LOC"] * 5:
        spans.relabel(span, alice, label, layer.version)
    assert queries() == few
