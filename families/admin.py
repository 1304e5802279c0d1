from django.contrib import admin

from .models import AuditEntry, Building, Grid, Household, Profile, Resident


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["name", "worker_name", "sort_order"]


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
    list_display = ["full_name", "household", "status", "user"]
    list_filter = ["status"]
    search_fields = ["full_name"]
    raw_id_fields = ["household", "user"]
    list_select_related = ["household__building", "user"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "full_name", "phone_verified"]
    search_fields = ["full_name", "user__username"]
    raw_id_fields = ["user"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log can be read, never edited."""

    list_display = ["created_at", "actor_name", "action", "target_repr"]
    list_filter = ["action"]
    search_fields = ["actor_name", "target_repr"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
