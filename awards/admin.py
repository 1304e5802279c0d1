"""Admin for award data. Votes are deliberately absent: who voted for whom is never shown, not even here."""

from django.contrib import admin

from .models import AwardCategory, AwardRound, Honour, Nomination, Objection, RoundCategory


@admin.register(AwardCategory)
class AwardCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "target_kind", "is_active", "sort_order"]


@admin.register(Honour)
class HonourAdmin(admin.ModelAdmin):
    list_display = ["certificate_number", "year", "category", "building", "published_at", "withdrawn_at"]
    list_filter = ["year", "category"]
    raw_id_fields = ["building", "household", "resident", "round", "nomination"]
    readonly_fields = ["certificate_number", "published_at", "withdrawn_at", "withdrawal_reason"]

    def get_readonly_fields(self, request, obj=None):
        # An honour published by a round changes only through a recorded correction on the round desk.
        if obj is not None and obj.round_id:
            return [field.name for field in obj._meta.fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.round_id


class RoundCategoryInline(admin.TabularInline):
    model = RoundCategory
    extra = 0
    fields = ["category", "winners", "votes_per_voter", "vote_unit", "self_nomination_allowed"]


@admin.register(AwardRound)
class AwardRoundAdmin(admin.ModelAdmin):
    """Read-only here: rounds are run on the organizer desk, where every action is audited."""

    list_display = ["title", "year", "announced", "results_confirmed_at", "published_at"]
    inlines = [RoundCategoryInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Nomination)
class NominationAdmin(admin.ModelAdmin):
    """Read-only: reviews go through the organizer desk (audited, the nominator is told)."""

    list_display = ["__str__", "round", "status", "is_winner", "created_at"]
    list_filter = ["round", "status"]
    list_select_related = ["entry__category", "building", "household", "resident", "round"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "round", "created_at", "answered_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
