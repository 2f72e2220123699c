"""The span endpoints: htmx and plain requests, refusals, stale writes, CSRF."""

import pytest
from django.test import Client
from django.urls import reverse

from annotations.document import document_for
from annotations.models import AuditEntry, Layer, Span
from annotations.spans import annotator_layer


def piece_of(article, word: str, part: int = 0) -> str:
    doc = document_for(article.body)
    token = next(t for t in doc.tokens if t.text == word)
    return f"{token.index}.{part}"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create(client, article, start, end, label="LOC", version=None, htmx=True):
    layer = Layer.objects.filter(article=article, kind="annotator").first()
    data = {"start": start, "end": end, "label": label}
    data["version"] = version if version is not None else (layer.version if layer else 1)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("span_create", args=[article.pk]), data, **headers)


def test_it_shows_the_article_with_rtl_text_and_token_ids(alice, article):
    response = logged_in(alice).get(article.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="doc" dir="rtl" lang="ar"' in html
    token = piece_of(article, "الرقة").split(".")[0]
    # The article is its own piece, so a span may also start after it.
    assert f'data-t="{token}.0">ال</span><span data-t="{token}.1">رقة</span>' in html
    # Opening the article writes nothing: the first write makes the annotator's own layer.
    assert not Layer.objects.filter(article=article, kind="annotator", annotator=alice).exists()


def test_it_saves_a_span_and_returns_only_the_changed_paragraph(alice, article):
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    word = piece_of(article, "الرقة")
    response = create(client, article, word, word)
    html = response.content.decode()
    assert response.status_code == 200
    span = Span.objects.get(layer__annotator=alice)
    assert article.body[span.start : span.end] == "الرقة" and span.label == "LOC"
    assert 'id="para-0" class="para" hx-swap-oob="true"' in html
    assert 'id="para-1"' not in html  # the untouched paragraph is not sent
    assert 'id="layer-version" name="version" value="2"' in html
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.user, entry.after["label"]) == ("create", alice, "LOC")


def test_a_selection_can_start_after_a_proclitic(alice, article):
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    word = piece_of(article, "ومسكنة", part=1)
    assert create(client, article, word, word).status_code == 200
    span = Span.objects.get(layer__annotator=alice)
    assert article.body[span.start : span.end] == "مسكنة"


def test_a_backwards_multi_word_selection_is_ordered(alice, article):
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    start, end = piece_of(article, "وريف", part=1), piece_of(article, "الشرقي")
    assert create(client, article, end, start).status_code == 200
    span = Span.objects.get(layer__annotator=alice)
    assert article.body[span.start : span.end] == "ريف حلب الشرقي"


def test_a_plain_post_redirects_back_to_the_article(alice, article):
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    word = piece_of(article, "حلب")
    response = create(client, article, word, word, label="LOC", htmx=False)
    assert response.status_code == 302 and response.url == article.get_absolute_url()
    assert Span.objects.filter(layer__annotator=alice, label="LOC").count() == 1


@pytest.mark.parametrize(
    ("start", "end", "label", "message"),
    [
        ("999.0", "999.0", "LOC", "Unknown token id"),
        ("1.7", "1.7", "LOC", "Unknown token id"),
        ("-1.0", "2.0", "LOC", "Unknown token id"),
        ("abc", "2.0", "LOC", "Unknown token id"),
        ("2.0", "2.0", "WEAPON", "Unknown label"),
        ("0.0", "20.0", "LOC", "cannot cross a paragraph"),
    ],
)
def test_it_refuses_invalid_input_with_a_message(alice, article, start, end, label, message):
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    response = create(client, article, start, end, label=label)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Span.objects.filter(layer__annotator=alice).exists()


def test_a_stale_write_is_refused_not_merged(alice, article):
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    word = piece_of(article, "الرقة")
    assert create(client, article, word, word, version=1).status_code == 200
    other = piece_of(article, "حلب")
    response = create(client, article, other, other, version=1)  # the page still says 1
    assert response.status_code == 409
    assert "changed in another window" in response.content.decode()
    assert Span.objects.filter(layer__annotator=alice).count() == 1


def test_it_relabels_and_deletes_a_span(alice, article):
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    word = piece_of(article, "الرقة")
    create(client, article, word, word)
    span = Span.objects.get(layer__annotator=alice)
    panel = client.get(reverse("span_detail", args=[span.pk]), HTTP_HX_REQUEST="true")
    assert 'id="span-panel"' in panel.content.decode() and "<html" not in panel.content.decode()
    hx = {"HTTP_HX_REQUEST": "true"}
    url = reverse("span_update", args=[span.pk])
    assert client.post(url, {"label": "ORG", "version": 2}, **hx).status_code == 200
    span.refresh_from_db()
    assert span.label == "ORG"
    url = reverse("span_delete", args=[span.pk])
    assert client.post(url, {"version": 3}, **hx).status_code == 200
    assert not Span.objects.filter(pk=span.pk).exists()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["create", "update", "delete"]


def test_another_users_layer_is_a_404(alice, bob, article):
    layer = annotator_layer(article, alice)
    span = Span.objects.create(layer=layer, start=0, end=4, label="MISC")
    client = logged_in(bob)
    assert client.get(reverse("span_detail", args=[span.pk])).status_code == 404
    url = reverse("span_update", args=[span.pk])
    assert client.post(url, {"label": "LOC", "version": 1}).status_code == 404
    assert client.post(reverse("span_delete", args=[span.pk]), {"version": 1}).status_code == 404
    span.refresh_from_db()
    assert span.label == "MISC"


def test_a_stranger_cannot_see_the_article(stranger, article):
    client = logged_in(stranger)
    assert client.get(article.get_absolute_url()).status_code == 404
    assert create(client, article, "0.0", "0.0").status_code == 404
    assert article.title not in client.get(reverse("article_list")).content.decode()


def test_anonymous_users_are_sent_to_log_in(article):
    response = Client().get(article.get_absolute_url())
    assert response.status_code == 302 and reverse("login") in response.url


def test_csrf_is_enforced(alice, article):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(article.get_absolute_url())
    assert create(client, article, "0.0", "0.0").status_code == 403


def test_the_list_shows_state_and_counts_per_label(alice, article):
    client = logged_in(alice)
    client.get(article.get_absolute_url())
    word = piece_of(article, "الرقة")
    create(client, article, word, word)
    html = client.get(reverse("article_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert article.title in html and "LOC 1" in html and "PERS 0" in html


def test_the_database_refuses_bad_offsets(article, alice):
    from django.db import IntegrityError, transaction

    layer = annotator_layer(article, alice)
    for start, end in [(5, 5), (7, 3)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Span.objects.create(layer=layer, start=start, end=end, label="LOC")


def test_the_interface_speaks_arabic_and_english(alice, article):
    client = logged_in(alice)
    arabic = client.get(reverse("article_list"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in arabic and "المقالات" in arabic
    english = client.get(reverse("article_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en" dir="ltr">' in english and "Articles" in english
    client.get(article.get_absolute_url())
    response = client.post(
        reverse("span_create", args=[article.pk]),
        {"start": "0.0", "end": "0.0", "label": "X", "version": 1},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="ar",
    )
    assert "وسم غير معروف: X." in response.content.decode()
