"""The admin: activities and the store are editable; the ledger and its caches are read-only."""

from __future__ import annotations

from django.contrib import admin

from project.admin import ReadOnlyAdmin

from .models import (
    Activity,
    ActivityType,
    CorrectionRequest,
    LedgerEntry,
    PointsAggregate,
    PointsBalance,
    Redemption,
    Signup,
    StoreItem,
)


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "sort_order", "is_active"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["title", "type", "starts_at", "ends_at", "capacity", "points_per_hour"]
    list_filter = ["type"]
    date_hierarchy = "starts_at"
    search_fields = ["title", "place"]


@admin.register(Signup)
class SignupAdmin(ReadOnlyAdmin):
    list_display = ["activity", "resident", "status", "attendance", "confirmed_half_hours", "hours_confirmed_at"]
    list_filter = ["status", "attendance"]
    list_select_related = ["activity", "resident"]
    raw_id_fields = ["activity", "resident"]


@admin.register(CorrectionRequest)
class CorrectionRequestAdmin(ReadOnlyAdmin):
    list_display = ["signup", "requested_half_hours", "status", "created_at"]
    list_filter = ["status"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "amount", "half_hours", "resident", "source", "idempotency_key"]
    list_filter = ["kind"]
    list_select_related = ["resident"]
    search_fields = ["source", "idempotency_key", "resident__full_name"]
    actions = None


@admin.register(PointsBalance)
class PointsBalanceAdmin(ReadOnlyAdmin):
    list_display = ["resident", "balance", "lifetime_earned", "half_hours"]
    list_select_related = ["resident"]


@admin.register(PointsAggregate)
class PointsAggregateAdmin(ReadOnlyAdmin):
    list_display = ["scope", "scope_id", "period_kind", "period_key", "points", "half_hours"]
    list_filter = ["scope", "period_kind"]


@admin.register(StoreItem)
class StoreItemAdmin(admin.ModelAdmin):
    list_display = ["name", "price", "stock", "is_active"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["pickup_code", "item", "resident", "price", "status", "created_at", "handed_over_at"]
    list_filter = ["status"]
    list_select_related = ["item", "resident"]
