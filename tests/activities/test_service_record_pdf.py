"""The volunteer service record (志愿服务记录证明) on paper: a numbered PDF issued once per form, drawn from what
the record kept, with a QR code to a public verify page that shows only what may be public."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.models import ServiceRecord
from families.models import GridAssignment
from project.access import make_organizer
from project.models import AuditEntry
from tests import paper
from tests.factories import GridFactory, HouseholdFactory, ResidentFactory, UserFactory
from tests.tokens import page_token, token

from .factories import finished_activity, present

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>" + "长" * 1000 + "x" * 975  # 2,000 characters


def _served(organizer, person, *, title: str = "楼道清理", hours: int = 3, days_ago: int = 1):
    activity = finished_activity(title=title, hours=hours, starts_in=-timedelta(days=days_ago))
    return services.confirm_hours(signup=present(activity, person), actor=organizer)


def _period(days: int = 60) -> dict[str, str]:
    today = timezone.localdate()
    return {"start": (today - timedelta(days=days)).isoformat(), "end": today.isoformat()}


def _issue(client, user, url: str, period: dict | None = None):
    data = {**(period or _period()), **token(user, services.SERVICE_RECORD_FORM)}
    return client.post(url, data)


def _download(client, response) -> bytes:
    assert response.status_code == 302, response.status_code
    pdf_response = client.get(response["Location"])
    assert pdf_response.status_code == 200
    assert pdf_response["Content-Type"] == "application/pdf"
    return pdf_response.content


def _flat(data: bytes) -> str:
    return paper.text(data).replace(" ", "")


# --- Issuing -------------------------------------------------------------------------------


def test_a_resident_issues_their_record_as_a_pdf_from_the_preview_page(resident_client, resident, member, organizer):
    member.full_name = "王秀英"
    member.save(update_fields=["full_name"])
    _served(organizer, member, title="楼道杂物清理", hours=3, days_ago=10)
    _served(organizer, member, title="敬老院探访", hours=2, days_ago=3)
    preview = resident_client.get(reverse("activities:my_record"), _period())
    issue_url = reverse("activities:my_record_issue")
    data = {**_period(), "form_token": page_token(preview, issue_url)}

    response = resident_client.post(issue_url, data)

    record = ServiceRecord.objects.get()
    assert response["Location"] == reverse("activities:record_pdf", args=[record.number])
    assert (record.resident, record.issued_by, record.half_hours, len(record.lines)) == (member, resident, 10, 2)
    assert record.number == f"FW{timezone.localdate().year}-000001"
    text = _flat(_download(resident_client, response))
    for expected in ("王秀英", "楼道杂物清理", "敬老院探访", "志愿服务记录证明", record.number, "5", record.issuer):
        assert expected in text, expected
    assert AuditEntry.objects.filter(action="activities.service_record_issued", target_id=str(record.pk)).exists()
    # The preview lists it for downloading again.
    again = resident_client.get(reverse("activities:my_record"))
    assert reverse("activities:record_pdf", args=[record.number]) in again.content.decode()


def test_the_same_form_sent_twice_issues_one_record(resident_client, resident, member, organizer):
    _served(organizer, member)
    data = {**_period(), **token(resident, services.SERVICE_RECORD_FORM)}
    first = resident_client.post(reverse("activities:my_record_issue"), data)
    second = resident_client.post(reverse("activities:my_record_issue"), data)
    assert ServiceRecord.objects.count() == 1
    assert first["Location"] == reverse("activities:record_pdf", args=[ServiceRecord.objects.get().number])
    # The second send goes to the list of records issued, which links the one PDF, and says why.
    assert second.status_code == 302 and second["Location"] == reverse("activities:my_record")
    page = resident_client.get(second["Location"]).content.decode()
    assert first["Location"] in page and "已经记录过了" in page


def test_a_bad_period_is_refused_with_a_message_and_issues_nothing(resident_client, resident):
    today = timezone.localdate()
    resident_client.cookies["django_language"] = "en"
    for period, message in (
        ({"start": today.isoformat(), "end": (today - timedelta(days=5)).isoformat()}, "must not be before its start"),
        ({"start": today.isoformat(), "end": (today + timedelta(days=5)).isoformat()}, "cannot end after today"),
        ({"start": "yesterday", "end": today.isoformat()}, "Enter a valid date"),
    ):
        response = _issue(resident_client, resident, reverse("activities:my_record_issue"), period)
        assert response.status_code == 302 and response["Location"].startswith(reverse("activities:my_record"))
        assert message in resident_client.get(response["Location"]).content.decode(), message
    assert ServiceRecord.objects.count() == 0


def test_a_resident_cannot_issue_or_download_someone_else_s_record(
    resident_client, neighbour_client, neighbour, member, organizer
):
    _served(organizer, member)
    issued = _issue(resident_client, member.user, reverse("activities:my_record_issue"))
    record = ServiceRecord.objects.get()
    # The neighbour's own issue form always issues the neighbour's record: there is no resident to choose.
    _issue(neighbour_client, neighbour, reverse("activities:my_record_issue"))
    assert ServiceRecord.objects.exclude(pk=record.pk).get().resident == neighbour.residencies.get()
    # Someone else's record, or the organizer's form for it, is not there for them.
    assert neighbour_client.get(issued["Location"]).status_code == 404
    organizer_form = reverse("activities:organize_record_issue", args=[member.pk])
    assert _issue(neighbour_client, neighbour, organizer_form).status_code == 403
    assert ServiceRecord.objects.count() == 2


def test_an_organizer_prints_the_record_for_a_resident_without_a_phone(organizer_client, organizer):
    person = ResidentFactory(full_name="李大爷", user=None)
    _served(organizer, person, title="小区巡逻")
    response = _issue(organizer_client, organizer, reverse("activities:organize_record_issue", args=[person.pk]))
    record = ServiceRecord.objects.get()
    assert (record.resident, record.issued_by) == (person, organizer)
    text = _flat(_download(organizer_client, response))
    assert "李大爷" in text and "小区巡逻" in text


def test_a_grid_worker_cannot_print_or_download_another_grid_s_resident(client, organizer):
    worker = UserFactory(username="gridworker")
    make_organizer(user=worker)
    GridAssignment.objects.create(user=worker, grid=GridFactory())
    elsewhere = ResidentFactory()
    _served(organizer, elsewhere)
    record = services.issue_service_record(
        resident=elsewhere, start=timezone.localdate() - timedelta(days=30), end=timezone.localdate(), actor=organizer
    )
    client.force_login(worker)
    assert client.get(reverse("activities:organize_record", args=[elsewhere.pk])).status_code == 404
    assert _issue(client, worker, reverse("activities:organize_record_issue", args=[elsewhere.pk])).status_code == 404
    assert client.get(reverse("activities:record_pdf", args=[record.number])).status_code == 404
    assert ServiceRecord.objects.count() == 1


def test_the_record_keeps_what_it_said_when_hours_change_later(resident_client, resident, member, organizer):
    _served(organizer, member, hours=3)
    response = _issue(resident_client, resident, reverse("activities:my_record_issue"))
    _served(organizer, member, title="后来的活动", hours=2)
    text = _flat(_download(resident_client, response))
    assert "后来的活动" not in text
    assert ServiceRecord.objects.get().hours_text == "3"


# --- The paper itself ---------------------------------------------------------------------


def test_the_pdf_is_a4_with_embedded_fonts_inked_at_300_dpi(resident_client, resident, member, organizer):
    _served(organizer, member)
    data = _download(resident_client, _issue(resident_client, resident, reverse("activities:my_record_issue")))
    assert all(paper.is_size(size, paper.A4) for size in paper.page_sizes(data))
    fonts = paper.fonts(data)
    assert fonts and all(fonts.values()), fonts
    assert all(share > 0.0005 for share in paper.inked_pages(data, dpi=300))


def test_its_qr_code_opens_the_exact_verify_url(resident_client, resident, member, organizer, settings):
    settings.SITE_URL = "https://honours.example.cn"
    _served(organizer, member)
    data = _download(resident_client, _issue(resident_client, resident, reverse("activities:my_record_issue")))
    record = ServiceRecord.objects.get()
    verify = "https://honours.example.cn" + reverse("activities:verify_record", args=[record.number])
    assert verify.endswith(f"/verify/record/{record.number}/")
    assert paper.qr_codes(data)[-1] == [verify]
    assert verify in paper.link_targets(data)


def test_many_activities_run_over_several_pages_each_naming_the_record(resident_client, resident, member, organizer):
    for day in range(1, 46):
        _served(organizer, member, title=f"社区活动第{day}次", hours=1, days_ago=day)
    data = _download(resident_client, _issue(resident_client, resident, reverse("activities:my_record_issue")))
    number = ServiceRecord.objects.get().number
    pages = [text.replace(" ", "") for text in paper.page_texts(data)]
    assert len(pages) >= 2
    for page in pages:
        assert number in page and "日期" in page and "活动" in page  # the record's header and the table's, repeated
    assert all(f"社区活动第{day}次" in "".join(pages) for day in range(1, 46))
    assert "45" in pages[-1]


def test_a_hostile_name_and_activity_title_are_printed_as_text_and_wrap(resident_client, resident, member, organizer):
    """Titles are at most 100 characters and names 50 when they are saved, but the paper does not count on it:
    a record's kept lines with a 2,000-character title still print in full, as text, on A4 sheets."""
    member.full_name = "<script>alert(2)</script>" + "名" * 25
    member.save(update_fields=["full_name"])
    _served(organizer, member, title="<b>粗</b>" + "x" * 92)
    response = _issue(resident_client, resident, reverse("activities:my_record_issue"))
    record = ServiceRecord.objects.get()
    record.lines[0]["title"] = HOSTILE
    ServiceRecord.objects.filter(pk=record.pk).update(lines=record.lines)

    data = _download(resident_client, response)

    text = paper.text(data)
    assert "<script>alert(1)</script>" in text and "<script>alert(2)</script>" in text
    assert text.count("长") >= 1000 and text.count("x") >= 975  # all of it on the paper
    sizes = paper.page_sizes(data)
    assert len(sizes) >= 2  # the long title wrapped and flowed onto another page instead of off the sheet
    assert all(paper.is_size(size, paper.A4) for size in sizes)


def test_an_english_reader_gets_the_record_in_english(resident_client, resident, member, organizer):
    _served(organizer, member, title="楼道清理")
    resident_client.cookies["django_language"] = "en"
    data = _download(resident_client, _issue(resident_client, resident, reverse("activities:my_record_issue")))
    text = paper.text(data)
    assert "Volunteer service record" in text and "Record number" in text and "Total" in text
    assert "楼道清理" in text  # the activity's own name stays as it was written
    assert "志愿服务记录证明" not in text and "合计" not in text


# --- The public verify page ---------------------------------------------------------------


def _issued_for(person, organizer) -> ServiceRecord:
    _served(organizer, person, hours=4)
    today = timezone.localdate()
    return services.issue_service_record(resident=person, start=today - timedelta(days=30), end=today, actor=organizer)


@pytest.mark.parametrize("consent", [True, False])
def test_the_verify_page_shows_only_the_public_facts(client, organizer, consent):
    """Record numbers run in sequence, so anyone can try the next one: that is why this page shows nothing
    private, and needs no rate limit. The door, the phone, the activities and the full name (without consent)
    stay off it."""
    household = HouseholdFactory(door_label="3单元502", display_name="赵家")
    person = ResidentFactory(
        household=household, full_name="赵桂兰", phone="+8613912345678", show_name_publicly=consent
    )
    record = _issued_for(person, organizer)

    response = client.get(reverse("activities:verify_record", args=[record.number]))

    page = response.content.decode()
    assert response.status_code == 200
    for shown in (record.number, "4", record.issuer, record.period_start.isoformat(), record.period_end.isoformat()):
        assert shown in page, shown
    for private in ("3单元502", "13912345678", "赵家", record.lines[0]["title"]):
        assert private not in page, private
    if consent:
        assert "赵桂兰" in page
    else:
        assert "赵桂兰" not in page and person.household.building.name in page  # "a resident of <building>"


def test_the_verify_page_needs_no_login_and_speaks_english(client, organizer):
    record = _issued_for(ResidentFactory(show_name_publicly=True), organizer)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("activities:verify_record", args=[record.number.lower()])).content.decode()
    assert "Check a volunteer service record" in page and record.number in page


def test_an_unknown_number_is_a_404(client, organizer):
    record = _issued_for(ResidentFactory(), organizer)
    unknown = ServiceRecord.format_number(timezone.localdate().year, 999999)
    assert client.get(reverse("activities:verify_record", args=[unknown])).status_code == 404
    assert client.get(f"/verify/record/{record.number}x/").status_code == 404


def test_the_verify_page_answers_from_the_issued_row_not_from_today_s_hours(client, organizer):
    """What the paper said is stored: hours confirmed after the record was issued (or a total a forger typed
    into the PDF) do not change what the verify page confirms."""
    person = ResidentFactory()
    record = _issued_for(person, organizer)
    _served(organizer, person, hours=9)
    page = client.get(reverse("activities:verify_record", args=[record.number])).content.decode()
    assert "<dd>4</dd>" in page and "<dd>13</dd>" not in page


# --- Numbers -------------------------------------------------------------------------------


def test_numbers_run_in_sequence_per_year(organizer):
    person = ResidentFactory()
    _served(organizer, person)
    today = timezone.localdate()
    numbers = [
        services.issue_service_record(resident=person, start=today, end=today, actor=organizer).number for _ in range(3)
    ]
    assert numbers == [ServiceRecord.format_number(today.year, n) for n in (1, 2, 3)]


def test_the_preview_page_s_queries_do_not_grow_with_records_issued(
    resident_client, member, organizer, django_assert_max_num_queries
):
    _served(organizer, member)
    today = timezone.localdate()
    services.issue_service_record(resident=member, start=today, end=today, actor=organizer)
    with django_assert_max_num_queries(40) as few:
        resident_client.get(reverse("activities:my_record"))
    for day in range(2, 7):
        _served(organizer, member, days_ago=day)
        services.issue_service_record(resident=member, start=today, end=today, actor=organizer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        resident_client.get(reverse("activities:my_record"))


def test_the_record_is_issued_by_the_committee_of_the_residents_community(organizer, settings):
    """Each community's residents get records signed by their own committee (the street has several); the
    setting ACTIVITIES_RECORD_ISSUER still overrides it."""
    from activities import conf
    from tests.factories import CommunityFactory, ResidentFactory

    community = CommunityFactory(name="和平社区", committee_name="和平社区居民委员会")
    resident = ResidentFactory(household__building__grid__community=community)
    assert conf.record_issuer(resident) == "和平社区居民委员会"
    settings.ACTIVITIES_RECORD_ISSUER = "幸福街道志愿服务站"
    assert conf.record_issuer(resident) == "幸福街道志愿服务站"


def test_a_resident_cannot_take_numbers_without_end(resident_client, resident, member, settings):
    """The abuse case: every record takes a number kept forever, so a script sending the form again and again with
    fresh tokens is stopped at ACTIVITIES_RECORDS_PER_DAY a day, with a message, and issues nothing more."""
    settings.ACTIVITIES_RECORDS_PER_DAY = 3
    for _ in range(3):
        assert _issue(resident_client, resident, "/points/record/issue/").status_code == 302
    refused = _issue(
        resident_client,
        resident,
        "/points/record/issue/",
    )
    assert ServiceRecord.objects.filter(resident=member).count() == 3
    page = (
        resident_client.get(refused["Location"]).content.decode()
        if refused.status_code == 302
        else refused.content.decode()
    )
    assert "今天已为这位居民开具 3 份服务记录证明" in page
