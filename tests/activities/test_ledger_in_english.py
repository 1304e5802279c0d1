"""English means English: ledger lines keep what happened as data and show it in the reader's language; lines
written before that (never updated: the ledger is append-only) read back through their known phrasings."""

from __future__ import annotations

import pytest
from django.db import connection

from activities import services
from activities.models import LedgerEntry
from families.access import verified_membership

from .factories import StoreItemFactory, finished_activity, present

pytestmark = pytest.mark.django_db


def _page(client, language: str) -> str:
    client.cookies["django_language"] = language
    return client.get("/points/me/").content.decode()


def test_new_lines_keep_what_happened_as_data_and_read_in_each_language(resident_client, resident, organizer):
    member = verified_membership(resident)
    activity = finished_activity(title="楼道清理", points_per_hour=10)
    entry = services.confirm_hours(signup=present(activity, member), actor=organizer)
    assert entry.message == "%(hours)s h · %(activity)s"
    assert entry.message_values == {"hours": "3", "activity": "楼道清理", "activity_id": activity.pk}
    assert entry.source == "3 小时 · 楼道清理"  # the record, in the community's language
    item = StoreItemFactory(name="洗衣液 2kg", price=20)
    redemption = services.redeem(resident=member, item=item)
    services.cancel_redemption(redemption=redemption, actor=organizer, by_organizer=True)
    spent = LedgerEntry.objects.get(kind="redeemed")
    assert spent.message_values == {"item": "洗衣液 2kg", "item_id": item.pk}

    english = _page(resident_client, "en")
    assert "3 h · 楼道清理" in english
    assert "Points store: 洗衣液 2kg" in english
    assert "Cancelled: Points store: 洗衣液 2kg" in english
    assert "小时" not in english and "积分超市" not in english and "已取消" not in english
    chinese = _page(resident_client, "zh-hans")
    assert "3 小时 · 楼道清理" in chinese and "已取消：积分超市兑换：洗衣液 2kg" in chinese


def _old_line(member, source: str, key: str, amount: int) -> None:
    """A line as written before messages were kept: its text only (inserted as it was, never updated since)."""
    services.record_entry(resident=member, kind="earned", amount=amount, source=source, idempotency_key=key)
    assert LedgerEntry.objects.get(idempotency_key=key).message == ""


def test_old_lines_read_through_their_known_phrasings_and_unknown_text_is_shown_as_stored(resident_client, resident):
    member = verified_membership(resident)
    _old_line(member, "8 小时 · 敬老院探访", "old-1", 80)
    _old_line(member, "积分超市兑换：洗衣液 2kg", "old-2", 1)
    _old_line(member, "更正：2.5 小时 · 敬老院探访", "old-3", 1)
    _old_line(member, "春节慰问补贴", "old-4", 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT source FROM activities_ledgerentry ORDER BY id")
        before = cursor.fetchall()

    english = _page(resident_client, "en")
    assert "8 h · 敬老院探访" in english
    assert "Points store: 洗衣液 2kg" in english
    assert "Correction of 2.5 h · 敬老院探访" in english
    assert "春节慰问补贴" in english  # an organizer's own words: shown as written
    with connection.cursor() as cursor:
        cursor.execute("SELECT source FROM activities_ledgerentry ORDER BY id")
        assert cursor.fetchall() == before  # reading never rewrites a line
