"""Family mottos (家训): revisions kept for good, moderation, and what the public may see."""

from __future__ import annotations

import pytest

from families.models import FamilyMotto, MottoRevision
from families.services import MottoError, clean_motto_text, review_motto, set_motto_consent, submit_motto
from project.models import AuditEntry
from tests.tokens import token

pytestmark = pytest.mark.django_db
MOTTO = "families.motto"


def _approved(household, resident, organizer, text="孝敬父母，勤俭持家。", show=True):
    revision = submit_motto(household=household, author=resident, text=text)
    review_motto(revision=revision, reviewer=organizer, approve=True)
    set_motto_consent(household=household, show=show, actor=resident)
    return revision


def test_a_member_writes_a_motto_that_waits_for_review(resident_client, resident, household):
    response = resident_client.post(
        f"/households/{household.pk}/motto/", {"form": "motto", "text": "家和万事兴", **token(resident, MOTTO)}
    )
    assert response.status_code == 302
    revision = MottoRevision.objects.get()
    assert revision.status == "pending" and revision.text == "家和万事兴"
    assert FamilyMotto.objects.get().approved_revision is None


def test_every_edit_is_a_new_revision_and_the_history_is_shown(resident_client, household, organizer, resident):
    first = _approved(household, resident, organizer, text="第一版家训")
    resident_client.post(
        f"/households/{household.pk}/motto/", {"form": "motto", "text": "第二版家训", **token(resident, MOTTO)}
    )
    assert MottoRevision.objects.count() == 2
    first.refresh_from_db()
    assert first.text == "第一版家训" and first.status == "approved"
    page = resident_client.get(f"/households/{household.pk}/motto/").content.decode()
    assert "第一版家训" in page and "第二版家训" in page


def test_a_newer_version_replaces_the_one_still_waiting(household, resident):
    older = submit_motto(household=household, author=resident, text="旧的")
    submit_motto(household=household, author=resident, text="新的")
    older.refresh_from_db()
    assert older.status == "superseded"
    assert MottoRevision.objects.pending().count() == 1


def test_motto_text_is_plain_and_limited(resident_client, resident, household):
    assert clean_motto_text("家\u200b和\u0007万事兴\u202e") == "家和万事兴"
    url = f"/households/{household.pk}/motto/"
    response = resident_client.post(url, {"form": "motto", "text": "字" * 201, **token(resident, MOTTO)})
    assert response.status_code == 200 and "200" in response.content.decode()
    response = resident_client.post(url, {"form": "motto", "text": "\u200b\u200b", **token(resident, MOTTO)})
    assert response.status_code == 200
    assert not MottoRevision.objects.exists()


def test_revision_text_can_never_be_changed(household, resident):
    revision = submit_motto(household=household, author=resident, text="家和万事兴")
    revision.text = "改过的"
    with pytest.raises(TypeError):
        revision.save()
    with pytest.raises(TypeError):
        revision.save(update_fields=["text"])


def test_rejection_needs_a_reason_and_the_household_sees_it(resident_client, household, resident, organizer_client):
    revision = submit_motto(household=household, author=resident, text="家和万事兴")
    organizer_client.post(f"/organize/mottos/{revision.pk}/review/", {"decision": "reject", "reason": ""})
    revision.refresh_from_db()
    assert revision.status == "pending"
    organizer_client.post(
        f"/organize/mottos/{revision.pk}/review/", {"decision": "reject", "reason": "请写得更具体一些"}
    )
    revision.refresh_from_db()
    assert revision.status == "rejected"
    assert "请写得更具体一些" in resident_client.get(f"/households/{household.pk}/motto/").content.decode()
    assert AuditEntry.objects.filter(action="motto.rejected").count() == 1


def test_a_revision_is_reviewed_once(household, resident, organizer):
    revision = submit_motto(household=household, author=resident, text="家和万事兴")
    review_motto(revision=revision, reviewer=organizer, approve=True)
    with pytest.raises(MottoError):
        review_motto(revision=revision, reviewer=organizer, approve=False, reason="x")


def test_the_wall_shows_only_approved_and_consented_mottos(
    client, household, other_household, resident, neighbour, organizer
):
    _approved(household, resident, organizer, text="勤俭持家甲乙")
    _approved(other_household, neighbour, organizer, text="藏起来丙丁", show=False)
    submit_motto(household=household, author=resident, text="还在审核的新版本")
    page = client.get("/mottos/").content.decode()
    assert "勤俭持家甲乙" in page
    assert "藏起来丙丁" not in page and "还在审核的新版本" not in page


def test_withdrawal_takes_effect_at_once_on_the_cached_wall(
    client, household, resident, resident_client, organizer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _approved(household, resident, organizer, text="勤俭持家甲乙")
    assert "勤俭持家甲乙" in client.get("/mottos/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        resident_client.post(f"/households/{household.pk}/motto/", {"form": "consent"})
    assert "勤俭持家甲乙" not in client.get("/mottos/").content.decode()
    assert AuditEntry.objects.filter(action="consent.motto_withdrawn").exists()


def test_public_pages_show_no_door_phone_or_unconsented_names(client, household, resident, organizer):
    household.door_label = "9单元909"
    household.display_name = "保密家"
    household.save()
    _approved(household, resident, organizer, text="勤俭持家甲乙")
    for url in ("/mottos/", f"/buildings/{household.building_id}/", "/mottos/?q=保密"):
        page = client.get(url).content.decode()
        assert "9单元909" not in page and "保密家" not in page and "139" not in page
    assert "勤俭持家甲乙" in client.get("/mottos/").content.decode()
    household.show_publicly = True
    household.save()
    from project import publiccache

    publiccache.expire_all()
    assert "保密家" in client.get("/mottos/").content.decode()


def test_wall_filters_by_grid_and_building_and_searches(
    client, household, other_household, resident, neighbour, organizer
):
    from tests.factories import BuildingFactory, HouseholdFactory, verified_user

    far = HouseholdFactory(building=BuildingFactory())
    far_user = verified_user(far, username="far")
    _approved(household, resident, organizer, text="近处的家训")
    _approved(far, far_user, organizer, text="远处的家训")
    page = client.get("/mottos/", {"building": household.building_id}).content.decode()
    assert "近处的家训" in page and "远处的家训" not in page
    page = client.get("/mottos/", {"grid": far.building.grid_id}).content.decode()
    assert "远处的家训" in page and "近处的家训" not in page
    page = client.get("/mottos/", {"q": "远处"}).content.decode()
    assert "远处的家训" in page and "近处的家训" not in page


def test_building_page_shows_ethos_mottos_and_honours(client, household, resident, organizer):
    building = household.building
    building.ethos = "邻里守望，互帮互助"
    building.save()
    _approved(household, resident, organizer, text="勤俭持家甲乙")
    page = client.get(f"/buildings/{building.pk}/").content.decode()
    assert "邻里守望，互帮互助" in page and "勤俭持家甲乙" in page
    assert "<form" not in page.split("<main", 1)[1].split("</main>")[0]


def test_door_card_for_members_and_organizers_only(
    resident_client, neighbour_client, organizer_client, client, household, resident, organizer
):
    _approved(household, resident, organizer)
    url = f"/households/{household.pk}/motto/card/"
    assert resident_client.get(url).status_code == 200
    assert organizer_client.get(url).status_code == 200
    assert neighbour_client.get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_motto_wall_query_count_does_not_grow(client, django_assert_num_queries, organizer):
    from tests.factories import HouseholdFactory, verified_user

    def add(n):
        for _ in range(n):
            household = HouseholdFactory()
            user = verified_user(household)
            _approved(household, user, organizer)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    add(2)
    with CaptureQueriesContext(connection) as small:
        client.get("/mottos/?page=1&q=")
    assert len(small.captured_queries) <= 5  # with the communities of the switcher
    add(5)
    from project import publiccache

    publiccache.expire_all()
    with django_assert_num_queries(len(small.captured_queries)):
        client.get("/mottos/?page=1&q=")


@pytest.mark.django_db(transaction=True)
def test_members_saving_at_once_leave_exactly_one_version_waiting(postgres):
    import threading

    from django.db import connection

    from tests.factories import HouseholdFactory, verified_user

    household = HouseholdFactory()
    members = [verified_user(household, username=f"member{i}") for i in range(20)]
    barrier = threading.Barrier(len(members))
    errors = []

    def write(user, index):
        try:
            barrier.wait()
            submit_motto(household=household, author=user, text=f"家训第{index}版")
        except MottoError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(user, i)) for i, user in enumerate(members)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert MottoRevision.objects.pending().count() == 1
    assert MottoRevision.objects.count() + len(errors) == len(members)


def test_home_page_shows_the_newest_mottos_on_the_wall(
    client, household, resident, organizer, django_capture_on_commit_callbacks
):
    assert "一户一家训" in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        _approved(household, resident, organizer, text="勤俭持家甲乙")
    assert "勤俭持家甲乙" in client.get("/").content.decode()


def test_public_pages_carry_no_csrf_token_so_one_cached_copy_serves_everyone(client, household):
    for url in ("/mottos/", "/buildings/", f"/buildings/{household.building_id}/"):
        body = client.get(url).content.decode()
        assert "csrfmiddlewaretoken" not in body, url
        assert 'method="post"' not in body, url
