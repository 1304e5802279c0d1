from django.contrib import admin

from .models import AwardCategory, Honour


@admin.register(AwardCategory)
class AwardCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "target_kind", "is_active", "sort_order"]


@admin.register(Honour)
class HonourAdmin(admin.ModelAdmin):
    list_display = ["certificate_number", "year", "category", "building", "published_at", "withdrawn_at"]
    list_filter = ["year", "category"]
    raw_id_fields = ["building", "household", "resident"]
    readonly_fields = ["certificate_number", "published_at", "withdrawn_at"]
