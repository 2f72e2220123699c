"""Placeholder while the module is being written (issue 6)."""

from django.http import Http404, HttpRequest, HttpResponse


def _todo(request: HttpRequest, pk: int = 0) -> HttpResponse:
    raise Http404


next_article = article_history = article_assign = layer_detail = layer_submit = _todo
layer_review = review = auto_assign = _todo
