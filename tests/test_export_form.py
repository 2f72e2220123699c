"""The export form: mistakes come back as the form with a message; a BOM for Excel on request."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from .test_export import coded  # noqa: F401  (a fixture: a gold layer with two events)

BOM = b"\xef\xbb\xbf"


def logged_in(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def download(client: Client, **params):
    return client.get(reverse("export_download"), params)


@pytest.mark.parametrize(
    ("language", "message", "label"),
    [
        ("en", "The start date is after the end date.", "Published to"),
        ("ar", "تاريخ البداية بعد تاريخ النهاية.", 'lang="ar" dir="rtl"'),
    ],
)
def test_dates_in_the_wrong_order_give_the_form_again_with_a_message(
    editor, corpus, language, message, label
):
    params = {"corpus": corpus.pk, "format": "jsonl", "since": "2024-05-01", "until": "2024-01-01"}
    response = download(logged_in(editor, language), **params)
    html = response.content.decode()
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/html")
    assert 'role="alert"' in html and message in html and label in html
    # The form keeps what was typed, the end date marked invalid.
    assert 'value="2024-05-01"' in html and 'aria-invalid="true"' in html


def test_an_unknown_format_is_named_in_the_page(editor, corpus):
    response = download(logged_in(editor), corpus=corpus.pk, format="xml")
    assert response.status_code == 422
    assert "Format: Select a valid choice." in response.content.decode()


def test_the_form_offers_a_bom_for_excel(editor, corpus):
    html = logged_in(editor).get(reverse("export")).content.decode()
    assert 'name="excel"' in html and "For Excel (UTF-8 with BOM)" in html


def csv_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_csv_starts_with_a_bom_only_when_asked(editor, coded, corpus):  # noqa: F811
    client = logged_in(editor)
    plain = csv_bytes(download(client, corpus=corpus.pk, format="acled"))
    excel = csv_bytes(download(client, corpus=corpus.pk, format="acled", excel="on"))
    assert not plain.startswith(BOM) and plain.startswith(b"event_id_cnty,")
    assert excel == BOM + plain
    assert excel.decode("utf-8-sig") == plain.decode("utf-8")


def test_other_formats_never_get_a_bom(editor, coded, corpus):  # noqa: F811
    response = download(logged_in(editor), corpus=corpus.pk, format="jsonl", excel="on")
    assert csv_bytes(response).startswith(b"{")


def test_the_bundles_csv_gets_the_bom_when_asked(editor, coded, corpus):  # noqa: F811
    def member(**extra) -> tuple[bytes, bytes]:
        response = download(logged_in(editor), corpus=corpus.pk, format="bundle", **extra)
        with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zf:
            return zf.read("events.csv"), zf.read("data.jsonl")

    plain_csv, plain_jsonl = member()
    excel_csv, excel_jsonl = member(excel="on")
    assert not plain_csv.startswith(BOM) and excel_csv == BOM + plain_csv
    assert excel_jsonl == plain_jsonl
