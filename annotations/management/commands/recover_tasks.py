from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from annotations.tasks import STALE_AFTER, recover_tasks


class Command(BaseCommand):
    # Runs before the worker starts: the URL and template checks would load every view
    # (and the taggers behind them) for nothing.
    requires_system_checks: list[str] = []
    help = (
        "Queue again the background tasks a stopped worker left running. Tasks are "
        "idempotent, so one that was in fact still running does no harm when it runs twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=STALE_AFTER.total_seconds() / 60,
            metavar="MINUTES",
            help="only tasks running for longer than this (default: %(default)s); 0 takes "
            "every running task, for when no worker runs, as when `make run` starts",
        )

    def handle(self, *args, older_than: float, **options) -> None:
        count = recover_tasks(timedelta(minutes=older_than))
        self.stdout.write(f"{count} task(s) queued again")
