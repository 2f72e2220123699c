from django.urls import path
from django.views.generic import RedirectView

from .views import articles, corrections, events, imports, places, spans, tagger

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="article_list"), name="home"),
    path("articles/", articles.article_list, name="article_list"),
    path("articles/<int:pk>/", articles.article_detail, name="article_detail"),
    path("articles/<int:pk>/spans/", spans.span_create, name="span_create"),
    path("articles/<int:pk>/events/", events.event_create, name="event_create"),
    path("events/<int:pk>/", events.event_edit, name="event_edit"),
    path("events/<int:pk>/delete/", events.event_delete, name="event_delete"),
    path("events/<int:pk>/evidence/", events.evidence_add, name="evidence_add"),
    path("spans/<int:pk>/", spans.span_detail, name="span_detail"),
    path("spans/<int:pk>/label/", spans.span_update, name="span_update"),
    path("spans/<int:pk>/delete/", spans.span_delete, name="span_delete"),
    path("spans/<int:pk>/link/", places.span_link, name="span_link"),
    path("spans/<int:pk>/places/", places.place_search, name="place_search"),
    path("spans/<int:pk>/places/new/", places.place_create, name="place_create"),
    path("imports/", imports.import_new, name="import_new"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("tagger/", tagger.tagger, name="tagger"),
    path("tagger/retrain/", tagger.retrain, name="tagger_retrain"),
    path("tagger/corrections/", corrections.corrections, name="corrections"),
]
