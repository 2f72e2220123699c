"""Correction statistics: each annotator layer against the machine layer it was copied from."""

from django.test import Client
from django.urls import reverse

from annotations import spans, workflow
from annotations.corrections import correction_stats
from annotations.models import Layer, Span


def machine_with(article, *triples):
    layer = Layer.objects.create(article=article, kind=Layer.MACHINE)
    for start, end, label in triples:
        Span.objects.create(layer=layer, start=start, end=end, label=label, origin="machine")
    return layer


def test_it_counts_each_outcome_per_label(article, alice):
    machine_with(
        article,
        (0, 4, "LOC"),  # accepted
        (5, 12, "ORG"),  # relabelled to PERS
        (13, 18, "LOC"),  # boundaries changed: deleted, re-added narrower
        (19, 23, "PERS"),  # deleted
    )
    layer = spans.annotator_layer(article, alice)
    by_start = {s.start: s for s in layer.spans.all()}
    spans.relabel(by_start[5], alice, "PERS", 1)
    spans.delete(by_start[13], alice, 2)
    spans.add(layer, alice, 14, 18, "LOC", 3)
    spans.delete(by_start[19], alice, 4)
    spans.add(layer, alice, 30, 34, "MISC", 5)  # new
    # Untouched machine spans count as accepted only once the layer is handed in.
    workflow.submit(layer, alice)
    table = correction_stats(Layer.objects.annotators())
    assert table == {
        "LOC": {"accepted": 1, "relabelled": 0, "boundary_shifted": 1, "deleted": 0, "added": 0},
        "ORG": {"accepted": 0, "relabelled": 1, "boundary_shifted": 0, "deleted": 0, "added": 0},
        "PERS": {"accepted": 0, "relabelled": 0, "boundary_shifted": 0, "deleted": 1, "added": 0},
        "MISC": {"accepted": 0, "relabelled": 0, "boundary_shifted": 0, "deleted": 0, "added": 1},
    }


def test_editors_see_the_page_and_csv_and_annotators_do_not(article, alice, editor):
    machine_with(article, (0, 4, "LOC"))
    workflow.submit(spans.annotator_layer(article, alice), alice)
    client = Client()
    client.force_login(editor)
    page = client.get(reverse("corrections"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "<td>LOC</td><td>1</td>" in page.content.decode()
    csv = client.get(reverse("corrections"), {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines() == [
        "label,accepted,relabelled,boundary_shifted,deleted,added",
        "LOC,1,0,0,0,0",
    ]
    client.force_login(alice)
    assert client.get(reverse("corrections")).status_code == 404
