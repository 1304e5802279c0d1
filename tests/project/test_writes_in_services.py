"""Writes that views used to make themselves, now each a service with its audit line (and its files).

``tests/project/test_refusals.py`` holds the views to it (no view writes a row);
these tests show what the services do in their place.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from activities.services import reissue_checkin_code
from awards.models import Nomination, PaperTally, Second
from awards.services import AwardError, record_paper_tally
from families.models import Grid, GridAssignment
from families.services import save_grid
from project.images import clean_photo
from project.models import AuditEntry
from tests.activities.factories import ActivityFactory
from tests.awards.factories import make_entry, make_nomination, make_round, nominate_person
from tests.factories import ResidentFactory, UserFactory, default_community, verified_user

pytestmark = pytest.mark.django_db


def _photo():
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 120, 30)).save(buffer, format="PNG")
    return clean_photo(SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png"))


def _files(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_a_refused_paper_tally_keeps_no_photo(organizer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    entry = make_entry(make_round("reviewing"))  # paper ballots come in while voting is open or being counted
    nomination = make_nomination(entry)
    with pytest.raises(AwardError):
        record_paper_tally(entry=entry, actor=organizer, counts={nomination.pk: 3}, photo=_photo())
    assert PaperTally.objects.count() == 0
    assert _files(tmp_path) == []


def test_a_paper_tally_keeps_its_photo(organizer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    entry = make_entry(make_round("voting"))
    nomination = make_nomination(entry)
    tally = record_paper_tally(entry=entry, actor=organizer, counts={nomination.pk: 3}, photo=_photo())
    assert tally.photo.startswith("awards/tallies/") and tally.photo in _files(tmp_path)


def test_nominating_a_target_already_nominated_seconds_it_and_keeps_no_photo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    entry = make_entry(make_round("nominating"))
    target = ResidentFactory()
    first = make_nomination(entry, target=target, status="submitted")
    me = verified_user().residencies.get()
    nomination, created = nominate_person(entry, nominator=me, person=target, photo=_photo())
    assert (nomination, created) == (first, False)
    assert Second.objects.filter(nomination=first, resident=me).exists()
    assert Nomination.objects.count() == 1
    assert _files(tmp_path) == []


def test_a_new_grid_and_its_grid_workers_are_one_service_with_their_audit_lines(organizer):
    worker = UserFactory(username="gridworker")
    save_grid(
        grid=Grid(name="第三网格", worker_name="李网格员", community=default_community()),
        actor=organizer,
        organizers=[worker],
    )
    grid = Grid.objects.get(name="第三网格")
    assert list(GridAssignment.objects.filter(grid=grid).values_list("user__username", flat=True)) == ["gridworker"]
    lines = AuditEntry.objects.filter(target_type="families.grid", target_id=str(grid.pk))
    assert set(lines.values_list("action", flat=True)) == {"grid.created", "grid.assignments_changed"}


def test_an_edit_by_a_grid_worker_leaves_the_grid_workers_as_they_are(organizer):
    worker = UserFactory(username="gridworker")
    save_grid(grid=Grid(name="第三网格", community=default_community()), actor=organizer, organizers=[worker])
    grid = Grid.objects.get(name="第三网格")
    grid.worker_name = "王网格员"
    changes = save_grid(grid=grid, actor=worker)  # organizers=None: a grid worker does not assign
    assert changes == {"worker_name": ["", "王网格员"]}
    assert GridAssignment.objects.filter(grid=grid).count() == 1


def test_a_new_check_in_code_is_issued_on_the_record(organizer):
    activity = ActivityFactory(checkin_code="246813")
    before = AuditEntry.objects.count()
    reissued = reissue_checkin_code(activity=activity, actor=organizer)
    activity.refresh_from_db()
    assert activity.checkin_code == reissued.checkin_code != "246813"
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.latest("id").action == "activities.checkin_code_changed"
