"""Counting, paper ballots, confirmation, publicity and objections, publication and corrections, exports."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from PIL import Image

from awards.models import AwardRound, Correction, Honour, NominationStatus, NoticePreference, TargetKind
from awards.services import (
    AwardError,
    answer_objection,
    cast_vote,
    confirm_winners,
    file_objection,
    publish_round,
    round_results,
    send_voting_open_notices,
    withdraw_honour,
)
from families.access import verified_membership
from project.models import AuditEntry, Notice, NoticeSettings
from tests.factories import ResidentFactory
from tests.project.test_access_sweep import row_counts
from tests.tokens import token

from .factories import (
    english_messages,  # noqa: F401
    form_token,
    make_entry,
    make_nomination,
    make_round,
)

pytestmark = pytest.mark.django_db


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile("tally.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def counted(db, settings, tmp_path):
    """A closed round: one category, three nominations with 3, 2 and 2 online votes."""
    settings.MEDIA_ROOT = tmp_path
    round = make_round("voting")
    entry = make_entry(round, TargetKind.PERSON, winners=1, votes_per_voter=3)
    a, b, c = (make_nomination(entry) for _ in range(3))
    for targets in ([a, b, c], [a, b, c], [a]):
        voter = ResidentFactory()
        for nomination in targets:
            cast_vote(nomination=nomination, resident=voter)
    AwardRound.objects.filter(pk=round.pk).update(
        voting_close_at=round.voting_open_at + (round.voting_close_at - round.voting_open_at) / 100
    )
    round.refresh_from_db()
    return round, entry, (a, b, c)


def test_paper_ballots_need_a_tally_photo_and_show_separately(organizer_client, organizer, counted):
    round, entry, (a, b, c) = counted
    url = f"/organize/rounds/{round.pk}/paper/{entry.pk}/"
    counts = {f"n{a.pk}": 1, f"n{b.pk}": 5, f"n{c.pk}": 0}
    organizer_client.post(url, counts | token(organizer, "awards.paper_tally"))
    b.refresh_from_db()
    assert b.paper_votes == 0  # refused: no photo of the tally sheet
    organizer_client.post(url, counts | {"photo": _photo()} | token(organizer, "awards.paper_tally"))
    b.refresh_from_db()
    assert b.paper_votes == 5
    confirm_winners(round=round, actor=AuditEntry.objects.first().actor, winners={entry.pk: {b.pk}})
    assert "awards/tallies/" in organizer_client.get(f"/rounds/{round.pk}/").content.decode()  # public in 公示
    rows = round_results(round)[0].rows
    assert [(r.nomination.pk, r.online, r.paper, r.total) for r in rows] == [
        (b.pk, 2, 5, 7),
        (a.pk, 3, 1, 4),
        (c.pk, 2, 0, 2),
    ]
    assert AuditEntry.objects.filter(action="awards.paper_tally_entered").exists()


def test_ties_at_the_cut_off_are_flagged_and_need_a_reason(organizer, counted):
    round, entry, (a, b, c) = counted
    entry.winners = 2
    entry.save()
    result = round_results(round)[0]
    assert result.tie_at_cutoff and [r.rank for r in result.rows] == [1, 2, 2]
    with pytest.raises(AwardError, match="reason"):
        confirm_winners(round=round, actor=organizer, winners={entry.pk: {a.pk, b.pk}})
    confirm_winners(round=round, actor=organizer, winners={entry.pk: {a.pk, b.pk}}, reason="抽签决定")
    round.refresh_from_db()
    assert round.ranking_override_reason == "抽签决定" and round.phase() == "publicity"


def test_confirming_the_top_of_the_ranking_needs_no_reason(organizer_client, counted):
    round, entry, (a, b, c) = counted
    response = organizer_client.post(f"/organize/rounds/{round.pk}/confirm/", {f"e{entry.pk}": [a.pk]})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.is_winner
    assert AuditEntry.objects.filter(action="awards.winners_confirmed").exists()


def test_changing_the_ranking_without_a_reason_is_refused(organizer_client, counted):
    round, entry, (a, b, c) = counted
    before = row_counts()
    response = organizer_client.post(f"/organize/rounds/{round.pk}/confirm/", {f"e{entry.pk}": [c.pk]})
    assert response.status_code == 200
    c.refresh_from_db()
    assert not c.is_winner and row_counts() == before
    organizer_client.post(
        f"/organize/rounds/{round.pk}/confirm/", {f"e{entry.pk}": [c.pk], "reason": "第一名事迹经核实不符"}
    )
    c.refresh_from_db()
    assert c.is_winner
    assert AuditEntry.objects.filter(action="awards.winners_confirmed_with_override").exists()


def test_winners_cannot_be_confirmed_while_voting_is_open(organizer, db):
    round = make_round("voting")
    before = row_counts()
    with pytest.raises(AwardError):
        confirm_winners(round=round, actor=organizer, winners={})
    assert row_counts() == before


def test_objections_are_filed_in_publicity_and_answered_on_the_record(
    organizer, resident_client, resident, client, counted, django_capture_on_commit_callbacks
):
    round, entry, (a, b, c) = counted
    confirm_winners(round=round, actor=organizer, winners={entry.pk: {a.pk}})
    response = resident_client.post(
        f"/rounds/{round.pk}/objection/",
        {
            "nomination": a.pk,
            "text": "该候选人的事迹有夸大之处，请核实。",
            **form_token(resident_client, "awards.objection"),
        },
    )
    assert response.status_code == 302
    objection = round.objections.get()
    with django_capture_on_commit_callbacks(execute=True):
        answer_objection(objection=objection, actor=organizer, answer="经核实，事迹属实，维持原结果。")
    body = client.get(f"/rounds/{round.pk}/").content.decode()
    assert "经核实，事迹属实" in body and "该候选人的事迹有夸大之处" in body
    assert "<form" not in body.split("<main", 1)[1].split("</main>")[0]
    assert Notice.objects.filter(user=resident, kind="objection_answered").exists()
    assert AuditEntry.objects.filter(action="awards.objection_answered").exists()


def test_objections_outside_the_publicity_period_are_refused(resident, counted):
    round, entry, (a, b, c) = counted
    before = row_counts()
    with pytest.raises(AwardError, match="publicity"):
        file_objection(round=round, resident=verified_membership(resident), nomination=None, text="我有异议，请说明。")
    assert row_counts() == before


def test_publication_creates_honours_and_locks_the_results(organizer, client, counted):
    round, entry, (a, b, c) = counted
    confirm_winners(round=round, actor=organizer, winners={entry.pk: {a.pk}})
    round.refresh_from_db()
    objection = file_objection(round=round, resident=ResidentFactory(), nomination=a, text="请核实得票情况，谢谢。")
    with pytest.raises(AwardError, match="publicity"):
        publish_round(round=round, actor=organizer)
    AwardRound.objects.filter(pk=round.pk).update(publicity_end_at=round.results_confirmed_at)
    round.refresh_from_db()
    with pytest.raises(AwardError, match="objection"):
        publish_round(round=round, actor=organizer)
    answer_objection(objection=objection, actor=organizer, answer="已核实，计票无误。")
    honours = publish_round(round=round, actor=organizer)
    honour = Honour.objects.get()
    assert honours and honour.nomination == a and honour.round == round
    assert honour.certificate_number == f"HR{round.year}-{a.pk:06d}"
    assert honour.published_at and honour.citation == a.citation
    assert Honour.objects.published().count() == 1
    with pytest.raises(AwardError):
        publish_round(round=round, actor=organizer)
    with pytest.raises(AwardError):
        confirm_winners(round=round, actor=organizer, winners={entry.pk: {b.pk}}, reason="x")
    assert AuditEntry.objects.filter(action="awards.round_published").exists()
    correction = withdraw_honour(honour=honour, actor=organizer, reason="获奖人搬离本社区，经居委会讨论撤销。")
    assert isinstance(correction, Correction)
    assert Honour.objects.published().count() == 0
    body = client.get(f"/rounds/{round.pk}/").content.decode()
    assert "获奖人搬离本社区" in body


def test_exports_give_online_paper_total_and_turnout(organizer_client, counted):
    round, entry, (a, b, c) = counted
    csv = organizer_client.get(f"/organize/rounds/{round.pk}/results.csv")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 4 and lines[1].split(",")[3:6] == ["3", "0", "3"]
    xlsx = organizer_client.get(f"/organize/rounds/{round.pk}/results.xlsx?category={entry.pk}")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert sheet.max_row == 4 and sheet.cell(2, 9).value == 3


def test_residents_cannot_export(resident_client, counted):
    round, entry, _ = counted
    assert resident_client.get(f"/organize/rounds/{round.pk}/results.csv").status_code == 403


def test_voting_open_notices_go_once_and_respect_the_opt_out(resident, neighbour, django_capture_on_commit_callbacks):
    NoticePreference.objects.create(user=neighbour, voting_open=False)
    round = make_round("voting")
    with django_capture_on_commit_callbacks(execute=True):
        assert send_voting_open_notices(round=round) == 1
    assert send_voting_open_notices(round=AwardRound.objects.get(pk=round.pk)) == 0
    assert list(Notice.objects.values_list("user__username", flat=True)) == ["resident"]
    assert [m.to for m in mail.outbox] == [[resident.email]]


def test_the_notice_page_lists_my_notices_and_saves_preferences(resident_client, resident):
    round = make_round("voting")
    Notice.objects.create(user=resident, kind="voting_open", params={"title": round.title}, url=f"/rounds/{round.pk}/")
    body = resident_client.get("/notices/").content.decode()
    assert "投票已开始" in body and round.title in body and f'href="/rounds/{round.pk}/"' in body
    resident_client.post("/notices/", {"by_email": ""})
    preference = NoticePreference.objects.get(user=resident)
    assert not preference.voting_open and not NoticeSettings.objects.get(user=resident).by_email


def test_timeline_changes_are_audited(organizer_client, organizer):
    from awards.models import TIMELINE_FIELDS
    from tests.awards.factories import timeline

    values = {name: t.strftime("%Y-%m-%dT%H:%M") for name, t in timeline("nominating").items()}
    response = organizer_client.post(
        "/organize/rounds/new/",
        {"title": "2027年度评选", "year": 2027, **values, **token(organizer, "awards.round_new")},
    )
    assert response.status_code == 302
    round = AwardRound.objects.get(title="2027年度评选")
    assert round.phase() == "draft"  # announced only once it has a category (test_small_things.py)
    values["voting_open_at"], values["voting_close_at"] = values["voting_close_at"], values["voting_open_at"]
    response = organizer_client.post(
        f"/organize/rounds/{round.pk}/edit/", {"title": "2027年度评选", "year": 2027, "announced": "on", **values}
    )
    assert response.status_code == 200  # out of order: refused with a message
    assert set(TIMELINE_FIELDS) <= set(values)
    assert AuditEntry.objects.filter(action="awards.round_created").count() == 1


def test_phase_follows_the_timeline_and_organizer_actions(db):
    from datetime import timedelta

    round = make_round("nominating")
    t = round.nominations_open_at
    assert round.phase(t - timedelta(seconds=1)) == "upcoming"
    assert round.phase(t) == "nominating"
    assert round.phase(round.nominations_close_at) == "reviewing"
    assert round.phase(round.review_end_at) == "waiting"
    assert round.phase(round.voting_open_at) == "voting"
    assert round.phase(round.voting_close_at) == "counting"
    round.results_confirmed_at = round.voting_close_at
    assert round.phase(round.voting_close_at) == "publicity"
    assert round.phase(round.publicity_end_at) == "publishing"
    round.announced = False
    round.results_confirmed_at = None
    assert round.phase(t) == "draft"


def test_a_draft_round_is_hidden_from_residents(resident_client, organizer_client, db):
    round = make_round("nominating", announced=False)
    assert resident_client.get(f"/rounds/{round.pk}/").status_code == 404
    assert organizer_client.get(f"/rounds/{round.pk}/").status_code == 200
    assert round.title not in resident_client.get("/rounds/").content.decode()


def test_rejected_nominations_are_not_shortlisted_results(counted):
    round, entry, (a, b, c) = counted
    c.status = NominationStatus.DECLINED
    c.save()
    assert [r.nomination.pk for r in round_results(round)[0].rows] == [a.pk, b.pk]


def test_the_notice_command_sends_for_rounds_in_voting(resident, db):
    from django.core.management import call_command

    make_round("voting")
    make_round("nominating")
    call_command("send_award_notices")
    call_command("send_award_notices")
    assert Notice.objects.filter(user=resident, kind="voting_open").count() == 1


def test_organizers_add_categories_and_their_rules_with_an_audit_line(organizer_client, organizer, resident_client):
    response = organizer_client.post(
        "/organize/awards/categories/new/",
        {
            "name": "好邻居",
            "target_kind": "person",
            "criteria": "邻里互助，热心肠。",
            "is_active": "on",
            "sort_order": 5,
            **token(organizer, "awards.category_new"),
        },
    )
    assert response.status_code == 302
    assert resident_client.get("/organize/awards/categories/").status_code == 403
    round = make_round("nominating")
    from awards.models import AwardCategory

    category = AwardCategory.objects.get(name="好邻居")
    response = organizer_client.post(
        f"/organize/rounds/{round.pk}/categories/new/",
        {
            "category": category.pk,
            "winners": 3,
            "votes_per_voter": 2,
            "vote_unit": "resident",
            **token(organizer, "awards.entry_new"),
        },
    )
    assert response.status_code == 302 and round.entries.get().votes_per_voter == 2
    assert AuditEntry.objects.filter(action__in=["awards.category_created", "awards.round_category_added"]).count() == 2
    body = resident_client.get(f"/rounds/{round.pk}/nominate/?entry={round.entries.get().pk}").content.decode()
    assert "邻里互助，热心肠。" in body  # the criteria are shown to nominators


def test_category_rules_cannot_change_once_voting_opened(organizer_client, db):
    entry = make_entry(make_round("voting"), votes_per_voter=2)
    before = row_counts()
    organizer_client.post(
        f"/organize/rounds/{entry.round_id}/categories/{entry.pk}/",
        {"category": entry.category_id, "winners": 3, "votes_per_voter": 9, "vote_unit": "resident"},
    )
    entry.refresh_from_db()
    assert entry.votes_per_voter == 2 and row_counts() == before


def test_an_answer_stays_on_the_record(organizer, counted):
    round, entry, (a, b, c) = counted
    confirm_winners(round=round, actor=organizer, winners={entry.pk: {a.pk}})
    round.refresh_from_db()
    objection = file_objection(
        round=round, resident=ResidentFactory(), nomination=None, text="请说明纸质票的统计方式。"
    )
    answer_objection(objection=objection, actor=organizer, answer="纸质票由两名工作人员共同清点。")
    with pytest.raises(AwardError, match="already answered"):
        answer_objection(objection=objection, actor=organizer, answer="改口。")
    objection.refresh_from_db()
    assert objection.answer == "纸质票由两名工作人员共同清点。"


def test_the_admin_cannot_edit_or_delete_an_honour_a_round_published(organizer, counted, rf):
    from django.contrib import admin

    round, entry, (a, b, c) = counted
    confirm_winners(round=round, actor=organizer, winners={entry.pk: {a.pk}})
    AwardRound.objects.filter(pk=round.pk).update(publicity_end_at=timezone_now())
    honour = publish_round(round=AwardRound.objects.get(pk=round.pk), actor=organizer)[0]
    model_admin = admin.site._registry[Honour]
    request = rf.get("/")
    request.user = organizer
    assert "citation" in model_admin.get_readonly_fields(request, honour)
    assert not model_admin.has_delete_permission(request, honour)


def timezone_now():
    from django.utils import timezone

    return timezone.now()
