"""Adjudication: merge two or three annotator layers of an article into its gold layer.

What every source layer agrees on goes into gold when the gold layer is made. The rest
becomes a list of *items*, each a question with one answer per source layer:

- ``span``  — a stretch of text where the layers' spans differ (a connected run of
  overlapping spans from any layer; each option is that layer's spans there, maybe none);
- ``link``  — a span all layers agree on, labelled LOC, linked to different places;
- ``event`` — the events in one sentence (an event is anchored at the sentence of its
  first evidence) when the layers' events there differ;
- ``field`` — one field of such an event, once the editor took one layer's event and
  every layer has exactly one event there, where the layers' values differ.

The editor answers an item with one layer's option or "none"; the answer rewrites the
gold layer in that stretch and is remembered in ``Layer.decisions``. Editing gold
directly (relabel, new spans) happens on the ordinary annotation page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import acled
from .events import snapshot
from .models import (
    Article,
    AuditEntry,
    Event,
    Evidence,
    Layer,
    LayerWrite,
    Span,
    SpanRejected,
    audit,
)
from .text import sentences

Action, EVENT = AuditEntry.Action, AuditEntry.ObjectType.EVENT
MAX_SOURCES = 3

# The event fields compared and decided one by one; each carries the columns it sets.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "sub_event_type": ("event_type", "sub_event_type"),
    "event_date": ("event_date", "time_precision"),
    "place": ("place", "geo_precision"),
    "fatalities": ("fatalities", "fatalities_low", "fatalities_high"),
    "actor1": ("actor1",),
    "actor2": ("actor2",),
    "civilian_targeting": ("civilian_targeting",),
}
# How the page names them.
FIELD_LABELS = {
    "sub_event_type": gettext_lazy("event type"),
    "event_date": gettext_lazy("date"),
    "place": gettext_lazy("place"),
    "fatalities": gettext_lazy("fatalities"),
    "actor1": gettext_lazy("actor 1"),
    "actor2": gettext_lazy("actor 2"),
    "civilian_targeting": gettext_lazy("civilian targeting"),
}
# Which evidence field backs each event field (the evidence moves with the value).
EVIDENCE_FOR = {
    "sub_event_type": "event_type",
    "event_date": "event_date",
    "place": "location",
    "fatalities": "fatalities",
    "actor1": "actor1",
    "actor2": "actor2",
}


class AdjudicationRefused(SpanRejected):
    """A decision named an unknown item or option, or the gold layer is not editable."""


@dataclass(frozen=True)
class Run:
    """A piece of an option's label. The page isolates each one (<bdi>): a label, Arabic
    words and a place name side by side would otherwise be reordered by the bidi
    algorithm, in a different way in each interface direction."""

    text: str
    kind: str = "value"  # "value", "arabic" (words of the article), "arrow" or "sep"


@dataclass
class Option:
    choice: str  # the source layer's id, as in the form
    who: str
    spans: list[Span] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    value: str = ""
    runs: list[Run] = field(default_factory=list)  # `value`, in pieces for the page


@dataclass
class Item:
    key: str
    kind: str
    start: int
    end: int
    text: str
    options: list[Option]
    decided: str | None = None
    field: str = ""

    @property
    def field_label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))

    @property
    def span_ids(self) -> list[int]:
        return [s.pk for o in self.options for s in o.spans]


def sources(article: Article) -> list[Layer]:
    """The annotator layers to adjudicate: started ones, handed-in first, at most three."""
    layers = (
        article.layers.filter(kind=Layer.ANNOTATOR)
        .exclude(state=Layer.NEW)
        .select_related("annotator")
    )
    rank = {Layer.APPROVED: 0, Layer.SUBMITTED: 1}
    ordered = sorted(layers, key=lambda x: (rank.get(x.state, 2), x.annotator.username))
    return sorted(ordered[:MAX_SOURCES], key=lambda x: x.annotator.username)


def _span_key(span: Span) -> tuple[int, int, str]:
    return (span.start, span.end, span.label)


def _clusters(by_layer: dict[int, list[Span]]) -> list[tuple[int, int, dict[int, list[Span]]]]:
    """Connected runs of overlapping spans across layers: (start, end, {layer: spans})."""
    every = sorted(
        ((s, layer_id) for layer_id, spans in by_layer.items() for s in spans),
        key=lambda pair: (pair[0].start, pair[0].end),
    )
    runs: list[tuple[int, int, dict[int, list[Span]]]] = []
    for span, layer_id in every:
        if runs and span.start < runs[-1][1]:
            start, end, members = runs[-1]
            members[layer_id].append(span)
            runs[-1] = (start, max(end, span.end), members)
        else:
            members = defaultdict(list)
            members[layer_id].append(span)
            runs.append((span.start, span.end, members))
    return runs


def _span_stretches(
    layers: list[Layer],
) -> Iterator[tuple[int, int, list[list[Span]], bool]]:
    """Each stretch of overlapping spans across the source layers: (start, end, each layer's
    spans there in order, whether every layer has the same spans)."""
    spans = {
        layer.pk: list(layer.spans.select_related("place").order_by("start", "end"))
        for layer in layers
    }
    for start, end, members in _clusters(spans):
        groups = [sorted(members.get(layer.pk, []), key=_span_key) for layer in layers]
        same = all([_span_key(s) for s in g] == [_span_key(s) for s in groups[0]] for g in groups)
        yield start, end, groups, same


def _sentence_index(body: str) -> list[tuple[int, int]]:
    return list(sentences(body))


def _anchor(event: Event, bounds: list[tuple[int, int]]) -> tuple[str, int, int]:
    """The sentence an event is about (its first evidence), the key events are matched by."""
    evidence = sorted(e.start for e in event.evidence.all())
    if evidence:
        for i, (start, end) in enumerate(bounds):
            if start <= evidence[0] < end:
                return (f"s{i}", start, end)
    # No evidence: events of the same sub-type and date are taken to be the same event.
    return (f"{event.sub_event_type}|{event.event_date}", 0, 0)


def _event_clusters(
    layers: list[Layer], body: str
) -> dict[str, tuple[int, int, dict[int, list[Event]]]]:
    bounds = _sentence_index(body)
    found: dict[str, tuple[int, int, dict[int, list[Event]]]] = {}
    for layer in layers:
        for event in layer.events.select_related("place", "actor1", "actor2").prefetch_related(
            "evidence"
        ):
            key, start, end = _anchor(event, bounds)
            found.setdefault(key, (start, end, defaultdict(list)))[2][layer.pk].append(event)
    return found


def _event_value(event: Event, name: str) -> Any:
    if name == "place":
        return event.place_id
    if name in ("actor1", "actor2"):
        return getattr(event, f"{name}_id")
    return getattr(event, name)


def _event_label(event: Event, name: str) -> str:
    value = getattr(event, name)
    if value is None or value == "":
        return "—"
    return str(value)


def _field_text(event: Event, name: str) -> str:
    """The field's value as the page shows it: yes and no in the reader's language."""
    value = getattr(event, name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return _event_label(event, name)


def _same_events(groups: list[list[Event]]) -> bool:
    if any(len(g) != 1 for g in groups):
        return False
    first = groups[0][0]
    return all(
        _event_value(g[0], name) == _event_value(first, name)
        for g in groups[1:]
        for name in EVENT_FIELDS
    )


def _describe_spans(spans: list[Span], body: str) -> str:
    return " · ".join(
        f"{s.label} «{body[s.start : s.end]}»{' → ' + str(s.place) if s.place_id else ''}"
        for s in sorted(spans, key=lambda s: s.start)
    )


def _describe_events(events: list[Event]) -> str:
    return " · ".join(
        f"{acled.label(e.sub_event_type)} {e.event_date or '—'} {e.place or '—'} "
        f"{'' if e.fatalities is None else e.fatalities}"
        for e in events
    )


def _span_runs(spans: list[Span], body: str) -> list[Run]:
    runs: list[Run] = []
    for span in sorted(spans, key=lambda s: s.start):
        if runs:
            runs.append(Run("·", "sep"))
        runs += [Run(span.label), Run(body[span.start : span.end], "arabic")]
        if span.place_id:
            runs += [Run("", "arrow"), Run(str(span.place))]
    return runs or [Run("—")]


def _event_runs(events: list[Event]) -> list[Run]:
    runs: list[Run] = []
    for event in events:
        if runs:
            runs.append(Run("·", "sep"))
        runs += [Run(acled.label(event.sub_event_type)), Run(str(event.event_date or "—"))]
        runs.append(Run(str(event.place or "—")))
        if event.fatalities is not None:
            runs.append(Run(str(event.fatalities)))
    return runs or [Run("—")]


def unsaved_gold(article: Article) -> Layer:
    """What the adjudication page shows before the first answer makes the gold layer."""
    return Layer(article=article, kind=Layer.GOLD, state=Layer.IN_PROGRESS)


def agreed_spans(layers: list[Layer]) -> list[Span]:
    """The spans every source layer has (unsaved, without a layer): gold starts with them."""
    agreed: list[Span] = []
    for _start, _end, groups, same in _span_stretches(layers):
        if same:
            for i, span in enumerate(groups[0]):
                places = {g[i].place_id for g in groups}
                agreed.append(
                    Span(
                        start=span.start,
                        end=span.end,
                        label=span.label,
                        # Links enter gold only when every layer chose the same place.
                        place_id=span.place_id if len(places) == 1 else None,
                        link_status=span.link_status if len(places) == 1 else "",
                    )
                )
    return agreed


def gold_layer(article: Article, user: Any) -> Layer:
    """The article's gold layer; made the first time with everything the sources agree on."""
    gold = article.layers.filter(kind=Layer.GOLD).first()
    if gold:
        return gold
    layers = sources(article)
    with transaction.atomic():
        gold = Layer.objects.create(article=article, kind=Layer.GOLD, state=Layer.IN_PROGRESS)
        agreed = agreed_spans(layers)
        for span in agreed:
            span.layer = gold
        Span.objects.bulk_create(agreed)
        clusters = _event_clusters(layers, article.body)
        for _key, (_s, _e, members) in clusters.items():
            groups = [members.get(layer.pk, []) for layer in layers]
            if layers and _same_events(groups):
                _copy_events(groups[0], gold)
        audit(
            gold,
            user,
            Action.CREATE,
            gold.pk,
            None,
            {"spans": len(agreed)},
            AuditEntry.ObjectType.LAYER,
        )
    return gold


def _copy_events(events: list[Event], target: Layer) -> list[Event]:
    made = []
    for event in events:
        evidence = list(event.evidence.all())
        copy = Event.objects.get(pk=event.pk)
        copy.pk, copy.layer, copy.derived_from_id, copy.origin = None, target, event.pk, Span.HUMAN
        copy.save()
        Evidence.objects.bulk_create(
            Evidence(event=copy, field=e.field, start=e.start, end=e.end) for e in evidence
        )
        made.append(copy)
    return made


def items(article: Article, gold: Layer, layers: list[Layer] | None = None) -> list[Item]:
    """Every disagreement between the source layers, in text order, with its decision."""
    layers = sources(article) if layers is None else layers
    body = article.body
    found: list[Item] = []
    for start, end, groups, same in _span_stretches(layers):
        if not same:
            key = f"span:{start}-{end}"
            found.append(
                Item(
                    key=key,
                    kind="span",
                    start=start,
                    end=end,
                    text=body[start:end],
                    options=[
                        Option(
                            str(layer.pk),
                            layer.annotator.username,
                            spans=group,
                            value=_describe_spans(group, body) or "—",
                            runs=_span_runs(group, body),
                        )
                        for layer, group in zip(layers, groups, strict=True)
                    ],
                )
            )
            continue
        for i, span in enumerate(groups[0]):
            if span.label != "LOC" or len({g[i].place_id for g in groups}) == 1:
                continue
            found.append(
                Item(
                    key=f"link:{span.start}-{span.end}",
                    kind="link",
                    start=span.start,
                    end=span.end,
                    text=body[span.start : span.end],
                    options=[
                        Option(
                            str(layer.pk),
                            layer.annotator.username,
                            spans=[g[i]],
                            value=str(g[i].place) if g[i].place_id else "—",
                            runs=[Run(str(g[i].place) if g[i].place_id else "—")],
                        )
                        for layer, g in zip(layers, groups, strict=True)
                    ],
                )
            )
    for anchor, (start, end, members) in _event_clusters(layers, body).items():
        groups = [members.get(layer.pk, []) for layer in layers]
        if _same_events(groups):
            continue
        key = f"event:{anchor}"
        # Events without evidence have no sentence; their anchor names sub-type and date.
        text = body[start:end] if end else anchor.replace("|", " ")
        found.append(
            Item(
                key=key,
                kind="event",
                start=start,
                end=end,
                text=text,
                options=[
                    Option(
                        str(layer.pk),
                        layer.annotator.username,
                        events=group,
                        value=_describe_events(group) or "—",
                        runs=_event_runs(group),
                    )
                    for layer, group in zip(layers, groups, strict=True)
                ],
            )
        )
        taken = gold.decisions.get(key, {})
        if all(len(g) == 1 for g in groups) and taken.get("choice") not in (None, "none"):
            for name in EVENT_FIELDS:
                values = {_event_value(g[0], name) for g in groups}
                if len(values) > 1:
                    found.append(
                        Item(
                            key=f"{key}:{name}",
                            kind="field",
                            field=name,
                            start=start,
                            end=end,
                            text=name,
                            options=[
                                Option(
                                    str(layer.pk),
                                    layer.annotator.username,
                                    events=g,
                                    value=_event_label(g[0], name),
                                    runs=[Run(_field_text(g[0], name))],
                                )
                                for layer, g in zip(layers, groups, strict=True)
                            ],
                        )
                    )
    found.sort(key=lambda item: (item.start, item.kind != "span", item.key))
    for item in found:
        item.decided = gold.decisions.get(item.key, {}).get("choice")
    return found


def decide(article: Article, gold: Layer, user: Any, key: str, choice: str, version: int) -> Item:
    """Answer one item with a source layer's option (its id) or "none"; gold changes to match."""
    if gold.locked:
        raise AdjudicationRefused(_("The gold layer is approved; reopen it to change it."))
    item = next((i for i in items(article, gold) if i.key == key), None)
    if item is None:
        raise AdjudicationRefused(_("There is no such disagreement in this article."))
    option = next((o for o in item.options if o.choice == choice), None)
    if option is None and choice != "none":
        raise AdjudicationRefused(_("Choose one of the annotators' answers, or none."))
    if item.kind in ("link", "field") and option is None:
        raise AdjudicationRefused(_("A place or an event field is taken from one annotator."))
    with gold.writing(user, version) as write:
        decisions = dict(Layer.objects.get(pk=gold.pk).decisions)
        record: dict[str, Any] = {"choice": choice}
        if item.kind == "span":
            _replace_spans(write, item, option)
        elif item.kind == "link":
            _take_link(write, item, option)
        elif item.kind == "event":
            record["events"] = _replace_events(write, decisions.get(item.key, {}), option)
            # A new choice of event invalidates the field answers made on the old one.
            for stale in [k for k in decisions if k.startswith(item.key + ":")]:
                del decisions[stale]
        else:
            _take_field(write, decisions.get(item.key.rsplit(":", 1)[0], {}), item, option)
        decisions[item.key] = record
        Layer.objects.filter(pk=gold.pk).update(decisions=decisions)
        gold.decisions = decisions
    item.decided = choice
    return item


def _replace_spans(write: LayerWrite, item: Item, option: Option | None) -> None:
    gold = write.layer
    for old in gold.spans.filter(start__lt=item.end, end__gt=item.start):
        before = old.snapshot()
        old_id = old.pk
        old.delete()
        write.record(Action.DELETE, old_id, before, None)
    for span in option.spans if option else []:
        made = Span.objects.create(
            layer=gold,
            start=span.start,
            end=span.end,
            label=span.label,
            place_id=span.place_id,
            link_status=span.link_status,
            geo_precision=span.geo_precision,
        )
        write.record(Action.CREATE, made.pk, None, made.snapshot())


def _take_link(write: LayerWrite, item: Item, option: Option) -> None:
    source = option.spans[0]
    same = {"start": source.start, "end": source.end, "label": source.label}
    target = write.layer.spans.filter(**same).first()
    if target is None:
        raise AdjudicationRefused(_("The gold layer no longer has this span; add it first."))
    before = target.snapshot()
    target.place_id, target.link_status = source.place_id, source.link_status
    target.geo_precision = source.geo_precision
    target.save(update_fields=["place", "link_status", "geo_precision"])
    write.record(Action.UPDATE, target.pk, before, target.snapshot())


def _replace_events(write: LayerWrite, previous: dict, option: Option | None) -> list[int]:
    gold = write.layer
    for old in gold.events.filter(pk__in=previous.get("events", [])).prefetch_related("evidence"):
        before = snapshot(old)
        old_id = old.pk
        old.delete()
        write.record(Action.DELETE, old_id, before, None, EVENT)
    made = _copy_events(option.events, gold) if option else []
    for event in made:
        write.record(Action.CREATE, event.pk, None, snapshot(event), EVENT)
    return [e.pk for e in made]


def _take_field(write: LayerWrite, parent: dict, item: Item, option: Option) -> None:
    targets = write.layer.events.filter(pk__in=parent.get("events", []))
    target = targets.prefetch_related("evidence").first()
    if target is None or parent.get("choice") in (None, "none"):
        raise AdjudicationRefused(_("Take one annotator's event first, then its fields."))
    source = option.events[0]
    before = snapshot(target)
    for column in EVENT_FIELDS[item.field]:
        attname = Event._meta.get_field(column).attname
        setattr(target, attname, getattr(source, attname))
    target.save()
    evidence_field = EVIDENCE_FOR.get(item.field)
    if evidence_field:
        target.evidence.filter(field=evidence_field).delete()
        Evidence.objects.bulk_create(
            Evidence(event=target, field=e.field, start=e.start, end=e.end)
            for e in source.evidence.all()
            if e.field == evidence_field
        )
    write.record(Action.UPDATE, target.pk, before, snapshot(target), EVENT)
