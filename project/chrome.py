"""The header and footer every page wears, rendered once per kind of reader and filled in per request.

The header and footer (``includes/header.html``, ``includes/footer.html`` and the apps' navigation items) were
most of a light signed-in page's time: dozens of ``{% url %}`` and ``{% translate %}`` nodes, the same for every
reader of a kind. So each is rendered once per process for each combination of what it varies on:

- the language and the text size (elder mode),
- who reads: a visitor, a signed-in resident, or an organizer (who sees the organizer link),
- where the page is, as the navigation sees it: its first path segment (``/activities/`` for every page under
  it), or the whole path when it has one segment (``/points/``), so ``aria-current`` marks the right link;

and the personal parts are filled in per request into marked places: the CSRF token of the log-out form,
the unread notices badge, and the page's own path in the ``next=`` of the language and text-size links.

The shared copy is rendered with a stand-in user and request that hold nothing personal (the user is only
signed in or not; the request has only a path section), so a reader's data cannot reach another reader's
header: whatever else a template asked of them would render empty. Navigation items (``registry.nav_item``)
may therefore look at ``request.path`` only by its first segment, and at ``user.is_authenticated``.

The copies live in this process's memory (a few hundred at most: the key has no free text, and a page that
matched no URL counts as "nowhere"), not in the shared cache: they depend only on code, templates and
translations, which change with a deploy and its restart. With ``DEBUG`` on they are rendered every time, so
an edited template shows at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.conf import settings
from django.middleware.csrf import get_token
from django.template.defaultfilters import urlencode
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

# Marks in the shared copy where the personal parts go: plain ASCII that ``urlencode`` and escaping keep as
# they are, and that no template or translation contains.
NEXT_MARK = "chrome-next-path-5f3a"
CSRF_MARK = "chrome-csrf-token-5f3a"
UNREAD_MARK = mark_safe("<!--chrome-unread-5f3a-->")  # noqa: S308 - a constant comment, no input
NOWHERE = "~"
SIZE = 512

_copies: dict[tuple, str] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class _Reader:
    """The stand-in user of a shared copy: signed in or not, nothing else."""

    is_authenticated: bool


@dataclass(frozen=True)
class _Place:
    """The stand-in request of a shared copy: where the page is, as the navigation sees it."""

    path: str

    def get_full_path(self) -> str:
        return NEXT_MARK


def section(request) -> str:
    """The page's place for the navigation: ``/`` and one-segment paths as they are (``/points/``); deeper
    paths by their first segment and a mark (``/activities/~``), so ``/activities/7/`` and ``/activities/``
    share a copy; a path no URL matched (a 404) is nowhere."""
    if getattr(request, "resolver_match", None) is None:
        return NOWHERE
    path = request.path
    first = path.split("/", 2)[1] if path.count("/") >= 2 else ""
    if path in ("/", f"/{first}/"):
        return path
    return f"/{first}/{NOWHERE}"


def render(template_name: str, context) -> SafeString:
    """``template_name`` (the header or footer) for this request: the shared copy, with the personal parts."""
    request = context["request"]
    user = context.get("user")
    signed_in = bool(user is not None and user.is_authenticated)
    organizer = signed_in and bool(context.get("user_is_organizer"))
    text_size = context.get("text_size", "normal")
    key = (template_name, get_language(), text_size, signed_in, organizer, section(request))
    html = _copies.get(key)
    if html is None:
        html = render_to_string(
            template_name,
            {
                "request": _Place(key[-1]),
                "user": _Reader(signed_in),
                "user_is_organizer": organizer,
                "text_size": text_size,
                "csrf_token": CSRF_MARK,
                "unread_badge": UNREAD_MARK,
                "nav_templates": context.get("nav_templates", ()),
            },
        )
        if not settings.DEBUG:
            with _lock:
                if len(_copies) >= SIZE:
                    _copies.clear()
                _copies[key] = html
    return mark_safe(_filled(html, request, context))  # noqa: S308 - escaped parts into our own template's output


def with_csrf_token(html: str, request) -> str:
    """``html`` rendered with ``csrf_token=CSRF_MARK`` (a copy kept between requests), with this request's token."""
    return html.replace(CSRF_MARK, get_token(request)) if CSRF_MARK in html else html


def _filled(html: str, request, context) -> str:
    html = with_csrf_token(html.replace(NEXT_MARK, urlencode(request.get_full_path())), request)
    if UNREAD_MARK in html:
        unread = context.get("unread_notices", 0)
        unread = unread() if callable(unread) else unread
        html = html.replace(UNREAD_MARK, unread_badge(unread))
    return html


def unread_badge(unread: int) -> str:
    if not unread:
        return ""
    return format_html(
        ' <span class="badge warn">{}<span class="visually-hidden"> {}</span></span>', unread, gettext("unread")
    )


def forget() -> None:
    """Drop this process's copies (tests that change templates or navigation)."""
    with _lock:
        _copies.clear()
