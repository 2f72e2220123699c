"""The editors' view of how annotators corrected the pre-tagger, as a page and as CSV."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..corrections import OUTCOMES, table, tally, unreviewed
from ..exports.acled import spreadsheet_cell
from ..models import Layer
from . import access


@login_required
@require_GET
def corrections(request: HttpRequest) -> HttpResponse:
    corpora = access.edited_corpora_or_404(request.user)
    raw = request.GET.get("corpus")
    chosen = access.get_edited_corpus_or_404(request.user, raw) if raw else None
    layers = Layer.objects.annotators().filter(article__corpus__in=[chosen] if chosen else corpora)
    total = tally(layers)
    counts_by_label = table(total)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="corrections.csv"'
        writer = csv.writer(response)
        writer.writerow(["label", *OUTCOMES])
        for label, counts in counts_by_label.items():
            writer.writerow([spreadsheet_cell(label), *(counts[o] for o in OUTCOMES)])
        return response
    rows = [(label, [counts[o] for o in OUTCOMES]) for label, counts in counts_by_label.items()]
    context = {
        "rows": rows,
        "outcomes": OUTCOMES,
        "corpora": corpora,
        "chosen": chosen,
        "layers": layers.count(),
        "unreviewed": unreviewed(total),
    }
    return render(request, "annotations/corrections.html", context)
