"""The "Import now" form sent three times at once imports once, on PostgreSQL with real threads."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from families.models import Household, RegisterImport, Resident
from project.models import AuditEntry, FormSubmission
from tests.tokens import token

from .helpers import GOOD_ROWS, csv_bytes, form_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def _post_at_once(organizer, url: str, tokens: list[str]) -> list[int]:
    barrier = threading.Barrier(len(tokens))
    statuses = []

    def worker(token):
        client = Client()
        client.force_login(organizer)
        try:
            barrier.wait()
            statuses.append(client.post(url, {"form_token": token}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _checked_upload(organizer, organizer_client) -> str:
    upload = SimpleUploadedFile("台账.csv", csv_bytes(GOOD_ROWS))
    organizer_client.post("/organize/register/import/", {"file": upload, **token(organizer, "families.import_upload")})
    return f"/organize/register/import/{RegisterImport.objects.get().pk}/"


def test_one_import_form_sent_three_times_at_once_imports_once(postgres, organizer, organizer_client):
    url = _checked_upload(organizer, organizer_client)
    token = form_token(organizer_client.get(url).content.decode())
    statuses = _post_at_once(organizer, url, [token] * 3)
    assert statuses == [302, 302, 302]  # one import, two "already recorded": never a 500
    assert AuditEntry.objects.filter(action="register.imported").count() == 1
    assert FormSubmission.objects.filter(form_name="families.apply_import").count() == 1
    assert (Household.objects.count(), Resident.objects.count()) == (3, 4)


def test_the_same_upload_confirmed_from_three_tabs_at_once_imports_once(postgres, organizer, organizer_client):
    url = _checked_upload(organizer, organizer_client)
    tokens = [form_token(organizer_client.get(url).content.decode()) for _ in range(3)]
    assert len(set(tokens)) == 3
    statuses = _post_at_once(organizer, url, tokens)
    assert statuses == [302, 302, 302]
    assert AuditEntry.objects.filter(action="register.imported").count() == 1
    assert (Household.objects.count(), Resident.objects.count()) == (3, 4)
