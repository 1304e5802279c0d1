"""Small builders for the register tests: spreadsheets in the encodings staff really use."""

from __future__ import annotations

import io
import re
from contextlib import contextmanager

from django.test import TestCase

HEADERS_ZH = ["网格", "楼院", "门牌", "家庭名称", "户主", "姓名", "电话"]
HEADERS_EN = ["Grid", "Building", "Door", "Household", "Head", "Name", "Phone"]


def csv_bytes(rows: list[list[str]], *, headers=HEADERS_ZH, encoding: str = "utf-8") -> bytes:
    lines = [",".join(headers)] + [",".join(row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


def xlsx_bytes(rows: list[list], *, headers=HEADERS_ZH) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD_ROWS = [
    ["第一网格", "幸福里1号楼", "1单元101", "王家", "王建国", "王建国", "13812345678"],
    ["第一网格", "幸福里1号楼", "1单元101", "王家", "王建国", "李秀英", "138 1234 5679"],
    ["第一网格", "幸福里1号楼", "1单元102", "张家", "张伟", "张伟", ""],
    ["第二网格", "和平苑A座", "2单元301", "", "刘芳", "刘芳", "+86 139 0000 1111"],
]


def form_token(page: str) -> str:
    """The one-time token a rendered form carries ("" if it has none)."""
    found = re.search(r'name="form_token" value="([^"]+)"', page)
    return found.group(1) if found else ""


@contextmanager
def tasks_after_commit():
    """Run what the block enqueues after its commit, as the worker would (the test's transaction never commits).

    The suite's task backend runs a task at once when it is enqueued; the register enqueues after the commit.
    """
    with TestCase.captureOnCommitCallbacks(execute=True):
        yield


def post_with_tasks(client, url: str, data: dict, **extra):
    """POST, then run the tasks the POST enqueued; with ``follow``, the page after them."""
    follow = extra.pop("follow", False)
    with tasks_after_commit():
        response = client.post(url, data, **extra)
    if follow and response.status_code == 302:
        return client.get(response["Location"], follow=True, **extra)
    return response


def upload(client, user, content: bytes, name: str = "台账.csv", **extra):
    """Upload a register file through the page, with the form's token, and let the check task run."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.tokens import token

    file = SimpleUploadedFile(name, content)
    return post_with_tasks(
        client, "/organize/register/import/", {"file": file, **token(user, "families.import_upload")}, **extra
    )


def apply_import(client, pk: int, **extra):
    """Press "立即导入" as the preview page offers it (with the form's one-time token); the import task runs."""
    url = f"/organize/register/import/{pk}/"
    token = form_token(client.get(url).content.decode())
    return post_with_tasks(client, url, {"form_token": token}, **extra)
