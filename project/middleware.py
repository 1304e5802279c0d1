"""Site-wide middleware."""

from __future__ import annotations

import logging

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

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
        if isinstance(exception, (OperationalError, InterfaceError)) and _is_connection_error(exception):
            logger.warning("database unavailable: %s", exception)
            body = render_to_string("503.html", request=None)
            response = HttpResponse(body, status=503)
            response["Retry-After"] = "10"
            return response
        return None


def _is_connection_error(exception: DatabaseError) -> bool:
    text = str(exception).lower()
    markers = ("connection", "server closed", "terminating", "could not connect", "the database system")
    return isinstance(exception, InterfaceError) or any(marker in text for marker in markers)
