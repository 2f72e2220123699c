"""Editors download datasets: a form, then a streamed JSONL, CoNLL, CSV, GeoJSON or zip."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from ..exports import (
    ANNOTATORS,
    GOLD,
    INCIDENT,
    MEDIA,
    REPORT,
    Selection,
    bundle,
    stream,
)
from ..exports.acled import EXCEL_BOM
from ..ids import parse_id
from ..models import Corpus, Layer, Membership

FORMAT_CHOICES = [
    ("jsonl", gettext_lazy("JSONL (articles with spans, places, events)")),
    ("conll", gettext_lazy("CoNLL BIO (tokens and entity tags)")),
    ("acled", gettext_lazy("ACLED-style CSV (events)")),
    ("geojson", gettext_lazy("GeoJSON (events on a map)")),
    ("bundle", gettext_lazy("Zip bundle: all of the above and a datasheet")),
]


class DateInput(forms.DateInput):
    input_type = "date"


class ExportForm(forms.Form):
    corpus = forms.ModelChoiceField(queryset=Corpus.objects.none(), label=gettext_lazy("Corpus"))
    layers = forms.ChoiceField(
        choices=[(GOLD, gettext_lazy("Gold")), (ANNOTATORS, gettext_lazy("Annotators"))],
        initial=GOLD,
        required=False,  # gold unless asked
        label=gettext_lazy("Layers"),
    )
    annotator = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        to_field_name="username",
        required=False,
        empty_label=gettext_lazy("every annotator"),
        label=gettext_lazy("Annotator"),
    )
    state = forms.ChoiceField(
        choices=[("", gettext_lazy("any state")), *Layer.STATES],
        required=False,
        label=gettext_lazy("Layer state"),
    )
    since = forms.DateField(required=False, widget=DateInput, label=gettext_lazy("Published from"))
    until = forms.DateField(required=False, widget=DateInput, label=gettext_lazy("Published to"))
    format = forms.ChoiceField(choices=FORMAT_CHOICES, label=gettext_lazy("Format"))
    level = forms.ChoiceField(
        choices=[
            (REPORT, gettext_lazy("Reports: one row per event of each report")),
            (INCIDENT, gettext_lazy("Incidents: one row per incident, linked reports merged")),
        ],
        initial=REPORT,
        required=False,  # report level unless asked
        label=gettext_lazy("Level"),
        help_text=gettext_lazy(
            "For the CSV, GeoJSON and JSONL. The zip bundle always holds both levels."
        ),
    )
    # Excel takes a CSV without a byte order mark for the local code page and garbles the
    # Arabic; with the mark it reads UTF-8. Other tools may show the mark: opt in.
    excel = forms.BooleanField(
        required=False,
        label=gettext_lazy("For Excel (UTF-8 with BOM)"),
        label_suffix="",  # the label follows the box
        help_text=gettext_lazy(
            "Starts the CSV file (also the one in the zip bundle) with a byte order mark, "
            "so that Excel shows the Arabic text."
        ),
    )

    def __init__(self, *args: Any, corpora: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["corpus"].queryset = corpora
        self.fields["annotator"].queryset = (
            get_user_model()
            .objects.filter(memberships__corpus__in=corpora, memberships__role=Membership.ANNOTATOR)
            .distinct()
            .order_by("username")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The start date is after the end date."))
        data["level"] = data.get("level") or REPORT
        if data["level"] == INCIDENT and data.get("format") == "conll":
            # CoNLL tags each report's tokens: an incident has no text of its own.
            self.add_error("level", _("CoNLL has no incident level."))
        return data

    def selection(self) -> Selection:
        data = self.cleaned_data
        annotator = data["annotator"]
        return Selection(
            corpus=data["corpus"],
            # Choosing one annotator means exporting annotator layers.
            layers=ANNOTATORS if annotator else data["layers"] or GOLD,
            annotator=annotator.username if annotator else None,
            state=data["state"] or None,
            since=data["since"],
            until=data["until"],
        )


@login_required
@require_GET
def export_page(request: HttpRequest) -> HttpResponse:
    corpora = Corpus.objects.edited_by(request.user)
    if not corpora.exists():
        return _plain(_("You edit no corpus."), 404)
    form = ExportForm(corpora=corpora, initial={"corpus": corpora.first(), "format": "jsonl"})
    return render(request, "annotations/export.html", {"form": form})


@login_required
@require_GET
def export_download(request: HttpRequest) -> HttpResponse:
    corpora = Corpus.objects.edited_by(request.user)
    corpus_id = parse_id(request.GET.get("corpus"))
    # A corpus the user does not edit is indistinguishable from one that does not exist.
    if corpus_id is None or not corpora.filter(pk=corpus_id).exists():
        return _plain(_("No corpus you edit has this id."), 404)
    form = ExportForm(request.GET, corpora=corpora)
    if not form.is_valid():
        # The form again with what was wrong, as a page: the download link is a plain GET.
        return render(request, "annotations/export.html", {"form": form}, status=422)
    selection, fmt = form.selection(), form.cleaned_data["format"]
    excel, level = form.cleaned_data["excel"], form.cleaned_data["level"]
    content_type, extension = MEDIA[fmt]
    name = f"{slugify(selection.corpus.name, allow_unicode=True) or 'corpus'}-{selection.layers}"
    if level == INCIDENT and fmt != "bundle":
        name += "-incidents"
    if fmt == "bundle":
        # A zip needs its central directory at the end: build it in a temporary file
        # (deleted when the response closes it), then send the file.
        target = tempfile.TemporaryFile()
        try:
            bundle.write(selection, target, excel=excel)
        except BaseException:
            target.close()
            raise
        target.seek(0)
        return FileResponse(target, as_attachment=True, filename=f"{name}.zip")
    pieces = stream(selection, fmt, level=level)
    if excel and fmt == "acled":
        pieces = with_bom(pieces)
    response = StreamingHttpResponse(pieces, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.{extension}")
    return response


def with_bom(pieces: Iterator[bytes]) -> Iterator[bytes]:
    return itertools.chain([EXCEL_BOM.encode("utf-8")], pieces)


def _plain(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
