"""No slow requests, by structure: every view that takes a file or starts long work is found in the URL map,
and each one is proved to parse nothing itself: it stores, enqueues a task and redirects.

- A view that reads ``request.FILES`` or builds a form with a file field is either marked
  ``@starts_background_work`` (project/background.py) or is one of the photo uploads listed in
  ``PHOTO_UPLOADS`` below, which stay in the request within the photo reader's memory bound.
- Each marked view is posted a valid request while every parser and export writer raises if called:
  the answer is a redirect and one task was enqueued.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from families.models import RegisterImport
from families.services import check_upload
from tests.factories import UserFactory, make_street_organizer
from tests.families.helpers import GOOD_ROWS, csv_bytes
from tests.tokens import token

# Photos are resized in the request, within project/images.py's bound on pixels and bytes.
PHOTO_UPLOADS = {
    "awards:nominate",
    "awards:paper_tally",
    "activities:organize_store_new",
    "activities:organize_store_edit",
}
# What reads or writes a file's contents: none of it may run in a marked view's request.
PARSERS = [
    ("families.register_io", "read_table"),
    ("families.register_io", "check_register"),
    ("families.register_io", "apply_plan"),
    ("families.xlsx_reader", "read_rows"),
    ("project.exports", "_write"),
]


def _views():
    """(URL name, view function) for every named URL of the site."""

    def walk(entries, namespace=""):
        for entry in entries:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{namespace}{entry.name}", entry.callback

    return list(walk(get_resolver().url_patterns))


def _file_forms() -> set[str]:
    """Names of the site's form classes that take a file."""
    found, stack = set(), [forms.BaseForm]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        fields = getattr(cls, "base_fields", {})
        if cls.__module__.split(".")[0] in ("awards", "activities", "families", "project") and any(
            isinstance(field, forms.FileField) for field in fields.values()
        ):
            found.add(cls.__name__)
    return found


def _takes_files(view) -> bool:
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return False
    return "request.FILES" in source or any(f"{name}(" in source for name in _file_forms())


def test_every_view_that_takes_a_file_starts_background_work_or_is_a_photo_upload():
    taking = {name for name, view in _views() if _takes_files(view) and not name.startswith("admin:")}
    marked = {name for name, view in _views() if getattr(view, "starts_background_work", False)}
    assert "families:organize_import" in taking  # the walk finds what it looks for
    assert taking - marked - PHOTO_UPLOADS == set()
    assert taking >= PHOTO_UPLOADS  # the allow-list names only real photo uploads
    assert not (PHOTO_UPLOADS & marked)


@dataclass
class Start:
    url: str
    data: Callable[[], dict]


def _upload(user) -> Start:
    return Start(
        reverse("families:organize_import"),
        lambda: {"file": SimpleUploadedFile("台账.csv", csv_bytes(GOOD_ROWS)), **token(user, "families.import_upload")},
    )


def _apply(user) -> Start:
    record = RegisterImport.objects.create(uploaded_by=user, filename="台账.csv")
    check_upload(actor=user, filename="台账.csv", content=csv_bytes(GOOD_ROWS), grid_ids=None, record=record)
    return Start(
        reverse("families:organize_import_preview", args=[record.pk]),
        lambda: token(user, "families.apply_import"),
    )


def _export(user) -> Start:
    return Start(
        reverse("organize_export_start"),
        lambda: {
            "kind": "families.register",
            "fmt": "xlsx",
            "params": '{"fmt": "xlsx", "filters": {}}',
            **token(user, "project.export"),
        },
    )


# URL name -> how to build a valid request to it (as an organizer who sees the whole register).
STARTS: dict[str, Callable] = {
    "families:organize_import": _upload,
    "families:organize_import_preview": _apply,
    "organize_export_start": _export,
}


def test_every_marked_view_has_a_valid_request_here():
    marked = {name for name, view in _views() if getattr(view, "starts_background_work", False)}
    assert marked == set(STARTS)


@pytest.mark.parametrize("name", sorted(STARTS))
def test_a_marked_view_parses_nothing_stores_enqueues_and_redirects(
    name, db, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    import importlib

    from django_tasks import default_task_backend

    settings.MEDIA_ROOT = tmp_path
    organizer = UserFactory()
    make_street_organizer(organizer)
    start = STARTS[name](organizer)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}

    def refuse(*args, **kwargs):
        raise AssertionError("parsed in the request")

    for module, function in PARSERS:
        monkeypatch.setattr(importlib.import_module(module), function, refuse)
    client = Client()
    client.force_login(organizer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(start.url, start.data())
    assert response.status_code == 302
    assert len(default_task_backend.results) == 1
