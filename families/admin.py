from django.contrib import admin

from .models import (
    Building,
    Community,
    CommunityAssignment,
    FamilyMotto,
    Grid,
    GridAssignment,
    Household,
    MottoRevision,
    RegisterImport,
    Resident,
)


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "committee_name", "sort_order"]


@admin.register(CommunityAssignment)
class CommunityAssignmentAdmin(admin.ModelAdmin):
    """An organizer's place above the grids: a community, or (community empty) the whole street."""

    list_display = ["user", "community", "created_at"]
    list_filter = ["community"]
    raw_id_fields = ["user"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "parent", "level", "worker_name", "sort_order"]
    list_filter = ["community", "level"]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["name", "grid"]
    list_filter = ["grid"]
    search_fields = ["name"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ["display_name", "building", "door_label", "head_name"]
    list_filter = ["building__grid", "building"]
    search_fields = ["display_name", "door_label", "head_name"]
    list_select_related = ["building"]


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = ["full_name", "household", "status", "source", "user"]
    list_filter = ["status", "source"]
    search_fields = ["full_name"]
    raw_id_fields = ["household", "user", "matched_person"]
    list_select_related = ["household__building", "user"]


@admin.register(GridAssignment)
class GridAssignmentAdmin(admin.ModelAdmin):
    """Scope a grid worker to their grids: with assignments they see only those grids' register."""

    list_display = ["user", "grid", "created_at"]
    list_filter = ["grid"]
    raw_id_fields = ["user"]


class MottoRevisionInline(admin.TabularInline):
    model = MottoRevision
    fields = ["created_at", "author_name", "text", "status", "reviewer_name", "reviewed_at", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FamilyMotto)
class FamilyMottoAdmin(admin.ModelAdmin):
    """Read-only here: mottos are written by households and reviewed in the organizer area."""

    list_display = ["household", "show_on_wall", "approved_revision"]
    list_filter = ["show_on_wall"]
    search_fields = ["household__display_name", "household__building__name"]
    list_select_related = ["household__building", "approved_revision"]
    readonly_fields = ["household", "approved_revision", "show_on_wall", "show_on_wall_changed_at"]
    inlines = [MottoRevisionInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegisterImport)
class RegisterImportAdmin(admin.ModelAdmin):
    list_display = ["filename", "uploaded_by", "created_at", "row_count", "error_count", "status"]
    readonly_fields = [
        "filename",
        "uploaded_by",
        "imported_by",
        "row_count",
        "error_count",
        "status",
        "done",
        "total",
        "message",
        "summary",
        "updated_at",
        "imported_at",
    ]

    def has_add_permission(self, request):
        return False
