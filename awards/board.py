"""The public honour board: the web board, TV mode, the JSON feed, certificates and their verification.

Every page here is public and shows only what the honoured household or person
agreed to show (``Honour.public_name``); none of them shows a phone number or a
door. Anonymous responses are cached with ``cache_public_page``, whose version
is bumped whenever something is published, withdrawn or consent changes, and
each page runs a constant number of queries whatever the number of honours.
"""

from __future__ import annotations

import hashlib
import json
from functools import wraps
from itertools import zip_longest

import django_filters
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_safe

from activities.models import PointsAggregate, hours_text
from families.access import get_community
from families.models import Community, FamilyMotto, Grid, Resident
from project import pdf
from project.codes import qr_svg
from project.images import WIDTHS, photo_sources
from project.publiccache import cache_public_page

from . import conf, paper
from .freshness import BOARD
from .models import AwardCategory, Honour, HonourQuerySet
from .paper import certificate_name

# --- The web board ---------------------------------------------------------


def _year_choices():
    years = Honour.objects.published().order_by("-year").values_list("year", flat=True).distinct()
    return [(year, str(year)) for year in years]


def _categories_with_honours():
    return AwardCategory.objects.filter(honours__in=Honour.objects.published()).distinct()


def _grids_with_honours():
    return Grid.objects.filter(buildings__honours__in=Honour.objects.published()).distinct()


def board_honours(community: Community | None) -> HonourQuerySet:
    """The honours on the street's board, or on a community's (``HonourQuerySet.in_community``: where the target
    lives), with everything the board shows."""
    honours = Honour.objects.for_board()
    return honours.in_community(community) if community is not None else honours


def place_url(name: str, community: Community | None) -> str:
    """The street's page ``name``, or the same page of a community (``/c/<slug>/...``)."""
    return reverse(name, kwargs={"slug": community.slug}) if community is not None else reverse(name)


class HonourFilter(django_filters.FilterSet):
    """Filter the board by year, category and grid (the grid of the honour's building)."""

    year = django_filters.TypedChoiceFilter(label=_("Year"), choices=(), coerce=int)
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=_categories_with_honours())
    grid = django_filters.ModelChoiceFilter(
        label=_("Grid"), field_name="building__grid", queryset=_grids_with_honours()
    )

    class Meta:
        model = Honour
        fields = ["year", "category", "grid"]

    def __init__(self, *args, community: Community | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read the years once per request (a callable would be read again when validating).
        self.filters["year"].extra["choices"] = _year_choices()
        if community is not None:  # a community's board offers its own grids only
            self.filters["grid"].queryset = _grids_with_honours().filter(community=community)


def _filter_groups(request: HttpRequest, filterset: HonourFilter) -> list[dict]:
    """Each filter as a list of links (no form on a cached public page), the current choice marked."""
    groups = []
    for name, field in filterset.form.fields.items():
        current = request.GET.get(name, "")
        options = []
        for value, label in [("", _("All")), *((str(v), str(label)) for v, label in field.choices if v != "")]:
            query = request.GET.copy()
            query.pop("page", None)
            if value:
                query[name] = value
            else:
                query.pop(name, None)
            options.append({"label": label, "url": f"?{query.urlencode()}", "selected": value == current})
        groups.append({"name": name, "label": field.label, "options": options})
    return groups


@require_safe
@cache_public_page(BOARD, query=(*HonourFilter.base_filters, "page"))
def honour_list(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The street's honour board, or a community's (``/c/<slug>/honours/``)."""
    community = get_community(slug)
    filterset = HonourFilter(request.GET, queryset=board_honours(community), community=community)
    honours = filterset.qs if filterset.is_valid() else filterset.queryset
    page = Paginator(honours, conf.board_page_size()).get_page(request.GET.get("page"))
    return render(
        request,
        "awards/board/list.html",
        {
            "community": community,
            "board_url": place_url("board:list", community),
            "tv_url": place_url("board:tv", community),
            "filter_groups": _filter_groups(request, filterset),
            "filtered": any(request.GET.get(name) for name in HonourFilter.base_filters),
            "page_obj": page,
            "honours": page.object_list,
        },
    )


@require_safe
@cache_public_page(BOARD)
def honour_detail(request: HttpRequest, pk: int) -> HttpResponse:
    honour = get_object_or_404(Honour.objects.for_board(), pk=pk)
    return render(request, "awards/board/detail.html", {"honour": honour})


# --- TV mode ---------------------------------------------------------------


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(request.GET.get(name, default)), low), high)
    except ValueError:
        return default


def rotate_through_categories(honours: list[Honour]) -> list[Honour]:
    """Interleave honours so consecutive slides come from different categories, newest first in each."""
    by_category: dict[int, list[Honour]] = {}
    for honour in honours:
        by_category.setdefault(honour.category_id, []).append(honour)
    ordered = sorted(by_category.values(), key=lambda group: (group[0].category.sort_order, group[0].category.name))
    return [honour for batch in zip_longest(*ordered) for honour in batch if honour is not None]


def _honour_slide(honour: Honour) -> dict:
    return {
        "kind": "honour",
        "id": f"h{honour.pk}",
        "category": honour.category.name,
        "name": honour.public_name,
        "subtitle": f"{honour.year} · {honour.title}",
        "citation": Truncator(honour.citation).chars(conf.tv_citation_chars()),
        "photo": _photo_url(honour.photo, 1280),
    }


def motto_slides(community: Community | None = None) -> list[dict]:
    """Approved family mottos whose households chose the motto wall, of the street or a community (one query)."""
    mottos = FamilyMotto.objects.on_wall()
    if community is not None:
        mottos = mottos.in_community(community)
    return [
        {
            "kind": "motto",
            "id": f"m{motto.pk}",
            "category": str(pgettext_lazy("TV slide", "Family motto")),
            "name": motto.public_household_name,
            "subtitle": str(_("From the motto wall")),
            "citation": Truncator(motto.approved_revision.text).chars(conf.tv_citation_chars()),
            "photo": "",
        }
        for motto in mottos[: conf.tv_mottos()]
    ]


def star_volunteer_slide(community: Community | None = None) -> dict | None:
    """This month's volunteers with the most confirmed hours, of the street or living in a community, named only
    if they agreed (two queries)."""
    month = timezone.localdate().strftime("%Y-%m")
    rows = PointsAggregate.objects.filter(scope="person", period_kind="month", period_key=month, half_hours__gt=0)
    if community is not None:
        rows = rows.filter(
            scope_id__in=Resident.objects.filter(household__building__grid__community=community).values("pk")
        )
    rows = list(rows.order_by("-half_hours", "scope_id").values_list("scope_id", "half_hours")[: conf.tv_stars()])
    if not rows:
        return None
    people = Resident.objects.select_related("household__building").in_bulk([pk for pk, _h in rows])
    lines = [
        _("%(name)s, %(hours)s hours") % {"name": people[pk].public_name, "hours": hours_text(half_hours)}
        for pk, half_hours in rows
        if pk in people
    ]
    return {
        "kind": "stars",
        "id": f"s{month}",
        "category": str(_("Star volunteers of the month")),
        "name": str(_("Thank you for your service")),
        "subtitle": month,
        "citation": "\n".join(lines),
        "photo": "",
    }


def tv_slides(community: Community | None = None) -> list[dict]:
    """The TV's slides as plain data, in a few queries whatever the number of honours.

    The newest ``AWARDS_TV_SLIDES`` honours rotating through the categories, with
    a family motto after every third honour and this month's star volunteers: of
    the whole street, or of one community when the TV is pinned to it.
    """
    honours = [_honour_slide(h) for h in rotate_through_categories(list(board_honours(community)[: conf.tv_slides()]))]
    mottos = motto_slides(community)
    slides = []
    for i, slide in enumerate(honours):
        slides.append(slide)
        if i % 3 == 2 and mottos:
            slides.append(mottos.pop(0))
    slides.extend(mottos)
    stars = star_volunteer_slide(community)
    if stars:
        slides.insert(min(2, len(slides)), stars)
    return slides


def _slides_version(slides: list[dict]) -> str:
    return hashlib.sha256(json.dumps(slides, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


@require_safe
@cache_public_page(BOARD, query=("interval", "refresh"))
def tv(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """TV mode for the street, or pinned to one community (``/c/<slug>/honours/tv/``)."""
    community = get_community(slug)
    slides = tv_slides(community)
    return render(
        request,
        "awards/board/tv.html",
        {
            "community": community,
            "slides_url": place_url("board:tv_slides", community),
            "slides": slides,
            "version": _slides_version(slides),
            "interval": _int_param(request, "interval", conf.tv_interval_seconds(), 2, 600),
            "refresh": _int_param(request, "refresh", conf.tv_refresh_seconds(), 2, 3600),
        },
    )


@require_safe
@cache_public_page(BOARD, timeout=60)
def tv_slides_json(request: HttpRequest, slug: str | None = None) -> JsonResponse:
    slides = tv_slides(get_community(slug))
    response = JsonResponse(
        {"version": _slides_version(slides), "slides": slides}, json_dumps_params={"ensure_ascii": False}
    )
    patch_cache_control(response, no_cache=True)  # the TV must see a new publication at its next check
    return response


# --- Feed ------------------------------------------------------------------


def _photo_url(name: str, width: int) -> str:
    for url, w in photo_sources(name):
        if w == width:
            return url
    return ""


def _feed_item(request: HttpRequest, honour: Honour) -> dict:
    photos = {str(width): request.build_absolute_uri(url) for url, width in photo_sources(honour.photo) if width}
    return {
        "id": honour.pk,
        "category": honour.category.name,
        "round": honour.title,
        "year": honour.year,
        "name": honour.public_name,
        "target": honour.target_kind,
        "citation": honour.citation,
        "photos": photos,
        "published": timezone.localtime(honour.published_at).replace(microsecond=0).isoformat(),
        "url": request.build_absolute_uri(reverse("board:detail", args=[honour.pk])),
    }


def conditional(view):
    """Answer ``If-None-Match`` with 304 using an ETag of the (possibly cached) body."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        if not response.has_header("ETag"):
            response["ETag"] = f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
        return get_conditional_response(request, etag=response["ETag"], response=response)

    return wrapper


@require_safe
@conditional
@cache_public_page(BOARD, query=("page",))
def feed(request: HttpRequest, slug: str | None = None) -> JsonResponse:
    """Published honours for big screens and apps, newest first, ``AWARDS_FEED_PAGE_SIZE`` a page: the street's,
    or one community's at ``/c/<slug>/honours/feed.json``."""
    community = get_community(slug)
    paginator = Paginator(board_honours(community), conf.feed_page_size())
    page = paginator.get_page(request.GET.get("page"))
    base = request.build_absolute_uri(place_url("board:feed", community))
    response = JsonResponse(
        {
            "count": paginator.count,
            "page": page.number,
            "next": f"{base}?page={page.next_page_number()}" if page.has_next() else None,
            "previous": f"{base}?page={page.previous_page_number()}" if page.has_previous() else None,
            "photo_widths": list(WIDTHS),
            "honours": [_feed_item(request, honour) for honour in page.object_list],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    patch_cache_control(response, public=True, max_age=conf.feed_max_age_seconds())
    patch_vary_headers(response, ["Accept-Language", "Cookie"])  # the language comes from either
    response["Access-Control-Allow-Origin"] = "*"  # public data, read by big screens on other hosts
    return response


# --- Certificates and verification ----------------------------------------


def _certificate_honour(request: HttpRequest, pk: int) -> tuple[Honour | None, HttpResponse | None]:
    """The published honour of a certificate, or the page that refuses it: a withdrawn honour's certificate is
    no longer handed out (410, saying so as its verify page does); an unknown or unpublished one is a 404."""
    honour = get_object_or_404(
        Honour.objects.filter(published_at__isnull=False).select_related(
            "category", "round", "building__grid", "household__building", "resident__household__building"
        ),
        pk=pk,
    )
    if honour.withdrawn_at:
        context = {"honour": honour, "state": "withdrawn", "number": honour.certificate_number}
        return None, render(request, "awards/board/verify.html", context, status=410)
    return honour, None


@require_safe
@cache_public_page(BOARD)
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    honour, refusal = _certificate_honour(request, pk)
    if refusal:
        return refusal
    verify_url = pdf.absolute_url(reverse("board:verify", args=[honour.certificate_number]), pdf.site_origin(request))
    return render(
        request,
        "awards/board/certificate.html",
        {
            "honour": honour,
            "name": certificate_name(honour, request.user),
            "verify_url": verify_url,
            "qr": mark_safe(qr_svg(verify_url)),  # noqa: S308 - generated by qrcode from our own URL
            "issued": timezone.localtime(honour.published_at),
        },
    )


@require_safe
@cache_public_page(BOARD)
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The certificate as a print-ready PDF (A4 landscape, Chinese), with the same name rules as the page."""
    honour, refusal = _certificate_honour(request, pk)
    if refusal:
        return refusal
    document = paper.certificate(honour, reader=request.user, origin=pdf.site_origin(request))
    return pdf.pdf_response(pdf.write_pdf([document]), filename=f"{honour.certificate_number}")


@require_safe
@cache_public_page(BOARD)
def verify(request: HttpRequest, number: str) -> HttpResponse:
    """Say whether a certificate number belongs to a published honour (200), a withdrawn one (410) or none (404)."""
    honour = (
        Honour.objects.filter(certificate_number=number.strip(), published_at__isnull=False)
        .select_related("category", "building", "household__building", "resident__household__building")
        .first()
    )
    if honour is None:
        status, state = 404, "unknown"
    elif honour.withdrawn_at:
        status, state = 410, "withdrawn"
    else:
        status, state = 200, "genuine"
    return render(
        request, "awards/board/verify.html", {"honour": honour, "state": state, "number": number}, status=status
    )
