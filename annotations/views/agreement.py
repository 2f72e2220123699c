"""Placeholder while the module is being written (issue 6)."""

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest) -> HttpResponse:
    raise Http404


agreement_page = agreement_csv = _todo
