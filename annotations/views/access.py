"""Who may open what: one `get_…_or_404` per object, each applying its queryset's rule.

Every view finds its objects here and nowhere else. An object the user may not see is
a 404, the same answer as one that does not exist, and so is an id that is not a
number: the rules themselves live on the querysets in models.py.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from .. import spans
from ..ids import row_id
from ..models import Article, Corpus, Event, Layer, Span


def get_or_404(queryset: QuerySet, raw: Any) -> Model:
    return get_object_or_404(queryset, pk=_id_or_404(raw))


def _id_or_404(raw: Any) -> int:
    pk = row_id(raw)
    if pk is None:
        raise Http404("Not an id.")
    return pk


def get_article_or_404(user: Any, pk: Any) -> Article:
    """An article the user edits the corpus of, or is assigned to."""
    return get_or_404(Article.objects.visible_to(user).select_related("corpus"), pk)


def get_edited_article_or_404(user: Any, pk: Any) -> Article:
    return get_or_404(Article.objects.edited_by(user).select_related("corpus"), pk)


def edited_corpora_or_404(user: Any) -> QuerySet[Corpus]:
    """The corpora the user edits; a user who edits none has no editor pages."""
    corpora = Corpus.objects.edited_by(user)
    if not corpora.exists():
        raise Http404("You edit no corpus.")
    return corpora


def get_edited_corpus_or_404(user: Any, pk: Any) -> Corpus:
    return get_or_404(Corpus.objects.edited_by(user), pk)


def get_layer_or_404(user: Any, pk: Any) -> Layer:
    """A layer to read: any of a corpus the user edits, or their own while assigned."""
    visible = Layer.objects.visible_to(user).select_related("article__corpus", "annotator")
    return get_or_404(visible, pk)


def get_edited_layer_or_404(user: Any, pk: Any) -> Layer:
    return get_or_404(Layer.objects.filter(article__in=Article.objects.edited_by(user)), pk)


def get_own_layer_or_404(user: Any, pk: Any) -> Layer:
    """The user's own annotator layer of an article still assigned to them."""
    return get_or_404(Layer.objects.writable_by(user).filter(kind=Layer.ANNOTATOR), pk)


def writable_layer_or_404(request: HttpRequest, article: Article) -> Layer:
    """The layer a write on the article goes to: the gold layer for its corpus's editors
    when the form names it, otherwise the user's own layer (made by this first write)."""
    named = request.POST.get("layer")
    if named:
        gold = Layer.objects.writable_by(request.user).filter(kind=Layer.GOLD, article=article)
        return get_or_404(gold, named)
    if not Article.objects.assigned_to(request.user).filter(pk=article.pk).exists():
        raise Http404("Not assigned to you.")
    return spans.annotator_layer(article, request.user)


def get_span_or_404(request: HttpRequest, pk: Any) -> Span:
    """A span the user may change. A machine span stands for the annotator's copy of it
    until their first write: a GET shows it, a POST makes the copy and answers with it."""
    writable = Span.objects.writable_by(request.user).select_related("layer__article__corpus")
    span = get_or_404(writable, pk)
    return _own_copy(request, span, lambda layer: layer.spans.select_related("place"))


def get_event_or_404(request: HttpRequest, pk: Any) -> Event:
    """An event the user may change; a machine event stands for the copy, as spans do."""
    writable = Event.objects.writable_by(request.user).select_related("layer__article__corpus")
    event = get_or_404(writable, pk)
    return _own_copy(request, event, lambda layer: layer.events.all())


def get_span_in_layer_or_404(layer: Layer, raw: Any) -> Span:
    """A span of the layer named by the form; the page may still name its machine original."""
    pk = _id_or_404(raw)
    found = layer.spans.filter(pk=pk).first() or layer.spans.filter(derived_from=pk).first()
    if found is None:
        raise Http404("No such span in this layer.")
    return found


def _own_copy(request: HttpRequest, thing: Any, of_layer: Any) -> Any:
    if thing.layer.kind != Layer.MACHINE:
        return thing
    article = thing.layer.article
    if request.method == "POST":
        layer = spans.annotator_layer(article, request.user)
    else:
        layer = spans.own_layer(article, request.user)
    if layer is None:
        return thing
    copies = of_layer(layer).filter(derived_from=thing).select_related("layer__article__corpus")
    copy = copies.first()
    if copy is None:
        raise Http404("Deleted from your layer.")
    return copy
