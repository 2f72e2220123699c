"""Search: every article's normalised words (Article.search_key), and on PostgreSQL a
trigram GIN index so that LIKE '% word %' does not scan the table."""

from django.db import migrations, models

from annotations.search import search_key


def fill(apps, schema_editor):
    Article = apps.get_model("annotations", "Article")
    batch = []
    for pk, title, body in Article.objects.values_list("pk", "title", "body").iterator(
        chunk_size=2000
    ):
        batch.append(Article(pk=pk, search_key=search_key(title, body)))
        if len(batch) >= 2000:
            Article.objects.bulk_update(batch, ["search_key"])
            batch = []
    Article.objects.bulk_update(batch, ["search_key"])


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite: the LIKE scans search_key
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS article_search_key_trgm ON annotations_article "
        "USING gin (search_key gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS article_search_key_trgm")


class Migration(migrations.Migration):
    dependencies = [("annotations", "0012_fold_latin_keys")]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_key",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(add_index, drop_index),
    ]
