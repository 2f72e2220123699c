"""Placeholder while the module is being written (issue 6)."""

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise Http404


adjudicate = decide = _todo
