from django.contrib import admin

from .models import (
    Actor,
    ActorAlias,
    Article,
    AuditEntry,
    Corpus,
    Event,
    Evidence,
    ImportJob,
    Layer,
    Membership,
    Place,
    PlaceName,
    TaggerModel,
)
from .text import match_key


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


@admin.register(Corpus)
class CorpusAdmin(admin.ModelAdmin):
    list_display = ["name", "labels", "annotators_per_article"]
    inlines = [MembershipInline]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "corpus", "published_at", "source"]
    list_filter = ["corpus"]
    search_fields = ["title", "external_id"]
    readonly_fields = ["body", "content_hash"]  # offsets point into the body: never edit it


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    list_display = ["article", "kind", "annotator", "state", "version"]
    list_filter = ["kind", "state"]


class PlaceNameInline(admin.TabularInline):
    model = PlaceName
    extra = 0


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "country_code", "geonameid", "population", "source"]
    search_fields = ["name", "names__key"]
    list_filter = ["country_code", "source"]
    inlines = [PlaceNameInline]


admin.site.register(AuditEntry)
admin.site.register(ImportJob)


@admin.register(TaggerModel)
class TaggerModelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "active", "created", "micro_f1"]
    list_filter = ["kind", "active"]
    readonly_fields = ["path", "metrics"]
    actions = ["make_active"]

    @admin.display(description="micro F1")
    def micro_f1(self, obj: TaggerModel) -> str:
        f1 = obj.metrics.get("micro", {}).get("f1")
        return f"{f1:.3f}" if isinstance(f1, int | float) else "—"

    @admin.action(description="Make the selected model the active one")
    def make_active(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one model.", level="error")
            return
        queryset.get().activate()
        self.message_user(request, "Activated; new pre-tagging uses it.")


class ActorAliasInline(admin.TabularInline):
    model = ActorAlias
    extra = 1
    fields = ["alias"]


@admin.register(Actor)
class ActorAdmin(admin.ModelAdmin):
    list_display = ["name", "name_ar", "inter_code"]
    list_filter = ["inter_code"]
    search_fields = ["name", "name_ar", "aliases__alias"]
    inlines = [ActorAliasInline]
    actions = ["merge_into_first"]

    def save_formset(self, request, form, formset, change) -> None:
        # Aliases are typed in full; their matching key is derived, never typed.
        for alias in formset.save(commit=False):
            alias.key = match_key(alias.alias)
            alias.save()
        for gone in formset.deleted_objects:
            gone.delete()

    @admin.action(description="Merge the selected actors into the first one (by name)")
    def merge_into_first(self, request, queryset) -> None:
        actors = list(queryset.order_by("name"))
        if len(actors) < 2:
            self.message_user(request, "Choose at least two actors.", level="error")
            return
        for duplicate in actors[1:]:
            actors[0].merge(duplicate)
        self.message_user(request, f"Merged {len(actors) - 1} into {actors[0]}.")


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["sub_event_type", "event_date", "place", "fatalities", "layer", "origin"]
    list_filter = ["event_type", "origin"]
    inlines = [EvidenceInline]
