"""The points store: redeem, hand over, cancel with a reversal; never over the balance or the stock."""

from __future__ import annotations

import pytest
from django.urls import reverse

from activities import services
from activities.models import LedgerEntry, PointsBalance, Redemption
from project.models import AuditEntry
from tests.project.test_access_sweep import row_counts
from tests.tokens import token

from .factories import StoreItemFactory

pytestmark = pytest.mark.django_db


def test_resident_redeems_and_gets_a_pickup_code(resident_client, member, give_points, ledger_ok):
    give_points(member, 80)
    item = StoreItemFactory(price=50, stock=2)
    response = resident_client.post(
        reverse("activities:redeem", args=[item.pk]), token(member.user, "activities.redeem"), follow=True
    )
    redemption = Redemption.objects.get()
    assert redemption.pickup_code in response.content.decode()
    item.refresh_from_db()
    assert item.stock == 1
    assert PointsBalance.objects.get(resident=member).balance == 30
    spent = LedgerEntry.objects.get(kind="redeemed")
    assert spent.amount == -50 and spent.source_object == redemption
    ledger_ok()


def test_redeeming_over_the_balance_is_refused(resident_client, member, give_points):
    give_points(member, 49)
    item = StoreItemFactory(price=50)
    before = row_counts()
    resident_client.post(reverse("activities:redeem", args=[item.pk]), token(member.user, "activities.redeem"))
    assert row_counts() == before and not Redemption.objects.exists()
    item.refresh_from_db()
    assert item.stock == 5


def test_redeeming_an_item_out_of_stock_is_refused(member, give_points):
    give_points(member, 100)
    item = StoreItemFactory(stock=0)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.redeem(resident=member, item=item)
    assert PointsBalance.objects.get(resident=member).balance == 100
    assert row_counts() == before


def test_an_item_no_longer_on_offer_cannot_be_redeemed(member, give_points):
    give_points(member, 100)
    item = StoreItemFactory(is_active=False)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.redeem(resident=member, item=item)
    assert row_counts() == before


def test_store_spending_does_not_lower_the_leaderboard(member, give_points):
    give_points(member, 100)
    services.redeem(resident=member, item=StoreItemFactory(price=60))
    balance = PointsBalance.objects.get(resident=member)
    assert (balance.balance, balance.lifetime_earned) == (40, 100)


def test_organizer_hands_over_and_it_cannot_be_handed_over_twice(organizer_client, organizer, member, give_points):
    give_points(member, 100)
    redemption = services.redeem(resident=member, item=StoreItemFactory())
    page = organizer_client.get(reverse("activities:organize_store"), {"code": redemption.pickup_code.lower()})
    assert redemption.pickup_code in page.content.decode()
    organizer_client.post(reverse("activities:organize_hand_over", args=[redemption.pk]))
    redemption.refresh_from_db()
    assert redemption.status == "handed_over" and redemption.handed_over_by == organizer
    assert redemption.handed_over_at is not None
    assert AuditEntry.objects.filter(action="store.handed_over").count() == 1
    with pytest.raises(services.ServiceError):
        services.hand_over(redemption=redemption, actor=organizer)


def test_cancelling_gives_points_back_by_a_reversal_and_restores_stock(resident_client, member, give_points, ledger_ok):
    give_points(member, 100)
    item = StoreItemFactory(price=50, stock=1)
    redemption = services.redeem(resident=member, item=item)
    resident_client.post(reverse("activities:my_redemption_cancel", args=[redemption.pk]))
    redemption.refresh_from_db()
    item.refresh_from_db()
    assert redemption.status == "cancelled" and item.stock == 1
    reversal = LedgerEntry.objects.get(kind="reversed")
    assert reversal.amount == 50 and reversal.reverses.kind == "redeemed"
    assert PointsBalance.objects.get(resident=member).balance == 100
    ledger_ok()


def test_a_handed_over_item_cannot_be_cancelled(organizer, member, give_points):
    give_points(member, 100)
    redemption = services.redeem(resident=member, item=StoreItemFactory())
    services.hand_over(redemption=redemption, actor=organizer)
    before = row_counts()
    with pytest.raises(services.ServiceError):
        services.cancel_redemption(redemption=redemption, actor=organizer, by_organizer=True)
    assert row_counts() == before


def test_a_neighbour_cannot_cancel_my_redemption(neighbour_client, member, give_points):
    give_points(member, 100)
    redemption = services.redeem(resident=member, item=StoreItemFactory())
    before = row_counts()
    assert neighbour_client.post(reverse("activities:my_redemption_cancel", args=[redemption.pk])).status_code == 404
    assert row_counts() == before


def test_organizer_adds_an_item_with_a_photo(organizer_client, organizer, tmp_path, settings):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    response = organizer_client.post(
        reverse("activities:organize_store_new"),
        {
            "name": "食用油",
            "description": "",
            "price": "200",
            "stock": "3",
            "is_active": "on",
            "sort_order": "0",
            "photo_upload": SimpleUploadedFile("oil.png", buffer.getvalue(), content_type="image/png"),
            **token(organizer, "activities.store_item_new"),
        },
    )
    assert response.status_code == 302
    from activities.models import StoreItem

    item = StoreItem.objects.get()
    assert item.photo.startswith("activities/store/")


def test_negative_stock_or_zero_price_is_refused_in_the_form(organizer_client, organizer):
    before = row_counts()
    response = organizer_client.post(
        reverse("activities:organize_store_new"),
        {"name": "x", "price": "0", "stock": "-1", "sort_order": "0", **token(organizer, "activities.store_item_new")},
    )
    assert response.status_code == 200
    from activities.models import StoreItem

    assert row_counts() == before and not StoreItem.objects.exists()


def test_anonymous_store_page_has_no_form(client, member, give_points):
    item = StoreItemFactory()
    for url in (reverse("activities:store"), reverse("activities:store_item", args=[item.pk])):
        assert "<form" not in client.get(url).content.decode()
