"""The 公示 notice on paper: an organizer prints the round's shortlist or winners for the bulletin board, A4 or A3,
in Chinese, with public names only, the publicity period, how to object (a QR code to the objection page, and in
person) and the issuing committee with the date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from awards import paper as awards_paper
from awards.models import NominationStatus, TargetKind
from families.models import Community, GridAssignment
from project.access import make_organizer
from tests import paper
from tests.awards.board_factories import HonourFactory
from tests.awards.factories import make_entry, make_nomination, make_round
from tests.awards.paper_checks import text_past_the_edge
from tests.factories import CommunityFactory, GridFactory, HouseholdFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db

SIZES = {"a4": paper.A4, "a3": paper.A3}


@pytest.fixture(autouse=True)
def community(settings):
    settings.COMMUNITY_NAME = "幸福里社区"


def notice_url(round, size="a4"):
    return f"/organize/rounds/{round.pk}/notice.pdf?size={size}"


def happy_community():
    found = Community.objects.filter(name="幸福里社区").first()
    return found or CommunityFactory(name="幸福里社区", committee_name="幸福里社区居民委员会")


def elected_round(phase="publicity", *, suffix="", **kwargs):
    """A round whose winners are confirmed: a consenting person, a person who did not consent, a household that
    agreed to be named, and a runner-up who is not elected."""
    place = {"community": happy_community()}
    round = make_round(phase, **{"title": "2026年度幸福里评选", **place, **kwargs})
    people = make_entry(round, TargetKind.PERSON, name=f"身边好人{suffix}")
    households = make_entry(round, TargetKind.HOUSEHOLD, name=f"五好家庭{suffix}")
    make_nomination(
        people,
        target=ResidentFactory(
            full_name="张秀英", show_name_publicly=True, household__building__name=f"光明楼{suffix}"
        ),
        is_winner=True,
    )
    make_nomination(
        people,
        target=ResidentFactory(
            full_name="李不愿", show_name_publicly=False, household__building__name=f"和平楼{suffix}"
        ),
        is_winner=True,
    )
    make_nomination(people, target=ResidentFactory(full_name="落选者", show_name_publicly=True))
    make_nomination(
        households,
        target=HouseholdFactory(display_name="陈家", show_publicly=True, building__name=f"友谊楼{suffix}"),
        is_winner=True,
    )
    return round


@pytest.mark.parametrize("size", ["a4", "a3"])
def test_the_notice_of_the_winners_is_printed_in_chinese_on_the_sheet_asked_for(organizer_client, size):
    round = elected_round()
    response = organizer_client.get(notice_url(round, size), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    data = response.content
    sizes = paper.page_sizes(data)
    assert sizes and all(paper.is_size(s, SIZES[size]) for s in sizes)
    text = paper.text(data).replace(" ", "")
    for expected in ("2026年度幸福里评选", "评选结果公示", "身边好人", "张秀英", "五好家庭", "友谊楼·陈家", "公示期"):
        assert expected in text, expected
    # Chinese even though the organizer reads the site in English, and the issuing committee signs it with a date.
    assert "和平楼的一位居民" in text
    assert text.count("幸福里社区居民委员会") >= 2
    assert f"{timezone.localdate():%Y}年{timezone.localdate().month}月{timezone.localdate().day}日" in text
    end = timezone.localtime(round.publicity_end_at)
    assert f"{end.year}年{end.month}月{end.day}日" in text
    assert "落选者" not in text  # a runner-up is not elected
    fonts = paper.fonts(data)
    assert fonts and all(fonts.values()), fonts
    assert all(share > 0.001 for share in paper.inked_pages(data))


def test_a_nominee_who_did_not_agree_to_be_named_is_not_named_on_the_notice(organizer_client):
    """Abuse case: the bulletin board is public; a name the person kept private must never be posted."""
    round = elected_round()
    text = paper.text(organizer_client.get(notice_url(round)).content)
    assert "李不愿" not in text
    assert "张秀英" in text


def test_the_qr_code_opens_the_rounds_objection_page_which_leads_to_the_objections(organizer_client, client):
    round = elected_round()
    data = organizer_client.get(notice_url(round)).content
    objection_url = f"http://testserver/rounds/{round.pk}/objection/"
    assert paper.qr_codes(data) == [[objection_url]]
    assert objection_url in paper.link_targets(data)
    # A phone that opens it (signed in or not) lands on the round's objections and their form.
    opened = client.get(objection_url)
    assert opened.status_code == 302 and opened["Location"] == f"/rounds/{round.pk}/#objections"


def test_the_qr_code_points_at_site_url_when_it_is_set(organizer_client, settings):
    settings.SITE_URL = "https://honours.example.org"
    round = elected_round()
    data = organizer_client.get(notice_url(round)).content
    assert paper.qr_codes(data) == [[f"https://honours.example.org/rounds/{round.pk}/objection/"]]


def test_the_in_person_objection_text_comes_from_the_setting(organizer_client, settings):
    round = elected_round()
    default = paper.text(organizer_client.get(notice_url(round)).content).replace(" ", "")
    assert "幸福里社区居民委员会办公室" in default
    settings.AWARDS_OBJECTION_IN_PERSON = "社区党群服务中心一楼，每天9:00至17:00"
    settings.AWARDS_ISSUER = "幸福街道办事处"
    text = paper.text(organizer_client.get(notice_url(round)).content).replace(" ", "")
    assert "社区党群服务中心一楼，每天9:00至17:00" in text
    assert "幸福街道办事处" in text and "居民委员会" not in text
    assert round.issuing_body() == "幸福街道办事处"


def test_a_community_without_a_committee_name_issues_as_its_residents_committee():
    community = CommunityFactory(name="光明社区", committee_name="")
    assert make_round("publicity", community=community).issuing_body() == "光明社区居民委员会"


def test_a_street_rounds_notice_is_issued_by_the_street_office(organizer_client, settings):
    settings.STREET_NAME = "和平街道办事处"
    round = elected_round(community=None)
    assert round.issuing_body() == "和平街道办事处"
    text = paper.text(organizer_client.get(notice_url(round)).content).replace(" ", "")
    assert text.count("和平街道办事处") >= 2 and "居民委员会" not in text


def test_during_voting_the_notice_posts_the_shortlist_and_where_to_vote(organizer_client):
    round = make_round("voting", title="2026年度评选")
    entry = make_entry(round, TargetKind.BUILDING, name="文明楼院")
    make_nomination(entry, target=ResidentFactory().household.building)
    make_nomination(entry, target=GridFactory().buildings.create(name="入围楼"))
    make_nomination(entry, target=GridFactory().buildings.create(name="未入围楼"), status=NominationStatus.REJECTED)
    make_nomination(entry, target=GridFactory().buildings.create(name="待审楼"), status=NominationStatus.SUBMITTED)
    data = organizer_client.get(notice_url(round)).content
    text = paper.text(data).replace(" ", "")
    assert "候选名单公示" in text and "入围楼" in text
    assert "未入围楼" not in text and "待审楼" not in text
    assert paper.qr_codes(data) == [[f"http://testserver/rounds/{round.pk}/"]]


@pytest.mark.parametrize("phase", ["draft", "nominating", "reviewing", "counting"])
def test_a_round_with_nothing_to_post_is_refused_with_a_message(organizer_client, phase):
    round = make_round("nominating", announced=False) if phase == "draft" else make_round(phase)
    entry = make_entry(round)
    make_nomination(entry)
    response = organizer_client.get(notice_url(round), follow=True)
    assert response.redirect_chain[-1][0] == f"/organize/rounds/{round.pk}/"
    assert "还没有可公示的内容" in response.content.decode()


def test_a_shortlist_of_nobody_is_refused_too(organizer_client):
    round = make_round("voting")
    make_entry(round)
    response = organizer_client.get(notice_url(round))
    assert response.status_code == 302


def test_an_unknown_sheet_size_is_refused_with_a_message(organizer_client):
    round = elected_round()
    response = organizer_client.get(notice_url(round, "letter"), follow=True)
    assert "A4或A3" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/organize/rounds/{round.pk}/"


def test_after_publication_a_withdrawn_honour_is_no_longer_posted(organizer_client):
    round = elected_round("published")
    entry = round.entries.get(category__name="身边好人")
    standing = HonourFactory(
        round=round,
        category=entry.category,
        person_target=True,
        resident__full_name="王留下",
        resident__show_name_publicly=True,
    )
    HonourFactory(
        round=round,
        category=entry.category,
        person_target=True,
        resident__full_name="赵撤销",
        resident__show_name_publicly=True,
        withdrawn_at=timezone.now(),
    )
    text = paper.text(organizer_client.get(notice_url(round)).content)
    assert standing.resident.full_name in text
    assert "赵撤销" not in text


def test_only_organizers_print_the_notice(client, resident_client, organizer_client):
    round = elected_round()
    assert client.get(notice_url(round)).status_code == 302  # visitors log in first
    assert resident_client.get(notice_url(round)).status_code == 403
    worker = UserFactory(username="worker")
    make_organizer(user=worker)
    GridAssignment.objects.create(user=worker, grid=GridFactory(community=round.community))
    client.force_login(worker)
    # A grid worker of the round's community has the round's desk too; the notice holds only what is posted in public anyway.
    assert client.get(notice_url(round)).status_code == 200
    assert client.post(notice_url(round)).status_code == 405


def test_a_hostile_round_title_and_long_in_person_text_print_as_text_and_wrap(settings):
    hostile = "<script>alert(1)</script>"
    settings.AWARDS_OBJECTION_IN_PERSON = hostile + "长" * 1000 + "x" * 1000
    round = elected_round(title=hostile + "y" * 70)
    people = round.entries.get(category__name="身边好人")
    make_nomination(
        people, target=ResidentFactory(full_name=hostile + "z" * 25, show_name_publicly=True), is_winner=True
    )
    document = awards_paper.notice(round, origin="http://testserver", size="a4")
    assert text_past_the_edge(document) == []  # every line wrapped inside the sheet
    data = document.write_pdf()
    assert paper.text(data).count(hostile) == 3  # the title, the name and the in-person text, as text
    assert len(paper.page_sizes(data)) >= 2  # the long text flowed onto another page


def test_the_notice_reads_a_constant_number_of_queries(organizer_client):
    def queries(round):
        with CaptureQueriesContext(connection) as captured:
            assert organizer_client.get(notice_url(round)).status_code == 200
        return len(captured)

    small = elected_round()
    big = elected_round(suffix="2")
    entry = big.entries.get(category__name="身边好人2")
    for n in range(12):
        make_nomination(entry, target=ResidentFactory(show_name_publicly=True), is_winner=True)
    assert queries(small) == queries(big)


def test_the_publicity_period_starts_when_the_winners_were_confirmed(organizer_client):
    confirmed = timezone.now() - timedelta(days=3)
    round = elected_round(results_confirmed_at=confirmed)
    text = paper.text(organizer_client.get(notice_url(round)).content).replace(" ", "")
    start = timezone.localtime(confirmed)
    assert f"{start.year}年{start.month}月{start.day}日" in text


@pytest.mark.parametrize("extra_people", [0, 25, 30, 34])
def test_the_signature_is_never_alone_on_a_page(organizer_client, extra_people):
    """Bug seen on the demo round: the issuer and date fell alone onto a second page, which signs nothing. Whatever
    the length of the list, the page with the signature also holds the ways to object."""
    round = elected_round()
    people = next(entry for entry in round.entries.all() if entry.target_kind == TargetKind.PERSON)
    for n in range(extra_people):
        make_nomination(people, target=ResidentFactory(full_name=f"好人{n}", show_name_publicly=True), is_winner=True)
    pages = [page.replace(" ", "") for page in paper.page_texts(organizer_client.get(notice_url(round)).content)]
    signed_on = timezone.localdate().strftime("%Y年%-m月%-d日")
    assert "当面提出异议" in pages[-1].rsplit(signed_on, 1)[0], (
        pages
    )  # the last page: the ways to object, then the date
