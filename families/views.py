"""Register pages: my page, joining a household, the household's motto, the public motto wall and
building pages, and the organizer area for the register, the import, mottos and the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from project import chrome, publiccache, registry
from project.access import is_organizer, organizer_required
from project.attempt import Attempt
from project.background import starts_background_work
from project.exports import respond_or_queue
from project.forms import ProfileForm
from project.models import AuditEntry, Profile
from project.publiccache import HOME, cache_public_page
from project.ratelimit import client_ip

from . import conf, exports
from .access import (
    get_community,
    is_street_organizer,
    organizer_community_ids,
    organizer_grid_ids,
    scope_to_organizer,
    verified_membership,
    verified_resident_required,
)
from .filters import HouseholdFilter, MottoWallFilter
from .forms import (
    BuildingForm,
    CommunityForm,
    ConsentForm,
    GridForm,
    HouseholdForm,
    ImportForm,
    JoinForm,
    JoinRequestForm,
    MottoConsentForm,
    MottoForm,
    MoveOutForm,
    ResidentForm,
    ReviewForm,
)
from .freshness import BUILDINGS, MOTTOS, MY_ACCOUNT, MY_HOUSEHOLD, MY_PAGE
from .models import (
    Building,
    Community,
    FamilyMotto,
    Grid,
    Household,
    MottoRevision,
    RegisterImport,
    Resident,
)
from .services import (
    APPLY_IMPORT_FORM,
    BUILDING_FORM,
    COMMUNITY_FORM,
    GRID_FORM,
    HOUSEHOLD_FORM,
    MOTTO_FORM,
    RESIDENT_FORM,
    UPLOAD_FORM,
    approve_member,
    join_household,
    move_out_household,
    queue_import,
    receive_upload,
    reject_request,
    remove_member,
    request_membership,
    review_motto,
    rotate_join_code,
    rotate_join_codes_of_building,
    save_building,
    save_community,
    save_grid,
    save_profile_name,
    save_register_object,
    set_motto_consent,
    set_public_consent,
    submit_motto,
)


@login_required
def me(request: HttpRequest) -> HttpResponse:
    membership = verified_membership(request.user)
    if request.method == "GET" and membership is not None:
        # A verified resident's page is kept between their requests and refreshed by the registry
        # (families.freshness.MY_PAGE and its kin): only the form token is filled in per request.
        body = publiccache.personal_fragment(
            f"u{request.user.pk}",
            "families:me",
            (MY_PAGE.of("resident_id"), MY_HOUSEHOLD.of("household_id"), MY_ACCOUNT.of("user_id")),
            {"resident_id": membership.pk, "household_id": membership.household_id, "user_id": request.user.pk},
            lambda: _my_page(request, membership, keep=True),
        )
        return render(request, "families/me.html", {"body": mark_safe(chrome.with_csrf_token(body, request))})  # noqa: S308
    return _my_page(request, membership)


def _my_page(request: HttpRequest, membership: Resident | None, keep: bool = False):
    """My page: my household and what may be shown of me, other apps' panels, my details. ``keep``: render the
    page's body for ``personal_fragment`` (with a stand-in form token) and return it with how long it holds."""
    profile = Profile.objects.filter(user=request.user).first() or Profile(user=request.user)
    form = ProfileForm(instance=profile)
    consent_form = None
    if membership is not None:
        consent_form = ConsentForm(
            initial={
                "show_name_publicly": membership.show_name_publicly,
                "household_show_publicly": membership.household.show_publicly,
            }
        )
    if request.method == "POST" and request.POST.get("form") == "consent" and membership is not None:
        consent_form = ConsentForm(request.POST)
        if consent_form.is_valid():
            set_public_consent(
                resident=membership,
                name_public=consent_form.cleaned_data["show_name_publicly"],
                household_public=consent_form.cleaned_data["household_show_publicly"],
                actor=request.user,
            )
            messages.success(request, _("Your choices about what is shown in public were saved."))
            return redirect("families:me")
    elif request.method == "POST":
        form = ProfileForm(request.POST, instance=profile)
        if form.is_valid():
            save_profile_name(user=request.user, full_name=form.cleaned_data["full_name"])
            messages.success(request, _("Your details were saved."))
            return redirect("families:me")
    # Other apps' parts of my page (project.registry.me_panel): my volunteering, my nominations and votes.
    panels = registry.me_panels(request)
    context = {
        "form": form,
        "consent_form": consent_form,
        "profile": profile,
        "membership": membership,
        "waiting": None
        if membership
        else Resident.objects.pending().filter(user=request.user).select_related("household__building").first(),
        "panels": panels,
    }
    if keep:
        # A panel that goes stale with time says for how long it holds (``fresh_for``, seconds).
        fresh_for = min((panel["fresh_for"] for panel in panels if "fresh_for" in panel), default=None)
        body = render_to_string("families/me_body.html", {**context, "csrf_token": chrome.CSRF_MARK})
        return body if fresh_for is None else (body, fresh_for)
    body = render_to_string("families/me_body.html", context, request=request)
    return render(request, "families/me.html", {"body": body})


@login_required
def join(request: HttpRequest) -> HttpResponse:
    membership = verified_membership(request.user)
    if membership is not None:
        messages.info(
            request,
            _("You are already a verified member of %(household)s.") % {"household": membership.household.public_name},
        )
        return redirect("families:me")
    waiting = Resident.objects.pending().filter(user=request.user).select_related("household__building").first()
    initial = {"full_name": getattr(getattr(request.user, "profile", None), "full_name", "")}
    asking = request.method == "POST" and request.POST.get("form") == "request"
    form = JoinForm(request.POST if request.method == "POST" and not asking else None, initial=initial)
    request_form = JoinRequestForm(request.POST if asking else None, initial=initial, prefix="ask")
    context = {"form": form, "request_form": request_form, "waiting": waiting}
    bound = request_form if asking else form
    attempt = Attempt(request, form=bound, field=None if asking else "code")
    if request.method == "POST" and bound.is_valid():
        with attempt:
            if asking:
                request_membership(
                    user=request.user,
                    building=request_form.cleaned_data["building"],
                    door=request_form.cleaned_data["door"],
                    full_name=request_form.cleaned_data["full_name"],
                    client=client_ip(request),
                )
                messages.success(request, _("Your request was sent. An organizer will confirm it with your household."))
                return redirect("families:me")
            person = join_household(
                user=request.user,
                code=form.cleaned_data["code"],
                full_name=form.cleaned_data["full_name"],
                client=client_ip(request),
            )
            if person.is_verified:
                messages.success(
                    request,
                    _("Welcome! You are now a verified member of %(household)s.")
                    % {"household": person.household.public_name},
                )
            else:
                messages.info(
                    request,
                    _(
                        "Your request is waiting for your grid worker to confirm it. "
                        "Until then you cannot nominate, vote or earn points."
                    ),
                )
            return redirect("families:me")
    return render(request, "families/join.html", context, status=attempt.status)


# --- Family mottos: the household's own page ------------------------------------------


def _get_household_for_member(request: HttpRequest, pk: int) -> Household:
    """The household ``pk`` if the reader is a verified member of it; 404 for everyone else."""
    membership = verified_membership(request.user)
    if membership is None or membership.household_id != pk:
        raise Http404
    return membership.household


@verified_resident_required
def household_motto(request: HttpRequest, pk: int) -> HttpResponse:
    household = _get_household_for_member(request, pk)
    motto = FamilyMotto.objects.filter(household=household).select_related("approved_revision").first()
    form = MottoForm()
    consent_form = MottoConsentForm(initial={"show_on_wall": motto.show_on_wall if motto else False})
    if request.method == "POST" and request.POST.get("form") == "consent":
        consent_form = MottoConsentForm(request.POST)
        if consent_form.is_valid():
            show = consent_form.cleaned_data["show_on_wall"]
            set_motto_consent(household=household, show=show, actor=request.user)
            if show:
                messages.success(request, _("Your approved motto may now appear on the motto wall."))
            else:
                messages.success(request, _("Your motto has been taken off the motto wall."))
            return redirect("families:household_motto", pk=household.pk)
    elif request.method == "POST":
        form = MottoForm(request.POST)
        attempt = Attempt(
            request, form=form, field="text", fallback=reverse("families:household_motto", args=[household.pk])
        )
        with attempt:
            token = attempt.token(MOTTO_FORM)
            if form.is_valid():
                submit_motto(household=household, author=request.user, text=form.cleaned_data["text"], token=token)
                messages.success(request, _("Thank you. Your motto waits for an organizer to read it."))
                return redirect("families:household_motto", pk=household.pk)
        if attempt.response:
            return attempt.response
    revisions = list(motto.revisions.all()) if motto else []
    if motto is not None and request.method == "GET":
        latest = revisions[0] if revisions else None
        form = MottoForm(initial={"text": latest.text if latest else ""})
    return render(
        request,
        "families/household_motto.html",
        {
            "household": household,
            "motto": motto,
            "revisions": revisions,
            "form": form,
            "consent_form": consent_form,
            "limit": MottoRevision.MAX_LENGTH,
        },
    )


@login_required
def motto_card(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable A6 door card of a household's approved motto: for its members and its organizers."""
    if is_organizer(request.user):
        household = get_object_or_404(
            scope_to_organizer(Household.objects.select_related("building"), request.user, grid_path="building__grid"),
            pk=pk,
        )
    else:
        household = _get_household_for_member(request, pk)
    motto = FamilyMotto.objects.filter(household=household, approved_revision__isnull=False).select_related(
        "approved_revision"
    )
    motto = motto.first()
    if motto is None:
        raise Http404
    return render(request, "families/motto_card.html", {"household": household, "motto": motto})


# --- Public pages: the motto wall and buildings ----------------------------------------


@require_safe
@cache_public_page(HOME)
def community_home(request: HttpRequest, slug: str) -> HttpResponse:
    """A community's home page: the home page's panels, each showing the community's part."""
    community = get_community(slug)
    panels = registry.home_panels(request, community=community)
    return render(request, "home.html", {"panels": panels, "community": community})


@cache_public_page(MOTTOS, query=("grid", "building", "page"), uncached=("q",))
def motto_wall(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The motto wall of the street, or of one community (its households' mottos)."""
    community = get_community(slug)
    filterset = MottoWallFilter(request.GET or None, queryset=FamilyMotto.objects.on_wall(), community=community)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    page = Paginator(queryset, conf.wall_page_size()).get_page(request.GET.get("page"))
    return render(request, "families/motto_wall.html", {"filter": filterset, "page": page, "community": community})


@cache_public_page(BUILDINGS)
def building_list(request: HttpRequest) -> HttpResponse:
    grids = Grid.objects.prefetch_related("buildings")
    return render(request, "families/building_list.html", {"grids": grids})


@cache_public_page(BUILDINGS)
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    building = get_object_or_404(Building.objects.select_related("grid"), pk=pk)
    mottos = FamilyMotto.objects.on_wall().filter(household__building=building)[:60]
    # Other apps' sections about this building (project.registry.section), e.g. its honours.
    sections = registry.sections("families.building", request, building)
    return render(
        request, "families/building_detail.html", {"building": building, "mottos": mottos, "sections": sections}
    )


# --- Organizer area: the register --------------------------------------------------------


def _households_for(request: HttpRequest):
    return scope_to_organizer(
        Household.objects.select_related("building__grid"), request.user, grid_path="building__grid"
    )


def _get_household_for_organizer(request: HttpRequest, pk: int) -> Household:
    return get_object_or_404(_households_for(request), pk=pk)


def _get_resident_for_organizer(request: HttpRequest, pk: int) -> Resident:
    return get_object_or_404(
        scope_to_organizer(
            Resident.objects.select_related("household__building", "user"),
            request.user,
            grid_path="household__building__grid",
        ),
        pk=pk,
    )


def _buildings_for(request: HttpRequest):
    return scope_to_organizer(Building.objects.select_related("grid"), request.user, grid_path="grid")


def _grids_for(request: HttpRequest):
    return scope_to_organizer(Grid.objects.all(), request.user, grid_path="id")


@organizer_required
def register(request: HttpRequest) -> HttpResponse:
    households = _households_for(request).annotate(
        verified_count=Count("residents", filter=Q(residents__status=Resident.Status.VERIFIED)),
        pending_count=Count("residents", filter=Q(residents__status=Resident.Status.PENDING)),
    )
    filterset = HouseholdFilter(request.GET or None, queryset=households, request=request)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else households
    page = Paginator(queryset.order_by("building__name", "door_label"), conf.register_page_size()).get_page(
        request.GET.get("page")
    )
    return render(request, "families/organize/register.html", {"filter": filterset, "page": page})


@organizer_required
def household_new(request: HttpRequest) -> HttpResponse:
    form = HouseholdForm(request.POST or None, buildings=_buildings_for(request))
    attempt = Attempt(request, form=form, fallback=reverse("families:organize_register"))
    if request.method == "POST":
        with attempt:
            token = attempt.token(HOUSEHOLD_FORM)
            if form.is_valid():
                household = form.save(commit=False)
                save_register_object(
                    obj=household,
                    fields=["building", "door_label", "display_name", "head_name"],
                    actor=request.user,
                    action="household.created",
                    token=token,
                )
                messages.success(request, _("The household was added."))
                return redirect("families:organize_household", pk=household.pk)
    return attempt.response or render(request, "families/organize/household_new.html", {"form": form})


@organizer_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = _get_household_for_organizer(request, pk)
    form = HouseholdForm(instance=household, buildings=_buildings_for(request))
    resident_form = ResidentForm(prefix="new")
    move_out_form = MoveOutForm(initial={"moved_out_on": timezone.localdate()})
    if request.method == "POST" and request.POST.get("form") == "household":
        form = HouseholdForm(request.POST, instance=household, buildings=_buildings_for(request))
        with Attempt(request, form=form):
            if form.is_valid():
                changes = save_register_object(
                    obj=form.save(commit=False),
                    fields=["building", "door_label", "display_name", "head_name"],
                    actor=request.user,
                    action="household.changed",
                )
                messages.success(request, _("Saved.") if changes else _("Nothing was changed."))
                return redirect("families:organize_household", pk=household.pk)
    elif request.method == "POST" and request.POST.get("form") == "resident":
        resident_form = ResidentForm(
            request.POST, prefix="new", instance=Resident(household=household, source=Resident.Source.ORGANIZER)
        )
        attempt = Attempt(
            request, form=resident_form, fallback=reverse("families:organize_household", args=[household.pk])
        )
        with attempt:
            token = attempt.token(RESIDENT_FORM)
            if resident_form.is_valid():
                person = resident_form.save(commit=False)
                person.status = Resident.Status.VERIFIED
                person.verified_at = timezone.now()
                save_register_object(
                    obj=person,
                    fields=["full_name", "phone"],
                    actor=request.user,
                    action="member.added_by_organizer",
                    token=token,
                )
                messages.success(request, _("%(name)s was added to the household.") % {"name": person.full_name})
                return redirect("families:organize_household", pk=household.pk)
        if attempt.response:
            return attempt.response
    elif request.method == "POST" and request.POST.get("form") == "move_out":
        move_out_form = MoveOutForm(request.POST)
        with Attempt(request, form=move_out_form):
            if move_out_form.is_valid():
                count = move_out_household(
                    household=household, actor=request.user, moved_out_on=move_out_form.cleaned_data["moved_out_on"]
                )
                messages.success(
                    request,
                    _("The household moved out; %(count)d members were taken off. Its history stays.")
                    % {"count": count},
                )
                return redirect("families:organize_household", pk=household.pk)
    elif request.method == "POST" and request.POST.get("form") == "rotate":
        rotate_join_code(household=household, actor=request.user)
        messages.success(request, _("A new join code was issued; the old one no longer works."))
        return redirect("families:organize_household", pk=household.pk)
    people = list(household.residents.select_related("user", "matched_person"))
    residents = [p for p in people if p.status != Resident.Status.REMOVED]
    removed = [p for p in people if p.status == Resident.Status.REMOVED]
    motto = FamilyMotto.objects.filter(household=household).select_related("approved_revision").first()
    return render(
        request,
        "families/organize/household_detail.html",
        {
            "household": household,
            "form": form,
            "resident_form": resident_form,
            "move_out_form": move_out_form,
            "residents": residents,
            "removed": removed,
            "motto": motto,
            "pending_revision": motto.revisions.pending().first() if motto else None,
            "history": AuditEntry.objects.filter(
                target_type=Household._meta.label_lower, target_id=str(household.pk)
            ).order_by("-created_at", "-id")[:10],
        },
    )


@organizer_required
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get_resident_for_organizer(request, pk)
    if person.status == Resident.Status.REMOVED:
        raise Http404
    form = ResidentForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        with Attempt(request, form=form):
            changes = save_register_object(
                obj=form.save(commit=False), fields=["full_name", "phone"], actor=request.user, action="member.changed"
            )
            messages.success(request, _("Saved.") if changes else _("Nothing was changed."))
            return redirect("families:organize_household", pk=person.household_id)
    return render(request, "families/organize/resident_edit.html", {"form": form, "person": person})


@require_POST
@organizer_required
def resident_action(request: HttpRequest, pk: int) -> HttpResponse:
    person = _get_resident_for_organizer(request, pk)
    action = request.POST.get("action")
    if action not in ("approve", "reject", "remove"):
        return HttpResponseBadRequest()
    with Attempt(request):
        if action == "approve":
            member = approve_member(resident=person, actor=request.user)
            messages.success(request, _("%(name)s is now a verified member.") % {"name": member.full_name})
        elif action == "reject":
            reject_request(resident=person, actor=request.user)
            messages.success(request, _("The request of %(name)s was turned down.") % {"name": person.full_name})
        else:
            remove_member(resident=person, actor=request.user)
            messages.success(request, _("%(name)s was removed from the household.") % {"name": person.full_name})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("families:organize_household", args=[person.household_id])
    return redirect(target)


@organizer_required
def members_waiting(request: HttpRequest) -> HttpResponse:
    waiting = scope_to_organizer(
        Resident.objects.pending()
        .select_related("household__building", "user", "matched_person")
        .order_by("created_at", "pk"),
        request.user,
        grid_path="household__building__grid",
    )
    page = Paginator(waiting, conf.register_page_size()).get_page(request.GET.get("page"))
    return render(request, "families/organize/members_waiting.html", {"page": page})


def _communities_for(request: HttpRequest):
    """The communities an organizer runs: all for a street organizer, theirs for a community organizer."""
    communities = organizer_community_ids(request.user)
    queryset = Community.objects.all()
    return queryset if communities is None else queryset.filter(pk__in=communities)


def _grid_assigner(request: HttpRequest, grid: Grid | None):
    """The organizer, if they may assign this grid's workers: a street organizer, or an organizer of its
    community. A grid worker never assigns (they would change their own place)."""
    communities = organizer_community_ids(request.user)
    if communities is None or (grid is not None and grid.community_id in communities):
        return request.user
    if grid is None and communities:
        return request.user
    return None


@organizer_required
def grid_list(request: HttpRequest) -> HttpResponse:
    grids = (
        _grids_for(request)
        .select_related("community", "parent")
        .annotate(building_count=Count("buildings"))
        .prefetch_related("assignments__user")
        .order_by("community__sort_order", "community__name", "level", "sort_order", "name")
    )
    may_add = bool(_communities_for(request).exists())
    return render(request, "families/organize/grid_list.html", {"grids": grids, "may_add": may_add})


@organizer_required
def grid_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    grid = get_object_or_404(_grids_for(request).select_related("community"), pk=pk) if pk else None
    communities = _communities_for(request)
    if grid is None and not communities.exists():
        raise PermissionDenied  # a grid worker keeps their own grids; new grids are for community organizers
    assigner = _grid_assigner(request, grid)
    form = GridForm(
        request.POST or None,
        instance=grid,
        communities=communities,
        parents=Grid.objects.filter(community__in=communities, parent__isnull=True),
        assigner=assigner,
    )
    attempt = Attempt(request, form=form, fallback=reverse("families:organize_grids"))
    if request.method == "POST":
        with attempt:
            # Only a new grid carries a token: saving an edit twice changes nothing the second time.
            token = attempt.token(GRID_FORM) if grid is None else None
            if form.is_valid():
                save_grid(
                    grid=form.save(commit=False),
                    actor=request.user,
                    organizers=form.cleaned_data["organizers"] if assigner else None,
                    token=token,
                )
                messages.success(request, _("Saved."))
                return redirect("families:organize_grids")
    return attempt.response or render(request, "families/organize/grid_edit.html", {"form": form, "grid": grid})


@organizer_required
def community_list(request: HttpRequest) -> HttpResponse:
    """The street's communities with their organizers: a street organizer's place to add them and assign their
    organizers; a community organizer sees their own."""
    communities = (
        _communities_for(request)
        .annotate(grid_count=Count("grids", distinct=True))
        .prefetch_related("assignments__user")
    )
    return render(
        request,
        "families/organize/community_list.html",
        {"communities": communities, "may_edit": is_street_organizer(request.user)},
    )


@organizer_required
def community_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Only street organizers add communities and assign community organizers (never themselves)."""
    if not is_street_organizer(request.user):
        raise PermissionDenied
    community = get_object_or_404(Community, pk=pk) if pk else None
    form = CommunityForm(request.POST or None, instance=community, assigner=request.user)
    attempt = Attempt(request, form=form, fallback=reverse("families:organize_communities"))
    if request.method == "POST":
        with attempt:
            token = attempt.token(COMMUNITY_FORM) if community is None else None
            if form.is_valid():
                save_community(
                    community=form.save(commit=False),
                    actor=request.user,
                    organizers=form.cleaned_data["organizers"],
                    token=token,
                )
                messages.success(request, _("Saved."))
                return redirect("families:organize_communities")
    return attempt.response or render(
        request, "families/organize/community_edit.html", {"form": form, "community": community}
    )


@organizer_required
def building_admin_list(request: HttpRequest) -> HttpResponse:
    buildings = _buildings_for(request).annotate(household_count=Count("households"))
    return render(request, "families/organize/building_list.html", {"buildings": buildings})


@organizer_required
def building_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    building = get_object_or_404(_buildings_for(request), pk=pk) if pk else None
    # Buildings belong to the lowest grids: a first-level grid divided into second-level grids takes none.
    grids = _grids_for(request).filter(children__isnull=True).select_related("parent")
    form = BuildingForm(request.POST or None, instance=building, grids=grids)
    attempt = Attempt(request, form=form, fallback=reverse("families:organize_buildings"))
    if request.method == "POST":
        with attempt:
            # Only a new building carries a token: saving an edit twice changes nothing the second time.
            token = attempt.token(BUILDING_FORM) if building is None else None
            if form.is_valid():
                save_building(building=form.save(commit=False), actor=request.user, token=token)
                messages.success(request, _("Saved."))
                return redirect("families:organize_buildings")
    return attempt.response or render(
        request, "families/organize/building_edit.html", {"form": form, "building": building}
    )


@require_safe
@organizer_required
def join_slips(request: HttpRequest, pk: int) -> HttpResponse:
    """A4 sheets of join-code slips for one building, to cut and hand out."""
    building = get_object_or_404(_buildings_for(request), pk=pk)
    households = building.households.order_by("door_label")
    return render(request, "families/organize/join_slips.html", {"building": building, "households": households})


@require_http_methods(["GET", "HEAD", "POST"])
@organizer_required
def reissue_join_codes(request: HttpRequest, pk: int) -> HttpResponse:
    """Reissuing every join code of a building asks first: GET says how many households it touches, POST does it."""
    building = get_object_or_404(_buildings_for(request), pk=pk)
    households = building.households.order_by("door_label")
    if request.method == "POST":
        count = rotate_join_codes_of_building(building=building, actor=request.user, households=households)
        messages.success(
            request, _("%(count)d new join codes were issued; the old ones no longer work.") % {"count": count}
        )
        return redirect("families:organize_join_slips", pk=building.pk)
    return render(
        request,
        "families/organize/reissue_codes.html",
        {
            "building": building,
            "households": households.count(),
            "members": Resident.objects.verified().filter(household__building=building).count(),
        },
    )


@organizer_required
def export_register(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in ("csv", "xlsx"):
        raise Http404
    params = {"fmt": fmt, "filters": {k: v for k, v in request.GET.items() if k in exports.FILTERS}}
    # A large register is written in the background (project.exports); a small one comes at once.
    return respond_or_queue(
        request,
        kind="families.register",
        params=params,
        fmt=fmt,
        count=exports.households_for(request.user, params["filters"]).count(),
        build=lambda: exports.register_table(params, request.user),
    )


# --- Organizer area: import -----------------------------------------------------------


@starts_background_work
@organizer_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Take a register file: check its size only, store it and queue its check (families.tasks)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    attempt = Attempt(request, form=form, fallback=reverse("families:organize_import"))
    if request.method == "POST":
        with attempt:
            token = attempt.token(UPLOAD_FORM)
            if form.is_valid():
                record = receive_upload(
                    actor=request.user, upload=form.cleaned_data["file"], language=get_language(), token=token
                )
                return redirect("families:organize_import_preview", pk=record.pk)
        if attempt.response:
            return attempt.response
    recent = RegisterImport.objects.defer("plan", "preview").select_related("uploaded_by")
    if organizer_grid_ids(request.user) is not None:
        recent = recent.filter(uploaded_by=request.user)
    recent = recent[:10]
    return render(request, "families/organize/import_upload.html", {"form": form, "recent": recent})


def _get_import(request: HttpRequest, pk: int) -> RegisterImport:
    # The checked rows (a few MB for a large file) are read only by the import itself.
    imports = RegisterImport.objects.defer("plan")
    if organizer_grid_ids(request.user) is not None:
        imports = imports.filter(uploaded_by=request.user)
    return get_object_or_404(imports, pk=pk)


@starts_background_work
@organizer_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """An upload's page: its progress while a task works on it, then its check; POST ("Import now") queues the
    import of exactly what was checked."""
    record = _get_import(request, pk)
    preview_url = reverse("families:organize_import_preview", args=[record.pk])
    if request.method == "POST":
        attempt = Attempt(request, fallback=preview_url)
        with attempt:
            queue_import(record=record, actor=request.user, token=attempt.token(APPLY_IMPORT_FORM))
            return redirect(preview_url)
        if attempt.response:
            return attempt.response
        if not attempt.expired:
            return redirect(preview_url)  # refused: the page as the register now has it, with the reason
    if record.status == RegisterImport.Status.IMPORTED:
        return render(request, "families/organize/import_done.html", {"record": record})
    preview = record.preview
    errors = preview.get("errors", [])
    return render(
        request,
        "families/organize/import_preview.html",
        {
            "record": record,
            "preview": preview,
            "errors": errors,
            "more_errors": max(0, preview.get("error_count", 0) - len(errors)),
            "summary": preview.get("summary"),
            "expired": record.status == RegisterImport.Status.PREVIEWED and not preview,
        },
    )


@organizer_required
def import_status(request: HttpRequest, pk: int) -> JsonResponse:
    """How far the tasks have got with an upload (polled by families.js; read from the database)."""
    record = _get_import(request, pk)
    return JsonResponse(
        {
            "status": record.status,
            "label": record.get_status_display(),
            "done": record.done,
            "total": record.total,
            "finished": not record.working,
        }
    )


# --- Organizer area: mottos ---------------------------------------------------


@organizer_required
def motto_queue(request: HttpRequest) -> HttpResponse:
    waiting = scope_to_organizer(
        MottoRevision.objects.pending()
        .select_related("motto__household__building", "motto__approved_revision")
        .order_by("created_at", "id"),
        request.user,
        grid_path="motto__household__building__grid",
    )
    page = Paginator(waiting, conf.queue_page_size()).get_page(request.GET.get("page"))
    return render(request, "families/organize/motto_queue.html", {"page": page, "form": ReviewForm()})


@require_POST
@organizer_required
def motto_review(request: HttpRequest, pk: int) -> HttpResponse:
    revision = get_object_or_404(
        scope_to_organizer(MottoRevision.objects.all(), request.user, grid_path="motto__household__building__grid"),
        pk=pk,
    )
    form = ReviewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("families:organize_mottos")
    approve = form.cleaned_data["decision"] == "approve"
    with Attempt(request):
        review_motto(revision=revision, reviewer=request.user, approve=approve, reason=form.cleaned_data["reason"])
        messages.success(request, _("The motto was approved.") if approve else _("The household will see your reason."))
    return redirect("families:organize_mottos")
