"""Points make sense: the board opens on the latest period with points and never links past today; hours carry their
unit; the ledger reads in the order things happened."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from activities import services
from families.access import verified_membership

from .factories import finished_activity, present

pytestmark = pytest.mark.django_db


def _month(day) -> str:
    return f"{day:%Y-%m}"


def _earned(member, day, key: str, amount: int = 10):
    services.record_entry(
        resident=member, kind="earned", amount=amount, half_hours=2, source="测试", idempotency_key=key, occurred_on=day
    )


def test_the_board_opens_on_the_latest_month_with_points_when_this_one_is_empty(client, resident):
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    _earned(verified_membership(resident), last_month, "k1")
    page = client.get("/points/").content.decode()
    assert f"key={_month(last_month)}" not in page.split("←")[0]  # not a link back to itself
    assert re.search(rf"<h2[^>]*>[^<]*{_month(last_month)}|{_month(last_month)}", page)
    assert resident.residencies.get().full_name in page or "1" in page
    # Its "next" link goes to this month, and no further.
    assert f"key={_month(timezone.localdate())}" in page


def test_the_board_never_links_past_today_nor_opens_on_a_future_period(client, resident):
    this_month = _month(timezone.localdate())
    page = client.get(f"/points/?period=month&key={this_month}").content.decode()
    assert "→</a>" not in page
    future = client.get("/points/?period=month&key=2099-01").content.decode()
    shown = re.search(r'<p class="period-step">.*?</p>', future, re.S).group(0)
    assert f"<strong>{this_month}</strong>" in shown and "2099" not in shown


def test_hours_carry_their_unit_and_the_ledger_is_in_date_order(resident_client, resident, organizer):
    member = verified_membership(resident)
    today = timezone.localdate()
    _earned(member, today - timedelta(days=1), "recent")
    _earned(member, today - timedelta(days=20), "older-written-last")  # confirmed late: written after
    services.confirm_hours(signup=present(finished_activity(title="楼道清理"), member), actor=organizer)
    page = resident_client.get("/points/me/").content.decode()
    assert re.search(r"<dt>已确认时长</dt><dd>\d+(\.5)? 小时</dd>", page)  # "已确认时长: 5 小时", not "5"
    dates = re.findall(r'<span class="meta">(\d{4}-\d{2}-\d{2})', page)
    assert dates == sorted(dates, reverse=True) and len(dates) == 3
