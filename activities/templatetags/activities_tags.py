"""Small template helpers for the /me/ page panel."""

from __future__ import annotations

from django import template
from django.utils import timezone

from .. import conf
from ..models import PointsBalance, Redemption, Signup, hours_text

register = template.Library()


@register.simple_tag
def volunteer_summary(membership) -> dict:
    """Hours, points, star rank, next sign-ups and waiting redemptions of one resident (four small queries)."""
    balance = PointsBalance.objects.filter(resident=membership).first() or PointsBalance(resident=membership)
    stars = conf.star_rank(balance.half_hours)
    return {
        "hours": hours_text(balance.half_hours),
        "balance": balance.balance,
        "stars": stars,
        "star_range": range(stars),
        "upcoming": list(
            Signup.objects.live()
            .filter(resident=membership, activity__ends_at__gte=timezone.now())
            .select_related("activity")
            .order_by("activity__starts_at")[:5]
        ),
        "waiting_redemptions": Redemption.objects.filter(resident=membership, status=Redemption.Status.WAITING).count(),
    }
