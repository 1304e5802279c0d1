"""From an Excel register to a motto on the public wall, in the browser on a phone, in Chinese.

An organizer imports a GBK CSV with one bad row, sees the row-numbered problem,
fixes the file and imports it; a resident joins with the household's code and
writes a motto; the organizer approves it; it appears on the wall; a resident
of another household cannot edit it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from families.models import Household, MottoRevision
from project.models import Profile
from tests.factories import HouseholdFactory, UserFactory, make_street_organizer, verified_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "网格,楼院,门牌,家庭名称,户主,姓名,电话\r\n"
GOOD = "第一网格,幸福里1号楼,1单元101,王家,王建国,王建国,13812345678\r\n"
BAD = "第一网格,幸福里1号楼,1单元102,李家,李强,李强,1234\r\n"
FIXED = "第一网格,幸福里1号楼,1单元102,李家,李强,李强,13912345678\r\n"
MOTTO = "孝老爱亲，勤俭持家，邻里和睦。"


def _log_out(page):
    page.context.clear_cookies()


def test_excel_register_to_a_motto_on_the_wall(live_server, page, login, tmp_path):
    make_street_organizer(UserFactory(username="staff"))
    # 王建国's number is in the register; his account verified it, so the code links him at once.
    laowang = UserFactory(username="laowang")
    Profile.objects.filter(user=laowang).update(phone="+8613812345678", phone_verified=True)
    verified_user(HouseholdFactory(), username="neighbour")
    households_before = Household.objects.count()

    # The organizer uploads the file as Excel on Chinese Windows saves it (GBK), with one bad phone number.
    bad_file = tmp_path / "台账.csv"
    bad_file.write_bytes((HEADER + GOOD + BAD).encode("gbk"))
    login(page, "staff")
    page.goto(live_server.url + "/organize/register/import/")
    page.get_by_label("台账文件").set_input_files(str(bad_file))
    page.get_by_role("button", name="检查文件").click()
    problems = page.locator(".problems")
    expect(problems).to_contain_text("第 3 行")
    expect(problems).to_contain_text("1234")
    expect(page.get_by_role("button", name="立即导入")).to_have_count(0)
    assert Household.objects.count() == households_before

    # Fixed and uploaded again: no problems, then one click imports everything.
    fixed_file = tmp_path / "台账-改正.csv"
    fixed_file.write_bytes((HEADER + GOOD + FIXED).encode("gbk"))
    page.get_by_role("link", name="上传改正后的文件").click()
    page.get_by_label("台账文件").set_input_files(str(fixed_file))
    page.get_by_role("button", name="检查文件").click()
    expect(page.locator(".import-summary")).to_contain_text("新增住户 2 户")
    page.get_by_role("button", name="立即导入").click()
    expect(page.get_by_role("heading", name="已导入")).to_be_visible()
    household = Household.objects.get(door_label="1单元101")

    # A resident joins with the code from the slip and writes the household's motto.
    _log_out(page)
    login(page, "laowang")
    page.goto(live_server.url + "/join/")
    page.get_by_label("入户码").fill(household.join_code.lower())
    page.get_by_label("您的姓名").fill("王建国")
    page.get_by_role("button", name="加入", exact=True).click()
    page.get_by_role("link", name="我家家训").click()
    page.get_by_label("我家家训").fill(MOTTO)
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".revisions")).to_contain_text("待审核")
    page.get_by_label("在家训墙上展示我家已通过的家训").check()
    page.get_by_role("button", name="保存我的选择").click()
    expect(page.locator(".messages")).to_contain_text("家训墙")

    # The organizer approves it from the queue.
    _log_out(page)
    login(page, "staff")
    page.goto(live_server.url + "/organize/")
    page.get_by_role("link", name="条家训待审核").click()
    page.get_by_label("通过", exact=True).check()
    page.get_by_role("button", name="保存审核结果").click()
    expect(page.locator(".messages")).to_contain_text("家训已审核通过")

    # Anyone sees it on the wall, without the door number.
    _log_out(page)
    page.goto(live_server.url + "/mottos/")
    expect(page.locator(".motto-grid")).to_contain_text(MOTTO)
    expect(page.locator("main")).not_to_contain_text("1单元101")

    # A resident of another household cannot edit it, and nothing changed.
    login(page, "neighbour")
    response = page.goto(f"{live_server.url}/households/{household.pk}/motto/")
    assert response.status == 404
    assert list(MottoRevision.objects.values_list("text", "status")) == [(MOTTO, "approved")]
