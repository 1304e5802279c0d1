"""Every write of an award round: nominate, second, review, vote, count, confirm, object, publish, correct.

Views, admin actions and management commands call these functions and nothing
else writes these rows. Each organizer action writes its audit entry in the
same transaction; emails and public-cache invalidation wait for the commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from families.models import Household, Resident
from project import formtokens, publiccache, schedule
from project.access import ORGANIZER_GROUP
from project.errors import ServiceError
from project.images import CleanPhoto, delete_photo, stored_for_write
from project.models import AuditEntry
from project.notices import notify
from project.ratelimit import Limit, refuse_if_reached

from . import conf
from .models import (
    TIMELINE_FIELDS,
    AwardCategory,
    AwardRound,
    CitationRevision,
    Correction,
    Honour,
    Nomination,
    NominationStatus,
    NoticeKind,
    NoticePreference,
    Objection,
    PaperTally,
    Phase,
    RoundCategory,
    Second,
    TargetKind,
    Vote,
    VoteUnit,
    normalize_person_name,
    target_key_for,
)

# The names of the one-time form tokens (project.formtokens) of the forms that create something here.
NOMINATE_FORM = "awards.nominate"
SECOND_FORM = "awards.second"
OBJECTION_FORM = "awards.objection"

# The create forms' one-time tokens (project.formtokens): the names their templates' {% form_token %} tags use.
CATEGORY_FORM = "awards.category_new"
ROUND_FORM = "awards.round_new"
ENTRY_FORM = "awards.entry_new"
PAPER_TALLY_FORM = "awards.paper_tally"


class AwardError(ServiceError):
    """An action the rules refuse, with the message to show (in the reader's language)."""


HOUR = 60 * 60


def _within_hourly_limit(scope: str, resident: Resident, limit: int, message: str) -> None:
    """Refuse a resident's try once ``limit`` tries this hour are used up, else count this one (tried or not)."""
    per_account = Limit(scope, str(resident.user_id or f"resident-{resident.pk}"), limit, HOUR)
    refuse_if_reached([per_account], message)
    per_account.count()


def check_citation(citation: str) -> None:
    """Refuse a citation shorter than ``AWARDS_CITATION_MIN`` or longer than ``AWARDS_CITATION_MAX`` characters."""
    if not conf.citation_min() <= len(citation) <= conf.citation_max():
        raise AwardError(
            _("The citation must be between %(min)d and %(max)d characters.")
            % {"min": conf.citation_min(), "max": conf.citation_max()}
        )


# --- Helpers -----------------------------------------------------------------------------------------------------


def _live_membership(resident: Resident) -> Resident:
    """The resident as the register has them now; refuses anyone no longer verified."""
    current = Resident.objects.verified().select_related("household__building__grid").filter(pk=resident.pk).first()
    if current is None:
        raise AwardError(_("Only verified residents can take part. Join your household first."))
    return current


def _refuse_outside(round: AwardRound, me: Resident) -> None:
    """Only residents inside the round's place take part in it (the pages already answer 404 to the others)."""
    if not round.in_place(me):
        raise AwardError(_("This round is for the residents of another community."))


def unit_key(entry: RoundCategory, resident: Resident) -> str:
    """Who a vote in ``entry`` belongs to: the resident, or their household in household mode."""
    if entry.vote_unit == VoteUnit.HOUSEHOLD:
        return f"h{resident.household_id}"
    return f"r{resident.pk}"


def _claim(token: str | None, resident: Resident, form_name: str) -> formtokens.Claim:
    """Use up a form's one-time token in the caller's transaction (no token, as from the demo seeder: nothing)."""
    return formtokens.claim(token=token, user=resident.user if token else None, form_name=form_name)


def _audit(actor, action: str, target, **details) -> None:
    AuditEntry.objects.log(actor=actor, action=action, target=target, details=details)


def _notify(users: Iterable, *, kind: str, round: AwardRound, nomination: Nomination | None = None, detail: str = ""):
    """On-site notices for ``users`` (the core's ``notify``), copied by email after commit to those who want email."""
    if nomination is not None:
        title = f"{round.title} · {nomination.entry.category.name}"
        url = reverse("awards:nomination", args=[nomination.pk])
    else:
        title, url = round.title, reverse("awards:round", args=[round.pk])
    notify(users=users, kind=kind, params={"title": title, "detail": detail}, url=url)


# --- Rounds ------------------------------------------------------------------------------------------------------


def save_category(*, category: AwardCategory, actor, changed: list[str], token: str | None = None) -> AwardCategory:
    """Add an award category (once per form ``token``) or change one, with an audit line."""
    created = category.pk is None
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=CATEGORY_FORM)
        category.save()
        _audit(actor, "awards.category_created" if created else "awards.category_changed", category, changed=changed)
        claim.done(category, url=reverse("awards:category_list"))
    return category


def save_round(
    *, round: AwardRound, actor, changed: list[str], created: bool = False, token: str | None = None
) -> AwardRound:
    """Save a round's title and timeline, with an audit line naming what changed (a new round once per ``token``)."""
    if round.published_at:
        raise AwardError(_("This round is published; its timeline can no longer change."))
    if not round.run_by(actor):
        raise AwardError(_("Only street organizers run the street's rounds; community organizers their communities'."))
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=ROUND_FORM)
        round.save()
        _audit(
            actor,
            "awards.round_created" if created else "awards.round_timeline_changed",
            round,
            changed=changed,
            timeline={name: getattr(round, name).isoformat() for name in TIMELINE_FIELDS},
            announced=round.announced,
            community=round.community_id,
        )
        claim.done(round, url=reverse("awards:organize_round", args=[round.pk]))
    return round


def save_entry(*, entry: RoundCategory, actor, created: bool, token: str | None = None) -> RoundCategory:
    """Add a category to a round (once per form ``token``) or change its rules (before voting opens)."""
    round = entry.round
    if round.phase() not in (Phase.DRAFT, Phase.UPCOMING, Phase.NOMINATING, Phase.REVIEWING, Phase.WAITING):
        raise AwardError(_("The rules of a category cannot change once voting has opened."))
    if entry.takes_forward and not round.is_street_round:
        raise AwardError(_("Only a street round takes its shortlist from the communities' winners."))
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=ENTRY_FORM)
        try:
            with transaction.atomic():
                entry.save()
        except IntegrityError as exc:
            raise AwardError(_("This category is already part of the round.")) from exc
        _audit(
            actor,
            "awards.round_category_added" if created else "awards.round_category_changed",
            round,
            category=entry.category.name,
            winners=entry.winners,
            votes_per_voter=entry.votes_per_voter,
            vote_unit=entry.vote_unit,
            self_nomination_allowed=entry.self_nomination_allowed,
            takes_forward=entry.takes_forward,
        )
        claim.done(entry, url=reverse("awards:round_edit", args=[round.pk]))
    return entry


def close_voting(*, round: AwardRound, actor) -> None:
    """End voting now (for example when the last ballot box is in), recorded in the audit log."""
    with transaction.atomic():
        round = AwardRound.objects.select_for_update().get(pk=round.pk)
        if round.phase() != Phase.VOTING:
            raise AwardError(_("Voting is not open, so it cannot be closed."))
        now = timezone.now()
        planned = round.voting_close_at
        round.voting_close_at = now
        round.save(update_fields=["voting_close_at"])
        _audit(actor, "awards.voting_closed", round, planned_close=planned.isoformat(), closed=now.isoformat())


def send_voting_open_notices(*, round: AwardRound) -> int:
    """Tell verified residents that voting is open, once per round (those who opted out are skipped)."""
    if round.phase() != Phase.VOTING or round.voting_notice_sent_at:
        return 0
    with transaction.atomic():
        # Compare-and-set: only the first caller sends, however many ticks (or the command by hand) ask at once.
        claimed = AwardRound.objects.filter(pk=round.pk, voting_notice_sent_at__isnull=True).update(
            voting_notice_sent_at=timezone.now()
        )
        if not claimed:
            return 0
        from django.contrib.auth import get_user_model

        opted_out = NoticePreference.objects.filter(voting_open=False).values("user_id")
        users = list(
            get_user_model()
            .objects.filter(residencies__in=round.voters(), is_active=True)
            .exclude(pk__in=opted_out)
            .distinct()
        )
        _notify(users, kind=NoticeKind.VOTING_OPEN, round=round)
    round.voting_notice_sent_at = timezone.now()
    return len(users)


def notify_publicity_ended(*, round: AwardRound, now: datetime | None = None) -> int:
    """Tell the organizers who run the round (``AwardRound.run_by``), once per round, that its publicity period is
    over.

    Publishing stays their decision (every objection answered, then "Publish"): the scheduled tick only tells them
    it is due. Once per round, whatever the tick or the timeline does afterwards. Returns how many were told.
    """
    from django.contrib.auth import get_user_model

    with transaction.atomic():
        round = AwardRound.objects.get(pk=round.pk)
        if round.phase(now) != Phase.PUBLISHING or not schedule.once(f"awards.publicity_ended:{round.pk}"):
            return 0
        candidates = (
            get_user_model()
            .objects.filter(Q(groups__name=ORGANIZER_GROUP) | Q(is_staff=True) | Q(is_superuser=True), is_active=True)
            .distinct()
        )
        organizers = [user for user in candidates if round.run_by(user)]
        _notify(organizers, kind=NoticeKind.PUBLICITY_ENDED, round=round)
    return len(organizers)


def forwardable_honours(entry: RoundCategory):
    """The honours ``take_forward`` takes into a street round's category: each community's published, standing
    winners of the same category in that community's rounds of the round's year."""
    return (
        Honour.objects.published()
        .filter(category=entry.category_id, year=entry.round.year, round__community__isnull=False)
        .select_related("round__community", "nomination__nominator__user", "building", "household", "resident__user")
        .order_by("round__community__name", "pk")
    )


def _notify_taken_forward(nomination: Nomination, *, round: AwardRound, entry: RoundCategory) -> None:
    """Tell a forwarded candidate's people and its nominator which round and category, and when voting opens.

    Once per honour and category: the unique key (the scheduled notices' ``once``) holds even if the nomination
    were written twice by a path that skipped the round's lock."""
    if not schedule.once(f"awards.taken_forward:{entry.pk}:{nomination.forwarded_from_id}"):
        return
    honour = nomination.forwarded_from
    users = [*nomination.nominee_users(), honour.nomination.nominator.user]
    params = {
        "community": honour.round.community.name,
        "target": nomination.target_name,
        "category": entry.category.name,
        "round": round.title,
        "opens": timezone.localtime(round.voting_open_at).strftime("%Y-%m-%d %H:%M"),
    }
    title = f"{round.title} · {entry.category.name}"
    # A draft round is not there for residents yet: the notice links to the candidate once it can be read.
    url = reverse("awards:nomination", args=[nomination.pk]) if round.announced else ""
    notify(users=users, kind=NoticeKind.TAKEN_FORWARD, params={"title": title, **params}, url=url)


def take_forward(*, entry: RoundCategory, actor) -> list[Nomination]:
    """推荐上报: shortlist in a street round's category each community's published winners of that category in
    the same year (``forwardable_honours``). The one rule, run by the organizer from the desk before voting opens.

    Idempotent: a winner already on the shortlist (the same target: one nomination per target per category) is
    not added again, so running it twice, or after a late publication, adds only who is new. The candidate keeps
    the community's citation, photo and nominator, and points at the honour it came from. Audited.

    The people of each new candidate (``Nomination.nominee_users``) and its nominator are told, once per honour
    taken into this category (``schedule.once``), whatever runs it twice or at the same time.
    """
    with transaction.atomic():
        # The lock queues two organizers taking forward at once: each sees the other's nominations.
        round = AwardRound.objects.select_for_update().get(pk=entry.round_id)
        entry = RoundCategory.objects.select_related("category").get(pk=entry.pk)
        if not round.is_street_round or not entry.takes_forward:
            raise AwardError(_("Only a street round's category set to take the communities' winners can do this."))
        if not round.under_review() and round.phase() not in (Phase.DRAFT, Phase.UPCOMING):
            raise AwardError(_("Candidates are taken forward before voting opens."))
        taken = set(Nomination.objects.filter(entry=entry).values_list("target_key", flat=True))
        added = []
        now = timezone.now()
        for honour in forwardable_honours(entry):
            key = target_key_for(honour.target_kind, honour.building_id, honour.household_id, honour.resident_id)
            if key in taken or honour.nomination_id is None:
                continue
            taken.add(key)
            added.append(
                Nomination(
                    round=round,
                    entry=entry,
                    target_kind=honour.target_kind,
                    target_key=key,
                    building=honour.building,
                    household=honour.household,
                    resident=honour.resident,
                    nominator=honour.nomination.nominator,
                    citation=honour.citation,
                    photo=honour.photo,
                    status=NominationStatus.SHORTLISTED,
                    review_reason=_("Recommended by %(community)s") % {"community": honour.round.community.name},
                    reviewed_at=now,
                    forwarded_from=honour,
                )
            )
        Nomination.objects.bulk_create(added)  # keys computed above: bulk_create skips save()
        for nomination in added:
            _notify_taken_forward(nomination, round=round, entry=entry)
        _audit(
            actor,
            "awards.taken_forward",
            round,
            category=entry.category.name,
            added=[n.forwarded_from.certificate_number for n in added],
        )
    publiccache.changed(Nomination)
    return added


# --- Nominations -------------------------------------------------------------------------------------------------


def _check_target(entry: RoundCategory, building, household, resident, typed_name: str = "") -> None:
    kind = entry.category.target_kind
    if building is None:
        raise AwardError(_("Choose a building."))
    if kind in (TargetKind.HOUSEHOLD, TargetKind.PERSON) and (
        household is None or household.building_id != building.pk
    ):
        raise AwardError(_("Choose a household in that building."))
    if kind != TargetKind.PERSON:
        return
    if resident is None and not typed_name:
        raise AwardError(_("Choose the person from the list, or type their name."))
    if resident is not None and (resident.household_id != household.pk or resident.status == Resident.Status.REMOVED):
        raise AwardError(_("Choose the person from the list, or type their name."))


def _is_self(entry: RoundCategory, me: Resident, building, household, resident, typed_name: str = "") -> bool:
    kind = entry.category.target_kind
    if kind == TargetKind.BUILDING:
        return building.pk == me.household.building_id
    if kind == TargetKind.HOUSEHOLD:
        return household.pk == me.household_id
    if resident is None:
        # The nominator's own name in their own household: comparing with what they know tells them nothing.
        return household.pk == me.household_id and typed_name == normalize_person_name(me.full_name)
    return resident.pk == me.pk


def nominate(
    *,
    entry: RoundCategory,
    nominator: Resident,
    building,
    household=None,
    resident=None,
    typed_name: str = "",
    citation: str,
    photo: CleanPhoto | None = None,
    token: str | None = None,
) -> tuple[Nomination, bool]:
    """Nominate a target, or second it if it is already nominated in this category.

    Returns the nomination and whether it was created (False: it was seconded).
    The unique constraint on (category, target) settles two people nominating
    the same target at the same moment: the loser's nomination becomes a second.

    A person is either ``resident`` (picked from the household's members who
    agreed to be named in public) or ``typed_name``. A typed name is taken as it
    is, whatever the register holds: it is never compared with the register
    here, so neither the answer nor what happens next tells the nominator
    whether such a person lives there. It waits "to be matched" until an
    organizer links it at review (``link_nomination``); the nominee is told then.

    ``photo`` is stored with a new nomination and with nothing else (not for a
    second, nor for a refused or failed try). ``token`` is the form's one-time
    token (``project.formtokens``): the same form sent twice makes one
    nomination. Each account may try
    ``AWARDS_NOMINATIONS_PER_HOUR`` times an hour.
    """
    _within_hourly_limit(
        "award-nominate",
        nominator,
        conf.nominations_per_hour(),
        _("You have sent many nominations in the last hour. Please try again later."),
    )
    round = entry.round
    kind = entry.category.target_kind
    if kind == TargetKind.BUILDING:
        household = resident = None
    if kind != TargetKind.PERSON:
        resident, typed_name = None, ""
    typed_name = "" if resident is not None else normalize_person_name(typed_name)[:50]
    citation = (citation or "").strip()
    with stored_for_write(photo, folder="awards/nominations") as photo_name, transaction.atomic():
        claim = _claim(token, nominator, NOMINATE_FORM)
        me = _live_membership(nominator)
        if not round.accepts_nominations():
            raise AwardError(_("Nominations for this round are not open."))
        _refuse_outside(round, me)
        if entry.takes_forward:
            raise AwardError(_("In this category the communities recommend the candidates; residents do not nominate."))
        _check_target(entry, building, household, resident, typed_name)
        if not round.building_in_place(building):
            raise AwardError(_("This round's candidates live in its community: choose a building there."))
        if not entry.self_nomination_allowed and _is_self(entry, me, building, household, resident, typed_name):
            raise AwardError(
                _("In this category you cannot nominate yourself, your own household or your own building.")
            )
        if typed_name:
            existing = None
        else:
            key = target_key_for(
                kind, building.pk, household.pk if household else None, resident.pk if resident else None
            )
            existing = Nomination.objects.filter(entry=entry, target_key=key).first()
        if existing is None:
            check_citation(citation)
            try:
                with transaction.atomic():
                    nomination = Nomination.objects.create(
                        round=round,
                        entry=entry,
                        target_kind=kind,
                        building=building,
                        household=household,
                        resident=resident,
                        typed_name=typed_name,
                        nominator=me,
                        citation=citation,
                        photo=photo_name,
                    )
            except IntegrityError:
                if typed_name:  # a typed name has a key of its own: this is not a second nomination of it
                    raise
                existing = Nomination.objects.get(entry=entry, target_key=key)
            else:
                nomination = Nomination.objects.with_target().get(pk=nomination.pk)
                users = [u for u in nomination.nominee_users() if u.pk != me.user_id]
                _notify(users, kind=NoticeKind.NOMINATED, round=round, nomination=nomination)
                claim.done(nomination, url=reverse("awards:nomination", args=[nomination.pk]))
                return nomination, True
        if not existing.is_live:
            raise AwardError(
                _(
                    "This target was nominated before and is no longer in the running (withdrawn, declined or not shortlisted)."
                )
            )
        second = second_nomination(nomination=existing, resident=me)
        claim.done(second, url=reverse("awards:nomination", args=[existing.pk]))
        delete_photo(photo_name)  # a second carries no photo; the nomination keeps its own
        return existing, False


def second_nomination(*, nomination: Nomination, resident: Resident, token: str | None = None) -> Second:
    """Second (附议) a nomination: once per resident, while nominations are open.

    A typed name waiting to be matched cannot be seconded yet: who it is (and
    so whether the rules about oneself apply) is known only once an organizer
    links it.
    """
    with transaction.atomic():
        claim = _claim(token, resident, SECOND_FORM)
        me = _live_membership(resident)
        nomination = Nomination.objects.select_related("round").get(pk=nomination.pk)
        if not nomination.round.accepts_nominations():
            raise AwardError(_("Seconding is only possible while nominations are open."))
        _refuse_outside(nomination.round, me)
        if not nomination.is_live:
            raise AwardError(_("This nomination is no longer in the running."))
        if nomination.to_be_matched:
            raise AwardError(
                _("This nomination waits for the organizers to find the person in the register; second it after that.")
            )
        if nomination.nominator_id == me.pk:
            raise AwardError(_("You made this nomination, so you cannot second it."))
        if nomination.is_nominee(me):
            raise AwardError(_("This nomination is about you or your household, so you cannot second it."))
        try:
            with transaction.atomic():
                second = Second.objects.create(nomination=nomination, resident=me)
        except IntegrityError as exc:
            raise AwardError(_("You have already seconded this nomination.")) from exc
        claim.done(second, url=reverse("awards:nomination", args=[nomination.pk]))
        return second


def link_nomination(*, nomination: Nomination, resident: Resident, actor, merge: bool = False) -> Nomination:
    """An organizer links a typed name to a register person of that household, at review.

    From then on the rules of a named person apply: not the nominator
    themselves (unless the category allows it), and one nomination per person
    per category. If the person is already nominated in the category, the
    organizer is told; with ``merge`` the typed nomination is closed as merged
    and its nominator becomes a second of the existing one (unless that would
    break the seconding rules). The nominee is told now, not before.
    Returns the nomination that carries the person afterwards.
    """
    with transaction.atomic():
        nomination = (
            Nomination.objects.select_for_update(of=("self",))
            .select_related("round", "entry__category", "building", "household", "nominator__user")
            .get(pk=nomination.pk)
        )
        if not nomination.to_be_matched:
            raise AwardError(_("This nomination is already linked to a person in the register."))
        if not nomination.round.under_review():
            raise AwardError(_("Nominations can only be reviewed before voting opens."))
        if nomination.status != NominationStatus.SUBMITTED:
            raise AwardError(_("Only a nomination that waits for review can be linked."))
        if (
            resident is None
            or resident.household_id != nomination.household_id
            or resident.status == Resident.Status.REMOVED
        ):
            raise AwardError(_("Choose a person of that household's register."))
        if not nomination.entry.self_nomination_allowed and resident.pk == nomination.nominator_id:
            raise AwardError(
                _(
                    "This is the nominator themselves, and this category does not allow nominating oneself. Do not shortlist it, and say why."
                )
            )
        key = target_key_for(TargetKind.PERSON, nomination.building_id, nomination.household_id, resident.pk)
        existing = Nomination.objects.filter(entry=nomination.entry, target_key=key).exclude(pk=nomination.pk).first()
        if existing is not None:
            return _merge(nomination, into=existing, resident=resident, actor=actor, merge=merge)
        nomination.resident = resident
        try:
            with transaction.atomic():
                nomination.save(update_fields=["resident", "target_key"])
        except IntegrityError as exc:  # nominated by someone else this very moment
            raise AwardError(
                _("%(name)s was nominated in this category meanwhile. Try again to merge the two.")
                % {"name": resident.full_name}
            ) from exc
        _audit(
            actor,
            "awards.nomination_linked",
            nomination,
            round=nomination.round_id,
            typed_name=nomination.typed_name,
            resident=resident.pk,
        )
        nomination = Nomination.objects.with_target().select_related("round").get(pk=nomination.pk)
        users = [u for u in nomination.nominee_users() if u.pk != nomination.nominator.user_id]
        _notify(users, kind=NoticeKind.NOMINATED, round=nomination.round, nomination=nomination)
        return nomination


def _merge(typed: Nomination, *, into: Nomination, resident: Resident, actor, merge: bool) -> Nomination:
    """Close ``typed`` as merged into ``into`` (the same person's nomination), its nominator becoming a second."""
    if not into.is_live:
        raise AwardError(
            _(
                "%(name)s was nominated in this category before and is no longer in the running. Do not shortlist this nomination, and say why."
            )
            % {"name": resident.full_name}
        )
    if not merge:
        raise AwardError(
            _(
                "%(name)s is already nominated in this category. Tick “merge into that nomination” to close this one and count its nominator as a second of the existing nomination."
            )
            % {"name": resident.full_name}
        )
    into = Nomination.objects.select_for_update(of=("self",)).select_related("household", "resident").get(pk=into.pk)
    supporters = [typed.nominator_id, *typed.seconds.values_list("resident_id", flat=True)]
    added = []
    for supporter in supporters:
        if supporter == into.nominator_id or supporter == into.resident_id:
            continue  # the rules of seconding: not one's own nomination, not about oneself
        _second, created = Second.objects.get_or_create(nomination=into, resident_id=supporter)
        if created:
            added.append(supporter)
    typed.status = NominationStatus.MERGED
    typed.merged_into = into
    typed.reviewed_at = timezone.now()
    typed.save(update_fields=["status", "merged_into", "reviewed_at"])
    _audit(
        actor,
        "awards.nomination_merged",
        typed,
        round=typed.round_id,
        typed_name=typed.typed_name,
        resident=resident.pk,
        merged_into=into.pk,
        seconds_added=added,
    )
    return into


def withdraw_nomination(*, nomination: Nomination, resident: Resident) -> None:
    """The nominator withdraws their nomination, until the review ends."""
    with transaction.atomic():
        nomination = Nomination.objects.select_for_update(of=("self",)).select_related("round").get(pk=nomination.pk)
        if nomination.nominator_id != resident.pk:
            raise AwardError(_("Only the person who made a nomination can withdraw it."))
        if not nomination.round.nominations_withdrawable():
            raise AwardError(_("The review has ended, so nominations can no longer be withdrawn."))
        if not nomination.is_live:
            raise AwardError(_("This nomination is no longer in the running."))
        nomination.status = NominationStatus.WITHDRAWN
        nomination.withdrawn_at = timezone.now()
        nomination.save(update_fields=["status", "withdrawn_at"])


def decline_nomination(*, nomination: Nomination, resident: Resident) -> None:
    """The nominee (the person, or a member of the household) declines, before anything is public."""
    with transaction.atomic():
        nomination = (
            Nomination.objects.select_for_update(of=("self",))
            .select_related("round", "household", "resident")
            .get(pk=nomination.pk)
        )
        if not nomination.is_nominee(resident):
            raise AwardError(_("Only the nominee can decline a nomination."))
        if nomination.round.results_confirmed_at or nomination.round.published_at:
            raise AwardError(_("The results are already public, so the nomination can no longer be declined."))
        if not nomination.is_live:
            raise AwardError(_("This nomination is no longer in the running."))
        nomination.status = NominationStatus.DECLINED
        nomination.declined_at = timezone.now()
        nomination.save(update_fields=["status", "declined_at"])


# --- Review ------------------------------------------------------------------------------------------------------


def review_nomination(*, nomination: Nomination, actor, shortlist: bool, reason: str = "") -> None:
    """Shortlist or reject a nomination (a rejection needs a reason the nominator sees)."""
    reason = (reason or "").strip()
    with transaction.atomic():
        nomination = (
            Nomination.objects.select_for_update(of=("self",))
            .select_related("round", "nominator__user")
            .get(pk=nomination.pk)
        )
        if not nomination.round.under_review():
            raise AwardError(_("Nominations can only be reviewed before voting opens."))
        if nomination.status not in (
            NominationStatus.SUBMITTED,
            NominationStatus.SHORTLISTED,
            NominationStatus.REJECTED,
        ):
            raise AwardError(_("This nomination was withdrawn or declined and cannot be reviewed."))
        if not shortlist and not reason:
            raise AwardError(_("Please give the reason for not shortlisting; the nominator will see it."))
        if shortlist and nomination.to_be_matched:
            raise AwardError(_("Link the typed name to a person in the register before shortlisting."))
        new_status = NominationStatus.SHORTLISTED if shortlist else NominationStatus.REJECTED
        if nomination.status == new_status and nomination.review_reason == reason:
            return
        nomination.status = new_status
        nomination.review_reason = reason
        nomination.reviewed_at = timezone.now()
        nomination.save(update_fields=["status", "review_reason", "reviewed_at"])
        _audit(
            actor,
            "awards.nomination_shortlisted" if shortlist else "awards.nomination_rejected",
            nomination,
            reason=reason,
            round=nomination.round_id,
        )
        _notify(
            [nomination.nominator.user],
            kind=NoticeKind.SHORTLISTED if shortlist else NoticeKind.REJECTED,
            round=nomination.round,
            nomination=nomination,
            detail=reason,
        )


def edit_citation(*, nomination: Nomination, actor, citation: str, reason: str) -> None:
    """Change a citation, keeping the text before and after (until publication)."""
    citation = (citation or "").strip()
    reason = (reason or "").strip()
    with transaction.atomic():
        nomination = Nomination.objects.select_for_update(of=("self",)).select_related("round").get(pk=nomination.pk)
        if nomination.round.published_at:
            raise AwardError(_("The round is published; a change now needs a correction."))
        check_citation(citation)
        if not reason:
            raise AwardError(_("Please say why the citation is changed."))
        if citation == nomination.citation:
            return
        CitationRevision.objects.create(
            nomination=nomination,
            old_citation=nomination.citation,
            new_citation=citation,
            reason=reason,
            edited_by=actor,
        )
        nomination.citation = citation
        nomination.save(update_fields=["citation"])
        _audit(actor, "awards.citation_edited", nomination, reason=reason, round=nomination.round_id)


# --- Voting ------------------------------------------------------------------------------------------------------


class NotVerified(AwardError):
    """The voter has no verified membership of a household (any more)."""


# What cast_vote reads of the voter: unit_key and _vote_refusal (the resident and household ids), the vote's
# building and the round's place (Resident.community_id, through the building's grid).
_VOTER_FIELDS = (
    "status",
    "user_id",
    "household_id",
    "household__building_id",
    "household__building__grid_id",
    "household__building__grid__community_id",
)


def cast_vote(*, nomination: Nomination | int, resident: Resident | None = None, user=None) -> Vote:
    """Cast one online vote for ``nomination`` (or its id), within the category's limit, exactly under concurrency.

    The voter is ``resident``, or the verified resident of ``user``. A
    nomination the voter cannot see (missing, or in a round not announced)
    raises ``Nomination.DoesNotExist``.

    Four statements inside the transaction: the nomination with its round and
    category, the voter's membership with a lock on their household, the
    household's ballot in this category, and the insert. The rules are checked
    once, in Python (``_vote_refusal``); the unique constraint has the last word.
    """
    if (resident is None) == (user is None):
        raise TypeError("cast_vote() takes a resident or a user")
    nomination_id = nomination.pk if isinstance(nomination, Nomination) else nomination
    low, high = connection.ops.integer_field_range(Nomination._meta.pk.get_internal_type())
    if not low <= nomination_id <= high:  # an id from a URL that no row can have; the database would refuse it
        raise Nomination.DoesNotExist
    voter = {"pk": resident.pk} if resident is not None else {"user_id": user.pk}
    try:
        with transaction.atomic():
            nomination = Nomination.objects.select_related("round", "entry").get(
                pk=nomination_id, round__announced=True
            )
            if not nomination.round.accepts_votes():
                raise AwardError(_("Voting for this round is not open."))
            # The lock on the household queues every vote (and withdrawal) of one household, so the ballot read
            # below holds every vote committed before ours: parallel requests cannot pass the limit together.
            # On SQLite the IMMEDIATE transaction serialises writers instead.
            # get(), not first(): a user has one live membership at most (the constraint
            # resident_one_live_membership_per_user), and get() builds no ordered slice. only(): the ids the rules
            # below read, not every column of four tables. Together about 1-2 ms of CPU less per vote on the
            # benchmark machine (docs/performance.md).
            try:
                me = (
                    Resident.objects.verified()
                    .select_related("household__building__grid")
                    .select_for_update(of=("household",))
                    .only(*_VOTER_FIELDS)
                    .get(**voter)
                )
            except Resident.DoesNotExist as missing:
                raise NotVerified(_("Only verified residents can take part. Join your household first.")) from missing
            if not nomination.round.in_place(me):
                raise Nomination.DoesNotExist  # another community's round: not there for this voter (a 404)
            key = unit_key(nomination.entry, me)
            ballot = list(
                Vote.objects.filter(entry=nomination.entry, unit_key=key).values_list(
                    "nomination_id", "nomination__status"
                )
            )
            refusal = _vote_refusal(nomination, me, ballot)
            if refusal:
                raise AwardError(refusal)
            return Vote.objects.create(
                round_id=nomination.round_id,
                entry_id=nomination.entry_id,
                nomination=nomination,
                unit_key=key,
                voter=me,
                household_id=me.household_id,
                building_id=me.household.building_id,
            )
    except IntegrityError as exc:  # the unique constraint, should two requests ever pass the checks at once
        raise AwardError(_("This vote is already on your ballot.")) from exc


def _vote_refusal(nomination: Nomination, me: Resident, ballot: list[tuple[int, str]]) -> str:
    """Why ``me`` may not vote for ``nomination`` (empty if they may), given the ballot of their vote's unit in
    its category as (nomination id, status) pairs. Votes for nominations declined since no longer count, so
    they free their place."""
    if nomination.household_id and nomination.household_id == me.household_id:
        return _("You cannot vote for your own household or a member of it.")
    if nomination.resident_id == me.pk:
        return _("You cannot vote for yourself.")
    if nomination.status != NominationStatus.SHORTLISTED:
        return _("Only shortlisted nominations can receive votes.")
    if any(nomination_id == nomination.pk for nomination_id, _status in ballot):
        return _("This vote is already on your ballot.")
    limit = nomination.entry.votes_per_voter
    if sum(status == NominationStatus.SHORTLISTED for _id, status in ballot) >= limit:
        return _("You have used all %(n)d of your votes in this category. Withdraw one to change your choice.") % {
            "n": limit
        }
    return ""


def withdraw_vote(*, nomination: Nomination, resident: Resident) -> None:
    """Take a vote back off the ballot while voting is open."""
    with transaction.atomic():
        me = _live_membership(resident)
        Household.objects.select_for_update().filter(pk=me.household_id).first()  # same queue as cast_vote
        nomination = Nomination.objects.select_related("round", "entry").get(pk=nomination.pk)
        if not nomination.round.accepts_votes():
            raise AwardError(_("Voting is closed, so votes can no longer be changed."))
        deleted, _rows = Vote.objects.filter(nomination=nomination, unit_key=unit_key(nomination.entry, me)).delete()
        if not deleted:
            raise AwardError(_("This nomination is not on your ballot."))


def ballot_for(round: AwardRound, resident: Resident | None) -> set[int]:
    """The nomination ids on this resident's ballot (their household's in household mode), in one query."""
    if resident is None:
        return set()
    # "r…" keys only occur in per-resident categories and "h…" keys in per-household ones.
    keys = [f"r{resident.pk}", f"h{resident.household_id}"]
    # By the round's categories, so that the (entry, unit_key) index finds this voter's few votes: by the round
    # alone the database read every vote of the round (954 of them in the quick bench: 0.39 -> 0.03 ms on
    # SQLite, and the round's votes grow to 100,000 in `make bench`). A vote's entry is always of its round.
    entries = RoundCategory.objects.filter(round=round).values("pk")
    return set(Vote.objects.filter(entry__in=entries, unit_key__in=keys).values_list("nomination_id", flat=True))


def voter_order(nominations: list[Nomination], *, round: AwardRound, resident: Resident | None) -> list[Nomination]:
    """A random order that stays the same for each voter (and differs between voters)."""
    seed = f"{settings.SECRET_KEY}:{round.pk}:{resident.pk if resident else 'anon'}"
    return sorted(nominations, key=lambda n: hashlib.sha256(f"{seed}:{n.pk}".encode()).hexdigest())


# --- Counting ----------------------------------------------------------------------------------------------------


@dataclass
class ResultRow:
    nomination: Nomination
    online: int
    paper: int
    total: int
    rank: int = 0
    tied: bool = False
    proposed: bool = False


@dataclass
class EntryResult:
    entry: RoundCategory
    rows: list[ResultRow] = field(default_factory=list)
    tie_at_cutoff: bool = False
    voters: int = 0

    @property
    def default_winner_ids(self) -> set[int]:
        return {row.nomination.pk for row in self.rows[: self.entry.winners]}


def round_results(round: AwardRound) -> list[EntryResult]:
    """Ranked results per category (online, paper, total), ties flagged; four queries whatever the size.

    Votes are counted by one GROUP BY over the vote table alone and joined in
    Python: grouping the wide nomination rows (citations included) by a join
    cost seconds at 100,000 votes.
    """
    entries = list(round.entries.select_related("category"))
    online_votes = dict(Vote.objects.filter(round=round).values_list("nomination").annotate(n=Count("id")).order_by())
    nominations = list(Nomination.objects.filter(round=round, status=NominationStatus.SHORTLISTED).with_target())
    for nomination in nominations:
        nomination.online_votes = online_votes.get(nomination.pk, 0)
        nomination.total_votes = nomination.online_votes + nomination.paper_votes
    nominations.sort(key=lambda n: (n.entry_id, -n.total_votes, n.created_at, n.pk))
    voters = dict(
        Vote.objects.filter(round=round).values_list("entry").annotate(n=Count("unit_key", distinct=True)).order_by()
    )
    by_entry: dict[int, EntryResult] = {e.pk: EntryResult(entry=e, voters=voters.get(e.pk, 0)) for e in entries}
    for nomination in nominations:
        result = by_entry[nomination.entry_id]
        result.rows.append(
            ResultRow(
                nomination=nomination,
                online=nomination.online_votes,
                paper=nomination.paper_votes,
                total=nomination.total_votes,
            )
        )
    for result in by_entry.values():
        totals = [row.total for row in result.rows]
        for index, row in enumerate(result.rows):
            row.rank = totals.index(row.total) + 1
            row.tied = totals.count(row.total) > 1
            row.proposed = index < result.entry.winners
        n = result.entry.winners
        if len(result.rows) > n and result.rows[n - 1].total == result.rows[n].total:
            result.tie_at_cutoff = True
    return list(by_entry.values())


def record_paper_tally(
    *,
    entry: RoundCategory,
    actor,
    counts: dict[int, int],
    photo: CleanPhoto | None,
    note: str = "",
    token: str | None = None,
) -> PaperTally:
    """Enter the counts from paper ballots for a category, with a photo of the tally sheet (once per ``token``).

    The photo is kept only if the counts are (a refused entry leaves no file behind).
    """
    with stored_for_write(photo, folder="awards/tallies") as photo_name, transaction.atomic():
        claim = formtokens.claim(token=token, user=actor, form_name=PAPER_TALLY_FORM)
        round = AwardRound.objects.select_for_update().get(pk=entry.round_id)
        if round.phase() not in (Phase.VOTING, Phase.COUNTING):
            raise AwardError(_("Paper ballots are entered while voting is open or being counted."))
        if not photo_name and not entry.paper_tallies.exclude(photo="").exists():
            raise AwardError(_("Please add a photo of the tally sheet."))
        shortlisted = set(entry.nominations.shortlisted().values_list("pk", flat=True))
        if set(counts) - shortlisted:
            raise AwardError(_("Paper votes can only be entered for shortlisted nominations."))
        if any(value < 0 for value in counts.values()):
            raise AwardError(_("Counts cannot be negative."))
        for nomination_id, value in counts.items():
            Nomination.objects.filter(pk=nomination_id).update(paper_votes=value)
        publiccache.changed(Nomination)  # update() sends no signal
        tally = PaperTally.objects.create(
            entry=entry, counts={str(k): v for k, v in counts.items()}, photo=photo_name, note=note, entered_by=actor
        )
        _audit(actor, "awards.paper_tally_entered", round, category=entry.category.name, counts=tally.counts, note=note)
        claim.done(tally, url=reverse("awards:paper_tally", args=[round.pk, entry.pk]))
    return tally


def confirm_winners(*, round: AwardRound, actor, winners: dict[int, set[int]], reason: str = "") -> None:
    """Confirm the winners of every category and start the publicity period.

    Any choice other than the top of the ranking, or a choice across a tie at
    the cut-off, needs a reason, which is recorded and shown with the results.
    """
    reason = (reason or "").strip()
    with transaction.atomic():
        round = AwardRound.objects.select_for_update().get(pk=round.pk)
        if round.phase() != Phase.COUNTING:
            raise AwardError(_("Winners are confirmed after voting closes and before the publicity period."))
        now = timezone.now()
        if round.publicity_end_at <= now:
            raise AwardError(_("The publicity period would already be over. Move its end later in the timeline first."))
        results = round_results(round)
        needs_reason = False
        chosen_all: list[int] = []
        summary = {}
        for result in results:
            chosen = set(winners.get(result.entry.pk, set()))
            allowed = {row.nomination.pk for row in result.rows}
            if chosen - allowed:
                raise AwardError(_("Winners must be shortlisted nominations of their category."))
            if len(chosen) > result.entry.winners:
                raise AwardError(
                    _("%(category)s has at most %(n)d winners.")
                    % {"category": result.entry.category.name, "n": result.entry.winners}
                )
            if chosen != result.default_winner_ids or result.tie_at_cutoff:
                needs_reason = True
            chosen_all.extend(chosen)
            summary[result.entry.category.name] = {
                "ranking": [[row.nomination.pk, row.total] for row in result.rows],
                "winners": sorted(chosen),
                "tie_at_cutoff": result.tie_at_cutoff,
            }
        if needs_reason and not reason:
            raise AwardError(
                _("The winners differ from the ranking (or a tie had to be settled): please record the reason.")
            )
        Nomination.objects.filter(round=round).update(is_winner=False)
        Nomination.objects.filter(pk__in=chosen_all).update(is_winner=True)
        RoundCategory.objects.filter(round=round).update(confirmed_at=now)
        publiccache.changed(Nomination)  # update() sends no signal
        publiccache.changed(RoundCategory)
        round.results_confirmed_at = now
        round.ranking_override_reason = reason if needs_reason else ""
        round.save(update_fields=["results_confirmed_at", "ranking_override_reason"])
        _audit(
            actor,
            "awards.winners_confirmed_with_override" if needs_reason else "awards.winners_confirmed",
            round,
            reason=reason,
            categories=summary,
        )


# --- Publicity ---------------------------------------------------------------------------------------------------


def file_objection(
    *, round: AwardRound, resident: Resident, nomination: Nomination | None, text: str, token: str | None = None
) -> Objection:
    """A verified resident objects (异议) during the publicity period; the same form sent twice files one.

    Each account may try ``AWARDS_OBJECTIONS_PER_HOUR`` times an hour.
    """
    _within_hourly_limit(
        "award-objection",
        resident,
        conf.objections_per_hour(),
        _("You have filed many objections in the last hour. Please try again later."),
    )
    text = (text or "").strip()
    with transaction.atomic():
        claim = _claim(token, resident, OBJECTION_FORM)
        me = _live_membership(resident)
        if not round.accepts_objections():
            raise AwardError(_("Objections can be filed only during the publicity period."))
        _refuse_outside(round, me)
        if nomination is not None:
            nomination = Nomination.objects.filter(pk=nomination.pk, round=round, is_winner=True).first()
            if nomination is None:
                raise AwardError(_("Objections are about the proposed winners of this round."))
        if not 10 <= len(text) <= 2000:
            raise AwardError(_("Please describe your objection in 10 to 2000 characters."))
        objection = Objection.objects.create(round=round, resident=me, nomination=nomination, text=text)
        claim.done(objection, url=reverse("awards:round", args=[round.pk]) + "#objections")
    return objection


def answer_objection(*, objection: Objection, actor, answer: str) -> None:
    """An organizer answers an objection on the record; the answer is shown on the round page."""
    answer = (answer or "").strip()
    if not answer:
        raise AwardError(_("Please write the answer."))
    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update(of=("self",))
            .select_related("round", "resident__user")
            .get(pk=objection.pk)
        )
        if objection.round.published_at:
            raise AwardError(_("The round is published; the answers are final."))
        if objection.answered_at:
            raise AwardError(_("This objection is already answered; the answer stays on the record."))
        objection.answer = answer
        objection.answered_at = timezone.now()
        objection.answered_by = actor
        objection.save(update_fields=["answer", "answered_at", "answered_by"])
        _audit(actor, "awards.objection_answered", objection.round, objection=objection.pk, answer=answer)
        _notify(
            [objection.resident.user],
            kind=NoticeKind.OBJECTION_ANSWERED,
            round=objection.round,
            nomination=objection.nomination,
            detail=answer,
        )


# --- Publication and corrections ---------------------------------------------------------------------------------


def certificate_number(round: AwardRound, nomination: Nomination) -> str:
    return f"HR{round.year}-{nomination.pk:06d}"


def publish_round(*, round: AwardRound, actor) -> list[Honour]:
    """Publish the confirmed winners as honours on the board, once the publicity period is over."""
    with transaction.atomic():
        round = AwardRound.objects.select_for_update().get(pk=round.pk)
        if round.phase() != Phase.PUBLISHING:
            raise AwardError(_("A round is published after the winners are confirmed and the publicity period ends."))
        if round.objections.filter(answered_at__isnull=True).exists():
            raise AwardError(_("Answer every objection before publishing."))
        now = timezone.now()
        winners = Nomination.objects.filter(round=round, is_winner=True).with_target()
        honours = [
            Honour(
                category=nomination.entry.category,
                year=round.year,
                title=round.title,
                target_kind=nomination.target_kind,
                building=nomination.building,
                household=nomination.household,
                resident=nomination.resident,
                citation=nomination.citation,
                photo=nomination.photo,
                certificate_number=certificate_number(round, nomination),
                published_at=now,
                round=round,
                nomination=nomination,
            )
            for nomination in winners
        ]
        Honour.objects.bulk_create(honours)
        round.published_at = now
        round.save(update_fields=["published_at"])
        _audit(actor, "awards.round_published", round, honours=[h.certificate_number for h in honours])
        publiccache.changed(Honour)  # bulk_create sends no signal
    return honours


def withdraw_honour(*, honour: Honour, actor, reason: str) -> Correction:
    """Withdraw a published honour with a reason: a correction everyone can see on the round page."""
    reason = (reason or "").strip()
    if not reason:
        raise AwardError(_("Please give the reason for the correction; it will be public."))
    with transaction.atomic():
        honour = Honour.objects.select_for_update().get(pk=honour.pk)
        if honour.round_id is None or honour.published_at is None or honour.withdrawn_at is not None:
            raise AwardError(_("Only a published honour that is still standing can be withdrawn."))
        honour.withdrawn_at = timezone.now()
        honour.withdrawal_reason = reason
        honour.save(update_fields=["withdrawn_at", "withdrawal_reason"])
        correction = Correction.objects.create(
            round_id=honour.round_id,
            honour=honour,
            summary=_("Honour %(number)s withdrawn") % {"number": honour.certificate_number},
            reason=reason,
            made_by=actor,
        )
        _audit(actor, "awards.honour_withdrawn", honour, reason=reason, round=honour.round_id)
    return correction
