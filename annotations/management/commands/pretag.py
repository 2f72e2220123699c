from django.core.management.base import BaseCommand, CommandParser

from annotations.models import Article
from annotations.tasks import pretag_article


class Command(BaseCommand):
    help = "Queue pre-tagging for articles (all, or those of one corpus)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpus", help="only this corpus")

    def handle(self, *args, corpus: str | None, **options) -> None:
        articles = Article.objects.all()
        if corpus:
            articles = articles.filter(corpus__name=corpus)
        ids = list(articles.values_list("id", flat=True))
        for article_id in ids:
            pretag_article.enqueue(article_id)
        self.stdout.write(f"{len(ids)} articles queued on 'nlp'")
