"""ACLED's event types in the interface's language: Arabic names on Arabic pages, the
English codebook names as the values that are stored, filtered on and exported."""

from __future__ import annotations

import csv
import io
import re

from django.test import Client
from django.urls import reverse
from django.utils import translation

from annotations.acled import EVENT_TYPES, LABELS, SUB_EVENT_TYPES, label
from annotations.forms import EventForm
from annotations.models import Event

from .test_explorer import coded_corpus, logged_in  # noqa: F401 (a fixture)


def test_every_type_and_sub_type_has_an_arabic_name():
    assert set(LABELS) == set(EVENT_TYPES) | set(SUB_EVENT_TYPES)
    with translation.override("ar"):
        names = {name: label(name) for name in LABELS}
    untranslated = [name for name, shown in names.items() if shown == name]
    assert not untranslated
    assert all(re.search("[\u0600-\u06ff]", shown) for shown in names.values())
    assert len(set(names.values())) == len(names)  # no two share a name
    with translation.override("en"):
        assert all(label(name) == name for name in LABELS)
    assert label("Something else") == "Something else" and label(None) == ""


def test_the_event_form_shows_arabic_names_and_keeps_english_values():
    with translation.override("ar"):
        html = str(EventForm()["sub_event_type"]) + str(EventForm()["event_type"])
    assert '<option value="Armed clash">اشتباك مسلح</option>' in html
    assert '<optgroup label="معارك">' in html
    assert '<option value="Battles">معارك</option>' in html


def test_the_explorer_shows_arabic_names_and_its_csv_keeps_acleds(editor, coded_corpus):  # noqa: F811
    client = logged_in(editor)
    page = client.get(reverse("event_explorer"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "اشتباك مسلح" in page and "غارة جوية/بطائرة مسيّرة" in page
    assert '<option value="Armed clash">اشتباك مسلح</option>' in page
    # The filter takes the English value, as the address and the CSV carry it.
    shown = client.get(
        reverse("event_explorer"), {"sub_event_type": "Armed clash"}, HTTP_ACCEPT_LANGUAGE="ar"
    )
    assert shown.status_code == 200
    response = client.get(reverse("event_explorer_csv"), HTTP_ACCEPT_LANGUAGE="ar")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["sub_event_type"] for r in rows} >= {"Armed clash", "Air/drone strike"}
    assert not any(re.search("[\u0600-\u06ff]", r["sub_event_type"]) for r in rows)


def test_the_annotation_page_lists_events_by_their_arabic_names(alice, coded_corpus):  # noqa: F811
    article = coded_corpus["articles"][0]
    article.assignments.create(user=alice)
    page = Client(HTTP_ACCEPT_LANGUAGE="ar")
    page.force_login(alice)
    html = page.get(article.get_absolute_url()).content.decode()
    assert Event.objects.filter(layer__annotator=alice, sub_event_type="Peaceful protest").exists()
    assert "احتجاج سلمي" in html
