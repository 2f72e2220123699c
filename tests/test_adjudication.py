"""Adjudication: agreed annotations seed gold, each disagreement is answered into gold."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from annotations import adjudication, workflow
from annotations.models import AuditEntry, Event, Evidence, Layer, Span

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


def add_event(layer: Layer, fatalities: int | None, day: int = 1) -> Event:
    event = Event.objects.create(
        layer=layer,
        event_type="Battles",
        sub_event_type="Armed clash",
        event_date=date(2025, 3, day),
        fatalities=fatalities,
    )
    body = layer.article.body
    trigger = body.index("الاشتباكات")
    Evidence.objects.create(event=event, field="event_type", start=trigger, end=trigger + 10)
    killed = body.index("٣")
    Evidence.objects.create(event=event, field="fatalities", start=killed, end=killed + 1)
    return event


@pytest.fixture
def layers(article, alice, bob, places):
    """Alice and Bob agree on الرقة (same place) and the clash's type; they differ on
    مواقع (label), مدنيين (only Alice), مسكنة's place, and the death toll."""
    a = Layer.objects.create(article=article, kind="annotator", annotator=alice, state="submitted")
    b = Layer.objects.create(article=article, kind="annotator", annotator=bob, state="submitted")
    for layer in (a, b):
        add_span(layer, "الرقة", "LOC", places["raqqa"])
    add_span(a, "مواقع", "LOC")
    add_span(b, "مواقع", "MISC")
    add_span(a, "مدنيين", "MISC")
    add_span(a, "مسكنة", "LOC", places["maskanah"])
    add_span(b, "مسكنة", "LOC", places["aleppo"])
    add_event(a, 3)
    add_event(b, 2)
    return a, b


def test_gold_starts_with_what_everyone_agrees_on(article, editor, layers, places):
    gold = adjudication.gold_layer(article, editor)
    got = [(s.label, article.body[s.start : s.end], s.place) for s in gold.spans.all()]
    # مسكنة is agreed as a span but not as a place: it enters gold unlinked.
    assert got == [("LOC", "الرقة", places["raqqa"]), ("LOC", "مسكنة", None)]
    assert not gold.events.exists()  # the death toll differs
    assert adjudication.gold_layer(article, editor) == gold  # made once


def test_disagreements_are_listed_in_text_order(article, editor, layers):
    gold = adjudication.gold_layer(article, editor)
    found = adjudication.items(article, gold)
    assert [(i.kind, i.text) for i in found] == [
        ("span", "مواقع"),
        ("event", article.body[article.body.index("وقال") : len(article.body)]),
        ("link", "مسكنة"),
        ("span", "مدنيين"),
    ]
    span_item = found[0]
    assert [o.value for o in span_item.options] == ["LOC «مواقع»", "MISC «مواقع»"]
    assert [o.who for o in span_item.options] == ["alice", "bob"]
    assert found[3].options[1].value == "—"  # Bob has nothing there


def test_answers_rewrite_gold_and_are_remembered(article, editor, layers, places):
    alice_layer, bob_layer = layers
    gold = adjudication.gold_layer(article, editor)
    found = {i.text: i for i in adjudication.items(article, gold)}
    version = gold.version
    adjudication.decide(article, gold, editor, found["مواقع"].key, str(bob_layer.pk), version)
    adjudication.decide(article, gold, editor, found["مدنيين"].key, "none", version + 1)
    adjudication.decide(article, gold, editor, found["مسكنة"].key, str(alice_layer.pk), version + 2)
    gold.refresh_from_db()
    got = {(s.label, article.body[s.start : s.end], s.place_id) for s in gold.spans.all()}
    assert got == {
        ("LOC", "الرقة", places["raqqa"].pk),
        ("MISC", "مواقع", None),
        ("LOC", "مسكنة", places["maskanah"].pk),
    }
    # Changing one's mind replaces the earlier answer.
    adjudication.decide(article, gold, editor, found["مواقع"].key, str(alice_layer.pk), version + 3)
    assert gold.spans.get(start=found["مواقع"].start).label == "LOC"
    decided = {i.key: i.decided for i in adjudication.items(article, gold)}
    assert decided[found["مدنيين"].key] == "none"
    assert decided[found["مواقع"].key] == str(alice_layer.pk)
    # create MISC مواقع; "none" on مدنيين (gold had nothing there); link مسكنة; delete
    # MISC مواقع and create LOC مواقع.
    actions = AuditEntry.objects.filter(layer=gold, object_type="span").order_by("id")
    assert [a.action for a in actions] == ["create", "update", "delete", "create"]


def test_an_event_is_taken_whole_then_field_by_field(article, editor, layers):
    alice_layer, bob_layer = layers
    gold = adjudication.gold_layer(article, editor)
    event_item = next(i for i in adjudication.items(article, gold) if i.kind == "event")
    # No field questions until one annotator's event is in gold.
    assert not [i for i in adjudication.items(article, gold) if i.kind == "field"]
    adjudication.decide(article, gold, editor, event_item.key, str(alice_layer.pk), gold.version)
    (event,) = gold.events.all()
    assert event.fatalities == 3 and event.derived_from.layer == alice_layer
    (field_item,) = [i for i in adjudication.items(article, gold) if i.kind == "field"]
    assert field_item.field == "fatalities"
    assert [o.value for o in field_item.options] == ["3", "2"]
    adjudication.decide(article, gold, editor, field_item.key, str(bob_layer.pk), gold.version)
    event.refresh_from_db()
    assert event.fatalities == 2 and event.sub_event_type == "Armed clash"
    assert event.evidence.filter(field="fatalities").count() == 1
    # Taking the other event whole drops the field answers made on the first.
    adjudication.decide(article, gold, editor, event_item.key, str(bob_layer.pk), gold.version)
    assert [e.fatalities for e in gold.events.all()] == [2]
    assert field_item.key not in gold.decisions


def test_refusals(article, editor, layers):
    alice_layer, _ = layers
    gold = adjudication.gold_layer(article, editor)
    item = adjudication.items(article, gold)[0]
    with pytest.raises(adjudication.AdjudicationRefused, match="no such disagreement"):
        adjudication.decide(article, gold, editor, "span:0-1", "none", gold.version)
    with pytest.raises(adjudication.AdjudicationRefused, match="Choose one"):
        adjudication.decide(article, gold, editor, item.key, "999999", gold.version)
    link = next(i for i in adjudication.items(article, gold) if i.kind == "link")
    with pytest.raises(adjudication.AdjudicationRefused, match="taken from one annotator"):
        adjudication.decide(article, gold, editor, link.key, "none", gold.version)
    workflow.approve_gold(gold, editor)
    with pytest.raises(adjudication.AdjudicationRefused, match="approved"):
        adjudication.decide(article, gold, editor, item.key, str(alice_layer.pk), gold.version)


def test_views_editor_only_htmx_and_plain(article, editor, alice, stranger, layers):
    url = reverse("adjudicate", args=[article.pk])
    for user in (alice, stranger):
        assert logged_in(user).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    client = logged_in(editor)
    html = client.get(url).content.decode()
    assert "4 disagreements, 4 open" in html and 'dir="rtl" lang="ar"' in html
    assert "disagree" in html  # the differing spans are marked in the columns
    assert article.gold_layer() is None  # opening the page writes nothing
    gold = adjudication.unsaved_gold(article)  # the first answer makes it
    item = adjudication.items(article, gold)[0]
    decide_url = reverse("adjudicate_decide", args=[article.pk])
    data = {"key": item.key, "choice": str(layers[0].pk), "version": gold.version}
    for user in (alice, stranger):
        assert logged_in(user).post(decide_url, data, **HX).status_code == 404
    response = client.post(decide_url, data, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "4 disagreements, 3 open" in html
    assert 'id="col-gold" hx-swap-oob="true"' in html and 'id="approve-gold"' in html
    assert article.gold_layer().version == 2
    # The same version again is stale: refused with a message, nothing merged.
    stale = client.post(decide_url, data, **HX)
    assert stale.status_code == 409 and "changed in another window" in stale.content.decode()
    bad = client.post(decide_url, {**data, "key": "nope", "version": gold.version + 1}, **HX)
    assert bad.status_code == 422 and "no such disagreement" in bad.content.decode()
    plain = client.post(decide_url, {**data, "choice": "none", "version": gold.version + 1})
    assert plain.status_code == 302 and plain["Location"] == url


def test_editor_edits_gold_on_the_annotation_page(article, editor, alice, layers):
    gold = adjudication.gold_layer(article, editor)
    client = logged_in(editor)
    html = client.get(reverse("layer_detail", args=[gold.pk])).content.decode()
    assert f'name="layer" value="{gold.pk}"' in html
    span = gold.spans.get(label="LOC", start=article.body.index("الرقة"))
    response = client.post(
        reverse("span_update", args=[span.pk]), {"label": "ORG", "version": gold.version}, **HX
    )
    assert response.status_code == 200
    span.refresh_from_db()
    assert span.label == "ORG"
    # An annotator cannot write to gold, even naming it.
    data = {"start": "0.0", "end": "0.0", "label": "LOC", "version": 1, "layer": gold.pk}
    assert (
        logged_in(alice).post(reverse("span_create", args=[article.pk]), data, **HX).status_code
        == 404
    )


def test_a_single_annotator_is_copied_whole(article, editor, alice, places):
    only = Layer.objects.create(
        article=article, kind="annotator", annotator=alice, state="submitted"
    )
    add_span(only, "الرقة", "LOC", places["raqqa"])
    add_event(only, 3)
    gold = adjudication.gold_layer(article, editor)
    assert gold.spans.count() == 1 and gold.events.count() == 1
    assert adjudication.items(article, gold) == []


def test_the_page_speaks_arabic(article, editor, layers, settings):
    settings.LANGUAGE_CODE = "ar"
    client = logged_in(editor)
    # The page's button makes the gold layer; opening the page does not.
    client.post(reverse("adjudicate", args=[article.pk]))
    assert article.gold_layer() is not None
    html = client.get(reverse("adjudicate", args=[article.pk])).content.decode()
    assert 'dir="rtl"' in html and "الفصل في الخلافات" in html and "اعتمد المرجعية" in html
