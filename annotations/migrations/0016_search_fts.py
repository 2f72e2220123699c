"""Search: on SQLite an FTS5 table over Article.search_key, kept in step by triggers (so
bulk_create and queryset updates are covered, not only Article.save); on both databases
an index in the search's order (newest published first, then id) for its keyset pages."""

from django.db import migrations

FTS = "annotations_article_fts"

SQLITE_UP = [
    # External content: the words live once, in annotations_article; FTS5 keeps its index.
    # remove_diacritics 0: the keys are normalised already (text.match_key).
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5(search_key, "
    "content='annotations_article', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ai AFTER INSERT ON annotations_article BEGIN "
    f"INSERT INTO {FTS}(rowid, search_key) VALUES (new.id, new.search_key); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_ad AFTER DELETE ON annotations_article BEGIN "
    f"INSERT INTO {FTS}({FTS}, rowid, search_key) VALUES ('delete', old.id, old.search_key); "
    "END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_au AFTER UPDATE OF search_key ON annotations_article "
    f"BEGIN INSERT INTO {FTS}({FTS}, rowid, search_key) "
    "VALUES ('delete', old.id, old.search_key); "
    f"INSERT INTO {FTS}(rowid, search_key) VALUES (new.id, new.search_key); END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TABLE IF EXISTS {FTS}",
]
# SQLite indexes take no NULLS LAST; its ORDER BY does, and reads the index all the same.
NEWEST_UP = "CREATE INDEX IF NOT EXISTS article_newest ON annotations_article ({})"
NEWEST_COLUMNS = {
    "postgresql": "published_at DESC NULLS LAST, id DESC",
    "sqlite": "published_at DESC, id DESC",
}
NEWEST_DOWN = "DROP INDEX IF EXISTS article_newest"


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)
    columns = NEWEST_COLUMNS.get(schema_editor.connection.vendor)
    if columns:
        schema_editor.execute(NEWEST_UP.format(columns))


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)
    schema_editor.execute(NEWEST_DOWN)


class Migration(migrations.Migration):
    dependencies = [("annotations", "0015_incidents_decisions")]

    operations = [migrations.RunPython(up, down)]
