from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from annotations.assignment import auto_assign
from annotations.models import Corpus, Membership

# Two annotators, so that the demo shows agreement and adjudication, and one editor.
DEMO = [
    ("annotator", "annotator-demo", Membership.ANNOTATOR),
    ("annotator2", "annotator2-demo", Membership.ANNOTATOR),
    ("editor", "editor-demo", Membership.EDITOR),
]


class Command(BaseCommand):
    help = (
        "Create (or reset) two demo annotators and a demo editor in a corpus, and assign "
        "each article to both annotators; prints credentials."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpus", default="Samples")

    def handle(self, *args, corpus: str, **options) -> None:
        target, _ = Corpus.objects.get_or_create(name=corpus)
        User = get_user_model()
        for username, password, role in DEMO:
            user, _ = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.is_staff = role == Membership.EDITOR
            user.save()
            Membership.objects.update_or_create(corpus=target, user=user, defaults={"role": role})
            self.stdout.write(f"{role}: {username} / {password}")
        if target.annotators_per_article < 2:
            target.annotators_per_article = 2
            target.save(update_fields=["annotators_per_article"])
        # Annotators see only assigned articles: give both of them the corpus.
        made = auto_assign(target)
        self.stdout.write(f"{made} article(s) assigned")
