"""Each app's thresholds (limits, windows, sizes, caps, page sizes): named settings with the app's defaults.

An app lists its thresholds once, in ``<app>/conf.py``, as a dict of setting
name to default, registered here (``register``), and reads each at call time
(``value``), so a deployment sets any of them from the environment and a test
with ``settings.NAME = …``. ``project/settings.py`` copies every
``FAMILIES_*``, ``AWARDS_*`` and ``ACTIVITIES_*`` environment variable into a
setting of that name; the value is read as the default's type (a whole number,
a comma-separated list of whole numbers, or text). The README's settings table
lists them all.

``manage.py check`` refuses a value that cannot be read and warns of a setting
with an app's prefix that no app knows (a misspelt name would otherwise be
ignored without a word).
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.utils.module_loading import autodiscover_modules

_DEFAULTS: dict[str, object] = {}


def register(defaults: dict[str, object]) -> None:
    """Make ``defaults`` (setting name -> default) readable with ``value``; called by each app's ``conf.py``."""
    _DEFAULTS.update(defaults)


def registered() -> dict[str, object]:
    """Every app's thresholds and their defaults (each app's ``conf.py`` is imported first)."""
    autodiscover_modules("conf")
    return dict(_DEFAULTS)


def value(name: str):
    """The threshold ``name`` as configured (settings, which the environment can set), else its default."""
    default = _DEFAULTS[name]
    return _read(getattr(settings, name, default), default)


def _read(raw, default):
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, tuple):
        items = raw.split(",") if isinstance(raw, str) else raw
        return tuple(int(item) for item in items)
    return str(raw)


PREFIXES = ("FAMILIES_", "AWARDS_", "ACTIVITIES_")


@checks.register()
def check_thresholds(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    known = registered()
    for name, default in known.items():
        try:
            _read(getattr(settings, name, default), default)
        except (TypeError, ValueError):
            problems.append(
                checks.Error(
                    f"{name} = {getattr(settings, name)!r} cannot be read as {type(default).__name__}.",
                    hint=f"The default is {default!r}; see the README's settings table.",
                    id="project.E101",
                )
            )
    for name in dir(settings):
        if name.startswith(PREFIXES) and name not in known:
            problems.append(
                checks.Warning(
                    f"{name} is not a setting any app reads.",
                    hint="Check its spelling against the README's settings table.",
                    id="project.W101",
                )
            )
    return problems
