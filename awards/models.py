"""Honour categories and published honours (rounds, nominations and votes are added beside them)."""

from __future__ import annotations

import secrets
import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from families.access import organizer_community_ids, organizer_grid_ids, verified_membership
from families.models import Building, Community, Household, Resident
from project.access import is_organizer
from project.images import PHOTO_FIELD_KWARGS

from . import conf


class TargetKind(models.TextChoices):
    BUILDING = "building", _("A building or courtyard")
    HOUSEHOLD = "household", _("A household")
    PERSON = "person", _("A person")


class AwardCategory(models.Model):
    """A kind of honour, e.g. 文明楼院 (a building), 五好家庭 (a household), 身边好人 (a person)."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    target_kind = models.CharField(_("who can be nominated"), max_length=10, choices=TargetKind.choices)
    criteria = models.TextField(
        _("criteria"), max_length=2000, blank=True, help_text=_("Shown to residents when they nominate.")
    )
    is_active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("award category")
        verbose_name_plural = _("award categories")

    def __str__(self) -> str:
        return self.name


class HonourQuerySet(models.QuerySet):
    def published(self) -> HonourQuerySet:
        """Honours the public may see: published and not withdrawn by a correction."""
        return self.filter(published_at__isnull=False, withdrawn_at__isnull=True)

    def for_board(self) -> HonourQuerySet:
        """Published honours with everything the board shows, in one query, newest first."""
        return (
            self.published()
            .select_related("category", "building__grid", "household__building", "resident__household__building")
            .order_by("-published_at", "-id")
        )

    def in_community(self, community: Community) -> HonourQuerySet:
        """The honours on a community's board: those whose target lives in the community.

        One rule for every kind of target: an honour belongs where its building is (the building itself, or
        the building of the household or person), building → grid → community. A street round's honours so
        appear on each winner's community board as well as on the street's."""
        return self.filter(building__grid__community=community)


class Honour(models.Model):
    """A published winner: the category, the year, the target, the citation and a photo.

    ``building`` is always the building concerned (the target itself, or the
    building of the household or person), so the board can filter by grid and
    a building's page can list every honour in it.
    """

    category = models.ForeignKey(
        AwardCategory, on_delete=models.PROTECT, related_name="honours", verbose_name=_("category")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("selection"), max_length=100, help_text=_("For example 2026年度评选."))
    target_kind = models.CharField(_("target"), max_length=10, choices=TargetKind.choices)
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="honours", verbose_name=_("building"))
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="honours",
        verbose_name=_("household"),
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="honours", verbose_name=_("person")
    )
    citation = models.TextField(_("citation"), max_length=3000)
    photo = models.CharField(_("photo"), **PHOTO_FIELD_KWARGS)
    certificate_number = models.CharField(_("certificate number"), max_length=24, unique=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    round = models.ForeignKey(
        "AwardRound", on_delete=models.PROTECT, null=True, blank=True, related_name="honours", verbose_name=_("round")
    )
    nomination = models.OneToOneField(
        "Nomination",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="honour",
        verbose_name=_("nomination"),
    )

    objects = HonourQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("honour")
        verbose_name_plural = _("honours")
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="honour_board_order"),
            models.Index(fields=["year", "category"], name="honour_year_category"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target_kind="building", household__isnull=True, resident__isnull=True)
                    | Q(target_kind="household", household__isnull=False, resident__isnull=True)
                    | Q(target_kind="person", household__isnull=False, resident__isnull=False)
                ),
                name="honour_target_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(published_at__isnull=False),
                name="honour_withdrawn_only_after_publication",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.category} {self.certificate_number}"

    @property
    def public_name(self) -> str:
        """The name the public may see, honouring the household's or person's consent."""
        if self.target_kind == TargetKind.BUILDING:
            return self.building.name
        if self.target_kind == TargetKind.HOUSEHOLD:
            return self.household.public_name if self.household.show_publicly else self.household.anonymous_name
        return self.resident.public_name


# --- Rounds ------------------------------------------------------------------------------------------------------


class Phase(models.TextChoices):
    DRAFT = "draft", _("Draft")
    UPCOMING = "upcoming", _("Announced")
    NOMINATING = "nominating", _("Nominations open")
    REVIEWING = "reviewing", _("Under review")
    WAITING = "waiting", _("Voting opens soon")
    VOTING = "voting", _("Voting open")
    COUNTING = "counting", _("Counting")
    PUBLICITY = "publicity", _("Publicity period")
    PUBLISHING = "publishing", _("Awaiting publication")
    PUBLISHED = "published", pgettext_lazy("round phase", "Published")


class VoteUnit(models.TextChoices):
    RESIDENT = "resident", _("One vote per resident")
    HOUSEHOLD = "household", _("One vote per household")


# A round's dates, in the order they must come.
TIMELINE_FIELDS = (
    "nominations_open_at",
    "nominations_close_at",
    "review_end_at",
    "voting_open_at",
    "voting_close_at",
    "publicity_end_at",
    "publication_at",
)


class AwardRoundQuerySet(models.QuerySet):
    def visible(self) -> AwardRoundQuerySet:
        """Rounds residents and the public may see: announced ones."""
        return self.filter(announced=True)

    def for_organizer(self, user) -> AwardRoundQuerySet:
        """The rounds an organizer sees on the desk: all for the street; for a community organizer or a grid
        worker, the street's rounds and the rounds of the communities they work in (the one scope rule,
        ``families.access.organizer_grid_ids``). Whether they may *run* one is ``AwardRound.run_by``."""
        from families.models import Grid

        grid_ids = organizer_grid_ids(user)
        if grid_ids is None:
            return self.all()
        communities = Grid.objects.filter(pk__in=grid_ids).values("community")
        return self.filter(Q(community__isnull=True) | Q(community__in=communities))

    def visible_to(self, user) -> AwardRoundQuerySet:
        """The one rule for who may see a round, its nominations and its ballot (any other is a 404).

        Visitors and signed-in users without a verified membership: every announced round (they cannot take
        part). A verified resident: announced rounds of the street and of their own community, never another
        community's. An organizer also sees the drafts and rounds on their desk (``for_organizer``).
        """
        announced = Q(announced=True)
        membership = verified_membership(user)
        if membership is not None:
            announced &= Q(community__isnull=True) | Q(community_id=membership.community_id)
        if is_organizer(user):
            return self.filter(announced | Q(pk__in=self.for_organizer(user).values("pk")))
        return self.filter(announced)

    def unfinished(self) -> AwardRoundQuerySet:
        return self.filter(published_at__isnull=True)


class AwardRound(models.Model):
    """One selection, e.g. "2026年度评选". Its phase follows from the timeline and from organizer actions."""

    title = models.CharField(_("title"), max_length=100)
    year = models.PositiveSmallIntegerField(_("year"))
    # The round's place: a community's round (its residents vote), or, empty, the street's (every community's).
    community = models.ForeignKey(
        "families.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="award_rounds",
        verbose_name=_("community"),
        help_text=_("Empty: a round of the whole street office."),
    )
    description = models.TextField(_("description"), max_length=3000, blank=True)
    announced = models.BooleanField(
        _("announced"), default=False, help_text=_("Residents and the public see the round once it is announced.")
    )
    nominations_open_at = models.DateTimeField(_("nominations open"))
    nominations_close_at = models.DateTimeField(_("nominations close"))
    review_end_at = models.DateTimeField(_("review ends"))
    voting_open_at = models.DateTimeField(_("voting opens"))
    voting_close_at = models.DateTimeField(_("voting closes"))
    publicity_end_at = models.DateTimeField(
        _("publicity period ends"), help_text=_("The publicity period starts when the winners are confirmed.")
    )
    publication_at = models.DateTimeField(_("planned publication"))
    results_confirmed_at = models.DateTimeField(_("winners confirmed"), null=True, blank=True)
    ranking_override_reason = models.TextField(_("reason for changes to the ranking"), max_length=2000, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    voting_notice_sent_at = models.DateTimeField(_("voting notice sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AwardRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-nominations_open_at", "-id"]
        verbose_name = _("award round")
        verbose_name_plural = _("award rounds")
        constraints = [
            models.CheckConstraint(
                condition=Q(nominations_open_at__lt=models.F("nominations_close_at"))
                & Q(nominations_close_at__lte=models.F("review_end_at"))
                & Q(review_end_at__lte=models.F("voting_open_at"))
                & Q(voting_open_at__lt=models.F("voting_close_at"))
                & Q(voting_close_at__lt=models.F("publicity_end_at"))
                & Q(publicity_end_at__lte=models.F("publication_at")),
                name="round_timeline_in_order",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(results_confirmed_at__isnull=False),
                name="round_published_only_after_confirmation",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # What phase() reads (and so what a partly loaded round must hold).
    PHASE_FIELDS = ("announced", *TIMELINE_FIELDS[:-1], "results_confirmed_at", "published_at")

    def phase(self, at=None) -> str:
        """Where the round stands at ``at`` (now by default), from the timeline and organizer actions."""
        at = at or timezone.now()
        if self.published_at:
            return Phase.PUBLISHED
        if not self.announced:
            return Phase.DRAFT
        if self.results_confirmed_at:
            return Phase.PUBLICITY if at < self.publicity_end_at else Phase.PUBLISHING
        if at >= self.voting_close_at:
            return Phase.COUNTING
        if at >= self.voting_open_at:
            return Phase.VOTING
        if at >= self.review_end_at:
            return Phase.WAITING
        if at >= self.nominations_close_at:
            return Phase.REVIEWING
        if at >= self.nominations_open_at:
            return Phase.NOMINATING
        return Phase.UPCOMING

    def phase_label(self, at=None) -> str:
        return Phase(self.phase(at)).label

    def issuing_body(self) -> str:
        """Who issues this round's 公示 notice and certificates: ``AWARDS_ISSUER`` if set, else the community's
        issuing body for a community's round, or the street office (``STREET_NAME``) for a street round."""
        if conf.configured_issuer():
            return conf.configured_issuer()
        if self.community_id is None:
            return settings.STREET_NAME
        return self.community.issuing_body

    @property
    def is_street_round(self) -> bool:
        return self.community_id is None

    def in_place(self, resident: Resident) -> bool:
        """Whether ``resident`` lives inside the round's place: anyone for a street round, else its community's
        residents. Who may vote, second, nominate and object, and who may be nominated."""
        return self.community_id is None or resident.community_id == self.community_id

    def building_in_place(self, building: Building) -> bool:
        return self.community_id is None or building.grid.community_id == self.community_id

    def seen_by(self, user) -> bool:
        """Whether ``user`` may see this loaded round: ``AwardRoundQuerySet.visible_to`` (the one rule) for one
        round already in hand, without another statement for a resident or a visitor (an organizer's desk is
        asked of the database). ``tests/awards/test_round_visibility.py`` holds the two to the same answers."""
        if self.announced:
            membership = verified_membership(user)
            if membership is None or self.community_id in (None, membership.community_id):
                return True
        return is_organizer(user) and AwardRound.objects.for_organizer(user).filter(pk=self.pk).exists()

    def run_by(self, user) -> bool:
        """Whether an organizer runs this round (edits it, closes voting, counts, confirms, answers, publishes):
        a street organizer any round; a community organizer their communities' rounds. Street rounds are run by
        the street; community organizers and grid workers review their grids' nominations in them."""
        if not is_organizer(user):
            return False
        if organizer_grid_ids(user) is None:
            return True
        return self.community_id is not None and self.community_id in organizer_community_ids(user)

    @property
    def current_phase(self) -> str:
        return self.phase()

    def accepts_nominations(self, at=None) -> bool:
        return self.phase(at) == Phase.NOMINATING

    def accepts_votes(self, at=None) -> bool:
        return self.phase(at) == Phase.VOTING

    def voters(self):
        """The verified residents inside the round's place: who may vote."""
        residents = Resident.objects.verified()
        if self.community_id is None:
            return residents
        return residents.filter(household__building__grid__community_id=self.community_id)

    def voting_reach(self) -> dict[str, int]:
        """Who ending voting now concerns: every voter of the round's place (all lose their vote) and how many
        have voted.

        A resident counts as having voted once they cast any vote in the round.
        """
        return {
            "eligible": self.voters().count(),
            "voted": self.votes.values("voter_id").distinct().count(),
        }

    def under_review(self, at=None) -> bool:
        """Organizers review from the first nomination until voting opens."""
        return self.phase(at) in (Phase.NOMINATING, Phase.REVIEWING, Phase.WAITING)

    def nominations_withdrawable(self, at=None) -> bool:
        at = at or timezone.now()
        return self.announced and not self.results_confirmed_at and at < self.review_end_at

    def accepts_objections(self, at=None) -> bool:
        return self.phase(at) == Phase.PUBLICITY

    def counts_visible(self, at=None) -> bool:
        """Counts stay hidden until voting has closed."""
        return self.phase(at) in (Phase.COUNTING, Phase.PUBLICITY, Phase.PUBLISHING, Phase.PUBLISHED)

    def winners_public(self, at=None) -> bool:
        return self.phase(at) in (Phase.PUBLICITY, Phase.PUBLISHING, Phase.PUBLISHED)

    def timeline(self, at=None) -> list[dict]:
        """The steps shown to residents, each marked done, current or to come."""
        at = at or timezone.now()
        current = self.phase(at)
        steps = [
            (Phase.NOMINATING, _("Nominations"), self.nominations_open_at, self.nominations_close_at),
            (Phase.REVIEWING, _("Review"), self.nominations_close_at, self.review_end_at),
            (Phase.VOTING, _("Voting"), self.voting_open_at, self.voting_close_at),
            (Phase.COUNTING, _("Counting"), self.voting_close_at, self.results_confirmed_at),
            (Phase.PUBLICITY, _("Publicity period"), self.results_confirmed_at, self.publicity_end_at),
            (Phase.PUBLISHED, _("Publication"), self.published_at or self.publication_at, None),
        ]
        order = [s[0] for s in steps]
        alias = {Phase.WAITING: Phase.REVIEWING, Phase.PUBLISHING: Phase.PUBLICITY}
        current_step = alias.get(current, current)
        position = order.index(current_step) if current_step in order else -1
        result = []
        for index, (key, label, start, end) in enumerate(steps):
            if current == Phase.PUBLISHED:
                state = "done"
            elif position == -1:
                state = "todo"
            else:
                state = "done" if index < position else ("current" if index == position else "todo")
            result.append({"key": key, "label": label, "start": start, "end": end, "state": state})
        return result


class RoundCategory(models.Model):
    """A category as it runs in one round, with that round's rules."""

    round = models.ForeignKey(AwardRound, on_delete=models.CASCADE, related_name="entries", verbose_name=_("round"))
    category = models.ForeignKey(
        AwardCategory, on_delete=models.PROTECT, related_name="round_entries", verbose_name=_("category")
    )
    winners = models.PositiveSmallIntegerField(_("number of winners"), default=3)
    votes_per_voter = models.PositiveSmallIntegerField(_("votes per voter"), default=3)
    vote_unit = models.CharField(_("who votes"), max_length=10, choices=VoteUnit.choices, default=VoteUnit.RESIDENT)
    self_nomination_allowed = models.BooleanField(
        _("self-nomination allowed"),
        default=False,
        help_text=_("Whether residents may nominate themselves, their own household or their own building."),
    )
    confirmed_at = models.DateTimeField(_("winners confirmed"), null=True, blank=True)
    takes_forward = models.BooleanField(
        _("shortlist recommended by the communities (推荐上报)"),
        default=False,
        help_text=_(
            "Street rounds only: the shortlist is each community's published winners of this category in the "
            "same year, taken forward from the desk; residents do not nominate in it."
        ),
    )

    class Meta:
        ordering = ["category__sort_order", "category__name"]
        verbose_name = _("category in a round")
        verbose_name_plural = _("categories in a round")
        constraints = [
            models.UniqueConstraint(fields=["round", "category"], name="round_category_once"),
            models.CheckConstraint(condition=Q(winners__gte=1), name="round_category_at_least_one_winner"),
            models.CheckConstraint(condition=Q(votes_per_voter__gte=1), name="round_category_at_least_one_vote"),
        ]

    def __str__(self) -> str:
        return f"{self.round} · {self.category}"

    @property
    def target_kind(self) -> str:
        return self.category.target_kind


# --- Nominations -------------------------------------------------------------------------------------------------


class NominationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for review")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    REJECTED = "rejected", _("Not shortlisted")
    WITHDRAWN = "withdrawn", _("Withdrawn by the nominator")
    DECLINED = "declined", _("Declined by the nominee")
    MERGED = "merged", _("Merged into another nomination")


LIVE_STATUSES = (NominationStatus.SUBMITTED, NominationStatus.SHORTLISTED)


class NominationQuerySet(models.QuerySet):
    def live(self) -> NominationQuerySet:
        """Nominations still in the running (waiting for review or shortlisted)."""
        return self.filter(status__in=LIVE_STATUSES)

    def shortlisted(self) -> NominationQuerySet:
        return self.filter(status=NominationStatus.SHORTLISTED)

    def recent(self) -> NominationQuerySet:
        """The latest ten with only what the panel and ``target_name`` read (for "my nominations" on /me/): not
        ``with_target()``'s households of buildings and of residents, nor their other columns; building the
        instances was most of the panel's time."""
        return (
            self.select_related("entry__category", "building", "household", "resident")
            .only(
                "status",
                "target_kind",
                "resident_id",
                "entry__category__name",
                "building__name",
                "household__display_name",
                "resident__full_name",
            )
            .order_by("-created_at", "-id")[:10]
        )

    def with_target(self) -> NominationQuerySet:
        return self.select_related(
            "entry__category", "building", "household__building", "resident__household__building"
        )

    def with_seconds(self) -> NominationQuerySet:
        return self.annotate(seconds_count=models.Count("seconds", distinct=True))

    def winners(self) -> NominationQuerySet:
        """The confirmed winners, with their targets: what publishing a round puts on the board."""
        return self.filter(is_winner=True).with_target().order_by("entry__category__sort_order", "entry_id", "id")

    def to_be_matched(self) -> NominationQuerySet:
        """Person nominations whose name was typed and waits for an organizer to link it to the register."""
        return self.filter(target_kind=TargetKind.PERSON, resident__isnull=True)


def target_key_for(kind: str, building_id: int, household_id: int | None, resident_id: int | None) -> str:
    """The key that makes a target unique in a category; a typed name that waits to be matched has none yet."""
    if kind == TargetKind.BUILDING:
        return f"b{building_id}"
    if kind == TargetKind.HOUSEHOLD:
        return f"h{household_id}"
    if resident_id is None:
        raise ValueError("A person nomination without a register person has no target key; use typed_target_key().")
    return f"p{resident_id}"


def typed_target_key() -> str:
    """A key of its own for a typed name, so that nothing about the register decides whether it collides.

    Two typed names are never the same target until an organizer links them
    to a register person (``services.link_nomination``), where the rule of one
    nomination per target applies again.
    """
    return "t" + secrets.token_hex(8)


def normalize_person_name(raw: str) -> str:
    """A name as typed, in one form: full-width letters and spaces folded (NFKC), runs of spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", raw or "").split())


class Nomination(models.Model):
    """A resident's proposal of a target in one category of a round, with a citation (事迹)."""

    round = models.ForeignKey(AwardRound, on_delete=models.CASCADE, related_name="nominations", verbose_name=_("round"))
    entry = models.ForeignKey(
        RoundCategory, on_delete=models.CASCADE, related_name="nominations", verbose_name=_("category")
    )
    target_kind = models.CharField(_("target"), max_length=10, choices=TargetKind.choices)
    target_key = models.CharField(_("target key"), max_length=24, editable=False)
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="nominations", verbose_name=_("building")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nominations",
        verbose_name=_("household"),
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, null=True, blank=True, related_name="nominations", verbose_name=_("person")
    )
    typed_name = models.CharField(
        _("name as typed"),
        max_length=50,
        blank=True,
        help_text=_("The name the nominator typed. Shown to organizers only, until they link it to the register."),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
        verbose_name=_("merged into"),
    )
    nominator = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="nominations_made", verbose_name=_("nominated by")
    )
    citation = models.TextField(_("citation"), max_length=1500)
    photo = models.CharField(_("photo"), **PHOTO_FIELD_KWARGS)
    status = models.CharField(
        _("status"), max_length=12, choices=NominationStatus.choices, default=NominationStatus.SUBMITTED
    )
    review_reason = models.TextField(_("reason"), max_length=1000, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    paper_votes = models.PositiveIntegerField(_("paper votes"), default=0)
    is_winner = models.BooleanField(_("winner"), default=False)
    forwarded_from = models.ForeignKey(
        Honour,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="taken_forward",
        verbose_name=_("recommended by a community"),
        help_text=_("The community's published honour this street-round candidate was taken forward from."),
    )
    created_at = models.DateTimeField(_("nominated"), auto_now_add=True)

    objects = NominationQuerySet.as_manager()

    class Meta:
        ordering = ["entry", "created_at", "id"]
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        constraints = [
            # One nomination per target per category of a round: a second nomination becomes a 附议.
            models.UniqueConstraint(fields=["entry", "target_key"], name="nomination_one_per_target"),
            # A person is a register person, or a typed name waiting to be matched to one.
            models.CheckConstraint(
                condition=(
                    Q(target_kind="building", household__isnull=True, resident__isnull=True)
                    | Q(target_kind="household", household__isnull=False, resident__isnull=True)
                    | (
                        Q(target_kind="person", household__isnull=False)
                        & (Q(resident__isnull=False) | ~Q(typed_name=""))
                    )
                ),
                name="nomination_target_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(is_winner=False) | Q(status="shortlisted"), name="nomination_winner_is_shortlisted"
            ),
            # Nobody votes on a typed name: an organizer links it to the register first.
            models.CheckConstraint(
                condition=~Q(status="shortlisted") | ~Q(target_kind="person") | Q(resident__isnull=False),
                name="nomination_shortlisted_person_is_matched",
            ),
            # A merged nomination names the one it was merged into, and only a merged one does.
            models.CheckConstraint(
                condition=(Q(status="merged") & Q(merged_into__isnull=False))
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="nomination_merged_names_its_target",
            ),
        ]
        indexes = [models.Index(fields=["round", "status"])]

    def __str__(self) -> str:
        return f"{self.entry.category} · {self.target_name}"

    def save(self, *args, **kwargs):
        if self.to_be_matched:
            if not self.target_key.startswith("t"):
                self.target_key = typed_target_key()
        else:
            self.target_key = target_key_for(self.target_kind, self.building_id, self.household_id, self.resident_id)
        super().save(*args, **kwargs)

    @property
    def to_be_matched(self) -> bool:
        """A typed name that no organizer has linked to a register person yet."""
        return self.target_kind == TargetKind.PERSON and self.resident_id is None

    @property
    def target_name(self) -> str:
        """The target as verified residents and organizers see it (never a door number or phone).

        A typed name is never shown here, to anyone: until an organizer links
        it, the nomination is "a resident of <building>" (``name_for_organizers``
        shows the typed name on organizer pages).
        """
        if self.target_kind == TargetKind.BUILDING:
            return self.building.name
        if self.target_kind == TargetKind.HOUSEHOLD:
            return f"{self.building.name} · {self.household.display_name}"
        if self.to_be_matched:
            return _("A resident of %(building)s") % {"building": self.building.name}
        return f"{self.resident.full_name}（{self.building.name}）"

    @property
    def name_for_organizers(self) -> str:
        """The target with a typed name as typed (marked as waiting to be matched): organizer pages only."""
        if self.to_be_matched:
            return _("%(name)s (typed, to be matched) · %(building)s · %(household)s") % {
                "name": self.typed_name,
                "building": self.building.name,
                "household": self.household.display_name,
            }
        return self.target_name

    @property
    def public_name(self) -> str:
        """The target as the public sees it, honouring consent."""
        if self.target_kind == TargetKind.BUILDING:
            return self.building.name
        if self.target_kind == TargetKind.HOUSEHOLD:
            return self.household.public_name if self.household.show_publicly else self.household.anonymous_name
        if self.to_be_matched:
            return _("A resident of %(building)s") % {"building": self.building.name}
        return self.resident.public_name

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    def nominee_users(self) -> list:
        """Accounts that may decline this nomination: the person, or the household's verified members."""
        if self.target_kind == TargetKind.PERSON:
            if self.to_be_matched:
                return []  # told when an organizer links the name, not before
            return [self.resident.user] if self.resident.user_id and self.resident.is_verified else []
        if self.target_kind == TargetKind.HOUSEHOLD:
            return [
                r.user for r in self.household.residents.verified().filter(user__isnull=False).select_related("user")
            ]
        return []

    def is_nominee(self, membership: Resident | None) -> bool:
        if membership is None:
            return False
        if self.target_kind == TargetKind.PERSON:
            return membership.pk == self.resident_id
        if self.target_kind == TargetKind.HOUSEHOLD:
            return membership.household_id == self.household_id
        return False


class Second(models.Model):
    """A resident's 附议 of a nomination: one per resident per nomination."""

    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="seconds")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="award_seconds")
    created_at = models.DateTimeField(_("seconded"), auto_now_add=True)

    class Meta:
        verbose_name = _("second")
        verbose_name_plural = _("seconds")
        constraints = [models.UniqueConstraint(fields=["nomination", "resident"], name="second_once_per_resident")]

    def __str__(self) -> str:
        return f"second #{self.pk}"


class CitationRevision(models.Model):
    """An organizer's edit of a citation, with the text before and after: append-only."""

    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="revisions")
    old_citation = models.TextField(_("before"))
    new_citation = models.TextField(_("after"))
    reason = models.CharField(_("reason"), max_length=300)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(_("edited"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("citation revision")
        verbose_name_plural = _("citation revisions")

    def __str__(self) -> str:
        return f"revision #{self.pk}"


class VoteQuerySet(models.QuerySet):
    def current(self) -> VoteQuerySet:
        """Votes in rounds not yet published (for "my ballot" on /me/)."""
        return self.filter(round__published_at__isnull=True)


class Vote(models.Model):
    """One online vote for a shortlisted nomination.

    ``unit_key`` names who the vote belongs to: ``r<resident id>`` in
    per-resident categories, ``h<household id>`` in per-household ones. The
    voter is kept only so that voters can see and withdraw their own ballot;
    no page, export or admin screen shows it to anyone else.
    """

    # No single-column indexes on these three: the composite indexes below start with each of them, and every
    # index costs each vote a write in the busiest hour of the round.
    round = models.ForeignKey(AwardRound, on_delete=models.CASCADE, related_name="votes", db_index=False)
    entry = models.ForeignKey(RoundCategory, on_delete=models.CASCADE, related_name="votes", db_index=False)
    nomination = models.ForeignKey(Nomination, on_delete=models.PROTECT, related_name="votes", db_index=False)
    unit_key = models.CharField(max_length=24)
    voter = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="award_votes")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="award_votes")
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="award_votes")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(fields=["nomination", "unit_key"], name="vote_once_per_nomination_per_unit"),
        ]
        indexes = [models.Index(fields=["entry", "unit_key"]), models.Index(fields=["round", "building"])]

    def __str__(self) -> str:
        # Never the voter: who voted for whom is secret.
        return f"vote #{self.pk}"


class PaperTally(models.Model):
    """Counts from paper ballots for one category, entered by an organizer with a photo of the tally sheet."""

    entry = models.ForeignKey(RoundCategory, on_delete=models.CASCADE, related_name="paper_tallies")
    counts = models.JSONField(_("counts"), default=dict, help_text=_("Paper votes per nomination id."))
    photo = models.CharField(_("photo of the tally sheet"), **PHOTO_FIELD_KWARGS)
    note = models.CharField(_("note"), max_length=300, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("paper tally")
        verbose_name_plural = _("paper tallies")

    def __str__(self) -> str:
        return f"{self.entry} paper tally #{self.pk}"


class Objection(models.Model):
    """A resident's objection (异议) during the publicity period, answered by an organizer on the record."""

    round = models.ForeignKey(AwardRound, on_delete=models.CASCADE, related_name="objections")
    nomination = models.ForeignKey(
        Nomination,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="objections",
        verbose_name=_("about"),
    )
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="award_objections")
    text = models.TextField(_("objection"), max_length=2000)
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(_("filed"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"objection #{self.pk}"


class Correction(models.Model):
    """A recorded, visible change to a round's results after publication."""

    round = models.ForeignKey(AwardRound, on_delete=models.PROTECT, related_name="corrections")
    honour = models.ForeignKey(Honour, on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")
    summary = models.CharField(_("what changed"), max_length=200)
    reason = models.TextField(_("reason"), max_length=1000)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self) -> str:
        return self.summary


# --- Notices -----------------------------------------------------------------------------------------------------


class NoticeKind(models.TextChoices):
    """The kinds of notice awards sends (registered with the core in awards/notices.py)."""

    NOMINATED = "nominated", _("You were nominated")
    SHORTLISTED = "shortlisted", _("Your nomination was shortlisted")
    REJECTED = "rejected", _("Your nomination was not shortlisted")
    VOTING_OPEN = "voting_open", _("Voting is open")
    OBJECTION_ANSWERED = "objection_answered", _("Your objection was answered")
    PUBLICITY_ENDED = "publicity_ended", _("The publicity period is over: the round can be published")
    TAKEN_FORWARD = "taken_forward", _("Recommended to the street's round")


class NoticePreference(models.Model):
    """Which award notices an account wants; whether copies go by email is the core's ``NoticeSettings``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="award_notice_pref")
    voting_open = models.BooleanField(_("tell me when voting opens"), default=True)

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")

    def __str__(self) -> str:
        return str(self.user)
