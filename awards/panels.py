"""Panels this app adds to the home page and the organizer area (see project/panels.py)."""

HOME_PANELS = ()
ORGANIZER_PANELS = ()
