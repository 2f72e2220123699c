"""An article's audit trail as sentences a person reads: who did what to which words.

Audit entries keep raw snapshots, with offsets and the ids of places and actors, so that
nothing is lost; this module turns a page of them into rows for the history pages:

    {"start": 33, "end": 38, "label": "LOC", "place": None, "link_status": ""}
    → {"start": 33, "end": 38, "label": "LOC", "place": 9372, "link_status": "confirmed"}
    becomes "alice linked «الرقة» (LOC) to Ar Raqqah, Syria — confirmed", with the changed
    fields listed by name (Place: — → Ar Raqqah, Syria) and a link to that paragraph.

Words come from the article body (the snapshots' offsets point into it and it never
changes); users, layers, places and actors for a whole page come from one query each,
never one per row. Every run of Arabic text, label or name is isolated (<bdi>) so that
the sentence reads in order in both interface directions; ids stay out of the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .document import document_for
from .exports.acled import countries
from .models import Actor, Article, AuditEntry, Evidence, IncidentCandidate, Layer, Place, Span

Kind = AuditEntry.ObjectType
CREATE, DELETE = AuditEntry.CREATE, AuditEntry.DELETE


@dataclass
class FieldChange:
    name: str
    before: SafeString | str = ""
    after: SafeString | str = ""


@dataclass
class Row:
    """One audit entry as the history pages show it."""

    entry: AuditEntry
    sentence: SafeString
    layer: str = ""  # whose layer: an annotator's name, "gold", "machine"
    changes: list[FieldChange] = field(default_factory=list)
    url: str = ""  # where in the text the change is, when it is somewhere


@dataclass
class Names:
    """What a page of entries refers to by id, fetched once for the page."""

    article: Article
    users: dict[int, Any]
    layers: dict[int, Layer]
    places: dict[int, Place]
    actors: dict[int, Actor]

    def text(self, start: Any, end: Any) -> str:
        body = self.article.body
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(body):
            return body[start:end]
        return "…"

    # No place, no actor: an empty value (a field change then shows only the other side).
    def place(self, pk: Any) -> SafeString | str:
        place = self.places.get(pk) if pk else None
        if place is None:
            return "" if not pk else _("a place no longer in the gazetteer")
        country = countries().get(place.country_code, {}).get("name", place.country_code)
        return _run(f"{place.name}, {country}" if country else place.name)

    def actor(self, pk: Any) -> SafeString | str:
        actor = self.actors.get(pk) if pk else None
        if actor is None:
            return "" if not pk else _("an actor no longer listed")
        return _run(actor.name)


def describe(entries: Iterable[AuditEntry], article: Article) -> list[Row]:
    """The entries (of one article) as rows, in their order."""
    entries = list(entries)
    names = _names(entries, article)
    return [_row(entry, names) for entry in entries]


def _names(entries: list[AuditEntry], article: Article) -> Names:
    layers = Layer.objects.in_bulk({e.layer_id for e in entries if e.layer_id})
    user_ids = {e.user_id for e in entries} | {x.annotator_id for x in layers.values()}
    place_ids: set[int] = set()
    actor_ids: set[int] = set()
    for entry in entries:
        for snap in (entry.before, entry.after):
            if isinstance(snap, dict):
                place_ids.add(snap.get("place"))
                actor_ids.update((snap.get("actor1"), snap.get("actor2")))
    return Names(
        article=article,
        users=get_user_model().objects.in_bulk(user_ids - {None}),
        layers=layers,
        places=Place.objects.in_bulk(place_ids - {None}),
        actors=Actor.objects.in_bulk(actor_ids - {None}),
    )


def _row(entry: AuditEntry, names: Names) -> Row:
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    user = names.users.get(entry.user_id)
    who = _who(user.get_username() if user else None, entry, after)
    describe_kind = DESCRIBERS.get(entry.object_type, _other)
    sentence, changes, at = describe_kind(entry, before, after, who, names)
    layer = names.layers.get(entry.layer_id)
    return Row(entry, sentence, _layer_name(layer, names), changes, _url(layer, at, names))


def _who(username: str | None, entry: AuditEntry, after: dict) -> SafeString:
    if username:
        return format_html("<b><bdi>{}</bdi></b>", username)
    if entry.object_type == Kind.LAYER and "engines" in after:
        return format_html("<b>{}</b>", _("The pre-tagger"))
    return format_html("<b>{}</b>", _("The system"))


def _layer_name(layer: Layer | None, names: Names) -> str:
    if layer is None:
        return ""
    if layer.kind == Layer.ANNOTATOR:
        user = names.users.get(layer.annotator_id)
        return user.get_username() if user else ""
    return str(layer.get_kind_display())


def _url(layer: Layer | None, at: int | None, names: Names) -> str:
    """The layer's page at the paragraph of the change (its paragraphs carry ids)."""
    if layer is None or at is None or not 0 <= at < len(names.article.body):
        return ""
    paragraph = document_for(names.article.body).paragraph_of(at)
    return f"{reverse('layer_detail', args=[layer.pk])}#para-{paragraph.index}"


def _say(message: str, **parts: Any) -> SafeString:
    """A translated sentence with its parts escaped (parts already safe stay as they are)."""
    return mark_safe(
        conditional_escape(message) % {k: conditional_escape(v) for k, v in parts.items()}
    )


def _arabic(text: str) -> SafeString:
    return format_html('<bdi dir="rtl" lang="ar">{}</bdi>', text)


def _run(text: Any) -> SafeString:
    """A label, a name or a value whose direction comes from its own letters."""
    return format_html("<bdi>{}</bdi>", text)


# Spans ---------------------------------------------------------------------------------

LINK_STATUS = dict(Span.LINK_STATUSES)


def _span(entry: AuditEntry, before: dict, after: dict, who: SafeString, names: Names):
    now = after or before
    text = _arabic(names.text(now.get("start"), now.get("end")))
    label = _run(now.get("label", ""))
    at = now.get("start")
    if entry.action == CREATE and after.get("place"):
        message = _("%(who)s added «%(text)s» as %(label)s, linked to %(place)s")
        place = names.place(after["place"])
        return _say(message, who=who, text=text, label=label, place=place), [], at
    if entry.action == CREATE:
        message = _("%(who)s added «%(text)s» as %(label)s")
        return _say(message, who=who, text=text, label=label), [], at
    if entry.action == DELETE:
        message = _("%(who)s deleted the span «%(text)s» (%(label)s)")
        return _say(message, who=who, text=text, label=label), [], at
    changes = _span_changes(before, after, names)
    if (before.get("start"), before.get("end")) != (after.get("start"), after.get("end")):
        old = _arabic(names.text(before.get("start"), before.get("end")))
        message = _("%(who)s moved the span «%(old)s» to «%(text)s»")
        sentence = _say(message, who=who, old=old, text=text)
    elif before.get("label") != after.get("label"):
        message = _("%(who)s relabelled «%(text)s» %(old)s → %(new)s")
        old = _run(before.get("label", ""))
        sentence = _say(message, who=who, text=text, old=old, new=label)
    elif after.get("place"):
        message = _("%(who)s linked «%(text)s» (%(label)s) to %(place)s — %(status)s")
        place = names.place(after["place"])
        status = LINK_STATUS.get(after.get("link_status", ""), after.get("link_status"))
        sentence = _say(message, who=who, text=text, label=label, place=place, status=status)
    elif before.get("place"):
        message = _("%(who)s removed the place of «%(text)s» (%(label)s)")
        sentence = _say(message, who=who, text=text, label=label)
    else:
        message = _("%(who)s changed the span «%(text)s» (%(label)s)")
        sentence = _say(message, who=who, text=text, label=label)
    return sentence, changes, at


def _span_changes(before: dict, after: dict, names: Names) -> list[FieldChange]:
    changes = []
    if (before.get("start"), before.get("end")) != (after.get("start"), after.get("end")):
        old = names.text(before.get("start"), before.get("end"))
        new = names.text(after.get("start"), after.get("end"))
        changes.append(FieldChange(_("Text"), _arabic(old), _arabic(new)))
    if before.get("label") != after.get("label"):
        changes.append(FieldChange(_("Label"), _run(before.get("label")), _run(after.get("label"))))
    if before.get("place") != after.get("place"):
        old, new = names.place(before.get("place")), names.place(after.get("place"))
        changes.append(FieldChange(_("Place"), old, new))
    if before.get("link_status", "") != after.get("link_status", ""):
        old, new = before.get("link_status", ""), after.get("link_status", "")
        changes.append(FieldChange(_("Link"), LINK_STATUS.get(old, old), LINK_STATUS.get(new, new)))
    return changes


# Events --------------------------------------------------------------------------------

EVIDENCE_FIELDS = dict(Evidence.FIELDS)


def _event_field_names() -> dict[str, str]:
    return {
        "sub_event_type": _("Event type"),
        "event_date": _("Date"),
        "place": _("Place"),
        "fatalities": _("Fatalities"),
        "actor1": _("Actor 1"),
        "actor2": _("Actor 2"),
    }


def _event_value(key: str, value: Any, names: Names) -> SafeString | str:
    if key == "place":
        return names.place(value)
    if key in ("actor1", "actor2"):
        return names.actor(value)
    return "" if value in (None, "") else _run(value)


def _event(entry: AuditEntry, before: dict, after: dict, who: SafeString, names: Names):
    now = after or before
    kind = _run(now.get("sub_event_type") or "—")
    fields = _event_field_names()
    at = min((start for _f, start, _e in _evidence(now)), default=None)
    if entry.action in (CREATE, DELETE):
        # What the event said when it was made or deleted, field by field.
        changes = [
            FieldChange(name, after=_event_value(key, now.get(key), names))
            for key, name in fields.items()
            if key != "sub_event_type" and now.get(key) not in (None, "")
        ]
        if entry.action == CREATE:
            return _say(_("%(who)s coded the event %(type)s"), who=who, type=kind), changes, at
        return _say(_("%(who)s deleted the event %(type)s"), who=who, type=kind), changes, at
    changes = [
        FieldChange(
            name,
            _event_value(key, before.get(key), names),
            _event_value(key, after.get(key), names),
        )
        for key, name in fields.items()
        if before.get(key) != after.get(key)
    ]
    cited = sorted(_evidence(after) - _evidence(before))
    dropped = sorted(_evidence(before) - _evidence(after))
    if not changes and bool(cited) != bool(dropped):
        # Citing (or removing) evidence is a write of its own: the words lead the sentence.
        return _evidence_sentence(cited or dropped, bool(cited), who, kind, names)
    changes += [_evidence_change(e, names, added=True) for e in cited]
    changes += [_evidence_change(e, names, added=False) for e in dropped]
    return _say(_("%(who)s edited the event %(type)s"), who=who, type=kind), changes, at


def _evidence(snapshot: dict) -> set[tuple[str, int, int]]:
    return {tuple(e) for e in snapshot.get("evidence") or [] if len(e) == 3}


def _evidence_sentence(
    evidence: list[tuple[str, int, int]], added: bool, who: SafeString, kind: str, names: Names
):
    name, start, end = evidence[0]
    if added:
        message = _("%(who)s cited «%(text)s» as evidence for %(field)s (%(type)s)")
    else:
        message = _("%(who)s removed «%(text)s» as evidence for %(field)s (%(type)s)")
    field_name = capfirst(EVIDENCE_FIELDS.get(name, name))
    text = _arabic(names.text(start, end))
    sentence = _say(message, who=who, text=text, field=field_name, type=kind)
    return sentence, [_evidence_change(e, names, added) for e in evidence[1:]], start


def _evidence_change(evidence: tuple, names: Names, added: bool) -> FieldChange:
    name, start, end = evidence
    label = _("Evidence for %(field)s") % {"field": EVIDENCE_FIELDS.get(name, name)}
    text = _arabic(names.text(start, end))
    return FieldChange(label, after=text) if added else FieldChange(label, before=text)


# Layers, assignments, the article ------------------------------------------------------


def _layer(entry: AuditEntry, before: dict, after: dict, who: SafeString, names: Names):
    layer = names.layers.get(entry.layer_id)
    annotator = _run(_layer_name(layer, names)) if layer else "—"
    gold = layer is not None and layer.kind == Layer.GOLD
    if "engines" in after:
        changes = [
            FieldChange(_("Spans"), _count(before.get("spans")), _count(after.get("spans"))),
            FieldChange(_("Events"), "", _count(after.get("events"))),
            FieldChange(_("Engines"), _engines(before.get("engines")), _engines(after["engines"])),
        ]
        return _say(_("%(who)s tagged the article"), who=who), changes, None
    if entry.action == CREATE:
        changes = [
            FieldChange(_("Spans all annotators agree on"), after=_count(after.get("spans")))
        ]
        return _say(_("%(who)s started the gold layer"), who=who), changes, None
    old, new = before.get("state"), after.get("state")
    changes = []
    if before.get("comment", "") != after.get("comment", "") and after.get("comment"):
        changes.append(
            FieldChange(
                _("Comment"), after=format_html('<bdi dir="auto">{}</bdi>', after["comment"])
            )
        )
    if new == Layer.SUBMITTED:
        message = _("%(who)s submitted the layer")
    elif new == Layer.APPROVED:
        message = (
            _("%(who)s approved the gold layer")
            if gold
            else _("%(who)s approved the layer of %(annotator)s")
        )
    elif new == Layer.CHANGES_REQUESTED:
        message = _("%(who)s asked %(annotator)s for changes")
    elif gold and old == Layer.APPROVED:
        message = _("%(who)s reopened the gold layer")
    else:
        states = dict(Layer.STATES)
        changes.insert(
            0, FieldChange(_("State"), states.get(old, old or "—"), states.get(new, new or "—"))
        )
        message = _("%(who)s changed the layer's state")
    return _say(message, who=who, annotator=annotator), changes, None


def _assignment(entry: AuditEntry, before: dict, after: dict, who: SafeString, names: Names):
    if entry.action == DELETE:
        message = _("%(who)s took the article away from %(annotator)s")
        return _say(message, who=who, annotator=_run(before.get("annotator", "—"))), [], None
    message = _("%(who)s assigned the article to %(annotator)s")
    return _say(message, who=who, annotator=_run(after.get("annotator", "—"))), [], None


def _article(entry: AuditEntry, before: dict, after: dict, who: SafeString, names: Names):
    if "published_at" not in after:
        return _other(entry, before, after, who, names)
    message = _("%(who)s set the publication date to %(date)s")
    changes = [
        FieldChange(
            _("Publication date"),
            _plain(before.get("published_at")),
            _run(after["published_at"]),
        )
    ]
    if after.get("events_redated"):
        changes.append(
            FieldChange(
                _("Suggested event dates resolved again"), after=_count(after["events_redated"])
            )
        )
    return _say(message, who=who, date=_run(after["published_at"])), changes, None


# The fields that incidents and suggested matches record (incidents._audit), as the page
# names them; a field not listed shows its own name.
FIELD_NAMES: dict[str, Any] = {
    "decision": gettext_lazy("Decision"),
    "incident": gettext_lazy("Incident"),
    "events": gettext_lazy("Events"),
    "dissolved": gettext_lazy("Dissolved"),
    "taken_out": gettext_lazy("Report taken out"),
    "deleted_event": gettext_lazy("Deleted event"),
    "fatalities": gettext_lazy("Fatalities"),
    "event_date": gettext_lazy("Date"),
    "place": gettext_lazy("Place"),
}
DECISIONS = dict(IncidentCandidate.DECISIONS)


def _other(entry: AuditEntry, before: dict, after: dict, who: SafeString, names: Names):
    """Incidents, suggested matches and any kind this module has no sentence for: their
    fields by name, never a dict."""
    what = dict(Kind.choices).get(entry.object_type, entry.object_type)
    message = {
        CREATE: _("%(who)s created a %(what)s"),
        DELETE: _("%(who)s deleted a %(what)s"),
    }.get(entry.action, _("%(who)s changed a %(what)s"))
    changes = [
        FieldChange(
            FIELD_NAMES.get(key) or capfirst(key.replace("_", " ")),
            _field_value(key, before.get(key), names),
            _field_value(key, after.get(key), names),
        )
        for key in dict.fromkeys([*before, *after])
        if before.get(key) != after.get(key)
    ]
    return _say(message, who=who, what=what), changes, None


def _field_value(key: str, value: Any, names: Names) -> SafeString | str:
    if key == "place" and isinstance(value, int):
        return names.place(value)
    if key == "decision" and value in DECISIONS:
        return _run(DECISIONS[value])
    if isinstance(value, bool):
        return _run(_("yes") if value else _("no"))
    return _plain(value)


def _plain(value: Any) -> SafeString | str:
    if value in (None, ""):
        return ""
    if isinstance(value, list | dict):
        return _run(
            ", ".join(str(v) for v in (value.values() if isinstance(value, dict) else value))
        )
    return _run(value)


def _count(value: Any) -> str:
    return "" if value is None else str(value)


def _engines(engines: Any) -> SafeString | str:
    if not engines:
        return "—"
    return _run(
        ", ".join(f"{e.get('name')} {e.get('version')}" for e in engines if isinstance(e, dict))
    )


Describer = Callable[[AuditEntry, dict, dict, SafeString, Names], tuple[SafeString, list, Any]]
DESCRIBERS: dict[str, Describer] = {
    Kind.SPAN: _span,
    Kind.EVENT: _event,
    Kind.LAYER: _layer,
    Kind.ASSIGNMENT: _assignment,
    Kind.ARTICLE: _article,
}
