"""Pages for volunteers, the public and organizers: activities, attendance, hours, points and the store."""

from __future__ import annotations

import functools
import re
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from families.access import (
    organizer_grid_ids,
    place_community_ids,
    scope_to_organizer,
    verified_membership,
    verified_resident_required,
)
from families.models import Building, Community, Grid, Household, Resident
from project import pdf
from project.access import is_organizer, organizer_required
from project.attempt import Attempt
from project.codes import qr_svg
from project.exports import respond_or_queue
from project.pagination import CountedQuerySet
from project.phones import to_e164
from project.publiccache import cache_public_page, cached_fragment
from project.ratelimit import client_ip

from . import conf, exports, services
from .cards import activity_cards
from .filters import ActivityFilter, filter_links
from .forms import (
    ActivityForm,
    ActivityTypeForm,
    AttendanceForm,
    AwardForm,
    CodeForm,
    CorrectionForm,
    DecisionForm,
    ManualHoursForm,
    MonthForm,
    PeriodForm,
    PickupCodeForm,
    StoreItemForm,
)
from .freshness import ACTIVITY, ACTIVITY_LISTS, LEADERBOARDS, STORE
from .models import (
    Activity,
    ActivityType,
    CorrectionRequest,
    LedgerEntry,
    PointsAggregate,
    PointsBalance,
    Redemption,
    ServiceRecord,
    Signup,
    StoreItem,
    hours_text,
    period_keys,
)

# --- Activities: public list and detail ---------------------------------------------


def _community_or_404(slug: str | None) -> Community | None:
    """The community of a ``/c/<slug>/`` page (an unknown slug is a 404), or None on the street's pages."""
    return get_object_or_404(Community, slug=slug) if slug is not None else None


@cache_public_page(ACTIVITY_LISTS, query=(*ActivityFilter.base_filters, "page"))
def activity_list(request: HttpRequest, community: str | None = None) -> HttpResponse:
    """Upcoming activities (or past ones), filtered by type, day and open places; links only, no form.

    Visitors see every activity; a verified resident, what they may join (``Activity.open_to``); a community's
    page (``/c/<slug>/activities/``), what its residents may join.
    """
    place = _community_or_404(community)
    membership = verified_membership(request.user)
    reach = "all"
    if place is not None or membership is not None:
        reach = place.pk if place is not None else membership.community_id
    # The filter form only when a filter was given; the list's queryset only when a shared part is rendered.
    given = any(name in request.GET for name in ActivityFilter.base_filters)
    activity_filter = ActivityFilter(request.GET, queryset=Activity.objects.none()) if given else None
    valid = activity_filter is None or activity_filter.form.is_valid()
    data = activity_filter.form.cleaned_data if activity_filter is not None and valid else {}
    listed = f"{reach}:{_filter_key(data)}"

    @functools.cache  # built once, by the count or the page's rows, whichever needs it first
    def rows():
        activities = Activity.objects.for_list()
        if reach != "all":
            activities = activities.open_to_community(reach)
        return ActivityFilter(request.GET or None, queryset=activities).qs

    # The count is shared like the cards (below): a page's rows are read only when its cards are rendered.
    count = (
        int(cached_fragment(f"activities:count:{listed}", ACTIVITY_LISTS, lambda: str(rows().count())))
        if valid
        else rows().count()
    )
    page = Paginator(CountedQuerySet(rows, count), conf.page_size()).get_page(request.GET.get("page"))
    today = timezone.localdate()

    def render_cards() -> str:
        cards = activity_cards(page)  # one query: the page's activities with their type and community
        return render_to_string("activities/activity_cards.html", {"cards": cards, "shared": True})

    # The cards are the same for everyone: rendered once per page of each filter (the form's clean values, never
    # the raw query string) and shared; only each card's "you are signed up" is this visitor's own, found by
    # the cards' own marks, so a shared page costs no query for its ids.
    cards = (
        cached_fragment(f"activities:cards:{listed}:{page.number}", ACTIVITY_LISTS, render_cards)
        if valid
        else render_cards()
    )
    mine = {}
    if membership is not None and (shown := [int(pk) for pk in MY_STATUS.findall(cards)]):
        mine = dict(
            Signup.objects.live()
            .filter(resident=membership, activity_id__in=shown)
            .values_list("activity_id", "status")
        )
    cards = MY_STATUS.sub(lambda match: _my_status_badge(mine.get(int(match[1]))), cards)

    def render_chips() -> str:
        links = filter_links(data, ActivityType.objects.filter(is_active=True), today)
        return render_to_string("activities/activity_chips.html", {"links": links})

    # The filter links are shared too: one copy per filter and day (they offer the coming seven days).
    chips = (
        cached_fragment(f"activities:chips:{_filter_key(data)}:{today}", ACTIVITY_LISTS, render_chips)
        if valid
        else render_chips()
    )
    return render(
        request,
        "activities/activity_list.html",
        {
            "cards": mark_safe(cards),  # noqa: S308 - our own templates' output, and our own badges
            "chips": mark_safe(chips),  # noqa: S308 - our own template's output
            "page": page,
            "now": timezone.now(),
            "community": place,
        },
    )


MY_STATUS = re.compile(r"<!--my-status:(\d+)-->")


def _filter_key(data: dict) -> str:
    """One filter of the list in a shared fragment's name, from the filter form's clean values."""
    kind = data.get("type")
    return f"{kind.pk if kind else ''}:{data.get('day') or ''}:{bool(data.get('open'))}:{data.get('when') or ''}"


def _my_status_badge(status: str | None) -> str:
    """The visitor's own part of an activity card: signed up, or on the waiting list."""
    if status == Signup.Status.CONFIRMED:
        return format_html(' · <span class="badge ok">✓ {}</span>', _("You are signed up"))
    if status == Signup.Status.WAITLISTED:
        return format_html(' · <span class="badge warn">{}</span>', _("You are on the waiting list"))
    return ""


def _activity_or_404(pk: int) -> Activity:
    return get_object_or_404(Activity.objects.select_related("type", "community"), pk=pk)


@cache_public_page(ACTIVITY.of("pk"))
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _activity_or_404(pk)
    membership = verified_membership(request.user)
    my_signup = None
    blocked_until = None
    if membership is not None:
        my_signup = Signup.objects.live().filter(activity=activity, resident=membership).first()
        if my_signup is None and activity.signup_open():
            blocked_until = services.no_show_block_until(membership)
    waitlist_position = None
    if my_signup is not None and my_signup.status == Signup.Status.WAITLISTED:
        waitlist_position = Signup.objects.filter(
            activity=activity, status=Signup.Status.WAITLISTED, created_at__lte=my_signup.created_at
        ).count()
    return render(
        request,
        "activities/activity_detail.html",
        {
            "activity": activity,
            "membership": membership,
            "my_signup": my_signup,
            "blocked_until": blocked_until,
            "waitlist_position": waitlist_position,
            # The sign-up service says no outside the reach; the page says so before anyone tries.
            "may_join": membership is None or activity.open_to(membership.community_id),
            "now": timezone.now(),
            "cancel_hours": conf.cancel_closes_hours(),
        },
    )


@require_POST
@verified_resident_required
def activity_sign_up(request: HttpRequest, pk: int) -> HttpResponse:
    attempt = Attempt(request, fallback=reverse("activities:detail", args=[pk]))
    with attempt:
        # The service reads the activity (a 404 if there is none) and claims the token, which finds a resend.
        token = attempt.token(services.SIGN_UP_FORM, claim_finds_resends=True)
        try:
            signup = services.sign_up(activity=pk, resident=request.membership, token=token)
        except Activity.DoesNotExist as missing:
            raise Http404 from missing
        if signup.status == Signup.Status.CONFIRMED:
            messages.success(request, _("You are signed up. See you there!"))
        else:
            messages.info(request, _("The activity is full: you are on the waiting list and move up if a place frees."))
    return attempt.response or redirect("activities:detail", pk=pk)


@require_POST
@verified_resident_required
def activity_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    signup = get_object_or_404(Signup.objects.live(), activity__pk=pk, resident=request.membership)
    with Attempt(request):
        services.cancel_signup(signup=signup, actor=request.user)
        messages.success(request, _("Your sign-up is cancelled."))
    return redirect("activities:detail", pk=pk)


@verified_resident_required
def attend(request: HttpRequest, pk: int) -> HttpResponse:
    """Check in or out: opened by scanning the QR code at the venue (token) or by typing the read-out code."""
    activity = get_object_or_404(Activity.objects.select_related("type"), pk=pk)
    token = request.POST.get("t") or request.GET.get("t") or ""
    signup = Signup.objects.live().filter(activity=activity, resident=request.membership).first()
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        attempt = Attempt(request, fallback=reverse("activities:detail", args=[pk]))
        with attempt:
            form_token = attempt.token(services.ATTEND_FORM)
            if token:
                services.check_code(activity=activity, user=request.user, token=token)
            else:
                if not form.is_valid():
                    raise services.ServiceError(_("Please type the code the organizer reads out."))
                services.check_code(
                    activity=activity, user=request.user, code=form.cleaned_data["code"], ip=client_ip(request)
                )
            direction = services.check_in_or_out(activity=activity, resident=request.membership, token=form_token)
            if direction == "in":
                messages.success(request, _("You are checked in. Check out the same way when you leave."))
            else:
                messages.success(request, _("You are checked out. Thank you! The organizer will confirm your hours."))
            return redirect("activities:detail", pk=pk)
        return attempt.response or _attend_again(activity, token)
    return render(
        request,
        "activities/attend.html",
        {
            "activity": activity,
            "signup": signup,
            "form": form,
            "token": token if token and services.qr_token_valid(activity, token) else "",
            "token_expired": bool(token) and not services.qr_token_valid(activity, token),
            "open": activity.checkin_open(),
        },
    )


def _attend_again(activity: Activity, token: str) -> HttpResponse:
    """Back to the check-in page, with the venue's QR token while it is still good."""
    url = reverse("activities:attend", args=[activity.pk])
    return redirect(url + (f"?t={token}" if token and services.qr_token_valid(activity, token) else ""))


# --- A volunteer's own pages ----------------------------------------------------------


@verified_resident_required
def my_signups(request: HttpRequest) -> HttpResponse:
    signups = list(
        Signup.objects.filter(resident=request.membership)
        .select_related("activity__type")
        .prefetch_related("corrections")
        .order_by("-activity__starts_at")[:100]
    )
    return render(request, "activities/my_signups.html", {"signups": signups, "now": timezone.now()})


@verified_resident_required
def my_calendar(request: HttpRequest) -> HttpResponse:
    """An .ics file of one's own live sign-ups (RFC 5545), to import into a phone's calendar."""
    from .ics import calendar

    signups = (
        Signup.objects.live()
        .filter(resident=request.membership)
        .select_related("activity")
        .order_by("activity__starts_at")
    )
    events = []
    for signup in signups:
        activity = signup.activity
        summary = activity.title
        status = "CONFIRMED"
        if signup.status == Signup.Status.WAITLISTED:
            summary = _("(waiting list) %(title)s") % {"title": activity.title}
            status = "TENTATIVE"
        if activity.cancelled_at is not None:
            status = "CANCELLED"
        events.append(
            {
                "uid": f"activity-{activity.pk}-signup-{signup.pk}",
                "start": activity.starts_at,
                "end": activity.ends_at,
                "summary": summary,
                "location": activity.place,
                "description": activity.description,
                "url": request.build_absolute_uri(reverse("activities:detail", args=[activity.pk])),
                "status": status,
            }
        )
    text = calendar(events, name=_("My volunteer activities"), host=request.get_host().split(":")[0])
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="volunteer-activities.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@verified_resident_required
def request_correction(request: HttpRequest, pk: int) -> HttpResponse:
    signup = get_object_or_404(
        Signup.objects.select_related("activity"), pk=pk, resident=request.membership
    )  # someone else's sign-up is a 404
    form = CorrectionForm(request.POST or None)
    attempt = Attempt(request, form=form, fallback=reverse("activities:mine"))
    if request.method == "POST":
        with attempt:
            token = attempt.token(services.CORRECTION_FORM)
            if form.is_valid():
                services.request_correction(
                    signup=signup,
                    resident=request.membership,
                    half_hours=form.cleaned_data["hours"],
                    reason=form.cleaned_data["reason"],
                    token=token,
                )
                messages.success(request, _("Your request is sent. The organizer will answer it on the record."))
                return redirect("activities:mine")
    return attempt.response or render(request, "activities/correction_form.html", {"signup": signup, "form": form})


@verified_resident_required
def my_points(request: HttpRequest) -> HttpResponse:
    """The volunteer's page: balance, hours, star rank and every ledger entry with its source."""
    membership = request.membership
    balance = PointsBalance.objects.filter(resident=membership).first() or PointsBalance(resident=membership)
    entries = Paginator(
        # By the day it happened (an activity's hours are confirmed days later), newest first.
        LedgerEntry.objects.filter(resident=membership).order_by("-occurred_on", "-created_at", "-pk"),
        conf.page_size(),
    ).get_page(request.GET.get("page"))
    return render(request, "activities/my_points.html", _volunteer_context(balance) | {"entries": entries})


def _volunteer_context(balance: PointsBalance) -> dict:
    thresholds = conf.star_thresholds()
    stars = balance.stars
    next_threshold = thresholds[stars] if stars < len(thresholds) else None
    return {
        "balance": balance,
        "stars": stars,
        "star_range": range(stars),
        "next_threshold": next_threshold,
        "hours_to_next": (
            hours_text(max(0, next_threshold * 2 - balance.half_hours)) if next_threshold is not None else None
        ),
    }


@cache_public_page(LEADERBOARDS)
def volunteer_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A volunteer's public page: only for people who agreed to be named in public."""
    resident = get_object_or_404(
        Resident.objects.verified().select_related("household__building"), pk=pk, show_name_publicly=True
    )
    balance = PointsBalance.objects.filter(resident=resident).first() or PointsBalance(resident=resident)
    activities = (
        Signup.objects.filter(resident=resident, hours_confirmed_at__isnull=False, confirmed_half_hours__gt=0)
        .select_related("activity__type")
        .order_by("-activity__starts_at")[:10]
    )
    return render(
        request,
        "activities/volunteer.html",
        _volunteer_context(balance) | {"resident": resident, "signups": activities},
    )


def _service_record(request: HttpRequest, resident: Resident, *, issue_url: str) -> HttpResponse:
    """The record of a period, on screen, with the button that issues it as a numbered PDF, and the records
    issued before."""
    today = timezone.localdate()
    initial = {"start": date(today.year, 1, 1), "end": today}
    form = PeriodForm(request.GET or None, initial=initial)
    start, end = initial["start"], initial["end"]
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    elif request.GET:
        return render(request, "activities/service_record.html", {"form": form, "resident": resident}, status=400)
    signups = list(Signup.objects.served(resident, start, end))
    total = sum(signup.confirmed_half_hours for signup in signups)
    all_time = PointsBalance.objects.filter(resident=resident).values_list("half_hours", flat=True).first() or 0
    return render(
        request,
        "activities/service_record.html",
        {
            "form": form,
            "resident": resident,
            "signups": signups,
            "start": start,
            "end": end,
            "total": hours_text(total),
            "all_time": hours_text(all_time),
            "stars": conf.star_rank(all_time),
            "issuer": conf.record_issuer(resident),
            "issued": today,
            "issue_url": issue_url,
            "issued_records": ServiceRecord.objects.filter(resident=resident)[: conf.page_size()],
        },
    )


def _issue_service_record(request: HttpRequest, resident: Resident, *, back: str) -> HttpResponse:
    """Issue the record of the period the preview showed, then download it; a refusal goes back to the preview."""
    form = PeriodForm(request.POST)
    attempt = Attempt(request, form=form, fallback=back)
    with attempt:
        token = attempt.token(services.SERVICE_RECORD_FORM)
        if form.is_valid():
            record = services.issue_service_record(
                resident=resident,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                actor=request.user,
                token=token,
                listed_at=back,
            )
            return redirect("activities:record_pdf", record.number)
    if attempt.response:
        return attempt.response
    for errors in form.errors.values():  # a bad date, a backwards period, or the service's refusal
        for error in errors:
            messages.error(request, error)
    period = {name: request.POST.get(name, "") for name in ("start", "end")}
    return redirect(f"{back}?{urlencode(period)}" if all(period.values()) else back)


def _issued_record(request: HttpRequest, number: str) -> ServiceRecord:
    """A record the user may download: their own, or (an organizer) a resident's in their grids; else a 404."""
    records = ServiceRecord.objects.select_related("resident__household__building")
    if is_organizer(request.user):
        found = scope_to_organizer(records, request.user).filter(number=number).first()
        if found is not None:
            return found
    membership = verified_membership(request.user)
    return get_object_or_404(records, number=number, resident_id=membership.pk if membership else None)


@login_required
@require_safe
def service_record_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """An issued record as a PDF (A4), in the reader's language, drawn from what the record kept."""
    record = _issued_record(request, number)
    origin = pdf.site_origin(request)
    verify_url = pdf.absolute_url(reverse("activities:verify_record", args=[record.number]), origin)
    document = pdf.render(
        "activities/paper/service_record.html",
        {
            "record": record,
            "resident": record.resident,
            "verify_url": verify_url,
            "qr": mark_safe(qr_svg(verify_url)),  # noqa: S308 - our own SVG, the URL escaped by qr_svg's encoder
        },
        language=translation.get_language(),
    )
    return pdf.pdf_response(pdf.write_pdf([document]), filename=f"{_('Volunteer service record')} {record.number}")


@require_safe
def verify_service_record(request: HttpRequest, number: str) -> HttpResponse:
    """Public: what an issued record says, for anyone holding the paper. Numbers run in sequence, so this page
    shows only what may be public: the number, period, total hours, issuer and the resident's public name."""
    record = get_object_or_404(
        ServiceRecord.objects.select_related("resident__household__building"), number=number.upper()
    )
    facts = {
        "number": record.number,
        "period_start": record.period_start,
        "period_end": record.period_end,
        "hours": record.hours_text,
        "issuer": record.issuer,
        "name": record.resident.public_name,
    }
    return render(request, "activities/verify_record.html", {"record": facts})


@verified_resident_required
def my_service_record(request: HttpRequest) -> HttpResponse:
    return _service_record(request, request.membership, issue_url=reverse("activities:my_record_issue"))


@verified_resident_required
@require_POST
def my_service_record_issue(request: HttpRequest) -> HttpResponse:
    return _issue_service_record(request, request.membership, back=reverse("activities:my_record"))


def _organizer_resident(request: HttpRequest, pk: int) -> Resident:
    """A person an organizer may open: in their grids (a grid worker), else a 404."""
    return get_object_or_404(
        scope_to_organizer(Resident.objects.select_related("household__building"), request.user), pk=pk
    )


@organizer_required
def organizer_service_record(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _organizer_resident(request, pk)
    return _service_record(request, resident, issue_url=reverse("activities:organize_record_issue", args=[pk]))


@organizer_required
@require_POST
def organizer_service_record_issue(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _organizer_resident(request, pk)
    return _issue_service_record(request, resident, back=reverse("activities:organize_record", args=[pk]))


# --- Leaderboards ----------------------------------------------------------------


def _period_key_for(kind: str, day: date) -> str:
    return dict(period_keys(day))[kind]


def _shift_key(kind: str, key: str, step: int) -> str | None:
    if kind == "all":
        return None
    if kind == "year":
        return str(int(key) + step)
    if kind == "quarter":
        year, quarter = int(key[:4]), int(key[-1])
        index = year * 4 + quarter - 1 + step
        return f"{index // 4}-Q{index % 4 + 1}"
    year, month = int(key[:4]), int(key[5:7])
    index = year * 12 + month - 1 + step
    return f"{index // 12}-{index % 12 + 1:02d}"


def _valid_key(kind: str, key: str) -> bool:
    import re

    patterns = {"month": r"^\d{4}-(0[1-9]|1[0-2])$", "quarter": r"^\d{4}-Q[1-4]$", "year": r"^\d{4}$", "all": r"^all$"}
    return bool(re.match(patterns[kind], key or ""))


@cache_public_page(LEADERBOARDS, query=("scope", "period", "key"))
def leaderboard(request: HttpRequest, community: str | None = None) -> HttpResponse:
    """Leaderboards read maintained aggregate rows: the cost does not grow with the ledger's history.

    The street's boards rank people, households, buildings, grids and communities; a community's page
    (``/c/<slug>/points/``) ranks its own people, households, buildings and grids, from the same rows.
    Visitors get the whole page from the public cache; signed-in residents get
    their own page around the same board, rendered once per public version
    (``cached_fragment``), as fresh as the visitors' page.
    """
    place = _community_or_404(community)
    scopes = [choice for choice in PointsAggregate.Scope.choices if place is None or choice[0] != "community"]
    scope = request.GET.get("scope", "person")
    if scope not in dict(scopes):
        scope = "person"
    kind = request.GET.get("period", "month")
    if kind not in PointsAggregate.Period.values:
        kind = "month"
    rows = PointsAggregate.objects.filter(scope=scope, period_kind=kind)
    if place is not None:
        rows = rows.filter(community=place)
    board_name = f"{place.pk if place else 'street'}:{scope}:{kind}"
    current = _period_key_for(kind, timezone.localdate())
    key = request.GET.get("key") or ""
    if not _valid_key(kind, key) or key > current:
        # Early in a month the current one is empty: open on the latest period with points (never a future one).
        key = cached_fragment(
            f"leaderboard-latest:{board_name}:{current}", LEADERBOARDS, lambda: _latest_key(rows, current)
        )
    board = cached_fragment(
        f"leaderboard:{board_name}:{key}",
        LEADERBOARDS,
        lambda: render_to_string(
            "activities/_leaderboard_board.html", _board(rows.filter(period_key=key), scope, f"{board_name}:{key}")
        ),
    )
    return render(
        request,
        "activities/leaderboard.html",
        {
            "board": board,
            "scope": scope,
            "kind": kind,
            "key": key,
            "community": place,
            "communities": Community.objects.all(),
            "scopes": scopes,
            "periods": PointsAggregate.Period.choices,
            "previous_key": _shift_key(kind, key, -1),
            "next_key": next_key if (next_key := _shift_key(kind, key, 1)) and next_key <= current else None,
        },
    )


def _latest_key(rows, current: str) -> str:
    """The latest period up to ``current`` whose board (``rows``: one scope, kind and place) has points (keys of one
    kind sort as text), else ``current``."""
    rows = rows.filter(period_key__lte=current).exclude(points=0, half_hours=0)
    return rows.order_by("-period_key").values_list("period_key", flat=True).first() or current


def _board(rows_qs, scope: str, summary_name: str) -> dict:
    """The board's rows (``rows_qs``: one scope, period and place; the top 50, named only with consent) and the
    period's totals."""
    rows_qs = rows_qs.exclude(points=0, half_hours=0)
    rows = list(rows_qs.order_by("-points", "-half_hours", "scope_id")[:50])
    # The period's totals sum one row per person (or household …), which grows with the community,
    # not with history; a minute-old total is good enough, so it is kept in the shared cache.
    summary = cache.get_or_set(
        f"leaderboard-summary:{summary_name}",
        lambda: rows_qs.aggregate(count=Count("pk"), points=Sum("points"), half_hours=Sum("half_hours")),
        conf.leaderboard_summary_seconds(),
    )
    ids = [row.scope_id for row in rows]
    named = _names_for(scope, ids)
    stars = {}
    if scope == "person":
        stars = dict(PointsBalance.objects.filter(resident_id__in=ids).values_list("resident_id", "half_hours"))
    entries = []
    for rank, row in enumerate(rows, start=1):
        name, link, public = named.get(row.scope_id, (_("Unknown"), None, False))
        entries.append(
            {
                "rank": rank,
                "name": name,
                "link": link,
                "public": public,
                "points": row.points,
                "hours": row.hours_text,
                "stars": range(conf.star_rank(stars.get(row.scope_id, 0))) if scope == "person" else range(0),
            }
        )
    return {
        "entries": entries,
        "total_count": summary["count"] or 0,
        "total_points": summary["points"] or 0,
        "total_hours": hours_text(summary["half_hours"] or 0),
        "unnamed": sum(1 for entry in entries if not entry["public"]),
    }


def _names_for(scope: str, ids: list[int]) -> dict[int, tuple[str, str | None, bool]]:
    """Names people agreed to show; the others are described without a name. One query."""
    if scope == "person":
        people = Resident.objects.filter(pk__in=ids).select_related("household__building")
        return {
            person.pk: (
                person.public_name,
                reverse("activities:volunteer", args=[person.pk]) if person.show_name_publicly else None,
                person.show_name_publicly,
            )
            for person in people
        }
    if scope == "household":
        households = Household.objects.filter(pk__in=ids).select_related("building")
        return {
            household.pk: (
                household.public_name if household.show_publicly else household.anonymous_name,
                None,
                household.show_publicly,
            )
            for household in households
        }
    if scope == "building":
        return {building.pk: (building.name, None, True) for building in Building.objects.filter(pk__in=ids)}
    if scope == "community":
        return {place.pk: (place.name, None, True) for place in Community.objects.filter(pk__in=ids)}
    return {grid.pk: (grid.name, None, True) for grid in Grid.objects.filter(pk__in=ids)}


# --- The points store ------------------------------------------------------------


@cache_public_page(STORE)
def store(request: HttpRequest) -> HttpResponse:
    """The stores, each under its name: the street office's first, then the communities'. A verified resident
    sees the two they redeem in (the street's and their community's); visitors see every store."""
    items = StoreItem.objects.filter(is_active=True).select_related("community")
    membership = verified_membership(request.user)
    balance = None
    if membership is not None:
        items = items.open_to_community(membership.household.building.grid.community_id)
        balance = PointsBalance.objects.filter(resident=membership).values_list("balance", flat=True).first() or 0
    stores: dict = {}
    for item in items.order_by(
        F("community__sort_order").asc(nulls_first=True), "community__name", *StoreItem._meta.ordering
    ):
        stores.setdefault(item.community, []).append(item)
    return render(
        request,
        "activities/store.html",
        {"stores": list(stores.items()), "balance": balance, "membership": membership},
    )


@cache_public_page(STORE)
def store_item(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(StoreItem.objects.select_related("community"), pk=pk, is_active=True)
    membership = verified_membership(request.user)
    balance = None
    if membership is not None:
        balance = PointsBalance.objects.filter(resident=membership).values_list("balance", flat=True).first() or 0
    may_redeem = membership is None or item.open_to(membership.household.building.grid.community_id)
    return render(
        request,
        "activities/store_item.html",
        {"item": item, "balance": balance, "membership": membership, "may_redeem": may_redeem},
    )


@require_POST
@verified_resident_required
def store_redeem(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(StoreItem, pk=pk)
    attempt = Attempt(request, fallback=reverse("activities:my_redemptions"))
    with attempt:
        redemption = services.redeem(resident=request.membership, item=item, token=attempt.token(services.REDEEM_FORM))
        messages.success(
            request,
            _("Redeemed. Show the pickup code %(code)s at the community centre to collect it.")
            % {"code": redemption.pickup_code},
        )
        return redirect("activities:my_redemptions")
    return attempt.response or redirect("activities:store_item", pk=pk)


@verified_resident_required
def my_redemptions(request: HttpRequest) -> HttpResponse:
    redemptions = Redemption.objects.filter(resident=request.membership).select_related("item")[:100]
    return render(request, "activities/my_redemptions.html", {"redemptions": redemptions})


@require_POST
@verified_resident_required
def my_redemption_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    redemption = get_object_or_404(Redemption, pk=pk, resident=request.membership)
    with Attempt(request):
        services.cancel_redemption(redemption=redemption, actor=request.user)
        messages.success(request, _("Cancelled. Your points are back."))
    return redirect("activities:my_redemptions")


# --- Organizer area: activities ------------------------------------------------------


def _activities_in_place(request: HttpRequest):
    """The activities an organizer sees: the street's and their communities' (``Activity.in_organizer_place``)."""
    return Activity.objects.in_organizer_place(place_community_ids(request.user))


def _organizer_activity(request: HttpRequest, pk: int, *, hosting: bool = False) -> Activity:
    """An activity in the organizer's place, else a 404; ``hosting``: one they may also change (edit, call off,
    a new code), so the street's activities only for street organizers."""
    activity = get_object_or_404(_activities_in_place(request).select_related("type", "community"), pk=pk)
    if hosting and not services.may_host(request.user, activity.community_id):
        raise Http404
    return activity


@organizer_required
def organize_activities(request: HttpRequest) -> HttpResponse:
    activities = (
        _activities_in_place(request)
        .select_related("type", "community")
        .annotate(
            to_confirm=Count(
                "signups",
                filter=Q(signups__status="confirmed", signups__hours_confirmed_at__isnull=True)
                & ~Q(signups__attendance__in=["absent", "no_show"]),
                distinct=True,
            )
        )
        .order_by("-starts_at", "-pk")
    )
    page = Paginator(activities, conf.page_size()).get_page(request.GET.get("page"))
    communities = place_community_ids(request.user)
    return render(
        request,
        "activities/organize/activities.html",
        # "Edit" only where they may host: a street organizer everywhere, others in their communities.
        {"page": page, "now": timezone.now(), "hosts_all": communities is None, "hosting": communities or ()},
    )


@organizer_required
def organize_activity_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    activity = _organizer_activity(request, pk, hosting=True) if pk else None
    form = ActivityForm(request.POST or None, instance=activity, user=request.user)
    attempt = Attempt(request, form=form, fallback=reverse("activities:organize_activities"))
    if request.method == "POST":
        with attempt:
            # Only a new activity carries a token: saving an edit twice changes nothing the second time.
            token = attempt.token(services.ACTIVITY_FORM) if activity is None else None
            if form.is_valid():
                promoted = services.save_activity(
                    activity=form.instance, actor=request.user, changed=form.changed_data, token=token
                )
                _tell_promoted(request, promoted)
                messages.success(request, _("The activity is saved."))
                return redirect("activities:organize_sheet", pk=form.instance.pk)
        if attempt.response:
            return attempt.response
    has_confirmed_hours = activity is not None and activity.signups.filter(hours_confirmed_at__isnull=False).exists()
    return render(
        request,
        "activities/organize/activity_form.html",
        {"form": form, "activity": activity, "has_confirmed_hours": has_confirmed_hours},
    )


@organizer_required
def organize_types(request: HttpRequest) -> HttpResponse:
    form = ActivityTypeForm(request.POST or None)
    attempt = Attempt(request, form=form, fallback=reverse("activities:organize_types"))
    if request.method == "POST":
        with attempt:
            token = attempt.token(services.ACTIVITY_TYPE_FORM)
            if form.is_valid():
                services.add_activity_type(activity_type=form.instance, actor=request.user, token=token)
                messages.success(request, _("The activity type is added."))
                return redirect("activities:organize_types")
    return attempt.response or render(
        request, "activities/organize/types.html", {"form": form, "types": ActivityType.objects.all()}
    )


@organizer_required
def organize_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance sheet: attendance, times, hours by hand, confirmation; and the venue's codes."""
    activity = _organizer_activity(request, pk)
    # Activities belong to no grid: a grid worker sees the rows of their grids' volunteers and a count of the rest.
    live = Signup.objects.live().filter(activity=activity)
    signups = list(
        scope_to_organizer(live, request.user)
        .select_related("resident__household__building", "activity", "hours_confirmed_by")
        .order_by("status", "created_at", "pk")
    )
    other_grids = live.count() - len(signups) if organizer_grid_ids(request.user) is not None else 0
    for signup in signups:
        signup.attendance_form = AttendanceForm(
            initial={
                "attendance": signup.attendance,
                "checked_in_at": _local_input(signup.checked_in_at),
                "checked_out_at": _local_input(signup.checked_out_at),
            },
            prefix=f"s{signup.pk}",
        )
        signup.hours_form = ManualHoursForm(prefix=f"h{signup.pk}")
    return render(
        request,
        "activities/organize/sheet.html",
        {
            "activity": activity,
            "signups": signups,
            "other_grids": other_grids,
            "hosting": services.may_host(request.user, activity.community_id),  # edit, new code, call off
            "now": timezone.now(),
            "open": activity.checkin_open(),
            "to_confirm": sum(
                1
                for s in signups
                if s.status == Signup.Status.CONFIRMED and s.hours_confirmed_at is None and s.proposed_half_hours()
            ),
        },
    )


def _local_input(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else None


@organizer_required
def organize_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The code to show at the venue: a QR code (refreshed every few minutes) and the short code to read out."""
    activity = _organizer_activity(request, pk)
    open_now = activity.checkin_open()
    svg = ""
    if open_now:
        token = services.make_qr_token(activity)
        url = request.build_absolute_uri(reverse("activities:attend", args=[activity.pk])) + f"?t={token}"
        svg = qr_svg(url, label="QR")  # sized by the stylesheet
    refresh = max(30, conf.qr_max_age_seconds() // 3)
    return render(
        request,
        "activities/organize/qr.html",
        {"activity": activity, "svg": svg, "open": open_now, "refresh": refresh},
    )


@require_POST
@organizer_required
def organize_call_off(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _organizer_activity(request, pk, hosting=True)
    with Attempt(request):
        services.call_off_activity(activity=activity, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, _("The activity is called off. Volunteers see it on their pages."))
    return redirect("activities:organize_sheet", pk=pk)


@require_POST
@organizer_required
def organize_new_code(request: HttpRequest, pk: int) -> HttpResponse:
    services.reissue_checkin_code(activity=_organizer_activity(request, pk, hosting=True), actor=request.user)
    messages.success(request, _("A new code is issued; the old code and QR codes no longer work."))
    return redirect("activities:organize_sheet", pk=pk)


def _organizer_signup(request: HttpRequest, pk: int) -> Signup:
    """A sign-up of a volunteer in the organizer's grids, for an activity in their place, else a 404."""
    signups = Signup.objects.filter(activity__in=_activities_in_place(request))
    return get_object_or_404(scope_to_organizer(signups.select_related("activity", "resident"), request.user), pk=pk)


def _tell_promoted(request: HttpRequest, promoted: list[Signup]) -> None:
    """Name the volunteers who moved up from the waiting list, if the organizer may see them; count the rest."""
    grid_ids = organizer_grid_ids(request.user)
    hidden = 0
    for signup in promoted:
        if grid_ids is None or signup.resident.household.building.grid_id in grid_ids:
            messages.info(request, _("%(name)s moved up from the waiting list.") % {"name": signup.resident.full_name})
        else:
            hidden += 1
    if hidden:
        messages.info(
            request,
            ngettext(
                "%(count)d volunteer from another grid moved up from the waiting list.",
                "%(count)d volunteers from other grids moved up from the waiting list.",
                hidden,
            )
            % {"count": hidden},
        )


@require_POST
@organizer_required
def organize_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    signup = _organizer_signup(request, pk)
    form = AttendanceForm(request.POST, prefix=f"s{signup.pk}")
    if not form.is_valid():
        messages.error(request, _("Please check the attendance and the times."))
    else:
        with Attempt(request):
            services.record_attendance(
                signup=signup,
                actor=request.user,
                attendance=form.cleaned_data["attendance"],
                checked_in_at=form.cleaned_data["checked_in_at"],
                checked_out_at=form.cleaned_data["checked_out_at"],
            )
            messages.success(request, _("Attendance of %(name)s is saved.") % {"name": signup.resident.full_name})
    return redirect(reverse("activities:organize_sheet", args=[signup.activity_id]) + f"#signup-{signup.pk}")


@require_POST
@organizer_required
def organize_manual_hours(request: HttpRequest, pk: int) -> HttpResponse:
    signup = _organizer_signup(request, pk)
    form = ManualHoursForm(request.POST, prefix=f"h{signup.pk}")
    back = reverse("activities:organize_sheet", args=[signup.activity_id]) + f"#signup-{signup.pk}"
    attempt = Attempt(request, fallback=back)
    with attempt:
        token = attempt.token(services.MANUAL_HOURS_FORM)
        if not form.is_valid():
            messages.error(request, _("Hours added by hand need a number of hours and a reason."))
        else:
            services.add_hours_by_hand(
                signup=signup,
                actor=request.user,
                half_hours=form.cleaned_data["hours"],
                reason=form.cleaned_data["reason"],
                token=token,
            )
            messages.success(
                request,
                _("Hours of %(name)s are set; confirm them to credit points.") % {"name": signup.resident.full_name},
            )
    return attempt.response or redirect(back)


@require_POST
@organizer_required
def organize_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    signup = _organizer_signup(request, pk)
    with Attempt(request):
        entry = services.confirm_hours(signup=signup, actor=request.user)
        messages.success(
            request,
            _("Confirmed %(hours)s hours for %(name)s: %(points)s points.")
            % {"hours": entry.hours_text, "name": signup.resident.full_name, "points": entry.amount},
        )
    return redirect(reverse("activities:organize_sheet", args=[signup.activity_id]) + f"#signup-{signup.pk}")


@require_http_methods(["GET", "HEAD", "POST"])
@organizer_required
def organize_confirm_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirming every volunteer's hours asks first: GET says who gets how many hours and points, POST does it."""
    activity = _organizer_activity(request, pk)
    grid_ids = organizer_grid_ids(request.user)
    if request.method == "POST":
        count, problems = services.confirm_all_hours(activity=activity, actor=request.user, grid_ids=grid_ids)
        messages.success(request, _("Confirmed the hours of %(count)s volunteers.") % {"count": count})
        for problem in problems:
            messages.warning(request, problem)
        return redirect("activities:organize_sheet", pk=pk)
    return render(
        request,
        "activities/organize/confirm_all.html",
        {
            "activity": activity,
            "waiting": activity.hours_waiting(grid_ids=grid_ids),
            "daily_cap": conf.daily_hours_cap(),
        },
    )


@require_POST
@organizer_required
def organize_cancel_signup(request: HttpRequest, pk: int) -> HttpResponse:
    signup = _organizer_signup(request, pk)
    with Attempt(request):
        promoted = services.cancel_signup(signup=signup, actor=request.user, by_organizer=True)
        messages.success(request, _("The sign-up is cancelled."))
        if promoted is not None:
            _tell_promoted(request, [promoted])
    return redirect("activities:organize_sheet", pk=signup.activity_id)


@require_POST
@organizer_required
def organize_walk_in(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a volunteer who came without signing up, found by their phone number in the register."""
    activity = _organizer_activity(request, pk)
    attempt = Attempt(request, fallback=reverse("activities:organize_sheet", args=[pk]))
    with attempt:
        token = attempt.token(services.WALK_IN_FORM)
    if attempt.refused:
        return attempt.response or redirect("activities:organize_sheet", pk=pk)
    phone = to_e164(request.POST.get("phone", ""))  # the register stores E.164 (project.phones)
    register = scope_to_organizer(Resident.objects.verified(), request.user)  # a grid worker: their grids' people
    matches = list(register.filter(phone=phone)[:2]) if phone else []
    if len(matches) != 1:
        messages.error(request, _("No single verified resident has this phone number in the register."))
    else:
        with attempt:
            services.add_walk_in(activity=activity, resident=matches[0], actor=request.user, token=token)
            messages.success(request, _("%(name)s is added to the sheet.") % {"name": matches[0].full_name})
    return attempt.response or redirect("activities:organize_sheet", pk=pk)


@organizer_required
def organize_corrections(request: HttpRequest) -> HttpResponse:
    corrections = scope_to_organizer(
        CorrectionRequest.objects.filter(signup__activity__in=_activities_in_place(request)), request.user
    )
    pending = list(
        corrections.filter(status=CorrectionRequest.Status.PENDING)
        .select_related("signup__activity", "signup__resident__household__building")
        .order_by("created_at")[:100]
    )
    for correction in pending:
        correction.form = DecisionForm(prefix=f"c{correction.pk}")
    decided = (
        corrections.exclude(status=CorrectionRequest.Status.PENDING)
        .select_related("signup__activity", "signup__resident", "decided_by")
        .order_by("-decided_at")[:20]
    )
    return render(request, "activities/organize/corrections.html", {"pending": pending, "decided": decided})


@require_POST
@organizer_required
def organize_decide_correction(request: HttpRequest, pk: int) -> HttpResponse:
    correction = get_object_or_404(
        scope_to_organizer(
            CorrectionRequest.objects.filter(signup__activity__in=_activities_in_place(request)), request.user
        ),
        pk=pk,
    )
    form = DecisionForm(request.POST, prefix=f"c{correction.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose to accept or refuse."))
    else:
        with Attempt(request):
            services.decide_correction(
                correction=correction,
                actor=request.user,
                accept=form.cleaned_data["decision"] == "accept",
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("The answer is recorded."))
    return redirect("activities:organize_corrections")


@organizer_required
def organize_volunteers(request: HttpRequest) -> HttpResponse:
    """Find a volunteer by name or phone, e.g. to print the service record of someone without a smartphone."""
    query = " ".join((request.GET.get("q") or "").split())[:50]
    people = []
    if query:
        people = list(
            scope_to_organizer(Resident.objects.all(), request.user)  # a grid worker finds their grids' people
            .filter(Q(full_name__icontains=query) | Q(phone__contains=query))
            .exclude(status=Resident.Status.REMOVED)
            .select_related("household__building", "points")
            .order_by("full_name", "pk")[:30]
        )
    top = list(
        scope_to_organizer(PointsBalance.objects.filter(half_hours__gt=0), request.user)
        .select_related("resident__household__building")
        .order_by("-half_hours", "resident_id")[:10]
    )
    return render(request, "activities/organize/volunteers.html", {"query": query, "people": people, "top": top})


@organizer_required
def organize_volunteer(request: HttpRequest, pk: int) -> HttpResponse:
    """One volunteer's points for organizers: the ledger, and a form to award or adjust points."""
    resident = _organizer_resident(request, pk)
    form = AwardForm(request.POST or None)
    attempt = Attempt(request, form=form, fallback=reverse("activities:organize_volunteer", args=[pk]))
    if request.method == "POST":
        with attempt:
            token = attempt.token(services.AWARD_POINTS_FORM)
            if form.is_valid():
                services.award_points(
                    resident=resident,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    kind=form.cleaned_data["kind"],
                    actor=request.user,
                    token=token,
                )
                messages.success(request, _("The points are recorded in the ledger."))
                return redirect("activities:organize_volunteer", pk=pk)
        if attempt.response:
            return attempt.response
    balance = PointsBalance.objects.filter(resident=resident).first() or PointsBalance(resident=resident)
    entries = (
        LedgerEntry.objects.filter(resident=resident).select_related("created_by").order_by("-created_at", "-pk")[:50]
    )
    return render(
        request,
        "activities/organize/volunteer.html",
        _volunteer_context(balance) | {"resident": resident, "form": form, "entries": entries},
    )


# --- Organizer area: the store -------------------------------------------------------


def _items_in_place(request: HttpRequest):
    """The store items an organizer sees: the street's store and their communities' stores."""
    return StoreItem.objects.in_organizer_place(place_community_ids(request.user))


def _store_items_for(request: HttpRequest) -> list[StoreItem]:
    """The items in the organizer's place, each saying whether they may change it (``may_edit``)."""
    communities = place_community_ids(request.user)
    items = list(StoreItem.objects.in_organizer_place(communities).select_related("community"))
    for item in items:
        item.may_edit = communities is None or item.community_id in communities
    return items


def _organizer_redemptions(request: HttpRequest, redemptions=None):
    """Redemptions of the organizer's grids' residents, of items in their place (another's read as unknown)."""
    redemptions = Redemption.objects.all() if redemptions is None else redemptions
    return scope_to_organizer(redemptions.filter(item__in=_items_in_place(request)), request.user)


@organizer_required
def organize_store(request: HttpRequest) -> HttpResponse:
    code_form = PickupCodeForm(request.GET or None)
    found = None
    if request.GET.get("code") and code_form.is_valid():
        code = "".join(ch for ch in code_form.cleaned_data["code"].upper() if ch.isalnum())
        found = (
            _organizer_redemptions(request)  # another grid's or community's code reads as unknown
            .select_related("item", "resident__household__building")
            .filter(pickup_code=code)
            .first()
        )
        if found is None:
            messages.error(request, _("No redemption has this pickup code."))
    waiting = (
        _organizer_redemptions(request, Redemption.objects.filter(status=Redemption.Status.WAITING))
        .select_related("item", "resident__household__building")
        .order_by("created_at")[:100]
    )
    return render(
        request,
        "activities/organize/store.html",
        {
            "items": _store_items_for(request),
            "waiting": waiting,
            "code_form": code_form,
            "found": found,
        },
    )


@organizer_required
def organize_store_item(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    item = get_object_or_404(_items_in_place(request), pk=pk) if pk else None
    if item is not None and not services.may_host(request.user, item.community_id):
        raise Http404  # the street's store is the street office's to change
    form = StoreItemForm(request.POST or None, request.FILES or None, instance=item, user=request.user)
    attempt = Attempt(request, form=form, fallback=reverse("activities:organize_store"))
    if request.method == "POST":
        with attempt:
            # Only a new item carries a token: saving an edit twice changes nothing the second time.
            token = attempt.token(services.STORE_ITEM_FORM) if item is None else None
            if form.is_valid():
                services.save_store_item(
                    item=form.instance,
                    actor=request.user,
                    changed=form.changed_data,
                    photo=form.cleaned_data.get("photo_upload"),
                    token=token,
                )
                messages.success(request, _("The item is saved."))
                return redirect("activities:organize_store")
    return attempt.response or render(request, "activities/organize/store_item_form.html", {"form": form, "item": item})


@require_POST
@organizer_required
def organize_hand_over(request: HttpRequest, pk: int) -> HttpResponse:
    redemption = get_object_or_404(_organizer_redemptions(request).select_related("item"), pk=pk)
    with Attempt(request):
        services.hand_over(redemption=redemption, actor=request.user)
        messages.success(request, _("%(item)s is handed over.") % {"item": redemption.item.name})
    return redirect("activities:organize_store")


@require_POST
@organizer_required
def organize_cancel_redemption(request: HttpRequest, pk: int) -> HttpResponse:
    redemption = get_object_or_404(_organizer_redemptions(request), pk=pk)
    with Attempt(request):
        services.cancel_redemption(redemption=redemption, actor=request.user, by_organizer=True)
        messages.success(
            request, _("The redemption is cancelled; the points are returned and the item is back in stock.")
        )
    return redirect("activities:organize_store")


# --- Organizer area: exports (台账) ------------------------------------------------------


@organizer_required
def organize_exports(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = MonthForm(request.GET or None, initial={"month": f"{today:%Y-%m}"})
    month = f"{today:%Y-%m}"
    if request.GET and form.is_valid():
        month = form.cleaned_data["month"]
    return render(
        request,
        "activities/organize/exports.html",
        {"form": form, "month": month, "kinds": exports.KINDS},
    )


@organizer_required
def organize_export_download(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in exports.KINDS or fmt not in ("csv", "xlsx"):
        raise Http404
    form = MonthForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Enter a month as 2026-11."))
        return redirect("activities:organize_exports")
    params = {"month": form.cleaned_data["month"]}
    count = exports.row_estimate(kind, form.month_start(), grid_ids=organizer_grid_ids(request.user))
    # A month of a busy ledger is written in the background (project.exports); a small report comes at once.
    return respond_or_queue(
        request,
        kind=f"activities.{kind}",
        params=params,
        fmt=fmt,
        count=count,
        build=lambda: exports.report(kind, params, request.user),
    )
