"""The home page and the organizer area are made of panels each app provides.

An app lists its panels in ``<app>/panels.py`` as ``HOME_PANELS`` and
``ORGANIZER_PANELS``: functions taking the request and returning a dict with a
``template`` and its context, or None to show nothing. Keeping the panels in
the apps lets each app own its part of these shared pages.
"""

from __future__ import annotations

from importlib import import_module

from django.http import HttpRequest

PANEL_APPS = ("awards", "activities", "families")


def _collect(request: HttpRequest, attribute: str) -> list[dict]:
    panels = []
    for app in PANEL_APPS:
        module = import_module(f"{app}.panels")
        for build in getattr(module, attribute, ()):
            panel = build(request)
            if panel:
                panels.append(panel)
    return panels


def home_panels(request: HttpRequest) -> list[dict]:
    return _collect(request, "HOME_PANELS")


def organizer_panels(request: HttpRequest) -> list[dict]:
    return _collect(request, "ORGANIZER_PANELS")
