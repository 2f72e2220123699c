"""The ACLED event schema: event types with their sub-event types, and actor type codes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import pgettext_lazy

EVENT_TYPES: dict[str, list[str]] = {
    "Battles": [
        "Armed clash",
        "Government regains territory",
        "Non-state actor overtakes territory",
    ],
    "Explosions/Remote violence": [
        "Chemical weapon",
        "Air/drone strike",
        "Suicide bomb",
        "Shelling/artillery/missile attack",
        "Remote explosive/landmine/IED",
        "Grenade",
    ],
    "Violence against civilians": ["Sexual violence", "Attack", "Abduction/forced disappearance"],
    "Protests": [
        "Peaceful protest",
        "Protest with intervention",
        "Excessive force against protesters",
    ],
    "Riots": ["Violent demonstration", "Mob violence"],
    "Strategic developments": [
        "Agreement",
        "Arrests",
        "Change to group/activity",
        "Disrupted weapons use",
        "Headquarters or base established",
        "Looting/property destruction",
        "Non-violent transfer of territory",
        "Other",
    ],
}
SUB_EVENT_TYPES = {sub: event for event, subs in EVENT_TYPES.items() for sub in subs}

# What the interface shows for each name. The stored and exported values stay ACLED's English
# names (the codebook's, which a dataset's users read); an Arabic interface shows Arabic ones.
# The context keeps "Attack" and "Other" apart from the same words elsewhere in the interface.
LABELS: dict[str, Any] = {
    "Battles": pgettext_lazy("ACLED", "Battles"),
    "Armed clash": pgettext_lazy("ACLED", "Armed clash"),
    "Government regains territory": pgettext_lazy("ACLED", "Government regains territory"),
    "Non-state actor overtakes territory": pgettext_lazy(
        "ACLED", "Non-state actor overtakes territory"
    ),
    "Explosions/Remote violence": pgettext_lazy("ACLED", "Explosions/Remote violence"),
    "Chemical weapon": pgettext_lazy("ACLED", "Chemical weapon"),
    "Air/drone strike": pgettext_lazy("ACLED", "Air/drone strike"),
    "Suicide bomb": pgettext_lazy("ACLED", "Suicide bomb"),
    "Shelling/artillery/missile attack": pgettext_lazy(
        "ACLED", "Shelling/artillery/missile attack"
    ),
    "Remote explosive/landmine/IED": pgettext_lazy("ACLED", "Remote explosive/landmine/IED"),
    "Grenade": pgettext_lazy("ACLED", "Grenade"),
    "Violence against civilians": pgettext_lazy("ACLED", "Violence against civilians"),
    "Sexual violence": pgettext_lazy("ACLED", "Sexual violence"),
    "Attack": pgettext_lazy("ACLED", "Attack"),
    "Abduction/forced disappearance": pgettext_lazy("ACLED", "Abduction/forced disappearance"),
    "Protests": pgettext_lazy("ACLED", "Protests"),
    "Peaceful protest": pgettext_lazy("ACLED", "Peaceful protest"),
    "Protest with intervention": pgettext_lazy("ACLED", "Protest with intervention"),
    "Excessive force against protesters": pgettext_lazy(
        "ACLED", "Excessive force against protesters"
    ),
    "Riots": pgettext_lazy("ACLED", "Riots"),
    "Violent demonstration": pgettext_lazy("ACLED", "Violent demonstration"),
    "Mob violence": pgettext_lazy("ACLED", "Mob violence"),
    "Strategic developments": pgettext_lazy("ACLED", "Strategic developments"),
    "Agreement": pgettext_lazy("ACLED", "Agreement"),
    "Arrests": pgettext_lazy("ACLED", "Arrests"),
    "Change to group/activity": pgettext_lazy("ACLED", "Change to group/activity"),
    "Disrupted weapons use": pgettext_lazy("ACLED", "Disrupted weapons use"),
    "Headquarters or base established": pgettext_lazy("ACLED", "Headquarters or base established"),
    "Looting/property destruction": pgettext_lazy("ACLED", "Looting/property destruction"),
    "Non-violent transfer of territory": pgettext_lazy(
        "ACLED", "Non-violent transfer of territory"
    ),
    "Other": pgettext_lazy("ACLED", "Other"),
}


def label(name: str | None) -> str:
    """The interface's name for an ACLED event type or sub-type; anything else as it is."""
    return str(LABELS.get(name, name)) if name else ""


def type_choices() -> list[tuple[str, Any]]:
    return [(t, LABELS[t]) for t in EVENT_TYPES]


def sub_type_choices() -> list[tuple[Any, list[tuple[str, Any]]]]:
    """Sub-types grouped under their event type, for a select's optgroups."""
    return [(LABELS[t], [(s, LABELS[s]) for s in subs]) for t, subs in EVENT_TYPES.items()]


# inter1/inter2 codes.
ACTOR_TYPES = [
    (1, "State forces"),
    (2, "Rebel groups"),
    (3, "Political militias"),
    (4, "Identity militias"),
    (5, "Rioters"),
    (6, "Protesters"),
    (7, "Civilians"),
    (8, "External/other forces"),
]

# disorder_type in ACLED's CSV, by event type.
DISORDER = {
    "Battles": "Political violence",
    "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence",
    "Protests": "Demonstrations",
    "Riots": "Political violence; Demonstrations",
    "Strategic developments": "Strategic developments",
}


def interaction(code1: int | None, code2: int | None) -> int | None:
    """ACLED's interaction: the two actor type codes as a two-digit number, smaller first
    (12, 27, 78); a lone actor gives its code times ten (10, 60)."""
    codes = sorted(c for c in (code1, code2) if c)
    if not codes:
        return None
    return codes[0] * 10 + (codes[1] if len(codes) > 1 else 0)
