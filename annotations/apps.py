from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from . import incidents
        from .models import Event

        # Every way an event is deleted takes it out of its incident (incidents.event_deleted).
        pre_delete.connect(incidents.event_deleted, sender=Event, dispatch_uid="incident_member")
