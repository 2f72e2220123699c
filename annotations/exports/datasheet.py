"""The datasheet shipped in a bundle: what was exported, how much, how reliable, by what.

Counts come from the JSONL pass itself (no second reading of the corpus); agreement
from annotations.agreement over the exported articles; tagger versions from the
machine layers' `engines` and the active TaggerModel.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from ..models import Layer, TaggerModel
from . import Selection
from .incidents import RULE, Counts

INCIDENT_COUNTS = (
    "The incident-level files (incidents.csv, incidents.geojson, incidents.jsonl): reports are "
    "the exported articles with at least one event; duplicates removed = events - incidents "
    "(rows); linked incidents are rows of two or more events."
)


@dataclass
class Stats:
    article_ids: list[int] = field(default_factory=list)
    layers: int = 0
    states: Counter[str] = field(default_factory=Counter)
    spans: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    linked_spans: int = 0
    events: int = 0
    event_types: Counter[str] = field(default_factory=Counter)
    events_without_coordinates: int = 0
    conll_dropped: int = 0

    def add(self, record: dict[str, Any]) -> None:
        # Records come article by article, so a new id is a new article.
        if not self.article_ids or self.article_ids[-1] != record["id"]:
            self.article_ids.append(record["id"])
        self.layers += 1
        self.states[record["layer"]["state"]] += 1
        self.spans += len(record["spans"])
        self.labels.update(s["label"] for s in record["spans"])
        self.linked_spans += sum(1 for s in record["spans"] if s["place"])
        self.events += len(record["events"])
        for event in record["events"]:
            self.event_types[f"{event['event_type']} / {event['sub_event_type']}"] += 1
            place = event["place"]
            if not place or place["latitude"] is None or place["longitude"] is None:
                self.events_without_coordinates += 1


def agreement(article_ids: list[int]) -> dict[str, Any]:
    """The agreement measures over the exported articles' annotator layers."""
    from ..agreement import compute  # here: agreement loads numpy and scikit-learn

    if not article_ids:
        return {"available": False, "reason": "no articles exported"}
    return {"available": True, "overall": compute(article_ids).overall}


def taggers(selection: Selection) -> dict[str, Any]:
    """Engine versions of the exported articles' machine layers, and the active CRF model."""
    engines: Counter[tuple[str, str]] = Counter()
    rows = Layer.objects.filter(kind=Layer.MACHINE, article__in=selection.articles()).values_list(
        "engines", flat=True
    )
    for used in rows.iterator(chunk_size=2000):
        for engine in used or []:
            engines[(str(engine.get("name", "")), str(engine.get("version", "")))] += 1
    active = TaggerModel.objects.active()
    return {
        "machine_layer_engines": [
            {"name": name, "version": version, "layers": n}
            for (name, version), n in sorted(engines.items())
        ],
        "active_model": {"name": active.name, "kind": active.kind} if active else None,
    }


def build(
    selection: Selection, stats: Stats, files: list[str], incidents: Counts | None = None
) -> dict[str, Any]:
    """`incidents`: what the incident-level pass counted, when the files include it."""
    sheet = {
        "title": f"Newsdesk export of {selection.corpus.name}",
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "selection": selection.describe(),
        "files": files,
        "counts": {
            "articles": len(stats.article_ids),
            "layers": stats.layers,
            "spans": stats.spans,
            "linked_spans": stats.linked_spans,
            "events": stats.events,
            "events_without_coordinates": stats.events_without_coordinates,
            "conll_dropped_spans": stats.conll_dropped,
        },
        "layer_states": dict(sorted(stats.states.items())),
        "labels": dict(sorted(stats.labels.items())),
        "event_types": dict(sorted(stats.event_types.items())),
        "agreement": agreement(stats.article_ids),
        "taggers": taggers(selection),
    }
    if incidents is not None:
        sheet["incident_level"] = {**incidents.as_dict(), "rule": RULE}
    return sheet


def as_json(sheet: dict[str, Any]) -> str:
    return json.dumps(sheet, ensure_ascii=False, indent=2) + "\n"


def as_markdown(sheet: dict[str, Any]) -> str:
    lines = [f"# {sheet['title']}", "", f"Exported {sheet['exported_at']}.", "", "## Selection", ""]
    lines += [f"- {k}: {v if v is not None else 'any'}" for k, v in sheet["selection"].items()]
    lines += ["", "## Files", "", *[f"- `{name}`" for name in sheet["files"]]]
    lines += ["", "## Counts", "", *_table(sheet["counts"])]
    lines += ["", "## Layer states", "", *_table(sheet["layer_states"])]
    lines += ["", "## Labels (spans)", "", *_table(sheet["labels"])]
    lines += ["", "## Event types", "", *_table(sheet["event_types"])]
    if "incident_level" in sheet:
        level = dict(sheet["incident_level"])
        rule = level.pop("rule")
        lines += ["", "## Incidents", "", *_table(level), "", INCIDENT_COUNTS, "", rule]
    lines += ["", "## Agreement", ""]
    agreement = sheet["agreement"]
    if agreement["available"]:
        overall = agreement["overall"]
        lines += _table({k: "n/a" if v is None else f"{v:.3f}" for k, v in overall.items()})
    else:
        lines.append(f"Unavailable: {agreement['reason']}.")
    lines += ["", "## Taggers", ""]
    tagging = sheet["taggers"]
    engines = tagging["machine_layer_engines"]
    lines += [f"- {e['name']} {e['version']}: {e['layers']} machine layers" for e in engines]
    if not engines:
        lines.append("- no machine layers for these articles")
    active = tagging["active_model"]
    lines.append(
        f"- active model: {active['name']} ({active['kind']})" if active else "- no active model"
    )
    return "\n".join(lines) + "\n"


def _table(values: dict[str, Any]) -> list[str]:
    if not values:
        return ["(none)"]
    return ["| | |", "| --- | ---: |", *[f"| {k} | {v} |" for k, v in values.items()]]
