"""The editors' agreement screen: how far annotators agree, as a page and as CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from ..agreement import EVENT_FIELDS, AgreementReport, Breakdown, Score, compute
from ..exports.acled import spreadsheet_cell
from ..ids import parse_id
from ..models import Corpus, Layer
from . import access

CSV_HEADER = ("scope", "article_id", "label", "annotator_a", "annotator_b", "metric", "value", "n")

METRIC_NAMES = {
    "span_f1_exact": gettext_lazy("Span F1, exact"),
    "span_f1_overlap": gettext_lazy("Span F1, overlap"),
    "kappa": gettext_lazy("Cohen's κ, tokens"),
    "alpha_labels": gettext_lazy("Krippendorff's α, tokens"),
    "alpha_fatalities": gettext_lazy("Krippendorff's α, fatalities"),
    "place_link": gettext_lazy("Place links"),
    "event_f1": gettext_lazy("Events matched (F1)"),
    "event_type": gettext_lazy("Event type"),
    "event_sub_type": gettext_lazy("Sub-event type"),
    "event_date": gettext_lazy("Event date"),
    "event_place": gettext_lazy("Event place"),
    "event_fatalities": gettext_lazy("Fatalities"),
}
PAIR_COLUMNS = (
    "span_f1_exact",
    "span_f1_overlap",
    "kappa",
    "place_link",
    "event_f1",
    *EVENT_FIELDS,
    "alpha_fatalities",
)
LABEL_COLUMNS = ("span_f1_exact", "span_f1_overlap")
ARTICLE_COLUMNS = PAIR_COLUMNS[:-1]  # no alpha per article: one or two events say little


class AgreementForm(forms.Form):
    state = forms.MultipleChoiceField(choices=Layer.STATES, required=False)
    tolerance = forms.IntegerField(min_value=0, max_value=365, required=False)


class BadParameters(Exception):
    pass


def _get_corpus_for_user(request: HttpRequest) -> Corpus:
    """The corpus asked for (else the user's first), if the user edits it; 404 otherwise."""
    raw = request.GET.get("corpus", "")
    if not raw:
        return access.edited_corpora_or_404(request.user).first()
    if parse_id(raw) is None:
        raise BadParameters(_("The corpus must be given by its number."))
    return access.get_edited_corpus_or_404(request.user, raw)


def _options(request: HttpRequest) -> tuple[list[str], int]:
    form = AgreementForm(request.GET)
    if not form.is_valid():
        errors = " ".join(f"{name}: {' '.join(e)}" for name, e in form.errors.items())
        raise BadParameters(errors)
    tolerance = form.cleaned_data["tolerance"]
    return form.cleaned_data["state"], 1 if tolerance is None else tolerance


def _report_for(request: HttpRequest) -> tuple[Corpus, list[str], int, AgreementReport]:
    corpus = _get_corpus_for_user(request)
    states, tolerance = _options(request)
    report = compute(corpus.articles.all(), date_tolerance_days=tolerance, states=states)
    return corpus, states, tolerance, report


def _table(
    rows: list[Breakdown], columns: tuple[str, ...]
) -> list[tuple[Breakdown, list[tuple[str, str]]]]:
    """Each row with its cells as (text, n), formatted here: a thousand articles' worth of
    floatformat filters would take a good part of the page's time."""
    separator = get_format("DECIMAL_SEPARATOR")
    missing = Score(None, 0)
    return [
        (row, [_cell(row.scores.get(column, missing), separator) for column in columns])
        for row in rows
    ]


def _article_cells(rows: list[Breakdown]) -> list[tuple[Breakdown, SafeString]]:
    """Each article row with its figures as ready <td> cells.

    Joined here, not looped over in the template: a thousand rows of ten cells were
    10,000 template loop iterations, about half the page's rendering time. The text is
    our own number formatting (digits, a separator, a dash), nothing anyone typed.
    """
    return [
        (row, mark_safe("".join(f"<td>{text}</td>" for text, _ in cells)))
        for row, cells in _table(rows, ARTICLE_COLUMNS)
    ]


def _cell(score: Score, separator: str) -> tuple[str, str]:
    """(value to 3 decimals or a dash, n): strings, which the template prints as they are."""
    if score.value is None:
        return "—", str(score.n)
    return f"{score.value:.3f}".replace(".", separator), str(score.n)


def _headers(columns: tuple[str, ...]) -> list[Any]:
    return [METRIC_NAMES[c] for c in columns]


@login_required
@require_GET
def agreement_page(request: HttpRequest) -> HttpResponse:
    try:
        corpus, states, tolerance, report = _report_for(request)
    except BadParameters as refusal:
        return HttpResponseBadRequest(str(refusal), content_type="text/plain; charset=utf-8")
    separator = get_format("DECIMAL_SEPARATOR")
    query = urlencode(
        [("corpus", corpus.pk), *(("state", s) for s in states), ("tolerance", tolerance)]
    )
    context = {
        "corpus": corpus,
        "corpora": Corpus.objects.edited_by(request.user),
        "states": Layer.STATES,
        "chosen_states": states,
        "tolerance": tolerance,
        "report": report,
        "overall": [
            (METRIC_NAMES[m], _cell(Score(report.overall[m], report.overall_n[m]), separator))
            for m in METRIC_NAMES
        ],
        "pair_headers": _headers(PAIR_COLUMNS),
        "pairs": _table(report.pairs, PAIR_COLUMNS),
        "label_headers": _headers(LABEL_COLUMNS),
        "labels": _table(report.labels, LABEL_COLUMNS),
        "article_headers": _headers(ARTICLE_COLUMNS),
        "articles": _article_cells(report.articles),
        "query": query,
    }
    template = "annotations/agreement.html"
    if request.htmx:
        template += "#report"  # the filter form swaps only the figures
    return render(request, template, context)


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(report: AgreementReport) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for *key, value, n in report.rows():
        # Usernames and labels are typed by people: never let one start a formula.
        cells = [spreadsheet_cell(part) for part in key]
        yield writer.writerow([*cells, "" if value is None else round(value, 6), n])


@login_required
@require_GET
def agreement_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    try:
        corpus, _states, _tolerance, report = _report_for(request)
    except BadParameters as refusal:
        return HttpResponseBadRequest(str(refusal), content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(_csv_lines(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="agreement-{corpus.pk}.csv"'
    return response
