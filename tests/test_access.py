"""Who may open what, and what bad input gets: every URL × the small cast, then a fuzz.

The matrix lists every named URL of annotations/urls.py with the roles that may use
it; a new URL without an entry fails `test_every_url_has_an_entry`. A role that may
not see an object gets 404 (or 403 for a site-wide permission), the anonymous visitor
the login page, and no request in this module may answer 500.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from annotations import adjudication, urls, workflow
from annotations.models import (
    Article,
    AuditEntry,
    Event,
    Evidence,
    ImportJob,
    Incident,
    IncidentCandidate,
    IncidentEvent,
    Layer,
    Place,
    Span,
)
from annotations.spans import annotator_layer

HX = {"HTTP_HX_REQUEST": "true"}
A, T, E, S = "annotator", "teammate", "editor", "stranger"
ROLES = ("anonymous", S, T, E, A)  # those refused first: a permitted write changes state


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The cast logs in with force_login; hashing their passwords properly only costs time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(corpus, article, alice, bob, editor, stranger, places):
    """Alice's layer (copied from the machine's) with a span and an event, and a gold layer."""
    machine = Layer.objects.create(article=article, kind=Layer.MACHINE)
    start = article.body.index("الرقة")
    machine_span = Span.objects.create(
        layer=machine, start=start, end=start + 5, label="LOC", origin=Span.MACHINE
    )
    own = annotator_layer(article, alice)
    event = Event.objects.create(layer=own, event_type="Battles", sub_event_type="Armed clash")
    evidence = Evidence.objects.create(event=event, field="notes", start=start, end=start + 5)
    return SimpleNamespace(
        corpus=corpus,
        article=article,
        machine=machine,
        machine_span=machine_span,
        own=own,
        span=own.spans.get(),
        event=event,
        evidence=evidence,
        gold=adjudication.gold_layer(article, editor),
        job=ImportJob.objects.create(corpus=corpus, user=editor, directory="unused"),
        cast={A: alice, T: bob, E: editor, S: stranger},
    )


# name → (methods, the URL's arguments and query, roles that may use it)
MATRIX = {
    "home": (["GET"], lambda w: ([], ""), "public"),
    "article_list": (["GET"], lambda w: ([], ""), {A, T, E, S}),
    "next_article": (["GET"], lambda w: ([], ""), {A, T, E, S}),
    "article_detail": (["GET"], lambda w: ([w.article.pk], ""), {A, T, E}),
    "article_history": (["GET"], lambda w: ([w.article.pk], ""), {E}),
    "article_assign": (["POST"], lambda w: ([w.article.pk], ""), {E}),
    "article_submit": (["POST"], lambda w: ([w.article.pk], ""), {A, T}),
    "article_date": (["POST"], lambda w: ([w.article.pk], ""), {E}),
    "adjudicate": (["GET", "POST"], lambda w: ([w.article.pk], ""), {E}),
    "adjudicate_decide": (["POST"], lambda w: ([w.article.pk], ""), {E}),
    "layer_detail": (["GET"], lambda w: ([w.own.pk], ""), {A, E}),
    "layer_submit": (["POST"], lambda w: ([w.own.pk], ""), {A}),
    "layer_review": (["POST"], lambda w: ([w.own.pk], ""), {E}),
    "review": (["GET"], lambda w: ([], ""), {E}),
    "search": (["GET"], lambda w: ([], "?q=الرقة"), {A, T, E, S}),
    "search_pick": (["GET"], lambda w: (["place"], "?place_text=حلب"), {A, T, E, S}),
    "auto_assign": (["POST"], lambda w: ([w.corpus.pk], ""), {E}),
    "corpus_settings": (["POST"], lambda w: ([w.corpus.pk], ""), {E}),
    "agreement": (["GET"], lambda w: ([], ""), {E}),
    "agreement_csv": (["GET"], lambda w: ([], ""), {E}),
    "export": (["GET"], lambda w: ([], ""), {E}),
    "event_explorer": (["GET"], lambda w: ([], ""), {E}),
    "event_explorer_csv": (["GET"], lambda w: ([], ""), {E}),
    "event_in_article": (["GET"], lambda w: ([w.event.pk], ""), {E}),
    "export_download": (["GET"], lambda w: ([], f"?corpus={w.corpus.pk}&format=jsonl"), {E}),
    "span_create": (["POST"], lambda w: ([w.article.pk], ""), {A, T}),
    "event_create": (["POST"], lambda w: ([w.article.pk], ""), {A, T}),
    # Editors open any layer's events read-only; only the layer's annotator saves them.
    "event_edit": (["GET", "POST"], lambda w: ([w.event.pk], ""), {"GET": {A, E}, "POST": {A}}),
    "event_delete": (["POST"], lambda w: ([w.event.pk], ""), {A}),
    "evidence_add": (["POST"], lambda w: ([w.event.pk], ""), {A}),
    "evidence_delete": (["POST"], lambda w: ([w.event.pk, w.evidence.pk], ""), {A}),
    "layer_span": (["GET"], lambda w: ([w.own.pk, w.span.pk], ""), {A, E}),
    "span_detail": (["GET"], lambda w: ([w.span.pk], ""), {A}),
    "span_update": (["POST"], lambda w: ([w.span.pk], ""), {A}),
    "span_delete": (["POST"], lambda w: ([w.span.pk], ""), {A}),
    "span_link": (["POST"], lambda w: ([w.span.pk], ""), {A}),
    "place_search": (["GET"], lambda w: ([w.span.pk], ""), {A}),
    "place_create": (["POST"], lambda w: ([w.span.pk], ""), {A}),
    "import_new": (["GET"], lambda w: ([], ""), {E}),
    "import_detail": (["GET"], lambda w: ([w.job.pk], ""), {E}),
    "tagger": (["GET"], lambda w: ([], ""), {E}),
    # Retraining re-tags every corpus: a site-wide permission no corpus role gives.
    "tagger_retrain": (["POST"], lambda w: ([], ""), set()),
    "corrections": (["GET"], lambda w: ([], ""), {E}),
    "incident_queue": (["GET"], lambda w: ([], ""), {E}),
    "incident_list": (["GET"], lambda w: ([], ""), {E}),
    "incident_detail": (["GET"], lambda w: ([incident_pair(w).incident.pk], ""), {E}),
    "incident_override": (["POST"], lambda w: ([incident_pair(w).incident.pk], ""), {E}),
    "incident_take_out": (["POST"], lambda w: ([incident_pair(w).incident.pk], ""), {E}),
    "candidate_link": (["POST"], lambda w: ([incident_pair(w).candidate.pk], ""), {E}),
    "candidate_reject": (["POST"], lambda w: ([incident_pair(w).candidate.pk], ""), {E}),
    "candidate_undo": (["POST"], lambda w: ([incident_pair(w).candidate.pk], ""), {E}),
}


def incident_pair(world) -> SimpleNamespace:
    """Two reports' gold events of the world's corpus, suggested as a pair and linked."""
    events = []
    for n in (1, 2):
        article = Article.objects.create(corpus=world.corpus, title=f"r{n}", body=f"تقرير {n}")
        gold = Layer.objects.create(article=article, kind=Layer.GOLD)
        events.append(Event.objects.create(layer=gold, event_type="Battles",
                                           sub_event_type="Armed clash"))  # fmt: skip
    a, b = events
    candidate = IncidentCandidate.objects.create(
        corpus=world.corpus, event_a=a, event_b=b, score=0.9, parts={}
    )
    incident = Incident.objects.create(corpus=world.corpus)
    IncidentEvent.objects.bulk_create(IncidentEvent(incident=incident, event=e) for e in events)
    return SimpleNamespace(candidate=candidate, incident=incident)


def client_for(world, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world.cast[role])
    return client


def test_every_url_has_an_entry():
    names = {p.name for p in urls.urlpatterns if isinstance(p, URLPattern)}
    assert names - MATRIX.keys() == set(), "add the new URL to MATRIX"
    assert MATRIX.keys() - names == set()


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_the_permission_matrix(world, name):
    methods, where, allowed = MATRIX[name]
    args, query = where(world)
    url = reverse(name, args=args) + query
    for role in ROLES:
        for headers in ({}, HX):
            for method in methods:
                client = client_for(world, role)
                response = getattr(client, method.lower())(url, **headers)
                status, seen = response.status_code, (name, role, method, bool(headers))
                assert status < 500, seen
                if allowed == "public":
                    assert status in (200, 302), seen
                elif role == "anonymous":
                    assert status == 302 and "/accounts/login/" in response["Location"], seen
                elif role in (allowed[method] if isinstance(allowed, dict) else allowed):
                    assert status not in (403, 404), seen
                else:
                    assert status in (403, 404), seen


def test_the_retrain_permission_is_site_wide(world, admin_user, django_capture_on_commit_callbacks):
    url = reverse("tagger_retrain")
    assert client_for(world, E).post(url).status_code == 403
    assert "Retrain now" not in client_for(world, E).get(reverse("tagger")).content.decode()
    admin = Client()
    admin.force_login(admin_user)
    assert "Retrain now" in admin.get(reverse("tagger")).content.decode()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert admin.post(url).status_code == 302
    assert len(queued) == 1  # the retraining task, run after the commit


def test_an_unassigned_annotator_no_longer_opens_their_layer(world, alice, editor):
    client = client_for(world, A)
    assert client.get(reverse("layer_detail", args=[world.own.pk])).status_code == 200
    world.article.assignments.filter(user=alice).delete()
    assert client.get(reverse("layer_detail", args=[world.own.pk])).status_code == 404
    assert client.get(world.article.get_absolute_url()).status_code == 404
    # The work stays on record for the editor.
    editor_client = client_for(world, E)
    assert editor_client.get(reverse("layer_detail", args=[world.own.pk])).status_code == 200


def test_pages_never_write_on_get(world, bob):
    """Opening the article page or adjudication makes no layer, no gold, no audit entry."""
    Layer.objects.filter(kind=Layer.GOLD).delete()
    before = (Layer.objects.count(), Span.objects.count(), AuditEntry.objects.count())
    html = client_for(world, T).get(world.article.get_absolute_url()).content.decode()
    assert f'data-spans="{world.machine_span.pk}"' in html  # the machine's spans, shown
    assert reverse("article_submit", args=[world.article.pk]) in html
    editor = client_for(world, E)
    assert editor.get(reverse("adjudicate", args=[world.article.pk])).status_code == 200
    assert editor.get(world.article.get_absolute_url()).status_code == 200
    bob_span = reverse("span_detail", args=[world.machine_span.pk])
    assert client_for(world, T).get(bob_span, **HX).status_code == 200
    assert (Layer.objects.count(), Span.objects.count(), AuditEntry.objects.count()) == before


def test_a_first_write_on_a_machine_span_goes_to_the_new_copy(world, bob):
    client = client_for(world, T)
    url = reverse("span_update", args=[world.machine_span.pk])
    response = client.post(url, {"label": "ORG", "version": 1}, **HX)
    assert response.status_code == 200
    own = Layer.objects.get(kind=Layer.ANNOTATOR, annotator=bob)
    copy = own.spans.get()
    assert (copy.label, copy.derived_from, own.version) == ("ORG", world.machine_span, 2)
    world.machine_span.refresh_from_db()
    assert world.machine_span.label == "LOC"  # the machine layer is never written
    # The page still names the machine span: later writes find the copy.
    again = client.post(url, {"label": "PERS", "version": 2}, **HX)
    assert again.status_code == 200 and own.spans.get().label == "PERS"


def test_handing_in_an_untouched_article_takes_the_machine_spans(world, bob):
    response = client_for(world, T).post(reverse("article_submit", args=[world.article.pk]))
    assert response.status_code == 302
    own = Layer.objects.get(kind=Layer.ANNOTATOR, annotator=bob)
    assert own.state == Layer.SUBMITTED and own.spans.get().derived_from == world.machine_span


def test_the_first_answer_makes_the_gold_layer_a_refused_one_does_not(world):
    Layer.objects.filter(kind=Layer.GOLD).delete()
    client = client_for(world, E)
    url = reverse("adjudicate_decide", args=[world.article.pk])
    refused = client.post(url, {"key": "nope", "choice": "none", "version": 1}, **HX)
    assert refused.status_code == 422 and world.article.gold_layer() is None
    started = client.post(reverse("adjudicate", args=[world.article.pk]))
    assert started.status_code == 302 and world.article.gold_layer() is not None


def lock(layer: Layer, user) -> None:
    workflow.submit(layer, user)
    layer.refresh_from_db()


def test_event_writes_on_a_locked_layer_are_refused_with_422(world, alice):
    lock(world.own, alice)
    client = client_for(world, A)
    version = world.own.version
    edit = {"event_type": "Battles", "sub_event_type": "Armed clash", "version": version}
    for name, data in [
        ("event_edit", edit),
        ("event_delete", {"version": version}),
        ("evidence_add", {"version": version, "span": world.span.pk, "field": "notes"}),
    ]:
        for headers in ({}, HX):
            response = client.post(reverse(name, args=[world.event.pk]), data, **headers)
            if headers:
                assert response.status_code == 422, name
                assert "read-only" in response.content.decode(), name
            else:
                assert response.status_code in (302, 422), name
    assert Event.objects.filter(pk=world.event.pk).exists()


def test_a_refused_place_creation_leaves_no_place(world, alice):
    lock(world.own, alice)
    places = Place.objects.count()
    data = {
        "name_ar": "مخيم",
        "latitude": "35.9",
        "longitude": "39.0",
        "version": world.own.version,
    }
    url = reverse("place_create", args=[world.span.pk])
    response = client_for(world, A).post(url, data, **HX)
    assert response.status_code == 422 and "read-only" in response.content.decode()
    stale = client_for(world, A).post(url, {**data, "version": 99}, **HX)
    assert stale.status_code in (409, 422)
    assert Place.objects.count() == places


# (who, URL name, the world's object it names, method, data or query) of malformed input
BAD_VERSIONS = ["", "abc", "1.5", "-1", "²", "9" * 40]
BAD_IDS = ["abc", "1.5", "", "-3", "٣", "²", "9" * 40, "1\x00"]
NUL = "a\x00b"
# The writes the annotation pages send with htmx: a refusal there is a 4xx with a message.
HTMX_WRITES = {
    "span_create",
    "span_update",
    "span_delete",
    "span_link",
    "place_create",
    "event_create",
    "event_edit",
    "event_delete",
    "evidence_add",
    "adjudicate_decide",
}


def bad_inputs():
    for version in BAD_VERSIONS:
        for name, obj in [
            ("span_create", "article"),
            ("event_create", "article"),
            ("span_update", "span"),
            ("span_delete", "span"),
            ("span_link", "span"),
            ("place_create", "span"),
            ("event_edit", "event"),
            ("event_delete", "event"),
            ("evidence_add", "event"),
        ]:
            yield A, name, obj, "POST", {"version": version, "label": "LOC", "place": 1}
        yield E, "adjudicate_decide", "article", "POST", {"version": version, "key": "x"}
    for raw in BAD_IDS:
        yield A, "span_link", "span", "POST", {"version": 1, "place": raw}
        yield A, "evidence_add", "event", "POST", {"version": 1, "span": raw, "field": "notes"}
        yield A, "span_create", "article", "POST", {"version": 1, "layer": raw, "label": "LOC"}
        yield E, "article_assign", "article", "POST", {"user": raw}
        yield E, "corrections", None, "GET", {"corpus": raw}
        yield E, "agreement", None, "GET", {"corpus": raw}
        yield E, "export_download", None, "GET", {"corpus": raw, "format": "jsonl"}
        yield E, "review", None, "GET", {"corpus": raw, "page": raw}
        yield E, "article_history", "article", "GET", {"page": raw}
    for raw in ["abc", "1.5", "", "-3", "²", "9" * 40, "1\x00", "0.-1"]:
        yield A, "span_create", "article", "POST", {"version": 1, "start": raw, "end": raw}
        yield A, "event_create", "article", "POST", {"version": 1, "start": raw}
    place = {"name_ar": "مخيم", "latitude": "35.9", "longitude": "39.0", "version": 2}
    for field in ("name_ar", "name_en", "country", "admin1", "latitude"):
        yield A, "place_create", "span", "POST", {**place, field: NUL}
    yield A, "span_create", "article", "POST", {"version": 1, "label": NUL, "start": NUL}
    yield A, "span_update", "span", "POST", {"version": 1, "label": NUL}
    yield A, "place_search", "span", "GET", {"q": NUL}
    yield A, "event_edit", "event", "POST", {"version": 1, "notes": NUL, "source": NUL}
    yield E, "layer_review", "own", "POST", {"action": "return", "comment": NUL}
    yield E, "layer_review", "own", "POST", {"action": NUL}
    yield E, "corpus_settings", "corpus", "POST", {"annotators_per_article": NUL}
    yield E, "export_download", None, "GET", {"corpus": 1, "format": NUL, "since": NUL}
    yield E, "agreement", None, "GET", {"state": NUL, "tolerance": NUL}
    yield E, "article_date", "article", "POST", {"published_at": NUL}


@pytest.mark.parametrize("case", list(bad_inputs()), ids=repr)
def test_bad_input_is_refused_with_a_4xx_never_a_500(world, alice, case):
    who, name, obj, method, data = case
    if name == "layer_review":
        lock(world.own, alice)  # a return writes the comment only from submitted
    args = [getattr(world, obj).pk] if obj else []
    client = client_for(world, who)
    for headers in (HX, {}):
        response = getattr(client, method.lower())(reverse(name, args=args), data, **headers)
        assert response.status_code < 500, case
        if name in HTMX_WRITES and headers:
            assert 400 <= response.status_code < 500, case
        if response.status_code in (400, 409, 422):
            assert response.content.strip(), "a refusal says why"


@pytest.mark.parametrize("path", ["/spans/{big}/", "/articles/{big}/", "/layers/{big}/"])
def test_huge_ids_in_the_path_are_not_found(world, path):
    url = path.format(big="9" * 40)
    assert client_for(world, A).get(url).status_code == 404
