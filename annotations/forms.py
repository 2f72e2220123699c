"""Forms that validate what annotators type, with messages in Arabic and English."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .acled import SUB_EVENT_TYPES, sub_type_choices, type_choices
from .models import Actor, Event, Place

# ACLED's English names are the values; the options show them in the interface's language.
SUB_TYPE_CHOICES = sub_type_choices()
TIME_PRECISION = [
    ("", "—"),
    (1, _("1 · the exact day")),
    (2, _("2 · a week or weekend")),
    (3, _("3 · a month")),
]
GEO_PRECISION = [
    ("", "—"),
    (1, _("1 · the named town itself")),
    (2, _("2 · near a town, or part of a region")),
    (3, _("3 · a larger region")),
]


class EventForm(forms.ModelForm):
    event_type = forms.ChoiceField(choices=type_choices(), label=_("Event type"))
    sub_event_type = forms.ChoiceField(choices=SUB_TYPE_CHOICES, label=_("Sub-event type"))
    time_precision = forms.TypedChoiceField(
        choices=TIME_PRECISION,
        coerce=int,
        required=False,
        empty_value=None,
        label=_("Time precision"),
    )
    geo_precision = forms.TypedChoiceField(
        choices=GEO_PRECISION,
        coerce=int,
        required=False,
        empty_value=None,
        label=_("Geo precision"),
    )

    class Meta:
        model = Event
        fields = [
            "event_type",
            "sub_event_type",
            "event_date",
            "time_precision",
            "place",
            "geo_precision",
            "actor1",
            "assoc_actor_1",
            "actor2",
            "assoc_actor_2",
            "civilian_targeting",
            "fatalities",
            "fatalities_low",
            "fatalities_high",
            "notes",
            "source",
        ]
        widgets = {
            "event_date": forms.DateInput(attrs={"type": "date"}),
            # Notes and sources are mostly Arabic: each line takes the direction of its text.
            "notes": forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
            "source": forms.TextInput(attrs={"dir": "auto"}),
        }
        labels = {
            "event_date": _("Event date"),
            "place": _("Place"),
            "actor1": _("Actor 1"),
            "assoc_actor_1": _("Associated actor 1"),
            "actor2": _("Actor 2"),
            "assoc_actor_2": _("Associated actor 2"),
            "civilian_targeting": _("Civilians targeted"),
            "fatalities": _("Fatalities"),
            "fatalities_low": _("Fatalities, low estimate"),
            "fatalities_high": _("Fatalities, high estimate"),
            "notes": _("Notes"),
            "source": _("Source"),
        }
        help_texts = {
            "fatalities": _("Leave empty when the report does not say."),
            "source": _("Who reported it, if not the article's source."),
        }

    def __init__(self, *args, places=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Places linked in this layer come first; any place may be chosen by id.
        self.fields["place"].queryset = places if places is not None else Place.objects.none()
        for name in ("actor1", "assoc_actor_1", "actor2", "assoc_actor_2"):
            self.fields[name].queryset = Actor.objects.all()

    def clean(self) -> dict:
        data = super().clean()
        event_type, sub = data.get("event_type"), data.get("sub_event_type")
        if event_type and sub and SUB_EVENT_TYPES.get(sub) != event_type:
            self.add_error(
                "sub_event_type",
                _("“%(sub)s” is not a sub-type of “%(type)s”.") % {"sub": sub, "type": event_type},
            )
        published = self.instance.layer.article.published_at if self.instance.layer_id else None
        when = data.get("event_date")
        if when and published and when > published:
            self.add_error("event_date", _("The event date is after the report was published."))
        low, high = data.get("fatalities_low"), data.get("fatalities_high")
        if low is not None and high is not None and low > high:
            self.add_error("fatalities_high", _("The high estimate is below the low one."))
        return data


class PublicationDateForm(forms.Form):
    published_at = forms.DateField(
        label=_("Publication date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": _("Enter the publication date."),
            "invalid": _("Enter the publication date as YYYY-MM-DD."),
        },
    )

    def clean_published_at(self) -> date:
        published = self.cleaned_data["published_at"]
        if published > timezone.localdate():
            raise forms.ValidationError(_("The publication date cannot be in the future."))
        return published
