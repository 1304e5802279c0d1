"""Large exports in the background: asked for on a page, written by a task to storage with progress on an
ExportJob row, listed on the exports page, downloaded only by those who may, a notice when ready, and removed
once stale."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from families.models import GridAssignment
from project import exports
from project.access import make_organizer
from project.models import ExportJob, Notice, private_storage
from tests.factories import GridFactory, HouseholdFactory, UserFactory, make_street_organizer
from tests.families.helpers import post_with_tasks
from tests.tokens import token

pytestmark = pytest.mark.django_db
REGISTER_CSV = "/organize/register/export.csv"
START = "/organize/exports/start/"


@pytest.fixture(autouse=True)
def _large_is_one_row(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORTS_DIRECT_MAX_ROWS = 1  # two households are "large"


def _start(client, user, kind="families.register", fmt="csv", params=None):
    params = params if params is not None else {"fmt": fmt, "filters": {}}
    data = {"kind": kind, "fmt": fmt, "params": json.dumps(params), **token(user, "project.export")}
    return post_with_tasks(client, START, data)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_large_register_export_is_written_in_the_background_with_the_same_file(organizer_client, organizer, settings):
    HouseholdFactory.create_batch(2)
    page = organizer_client.get(REGISTER_CSV)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert 'action="/organize/exports/start/"' in page.content.decode()
    response = _start(organizer_client, organizer)
    assert response["Location"] == "/organize/exports/"
    job = ExportJob.objects.get()
    assert job.status == "done" and job.requested_by == organizer and job.done >= 2
    assert private_storage().exists(job.file.name) and job.file.name.startswith("exports/")
    listing = organizer_client.get("/organize/exports/").content.decode()
    assert f"/organize/exports/{job.pk}/download/" in listing
    download = organizer_client.get(f"/organize/exports/{job.pk}/download/")
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    assert "attachment" in download["Content-Disposition"]
    background = b"".join(download.streaming_content)
    settings.EXPORTS_DIRECT_MAX_ROWS = 1000
    direct = b"".join(organizer_client.get(REGISTER_CSV).streaming_content)
    assert background == direct  # the same file, whichever way it was made
    notice = Notice.objects.get(user=organizer, kind="export_ready")
    assert notice.url == "/organize/exports/" and job.filename in notice.params["title"]


def test_the_status_endpoint_reads_progress_from_the_row(organizer_client, organizer):
    job = ExportJob.objects.create(requested_by=organizer, kind="families.register", fmt="csv", title="x")
    ExportJob.objects.filter(pk=job.pk).update(status="running", done=3000, total=9000)
    assert organizer_client.get("/organize/exports/status/").json() == {
        "jobs": [{"id": job.pk, "status": "running", "done": 3000, "total": 9000}]
    }
    page = organizer_client.get("/organize/exports/").content.decode()
    assert 'max="9000" value="3000"' in page and "data-working" in page


def test_another_organizers_export_cannot_be_downloaded_or_seen(organizer, organizer_client):
    HouseholdFactory.create_batch(2)
    _start(organizer_client, organizer)
    job = ExportJob.objects.get()
    worker = UserFactory()
    make_organizer(user=worker)
    GridAssignment.objects.create(user=worker, grid=GridFactory())
    resident = UserFactory()
    for user, expected in ((worker, 404), (resident, 403)):
        client = _signed_in(user)
        assert client.get(f"/organize/exports/{job.pk}/download/").status_code == expected
        if expected == 404:
            assert f"/organize/exports/{job.pk}/download/" not in client.get("/organize/exports/").content.decode()
    # The grid worker's own export is theirs alone, even for an organizer who sees everything.
    worker_client = _signed_in(worker)
    _start(worker_client, worker)
    theirs = ExportJob.objects.get(requested_by=worker)
    assert not theirs.whole_community
    assert organizer_client.get(f"/organize/exports/{theirs.pk}/download/").status_code == 404
    assert worker_client.get(f"/organize/exports/{theirs.pk}/download/").status_code == 200
    # An organizer who sees the whole community may fetch another such organizer's export.
    colleague = UserFactory()
    make_street_organizer(colleague)
    assert _signed_in(colleague).get(f"/organize/exports/{job.pk}/download/").status_code == 200


def test_an_unknown_kind_or_format_starts_nothing(organizer_client, organizer):
    for kind, fmt in (("families.nothing", "csv"), ("families.register", "pdf")):
        response = _start(organizer_client, organizer, kind=kind, fmt=fmt)
        assert response.status_code == 302
    assert not ExportJob.objects.exists()


def test_a_failing_export_is_marked_failed_with_a_message_in_the_requesters_language(
    organizer_client, organizer, monkeypatch
):
    def broken(params, user):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(exports._KINDS, "families.register", exports.Kind("families.register", "x", broken))
    _start(organizer_client, organizer)
    job = ExportJob.objects.get()
    assert job.status == "failed" and "服务器" in job.error and not job.file
    assert "服务器" in organizer_client.get("/organize/exports/").content.decode()


def test_a_job_run_twice_writes_once(organizer_client, organizer):
    HouseholdFactory.create_batch(2)
    _start(organizer_client, organizer)
    job = ExportJob.objects.get()
    exports.run_export.enqueue(job.pk)
    assert Notice.objects.filter(kind="export_ready").count() == 1
    assert ExportJob.objects.get().file.name == job.file.name


def test_a_months_ledger_goes_through_the_job_too(organizer_client, organizer):
    month = f"{timezone.localdate():%Y-%m}"
    page = organizer_client.get(f"/organize/activities/exports/ledger.xlsx?month={month}&background=1")
    assert 'name="kind" value="activities.ledger"' in page.content.decode()
    _start(organizer_client, organizer, kind="activities.ledger", fmt="xlsx", params={"month": month})
    job = ExportJob.objects.get()
    assert job.status == "done" and job.filename.endswith(f"{month}.xlsx")


def test_remove_stale_deletes_old_files_and_rows_and_keeps_recent_ones(organizer_client, organizer, settings):
    settings.EXPORTS_KEPT_DAYS = 7
    HouseholdFactory.create_batch(2)
    _start(organizer_client, organizer)
    _start(organizer_client, organizer)
    old, recent = ExportJob.objects.order_by("pk")
    ExportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    stuck = ExportJob.objects.create(requested_by=organizer, kind="families.register", fmt="csv", title="x")
    ExportJob.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(days=8))
    assert exports.remove_stale(timezone.now()) == 2
    assert list(ExportJob.objects.all()) == [recent]
    assert not private_storage().exists(old.file.name) and private_storage().exists(recent.file.name)


def test_deleting_an_account_deletes_its_exports_and_their_files(
    organizer_client, organizer, django_capture_on_commit_callbacks
):
    from project.privacy import delete_account

    HouseholdFactory.create_batch(2)
    _start(organizer_client, organizer)
    stored = ExportJob.objects.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        delete_account(user=organizer)
    assert not ExportJob.objects.exists() and not private_storage().exists(stored)
