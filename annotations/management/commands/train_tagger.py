from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotations import learning
from annotations.models import TaggerModel
from annotations.tasks import pretag_article, queue_training


class Command(BaseCommand):
    help = (
        "Train a CRF tagger on CoNLL files and/or approved annotations, register and activate it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--conll", nargs="*", default=[], type=Path, help="CoNLL files")
        parser.add_argument(
            "--base", action="store_true", help="add settings.NEWSDESK_BASE_CONLL (ANERcorp)"
        )
        parser.add_argument(
            "--if-none", action="store_true", help="do nothing when a CRF model is already active"
        )
        parser.add_argument("--from-annotations", action="store_true", help="add approved layers")
        parser.add_argument("--name", help="model name (default: crf-<timestamp>)")
        parser.add_argument("--no-activate", action="store_true")
        parser.add_argument(
            "--repretag", action="store_true", help="queue re-pre-tagging of unstarted articles"
        )
        parser.add_argument(
            "--queue",
            action="store_true",
            help="train in the background worker (queue nlp) instead of now; the worker then "
            "re-tags the unstarted articles. Nothing is queued while a run is queued or running",
        )

    def handle(
        self,
        *args,
        conll,
        base,
        if_none,
        from_annotations,
        name,
        no_activate,
        repretag,
        queue,
        **options,
    ):
        if if_none and TaggerModel.objects.active():
            self.stdout.write(
                f"a CRF model is active ({TaggerModel.objects.active()}); nothing to do"
            )
            return
        if base:
            if not settings.NEWSDESK_BASE_CONLL:
                self.stdout.write("no base CoNLL data (NEWSDESK_BASE_CONLL); CRF not trained")
                return
            conll = [*conll, *map(Path, settings.NEWSDESK_BASE_CONLL)]
        for path in conll:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        if queue:
            self._queue([str(p) for p in conll], from_annotations, if_none)
            return
        try:
            model = learning.train_model(conll, from_annotations, name, activate=not no_activate)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        m = model.metrics
        self.stdout.write(
            f"model {model.name} at {model.path}: {m['sentences']} sentences, "
            f"{m['tokens']} tokens, trained in {m['train_seconds']} s"
            + (" (active)" if model.active else "")
        )
        if repretag:
            ids = list(learning.unstarted_articles().values_list("id", flat=True))
            for article_id in ids:
                pretag_article.enqueue(article_id)
            self.stdout.write(f"{len(ids)} unstarted articles queued for pre-tagging")

    def _queue(self, conll: list[str], from_annotations: bool, if_none: bool) -> None:
        run = queue_training(conll, from_annotations, if_none=if_none)
        if run is None:
            active = TaggerModel.objects.active()
            why = (
                f"a CRF model is active ({active})" if if_none and active else "a run is under way"
            )
            self.stdout.write(f"{why}; nothing queued")
            return
        self.stdout.write(
            f"training run {run.name} queued for the background worker (queue nlp); "
            "the tagger page shows its progress"
        )
