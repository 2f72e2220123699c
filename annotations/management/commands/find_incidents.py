from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations.incidents import shared_layers_q
from annotations.models import Corpus, Event, IncidentCandidate, Layer
from annotations.tasks import find_incident_candidates


class Command(BaseCommand):
    help = (
        "Find suggested incident matches for every event of gold and approved layers (all "
        "corpora, or one): queued for the background worker, or found now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpus", help="only this corpus (its name)")
        parser.add_argument(
            "--now", action="store_true", help="find them here instead of in the worker"
        )

    def handle(self, *args, corpus: str | None, now: bool, **options) -> None:
        layers = Layer.objects.filter(shared_layers_q())
        if corpus:
            if not Corpus.objects.filter(name=corpus).exists():
                raise CommandError(f"No corpus named {corpus!r}.")
            layers = layers.filter(article__corpus__name=corpus)
        # Ids first: the task is idempotent, so a backfill stopped halfway can simply run again.
        ids = list(
            Event.objects.filter(layer__in=layers).order_by("pk").values_list("pk", flat=True)
        )
        if now:
            for pk in ids:
                find_incident_candidates.call(pk)
            pending = IncidentCandidate.objects.filter(decision=IncidentCandidate.PENDING)
            if corpus:
                pending = pending.filter(corpus__name=corpus)
            self.stdout.write(f"{len(ids)} events searched, {pending.count()} suggestions pending")
            return
        for pk in ids:
            find_incident_candidates.enqueue(pk)
        self.stdout.write(f"{len(ids)} events queued on 'default'")
