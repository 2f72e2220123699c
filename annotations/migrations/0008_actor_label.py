from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0007_article_tokens"),
    ]

    operations = [
        migrations.AddField(
            model_name="actor",
            name="label",
            field=models.CharField(
                blank=True,
                choices=[("ORG", "organisation"), ("PERS", "person")],
                max_length=8,
                verbose_name="entity label",
            ),
        ),
        migrations.AddField(
            model_name="actoralias",
            name="pretag",
            field=models.BooleanField(default=True, verbose_name="pre-tag"),
        ),
    ]
