"""One form, one effect: every create form on the site, found from the URL map, sent twice and three times at once.

The URL map is read at test time. A URL that takes a POST is either in
``CREATE_FORMS`` (how to build what its form needs, its valid fields, and what
it creates) or in ``NOT_A_CREATE`` (why a resent form cannot write a second
row there), so a new create form cannot be forgotten: the first test fails
until it is in one table or the other.

Each create form is then
- sent twice in a row with the token its page gave: one new row, and the
  second answer goes to what the first made, saying "already recorded";
- sent with a missing or forged token: nothing is written, and the form is
  shown again with the reason;
- on PostgreSQL, sent three times at once from three threads, each with its
  own client: one new row.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image

from activities import services as activity_services
from activities.models import (
    Activity,
    ActivityType,
    CorrectionRequest,
    LedgerEntry,
    Redemption,
    ServiceRecord,
    Signup,
    StoreItem,
)
from awards.models import (
    AwardCategory,
    AwardRound,
    Nomination,
    NominationStatus,
    Objection,
    PaperTally,
    RoundCategory,
    Second,
    TargetKind,
)
from families.models import Building, Community, Grid, Household, MottoRevision, RegisterImport, Resident
from families.services import check_upload
from project import formtokens
from project.management.commands.backup import row_counts
from project.models import AuditEntry, ExportJob, FormSubmission
from tests.activities.factories import (
    ActivityFactory,
    StoreItemFactory,
    activity_type,
    finished_activity,
    present,
    running_activity,
)
from tests.awards.factories import CITATION, make_entry, make_nomination, make_round, timeline
from tests.factories import (
    BuildingFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    default_community,
    make_street_organizer,
    verified_user,
)
from tests.families.helpers import GOOD_ROWS, csv_bytes
from tests.tokens import FIELD, page_forms, page_token

ALREADY_RECORDED = "已经记录过了，没有重复添加。"
EXPIRED = "此表单已失效，没有保存任何内容。请核对后重新提交。"
WIRED_ELSEWHERE = pytest.mark.xfail(strict=True, reason="wired by the nomination/import helper")


@dataclass
class Posting:
    """One create form: who sends it, the page that shows it, where it posts, its fields, what it makes."""

    user: object
    page: str
    url: str
    data: Callable[[], dict]  # fresh for every send: an uploaded file is read once
    rows: Callable[[], int]  # what one submission adds one to
    form: str | None = None  # the hidden "form" switch of a page with several forms


def _organizer():
    user = UserFactory()
    make_street_organizer(user)
    return user


def _member():
    user = verified_user()
    return user, user.residencies.get()


def _jpeg(name: str = "photo.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- How to build each create form ------------------------------------------------------------------------------


def award_points() -> Posting:
    person = ResidentFactory()
    url = reverse("activities:organize_volunteer", args=[person.pk])
    data = {"kind": "awarded", "amount": "5", "reason": "楼道义务巡逻"}
    return Posting(_organizer(), url, url, lambda: data, LedgerEntry.objects.count)


def manual_hours() -> Posting:
    activity = finished_activity()
    signup = Signup.objects.create(activity=activity, resident=ResidentFactory())
    data = {f"h{signup.pk}-hours": "2", f"h{signup.pk}-reason": "纸质签到表补录"}
    return Posting(
        _organizer(),
        reverse("activities:organize_sheet", args=[activity.pk]),
        reverse("activities:organize_manual_hours", args=[signup.pk]),
        lambda: data,
        AuditEntry.objects.filter(action="activities.hours_added_by_hand").count,
    )


def sign_up() -> Posting:
    user, _member_ = _member()
    activity = ActivityFactory()
    return Posting(
        user,
        reverse("activities:detail", args=[activity.pk]),
        reverse("activities:sign_up", args=[activity.pk]),
        dict,
        Signup.objects.count,
    )


def walk_in() -> Posting:
    activity = running_activity()
    ResidentFactory(phone="+8613900007777")
    return Posting(
        _organizer(),
        reverse("activities:organize_sheet", args=[activity.pk]),
        reverse("activities:organize_walk_in", args=[activity.pk]),
        lambda: {"phone": "139 0000 7777"},
        Signup.objects.count,
    )


def attend() -> Posting:
    """Not a new row but a step: the first tap checks in, a second must not check out at once."""
    user, member = _member()
    activity = running_activity()
    Signup.objects.create(activity=activity, resident=member)
    url = reverse("activities:attend", args=[activity.pk])

    def steps() -> int:
        signups = Signup.objects.filter(activity=activity)
        return (
            signups.filter(checked_in_at__isnull=False).count() + signups.filter(checked_out_at__isnull=False).count()
        )

    return Posting(user, url, url, lambda: {"code": activity.checkin_code}, steps)


def correction() -> Posting:
    user, member = _member()
    signup = present(finished_activity(), member, minutes_late=60)
    url = reverse("activities:correction", args=[signup.pk])
    data = {"hours": "3", "reason": "手机没电，我准时到的"}
    return Posting(user, url, url, lambda: data, CorrectionRequest.objects.count)


def service_record() -> Posting:
    user, member = _member()
    activity_services.confirm_hours(signup=present(finished_activity(), member), actor=None)
    today = timezone.localdate()
    data = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}
    return Posting(
        user,
        reverse("activities:my_record"),
        reverse("activities:my_record_issue"),
        lambda: data,
        ServiceRecord.objects.count,
    )


def organizer_service_record() -> Posting:
    person = ResidentFactory()
    today = timezone.localdate()
    data = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}
    return Posting(
        _organizer(),
        reverse("activities:organize_record", args=[person.pk]),
        reverse("activities:organize_record_issue", args=[person.pk]),
        lambda: data,
        ServiceRecord.objects.count,
    )


def redeem() -> Posting:
    user, member = _member()
    activity_services.award_points(resident=member, amount=500, reason="测试积分", actor=None)
    item = StoreItemFactory(price=50, stock=5)
    return Posting(
        user,
        reverse("activities:store_item", args=[item.pk]),
        reverse("activities:redeem", args=[item.pk]),
        dict,
        Redemption.objects.count,
    )


def new_activity() -> Posting:
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(days=7)
    data = {
        "title": "文明养犬宣传",
        "type": activity_type("文明劝导").pk,
        "description": "",
        "place": "小广场",
        "starts_at": _local(start),
        "ends_at": _local(start + timedelta(hours=2)),
        "signup_deadline": _local(start - timedelta(days=1)),
        "capacity": "12",
        "points_per_hour": "10",
    }
    url = reverse("activities:organize_new")
    return Posting(_organizer(), url, url, lambda: data, Activity.objects.count)


def new_activity_type() -> Posting:
    url = reverse("activities:organize_types")
    data = {"name": "垃圾分类指导", "name_en": "Waste sorting", "sort_order": "9"}
    return Posting(_organizer(), url, url, lambda: data, ActivityType.objects.count)


def new_store_item() -> Posting:
    url = reverse("activities:organize_store_new")
    data = {"name": "食用油", "description": "", "price": "200", "stock": "3", "is_active": "on", "sort_order": "0"}
    return Posting(_organizer(), url, url, lambda: data, StoreItem.objects.count)


def new_round() -> Posting:
    data = {"title": "2027年度评选", "year": "2027", "description": ""}  # announced once it has categories
    data |= {name: _local(moment) for name, moment in timeline("upcoming").items()}
    url = reverse("awards:round_new")
    return Posting(_organizer(), url, url, lambda: data, AwardRound.objects.count)


def new_round_category() -> Posting:
    round = make_round("upcoming")
    category = AwardCategory.objects.create(name="好婆婆", target_kind=TargetKind.PERSON, criteria="孝老爱亲。")
    url = reverse("awards:entry_new", args=[round.pk])
    data = {"category": category.pk, "winners": "2", "votes_per_voter": "2", "vote_unit": "resident"}
    return Posting(_organizer(), url, url, lambda: data, RoundCategory.objects.count)


def new_award_category() -> Posting:
    url = reverse("awards:category_new")
    data = {
        "name": "好邻居",
        "target_kind": "person",
        "criteria": "邻里互助，热心肠。",
        "is_active": "on",
        "sort_order": "5",
    }
    return Posting(_organizer(), url, url, lambda: data, AwardCategory.objects.count)


def paper_tally() -> Posting:
    entry = make_entry(make_round("voting"))
    nominations = [make_nomination(entry) for _ in range(2)]
    url = reverse("awards:paper_tally", args=[entry.round_id, entry.pk])
    return Posting(
        _organizer(),
        url,
        url,
        lambda: {f"n{n.pk}": "3" for n in nominations} | {"note": "第一投票箱", "photo": _jpeg("tally.jpg")},
        PaperTally.objects.count,
    )


def new_household() -> Posting:
    building = BuildingFactory()
    url = reverse("families:organize_household_new")
    data = {"building": building.pk, "door_label": "8单元808", "display_name": "周家", "head_name": "周大海"}
    return Posting(_organizer(), url, url, lambda: data, Household.objects.count)


def new_person() -> Posting:
    household = HouseholdFactory()
    url = reverse("families:organize_household", args=[household.pk])
    data = {"form": "resident", "new-full_name": "赵六", "new-phone": "13900001111"}
    return Posting(_organizer(), url, url, lambda: data, Resident.objects.count, form="resident")


def new_grid() -> Posting:
    default_community()  # the street's one community: a new grid goes in it without being asked
    url = reverse("families:organize_grid_new")
    data = {"name": "第五网格", "worker_name": "刘网格员", "sort_order": "5"}
    return Posting(_organizer(), url, url, lambda: data, Grid.objects.count)


def new_community() -> Posting:
    url = reverse("families:organize_community_new")
    data = {"name": "和平社区", "slug": "heping", "committee_name": "和平社区居民委员会", "sort_order": "1"}
    return Posting(_organizer(), url, url, lambda: data, Community.objects.count)


def new_building() -> Posting:
    grid = GridFactory()
    url = reverse("families:organize_building_new")
    data = {"grid": grid.pk, "name": "和平苑B座", "address": "", "ethos": "", "sort_order": "0"}
    return Posting(_organizer(), url, url, lambda: data, Building.objects.count)


def new_motto() -> Posting:
    user, member = _member()
    url = reverse("families:household_motto", args=[member.household_id])
    return Posting(
        user, url, url, lambda: {"form": "motto", "text": "家和万事兴"}, MottoRevision.objects.count, "motto"
    )


def register_upload() -> Posting:
    url = reverse("families:organize_import")
    content = csv_bytes(GOOD_ROWS, encoding="gbk")
    return Posting(
        _organizer(),
        url,
        url,
        lambda: {"file": SimpleUploadedFile("台账.csv", content, content_type="text/csv")},
        RegisterImport.objects.count,
    )


def nominate() -> Posting:
    entry = make_entry(make_round("nominating"), TargetKind.HOUSEHOLD)
    target = HouseholdFactory()
    user, _member_ = _member()
    return Posting(
        user,
        reverse("awards:nominate", args=[entry.round_id]) + f"?entry={entry.pk}&building={target.building_id}",
        reverse("awards:nominate", args=[entry.round_id]),
        lambda: {
            "step": "submit",
            "entry": entry.pk,
            "building": target.building_id,
            "household": target.pk,
            "citation": CITATION,
        },
        Nomination.objects.count,
    )


def second() -> Posting:
    nomination = make_nomination(make_entry(make_round("nominating")), status=NominationStatus.SUBMITTED)
    user, _member_ = _member()
    return Posting(
        user,
        reverse("awards:nomination", args=[nomination.pk]),
        reverse("awards:second", args=[nomination.pk]),
        dict,
        Second.objects.count,
    )


def objection() -> Posting:
    round = make_round("publicity")
    make_nomination(make_entry(round), is_winner=True)
    user, _member_ = _member()
    return Posting(
        user,
        reverse("awards:round", args=[round.pk]),
        reverse("awards:object", args=[round.pk]),
        lambda: {"nomination": "", "text": "公示名单中的事迹与实际情况不符，请核实。"},
        Objection.objects.count,
    )


def apply_import() -> Posting:
    organizer = _organizer()
    record = check_upload(
        actor=organizer,
        filename="台账.csv",
        content=csv_bytes(GOOD_ROWS),
        grid_ids=None,
        record=RegisterImport.objects.create(uploaded_by=organizer, filename="台账.csv"),
    )
    url = reverse("families:organize_import_preview", args=[record.pk])
    # "Import now" queues the import (a task writes it after the commit): one press, one queued import.
    return Posting(organizer, url, url, dict, RegisterImport.objects.exclude(status="previewed").count)


def start_export() -> Posting:
    return Posting(
        _organizer(),
        reverse("families:organize_export", kwargs={"fmt": "csv"}) + "?background=1",
        reverse("organize_export_start"),
        lambda: {"kind": "families.register", "fmt": "csv", "params": '{"fmt": "csv", "filters": {}}'},
        ExportJob.objects.count,
    )


def start_report() -> Posting:
    url = reverse("organize_reports")
    return Posting(_organizer(), url, url, lambda: {"place": "", "period": "2026-11"}, ExportJob.objects.count)


# URL name (#the form, where one URL serves several) -> how to build the form and what it creates.
CREATE_FORMS: dict[str, Callable[[], Posting]] = {
    "activities:organize_volunteer": award_points,
    "activities:organize_manual_hours": manual_hours,
    "activities:sign_up": sign_up,
    "activities:organize_walk_in": walk_in,
    "activities:attend": attend,
    "activities:correction": correction,
    "activities:redeem": redeem,
    "activities:my_record_issue": service_record,
    "activities:organize_record_issue": organizer_service_record,
    "activities:organize_new": new_activity,
    "activities:organize_types": new_activity_type,
    "activities:organize_store_new": new_store_item,
    "awards:round_new": new_round,
    "awards:entry_new": new_round_category,
    "awards:category_new": new_award_category,
    "awards:paper_tally": paper_tally,
    "families:organize_household_new": new_household,
    "families:organize_household#resident": new_person,
    "families:organize_grid_new": new_grid,
    "families:organize_community_new": new_community,
    "families:organize_building_new": new_building,
    "families:household_motto#motto": new_motto,
    "families:organize_import": register_upload,
    "awards:nominate": nominate,
    "awards:second": second,
    "awards:object": objection,
    "families:organize_import_preview": apply_import,
    "organize_export_start": start_export,
    "organize_reports": start_report,
}
ELSEWHERE: set[str] = set()

# URLs that take a POST but create nothing a resend could double, and why.
NOT_A_CREATE: dict[str, str] = {
    # Pages: a POST shows the page again and writes nothing.
    "organize": "a page",
    "families:motto_card": "a page",
    "families:motto_wall": "a page",
    "families:building_list": "a page",
    "families:building_detail": "a page",
    "families:organize_register": "a page",
    "families:organize_members_waiting": "a page",
    "families:organize_grids": "a page",
    "families:organize_communities": "a page",
    "families:organize_buildings": "a page",
    "families:organize_export": "a download",
    "families:organize_import_status": "a progress report",
    "families:organize_mottos": "a page",
    "organize_audit": "a page",
    "awards:candidates": "a page",
    "awards:category_list": "a page",
    "awards:organize_rounds": "a page",
    "awards:organize_round": "a page",
    "awards:review_list": "a page",
    "awards:export": "a download",
    "activities:list": "a page",
    "activities:mine": "a page",
    "activities:calendar": "a download",
    "activities:detail": "a page",
    "activities:leaderboard": "a page",
    "activities:community_list": "a page",
    "activities:community_leaderboard": "a page",
    "activities:my_points": "a page",
    "activities:my_record": "a page",
    "activities:volunteer": "a page",
    "activities:store": "a page",
    "activities:store_item": "a page",
    "activities:my_redemptions": "a page",
    "activities:organize_activities": "a page",
    "activities:organize_exports": "a page",
    "activities:organize_export_download": "a download",
    "activities:organize_corrections": "a page",
    "activities:organize_sheet": "a page",
    "activities:organize_qr": "a page",
    "activities:organize_volunteers": "a page",
    "activities:organize_record": "a page",
    "activities:organize_store": "a page",
    # Edits: saving the same values twice leaves the same row (edit paths take no token).
    "families:me": "edits my profile and what I show in public",
    "families:organize_household#household": "edits the household; #rotate issues a new code (a second resend makes "
    "another new code, which is what the button asks for)",
    "families:organize_resident": "edits a person",
    "families:organize_grid": "edits a grid",
    "families:organize_community": "edits a community",
    "families:organize_building": "edits a building",
    "families:household_motto#consent": "sets whether the motto is on the wall",
    "awards:category_edit": "edits a category",
    "awards:round_edit": "edits a round's timeline",
    "awards:entry_edit": "edits a category's rules in a round",
    "awards:review": "shortlists or rejects; the same decision again returns early",
    "awards:citation_edit": "keeps the old text as a revision, and the same text again returns early",
    "activities:organize_edit": "edits an activity",
    "activities:organize_store_edit": "edits a store item",
    "activities:organize_attendance": "sets attendance",
    # Actions on one row that move it on: the row is locked and its state checked, so a resend is refused.
    "families:join": "one live membership per account (a conditional unique constraint); the join helper rewrites "
    "joining (#13 item 1)",
    "families:organize_resident_action": "approves or removes a waiting member, once (compare-and-set)",
    "families:organize_join_slips": "a page (the slips); reissuing moved to its own confirmation page",
    "families:organize_reissue_join_codes": "reissues a building's codes after a confirmation page: a resend issues "
    "another new set, which is what the button asks for",
    "awards:link": "links a typed name to a register person under the nomination's lock; a resend finds it linked",
    "notices": "saves the reader's notice settings (an edit of one row per account)",
    "families:organize_motto_review": "reviews a waiting motto, once",
    "awards:withdraw": "withdraws a live nomination, once",
    "awards:decline": "declines a live nomination, once",
    "awards:vote": "one vote per nomination per voter (a unique constraint); a resend says it is on the ballot",
    "awards:unvote": "deletes a vote",
    "awards:close_voting": "ends voting, once (phase checked under a lock)",
    "awards:confirm": "confirms winners, once (phase checked under a lock)",
    "awards:answer": "answers an objection, once (checked under a lock)",
    "awards:publish": "publishes the honours, once (phase checked under a lock)",
    "awards:take_forward": "adds each community winner once (one nomination per target, the round locked)",
    "awards:withdraw_honour": "withdraws an honour, once (checked under a lock)",
    "activities:cancel": "cancels a live sign-up, once",
    "activities:my_redemption_cancel": "cancels a waiting redemption, once",
    "activities:organize_new_code": "issues a new check-in code (a resend makes another, as asked)",
    "activities:organize_call_off": "calls an activity off, once",
    "activities:organize_confirm_all": "confirms waiting hours, once each (unique ledger key per sign-up)",
    "activities:organize_confirm": "confirms hours, once (unique ledger key per sign-up)",
    "activities:organize_cancel_signup": "cancels a live sign-up, once",
    "activities:organize_decide_correction": "answers a waiting correction, once",
    "activities:organize_hand_over": "hands over a waiting redemption, once",
    "activities:organize_cancel_redemption": "cancels a waiting redemption, once",
    "organize_outbox_resend": "queues a failed message again, once (compare-and-set failed → queued)",
    "delete_account": "deletes my account",
}
# Django's admin (for the site's technical staff; organizers work under /organize/) and allauth's account
# pages (sign-up is unique per username and e-mail) are libraries' own forms.
LIBRARY_PREFIXES = ("admin:", "admin/", "account_")


def _patterns(resolvers=None, prefix: str = "", namespace: str = ""):
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            yield (f"{namespace}{entry.name}" if entry.name else route), route


def _concrete(route: str) -> str:
    path = re.sub(r"<int:[^>]+>", "1", route)
    path = re.sub(r"<(?:str|slug|path):[^>]+>", "x", path)
    return "/" + path.lstrip("/")


def _covered(name: str) -> bool:
    keys = [*CREATE_FORMS, *NOT_A_CREATE]
    return name.startswith(LIBRARY_PREFIXES) or any(key.split("#")[0] == name for key in keys)


def test_every_url_that_takes_a_post_is_a_create_form_or_says_why_not(db):
    visitor, organizer = Client(), Client()
    organizer.force_login(_organizer())
    routes = dict(_patterns())
    unlisted = []
    for name, route in routes.items():
        if _covered(name) or "(?P" in route:
            continue
        path = _concrete(route)
        # A view that refuses a POST outright (require_GET, require_safe) takes none.
        if 405 in (visitor.post(path).status_code, organizer.post(path).status_code):
            continue
        unlisted.append(name)
    assert unlisted == [], f"add these to CREATE_FORMS or NOT_A_CREATE: {unlisted}"
    stale = [key for key in [*CREATE_FORMS, *NOT_A_CREATE] if key.split("#")[0] not in routes]
    assert stale == []


def _cases():
    return [
        pytest.param(name, marks=WIRED_ELSEWHERE, id=name) if name in ELSEWHERE else pytest.param(name, id=name)
        for name in CREATE_FORMS
    ]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page_token(client: Client, posting: Posting) -> str:
    page = client.get(posting.page)
    assert page.status_code == 200
    return page_token(page, posting.url, posting.form)


@pytest.mark.django_db
@pytest.mark.parametrize("name", _cases())
def test_a_create_form_sent_twice_makes_one_row_and_the_second_answer_says_so(name):
    posting = CREATE_FORMS[name]()
    client = _signed_in(posting.user)
    token = _page_token(client, posting)
    before = posting.rows()
    first = client.post(posting.url, {**posting.data(), FIELD: token})
    assert first.status_code == 302
    assert posting.rows() == before + 1
    again = client.post(posting.url, {**posting.data(), FIELD: token})
    assert again.status_code == 302
    assert posting.rows() == before + 1
    shown = client.get(again["Location"], follow=True)
    assert shown.status_code == 200
    assert ALREADY_RECORDED in shown.content.decode()
    assert FormSubmission.objects.filter(token=_signed(token)[0]).count() == 1


def _signed(token: str) -> list[str]:
    """What a token says: its nonce, the user's id and the form's name."""
    return signing.Signer(salt="project.formtokens").unsign(token).split(":")


def _form_name(token: str) -> str:
    return _signed(token)[2]


FORGERIES = {
    "missing": lambda posting, token: {},
    "another person's": lambda posting, token: {FIELD: formtokens.new_token(UserFactory(), _form_name(token))},
    "another form's": lambda posting, token: {FIELD: formtokens.new_token(posting.user, "activities.another_form")},
    "tampered": lambda posting, token: {FIELD: token[:-3] + ("abc" if not token.endswith("abc") else "xyz")},
}


def _rows_written() -> dict[str, int]:
    counts = row_counts()
    counts.pop("sessions.Session", None)
    return counts


@pytest.mark.django_db
@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("name", _cases())
def test_a_missing_or_forged_token_changes_nothing_and_shows_the_form_again(name, forgery):
    posting = CREATE_FORMS[name]()
    client = _signed_in(posting.user)
    token = _page_token(client, posting)
    forged = FORGERIES[forgery](posting, token)
    before = _rows_written()
    response = client.post(posting.url, {**posting.data(), **forged}, follow=True)
    assert response.status_code == 200
    assert _rows_written() == before
    assert EXPIRED in response.content.decode()
    fresh = page_token(response, posting.url, posting.form)  # the form again, with a new token
    assert fresh != token
    assert any(form.token == fresh for form in page_forms(response))


def _at_once(client_count: int, send: Callable[[Client], object], clients: list[Client]) -> list:
    barrier = threading.Barrier(client_count)
    answers: list = [None] * client_count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            answers[index] = send(clients[index])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(client_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", _cases())
def test_a_create_form_sent_three_times_at_once_makes_one_row(postgres, name):
    posting = CREATE_FORMS[name]()
    clients = [_signed_in(posting.user) for _ in range(3)]
    token = _page_token(clients[0], posting)
    before = posting.rows()
    answers = _at_once(3, lambda client: client.post(posting.url, {**posting.data(), FIELD: token}), clients)
    assert posting.rows() == before + 1
    assert [answer.status_code for answer in answers] == [302, 302, 302]
    told = [  # the first answer may be a file (a service record's PDF), hence errors="replace"
        ALREADY_RECORDED in client.get(answer["Location"], follow=True).content.decode(errors="replace")
        for client, answer in zip(clients, answers, strict=True)
    ]
    assert sorted(told) == [False, True, True]
