"""Paper: print-ready PDFs made on the server from HTML templates, with WeasyPrint.

What a community posts or hands out (the 公示 notice, certificates, join slips,
service records) is rendered here, never by a browser's print dialog, so the
file is the same for every organizer and every print shop:

- ``render(template, context, language=...)`` gives one WeasyPrint document,
  rendered in the language the paper is for (posted paper is Chinese, a
  service record follows its reader);
- ``write_pdf(documents)`` joins documents into one file, every font embedded
  (WeasyPrint embeds the subset it used);
- ``pdf_response`` sends it (never cached by a proxy);
- the sheet sizes are CSS ``@page`` sizes (``PAGE_SIZES``), which the templates
  take from ``paper/base.html``.

Templates get nothing from outside: the only resources a paper may load are
``data:`` URIs and the site's own static files (``static_file``), so a hostile value
can never make the server fetch a URL. Values are escaped by the template
engine as on any page.

WeasyPrint needs Pango and a CJK font from the system (Debian:
``libpango-1.0-0``, ``libpangoft2-1.0-0``, ``fonts-wqy-microhei`` or
``fonts-noto-cjk``); ``problems()`` says what is missing, and a system check
reports it (``project.W010``).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

PDF_CONTENT_TYPE = "application/pdf"

# The sheets we print on, as CSS @page sizes.
PAGE_SIZES = {
    "a4": "A4 portrait",
    "a4-landscape": "A4 landscape",
    "a3": "A3 portrait",
}

# Posted and handed-out paper is in the community's language.
PAPER_LANGUAGE = "zh-hans"

# The fonts the paper stylesheet asks for, in order; fontconfig gives the first one the system has.
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC")


class PaperUnavailable(RuntimeError):
    """The server cannot make PDFs (WeasyPrint, Pango or a CJK font is missing)."""


@cache
def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango's shared libraries are missing
        raise PaperUnavailable(str(exc)) from exc
    return weasyprint


@cache
def _cjk_font_found() -> bool:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return False
    try:
        listed = subprocess.run(  # noqa: S603 - a fixed command, no input from anyone
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(listed.strip())


def problems() -> list[str]:
    """What stops this server from making PDFs, in words for the person installing it (empty: nothing)."""
    found = []
    try:
        _weasyprint()
    except PaperUnavailable as exc:
        found.append(f"WeasyPrint cannot load ({exc}); install libpango-1.0-0 and libpangoft2-1.0-0.")
    if not _cjk_font_found():
        found.append("No Chinese font is installed; install fonts-wqy-microhei or fonts-noto-cjk.")
    return found


def _fetcher():
    """WeasyPrint's URL fetcher for paper: ``data:`` URIs and the site's own static files, nothing else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PaperFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols={"data"}, fail_on_errors=False)

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            found = static_file(unquote(parts.path)) if parts.scheme in ("", "file", "http", "https") else None
            if not found:
                raise ValueError(f"Paper may not load {url!r}.")
            return URLFetcherResponse(url, body=found.read_bytes())

    return PaperFetcher()


def static_file(path: str) -> Path | None:
    """The site's static file at the URL path ``path`` (``/static/...``), or None; never a file outside them."""
    static_url = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    if not path.startswith(static_url):
        return None
    relative = path[len(static_url) :]
    if not relative or ".." in Path(relative).parts or relative.startswith("/"):
        return None
    found = finders.find(relative)
    candidate = Path(found) if found else Path(settings.STATIC_ROOT) / relative
    return candidate if candidate.is_file() else None


def render(template_name: str, context: dict, *, language: str = PAPER_LANGUAGE, size: str = "a4"):
    """One template rendered as a WeasyPrint document, in ``language``, on the sheet ``size`` (``PAGE_SIZES``)."""
    weasyprint = _weasyprint()
    with translation.override(language):
        html = render_to_string(
            template_name,
            {**context, "page_size": PAGE_SIZES[size], "paper_fonts": CJK_FONTS, "paper_language": language},
        )
    return weasyprint.HTML(string=html, base_url="/", url_fetcher=_fetcher()).render()


def write_pdf(documents: Iterable, *, progress: Callable[[int], None] | None = None) -> bytes:
    """The documents' pages, in order, as one PDF file; ``progress(n)`` is called after the n-th document."""
    pages, first = [], None
    for done, document in enumerate(documents, start=1):
        first = first or document
        pages.extend(document.pages)
        if progress:
            progress(done)
    if first is None:
        raise ValueError("A PDF needs at least one page.")
    return first.copy(pages).write_pdf()


def site_origin(request=None) -> str:
    """Where QR codes and links on paper point: ``SITE_URL`` when set, else the origin of ``request`` (the
    organizer's or resident's own address for the site, which ALLOWED_HOSTS vouches for)."""
    if settings.SITE_URL:
        return settings.SITE_URL
    if request is None:
        raise ValueError("Paper made without a request needs the origin it was asked from, or SITE_URL.")
    return request.build_absolute_uri("/").rstrip("/")


def absolute_url(path: str, origin: str) -> str:
    """``path`` (from ``reverse``) at ``origin`` (``site_origin``)."""
    return origin.rstrip("/") + path


def pdf_response(data: bytes, *, filename: str, inline: bool = False) -> HttpResponse:
    """A PDF for the person who asked (private: no proxy keeps it); ``filename`` may be Chinese."""
    from django.utils.http import content_disposition_header

    response = HttpResponse(data, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(not inline, f"{filename}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response


@dataclass(frozen=True)
class Paper:
    """What a background PDF export writes: the file's name (no extension), how many documents, and the
    documents themselves (an iterator, rendered one at a time so progress can be shown)."""

    title: str
    documents: Iterable
    total: int = 0
