"""Correction statistics: what annotators did to the machine's spans, per label.

Each annotator layer starts as a copy of the machine layer (every copied span keeps
`derived_from`). Comparing the two tells, for each machine span, whether it was
accepted, relabelled, replaced by a span with other boundaries, or deleted, and
which human spans are new.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from .models import Layer, Span

OUTCOMES = ["accepted", "relabelled", "boundary_shifted", "deleted", "added"]


def compare(machine: list[Span], human: list[Span]) -> Counter[tuple[str, str]]:
    """(label, outcome) counts for one annotator layer against its machine layer.

    Machine spans are counted under their own label; added spans under theirs.
    """
    counts: Counter[tuple[str, str]] = Counter()
    derived = {s.derived_from_id: s for s in human if s.derived_from_id}
    fresh = [s for s in human if not s.derived_from_id]
    shifted: set[int] = set()
    for m in machine:
        copy = derived.get(m.pk)
        if copy and (copy.start, copy.end, copy.label) == (m.start, m.end, m.label):
            counts[m.label, "accepted"] += 1
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


def correction_stats(layers: Iterable[Layer]) -> dict[str, dict[str, int]]:
    """Per label, how many machine spans each outcome had, over the given annotator layers."""
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
    total: Counter[tuple[str, str]] = Counter()
    for layer in layers:
        total += compare(machine.get(machine_layer.get(layer.article_id), []), human[layer.pk])
    table: dict[str, dict[str, int]] = {}
    for (label, outcome), n in sorted(total.items()):
        table.setdefault(label, dict.fromkeys(OUTCOMES, 0))[outcome] = n
    return table
