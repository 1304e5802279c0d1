"""Rounds in any phase, categories and nominations for the award tests."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.utils import timezone, translation

from awards.models import (
    TIMELINE_FIELDS,
    AwardCategory,
    AwardRound,
    Nomination,
    NominationStatus,
    RoundCategory,
    TargetKind,
    VoteUnit,
)
from project import formtokens
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory

BOUNDARIES = list(TIMELINE_FIELDS)
# Which boundary "now" sits just before, per phase.
PHASE_INDEX = {
    "upcoming": 0,
    "nominating": 1,
    "reviewing": 2,
    "waiting": 3,
    "voting": 4,
    "counting": 5,
    "publicity": 5,
    "publishing": 6,
    "published": 6,
}
_names = count(1)


def timeline(phase: str, now=None) -> dict:
    now = now or timezone.now()
    index = PHASE_INDEX[phase]
    return {name: now + timedelta(hours=12) + timedelta(days=k - index) for k, name in enumerate(BOUNDARIES)}


def make_round(phase: str = "nominating", **kwargs) -> AwardRound:
    values = {"title": f"2026年度评选{next(_names)}", "year": 2026, "announced": True, **timeline(phase), **kwargs}
    if phase in ("publicity", "publishing", "published"):
        values.setdefault("results_confirmed_at", timezone.now() - timedelta(minutes=5))
    if phase == "published":
        values.setdefault("published_at", timezone.now() - timedelta(minutes=1))
    return AwardRound.objects.create(**values)


def make_entry(round: AwardRound, kind: str = TargetKind.PERSON, **kwargs) -> RoundCategory:
    category = AwardCategory.objects.create(
        name=kwargs.pop("name", f"类别{next(_names)}"), target_kind=kind, criteria="事迹真实，群众公认。"
    )
    values = {"winners": 2, "votes_per_voter": 2, "vote_unit": VoteUnit.RESIDENT, **kwargs}
    return RoundCategory.objects.create(round=round, category=category, **values)


CITATION = "多年来坚持每天清扫楼道，冬天为独居老人送饭送菜，邻居们有事都愿意找她帮忙。"


def make_nomination(entry: RoundCategory, *, target=None, nominator=None, status=NominationStatus.SHORTLISTED, **kw):
    """A nomination of ``target`` (a Building, Household or Resident; a new one if not given)."""
    kind = entry.category.target_kind
    if target is None:
        target = {
            TargetKind.BUILDING: BuildingFactory,
            TargetKind.HOUSEHOLD: HouseholdFactory,
            TargetKind.PERSON: ResidentFactory,
        }[kind]()
    if kind == TargetKind.BUILDING:
        where = {"building": target}
    elif kind == TargetKind.HOUSEHOLD:
        where = {"building": target.building, "household": target}
    else:
        where = {"building": target.household.building, "household": target.household, "resident": target}
    return Nomination.objects.create(
        round=entry.round,
        entry=entry,
        target_kind=kind,
        nominator=nominator or ResidentFactory(),
        citation=CITATION,
        status=status,
        **where,
        **kw,
    )


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages in English, so tests can match them (pages still follow the request's language)."""
    with translation.override("en"):
        yield


def make_typed_nomination(entry: RoundCategory, *, household=None, name="李秀英", nominator=None, **kw) -> Nomination:
    """A person nomination by a typed name, waiting to be matched to the register."""
    household = household or HouseholdFactory()
    values = {"status": NominationStatus.SUBMITTED, **kw}
    return Nomination.objects.create(
        round=entry.round,
        entry=entry,
        target_kind=TargetKind.PERSON,
        building=household.building,
        household=household,
        typed_name=name,
        nominator=nominator or ResidentFactory(),
        citation=CITATION,
        **values,
    )


def form_token(client, form_name: str) -> dict:
    """The hidden one-time token a form rendered for ``client``'s signed-in user carries."""
    user = get_user_model().objects.get(pk=client.session[SESSION_KEY])
    return {formtokens.FIELD_NAME: formtokens.new_token(user, form_name)}


def nominate_person(entry: RoundCategory, *, nominator, person, **kwargs):
    """``nominator`` nominates the register person ``person`` through the service (``awards.services.nominate``)."""
    from awards.services import nominate

    household = person.household
    return nominate(
        entry=entry,
        nominator=nominator,
        building=household.building,
        household=household,
        resident=person,
        citation=CITATION,
        **kwargs,
    )
