"""Site-wide middleware."""

from __future__ import annotations

import logging
import re

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Turn a lost database connection into a clean 503 instead of a 500.

    Django rolls back the request's transaction before the exception reaches
    us, so nothing half-written survives; the next request reconnects
    (``CONN_HEALTH_CHECKS``) without a restart.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from allauth.core.exceptions import RateLimited

        if isinstance(exception, RateLimited):
            # allauth raises this where a code would be texted over the "verify_phone" limit (the sign-up and
            # login stage catches its own, project/account_stages.py; changing one's number does not): say how long.
            return too_many_codes(request)
        if isinstance(exception, (OperationalError, InterfaceError)) and _is_connection_error(exception):
            logger.warning("database unavailable: %s", exception)
            body = render_to_string("503.html", request=None)
            response = HttpResponse(body, status=503)
            response["Retry-After"] = "10"
            return response
        return None


def too_many_codes(request: HttpRequest) -> HttpResponse:
    from .ratelimit import allauth_wait_minutes

    minutes = allauth_wait_minutes("verify_phone")
    text = ngettext(
        "Too many verification codes were asked for. Please wait %(minutes)d minute and try again.",
        "Too many verification codes were asked for. Please wait %(minutes)d minutes and try again.",
        minutes,
    ) % {"minutes": minutes}
    return render(request, "429.html", {"wait": text}, status=429)


def _is_connection_error(exception: DatabaseError) -> bool:
    text = str(exception).lower()
    markers = ("connection", "server closed", "terminating", "could not connect", "the database system")
    return isinstance(exception, InterfaceError) or any(marker in text for marker in markers)


# C0 control characters and DEL. PostgreSQL refuses NUL in text (a 500 where the value reaches a query), and
# no page of ours has a use for the others in an address, a search or a cookie.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A form's value may hold line breaks and tabs (a textarea: citations, mottos, reasons); never anything else.
_CONTROL_IN_FORM_VALUE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ControlCharacterMiddleware:
    """Refuse control characters before they reach a view, a form or the database: 400, the translated page.

    Checked: the path, every GET name and value, every cookie, every POST name,
    and every POST value, where tab, line feed and carriage return alone are
    allowed (textareas send them; browsers cannot put them in a one-line input).
    Uploaded files are bytes and are not checked here; their names are.
    Sits after the locale, session and CSRF middleware (none of which reads the
    database before a view asks), so the page is in the reader's language and
    carries every security header.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _holds_control_characters(request):
            return render(request, "400.html", {"control_characters": True}, status=400)
        return self.get_response(request)


def _holds_control_characters(request: HttpRequest) -> bool:
    if _CONTROL.search(request.path_info):
        return True
    for name, value in request.COOKIES.items():
        if _CONTROL.search(name) or _CONTROL.search(value):
            return True
    for name, values in request.GET.lists():
        if _CONTROL.search(name) or any(_CONTROL.search(value) for value in values):
            return True
    if request.method == "POST":
        for name, values in request.POST.lists():
            if _CONTROL.search(name) or any(_CONTROL_IN_FORM_VALUE.search(value) for value in values):
                return True
        for name, uploads in request.FILES.lists():
            if _CONTROL.search(name) or any(_CONTROL.search(upload.name or "") for upload in uploads):
                return True
    return False
