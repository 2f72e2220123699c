# Merges the two helpers' 0013 migrations (search, incidents); they touch different tables.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0013_incidents"),
        ("annotations", "0013_search"),
    ]

    operations = []
