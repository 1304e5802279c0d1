"""Honour categories and published honours (rounds, nominations and votes are added beside them)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from families.models import Building, Household, Resident
from project.images import PHOTO_FIELD_KWARGS


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
