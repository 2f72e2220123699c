"""Matching keys fold Latin accents and transliteration marks now (Khāliş → khalis):
recompute the stored keys that change."""

from django.db import migrations

from annotations.text import match_key


def refold(apps, schema_editor):
    for model in ("PlaceName", "ActorAlias"):
        Model = apps.get_model("annotations", model)
        field = "name" if model == "PlaceName" else "alias"
        changed = []
        for pk, text, key in Model.objects.values_list("pk", field, "key").iterator(chunk_size=5000):
            new = match_key(text)[:300]
            if new != key:
                changed.append(Model(pk=pk, key=new))
        Model.objects.bulk_update(changed, ["key"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("annotations", "0008_actor_label")]

    operations = [migrations.RunPython(refold, migrations.RunPython.noop)]
