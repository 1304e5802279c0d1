"""Pages of award rounds for residents, the public and organizers.

Thin views: check who is asking (families.access), call a service, redirect.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from families.access import (
    audit_entries_for,
    in_organizer_scope,
    not_verified_response,
    organizer_community_ids,
    organizer_grid_ids,
    organizer_may_edit_grid,
    scope_to_organizer,
    sees_whole_register,
    verified_membership,
    verified_resident_required,
)
from families.freshness import MY_HOUSEHOLD
from families.models import Resident
from project import chrome, pdf
from project.access import is_organizer, organizer_required
from project.attempt import Attempt
from project.exports import tabular_response
from project.models import AuditEntry
from project.publiccache import cache_public_page, cached_fragment, personal_fragment

from . import conf, paper, services
from .forms import (
    AnswerForm,
    CategoryForm,
    CitationForm,
    ConfirmForm,
    EntryForm,
    LinkForm,
    NominationForm,
    ObjectionForm,
    PaperTallyForm,
    ReviewForm,
    RoundForm,
    WithdrawHonourForm,
    linkable_people,
)
from .freshness import ROUNDS
from .models import (
    AwardCategory,
    AwardRound,
    Honour,
    Nomination,
    NominationStatus,
    Objection,
    PaperTally,
    Phase,
    RoundCategory,
)
from .stats import turnout_by_building, turnout_total


def _visible_round(request: HttpRequest, pk: int) -> AwardRound:
    """The round, if the reader may see it (``AwardRound.objects.visible_to``, the one rule), else a 404."""
    return get_object_or_404(AwardRound.objects.visible_to(request.user).select_related("community"), pk=pk)


def _visible_round_with_entries(request: HttpRequest, pk: int) -> tuple[AwardRound, list[RoundCategory]]:
    """The round as ``_visible_round`` finds it, with its categories (``round.entries``), in one statement: the
    categories joined to their round, the rule asked of the loaded round (``AwardRound.seen_by``). A round
    without categories takes a second."""
    entries = list(RoundCategory.objects.filter(round__pk=pk).select_related("category", "round__community"))
    if not entries:
        return _visible_round(request, pk), []
    round = entries[0].round
    if not round.seen_by(request.user):
        raise Http404
    for entry in entries:
        entry.round = round  # one round object, as round.entries would give
    return round, entries


def _visible_nominations(request: HttpRequest):
    """Nominations of the rounds the reader may see: another community's are a 404 like its round."""
    return Nomination.objects.filter(round__in=AwardRound.objects.visible_to(request.user).values("pk"))


def _desk_round(request: HttpRequest, pk: int) -> AwardRound:
    """A round on this organizer's desk (``AwardRound.objects.for_organizer``), else a 404."""
    return get_object_or_404(AwardRound.objects.for_organizer(request.user).select_related("community"), pk=pk)


def _round_to_run(request: HttpRequest, pk: int) -> AwardRound:
    """A round this organizer runs (``AwardRound.run_by``): 404 off their desk, 403 if they only review in it."""
    round = _desk_round(request, pk)
    if not round.run_by(request.user):
        raise PermissionDenied
    return round


def _safe_next(request: HttpRequest, default: str) -> str:
    """Where to go back to after a POST: a path on this site, never elsewhere."""
    target = request.POST.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- Public and resident pages -----------------------------------------------------------------------------------


@require_safe
@cache_public_page(ROUNDS, timeout=60)
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = list(
        AwardRound.objects.visible_to(request.user)
        .visible()
        .select_related("community")
        .prefetch_related(Prefetch("entries", queryset=RoundCategory.objects.select_related("category")))
    )
    now = timezone.now()
    for round in rounds:
        round.phase_now = round.phase(now)
        round.phase_now_label = Phase(round.phase_now).label
    return render(request, "awards/round_list.html", {"rounds": rounds})


@require_safe
@cache_public_page(ROUNDS, timeout=60)
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round = _visible_round(request, pk)
    phase = round.phase()
    membership = verified_membership(request.user) if request.user.is_authenticated else None
    # Counts before publication and full names are for the organizers who run the round; a grid worker reads
    # the round as the public does.
    organizer = round.run_by(request.user)
    entries = list(round.entries.select_related("category"))
    _with_forwarded(round, entries)
    show_counts = round.winners_public() or (organizer and round.counts_visible())
    results = services.round_results(round) if show_counts else []
    turnout = turnout_by_building(round) if phase in (Phase.VOTING, Phase.COUNTING) or show_counts else []
    objections = []
    if round.winners_public():
        objections = list(round.objections.select_related("nomination__entry__category").order_by("created_at", "id"))
    corrections = list(round.corrections.select_related("honour"))
    # The tally sheets are part of the record the public checks during the publicity period.
    tallies = []
    if round.winners_public():
        tallies = list(
            PaperTally.objects.filter(entry__round=round).exclude(photo="").select_related("entry__category")
        )
    honours = list(round.honours.select_related("category")) if round.published_at else []
    objection_form = None
    if membership and round.accepts_objections():
        winners = [row.nomination for r in results for row in r.rows if row.nomination.is_winner]
        objection_form = ObjectionForm(winners=winners)
    return render(
        request,
        "awards/round_detail.html",
        {
            "round": round,
            "phase": phase,
            "phase_label": Phase(phase).label,
            "timeline": round.timeline(),
            "entries": entries,
            "results": results,
            "show_counts": show_counts,
            "turnout": turnout,
            "turnout_total": turnout_total(turnout),
            "objections": objections,
            "corrections": corrections,
            "tallies": tallies,
            "honours": honours,
            "membership": membership,
            "is_organizer": organizer,
            "objection_form": objection_form,
            "public_names": membership is None and not organizer,
        },
    )


def _with_forwarded(round: AwardRound, entries: list) -> None:
    """Give each category that takes the communities' winners (推荐上报) its candidates, with their community:
    one query, and none for a round without such a category."""
    if not any(entry.takes_forward for entry in entries):
        return
    forwarded = list(
        Nomination.objects.filter(round=round, forwarded_from__isnull=False)
        .with_target()
        .select_related("forwarded_from__round__community")
        .order_by("forwarded_from__round__community__name", "pk")
    )
    for entry in entries:
        entry.forwarded = [n for n in forwarded if n.entry_id == entry.pk]


@login_required
def candidates(request: HttpRequest, pk: int) -> HttpResponse:
    """The nominations of a round: for seconding while nominations are open, the ballot while voting is open."""
    round, entries = _visible_round_with_entries(request, pk)
    membership = verified_membership(request.user)
    organizer = round.run_by(request.user)  # a grid worker reviews their grids' nominations on the desk
    if membership is None and not organizer:
        messages.info(request, _("Join your household with the code from your grid worker first."))
        return redirect("families:join")
    phase = round.phase()
    voting = phase == Phase.VOTING

    def context(token: str | None = None) -> dict:
        if voting:
            groups = _ballot_groups(request, round, entries, membership, token)
        else:
            groups = _nomination_groups(round, entries, membership, phase)
        return {
            "round": round,
            "phase": phase,
            "phase_label": Phase(phase).label,
            "groups": groups,
            "voting": voting,
            "membership": membership,
            "can_second": membership is not None and phase == Phase.NOMINATING,
        }

    if voting and membership is not None:
        # A voter's ballot is kept between their requests while voting is open (the phase is read afresh each
        # time): the rounds' version and their household's, whose votes it shows, refresh it. Only the form token
        # is filled in per request.
        body = personal_fragment(
            f"u{request.user.pk}",
            f"awards:ballot:{round.pk}:{request.path}",
            (ROUNDS, MY_HOUSEHOLD.of("household_id")),
            {"household_id": membership.household_id},
            lambda: render_to_string(
                "awards/candidates_body.html", {**context(chrome.CSRF_MARK), "csrf_token": chrome.CSRF_MARK}
            ),
        )
        body = mark_safe(chrome.with_csrf_token(body, request))  # noqa: S308 - our template's output, our token
        return render(request, "awards/candidates.html", {"round": round, "voting": voting, "body": body})
    return render(request, "awards/candidates.html", context())


_CARD = re.compile(r"<!--card:(\d+):(\d+):(\d*):(\d*):(\d*)-->(.*?)<!--/card-->", re.S)
_ACT = re.compile(r"<!--act:(\w+)-->(.*?)<!--/act-->", re.S)
_MARK = re.compile(r"<!--(on-ballot|left|csrf)-->")  # a voter's own values, filled in by _SharedCards.html


class _BallotRow(NamedTuple):
    """What the ballot needs of a nomination per request, read off its shared card's mark (no query)."""

    pk: int
    entry_id: int
    nominator_id: int | None
    household_id: int | None
    resident_id: int | None


def _ballot_groups(
    request: HttpRequest, round: AwardRound, entries: list, membership: Resident | None, token: str | None = None
) -> list:
    """The ballot while voting is open, in this voter's order. The cards are rendered once per version of the
    rounds and language and shared by every reader (votes are not watched, so nothing of a voter's is in them);
    this voter's parts are filled in here: on my ballot, the votes left, which form, and the CSRF token."""
    path = request.path

    def shortlisted():  # built only when the cards are rendered or this voter has votes
        return Nomination.objects.filter(round=round).shortlisted()

    def render_cards() -> str:
        nominations = shortlisted().with_target().order_by("created_at", "id")
        return render_to_string("awards/includes/ballot_cards.html", {"nominations": nominations, "path": path})

    cards = _SharedCards.of(cached_fragment(f"awards:ballot:{round.pk}:{path}", ROUNDS, render_cards))
    rows = services.voter_order(cards.rows, round=round, resident=membership)
    ballot = services.ballot_for(round, membership)
    names = shortlisted().filter(pk__in=ballot).with_target().in_bulk() if ballot else {}
    token = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token or get_token(request))
    by_entry = {entry.pk: [] for entry in entries}
    for row in rows:
        if row.entry_id in by_entry:
            by_entry[row.entry_id].append(row)
    groups = []
    for entry in entries:
        items = by_entry[entry.pk]
        used = sum(1 for row in items if row.pk in ballot)
        html = cards.html(items, membership, ballot, entry.votes_per_voter - used, token)
        groups.append(
            {
                "entry": entry,
                "nominations": items,
                "cards": mark_safe(html),  # noqa: S308 - our template's output, with our own token input
                "ballot_names": [names[row.pk].target_name for row in items if row.pk in ballot],
                "used": used,
            }
        )
    return groups


class _SharedCards:
    """One version of a round's shared ballot cards, parsed once per process (the same string comes back from
    the fragment until the rounds change): the nominations as rows, read off each card's mark, and each card
    split at its ``act`` pieces, with the few variants a voter can see (which pieces are theirs) joined once."""

    def __init__(self, shared: str):
        self.rows = []
        self._parts = {}
        self._variants = {}
        for pk, entry, nominator, household, resident, card in _CARD.findall(shared):
            ids = (int(value) if value else None for value in (nominator, household, resident))
            self.rows.append(_BallotRow(int(pk), int(entry), *ids))
            self._parts[int(pk)] = _ACT.split(card)  # [text, act, piece, text, act, piece, …, text]

    @classmethod
    @lru_cache(maxsize=8)
    def of(cls, shared: str) -> _SharedCards:
        return cls(shared)

    def html(self, rows: list[_BallotRow], membership: Resident | None, ballot: set[int], left: int, token: str) -> str:
        """These cards, in this order, with this voter's parts: of each card's ``act`` pieces only the ones that
        are theirs, and its marks filled in (on my ballot, the votes left, the CSRF token), in one join."""
        fill = {"left": str(left), "csrf": token}
        out = []
        for row in rows:
            keep = ()
            if membership is not None:
                state = "on" if row.pk in ballot else "own" if _own(row, membership) else "vote" if left > 0 else "full"
                keep = ("member", state, "mine") if row.nominator_id == membership.pk else ("member", state)
            parts = self._variants.get((row.pk, keep))
            if parts is None:
                parts = self._variant(row.pk, keep)
            fill["on-ballot"] = " on-ballot" if row.pk in ballot else ""
            out.append(parts[0])
            for n in range(1, len(parts), 2):
                out.append(fill[parts[n]])
                out.append(parts[n + 1])
        return "".join(out)

    def _variant(self, pk: int, keep: tuple) -> list[str]:
        """One card with the ``act`` pieces in ``keep``, split at its marks: [text, mark, text, …, text]. At most
        a handful per card (the text and the kept pieces), made once per process."""
        parts = self._parts[pk]
        card = "".join(part for n, part in enumerate(parts) if n % 3 == 0 or (n % 3 == 2 and parts[n - 1] in keep))
        self._variants[(pk, keep)] = _MARK.split(card)
        return self._variants[(pk, keep)]


def _own(nomination: Nomination | _BallotRow, membership: Resident) -> bool:
    """Whether the nomination is of the reader or their household: never theirs to second or vote for."""
    return bool(nomination.household_id and nomination.household_id == membership.household_id) or (
        nomination.resident_id == membership.pk
    )


def _nomination_groups(round: AwardRound, entries: list, membership: Resident | None, phase: str) -> list:
    """The nominations outside voting: for seconding while nominations are open, as shortlisted afterwards."""
    qs = Nomination.objects.filter(round=round).with_target().with_seconds()
    qs = qs.live() if phase in (Phase.NOMINATING, Phase.REVIEWING) else qs.shortlisted()
    nominations = list(qs.order_by("created_at", "id"))
    ballot = services.ballot_for(round, membership) if phase == Phase.COUNTING else set()
    seconded = set()
    if membership and phase == Phase.NOMINATING:
        seconded = set(membership.award_seconds.filter(nomination__round=round).values_list("nomination_id", flat=True))
    groups = []
    for entry in entries:
        items = [n for n in nominations if n.entry_id == entry.pk]
        for n in items:
            n.on_ballot = n.pk in ballot
            n.seconded_by_me = n.pk in seconded
            n.mine = membership is not None and n.nominator_id == membership.pk
            n.own = membership is not None and _own(n, membership)
        groups.append({"entry": entry, "nominations": items})
    return groups


@verified_resident_required
def nominate(request: HttpRequest, pk: int) -> HttpResponse:
    round = _visible_round(request, pk)
    if not round.accepts_nominations():
        messages.error(request, _("Nominations for this round are not open."))
        return redirect("awards:round", pk=round.pk)
    if request.method == "POST" and request.POST.get("step") == "submit":
        form = NominationForm(request.POST, request.FILES, round=round)
        attempt = Attempt(request, form=form, fallback=reverse("awards:candidates", args=[round.pk]))
        if form.is_valid():
            with attempt:
                token = attempt.token(services.NOMINATE_FORM)
                data = form.cleaned_data
                nomination, created = services.nominate(
                    entry=data["entry"],
                    nominator=request.membership,
                    building=data["building"],
                    household=data.get("household_obj"),
                    resident=data.get("resident_obj"),
                    typed_name=data.get("typed_name") or "",
                    citation=data.get("citation") or "",
                    photo=data.get("photo"),
                    token=token,
                )
                if created:
                    messages.success(request, _("Thank you. Your nomination was received and waits for review."))
                else:
                    messages.success(
                        request,
                        _("This target was already nominated, so we added your second (附议) to that nomination."),
                    )
                return redirect("awards:nomination", pk=nomination.pk)
        return attempt.response or _nominate_page(request, round, form, status=attempt.status)
    else:
        # Steps without JavaScript: choosing the category and building (and for a person, the household) reloads
        # the form with what comes next.
        form = NominationForm(request.GET or None, round=round) if request.GET else NominationForm(round=round)
        if request.GET:
            form.errors.clear()
    return _nominate_page(request, round, form)


def _nominate_page(request: HttpRequest, round: AwardRound, form: NominationForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "awards/nominate.html",
        {
            "round": round,
            "form": form,
            "entry": form.entry,
            "building": form.building,
            "household": form.household,
            "kind": form.target_kind,
            "ready": form.ready,
        },
        status=status,
    )


def _nomination_for_reader(request: HttpRequest, pk: int) -> tuple[Nomination, object, bool]:
    nomination = get_object_or_404(
        _visible_nominations(request)
        .with_target()
        .with_seconds()
        .select_related("round", "nominator__household__building"),
        pk=pk,
    )
    membership = verified_membership(request.user) if request.user.is_authenticated else None
    organizer = is_organizer(request.user) and in_organizer_scope(request.user, nomination)
    round = nomination.round
    public = nomination.is_winner and round.winners_public()
    involved = membership is not None and (
        nomination.nominator_id == membership.pk or nomination.is_nominee(membership)
    )
    residents_see = membership is not None and round.announced and nomination.is_live
    if not (organizer or public or involved or residents_see):
        raise Http404
    return nomination, membership, organizer


def _nominator_name(request: HttpRequest, nomination: Nomination) -> str:
    """The nominator's name for an organizer: a grid worker's grids' people by name, others without one."""
    grid_ids = organizer_grid_ids(request.user)
    if grid_ids is None or nomination.nominator.household.building.grid_id in grid_ids:
        return nomination.nominator.full_name
    return _("a resident of another grid")


@require_safe
def nomination_detail(request: HttpRequest, pk: int) -> HttpResponse:
    nomination, membership, organizer = _nomination_for_reader(request, pk)
    round = nomination.round
    phase = round.phase()
    is_nominator = membership is not None and nomination.nominator_id == membership.pk
    on_ballot = phase == Phase.VOTING and nomination.pk in services.ballot_for(round, membership)
    return render(
        request,
        "awards/nomination_detail.html",
        {
            "nomination": nomination,
            "round": round,
            "phase": phase,
            "membership": membership,
            "is_organizer": organizer,
            "is_nominator": is_nominator,
            "is_nominee": nomination.is_nominee(membership),
            "can_second": membership is not None
            and phase == Phase.NOMINATING
            and nomination.is_live
            and not nomination.to_be_matched
            and not is_nominator
            and not nomination.is_nominee(membership),
            "can_withdraw": is_nominator and nomination.is_live and round.nominations_withdrawable(),
            "can_decline": nomination.is_nominee(membership) and nomination.is_live and not round.results_confirmed_at,
            "can_vote": membership is not None and phase == Phase.VOTING and nomination.status == "shortlisted",
            "on_ballot": on_ballot,
            "show_reason": is_nominator or organizer,
            "public_names": membership is None and not organizer,
            "revisions": list(nomination.revisions.all()) if organizer else [],
            "nominator_name": _nominator_name(request, nomination) if organizer else "",
        },
    )


def _resident_post(action):
    """POST-only resident actions on a nomination: call the service, say what happened, go back."""

    def view(request: HttpRequest, pk: int) -> HttpResponse:
        nomination = get_object_or_404(_visible_nominations(request).select_related("round"), pk=pk)
        if not nomination.round.announced:
            raise Http404
        back = _safe_next(request, reverse("awards:nomination", args=[nomination.pk]))
        with Attempt(request):
            messages.success(request, action(nomination, request.membership))
        return redirect(back)

    view.__name__ = action.__name__
    return require_POST(verified_resident_required(view))


def _withdraw(nomination, membership):
    services.withdraw_nomination(nomination=nomination, resident=membership)
    return _("Your nomination was withdrawn.")


def _decline(nomination, membership):
    services.decline_nomination(nomination=nomination, resident=membership)
    return _("You declined the nomination. It will not go further.")


def _unvote(nomination, membership):
    services.withdraw_vote(nomination=nomination, resident=membership)
    return _("Your vote was withdrawn. You can vote for someone else.")


withdraw = _resident_post(_withdraw)
decline = _resident_post(_decline)


@require_POST
@verified_resident_required
def second(request: HttpRequest, pk: int) -> HttpResponse:
    """Second (附议) a nomination; the button's one-time token makes a double click one second."""
    nomination = get_object_or_404(_visible_nominations(request).select_related("round"), pk=pk)
    if not nomination.round.announced:
        raise Http404
    back = _safe_next(request, reverse("awards:nomination", args=[nomination.pk]))
    attempt = Attempt(request, fallback=back)
    with attempt:
        token = attempt.token(services.SECOND_FORM)
        services.second_nomination(nomination=nomination, resident=request.membership, token=token)
        messages.success(request, _("Your second (附议) was added."))
    return attempt.response or redirect(back)


@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    """The busiest page of a round's last hour: the session, the user and ``services.cast_vote``."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    back = _safe_next(request, reverse("awards:nomination", args=[pk]))
    with Attempt(request):
        try:
            services.cast_vote(nomination=pk, user=request.user)
        except Nomination.DoesNotExist as missing:
            raise Http404 from missing
        except services.NotVerified:
            return not_verified_response(request)  # where to put it right, rather than the refusal
        messages.success(request, _("Your vote was added to your ballot."))
    return redirect(back)


unvote = _resident_post(_unvote)


@require_http_methods(["GET", "HEAD", "POST"])
def object_to_round(request: HttpRequest, pk: int) -> HttpResponse:
    """The objection page the 公示 notice's QR code opens: reading it leads to the round's objections and their
    form (anyone may read them); filing one is a verified resident's POST."""
    if request.method != "POST":
        return redirect(reverse("awards:round", args=[_visible_round(request, pk).pk]) + "#objections")
    return _file_objection(request, pk)


@verified_resident_required
def _file_objection(request: HttpRequest, pk: int) -> HttpResponse:
    round = _visible_round(request, pk)
    winners = list(Nomination.objects.filter(round=round, is_winner=True).with_target())
    form = ObjectionForm(request.POST, winners=winners)
    back = reverse("awards:round", args=[round.pk]) + "#objections"
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    nomination = next((n for n in winners if n.pk == form.cleaned_data.get("nomination")), None)
    attempt = Attempt(request, fallback=back)
    with attempt:
        services.file_objection(
            round=round,
            resident=request.membership,
            nomination=nomination,
            text=form.cleaned_data["text"],
            token=attempt.token(services.OBJECTION_FORM),
        )
        messages.success(request, _("Your objection was filed. The organizers will answer it on this page."))
    return attempt.response or redirect(back)


# --- Organizer area ----------------------------------------------------------------------------------------------


@organizer_required
def category_list(request: HttpRequest) -> HttpResponse:
    categories = AwardCategory.objects.annotate(rounds=Count("round_entries"))
    return render(request, "awards/organize/category_list.html", {"categories": categories})


@organizer_required
def category_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    category = get_object_or_404(AwardCategory, pk=pk) if pk else None
    form = CategoryForm(request.POST or None, instance=category)
    attempt = Attempt(request, form=form, fallback=reverse("awards:category_list"))
    if request.method == "POST":
        with attempt:
            # Only a new category carries a token: saving an edit twice changes nothing the second time.
            token = attempt.token(services.CATEGORY_FORM) if category is None else None
            if form.is_valid():
                services.save_category(
                    category=form.instance, actor=request.user, changed=form.changed_data, token=token
                )
                messages.success(request, _("The category was saved."))
                return redirect("awards:category_list")
    return attempt.response or render(
        request, "awards/organize/category_form.html", {"form": form, "category": category}
    )


@organizer_required
def organize_rounds(request: HttpRequest) -> HttpResponse:
    rounds = list(
        AwardRound.objects.for_organizer(request.user)
        .select_related("community")
        .annotate(
            waiting=Count("nominations", filter=Q(nominations__status=NominationStatus.SUBMITTED), distinct=True),
            open_objections=Count("objections", filter=Q(objections__answered_at__isnull=True), distinct=True),
        )
    )
    now = timezone.now()
    for round in rounds:
        round.phase_now_label = Phase(round.phase(now)).label
    return render(request, "awards/organize/round_list.html", {"rounds": rounds})


@organizer_required
def round_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A round's place, title and timeline; a new round by street or community organizers (grid workers: 403)."""
    round = _round_to_run(request, pk) if pk else None
    if round is None and organizer_community_ids(request.user) == frozenset():
        raise PermissionDenied
    form = RoundForm(request.POST or None, instance=round, user=request.user)
    attempt = Attempt(request, form=form, fallback=reverse("awards:organize_rounds"))
    if request.method == "POST":
        with attempt:
            # Only a new round carries a token: saving an edit twice changes nothing the second time.
            token = attempt.token(services.ROUND_FORM) if round is None else None
            if form.is_valid():
                saved = services.save_round(
                    round=form.instance,
                    actor=request.user,
                    changed=form.changed_data,
                    created=round is None,
                    token=token,
                )
                messages.success(request, _("The round was saved."))
                return redirect("awards:organize_round", pk=saved.pk)
        if attempt.response:
            return attempt.response
    entries = list(round.entries.select_related("category")) if round else []
    return render(
        request,
        "awards/organize/round_form.html",
        {"form": form, "round": round, "entries": entries},
    )


@organizer_required
def entry_edit(request: HttpRequest, pk: int, entry_pk: int | None = None) -> HttpResponse:
    round = _round_to_run(request, pk)
    entry = get_object_or_404(RoundCategory, pk=entry_pk, round=round) if entry_pk else RoundCategory(round=round)
    form = EntryForm(request.POST or None, instance=entry)
    attempt = Attempt(request, form=form, fallback=reverse("awards:round_edit", args=[round.pk]))
    if request.method == "POST":
        with attempt:
            # Only a new entry carries a token: saving an edit twice changes nothing the second time.
            token = attempt.token(services.ENTRY_FORM) if entry_pk is None else None
            if form.is_valid():
                services.save_entry(entry=form.instance, actor=request.user, created=entry_pk is None, token=token)
                messages.success(request, _("The category's rules were saved."))
                return redirect("awards:round_edit", pk=round.pk)
    return attempt.response or render(
        request, "awards/organize/entry_form.html", {"form": form, "round": round, "entry": entry}
    )


@organizer_required
def organize_round(request: HttpRequest, pk: int) -> HttpResponse:
    round = _desk_round(request, pk)
    phase = round.phase()
    found = dict(Nomination.objects.filter(round=round).values_list("status").annotate(n=Count("id")).order_by())
    counts = {status: found.get(status, 0) for status in NominationStatus.values}
    counts["closed"] = counts["withdrawn"] + counts["declined"] + counts["merged"]
    counts["to_be_matched"] = Nomination.objects.filter(round=round).live().to_be_matched().count()
    entries = list(round.entries.select_related("category").annotate(tallies=Count("paper_tallies")))
    runs_whole_round = round.run_by(request.user)
    # Objections are answered by the organizers who run the round; their free text may name anyone.
    objections = (
        list(round.objections.select_related("nomination__entry__category", "nomination__building"))
        if runs_whole_round
        else []
    )
    for objection in objections:
        objection.form = AnswerForm(initial={"answer": objection.answer}, prefix=f"o{objection.pk}")
    honours = list(
        scope_to_organizer(round.honours.all(), request.user).select_related(
            "category",
            "building",
            "household__building",
            "resident__household__building",
            "nomination__building",
            "nomination__household",
            "nomination__resident",
        )
    )
    audit = audit_entries_for(
        request.user,
        AuditEntry.objects.filter(
            Q(target_type="awards.awardround", target_id=str(round.pk)) | Q(details__round=round.pk)
        ),
    )[:30]
    return render(
        request,
        "awards/organize/round_desk.html",
        {
            "round": round,
            "phase": phase,
            "phase_label": Phase(phase).label,
            "timeline": round.timeline(),
            "counts": counts,
            "entries": entries,
            "objections": objections,
            "honours": honours,
            "audit": audit,
            "corrections": list(round.corrections.all()),
            "unanswered": sum(1 for o in objections if not o.answered_at),
            "notice_stage": paper.notice_stage(round),
            "printable": sum(1 for h in honours if h.published_at and not h.withdrawn_at),
            # Closing, counting, publishing and corrections are for organizers who see the whole community.
            "runs_whole_round": runs_whole_round,
            "forward_entries": [e for e in entries if e.takes_forward] if runs_whole_round else [],
        },
    )


@organizer_required
def review_list(request: HttpRequest, pk: int) -> HttpResponse:
    round = _desk_round(request, pk)
    status = request.GET.get("status") or ""
    qs = (
        scope_to_organizer(Nomination.objects.filter(round=round), request.user)  # a grid worker: their grids
        .with_target()
        .with_seconds()
        .select_related("nominator__household__building")
        .order_by("entry__category__sort_order", "status", "created_at", "id")
    )
    if status in NominationStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, conf.review_page_size()).get_page(request.GET.get("page"))
    # Typed names wait to be linked to the register: the household's people, for organizers of its grid only.
    unmatched = [
        n
        for n in page.object_list
        if n.to_be_matched and n.is_live and organizer_may_edit_grid(request.user, n.building.grid_id)
    ]
    people = linkable_people({n.household_id for n in unmatched}) if unmatched else {}
    for nomination in unmatched:
        nomination.link_form = LinkForm(people=people.get(nomination.household_id, []), prefix=f"l{nomination.pk}")
    for nomination in page.object_list:
        nomination.nominator_name = _nominator_name(request, nomination)
        nomination.form = ReviewForm(
            prefix=f"n{nomination.pk}",
            initial={
                "decision": "reject" if nomination.status == NominationStatus.REJECTED else "shortlist",
                "reason": nomination.review_reason,
            },
        )
    return render(
        request,
        "awards/organize/review_list.html",
        {
            "round": round,
            "page": page,
            "status": status,
            "statuses": NominationStatus.choices,
            "can_review": round.under_review(),
        },
    )


@require_POST
@organizer_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = get_object_or_404(scope_to_organizer(Nomination.objects.all(), request.user), pk=pk)
    form = ReviewForm(request.POST, prefix=f"n{nomination.pk}")
    back = _safe_next(request, reverse("awards:review_list", args=[nomination.round_id]))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    with Attempt(request):
        services.review_nomination(
            nomination=nomination,
            actor=request.user,
            shortlist=form.cleaned_data["decision"] == "shortlist",
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("The review decision was saved and the nominator told."))
    return redirect(back)


@require_POST
@organizer_required
def link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link a typed name to a register person of its household (or merge it into that person's nomination)."""
    nomination = get_object_or_404(Nomination.objects.select_related("building"), pk=pk)
    if not organizer_may_edit_grid(request.user, nomination.building.grid_id):
        raise Http404
    back = _safe_next(request, reverse("awards:review_list", args=[nomination.round_id]))
    people = linkable_people([nomination.household_id]).get(nomination.household_id, [])
    form = LinkForm(request.POST, people=people, prefix=f"l{nomination.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose a person of that household's register."))
        return redirect(back)
    resident = Resident.objects.get(pk=form.cleaned_data["resident"])
    with Attempt(request):
        result = services.link_nomination(
            nomination=nomination, resident=resident, actor=request.user, merge=form.cleaned_data["merge"]
        )
        if result.pk == nomination.pk:
            messages.success(
                request,
                _("The nomination now names %(name)s, who has been told. You can review it now.")
                % {"name": resident.full_name},
            )
        else:
            messages.success(
                request,
                _("Merged: %(name)s was already nominated; the nominator now counts as a second of that nomination.")
                % {"name": resident.full_name},
            )
    return redirect(back)


@organizer_required
def citation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = get_object_or_404(
        scope_to_organizer(Nomination.objects.with_target(), request.user).select_related("round"), pk=pk
    )
    form = CitationForm(request.POST or None, initial={"citation": nomination.citation})
    if request.method == "POST" and form.is_valid():
        with Attempt(request, form=form):
            services.edit_citation(
                nomination=nomination,
                actor=request.user,
                citation=form.cleaned_data["citation"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("The citation was changed; the earlier text is kept."))
            return redirect("awards:nomination", pk=nomination.pk)
    return render(
        request,
        "awards/organize/citation_form.html",
        {"form": form, "nomination": nomination, "revisions": nomination.revisions.all()},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@organizer_required
def close_voting(request: HttpRequest, pk: int) -> HttpResponse:
    """Ending voting early asks first: GET says who can no longer vote, POST ends it."""
    round = _round_to_run(request, pk)
    if request.method == "POST":
        with Attempt(request):
            services.close_voting(round=round, actor=request.user)
            messages.success(request, _("Voting is closed. The results can now be counted."))
            return redirect("awards:confirm", pk=round.pk)
        return redirect("awards:organize_round", pk=round.pk)
    can = round.phase() == Phase.VOTING
    return render(
        request,
        "awards/organize/close_voting.html",
        {"round": round, "can": can, "reach": round.voting_reach() if can else None},
    )


@organizer_required
def paper_tally(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    round = _round_to_run(request, pk)
    entry = get_object_or_404(RoundCategory.objects.select_related("category"), pk=entry_pk, round=round)
    nominations = entry.nominations.shortlisted().with_target().order_by("created_at", "id")
    form = PaperTallyForm(request.POST or None, request.FILES or None, nominations=nominations)
    attempt = Attempt(request, form=form, fallback=reverse("awards:paper_tally", args=[pk, entry_pk]))
    if request.method == "POST":
        with attempt:
            token = attempt.token(services.PAPER_TALLY_FORM)
            if form.is_valid():
                services.record_paper_tally(
                    entry=entry,
                    actor=request.user,
                    counts=form.counts(),
                    photo=form.cleaned_data["photo"],
                    note=form.cleaned_data["note"],
                    token=token,
                )
                messages.success(request, _("The paper ballot counts were saved."))
                return redirect("awards:organize_round", pk=round.pk)
    return attempt.response or render(
        request,
        "awards/organize/paper_form.html",
        {"form": form, "round": round, "entry": entry, "tallies": entry.paper_tallies.all()},
    )


@organizer_required
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    round = _round_to_run(request, pk)
    if not round.counts_visible():
        messages.error(request, _("Counts stay hidden until voting closes."))
        return redirect("awards:organize_round", pk=round.pk)
    results = services.round_results(round)
    form = ConfirmForm(request.POST or None, results=results)
    if request.method == "POST" and form.is_valid():
        with Attempt(request, form=form):
            services.confirm_winners(
                round=round, actor=request.user, winners=form.winners(), reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("The winners are confirmed and the publicity period has started."))
            return redirect("awards:organize_round", pk=round.pk)
    rows = [(result, form[f"e{result.entry.pk}"]) for result in results]
    return render(
        request,
        "awards/organize/confirm.html",
        {
            "round": round,
            "form": form,
            "rows": rows,
            "can_confirm": round.phase() == Phase.COUNTING,
            "turnout": turnout_total(turnout_by_building(round)),
        },
    )


@require_POST
@organizer_required
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(Objection, pk=pk)
    _round_to_run(request, objection.round_id)
    form = AnswerForm(request.POST, prefix=f"o{objection.pk}")
    back = reverse("awards:organize_round", args=[objection.round_id]) + "#objections"
    if not form.is_valid():
        messages.error(request, _("Please write the answer."))
        return redirect(back)
    with Attempt(request):
        services.answer_objection(objection=objection, actor=request.user, answer=form.cleaned_data["answer"])
        messages.success(request, _("Your answer is on the record and shown on the round page."))
    return redirect(back)


@require_http_methods(["GET", "HEAD", "POST"])
@organizer_required
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publishing asks first: GET lists the honours that go on the board, POST publishes them."""
    round = _round_to_run(request, pk)
    if request.method == "POST":
        with Attempt(request):
            honours = services.publish_round(round=round, actor=request.user)
            messages.success(
                request, _("The round is published: %(n)d honours are on the honour board.") % {"n": len(honours)}
            )
        return redirect("awards:organize_round", pk=round.pk)
    winners = list(Nomination.objects.filter(round=round).winners())
    unanswered = round.objections.filter(answered_at__isnull=True).count()
    return render(
        request,
        "awards/organize/publish.html",
        {
            "round": round,
            "winners": winners,
            "unanswered": unanswered,
            "can": round.phase() == Phase.PUBLISHING and not unanswered,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@organizer_required
def withdraw_honour(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdrawing an honour asks first: GET says what it undoes and asks the public reason, POST withdraws."""
    honour = get_object_or_404(
        Honour.objects.select_related(
            "category",
            "building",
            "household__building",
            "resident__household__building",
            "nomination__building",
            "nomination__household",
            "nomination__resident",
        ),
        pk=pk,
    )
    if honour.round_id:
        _round_to_run(request, honour.round_id)
    elif not sees_whole_register(request.user):  # an honour entered by hand belongs to the street
        raise PermissionDenied
    back = reverse("awards:organize_round", args=[honour.round_id]) if honour.round_id else reverse("organize")
    form = WithdrawHonourForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with Attempt(request):
            services.withdraw_honour(honour=honour, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("The honour was withdrawn; the correction is shown on the round page."))
        return redirect(back)
    return render(
        request,
        "awards/organize/withdraw_honour.html",
        {
            "honour": honour,
            "form": form,
            "back": back,
            "can": honour.round_id is not None and honour.published_at is not None and honour.withdrawn_at is None,
        },
    )


@require_safe
@organizer_required
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's 公示 notice for the bulletin board, A4 or A3 (``?size=``), in Chinese; public names only."""
    round = _desk_round(request, pk)
    size = request.GET.get("size", "a4")
    if size not in paper.NOTICE_SIZES:
        messages.error(request, _("The notice is printed on A4 or A3."))
        return redirect("awards:organize_round", pk=round.pk)
    try:
        document = paper.notice(round, origin=pdf.site_origin(request), size=size)
    except paper.NothingToPublicise:
        messages.error(
            request,
            _(
                "This round has nothing to post yet: the notice lists the shortlist once review has ended, "
                "and the winners once they are confirmed."
            ),
        )
        return redirect("awards:organize_round", pk=round.pk)
    filename = f"{round.title}-{_('public notice')}-{size.upper()}"
    return pdf.pdf_response(pdf.write_pdf([document]), filename=filename)


@organizer_required
def export_results(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """Results per category: online, paper and total votes, and turnout. Never who voted for whom."""
    round = _round_to_run(request, pk)
    if not round.counts_visible():
        messages.error(request, _("Counts stay hidden until voting closes."))
        return redirect("awards:organize_round", pk=round.pk)
    results = services.round_results(round)
    category = request.GET.get("category")
    if category:
        results = [r for r in results if str(r.entry.pk) == category]
    eligible_residents = turnout_total(turnout_by_building(round))[1]
    eligible_households = round.voters().values("household").distinct().count()
    headers = [
        _("Category"),
        _("Rank"),
        _("Nomination"),
        _("Online votes"),
        _("Paper votes"),
        _("Total"),
        _("Tied"),
        _("Winner"),
        _("Voters in the category"),
        _("Eligible voters"),
    ]
    rows = []
    for result in results:
        eligible = eligible_households if result.entry.vote_unit == "household" else eligible_residents
        for row in result.rows:
            rows.append(
                [
                    result.entry.category.name,
                    row.rank,
                    row.nomination.target_name,
                    row.online,
                    row.paper,
                    row.total,
                    row.tied,
                    row.nomination.is_winner,
                    result.voters,
                    eligible,
                ]
            )
    return tabular_response(
        headers=headers,
        rows=rows,
        filename=f"{round.title}-{_('results')}-{timezone.localdate():%Y-%m-%d}",
        fmt=fmt,
        sheet_title=_("results"),
    )


@require_POST
@organizer_required
def take_forward(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    """推荐上报: shortlist each community's published winners of the category (``services.take_forward``)."""
    round = _round_to_run(request, pk)
    entry = get_object_or_404(RoundCategory.objects.select_related("category"), pk=entry_pk, round=round)
    with Attempt(request):
        added = services.take_forward(entry=entry, actor=request.user)
        messages.success(
            request,
            _("%(n)d recommended candidates were added to the shortlist of %(category)s.")
            % {"n": len(added), "category": entry.category.name},
        )
    return redirect("awards:organize_round", pk=round.pk)
