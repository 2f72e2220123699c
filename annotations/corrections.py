"""Correction statistics: what annotators did to the machine's spans, per label.

Each annotator layer starts as a copy of the machine layer (every copied span keeps
`derived_from`). Comparing the two tells, for each machine span, whether it was
accepted, relabelled, replaced by a span with other boundaries, or deleted, and
which human spans are new.

An unchanged copy is evidence of acceptance only once someone looked at it: the layer
was handed in (submitted, approved, or returned for changes after a submission), or
the annotator touched that span (linked a place, relabelled it and back). In a layer
still being worked on, the copies nobody touched may simply not have been read yet:
they are counted as "unreviewed", apart from the outcomes, so that a corpus half
annotated does not make the pre-tagger look right about everything below the fold.
Relabelled, shifted, deleted and added spans are human work wherever they are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable

from .models import AuditEntry, Layer, Span

OUTCOMES = ["accepted", "relabelled", "boundary_shifted", "deleted", "added"]
UNREVIEWED = "unreviewed"
# States in which the annotator has declared the whole layer done at least once.
HANDED_IN = (Layer.SUBMITTED, Layer.APPROVED, Layer.CHANGES_REQUESTED)


def compare(
    machine: list[Span],
    human: list[Span],
    reviewed: bool = True,
    touched: Collection[int] = frozenset(),
) -> Counter[tuple[str, str]]:
    """(label, outcome) counts for one annotator layer against its machine layer.

    Machine spans are counted under their own label; added spans under theirs. An
    unchanged copy is "accepted" when the layer was `reviewed` or its id is in `touched`,
    else "unreviewed".
    """
    counts: Counter[tuple[str, str]] = Counter()
    derived = {s.derived_from_id: s for s in human if s.derived_from_id}
    fresh = [s for s in human if not s.derived_from_id]
    shifted: set[int] = set()
    for m in machine:
        copy = derived.get(m.pk)
        if copy and (copy.start, copy.end, copy.label) == (m.start, m.end, m.label):
            counts[m.label, "accepted" if reviewed or copy.pk in touched else UNREVIEWED] += 1
        elif copy and (copy.start, copy.end) == (m.start, m.end):
            counts[m.label, "relabelled"] += 1
        else:
            overlapping = [h for h in fresh if h.start < m.end and m.start < h.end]
            if overlapping:
                shifted.update(h.pk for h in overlapping)
                counts[m.label, "boundary_shifted"] += 1
            else:
                counts[m.label, "deleted"] += 1
    for h in fresh:
        if h.pk not in shifted:
            counts[h.label, "added"] += 1
    return counts


def handed_in(layers: list[Layer]) -> set[int]:
    """The layers whose annotator declared them done: in a handed-in state now, or
    submitted once and being reworked after a return (the audit trail remembers)."""
    now = {layer.pk for layer in layers if layer.state in HANDED_IN}
    rest = [layer.pk for layer in layers if layer.pk not in now]
    before = AuditEntry.objects.filter(
        layer__in=rest, object_type=AuditEntry.ObjectType.LAYER, after__state=Layer.SUBMITTED
    ).values_list("layer_id", flat=True)
    return now | set(before)


def touched_spans(layer_ids: Collection[int]) -> set[int]:
    """Spans of these layers that a person wrote to (each write leaves an audit entry)."""
    return set(
        AuditEntry.objects.filter(
            layer__in=layer_ids, object_type=AuditEntry.ObjectType.SPAN
        ).values_list("object_id", flat=True)
    )


def tally(layers: Iterable[Layer]) -> Counter[tuple[str, str]]:
    """(label, outcome) counts over the given annotator layers, "unreviewed" included."""
    layers = list(layers)
    article_ids = {layer.article_id for layer in layers}
    machine: dict[int, list[Span]] = defaultdict(list)
    for span in Span.objects.filter(layer__kind=Layer.MACHINE, layer__article__in=article_ids):
        machine[span.layer_id].append(span)
    machine_layer = dict(
        Layer.objects.filter(kind=Layer.MACHINE, article__in=article_ids).values_list(
            "article_id", "id"
        )
    )
    human: dict[int, list[Span]] = defaultdict(list)
    for span in Span.objects.filter(layer__in=layers):
        human[span.layer_id].append(span)
    done = handed_in(layers)
    touched = touched_spans([layer.pk for layer in layers if layer.pk not in done])
    total: Counter[tuple[str, str]] = Counter()
    for layer in layers:
        machine_spans = machine.get(machine_layer.get(layer.article_id), [])
        total += compare(machine_spans, human[layer.pk], layer.pk in done, touched)
    return total


def table(total: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Per label, how many spans each outcome had ("unreviewed" is left out)."""
    rows: dict[str, dict[str, int]] = {}
    for (label, outcome), n in sorted(total.items()):
        if outcome in OUTCOMES:
            rows.setdefault(label, dict.fromkeys(OUTCOMES, 0))[outcome] = n
    return rows


def correction_stats(layers: Iterable[Layer]) -> dict[str, dict[str, int]]:
    """Per label, how many machine spans each outcome had, over the given annotator layers."""
    return table(tally(layers))


def unreviewed(total: Counter[tuple[str, str]]) -> int:
    return sum(n for (_label, outcome), n in total.items() if outcome == UNREVIEWED)
