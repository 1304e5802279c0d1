"""iCalendar (RFC 5545) text for a resident's sign-ups, written by hand: it is short and has no dependencies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from datetime import timezone as dt_timezone

from django.utils import timezone


def escape_text(value: str) -> str:
    """Escape TEXT values (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines."""
    return (
        (value or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(dt_timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Fold a content line at 75 octets (§3.1), never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not out else 74  # continuation lines start with one space
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def calendar(events: Iterable[dict], *, name: str, host: str) -> str:
    """A VCALENDAR with one VEVENT per dict (uid, start, end, summary, location, description, url, status).

    ``status`` is CONFIRMED, TENTATIVE (on the waiting list) or CANCELLED (called off), so a
    calendar that imports the file again shows the change.
    """
    now = utc_stamp(timezone.now())
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Community Honours//Volunteer activities//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event['uid']}@{host}",
            f"DTSTAMP:{now}",
            f"DTSTART:{utc_stamp(event['start'])}",
            f"DTEND:{utc_stamp(event['end'])}",
            f"SUMMARY:{escape_text(event['summary'])}",
            f"LOCATION:{escape_text(event.get('location', ''))}",
            f"DESCRIPTION:{escape_text(event.get('description', ''))}",
            f"STATUS:{event.get('status', 'CONFIRMED')}",
        ]
        if event.get("url"):
            lines.append(f"URL:{event['url']}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
