"""A person nomination reveals nothing about who lives where (#13, item 2).

The nominator picks from the household's members who agreed to be named in
public, or types a name. A typed name is taken without looking at the register,
waits "to be matched", and only an organizer links it to a register person at
review; then the usual rules (self, one nomination per person, seconding, the
self-vote rule) and the nominee's notice follow.
"""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from awards.models import AwardRound, Nomination, NominationStatus, Second, TargetKind
from awards.services import AwardError, cast_vote, link_nomination, nominate, review_nomination
from families.access import verified_membership
from families.models import GridAssignment, Resident
from project import publiccache
from project.access import make_organizer
from project.models import AuditEntry, Notice
from tests.factories import GridFactory, HouseholdFactory, ResidentFactory, UserFactory, verified_user
from tests.project.test_access_sweep import row_counts

from .factories import (
    CITATION,
    english_messages,  # noqa: F401
    form_token,
    make_entry,
    make_nomination,
    make_round,
    make_typed_nomination,
    timeline,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def person_entry(db):
    return make_entry(make_round("nominating"), TargetKind.PERSON)


@pytest.fixture
def target_household(db):
    return HouseholdFactory(display_name="王家")


def _nominate(client, entry, household, *, name="", person="", citation=CITATION, **extra):
    return client.post(
        f"/rounds/{entry.round_id}/nominate/",
        {
            "step": "submit",
            "entry": entry.pk,
            "building": household.building_id,
            "household": household.pk,
            "person": person,
            "person_name": name,
            "citation": citation,
            **form_token(client, "awards.nominate"),
            **extra,
        },
    )


def _same_apart_from_tokens(body: str, *names: str) -> str:
    """A page with what differs by design taken out: tokens, the new row's id and the name the nominator typed."""
    body = re.sub(r'name="(csrfmiddlewaretoken|form_token)" value="[^"]*"', r'name="\1" value=""', body)
    body = re.sub(r"/nominations/\d+/", "/nominations/N/", body)
    for name in names:
        body = body.replace(name, "NAME")
    return body


def _link(client, nomination, person, *, merge=False, **kwargs):
    data = {f"l{nomination.pk}-resident": person.pk}
    if merge:
        data[f"l{nomination.pk}-merge"] = "on"
    return client.post(f"/organize/nominations/{nomination.pk}/link/", data, **kwargs)


# --- Nominating: nothing to probe ---------------------------------------------------------------------------------


def test_probing_a_name_that_lives_there_and_one_that_does_not_gives_identical_answers(
    resident_client, person_entry, target_household
):
    lives_there = ResidentFactory(household=target_household, full_name="王秀英", user=UserFactory())
    answers = []
    for name in ("王秀英", "赵无此人"):
        response = _nominate(resident_client, person_entry, target_household, name=name)
        assert response.status_code == 302 and re.fullmatch(r"/nominations/\d+/", response["Location"])
        page = resident_client.get(response["Location"])
        answers.append((response.status_code, page.status_code, _same_apart_from_tokens(page.content.decode(), name)))
    assert answers[0] == answers[1]
    assert "谢谢！您的推荐已收到，等待审核。" in answers[0][2]
    # Neither is linked, nobody is told, and the register person is untouched.
    assert list(Nomination.objects.values_list("typed_name", "resident")) == [("王秀英", None), ("赵无此人", None)]
    assert not Notice.objects.filter(user=lives_there.user).exists()


def test_a_refused_nomination_answers_the_same_whether_or_not_the_name_lives_there(
    resident_client, person_entry, target_household
):
    ResidentFactory(household=target_household, full_name="王秀英")
    before = row_counts()
    bodies = []
    for name in ("王秀英", "赵无此人"):
        response = _nominate(resident_client, person_entry, target_household, name=name, citation="太短")
        assert response.status_code == 200
        bodies.append(_same_apart_from_tokens(response.content.decode(), name))
    assert bodies[0] == bodies[1]
    assert "确保该变量至少包含 20 字符(目前字符数 2)。" in bodies[0]
    assert row_counts() == before and not Nomination.objects.exists()


def test_the_pick_list_lists_only_members_who_agreed_to_be_named(resident_client, person_entry, target_household):
    ResidentFactory(household=target_household, full_name="张明", show_name_publicly=True)
    ResidentFactory(household=target_household, full_name="李华", show_name_publicly=False)
    ResidentFactory(household=target_household, full_name="赵离开", show_name_publicly=True, status="removed")
    ResidentFactory(household=target_household, full_name="钱申请", show_name_publicly=True, status="pending")
    ResidentFactory(full_name="孙别家", show_name_publicly=True)
    body = resident_client.get(
        f"/rounds/{person_entry.round_id}/nominate/",
        {"entry": person_entry.pk, "building": target_household.building_id, "household": target_household.pk},
    ).content.decode()
    assert "张明" in body and "其他人：我在下面填写姓名" in body
    assert not any(name in body for name in ("李华", "赵离开", "钱申请", "孙别家"))


def test_a_member_who_did_not_agree_cannot_be_picked_by_a_crafted_post(resident_client, person_entry, target_household):
    hidden = ResidentFactory(household=target_household, full_name="李华", show_name_publicly=False)
    before = row_counts()
    response = _nominate(resident_client, person_entry, target_household, person=hidden.pk)
    assert response.status_code == 200 and "李华" not in response.content.decode()
    assert row_counts() == before and not Nomination.objects.exists()


def test_a_picked_member_is_named_at_once_and_told(resident_client, person_entry, target_household):
    user = UserFactory()
    picked = ResidentFactory(household=target_household, full_name="张明", show_name_publicly=True, user=user)
    response = _nominate(resident_client, person_entry, target_household, person=picked.pk)
    nomination = Nomination.objects.get()
    assert response["Location"] == f"/nominations/{nomination.pk}/"
    assert nomination.resident == picked and not nomination.to_be_matched and nomination.target_key == f"p{picked.pk}"
    assert Notice.objects.filter(user=user, kind="nominated", url=f"/nominations/{nomination.pk}/").count() == 1


def test_picking_and_typing_at_once_is_refused(resident_client, person_entry, target_household):
    picked = ResidentFactory(household=target_household, show_name_publicly=True)
    before = row_counts()
    response = _nominate(resident_client, person_entry, target_household, person=picked.pk, name="张明")
    assert "请从名单中选择或填写姓名，二者选其一。" in response.content.decode()
    response = _nominate(resident_client, person_entry, target_household)
    assert "请从名单中选择此人，或填写其姓名。" in response.content.decode()
    assert row_counts() == before and not Nomination.objects.exists()


def test_typing_ones_own_name_in_ones_own_household_is_refused_without_looking_anything_up(resident, person_entry):
    me = verified_membership(resident)
    before = row_counts()
    with pytest.raises(AwardError, match="yourself"):
        nominate(
            entry=person_entry,
            nominator=me,
            building=me.household.building,
            household=me.household,
            typed_name=f" {me.full_name} ",
            citation=CITATION,
        )
    assert row_counts() == before and not Nomination.objects.exists()


# --- Before linking: the typed name stays with the nominator and the organizers ----------------------------------


def test_a_typed_name_is_shown_to_nobody_but_the_nominator_and_organizers(
    resident_client, neighbour_client, organizer_client, client, person_entry, target_household
):
    _nominate(resident_client, person_entry, target_household, name="王秀英")
    nomination = Nomination.objects.get()
    building = target_household.building.name
    for page in (
        neighbour_client.get(f"/rounds/{person_entry.round_id}/nominations/"),
        neighbour_client.get(f"/nominations/{nomination.pk}/"),
    ):
        body = page.content.decode()
        assert page.status_code == 200 and "王秀英" not in body and f"{building}的一位居民" in body
    assert client.get(f"/nominations/{nomination.pk}/").status_code == 404
    assert "王秀英" not in client.get(f"/rounds/{person_entry.round_id}/").content.decode()
    assert "填写的姓名：王秀英" in resident_client.get(f"/nominations/{nomination.pk}/").content.decode()
    review = organizer_client.get(f"/organize/rounds/{person_entry.round_id}/nominations/").content.decode()
    assert "王秀英（推荐人填写，待核对）" in review and "姓名待核对" in review


def test_a_typed_name_cannot_be_seconded_before_it_is_linked(neighbour_client, person_entry):
    nomination = make_typed_nomination(person_entry)
    page = neighbour_client.get(f"/nominations/{nomination.pk}/").content.decode()
    assert f'action="/nominations/{nomination.pk}/second/"' not in page
    listing = neighbour_client.get(f"/rounds/{person_entry.round_id}/nominations/").content.decode()
    assert "社区工作人员在户籍登记中核对此人后即可附议。" in listing
    assert f'action="/nominations/{nomination.pk}/second/"' not in listing
    data = form_token(neighbour_client, "awards.second")
    before = row_counts()
    response = neighbour_client.post(f"/nominations/{nomination.pk}/second/", data, follow=True)
    assert "核对后才能附议" in response.content.decode()
    assert row_counts() == before and not Second.objects.exists()


def test_a_typed_name_cannot_be_shortlisted_until_it_is_linked(organizer, organizer_client, person_entry):
    nomination = make_typed_nomination(person_entry)
    prefix = f"n{nomination.pk}"
    response = organizer_client.post(
        f"/organize/nominations/{nomination.pk}/review/", {f"{prefix}-decision": "shortlist"}, follow=True
    )
    assert "列入候选名单前，请先将填写的姓名与户籍登记中的人员对应。" in response.content.decode()
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.SUBMITTED
    with translation.override("en"), pytest.raises(AwardError, match="before shortlisting"):
        review_nomination(nomination=nomination, actor=organizer, shortlist=True)
    # The database says no as well.
    with pytest.raises(IntegrityError), transaction.atomic():
        Nomination.objects.filter(pk=nomination.pk).update(status=NominationStatus.SHORTLISTED)
    # Not shortlisting it, with a reason, stays possible.
    review_nomination(nomination=nomination, actor=organizer, shortlist=False, reason="登记中查无此人")
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.REJECTED


# --- Linking at review -------------------------------------------------------------------------------------------


def test_linking_names_the_person_tells_them_and_opens_the_review(organizer, organizer_client, person_entry):
    nomination = make_typed_nomination(person_entry, name="王秀英")
    user = UserFactory()
    person = ResidentFactory(household=nomination.household, full_name="王秀英", user=user)
    assert not Notice.objects.exists()
    response = _link(organizer_client, nomination, person, follow=True)
    assert "这条推荐已对应到 王秀英，并已通知本人。" in response.content.decode()
    nomination.refresh_from_db()
    assert nomination.resident == person and nomination.target_key == f"p{person.pk}"
    assert Notice.objects.filter(user=user, kind="nominated", url=f"/nominations/{nomination.pk}/").count() == 1
    entry = AuditEntry.objects.get(action="awards.nomination_linked")
    assert entry.details["resident"] == person.pk and entry.details["typed_name"] == "王秀英"
    review_nomination(nomination=nomination, actor=organizer, shortlist=True)
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.SHORTLISTED


def test_the_link_choice_offers_the_households_people_in_the_register(organizer_client, person_entry):
    nomination = make_typed_nomination(person_entry)
    ResidentFactory(household=nomination.household, full_name="王秀英")
    ResidentFactory(household=nomination.household, full_name="王申请", status=Resident.Status.PENDING)
    ResidentFactory(household=nomination.household, full_name="王已迁出", status=Resident.Status.REMOVED)
    elsewhere = ResidentFactory(full_name="别家人")
    body = organizer_client.get(f"/organize/rounds/{person_entry.round_id}/nominations/").content.decode()
    assert "王秀英" in body and "王申请 (等待审核)" in body
    assert "王已迁出" not in body and "别家人" not in body
    _link(organizer_client, nomination, elsewhere)
    nomination.refresh_from_db()
    assert nomination.to_be_matched


def test_linking_to_the_nominator_is_refused_unless_the_category_allows_it(organizer, person_entry):
    nominator = ResidentFactory()
    nomination = make_typed_nomination(person_entry, household=nominator.household, nominator=nominator)
    before = row_counts()
    with pytest.raises(AwardError, match="nominator themselves"):
        link_nomination(nomination=nomination, resident=nominator, actor=organizer)
    nomination.refresh_from_db()
    assert nomination.to_be_matched and not AuditEntry.objects.filter(action__startswith="awards.").exists()
    assert row_counts() == before


def test_linking_to_someone_already_nominated_asks_then_merges_into_that_nomination(
    organizer, organizer_client, person_entry
):
    person = ResidentFactory(full_name="王秀英")
    first = make_nomination(person_entry, target=person, status=NominationStatus.SUBMITTED)
    typed = make_typed_nomination(person_entry, household=person.household, name="王秀英")
    response = _link(organizer_client, typed, person, follow=True)
    assert "王秀英 已在本类别中被推荐。勾选“并入该推荐”" in response.content.decode()
    typed.refresh_from_db()
    assert typed.to_be_matched and typed.status == NominationStatus.SUBMITTED and not Second.objects.exists()

    response = _link(organizer_client, typed, person, merge=True, follow=True)
    assert "已合并：王秀英 此前已被推荐" in response.content.decode()
    typed.refresh_from_db()
    assert (typed.status, typed.merged_into) == (NominationStatus.MERGED, first)
    assert list(Second.objects.values_list("nomination", "resident")) == [(first.pk, typed.nominator_id)]
    assert AuditEntry.objects.get(action="awards.nomination_merged").details["merged_into"] == first.pk
    assert Nomination.objects.filter(entry=person_entry).live().count() == 1


def test_merging_keeps_the_seconding_rules(organizer, person_entry):
    person = ResidentFactory()
    first = make_nomination(person_entry, target=person, status=NominationStatus.SUBMITTED)
    # The same resident nominated them twice, once by picking and once by typing: no second of their own nomination.
    typed = make_typed_nomination(person_entry, household=person.household, nominator=first.nominator)
    assert link_nomination(nomination=typed, resident=person, actor=organizer, merge=True) == first
    assert not Second.objects.exists()


def test_linking_to_someone_no_longer_in_the_running_is_refused(organizer, person_entry):
    person = ResidentFactory(full_name="王秀英")
    make_nomination(person_entry, target=person, status=NominationStatus.DECLINED)
    typed = make_typed_nomination(person_entry, household=person.household)
    before = row_counts()
    with pytest.raises(AwardError, match="no longer in the running"):
        link_nomination(nomination=typed, resident=person, actor=organizer, merge=True)
    typed.refresh_from_db()
    assert typed.to_be_matched and typed.status == NominationStatus.SUBMITTED
    assert row_counts() == before


def test_once_linked_the_nominee_cannot_vote_for_themselves(organizer, db):
    round = make_round("reviewing")
    entry = make_entry(round, TargetKind.PERSON)
    typed = make_typed_nomination(entry)
    user = verified_user(typed.household)
    person = verified_membership(user)
    link_nomination(nomination=typed, resident=person, actor=organizer)
    review_nomination(nomination=typed, actor=organizer, shortlist=True)
    AwardRound.objects.filter(pk=round.pk).update(**timeline("voting"))
    with pytest.raises(AwardError, match=r"^You cannot vote for your own household or a member of it\.$"):
        cast_vote(nomination=typed.pk, user=user)
    cast_vote(nomination=typed.pk, resident=ResidentFactory())


def test_only_organizers_of_the_buildings_grid_link_names(resident_client, organizer_client, person_entry, db):
    nomination = make_typed_nomination(person_entry)
    person = ResidentFactory(household=nomination.household, full_name="王秀英")
    worker = UserFactory(username="grid-worker")
    make_organizer(user=worker)
    GridAssignment.objects.create(user=worker, grid=GridFactory())
    worker_client = type(organizer_client)()
    worker_client.force_login(worker)
    review = worker_client.get(f"/organize/rounds/{person_entry.round_id}/nominations/").content.decode()
    assert "王秀英" not in review and f"/organize/nominations/{nomination.pk}/link/" not in review
    assert _link(worker_client, nomination, person).status_code == 404
    assert _link(resident_client, nomination, person).status_code == 403
    nomination.refresh_from_db()
    assert nomination.to_be_matched and not AuditEntry.objects.filter(action__startswith="awards.").exists()


def test_review_list_with_typed_names_does_not_grow_in_queries(organizer_client, db):
    counts = []
    for size in (2, 8):
        entry = make_entry(make_round("nominating"), TargetKind.PERSON)
        for _ in range(size):
            household = HouseholdFactory()
            ResidentFactory(household=household)
            ResidentFactory(household=household)
            make_typed_nomination(entry, household=household)
            make_nomination(entry, status=NominationStatus.SUBMITTED)
        publiccache.expire_all()
        with CaptureQueriesContext(connection) as ctx:
            response = organizer_client.get(f"/organize/rounds/{entry.round_id}/nominations/")
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
