"""The award rounds' part of a resident's own data (their nominations, seconds, ballot, objections).

Nothing needs anonymising here when an account is deleted: nominations, votes
and objections point at the register's person, whose row families.privacy
strips of name and phone; preferences go with the account (notices are the core's).
"""

from __future__ import annotations

from project import registry

from .models import Nomination, Objection, Second, Vote


def personal_data(user) -> dict:
    people = list(user.residencies.values_list("pk", flat=True))
    return {
        "nominations_made": [
            {
                "round": n.round.title,
                "category": n.entry.category.name,
                "target": n.target_name,
                "name_given": n.typed_name,
                "citation": n.citation,
                "status": n.status,
                "created_at": n.created_at.isoformat(),
            }
            for n in Nomination.objects.filter(nominator__in=people).select_related(
                "round", "entry__category", "building", "household", "resident"
            )
        ],
        "seconds": [
            {"nomination": s.nomination.target_name, "created_at": s.created_at.isoformat()}
            for s in Second.objects.filter(resident__in=people).select_related(
                "nomination__building", "nomination__household", "nomination__resident"
            )
        ],
        # Your own ballot: only you can see it.
        "votes": [
            {"round": v.round.title, "nomination": v.nomination.target_name, "created_at": v.created_at.isoformat()}
            for v in Vote.objects.filter(voter__in=people).select_related(
                "round", "nomination__building", "nomination__household", "nomination__resident"
            )
        ],
        "objections": [
            {"round": o.round.title, "text": o.text, "answer": o.answer, "created_at": o.created_at.isoformat()}
            for o in Objection.objects.filter(resident__in=people).select_related("round")
        ],
    }


registry.privacy(personal_data=personal_data)
