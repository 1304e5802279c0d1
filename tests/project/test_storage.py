"""Uploaded files go through Django's storage API (``default_storage``), so object storage is one setting: no code
of the site reaches for MEDIA_ROOT or a storage class of its own, except backup and restore, which copy the media
folder of the file-system storage (docs/deploy.md says what to do with object storage)."""

from __future__ import annotations

import re

from tests.serving import ROOT

# The settings name it; backup and restore copy it; runserver serves it in development (project/urls.py, debug only).
ALLOWED = {
    "project/settings.py",
    "project/urls.py",
    "project/management/commands/backup.py",
    "project/management/commands/restore.py",
}
APPS = ("project", "families", "awards", "activities")


def test_no_code_writes_media_around_the_storage_api():
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative in ALLOWED:
                continue
            text = path.read_text()
            if re.search(r"MEDIA_ROOT|PRIVATE_FILES_ROOT|FileSystemStorage\(", text):
                found.append(relative)
    assert found == []
