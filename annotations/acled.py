"""The ACLED event schema: event types with their sub-event types, and actor type codes."""

from __future__ import annotations

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
