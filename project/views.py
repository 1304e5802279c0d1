"""Site-wide pages: home, health, display preferences, my notices, the organizer area's front door, audit log and
outbox, errors."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from . import exports, pdf, registry, reports
from .access import organizer_required, sees_whole_community, whole_community_required
from .attempt import Attempt
from .backends import forget_unread
from .background import starts_background_work
from .context_processors import TEXT_SIZE_COOKIE, TEXT_SIZES
from .filters import AuditFilter
from .forms import DeleteAccountForm, ReportForm
from .models import AuditEntry, ExportJob, Notice, OutboxMessage
from .notices import mark_read, save_settings, settings_forms
from .outbox import resend
from .privacy import delete_account, personal_data
from .publiccache import HOME, cache_public_page

ONE_YEAR = 60 * 60 * 24 * 365


@require_safe
@cache_public_page(HOME, timeout=60)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"panels": registry.home_panels(request)})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy"
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_GET
def set_preferences(request: HttpRequest) -> HttpResponse:
    """Remember the reader's language and text size in cookies, then go back.

    Links rather than forms, so that public pages carry no CSRF token and one
    cached copy serves every visitor; no account and no JavaScript needed.
    """
    target = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    # Secure whenever the reader came over https; no script reads either cookie (the server renders both).
    flags = {"samesite": "Lax", "httponly": True, "secure": request.is_secure()}
    size = request.GET.get("text")
    if size in TEXT_SIZES:
        response.set_cookie(TEXT_SIZE_COOKIE, size, max_age=ONE_YEAR, **flags)
    language = request.GET.get("language")
    if language in dict(settings.LANGUAGES):
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE, **flags)
    return response


NOTICES_PAGE_SIZE = 20


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """My notices, newest first (those on the page are marked read), and how I want to receive them."""
    forms = settings_forms(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and all(form.is_valid() for form in forms):
        save_settings(forms)
        messages.success(request, _("Your notice settings were saved."))
        return redirect("notices")
    page = Paginator(Notice.objects.filter(user=request.user), NOTICES_PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    unread = mark_read(items)
    if unread:
        forget_unread(request.user)  # the header counts what is left
    return render(request, "notices.html", {"page": page, "items": items, "forms": forms, "unread": unread})


@organizer_required
def organize(request: HttpRequest) -> HttpResponse:
    """What waits for organizers (each app's panels) and the community's numbers as charts."""
    return render(request, "organize.html", {"panels": registry.organizer_panels(request), "charts": registry.charts()})


AUDIT_PAGE_SIZE = 50


@organizer_required
def audit_log(request: HttpRequest) -> HttpResponse:
    actions = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    choices = sorted(((action, registry.audit_label(action)) for action in actions), key=lambda choice: choice[1])
    # What an organizer may read is narrowed by the apps (families: a grid worker reads their grids' lines).
    entries = registry.audit_entries_for(request.user, AuditEntry.objects.all())
    filterset = AuditFilter(request.GET or None, queryset=entries, actions=choices)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else entries
    page = Paginator(queryset.order_by("-created_at", "-id"), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit_log.html", {"filter": filterset, "page": page})


OUTBOX_PAGE_SIZE = 50


@whole_community_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """The e-mails and text messages that could not be delivered, newest first: to whom (masked), what, why."""
    page = Paginator(OutboxMessage.objects.failed(), OUTBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "outbox.html", {"page": page, "now": timezone.now()})


@whole_community_required
@require_POST
def outbox_resend(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(OutboxMessage, pk=pk)
    back = reverse("organize_outbox")
    attempt = Attempt(request, fallback=back)
    with attempt:
        resend(message=message, actor=request.user)
        messages.success(request, _("The message is queued again and will be sent in a moment."))
    return attempt.response or redirect(back)


# --- Exports written in the background ----------------------------------------------------------------------

EXPORTS_SHOWN = 30


def _exports_for(request: HttpRequest):
    return exports.visible_to(request.user, ExportJob.objects.select_related("requested_by"))


@organizer_required
@require_safe
def exports_page(request: HttpRequest) -> HttpResponse:
    """The organizer's large exports: progress while a task writes them, then a download link."""
    jobs = list(_exports_for(request)[:EXPORTS_SHOWN])
    for job in jobs:
        job.counts = exports.counts(job)  # the progress counts rows, a PDF's documents or a workbook's sheets
    return render(
        request,
        "exports.html",
        {"jobs": jobs, "working": any(job.working for job in jobs), "kept_days": exports.kept_for().days},
    )


@organizer_required
@require_safe
def exports_status(request: HttpRequest) -> JsonResponse:
    """The state of the organizer's exports (polled by exports.js; read from the database, so any server answers)."""
    jobs = _exports_for(request).values_list("pk", "status", "done", "total")[:EXPORTS_SHOWN]
    return JsonResponse({"jobs": [dict(zip(("id", "status", "done", "total"), job, strict=True)) for job in jobs]})


@starts_background_work
@organizer_required
@require_POST
def export_start(request: HttpRequest) -> HttpResponse:
    """Start a large export: store the request as an ExportJob and enqueue its task; nothing is read here."""
    back = reverse("organize_exports")
    kind, fmt, raw = request.POST.get("kind", ""), request.POST.get("fmt", ""), request.POST.get("params") or "{}"
    attempt = Attempt(request, fallback=back)
    with attempt:
        try:
            params = json.loads(raw) if len(raw) <= 2000 else None
        except ValueError:
            params = None
        exports.start_export(
            user=request.user,
            kind=kind,
            params=params,
            fmt=fmt,
            language=get_language(),
            whole_community=sees_whole_community(request.user),
            token=attempt.token(exports.START_FORM),
            origin=pdf.site_origin(request),
        )
        messages.success(request, _("The export is being written. You will get a notice when it is ready."))
    if attempt.expired:
        return exports.start_page(request, kind=kind, params=raw, fmt=fmt)  # the button again, with a fresh token
    return attempt.response or redirect(back)


@organizer_required
def reports_page(request: HttpRequest) -> HttpResponse:
    """Reports upward (台账): the workbook of a community (or the street's) for a period, written in the background.

    A community organizer chooses among their communities, a street organizer among all and the street; a grid
    worker has no workbook to ask for (403)."""
    communities = reports.communities_for(request.user)
    street = reports.street_place().name if reports.may_have_street(request.user) else None
    if not communities and street is None:
        raise PermissionDenied
    initial = {"period": reports.Period.current_month().key, "place": "" if street else communities[0].slug}
    form = ReportForm(request.POST or None, initial=initial, communities=communities, street=street)
    if request.method == "POST":
        attempt = Attempt(request, form=form, fallback=reverse("organize_exports"))
        with attempt:
            token = attempt.token(exports.START_FORM)
            if form.is_valid():
                exports.start_export(
                    user=request.user,
                    kind=reports.KIND,
                    params={"period": form.cleaned_data["period"], "community": form.cleaned_data["place"]},
                    fmt="xlsx",
                    language=get_language(),
                    whole_community=sees_whole_community(request.user),
                    token=token,
                )
                messages.success(request, _("The workbook is being written. You will get a notice when it is ready."))
                return redirect("organize_exports")
        if attempt.response:
            return attempt.response
    return render(request, "reports.html", {"form": form, "measures": reports.measures()})


@organizer_required
@require_safe
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A finished export's file, for those who may see it (never public media)."""
    job = get_object_or_404(_exports_for(request), pk=pk, status=ExportJob.Status.DONE)
    if not job.file:
        raise Http404
    return exports.download_response(job)


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def too_many_requests(request, exception=None):
    """allauth's limits answer with this page (it looks up ``handler429`` in the URL configuration)."""
    return render(request, "429.html", status=429)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors: the database may be what failed.
    from django.template.loader import get_template

    return HttpResponse(get_template("500.html").render({}), status=500)


@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """Download everything the site keeps about me, as JSON."""
    body = json.dumps(personal_data(request.user), ensure_ascii=False, indent=1, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def delete_my_account(request: HttpRequest) -> HttpResponse:
    """Delete my account after I confirm with my password; records that must stay are anonymised."""
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        delete_account(user=user)
        messages.success(request, _("Your account was deleted. Thank you for taking part."))
        return redirect("home")
    return render(request, "account_delete.html", {"form": form})
