"""Which untouched machine spans count as accepted: only those someone looked at."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from annotations import spans, workflow
from annotations.corrections import correction_stats
from annotations.models import Layer, Span


def machine_with(article, *words: tuple[str, str]) -> Layer:
    layer = Layer.objects.create(article=article, kind=Layer.MACHINE)
    for word, label in words:
        start = article.body.index(word)
        Span.objects.create(
            layer=layer, start=start, end=start + len(word), label=label, origin="machine"
        )
    return layer


def outcomes(label: str) -> dict[str, int]:
    return correction_stats(Layer.objects.annotators()).get(label, {})


def test_untouched_copies_in_a_layer_in_progress_are_not_accepted(article, alice):
    machine_with(article, ("الرقة", "LOC"), ("مواقع", "ORG"))
    layer = spans.annotator_layer(article, alice)
    sites = layer.spans.get(label="ORG")
    spans.relabel(sites, alice, "MISC", layer.version)  # she got as far as مواقع
    assert outcomes("LOC") == {}  # الرقة: nobody has said it is right yet
    assert outcomes("ORG")["relabelled"] == 1  # a correction is a correction anywhere
    from annotations.corrections import tally, unreviewed

    assert unreviewed(tally(Layer.objects.annotators())) == 1


def test_a_submitted_layer_accepts_what_it_kept(article, alice):
    machine_with(article, ("الرقة", "LOC"))
    workflow.submit(spans.annotator_layer(article, alice), alice)
    assert outcomes("LOC")["accepted"] == 1


def test_a_span_the_annotator_worked_on_counts_even_before_submission(article, alice, places):
    machine_with(article, ("الرقة", "LOC"), ("مسكنة", "LOC"))
    layer = spans.annotator_layer(article, alice)
    raqqa = layer.spans.get(start=article.body.index("الرقة"))
    spans.link(raqqa, alice, places["raqqa"], layer.version)  # label and bounds kept
    assert outcomes("LOC")["accepted"] == 1  # الرقة, not مسكنة


def test_a_layer_returned_for_changes_and_reworked_still_counts(article, alice, editor):
    machine_with(article, ("الرقة", "LOC"), ("مواقع", "ORG"))
    layer = spans.annotator_layer(article, alice)
    workflow.submit(layer, alice)
    workflow.request_changes(layer, editor, "مواقع is no organisation.")
    layer.refresh_from_db()
    spans.relabel(layer.spans.get(label="ORG"), alice, "MISC", layer.version)
    assert Layer.objects.get(pk=layer.pk).state == Layer.IN_PROGRESS
    assert outcomes("LOC")["accepted"] == 1


def test_the_page_says_how_many_spans_it_left_out(article, alice, editor):
    machine_with(article, ("الرقة", "LOC"), ("مواقع", "ORG"))
    spans.annotator_layer(article, alice)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(editor)
    html = client.get(reverse("corrections")).content.decode()
    assert "2 such machine spans are not counted." in html
    assert "<td>LOC</td>" not in html
