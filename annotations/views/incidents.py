"""Editors' incidents: the queue of suggested matches (one pair at a time, keyboard-first),
the decisions on them, and each linked incident with its reconciled fields and overrides.

Only editors of a corpus see its suggestions and incidents; anyone else gets a 404, as for
every editor page (views/access.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from .. import acled, incidents
from ..ids import parse_id
from ..models import Corpus, Event, Incident, IncidentCandidate, Place
from ..place_display import arabic_name
from ..text import sentences
from . import access

DECISION_FILTERS = [("", gettext_lazy("all")), *IncidentCandidate.DECISIONS]
PAGE_SIZE = 50
ACTORS = ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2")


# --- The queue ---------------------------------------------------------------------------------


@login_required
@require_GET
def incident_queue(request: HttpRequest) -> HttpResponse:
    corpora = list(access.edited_corpora_or_404(request.user))
    return _queue(request, request.GET, corpora)


@login_required
@require_POST
def candidate_link(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, incidents.link)


@login_required
@require_POST
def candidate_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, incidents.reject)


@login_required
@require_POST
def candidate_undo(request: HttpRequest, pk: int) -> HttpResponse:
    # The decision the button showed: one changed since (another editor undid it and decided
    # again) is refused, not undone unseen. A form without it saw nothing, and is refused too.
    seen = (request.POST.get("seen_decision", ""), request.POST.get("seen_at", ""))

    def undo(candidate: IncidentCandidate, editor: Any) -> IncidentCandidate:
        return incidents.undo(candidate, editor, seen=seen)

    return _decide(request, pk, undo, undoing=True)


def _decide(request: HttpRequest, pk: int, action: Any, undoing: bool = False) -> HttpResponse:
    corpora = list(access.edited_corpora_or_404(request.user))
    candidate = access.get_or_404(IncidentCandidate.objects.edited_by(request.user), pk)
    try:
        done = action(candidate, request.user)
    except incidents.DecisionRefused as exc:
        return _answer(request, request.POST, corpora, str(exc), "error", status=409)
    params = request.POST.copy()
    if undoing:
        # The pair is pending again: show it where it now stands, to decide it again.
        listed, _corpus, _decision = _listed(params, corpora)
        params["i"] = str(_position(listed, candidate))
    return _answer(request, params, corpora, _done_message(action, done), "success")


def _done_message(action: Any, done: Any) -> str:
    if action is incidents.link:
        count = done.members.count()
        return _("Linked: incident #%(pk)s now has %(n)s reports.") % {"pk": done.pk, "n": count}
    if action is incidents.reject:
        return _("Marked as not the same incident.")
    return _("Decision undone: the suggestion is pending again.")


def _answer(
    request: HttpRequest,
    params: QueryDict,
    corpora: list[Corpus],
    message: str,
    level: str,
    status: int = 200,
) -> HttpResponse:
    """After a decision: htmx swaps the queue at the same place (the decided pair has left
    the pending block, so the next one stands there); without htmx, post/redirect/get."""
    if request.htmx:
        return _queue(request, params, corpora, message=(message, level), status=status)
    (messages.error if level == "error" else messages.success)(request, message)
    return redirect(f"{reverse('incident_queue')}?{_query(params)}")


def _query(params: QueryDict, **changes: Any) -> str:
    kept = {name: params.get(name, "") for name in ("corpus", "decision", "i")}
    kept.update(changes)
    return urlencode({k: v for k, v in kept.items() if v not in ("", None)})


def _listed(params: QueryDict, corpora: list[Corpus]) -> tuple[Any, Corpus | None, str]:
    """The suggestions the queue lists with these filters, the corpus and decision chosen."""
    corpus = next((c for c in corpora if str(c.pk) == params.get("corpus", "")), None)
    decision = params.get("decision", "")
    if decision not in dict(DECISION_FILTERS):
        decision = ""
    # The corpora as ids, not as a subquery: with one corpus the queue is then an index range
    # in score order (incident_cand_corpus_queue) instead of a sort of all its pairs.
    listed = IncidentCandidate.objects.filter(corpus__in=[corpus] if corpus else corpora)
    if decision:
        listed = listed.filter(decision=decision)
    return listed, corpus, decision


def _position(listed: Any, candidate: IncidentCandidate) -> int:
    """Where a pending suggestion stands in the queue (pending first, best score first)."""
    if not listed.filter(pk=candidate.pk).exists():
        return 0
    ahead = listed.filter(
        Q(score__gt=candidate.score) | Q(score=candidate.score, pk__lt=candidate.pk),
        decision=IncidentCandidate.PENDING,
    )
    return ahead.count()


def _at(listed: Any, pending: Any, waiting: int, index: int) -> IncidentCandidate | None:
    """The pair at a position of the queue: pending pairs first, then decided ones, each best
    first. Two index ranges rather than one sort of every pair by "is it pending"."""
    if index < waiting:
        part, offset = pending, index
    else:
        part, offset = listed.exclude(decision=IncidentCandidate.PENDING), index - waiting
    return part.best_first().select_related("decided_by")[offset : offset + 1].first()


def _queue(
    request: HttpRequest,
    params: QueryDict,
    corpora: list[Corpus],
    message: tuple[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    listed, corpus, decision = _listed(params, corpora)
    mine = IncidentCandidate.objects.edited_by(request.user)
    pending = listed.filter(decision=IncidentCandidate.PENDING)
    total, waiting = listed.count(), pending.count()
    index = min(parse_id(params.get("i")) or 0, max(total - 1, 0))
    current = _at(listed, pending, waiting, index) if total else None
    last = incidents.last_decision(mine, request.user)
    context = {
        "corpora": corpora,
        "corpus": corpus,
        "decision": decision,
        "decisions": DECISION_FILTERS,
        "total": total,
        "pending": waiting,
        "index": index,
        "position": index + 1,
        "current": current,
        "pair": _pair(current) if current else None,
        "last": last,
        "message": message,
        "prev_query": _query(params, i=index - 1) if index > 0 else None,
        "next_query": _query(params, i=index + 1) if index + 1 < total else None,
        "here": {"corpus": corpus.pk if corpus else "", "decision": decision, "i": index},
    }
    template = "annotations/incidents.html"
    if request.htmx:
        template += "#queue"
    return render(request, template, context, status=status)


def _pair(candidate: IncidentCandidate) -> dict[str, Any]:
    events = (
        Event.objects.filter(pk__in=(candidate.event_a_id, candidate.event_b_id))
        .select_related("layer__article", "layer__annotator", "place", *ACTORS)
        .prefetch_related("evidence")
    )
    by_id = {e.pk: e for e in events}
    a, b = by_id[candidate.event_a_id], by_id[candidate.event_b_id]
    return {
        "reports": [_report(a), _report(b)],
        "parts": incidents.describe_parts(candidate, a, b),
        "incidents": _incident_links(incidents.incident_of(a), incidents.incident_of(b)),
    }


def _incident_links(mine: Incident | None, theirs: Incident | None) -> list[tuple[str, int]]:
    """Which incidents the two reports are in already, as (words, incident id)."""
    if mine is not None and theirs is not None and mine.pk == theirs.pk:
        return [(_("both reports are in incident #%(pk)s") % {"pk": mine.pk}, mine.pk)]
    return [
        (_("report %(n)s is in incident #%(pk)s") % {"n": n, "pk": incident.pk}, incident.pk)
        for n, incident in enumerate((mine, theirs), start=1)
        if incident is not None
    ]


def _report(event: Event) -> dict[str, Any]:
    article = event.layer.article
    return {
        "event": event,
        "article": article,
        "layer": event.layer,
        "sentences": evidence_sentences(event),
        "fields": event_fields(event),
    }


def evidence_sentences(event: Event) -> list[SafeString]:
    """The sentences of the article that hold the event's evidence, each cited range marked;
    the first sentence when nothing is cited."""
    body = event.layer.article.body
    cited = sorted((e.start, e.end, e.get_field_display()) for e in event.evidence.all())
    spans = sentences(body)
    chosen = [(s, e) for s, e in spans if any(a < e and b > s for a, b, _f in cited)]
    if not chosen:
        chosen = spans[:1]
    return [_marked(body, start, end, cited) for start, end in chosen]


def _marked(body: str, start: int, end: int, cited: list[tuple[int, int, str]]) -> SafeString:
    """The sentence as HTML, each cited range inside it a <mark> titled with its field."""
    pieces: list[SafeString] = []
    at = start
    for a, b, field_name in cited:
        a, b = max(a, at), min(b, end)  # overlapping or out-of-sentence evidence is clipped
        if a >= b:
            continue
        pieces.append(format_html("{}", body[at:a]))
        pieces.append(format_html('<mark title="{}">{}</mark>', field_name, body[a:b]))
        at = b
    pieces.append(format_html("{}", body[at:end]))
    return format_html_join("", "{}", ((p,) for p in pieces))


def event_fields(event: Event) -> list[tuple[str, str, str, bool]]:
    """The fields an editor compares, as (label, value, note, numeric): the note says how
    precise a date or place is, shown apart from the value so that mixed scripts stay in
    order; a numeric value (a date, "5 (4–9)") is set left to right, also in Arabic, where a
    range would otherwise read backwards."""
    when = str(event.event_date) if event.event_date else "—"
    place = _place_name(event.place) if event.place else "—"
    when_note = _note(incidents.TIME_PRECISION, event.event_date, event.time_precision)
    place_note = _note(incidents.GEO_PRECISION, event.place, event.geo_precision)
    return [
        (_("Date"), when, when_note, True),
        (_("Event type"), acled.label(event.event_type), "", False),
        (_("Sub-type"), acled.label(event.sub_event_type), "", False),
        (_("Actors"), _actors(event), "", False),
        (_("Place"), place, place_note, False),
        (_("Fatalities"), _fatalities(event), "", True),
        (_("Source"), event.source or event.layer.article.source or "—", "", False),
    ]


def _note(words: dict, value: Any, precision: int | None) -> str:
    return str(words.get(precision or 1, "")) if value is not None else ""


def _actors(event: Event) -> str:
    sides = []
    for main, assoc in (("actor1", "assoc_actor_1"), ("actor2", "assoc_actor_2")):
        named = [str(a) for a in (getattr(event, main), getattr(event, assoc)) if a is not None]
        if named:
            sides.append(" + ".join(named))
    return " / ".join(sides) or "—"


def _fatalities(event: Event) -> str:
    if event.fatalities is None:
        return _("unknown")
    low, high = event.fatalities_low, event.fatalities_high
    if low is not None and high is not None and (low, high) != (event.fatalities,) * 2:
        return f"{event.fatalities} ({low}–{high})"
    return str(event.fatalities)


def _place_name(place: Place) -> str:
    arabic = arabic_name(place)
    return f"{place.name} · {arabic}" if arabic else place.name


# --- Incidents ---------------------------------------------------------------------------------


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    corpora = list(access.edited_corpora_or_404(request.user))
    corpus = next((c for c in corpora if str(c.pk) == request.GET.get("corpus", "")), None)
    listed = Incident.objects.edited_by(request.user).order_by("-updated", "-pk")
    if corpus:
        listed = listed.filter(corpus=corpus)
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = incidents.reconciled_page(list(page.object_list))
    context = {"corpora": corpora, "corpus": corpus, "page": page, "rows": rows}
    return render(request, "annotations/incident_list.html", context)


class OverrideForm(forms.Form):
    """One field's override: a value to set, or `clear` to go back to the rule."""

    field = forms.ChoiceField(choices=[(f, f) for f in incidents.OVERRIDABLE])
    value = forms.CharField(required=False, max_length=40)
    clear = forms.BooleanField(required=False)
    seen = forms.CharField(required=False, max_length=40)

    def __init__(self, *args: Any, places: list[Place], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.places = {p.pk: p for p in places}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "field" not in data or data.get("clear"):
            return data
        parse = {
            "fatalities": forms.IntegerField(min_value=0, max_value=1_000_000),
            "event_date": forms.DateField(),
            "place": forms.IntegerField(min_value=1),
        }[data["field"]]
        try:
            data["value"] = parse.clean(data.get("value", ""))
        except forms.ValidationError as exc:
            self.add_error("value", exc)
            return data
        if data["field"] == "place":
            place = self.places.get(data["value"]) or Place.objects.filter(pk=data["value"]).first()
            if place is None:
                self.add_error("value", _("No place has this id."))
            data["value"] = place
        return data


@login_required
@require_GET
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = access.get_or_404(Incident.objects.edited_by(request.user), pk)
    return _detail(request, incident)


@login_required
@require_POST
def incident_override(request: HttpRequest, pk: int) -> HttpResponse:
    incident = access.get_or_404(Incident.objects.edited_by(request.user), pk)
    form = OverrideForm(request.POST, places=_member_places(incident))
    if not form.is_valid():
        return _detail(request, incident, form=form, status=422)
    data = form.cleaned_data
    value = None if data["clear"] else data["value"]
    try:
        incident = incidents.set_override(
            incident, data["field"], value, request.user, seen=data["seen"] or None
        )
    except incidents.DecisionRefused as exc:
        return _detail(request, incident, message=(str(exc), "error"), status=409)
    done = _("Override cleared: the rule decides.") if value is None else _("Override saved.")
    if not request.htmx:
        messages.success(request, done)
        return redirect("incident_detail", pk=incident.pk)
    return _detail(request, incident, message=(done, "success"))


@login_required
@require_POST
def incident_take_out(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one report out of the incident (incidents.take_out says what follows)."""
    incident = access.get_or_404(Incident.objects.edited_by(request.user), pk)
    event_id = parse_id(request.POST.get("event"))
    if event_id is None:
        message = (_("Choose a report of this incident to take out."), "error")
        return _detail(request, incident, message=message, status=422)
    try:
        stays = incidents.take_out(incident, event_id, request.user, request.POST.get("seen"))
    except incidents.DecisionRefused as exc:
        if not Incident.objects.filter(pk=incident.pk).exists():
            return _to_list(request, incident, str(exc), "error")
        return _detail(request, incident, message=(str(exc), "error"), status=409)
    if not stays:
        done = _("Report taken out. The incident had one report left, so it is gone.")
        return _to_list(request, incident, done, "success")
    done = _(
        "Report taken out; its pairs with the reports left are marked not the same in the "
        "queue, where undo brings them back."
    )
    if not request.htmx:
        messages.success(request, done)
        return redirect("incident_detail", pk=incident.pk)
    return _detail(request, incident, message=(done, "success"))


def _to_list(request: HttpRequest, incident: Incident, message: str, level: str) -> HttpResponse:
    """The incident is gone: to the list of its corpus, the message shown there."""
    (messages.error if level == "error" else messages.success)(request, message)
    url = f"{reverse('incident_list')}?corpus={incident.corpus_id}"
    # htmx would swap a redirect's page into the panel; it is told to load the page instead.
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _member_places(incident: Incident) -> list[Place]:
    return list(Place.objects.filter(event__in=incident.events.all()).distinct())


def _detail(
    request: HttpRequest,
    incident: Incident,
    form: OverrideForm | None = None,
    message: tuple[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    incident.refresh_from_db()
    reconciled = incidents.reconcile(incident)
    why = incidents.explain(reconciled)
    members = (
        incident.events.select_related("layer__article", "place", *ACTORS)
        .prefetch_related("evidence")
        .order_by("incident_member__id")
    )
    failed = form.cleaned_data.get("field") if form is not None and form.errors else None
    rows = [
        {
            "field": name,
            "label": label,
            "value": _shown(name, reconciled),
            "why": why[name],
            "overridden": name in reconciled["overridden"],
            "numeric": name != "place",
            "form": form if failed == name else None,
            "input": _input_value(name, reconciled),
        }
        for name, label in (
            ("fatalities", _("Fatalities")),
            ("event_date", _("Date")),
            ("place", _("Place")),
        )
    ]
    context = {
        "incident": incident,
        "reconciled": reconciled,
        "rows": rows,
        "sources_why": why["sources"],
        "reports": [_report(e) for e in members],
        "places": _member_places(incident),
        "message": message,
        "form_errors": form.non_field_errors() if form is not None else [],
    }
    template = "annotations/incident.html"
    if request.htmx:
        template += "#incident"
    return render(request, template, context, status=status)


def _shown(name: str, reconciled: dict[str, Any]) -> str:
    value = reconciled[name]
    if value is None:
        return "—"
    if name == "place":
        return _place_name(value)
    if name == "fatalities" and reconciled["fatalities_low"] is not None:
        low, high = reconciled["fatalities_low"], reconciled["fatalities_high"]
        if (low, high) != (value, value):
            return f"{value} ({low}–{high})"
    return str(value)


def _input_value(name: str, reconciled: dict[str, Any]) -> str:
    value = reconciled[name]
    if value is None:
        return ""
    return str(value.pk) if name == "place" else str(value)
