"""A round on paper: the 公示 notice for the bulletin board, and certificates (one, or a round's all).

Both are posted or handed out in the community, so both are Chinese
(``pdf.PAPER_LANGUAGE``) whatever the organizer's language, and both name
people only as they agreed to be named in public on the notice
(``Nomination.public_name``, ``Honour.public_name``); a certificate carries the
name ``certificate_name`` allows its reader. QR codes point at this site
(``pdf.site_origin``): the notice's at the round's objection page, a
certificate's at its verify page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from families.access import scope_to_organizer, verified_membership
from project import pdf
from project.access import is_organizer
from project.codes import qr_svg

from . import conf
from .models import AwardRound, Honour, Nomination, Phase, TargetKind

NOTICE_SIZES = ("a4", "a3")

# What a notice publicises in each phase: the shortlist once review has ended, the winners once confirmed.
SHORTLIST, ELECTED = "shortlist", "elected"
NOTICE_STAGES = {
    Phase.WAITING: SHORTLIST,
    Phase.VOTING: SHORTLIST,
    Phase.PUBLICITY: ELECTED,
    Phase.PUBLISHING: ELECTED,
    Phase.PUBLISHED: ELECTED,
}


class NothingToPublicise(ValueError):
    """The round has no shortlist or winners to post yet (or none in the asker's grids)."""


@dataclass
class NoticeGroup:
    category: str
    names: list[str] = field(default_factory=list)


def notice_stage(round: AwardRound, at=None) -> str | None:
    """``SHORTLIST``, ``ELECTED`` or None (nothing to post in this phase)."""
    return NOTICE_STAGES.get(round.phase(at))


def notice_groups(round: AwardRound, stage: str) -> list[NoticeGroup]:
    """Each category with the names the public may read: shortlisted or elected nominations before publication,
    the honours still standing after it (a withdrawn honour is no longer posted). Two queries."""
    groups = {entry.category_id: NoticeGroup(entry.category.name) for entry in round.entries.select_related("category")}
    if stage == ELECTED and round.published_at:
        standing = round.honours.published().select_related(
            "building", "household__building", "resident__household__building"
        )
        named = ((honour.category_id, honour.public_name) for honour in standing.order_by("id"))
    else:
        nominations = Nomination.objects.filter(round=round).shortlisted().with_target()
        if stage == ELECTED:
            nominations = nominations.filter(is_winner=True)
        named = ((n.entry.category_id, n.public_name) for n in nominations.order_by("created_at", "id"))
    for category_id, name in named:
        if category_id in groups:
            groups[category_id].names.append(name)
    return [group for group in groups.values() if group.names]


def _qr(url: str, label: str) -> str:
    """A QR code of ``url`` that is also a link in the PDF."""
    return format_html('<a class="qr-link" href="{}">{}</a>', url, mark_safe(qr_svg(url, label=label)))  # noqa: S308 - drawn by qrcode


def notice(round: AwardRound, *, origin: str, size: str = "a4", today=None):
    """The 公示 notice of ``round`` on an A4 or A3 sheet (``NOTICE_SIZES``), as a WeasyPrint document.

    Raises ``NothingToPublicise`` when the round has no shortlist or winners to post yet.
    """
    if size not in NOTICE_SIZES:
        raise ValueError(f"A notice is printed on {NOTICE_SIZES}, not {size!r}.")
    stage = notice_stage(round)
    with translation.override(pdf.PAPER_LANGUAGE):  # "a resident of ..." is posted in Chinese too
        groups = notice_groups(round, stage) if stage else []
    if not groups:
        raise NothingToPublicise(round.pk)
    issuing_body = round.issuing_body()
    if stage == ELECTED:
        qr_url = pdf.absolute_url(reverse("awards:object", args=[round.pk]), origin)
        qr_label = _("Objection page of this round")
    else:
        qr_url = pdf.absolute_url(reverse("awards:round", args=[round.pk]), origin)
        qr_label = _("Page of this round")
    return pdf.render(
        "awards/paper/notice.html",
        {
            "round": round,
            "stage": stage,
            "groups": groups,
            "publicity_start": round.results_confirmed_at,
            "qr": _qr(qr_url, str(qr_label)),
            "qr_url": qr_url,
            "in_person": conf.objection_in_person(issuing_body),
            "issuing_body": issuing_body,
            "today": today or timezone.localdate(),
            "sheet": size,
        },
        size=size,
    )


def certificate_name(honour: Honour, user) -> str:
    """The name printed on a certificate.

    Organizers print certificates to hand over, and the honoured household may
    print its own: they see the real name (never the door). Everyone else sees
    the public name, as on the board.
    """
    may_see = user.is_authenticated and (
        is_organizer(user)
        or (honour.household_id and getattr(verified_membership(user), "household_id", None) == honour.household_id)
    )
    if not may_see:
        return honour.public_name
    if honour.target_kind == TargetKind.PERSON:
        return honour.resident.full_name
    if honour.target_kind == TargetKind.HOUSEHOLD:
        return honour.household.public_name
    return honour.building.name


def certificate(honour: Honour, *, reader, origin: str):
    """One certificate of ``honour`` on an A4 landscape sheet, with the name ``reader`` may see on it."""
    with translation.override(pdf.PAPER_LANGUAGE):
        name = certificate_name(honour, reader)
    verify_url = pdf.absolute_url(reverse("board:verify", args=[honour.certificate_number]), origin)
    issuing_body = honour.round.issuing_body() if honour.round_id else conf.issuer()
    return pdf.render(
        "awards/paper/certificate.html",
        {
            "honour": honour,
            "name": name,
            "verify_url": verify_url,
            "qr": _qr(verify_url, str(_("Scan to check this certificate:"))),
            "issuing_body": issuing_body,
            "issued": timezone.localtime(honour.published_at),
        },
        size="a4-landscape",
    )


def round_certificate_honours(round: AwardRound, user):
    """The standing honours of ``round`` whose certificates ``user`` may print (a grid worker: their grids')."""
    honours = (
        Honour.objects.for_board().filter(round=round).select_related("round").order_by("category__sort_order", "id")
    )
    return scope_to_organizer(honours, user)


def round_certificates(params: dict, user) -> pdf.Paper:
    """The background paper kind ``awards.certificates``: every certificate of a round, one per page."""
    round = AwardRound.objects.get(pk=int(params["round"]))
    honours = list(round_certificate_honours(round, user))
    if not honours:
        raise NothingToPublicise(round.pk)
    origin = params.get("origin") or pdf.site_origin()
    documents = (certificate(honour, reader=user, origin=origin) for honour in honours)
    return pdf.Paper(title=f"{round.title}-{_('certificates')}", documents=documents, total=len(honours))
