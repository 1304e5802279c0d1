"""Spreadsheets staff send upward (台账): CSV that opens right in Excel, and XLSX.

Every export goes through ``tabular_response`` (web) or ``write_table``
(command line), so every cell follows the same rules (``plain_cell``). In CSV,
where Excel evaluates text, text beginning with ``=``, ``+``, ``-``, ``@`` (or a
tab or carriage return) gets a leading apostrophe (``safe_cell``), so opening
the file runs nothing. XLSX (``project.xlsx``) writes text as inline strings,
which a spreadsheet never evaluates, so its text is exactly what was stored.

Both are written row by row into a file (a temporary one for the web, then
streamed from it), so an export never sits whole in memory and all its queries
run inside the view.

Large exports do not run in a request (``respond_or_queue``): the organizer asks for
them, a task (``run_export``) writes the file to the site's storage with its progress
on an ``ExportJob`` row, the exports page shows it, and a notice says when it is ready.
Apps register their kinds of export (``register``); the core imports no app.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import IO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django_tasks import task

from . import formtokens
from .errors import ServiceError
from .progress import set_state, write_progress
from .xlsx import write_xlsx

logger = logging.getLogger(__name__)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STREAM_BLOCK_SIZE = 64 * 1024


def plain_cell(value):
    """A cell value as every export shows it: numbers and dates stay numbers and dates, local time, yes/no in the
    reader's language (是/否)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    return str(value)


def safe_cell(value):
    """A CSV cell that no spreadsheet will run as a formula: ``plain_cell``, with an apostrophe before formula text."""
    value = plain_cell(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_value(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _write_csv(handle: IO[str], headers: Sequence[str], rows: Iterable[Sequence]) -> None:
    handle.write("\ufeff")  # the BOM makes Excel on Windows read UTF-8 (Chinese) correctly
    writer = csv.writer(handle)
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_value(safe_cell(v)) for v in row])


def _write(target: IO[bytes], fmt: str, headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str) -> None:
    """Write the table into a binary file, in ``fmt``."""
    if fmt == "xlsx":
        write_xlsx(target, headers=headers, rows=rows, sheet_title=sheet_title, convert=plain_cell)
        return
    text = io.TextIOWrapper(target, encoding="utf-8", newline="")
    try:
        _write_csv(text, headers, rows)
    finally:
        text.flush()
        text.detach()  # leave the binary file open for the caller


def tabular_response(
    *, headers: Sequence[str], rows: Iterable[Sequence], filename: str, fmt: str, sheet_title: str = ""
) -> FileResponse:
    """An attachment in ``fmt`` ("csv" or "xlsx"); ``filename`` without extension, may be Chinese.

    The file is written to a temporary file first, then streamed from it: memory stays flat however
    many rows there are, and a query that fails does so here, in the view, as an error page.
    """
    fmt = "xlsx" if fmt == "xlsx" else "csv"
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes (and so deletes) it when sent
    try:
        _write(spool, fmt, headers, rows, sheet_title or filename)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    response = FileResponse(
        spool,
        as_attachment=True,
        filename=f"{filename}.{fmt}",
        content_type=XLSX_CONTENT_TYPE if fmt == "xlsx" else CSV_CONTENT_TYPE,
    )
    response.block_size = STREAM_BLOCK_SIZE
    response["Cache-Control"] = "private, no-store"
    return response


def write_table(path, *, headers: Sequence[str], rows: Iterable[Sequence], fmt: str, sheet_title: str = "") -> None:
    """Write the same file to disk (management commands), streaming row by row."""
    with open(path, "wb") as handle:
        _write(handle, "xlsx" if fmt == "xlsx" else "csv", headers, rows, sheet_title or "Sheet1")


# --- Large exports, in the background ------------------------------------------------------------------------

START_FORM = "project.export"
# How often a running export writes its progress: every this many rows.
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class Table:
    """What an export writes: headers, rows (an iterator is best), the file's name without extension."""

    headers: Sequence[str]
    rows: Iterable[Sequence]
    title: str
    sheet_title: str = ""
    total: int = 0  # rows expected, for the progress bar (0: unknown)


@dataclass(frozen=True)
class Workbook:
    """What a workbook kind writes: several sheets (``project.reports``). ``write(target, progress)`` writes the
    file and calls ``progress(done)`` after each of its ``total`` sheets."""

    title: str
    write: Callable[[IO[bytes], Callable[[int], None]], object]
    total: int = 0


@dataclass(frozen=True)
class Kind:
    key: str
    label: str | Promise
    build: Callable[[dict, object], Table]
    formats: tuple[str, ...] = ("csv", "xlsx")
    workbook: bool = False


_KINDS: dict[str, Kind] = {}


def register(
    key: str,
    *,
    label: str | Promise,
    build: Callable[[dict, object], Table],
    paper: bool = False,
    workbook: bool = False,
) -> None:
    """Declare a kind of export: ``build(params, user)`` returns the ``Table`` for ``user`` (who asked), read
    with that user's rights (a grid worker's rows are their grids' rows). With ``paper``, the kind is a PDF
    of many pages: ``build`` returns a ``project.pdf.Paper`` and the file is written as PDF. With ``workbook``,
    an XLSX file of several sheets: ``build`` returns a ``Workbook``. ``build`` raises ``ExportRefused`` when
    the user may not have it: the job fails with that message."""
    if key in _KINDS:
        raise ImproperlyConfigured(f"The export kind {key!r} is registered twice.")
    formats = ("pdf",) if paper else ("xlsx",) if workbook else ("csv", "xlsx")
    _KINDS[key] = Kind(key, label, build, formats, workbook)


def counts(job) -> str:
    """What a job's progress counts: "documents" for a PDF, "sheets" for a workbook kind, else "rows"."""
    if job.fmt == "pdf":
        return "documents"
    kind = _KINDS.get(job.kind)
    return "sheets" if kind is not None and kind.workbook else "rows"


class ExportRefused(ServiceError):
    """An export that cannot be asked for (unknown kind, format or parameters)."""


def direct_max_rows() -> int:
    """Exports of more rows than this are written in the background (``EXPORTS_DIRECT_MAX_ROWS``)."""
    return int(getattr(settings, "EXPORTS_DIRECT_MAX_ROWS", 5000))


def kept_for() -> timedelta:
    return timedelta(days=int(getattr(settings, "EXPORTS_KEPT_DAYS", 7)))


def respond_or_queue(
    request: HttpRequest, *, kind: str, params: dict, fmt: str, count: int, build: Callable[[], Table]
) -> HttpResponse:
    """A small export at once (``tabular_response``); a large one (more than ``EXPORTS_DIRECT_MAX_ROWS`` rows)
    is offered to be written in the background: a page with one button that starts it. ``?background=1``
    offers that for a small one too."""
    if count <= direct_max_rows() and not request.GET.get("background"):
        table = build()
        return tabular_response(
            headers=table.headers, rows=table.rows, filename=table.title, fmt=fmt, sheet_title=table.sheet_title
        )
    return start_page(request, kind=kind, params=json.dumps(params), fmt=fmt, count=count)


def start_page(request: HttpRequest, *, kind: str, params: str, fmt: str, count: int | None = None) -> HttpResponse:
    """The page with the one button that starts a background export (``params`` as JSON text)."""
    if kind not in _KINDS:
        raise Http404
    context = {"label": _KINDS[kind].label, "kind": kind, "params": params, "fmt": fmt, "count": count}
    return render(request, "export_start.html", context)


def start_export(
    *, user, kind: str, params: dict, fmt: str, language: str, whole_community: bool, token=None, origin: str = ""
):
    """Ask for an export to be written in the background; a task starts after the commit. Once per form token.

    A paper kind keeps ``origin`` (``project.pdf.site_origin`` of the request) in its parameters as ``origin``:
    the task has no request, and the QR codes it prints must open this site."""
    from .models import ExportJob

    if kind not in _KINDS or fmt not in _KINDS[kind].formats or not isinstance(params, dict):
        raise ExportRefused(_("This export cannot be made."))
    if fmt == "pdf":
        params = {**params, "origin": origin}
    with transaction.atomic():
        claim = formtokens.claim(token=token, user=user, form_name=START_FORM)
        job = ExportJob.objects.create(
            requested_by=user,
            whole_community=whole_community,
            kind=kind,
            params=params,
            fmt=fmt,
            title=str(_KINDS[kind].label)[:150],
            language=language[:10],
        )
        claim.done(job, url=reverse("organize_exports"))
        transaction.on_commit(partial(run_export.enqueue, job.pk), robust=True)
    return job


def _counted(rows: Iterable[Sequence], job_id: int, total: int, written: dict) -> Iterator[Sequence]:
    """``rows``, counting them into ``written`` and writing the job's progress every ``PROGRESS_EVERY`` rows."""
    from .models import ExportJob

    for done, row in enumerate(rows, start=1):
        yield row
        written["rows"] = done
        if done % PROGRESS_EVERY == 0:
            write_progress(ExportJob, job_id, done=done, total=max(total, done))


def _write_paper(spool: IO[bytes], paper, job_id: int, written: dict) -> None:
    """A paper kind's documents as one PDF, with the job's progress after each document."""
    from . import pdf
    from .models import ExportJob

    def progress(done: int) -> None:
        written["rows"] = done
        write_progress(ExportJob, job_id, done=done, total=max(paper.total, done))

    spool.write(pdf.write_pdf(paper.documents, progress=progress))


def _write_workbook(spool: IO[bytes], workbook: Workbook, job_id: int, written: dict) -> None:
    """A workbook kind's sheets, with the job's progress after each sheet."""
    from .models import ExportJob

    def progress(done: int) -> None:
        written["rows"] = done
        write_progress(ExportJob, job_id, done=done, total=max(workbook.total, done))

    workbook.write(spool, progress)


def write_export(*, job_id: int) -> None:
    """The export task's work: build the table, write the file to storage, tell the requester.

    Runs once per job (compare-and-set from "waiting"); an error marks the job
    failed, with a message in the requester's language.
    """
    from .models import ExportJob, private_storage
    from .notices import notify

    if not set_state(ExportJob, job_id, expect=ExportJob.Status.QUEUED, status=ExportJob.Status.RUNNING):
        return
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    with translation.override(job.language or None):
        try:
            table = _KINDS[job.kind].build(job.params, job.requested_by)
            written = {"rows": 0}
            with tempfile.TemporaryFile() as spool:
                if job.fmt == "pdf":
                    _write_paper(spool, table, job.pk, written)
                elif isinstance(table, Workbook):
                    _write_workbook(spool, table, job.pk, written)
                else:
                    rows = _counted(table.rows, job.pk, table.total, written)
                    _write(spool, job.fmt, table.headers, rows, table.sheet_title or table.title)
                spool.seek(0)
                stored = private_storage().save(f"exports/{uuid.uuid4().hex}.{job.fmt}", File(spool))
            with transaction.atomic():
                set_state(
                    ExportJob,
                    job.pk,
                    status=ExportJob.Status.DONE,
                    file=stored,
                    title=table.title[:150],
                    done=written["rows"],
                    total=written["rows"],
                    finished_at=timezone.now(),
                )
                notify(
                    users=[job.requested_by],
                    kind="export_ready",
                    params={"title": f"{table.title}.{job.fmt}"},
                    url=reverse("organize_exports"),
                )
        except ExportRefused as refused:
            # The kind refused the asker (a grid worker asking for another grid's building) or had nothing to
            # write: say so in the asker's words, as a failure, with no file.
            set_state(
                ExportJob, job.pk, status=ExportJob.Status.FAILED, error=str(refused)[:300], finished_at=timezone.now()
            )
        except Exception:
            logger.exception("export %s failed", job_id)
            set_state(
                ExportJob,
                job.pk,
                status=ExportJob.Status.FAILED,
                error=_("The export stopped on an error on the server. Ask for it again."),
                finished_at=timezone.now(),
            )


@task()
def run_export(job_id: int) -> None:
    """Write one asked-for export (``write_export``)."""
    write_export(job_id=job_id)


def visible_to(user, jobs):
    """The exports ``user`` may see and download: their own, and, for an organizer who sees the whole
    community, those asked for by such organizers."""
    from .access import sees_whole_community

    if sees_whole_community(user):
        return jobs.filter(Q(requested_by=user) | Q(whole_community=True))
    return jobs.filter(requested_by=user)


def download_response(job) -> FileResponse:
    response = FileResponse(job.file.open("rb"), as_attachment=True, filename=job.filename)
    response["Content-Type"] = {"xlsx": XLSX_CONTENT_TYPE, "pdf": "application/pdf"}.get(job.fmt, CSV_CONTENT_TYPE)
    response.block_size = STREAM_BLOCK_SIZE
    response["Cache-Control"] = "private, no-store"
    return response


def remove_stale(now: datetime | None = None) -> int:
    """Delete exports (file and row) finished more than ``EXPORTS_KEPT_DAYS`` ago, and any that have not moved
    for that long (a worker that died); the scheduled tick calls this. Returns how many were removed."""
    from .models import ExportJob

    cutoff = (now or timezone.now()) - kept_for()
    stale = ExportJob.objects.filter(Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, updated_at__lt=cutoff))
    removed = 0
    for job in stale.iterator():
        if job.file:
            job.file.storage.delete(job.file.name)
        removed += ExportJob.objects.filter(pk=job.pk).delete()[0]
    return removed
