from django.core.management.base import BaseCommand, CommandParser

from annotations.models import Article
from annotations.taggers import pretag
from annotations.tasks import pretag_article


class Command(BaseCommand):
    help = "Queue pre-tagging for articles (all, or those of one corpus), or pre-tag them now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpus", help="only this corpus")
        parser.add_argument(
            "--now",
            action="store_true",
            help="pre-tag here instead of in the background worker (articles already "
            "pre-tagged with the engines in use are left as they are)",
        )

    def handle(self, *args, corpus: str | None, now: bool, **options) -> None:
        articles = Article.objects.all()
        if corpus:
            articles = articles.filter(corpus__name=corpus)
        if now:
            # `make setup` does this before serving, so that the app opens on tagged samples.
            for article in articles.select_related("corpus"):
                pretag(article)
            self.stdout.write(f"{articles.count()} articles pre-tagged")
            return
        ids = list(articles.values_list("id", flat=True))
        for article_id in ids:
            pretag_article.enqueue(article_id)
        self.stdout.write(f"{len(ids)} articles queued on 'nlp'")
