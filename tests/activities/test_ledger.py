"""The points ledger is append-only; balances never go below zero; verify_ledger finds any difference."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from activities import services
from activities.models import LedgerEntry, PointsAggregate, PointsBalance
from tests.tokens import token

from .factories import finished_activity, present

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(member, give_points):
    return give_points(member, 30)


def test_an_entry_cannot_be_changed_through_the_model(entry):
    entry.amount = 1000
    with pytest.raises(TypeError):
        entry.save()
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 30


def test_an_entry_cannot_be_deleted_through_the_model(entry):
    with pytest.raises(TypeError):
        entry.delete()
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_the_queryset_refuses_update_delete_and_bulk_writes(entry):
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=0)
    with pytest.raises(TypeError):
        LedgerEntry.objects.all().delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.bulk_create([entry])
    with pytest.raises(TypeError):
        LedgerEntry.objects.bulk_update([entry], ["amount"])
    assert LedgerEntry.objects.count() == 1


def test_the_admin_cannot_add_change_or_delete_entries(admin_client, entry):
    change = reverse("admin:activities_ledgerentry_change", args=[entry.pk])
    assert admin_client.get(change).status_code == 200  # view only
    assert admin_client.post(change, {"amount": 999}).status_code == 403
    assert (
        admin_client.post(reverse("admin:activities_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert admin_client.get(reverse("admin:activities_ledgerentry_add")).status_code == 403
    assert LedgerEntry.objects.get(pk=entry.pk).amount == 30


def test_balance_never_goes_below_zero(member, entry):
    with pytest.raises(services.ServiceError):
        services.award_points(resident=member, amount=-31, reason="调整", actor=None, kind="adjusted")
    assert PointsBalance.objects.get(resident=member).balance == 30
    # and the database says no as well
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsBalance.objects.filter(resident=member).update(balance=-1)


def test_the_same_key_is_written_once(member):
    services.record_entry(resident=member, kind="awarded", amount=5, source="x", idempotency_key="k-1")
    with pytest.raises(services.AlreadyRecorded):
        services.record_entry(resident=member, kind="awarded", amount=5, source="x", idempotency_key="k-1")
    assert PointsBalance.objects.get(resident=member).balance == 5


def test_an_entry_can_be_reversed_only_once(member, entry):
    services.reverse_entry(entry=entry, source="撤销", idempotency_key="r-1")
    with pytest.raises(services.ServiceError):
        services.reverse_entry(entry=entry, source="撤销", idempotency_key="r-2")
    assert PointsBalance.objects.get(resident=member).balance == 0


def test_awards_need_a_reason_and_a_positive_amount(member):
    with pytest.raises(services.ServiceError):
        services.award_points(resident=member, amount=10, reason="", actor=None)
    with pytest.raises(services.ServiceError):
        services.award_points(resident=member, amount=-10, reason="x", actor=None)
    with pytest.raises(services.ServiceError):
        services.award_points(resident=member, amount=0, reason="x", actor=None, kind="adjusted")


def test_aggregates_follow_every_entry(organizer, member):
    signup = present(finished_activity(hours=2), member)
    entry = services.confirm_hours(signup=signup, actor=organizer)
    rows = PointsAggregate.objects.filter(scope="person", scope_id=member.pk)
    assert {row.period_kind: (row.points, row.half_hours) for row in rows} == {
        "month": (20, 4),
        "quarter": (20, 4),
        "year": (20, 4),
        "all": (20, 4),
    }
    assert PointsAggregate.objects.filter(scope="grid", scope_id=entry.grid_id, period_kind="all").get().points == 20


def test_verify_ledger_passes_and_then_finds_a_tampered_balance(member, entry, capsys):
    call_command("verify_ledger")
    PointsBalance.objects.filter(resident=member).update(balance=31)
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_ledger")
    assert exit_info.value.code == 1


def test_verify_ledger_finds_a_tampered_leaderboard_row(member, entry):
    PointsAggregate.objects.filter(scope="building", period_kind="all").update(points=1)
    assert any("leaderboard" in problem for problem in services.ledger_differences())


def test_verify_ledger_finds_a_missing_leaderboard_row(member, entry):
    PointsAggregate.objects.filter(scope="grid", period_kind="year").delete()
    assert services.ledger_differences()


def test_organizer_awards_points_on_the_record(organizer_client, organizer, member):
    response = organizer_client.post(
        reverse("activities:organize_volunteer", args=[member.pk]),
        {"kind": "awarded", "amount": "25", "reason": "疫情防控表彰", **token(organizer, "activities.award_points")},
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.created_by.username) == ("awarded", 25, "organizer")


def test_residents_cannot_open_someone_s_ledger_page(resident_client, neighbour_member):
    assert resident_client.get(reverse("activities:organize_volunteer", args=[neighbour_member.pk])).status_code == 403


def test_an_award_from_the_form_keys_its_ledger_entry_on_the_forms_token(organizer, member):
    """The ledger's own unique key is the second line of defence behind the form's one-time token."""
    from django.db import transaction as db_transaction

    entry = services.award_points(resident=member, amount=5, reason="义务巡逻", actor=organizer, token="form-nonce")
    assert entry.idempotency_key == "points:form:form-nonce"
    # Were the token's claim ever bypassed, the ledger itself would still refuse a second entry for the form.
    with pytest.raises(services.AlreadyRecorded), db_transaction.atomic():
        services.record_entry(
            resident=member, kind="awarded", amount=5, source="义务巡逻", idempotency_key=entry.idempotency_key
        )
    assert LedgerEntry.objects.count() == 1
