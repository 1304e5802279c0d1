"""Importing the register from CSV and XLSX: every problem by row number, all or nothing, idempotent."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation

from families.models import Building, Grid, Household, RegisterImport, Resident
from families.register_io import check_register
from project.models import AuditEntry
from tests.factories import BuildingFactory, GridFactory, HouseholdFactory, make_grid_worker
from tests.project.test_access_sweep import row_counts
from tests.tokens import token

from . import helpers
from .helpers import GOOD_ROWS, HEADERS_EN, apply_import, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
UPLOAD = "families.import_upload"


def _token(user) -> str:
    """A valid "Import now" token, as a page would render it (for pages that show no form)."""
    from project.formtokens import new_token

    return new_token(user, "families.apply_import")


def _counts():
    return (Grid.objects.count(), Building.objects.count(), Household.objects.count(), Resident.objects.count())


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_every_encoding_excel_saves_is_read(encoding):
    plan = check_register(csv_bytes(GOOD_ROWS, encoding=encoding), "台账.csv")
    assert plan.errors == []
    assert ("幸福里1号楼", "1单元101") in plan.households
    assert {r.name for r in plan.residents} == {"王建国", "李秀英", "张伟", "刘芳"}


def test_xlsx_with_english_headers_and_numeric_phones_is_read():
    rows = [[*row[:6], int(row[6].replace(" ", "").replace("+86", "")) if row[6] else None] for row in GOOD_ROWS]
    plan = check_register(xlsx_bytes(rows, headers=HEADERS_EN), "register.xlsx")
    assert plan.errors == []
    assert [r.phone for r in plan.residents][0] == "+8613812345678"  # stored in E.164


def test_a_new_household_without_a_name_is_named_after_its_head():
    plan = check_register(csv_bytes(GOOD_ROWS), "a.csv")
    assert plan.households[("和平苑A座", "2单元301")].display_name == "刘家"


def test_every_problem_is_listed_by_row_number_and_nothing_is_written(organizer_client, organizer):
    rows = [
        *GOOD_ROWS,
        ["第一网格", "", "1单元103", "赵家", "", "赵六", ""],  # row 6: no building
        ["第一网格", "幸福里1号楼", "1单元101", "陈家", "", "陈七", ""],  # row 7: door already another household
        ["第一网格", "幸福里1号楼", "1单元102", "", "", "张伟", ""],  # row 8: same person twice
        ["第一网格", "幸福里1号楼", "1单元104", "孙家", "", "孙八", "12345"],  # row 9: bad phone
        ["", "无名楼", "1单元1", "周家", "", "周九", ""],  # row 10: new building without a grid
    ]
    plan = check_register(csv_bytes(rows, encoding="gbk"), "bad.csv")
    assert [row for row, _message in plan.errors] == [6, 7, 8, 9, 10]
    before = _counts()
    response = helpers.upload(organizer_client, organizer, csv_bytes(rows, encoding="gbk"), "bad.csv", follow=True)
    page = response.content.decode()
    assert "第 9 行" in page and "12345" in page and "第 7 行" in page
    assert "立即导入" not in page
    # Confirming anyway writes nothing.
    record = RegisterImport.objects.get()
    apply_import(organizer_client, record.pk)
    organizer_client.post(f"/organize/register/import/{record.pk}/", {"form_token": _token(organizer)})
    assert _counts() == before


def test_missing_required_columns_are_named():
    plan = check_register("姓名,电话\n王伟,13800000000\n".encode(), "a.csv")
    assert plan.errors and plan.errors[0][0] == 1
    assert "楼院" in plan.errors[0][1] and "门牌" in plan.errors[0][1]


def test_formula_looking_cells_are_kept_as_plain_text(organizer):
    from families.services import import_register

    rows = [["第一网格", "幸福里1号楼", "1单元101", '=HYPERLINK("x")', "", "=1+1", ""]]
    plan = check_register(csv_bytes(rows), "a.csv")
    import_register(plan=plan, actor=organizer)
    assert Household.objects.get().display_name == '=HYPERLINK("x")'
    assert Resident.objects.get().full_name == "=1+1"


def test_confirmed_import_writes_everything_and_reimport_changes_nothing(organizer_client, organizer):
    content = csv_bytes(GOOD_ROWS, encoding="gbk")
    for attempt in range(2):
        response = helpers.upload(organizer_client, organizer, content)
        record = RegisterImport.objects.latest("pk")
        assert response["Location"] == f"/organize/register/import/{record.pk}/"
        response = apply_import(organizer_client, record.pk, follow=True)
        assert response.status_code == 200
        record.refresh_from_db()
        assert record.status == RegisterImport.Status.IMPORTED
        if attempt == 0:
            snapshot = (_counts(), list(Household.objects.values_list("display_name", "head_name", "join_code")))
            assert snapshot[0] == (2, 2, 3, 4)
            assert record.summary["residents_created"] == 4
        else:
            assert (
                _counts(),
                list(Household.objects.values_list("display_name", "head_name", "join_code")),
            ) == snapshot
            assert set(record.summary.values()) == {0}
    assert Resident.objects.get(full_name="李秀英").phone == "+8613812345679"
    assert AuditEntry.objects.filter(action="register.imported").count() == 2


def test_the_same_upload_cannot_be_imported_twice(organizer_client, organizer):
    record = _upload(organizer_client, csv_bytes(GOOD_ROWS))
    url = f"/organize/register/import/{record.pk}/"
    first, second = (helpers.form_token(organizer_client.get(url).content.decode()) for _ in range(2))
    helpers.post_with_tasks(organizer_client, url, {"form_token": first})
    response = helpers.post_with_tasks(organizer_client, url, {"form_token": second}, follow=True)
    assert AuditEntry.objects.filter(action="register.imported").count() == 1
    assert "已经导入过" in response.content.decode()


def test_import_updates_existing_households_by_building_and_door(organizer):
    from families.services import import_register

    building = BuildingFactory(name="幸福里1号楼", grid=GridFactory(name="第一网格"))
    existing = HouseholdFactory(building=building, door_label="1单元101", display_name="旧名", head_name="")
    code = existing.join_code
    import_register(plan=check_register(csv_bytes(GOOD_ROWS), "a.csv"), actor=organizer)
    existing.refresh_from_db()
    assert existing.display_name == "王家" and existing.head_name == "王建国" and existing.join_code == code


def test_a_building_in_another_grid_is_a_problem():
    BuildingFactory(name="幸福里1号楼", grid=GridFactory(name="第九网格"))
    plan = check_register(csv_bytes(GOOD_ROWS[:1]), "a.csv")
    assert plan.errors and plan.errors[0][0] == 2 and "第九网格" in plan.errors[0][1]


def test_too_many_rows_are_refused_with_a_clear_message():
    rows = [["第一网格", "幸福里1号楼", f"1单元{i}", "王家", "", f"王{i}", ""] for i in range(12)]
    plan = check_register(csv_bytes(rows), "a.csv", max_rows=10)
    assert plan.errors and "10" in plan.errors[-1][1]


def test_unreadable_files_get_a_clear_message(organizer_client):
    for name, content in [("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), ("b.xlsx", b"PK\x03\x04broken")]:
        plan = check_register(content, name)
        assert plan.errors and plan.errors[0][0] == 0


def test_an_oversized_upload_is_refused_before_reading(organizer_client, organizer, settings):
    settings.FAMILIES_IMPORT_MAX_BYTES = 2 * 1024 * 1024
    upload = SimpleUploadedFile("a.csv", b"x" * (2 * 1024 * 1024 + 1), content_type="text/csv")
    before = row_counts()
    response = organizer_client.post("/organize/register/import/", {"file": upload, **token(organizer, UPLOAD)})
    assert response.status_code == 200
    assert "文件超过 2 MB，请拆分成几个文件。" in response.content.decode()
    assert row_counts() == before and not RegisterImport.objects.exists()


def test_scoped_grid_worker_cannot_import_into_other_grids(organizer):

    mine = GridFactory(name="第一网格")
    GridFactory(name="第二网格")
    make_grid_worker(organizer, mine)
    from families.access import organizer_grid_ids

    plan = check_register(csv_bytes(GOOD_ROWS), "a.csv", grid_ids=organizer_grid_ids(organizer))
    assert [row for row, _m in plan.errors] == [5]


def test_import_progress_is_reported(organizer):
    from families.services import import_register

    seen = []
    import_register(
        plan=check_register(csv_bytes(GOOD_ROWS), "a.csv"), actor=organizer, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (7, 7)


def test_command_imports_and_reimport_changes_nothing(tmp_path, capsys):
    path = tmp_path / "台账.csv"
    path.write_bytes(csv_bytes(GOOD_ROWS, encoding="gbk"))
    call_command("import_households", str(path))
    first = _counts()
    call_command("import_households", str(path))
    assert _counts() == first == (2, 2, 3, 4)


def test_command_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(xlsx_bytes(GOOD_ROWS))
    call_command("import_households", str(path), "--dry-run")
    assert _counts() == (0, 0, 0, 0)


def test_command_fails_with_row_numbers_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([*GOOD_ROWS, ["第一网格", "幸福里1号楼", "1单元109", "X家", "", "X", "999"]]))
    with pytest.raises(CommandError):
        call_command("import_households", str(path))
    assert "第 6 行" in capsys.readouterr().err
    assert _counts() == (0, 0, 0, 0)


def test_command_exit_code_is_not_zero(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "bad.csv"
    path.write_bytes(b"name\nx\n")
    result = subprocess.run(
        [sys.executable, "manage.py", "import_households", str(path), "--dry-run"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"},
    )
    assert result.returncode != 0
    assert "第 1 行" in result.stderr


def test_export_reimports_unchanged(organizer_client, organizer):
    from families.services import import_register

    import_register(plan=check_register(csv_bytes(GOOD_ROWS), "a.csv"), actor=organizer)
    response = organizer_client.get("/organize/register/export.csv")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf") and "13812345678" in body.decode("utf-8")
    plan = check_register(body, "export.csv")
    assert plan.errors == []
    from families.register_io import apply_plan

    assert set(apply_plan(plan, dry_run=True).values()) == {0}


def test_xlsx_export_keeps_formula_like_names_as_inline_text(organizer_client):
    import io

    from openpyxl import load_workbook

    from tests.spreadsheets import stored_cells

    HouseholdFactory(display_name="=cmd|' /C calc'!A0")
    response = organizer_client.get("/organize/register/export.xlsx")
    exported = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(exported)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "=cmd|' /C calc'!A0" in values  # exactly the name: no apostrophe to see
    cells = [cell for row in stored_cells(exported) for cell in row]
    assert ("inlineStr", False, "=cmd|' /C calc'!A0") in cells  # text, never a formula
    assert not any(has_formula for _, has_formula, _ in cells)


def test_an_imported_file_is_not_kept(organizer_client, organizer):
    from project.models import private_storage

    with helpers.tasks_after_commit():
        upload = SimpleUploadedFile("a.csv", csv_bytes(GOOD_ROWS))
        organizer_client.post("/organize/register/import/", {"file": upload, **token(organizer, UPLOAD)})
        record = RegisterImport.objects.get()
        stored = record.file.name
        assert stored.startswith("imports/") and private_storage().exists(stored)
    record.refresh_from_db()
    assert not record.file and not private_storage().exists(stored)  # deleted once checked
    apply_import(organizer_client, record.pk)
    record.refresh_from_db()
    assert record.status == "imported" and record.plan is None


def test_a_title_row_above_the_headers_is_skipped():
    from .helpers import HEADERS_ZH

    rows = [["幸福里社区住户台账", "", "", "", "", "", ""], HEADERS_ZH, *GOOD_ROWS]
    plan = check_register(xlsx_bytes(rows, headers=["2026年", "", "", "", "", "", ""]), "台账.xlsx")
    assert plan.errors == []
    assert len(plan.households) == 3
    bad = [["第一网格", "幸福里1号楼", "1单元109", "X家", "", "X", "999"]]
    plan = check_register(xlsx_bytes([["台账"], HEADERS_ZH, *bad], headers=["标题"]), "台账.xlsx")
    assert plan.errors[0][0] == 4


def test_xlsx_upload_through_the_web_imports(organizer_client, organizer):
    helpers.upload(organizer_client, organizer, xlsx_bytes(GOOD_ROWS, headers=HEADERS_EN), "台账.xlsx")
    record = RegisterImport.objects.get()
    page = organizer_client.get(f"/organize/register/import/{record.pk}/").content.decode()
    assert "新增住户 3 户" in page
    apply_import(organizer_client, record.pk)
    assert _counts() == (2, 2, 3, 4)


def test_import_status_reports_the_stage_and_progress_from_the_record(organizer_client, organizer):
    record = RegisterImport.objects.create(uploaded_by=organizer, filename="a.csv")
    status = f"/organize/register/import/{record.pk}/status/"
    assert organizer_client.get(status).json() == {
        "status": "queued",
        "label": "等待检查",
        "done": 0,
        "total": 0,
        "finished": False,
    }
    page = organizer_client.get(f"/organize/register/import/{record.pk}/").content.decode()
    assert "<progress" in page and "刷新" in page and "立即导入" not in page
    RegisterImport.objects.filter(pk=record.pk).update(status="importing", done=3000, total=7000)
    assert organizer_client.get(status).json()["done"] == 3000
    page = organizer_client.get(f"/organize/register/import/{record.pk}/").content.decode()
    assert 'max="7000" value="3000"' in page


def test_upload_is_checked_by_a_task_then_imported_by_another(organizer_client, organizer):
    with helpers.tasks_after_commit():
        upload = SimpleUploadedFile("a.csv", csv_bytes(GOOD_ROWS))
        response = organizer_client.post("/organize/register/import/", {"file": upload, **token(organizer, UPLOAD)})
        record = RegisterImport.objects.get()
        # The request stored the file and queued its check; nothing was read yet.
        assert response["Location"] == f"/organize/register/import/{record.pk}/"
        assert record.status == "queued" and record.row_count == 0 and record.preview == {}
        page = organizer_client.get(response["Location"]).content.decode()
        assert "等待检查" in page and "<progress" in page
    record.refresh_from_db()
    assert record.status == "previewed" and record.row_count == 4
    with helpers.tasks_after_commit():
        response = organizer_client.post(f"/organize/register/import/{record.pk}/", {"form_token": _token(organizer)})
        assert response.status_code == 302
        record.refresh_from_db()
        assert record.status == "to_import" and _counts() == (0, 0, 0, 0)
    record.refresh_from_db()
    assert record.status == "imported" and record.imported_by == organizer
    assert _counts() == (2, 2, 3, 4)
    status = organizer_client.get(f"/organize/register/import/{record.pk}/status/").json()
    assert status["finished"] is True and status["status"] == "imported"


def test_a_task_run_twice_for_the_same_upload_does_nothing_the_second_time(organizer_client, organizer):
    from families import tasks

    record = _upload(organizer_client, csv_bytes(GOOD_ROWS))
    tasks.check_register_upload.enqueue(record.pk)  # checked already: nothing happens
    apply_import(organizer_client, record.pk)
    tasks.import_checked_upload.enqueue(record.pk)
    record.refresh_from_db()
    assert record.status == "imported"
    assert AuditEntry.objects.filter(action="register.imported").count() == 1


def test_a_failing_import_task_marks_the_upload_failed_in_the_organizers_language(
    organizer_client, organizer, monkeypatch
):
    from families import register_io

    record = _upload(organizer_client, csv_bytes(GOOD_ROWS))

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(register_io, "apply_plan", broken)
    with translation.override("zh-hans"):
        response = apply_import(organizer_client, record.pk, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    record.refresh_from_db()
    assert record.status == "failed" and record.language == "zh-hans"
    assert "服务器" in record.message and "disk" not in record.message
    assert _counts() == (0, 0, 0, 0)
    assert "服务器" in response.content.decode()


def test_a_grid_worker_cannot_open_someone_elses_upload(organizer_client, organizer):

    make_grid_worker(organizer, GridFactory())
    other = RegisterImport.objects.create(filename="a.csv")
    assert organizer_client.get(f"/organize/register/import/{other.pk}/").status_code == 404
    assert organizer_client.post(f"/organize/register/import/{other.pk}/").status_code == 404
    assert _counts()[2] == 0


def test_uploads_never_imported_are_not_kept_beyond_a_week(organizer_client, organizer):
    from datetime import timedelta

    from django.utils import timezone

    old = _upload(organizer_client, csv_bytes(GOOD_ROWS), "old.csv")
    assert old.plan is not None
    RegisterImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    _upload(organizer_client, csv_bytes(GOOD_ROWS), "new.csv")
    old.refresh_from_db()
    assert old.plan is None and old.preview == {}
    assert RegisterImport.objects.latest("pk").plan is not None
    page = organizer_client.get(f"/organize/register/import/{old.pk}/").content.decode()
    assert "超过一周" in page and "立即导入" not in page
    response = organizer_client.post(
        f"/organize/register/import/{old.pk}/", {"form_token": _token(organizer)}, follow=True
    )
    assert "文件有问题，未导入任何数据" in response.content.decode()
    assert _counts() == (0, 0, 0, 0)


def _token_of(client) -> dict[str, str]:
    from django.contrib.auth.models import User

    return token(User.objects.get(pk=client.session["_auth_user_id"]), UPLOAD)


# --- Parsed once; what the preview showed is what is imported; one form, one import ---------------


def _upload(client, content: bytes, name: str = "台账.csv") -> RegisterImport:
    from django.contrib.auth.models import User

    helpers.upload(client, User.objects.get(pk=client.session["_auth_user_id"]), content, name)
    return RegisterImport.objects.latest("pk")


def test_an_upload_is_parsed_once_and_its_preview_is_read_from_the_stored_check(organizer_client, monkeypatch):
    from families import register_io

    reads = []
    real_read_table = register_io.read_table
    monkeypatch.setattr(register_io, "read_table", lambda *a, **k: reads.append(a[1]) or real_read_table(*a, **k))
    record = _upload(organizer_client, csv_bytes(GOOD_ROWS, encoding="gbk"))
    assert reads == ["台账.csv"]
    assert not record.file  # nothing left to parse again
    for _ in range(3):
        page = organizer_client.get(f"/organize/register/import/{record.pk}/").content.decode()
        assert "新增住户 3 户" in page and "新增居民 4 人" in page
    apply_import(organizer_client, record.pk)
    assert reads == ["台账.csv"]
    assert _counts() == (2, 2, 3, 4)


def test_the_preview_page_costs_the_same_queries_for_a_small_and_a_large_file(organizer_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    big = [["第一网格", f"楼{i % 7}", f"{i}号", f"王{i}家", "", f"王{i}", ""] for i in range(300)]
    counts = []
    for rows in (GOOD_ROWS, big):
        record = _upload(organizer_client, csv_bytes(rows))
        with CaptureQueriesContext(connection) as queries:
            assert organizer_client.get(f"/organize/register/import/{record.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_if_the_register_changed_since_the_check_nothing_is_imported(organizer_client):
    record = _upload(organizer_client, csv_bytes(GOOD_ROWS))
    assert RegisterImport.objects.get().preview["summary"]["households_created"] == 3
    # Someone adds one of the file's households by hand before "立即导入" is pressed.
    HouseholdFactory(
        building=BuildingFactory(name="幸福里1号楼", grid=GridFactory(name="第一网格")), door_label="1单元102"
    )
    before = _counts()
    response = apply_import(organizer_client, record.pk, follow=True)
    assert "检查这个文件之后，台账已有变动，因此未导入任何数据" in response.content.decode()
    assert _counts() == before
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.PREVIEWED and record.plan is not None


def test_a_building_taken_out_of_a_grid_workers_grids_since_the_check_is_not_imported(organizer_client, organizer):
    from families.models import GridAssignment

    mine, other = GridFactory(name="第一网格"), GridFactory(name="第二网格")
    BuildingFactory(name="幸福里1号楼", grid=mine)
    make_grid_worker(organizer, mine)
    record = _upload(organizer_client, csv_bytes(GOOD_ROWS[:3]))
    assert record.error_count == 0
    GridAssignment.objects.filter(user=organizer).update(grid=other)
    response = apply_import(organizer_client, record.pk, follow=True)
    assert "幸福里1号楼不在您负责的网格内，未导入任何数据" in response.content.decode()
    assert Household.objects.count() == 0


def test_import_now_sent_twice_imports_once_and_the_second_answer_says_already_recorded(organizer_client):
    record = _upload(organizer_client, csv_bytes(GOOD_ROWS))
    url = f"/organize/register/import/{record.pk}/"
    token = helpers.form_token(organizer_client.get(url).content.decode())
    first = helpers.post_with_tasks(organizer_client, url, {"form_token": token})
    assert first.status_code == 302
    with translation.override("zh-hans"):  # restores this thread's language after the English request
        second = organizer_client.post(url, {"form_token": token}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert second.status_code == 200
    assert "This was already recorded; nothing was added a second time." in second.content.decode()
    assert second.redirect_chain[-1][0] == url
    assert AuditEntry.objects.filter(action="register.imported").count() == 1
    assert _counts() == (2, 2, 3, 4)


@pytest.mark.parametrize("token", ["", "forged", "other-form"])
def test_import_now_without_its_own_token_imports_nothing_and_shows_the_page_again(organizer_client, organizer, token):
    from project.formtokens import new_token

    record = _upload(organizer_client, csv_bytes(GOOD_ROWS))
    if token == "other-form":
        token = new_token(organizer, "families.something_else")
    response = organizer_client.post(f"/organize/register/import/{record.pk}/", {"form_token": token})
    assert response.status_code == 200
    page = response.content.decode()
    assert "立即导入" in page and helpers.form_token(page)
    assert _counts() == (0, 0, 0, 0)
    record.refresh_from_db()
    assert record.status == RegisterImport.Status.PREVIEWED


def test_a_stored_file_whose_check_never_ran_is_removed_after_a_day(organizer_client, organizer):
    from datetime import timedelta

    from django.utils import timezone

    from families.services import remove_stale_uploads
    from project.models import private_storage

    # Uploaded, but the queue lost the check (no task runs here: nothing is captured after the commit).
    organizer_client.post(
        "/organize/register/import/",
        {"file": SimpleUploadedFile("a.csv", csv_bytes(GOOD_ROWS)), **token(organizer, UPLOAD)},
    )
    record = RegisterImport.objects.get()
    stored = record.file.name
    assert record.status == "queued" and private_storage().exists(stored)
    assert remove_stale_uploads(timezone.now()) == 0  # still fresh
    assert remove_stale_uploads(timezone.now() + timedelta(days=2)) == 1
    record.refresh_from_db()
    assert not record.file and not private_storage().exists(stored)
    assert record.status == "failed" and "服务器" in record.message
