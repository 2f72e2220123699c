from django.contrib import admin

from .models import (
    Article,
    AuditEntry,
    Corpus,
    ImportJob,
    Layer,
    Membership,
    Place,
    PlaceName,
    TaggerModel,
)


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
