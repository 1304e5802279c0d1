"""Nominating, seconding (附议), withdrawing, declining and reviewing."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from awards.models import CitationRevision, Nomination, NominationStatus, Second, TargetKind
from awards.services import AwardError, decline_nomination, edit_citation, nominate, review_nomination
from families.access import verified_membership
from project.models import AuditEntry, Notice
from tests.factories import HouseholdFactory, ResidentFactory, verified_user
from tests.project.test_access_sweep import row_counts

from .factories import (
    CITATION,
    english_messages,  # noqa: F401
    form_token,
    make_entry,
    make_nomination,
    make_round,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def person_entry(db):
    return make_entry(make_round("nominating"), TargetKind.PERSON)


def _post_person(client, entry, person, citation=CITATION):
    """Nominate ``person`` by picking them from their household's list (they agreed to be named in public)."""
    household = person.household
    return client.post(
        f"/rounds/{entry.round_id}/nominate/",
        {
            "step": "submit",
            "entry": entry.pk,
            "building": household.building_id,
            "household": household.pk,
            "person": person.pk,
            "citation": citation,
            **form_token(client, "awards.nominate"),
        },
    )


def test_a_resident_nominates_a_person_and_the_nominee_is_told(
    resident_client, resident, person_entry, django_capture_on_commit_callbacks
):
    nominee_user = verified_user(HouseholdFactory(), username="nominee")
    nominee = verified_membership(nominee_user)
    nominee.show_name_publicly = True
    nominee.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_person(resident_client, person_entry, nominee)
    nomination = Nomination.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/nominations/{nomination.pk}/"
    assert nomination.resident == nominee and nomination.nominator.user == resident
    assert Notice.objects.filter(user=nominee_user, kind="nominated").count() == 1
    assert [m.to for m in mail.outbox] == [[nominee_user.email]]


def test_nominating_the_same_target_again_seconds_it(resident_client, neighbour_client, person_entry):
    target = ResidentFactory(show_name_publicly=True)
    _post_person(resident_client, person_entry, target)
    response = _post_person(neighbour_client, person_entry, target, citation="")
    assert response.status_code == 302
    assert Nomination.objects.count() == 1
    assert Second.objects.get().resident.user.username == "neighbour"
    assert "1" in neighbour_client.get(response["Location"]).content.decode()


def test_the_household_choice_never_shows_door_numbers(resident_client, person_entry):
    household = HouseholdFactory(door_label="9单元909", display_name="赵家")
    body = resident_client.get(
        f"/rounds/{person_entry.round_id}/nominate/?entry={person_entry.pk}&building={household.building_id}"
    ).content.decode()
    assert "赵家" in body and "9单元909" not in body
    assert household.residents.count() == 0 or all(r.phone not in body for r in household.residents.all())


def test_a_too_short_citation_is_refused(resident_client, person_entry):
    target = ResidentFactory(show_name_publicly=True)
    before = row_counts()
    response = _post_person(resident_client, person_entry, target, citation="很好")
    assert response.status_code == 200 and not Nomination.objects.exists()
    assert row_counts() == before


def test_nominating_outside_the_window_is_refused(resident, db):
    for phase in ("upcoming", "reviewing", "voting"):
        entry = make_entry(make_round(phase), TargetKind.PERSON)
        target = ResidentFactory()
        before = row_counts()
        with pytest.raises(AwardError, match="not open"):
            nominate(
                entry=entry,
                nominator=verified_membership(resident),
                building=target.household.building,
                household=target.household,
                resident=target,
                citation=CITATION,
            )
        assert row_counts() == before
    assert not Nomination.objects.exists()


def test_self_nomination_is_refused_unless_allowed(resident, db):
    me = verified_membership(resident)
    entry = make_entry(make_round("nominating"), TargetKind.PERSON, self_nomination_allowed=False)
    before = row_counts()
    with pytest.raises(AwardError, match="yourself"):
        nominate(
            entry=entry,
            nominator=me,
            building=me.household.building,
            household=me.household,
            resident=me,
            citation=CITATION,
        )
    assert row_counts() == before
    allowed = make_entry(make_round("nominating"), TargetKind.BUILDING, self_nomination_allowed=True)
    nomination, created = nominate(entry=allowed, nominator=me, building=me.household.building, citation=CITATION)
    assert created and nomination.building == me.household.building


def test_unverified_accounts_and_visitors_cannot_nominate(newcomer_client, client, person_entry):
    assert newcomer_client.get(f"/rounds/{person_entry.round_id}/nominate/")["Location"] == "/join/"
    assert "/accounts/login/" in client.get(f"/rounds/{person_entry.round_id}/nominate/")["Location"]
    target = ResidentFactory()
    before = row_counts()
    _post_person(newcomer_client, person_entry, target)
    assert row_counts() == before and not Nomination.objects.exists()


def test_the_nominator_cannot_second_their_own_nomination(resident_client, resident, person_entry):
    nomination = make_nomination(person_entry, nominator=verified_membership(resident))
    data = form_token(resident_client, "awards.second")
    before = row_counts()
    resident_client.post(f"/nominations/{nomination.pk}/second/", data)
    assert row_counts() == before and not Second.objects.exists()


def test_seconding_twice_is_refused(neighbour_client, person_entry):
    nomination = make_nomination(person_entry, status=NominationStatus.SUBMITTED)
    neighbour_client.post(f"/nominations/{nomination.pk}/second/", form_token(neighbour_client, "awards.second"))
    data = form_token(neighbour_client, "awards.second")
    before = row_counts()
    response = neighbour_client.post(f"/nominations/{nomination.pk}/second/", data, follow=True)
    assert row_counts() == before and Second.objects.count() == 1
    assert "您已附议过这个推荐。" in response.content.decode()


def test_the_nominator_withdraws_until_review_ends(resident_client, resident, db):
    me = verified_membership(resident)
    open_entry = make_entry(make_round("reviewing"), TargetKind.PERSON)
    nomination = make_nomination(open_entry, nominator=me, status=NominationStatus.SUBMITTED)
    resident_client.post(f"/nominations/{nomination.pk}/withdraw/")
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.WITHDRAWN
    late = make_nomination(make_entry(make_round("waiting")), nominator=me)
    resident_client.post(f"/nominations/{late.pk}/withdraw/")
    late.refresh_from_db()
    assert late.status == NominationStatus.SHORTLISTED


def test_only_the_nominator_can_withdraw(neighbour_client, person_entry):
    nomination = make_nomination(person_entry)
    before = row_counts()
    neighbour_client.post(f"/nominations/{nomination.pk}/withdraw/")
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.SHORTLISTED and row_counts() == before


def test_the_nominee_declines_before_anything_is_public(resident_client, resident, neighbour, db):
    me = verified_membership(resident)
    nomination = make_nomination(make_entry(make_round("voting")), target=me)
    resident_client.post(f"/nominations/{nomination.pk}/decline/")
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.DECLINED
    public = make_nomination(make_entry(make_round("publicity")), target=me, is_winner=True)
    with translation.override("en"), pytest.raises(AwardError, match="public"):
        decline_nomination(nomination=public, resident=me)
    other = make_nomination(make_entry(make_round("voting")))
    with translation.override("en"), pytest.raises(AwardError, match="nominee"):
        decline_nomination(nomination=other, resident=verified_membership(neighbour))


def test_a_rejection_needs_a_reason_the_nominator_sees(
    organizer_client, organizer, resident_client, resident, person_entry
):
    nomination = make_nomination(
        person_entry, nominator=verified_membership(resident), status=NominationStatus.SUBMITTED
    )
    prefix = f"n{nomination.pk}"
    organizer_client.post(f"/organize/nominations/{nomination.pk}/review/", {f"{prefix}-decision": "reject"})
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.SUBMITTED
    organizer_client.post(
        f"/organize/nominations/{nomination.pk}/review/",
        {f"{prefix}-decision": "reject", f"{prefix}-reason": "事迹与本类别不符"},
    )
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.REJECTED
    assert "事迹与本类别不符" in resident_client.get(f"/nominations/{nomination.pk}/").content.decode()
    assert Notice.objects.filter(user=resident, kind="rejected").exists()
    assert AuditEntry.objects.filter(action="awards.nomination_rejected").count() == 1


def test_residents_cannot_review(resident_client, person_entry):
    nomination = make_nomination(person_entry, status=NominationStatus.SUBMITTED)
    before = row_counts()
    response = resident_client.post(
        f"/organize/nominations/{nomination.pk}/review/", {f"n{nomination.pk}-decision": "shortlist"}
    )
    assert response.status_code == 403 and row_counts() == before
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.SUBMITTED


def test_reviewing_after_voting_opened_is_refused(organizer, db):
    nomination = make_nomination(make_entry(make_round("voting")), status=NominationStatus.SUBMITTED)
    before = row_counts()
    with pytest.raises(AwardError):
        review_nomination(nomination=nomination, actor=organizer, shortlist=True)
    assert row_counts() == before
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.SUBMITTED


def test_citation_edits_are_recorded(organizer, person_entry):
    nomination = make_nomination(person_entry)
    edit_citation(nomination=nomination, actor=organizer, citation=CITATION + "（已核实）", reason="补充核实情况")
    revision = CitationRevision.objects.get()
    assert revision.old_citation == CITATION and revision.new_citation.endswith("（已核实）")
    assert AuditEntry.objects.filter(action="awards.citation_edited").exists()


def test_a_rejected_nomination_is_hidden_from_other_residents(neighbour_client, client, person_entry):
    nomination = make_nomination(person_entry, status=NominationStatus.REJECTED)
    assert neighbour_client.get(f"/nominations/{nomination.pk}/").status_code == 404
    assert client.get(f"/nominations/{make_nomination(person_entry).pk}/").status_code == 404


def test_seconding_outside_the_nomination_window_is_refused(neighbour_client, db):
    nomination = make_nomination(make_entry(make_round("reviewing")), status=NominationStatus.SUBMITTED)
    data = form_token(neighbour_client, "awards.second")
    before = row_counts()
    neighbour_client.post(f"/nominations/{nomination.pk}/second/", data)
    assert row_counts() == before and not Second.objects.exists()


def test_many_nominations_in_an_hour_are_refused(resident_client, person_entry, settings):
    settings.AWARDS_NOMINATIONS_PER_HOUR = 2
    for _ in range(2):
        _post_person(resident_client, person_entry, ResidentFactory(show_name_publicly=True))
    third = ResidentFactory(show_name_publicly=True)
    before = row_counts()
    response = _post_person(resident_client, person_entry, third)
    assert response.status_code == 429
    assert "您在一小时内提交的推荐太多了，请稍后再试。" in response.content.decode()
    assert row_counts() == before and Nomination.objects.count() == 2


def test_a_draft_rounds_nominations_are_hidden_from_residents(neighbour_client, db):
    nomination = make_nomination(make_entry(make_round("nominating", announced=False)))
    assert neighbour_client.get(f"/nominations/{nomination.pk}/").status_code == 404
    neighbour_client.post(f"/nominations/{nomination.pk}/second/", form_token(neighbour_client, "awards.second"))
    assert not Second.objects.exists()


def test_a_nomination_photo_is_kept_and_becomes_the_honours_photo(
    resident_client, organizer, person_entry, settings, tmp_path
):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from awards.models import AwardRound
    from awards.services import confirm_winners, publish_round

    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (10, 120, 30)).save(buffer, format="PNG")
    target = ResidentFactory(show_name_publicly=True)
    household = target.household
    resident_client.post(
        f"/rounds/{person_entry.round_id}/nominate/",
        {
            "step": "submit",
            "entry": person_entry.pk,
            "building": household.building_id,
            "household": household.pk,
            "person": target.pk,
            "citation": CITATION,
            "photo": SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png"),
            **form_token(resident_client, "awards.nominate"),
        },
    )
    nomination = Nomination.objects.get()
    assert nomination.photo.startswith("awards/nominations/") and nomination.photo.endswith(".jpg")
    nomination.status = NominationStatus.SHORTLISTED
    nomination.save()
    round = person_entry.round
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    AwardRound.objects.filter(pk=round.pk).update(
        nominations_open_at=now - timedelta(days=5),
        nominations_close_at=now - timedelta(days=4),
        review_end_at=now - timedelta(days=3),
        voting_open_at=now - timedelta(days=2),
        voting_close_at=now - timedelta(days=1),
    )
    round.refresh_from_db()
    confirm_winners(round=round, actor=organizer, winners={person_entry.pk: {nomination.pk}})
    AwardRound.objects.filter(pk=round.pk).update(publicity_end_at=now)
    round.refresh_from_db()
    honour = publish_round(round=round, actor=organizer)[0]
    assert honour.photo == nomination.photo


def test_the_nominee_cannot_second_their_own_nomination(resident_client, resident, person_entry):
    nomination = make_nomination(person_entry, target=verified_membership(resident))
    data = form_token(resident_client, "awards.second")
    before = row_counts()
    resident_client.post(f"/nominations/{nomination.pk}/second/", data)
    assert row_counts() == before and not Second.objects.exists()
