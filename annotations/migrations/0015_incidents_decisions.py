# IncidentCandidate.effect: what a link did, so that undo reverses exactly that.
# IncidentCandidate.corpus: the pair's corpus, filled from event_a for existing rows, so that
# the editors' queue is an index range (corpus, decision, -score, id) instead of a join.

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_corpus(apps, schema_editor) -> None:
    candidates = apps.get_model("annotations", "IncidentCandidate")
    events = apps.get_model("annotations", "Event")
    corpus = events.objects.filter(pk=OuterRef("event_a_id")).values("layer__article__corpus_id")
    candidates.objects.update(corpus_id=Subquery(corpus[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0014_merge_search_incidents"),
    ]

    operations = [
        migrations.AddField(
            model_name="incidentcandidate",
            name="effect",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="incidentcandidate",
            name="corpus",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="annotations.corpus",
            ),
        ),
        migrations.RunPython(fill_corpus, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="incidentcandidate",
            name="corpus",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="annotations.corpus",
            ),
        ),
        migrations.AddIndex(
            model_name="incidentcandidate",
            index=models.Index(
                fields=["corpus", "decision", "-score", "id"], name="incident_cand_corpus_queue"
            ),
        ),
    ]
