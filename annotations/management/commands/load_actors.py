from django.core.management.base import BaseCommand

from annotations.actors import load_actors


class Command(BaseCommand):
    help = "Load the starting list of actors with Arabic aliases (annotations/data/actors_ar.json)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{load_actors()} actors created")
