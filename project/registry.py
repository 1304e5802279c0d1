"""Where apps plug into the core: shared pages, privacy, demo data, charts, the header, the audit log.

The core imports no app. Each app registers its parts from its own modules,
which ``ProjectConfig.ready`` imports at start-up the way the admin finds
``admin.py`` (``autodiscover_modules``, in ``INSTALLED_APPS`` order)::

    <app>/panels.py    home_panel, organizer_panel, me_panel, section, nav_item,
                       template_context, audit_scope, audit_labels, whole_community_check
    <app>/privacy.py   privacy(personal_data=..., anonymise=...)
    <app>/demo.py      demo(seed, after=(...))
    <app>/charts.py    chart
    <app>/freshness.py project.publiccache.family / watch (which cached pages show which models)
    <app>/notices.py   project.notices.register (kinds of notice)
    <app>/schedule.py  project.schedule.register (work the scheduled tick does)
    <app>/reports.py   project.reports.measure (a sheet of the report workbooks), register_places

and, from its ``AppConfig.ready``, ``organizer_permissions(self.label)``.

A panel, a section or a chart is a function; it is called per request and
returns a dict with a ``template`` and its context (or None to show nothing),
or a ``project.charts.Chart``. Parts are shown by ``order``, then in the order
they were registered. A module an app does not have is simply not there: an
error inside one that exists is raised, never swallowed.

"My page" (``me_panel``) is kept between a resident's requests and refreshed by
the freshness registry (``families.freshness.MY_PAGE`` and its kin): whatever a
me-panel shows must be watched there, and a panel whose content goes stale with
time alone says for how long it holds (``"fresh_for"``: seconds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

MODULES = ("notices", "panels", "privacy", "demo", "charts", "freshness", "exports", "schedule", "reports")


def autodiscover() -> None:
    """Import every app's registering modules (once, from ``ProjectConfig.ready``)."""
    autodiscover_modules(*MODULES)


def _app_label(function: Callable) -> str:
    config = apps.get_containing_app_config(function.__module__)
    if config is None:
        raise ImproperlyConfigured(f"{function.__module__} is not inside an installed app.")
    return config.label


@dataclass(frozen=True)
class Part:
    app: str
    function: Callable
    order: int
    serial: int


@dataclass
class Slot:
    """An ordered list of functions registered for one place (``home``, ``organizer``, ``me``, …)."""

    name: str
    parts: list[Part] = field(default_factory=list)

    def register(self, function: Callable | None = None, *, order: int = 100):
        """``@slot.register`` or ``@slot.register(order=10)``: add ``function`` here."""

        def add(function: Callable) -> Callable:
            self.parts.append(Part(_app_label(function), function, order, len(self.parts)))
            self.parts.sort(key=lambda part: (part.order, part.serial))
            return function

        return add(function) if function is not None else add

    def __iter__(self) -> Iterator[Part]:
        return iter(list(self.parts))

    def functions(self) -> list[Callable]:
        return [part.function for part in self.parts]


# --- Shared pages --------------------------------------------------------------------

HOME = Slot("home")
ORGANIZER = Slot("organizer")
ME = Slot("me")
CHARTS = Slot("charts")
CONTEXT = Slot("context")
_SECTIONS: dict[str, Slot] = {}
_NAV: list[tuple[int, int, str]] = []

home_panel = HOME.register
organizer_panel = ORGANIZER.register
me_panel = ME.register
chart = CHARTS.register
template_context = CONTEXT.register


def section(page: str, *, order: int = 100):
    """Add a section to another app's page: ``@section("families.building")`` for ``function(request, obj)``."""
    return _SECTIONS.setdefault(page, Slot(page)).register(order=order)


def nav_item(template: str, *, order: int = 100) -> None:
    """Add ``template`` (one or more ``<li>`` links) to the header's main navigation.

    The header is rendered once per kind of reader and shared (``project.chrome``): the template may test
    ``request.path`` against its first segment only (``'/points/'`` exactly, or a prefix such as
    ``request.path|slice:':12' == '/activities/'``) and ``user.is_authenticated``; nothing else of the
    request or the user reaches it."""
    _NAV.append((order, len(_NAV), template))
    _NAV.sort()


def _shown(panels: Iterable[dict | None]) -> list[dict]:
    return [panel for panel in panels if panel]


def home_panels(request, *, community=None) -> list[dict]:
    """The home page's panels: the street's (``community`` None, at ``/``) or one community's (``/c/<slug>/``).
    A panel asks ``home_community(request)`` and shows that community's part, or the whole street's."""
    request.home_community = community
    return _shown(function(request) for function in HOME.functions())


def home_community(request):
    """The community whose home page is being built, or None on the street's home page."""
    return getattr(request, "home_community", None)


def organizer_panels(request) -> list[dict]:
    return _shown(function(request) for function in ORGANIZER.functions())


def me_panels(request) -> list[dict]:
    return _shown(function(request) for function in ME.functions())


def sections(page: str, request, obj) -> list[dict]:
    """The sections other apps add to ``page`` about ``obj`` (the page's own app lays out the rest)."""
    slot = _SECTIONS.get(page)
    return _shown(function(request, obj) for function in slot.functions()) if slot else []


def charts() -> list:
    """Every registered chart (a function returning None shows nothing)."""
    return [chart for chart in (function() for function in CHARTS.functions()) if chart is not None]


def nav_templates() -> list[str]:
    return [template for _order, _serial, template in _NAV]


def context(request) -> dict:
    """Every app's per-request template values (e.g. the reader's verified membership), merged."""
    values: dict = {}
    for function in CONTEXT.functions():
        values.update(function(request))
    return values


# --- Privacy -------------------------------------------------------------------------


@dataclass(frozen=True)
class PrivacyPart:
    app: str
    personal_data: Callable | None
    anonymise: Callable | None


_PRIVACY: list[PrivacyPart] = []


def privacy(*, personal_data: Callable | None = None, anonymise: Callable | None = None) -> None:
    """An app's part of "my data" (``personal_data(user) -> dict``, shown under the app's label) and of
    deleting an account (``anonymise(user)``, run in the deletion's transaction before the account goes)."""
    function = personal_data or anonymise
    if function is None:
        raise ImproperlyConfigured("privacy() needs personal_data, anonymise or both.")
    _PRIVACY.append(PrivacyPart(_app_label(function), personal_data, anonymise))


def privacy_parts() -> list[PrivacyPart]:
    return list(_PRIVACY)


# --- Demo data -----------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPart:
    app: str
    seed: Callable
    after: tuple[str, ...]


_DEMO: list[DemoPart] = []


def demo(seed: Callable, *, after: Iterable[str] = ()) -> Callable:
    """An app's demo data: ``seed(stdout, households=N) -> dict``, run after the apps it names (by label)."""
    _DEMO.append(DemoPart(_app_label(seed), seed, tuple(after)))
    return seed


def demo_parts() -> list[DemoPart]:
    """The registered demo parts in dependency order (an app after those it names; otherwise as registered)."""
    remaining, done, ordered = list(_DEMO), set(), []
    while remaining:
        ready = [part for part in remaining if all(label in done for label in part.after if _has_demo(label))]
        if not ready:
            names = ", ".join(part.app for part in remaining)
            raise ImproperlyConfigured(f"The demo data of {names} wait for each other.")
        part = ready[0]
        ordered.append(part)
        done.add(part.app)
        remaining.remove(part)
    return ordered


def _has_demo(label: str) -> bool:
    return any(part.app == label for part in _DEMO)


# --- The audit log -------------------------------------------------------------------

_AUDIT_SCOPES: list[Callable] = []
_AUDIT_LABELS: dict = {}


def audit_scope(function: Callable) -> Callable:
    """Narrow the audit log for a reader: ``function(user, queryset) -> queryset`` (e.g. a grid worker's grids)."""
    _AUDIT_SCOPES.append(function)
    return function


def audit_entries_for(user, queryset):
    """The audit lines ``user`` may read: ``queryset`` narrowed by every registered scope."""
    for scope in _AUDIT_SCOPES:
        queryset = scope(user, queryset)
    return queryset


def audit_labels(labels: dict) -> None:
    """Readable names for an app's audit actions (``{"motto.approved": gettext_lazy("Motto approved")}``)."""
    _AUDIT_LABELS.update(labels)


def audit_label(action: str) -> str:
    """The action's translated name; an action no app named reads "Other change", never its code."""
    from django.utils.translation import gettext

    label = _AUDIT_LABELS.get(action)
    return str(label) if label is not None else gettext("Other change")


_AUDIT_DETAIL_NAMES: dict = {}


def audit_detail_names(names: dict) -> None:
    """Readable names for the keys of an app's audit details (``{"hours": gettext_lazy("Hours")}``), so a line
    reads "Hours: 2 · Points: 30" rather than ``{'hours': '2', 'points': 30}``."""
    _AUDIT_DETAIL_NAMES.update(names)


def audit_summary(details: dict) -> str:
    """An audit line's details in the reader's language: each key by its registered name, values in words."""
    return " · ".join(f"{_detail_name(key)}: {_detail_value(value)}" for key, value in (details or {}).items())


def _detail_name(key: str) -> str:
    name = _AUDIT_DETAIL_NAMES.get(key)
    return str(name) if name is not None else key.replace("_", " ")


def _detail_value(value) -> str:
    from django.utils.translation import gettext

    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if value is None or value in ("", [], {}):
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{_detail_name(k)} {_detail_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and not any(isinstance(v, (list, dict)) for v in value):
            return f"{_detail_value(value[0])} → {_detail_value(value[1])}"  # a change: (before, after)
        return "、".join(_detail_value(v) for v in value)
    return str(value)


# --- The organizer role ----------------------------------------------------------------

_ORGANIZER_APPS: list[str] = []
_WHOLE_COMMUNITY_CHECKS: list[Callable] = []


def whole_community_check(function: Callable) -> Callable:
    """An app's say on whether an organizer sees the whole community: ``function(user) -> bool`` (families: an
    organizer with no grid assignments). The core's pages about every account (the outbox) ask all of them."""
    _WHOLE_COMMUNITY_CHECKS.append(function)
    return function


def whole_community_checks() -> list[Callable]:
    return list(_WHOLE_COMMUNITY_CHECKS)


_PLACE_CHECKS: list[Callable] = []


def place_check(function: Callable) -> Callable:
    """An app's say on whether an organizer has a place to see at all: ``function(user) -> bool`` (families: the
    street, a community or a grid). Organizer pages show an organizer without one a page saying so."""
    _PLACE_CHECKS.append(function)
    return function


def place_checks() -> list[Callable]:
    return list(_PLACE_CHECKS)


def organizer_permissions(app_label: str) -> None:
    """Give the ``organizer`` group every permission of ``app_label`` (called from the app's ``ready``)."""
    if app_label not in _ORGANIZER_APPS:
        _ORGANIZER_APPS.append(app_label)


def organizer_permission_apps() -> list[str]:
    return list(_ORGANIZER_APPS)
