"""Volunteering's part of a resident's own data: sign-ups and hours, corrections, ledger lines, redemptions.

Nothing is erased when an account is deleted: ledger entries and sign-ups
point at the register's person, whose row families.privacy strips of name and
phone, so balances, leaderboards and 台账 still add up.
"""

from __future__ import annotations

from project import registry

from .models import CorrectionRequest, LedgerEntry, PointsBalance, Redemption, Signup


def _iso(value):
    return value.isoformat() if value else None


def personal_data(user) -> dict:
    people = list(user.residencies.values_list("pk", flat=True))
    balances = PointsBalance.objects.filter(resident__in=people)
    return {
        "balances": [
            {"points": b.balance, "points_earned": b.lifetime_earned, "confirmed_hours": b.half_hours / 2}
            for b in balances
        ],
        "signups": [
            {
                "activity": s.activity.title,
                "starts_at": _iso(s.activity.starts_at),
                "status": s.status,
                "attendance": s.attendance,
                "checked_in_at": _iso(s.checked_in_at),
                "checked_out_at": _iso(s.checked_out_at),
                "hours_confirmed_at": _iso(s.hours_confirmed_at),
            }
            for s in Signup.objects.filter(resident__in=people).select_related("activity")
        ],
        "corrections": [
            {
                "activity": c.signup.activity.title,
                "reason": c.reason,
                "status": c.status,
                "asked_at": _iso(c.created_at),
            }
            for c in CorrectionRequest.objects.filter(signup__resident__in=people).select_related("signup__activity")
        ],
        "ledger": [
            {"date": _iso(e.occurred_on), "kind": e.kind, "points": e.amount, "source": e.source}
            for e in LedgerEntry.objects.filter(resident__in=people).order_by("created_at", "pk").iterator()
        ],
        "redemptions": [
            {"item": r.item.name, "points": r.price, "status": r.status, "redeemed_at": _iso(r.created_at)}
            for r in Redemption.objects.filter(resident__in=people).select_related("item")
        ],
    }


registry.privacy(personal_data=personal_data)
