"""The audit log and the round desk in words: every action the code writes has a translated name, its details read
"Hours: 2 · Points: 30", and the filter lists names. No organizer reads a code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from project import registry
from project.models import AuditEntry
from tests.awards.factories import make_round

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# An action is written as action="app.verb", _audit(actor, "app.verb", ...) or either side of a conditional.
WRITTEN = re.compile(r'(?:action=|_audit\(\s*actor,\s*|if created else\s*|^\s*)"([a-z]+\.[a-z_]+)"(?=\s*if created|,|\))', re.M)


def _actions_in_the_code() -> set[str]:
    found = set()
    for app in ("project", "families", "awards", "activities"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            if "AuditEntry" not in text and "_audit(" not in text:
                continue
            found |= {action for action in WRITTEN.findall(text) if not action.endswith(("_new", "urls", "html"))}
    return found | {"points.awarded", "points.adjusted"}  # action=f"points.{kind}" (activities.services.award_points)


def test_every_action_the_code_writes_has_a_name_in_both_languages():
    from django.utils import translation

    actions = _actions_in_the_code()
    assert {"activities.hours_confirmed", "awards.round_created", "awards.round_timeline_changed"} <= actions
    for language in ("zh-hans", "en"):
        with translation.override(language):
            unnamed = [a for a in actions if registry.audit_label(a) in ("", "Other change", "其他更改")]
            assert not unnamed, (language, unnamed)


def _confirmed_hours_line(organizer):
    return AuditEntry.objects.log(
        actor=organizer, action="activities.hours_confirmed", details={"hours": "2", "points": 30}
    )


def test_the_audit_log_names_the_action_and_says_its_details_in_chinese(organizer_client, organizer):
    _confirmed_hours_line(organizer)
    AuditEntry.objects.log(actor=organizer, action="awards.voting_closed", details={"announced": True})
    page = organizer_client.get("/organize/audit/").content.decode()
    assert "确认时长" in page and "小时: 2 · 积分: 30" in page and "已公布: 是" in page
    assert "activities.hours_confirmed" not in page.replace('value="activities.hours_confirmed"', "")
    assert "{&#x27;" not in page and "{'" not in page
    options = re.findall(r"<option[^>]*>([^<]*)</option>", page)
    assert "确认时长" in options and not any("." in option for option in options)


def test_the_audit_log_in_english(organizer_client, organizer):
    _confirmed_hours_line(organizer)
    organizer_client.cookies["django_language"] = "en"
    page = organizer_client.get("/organize/audit/").content.decode()
    assert "Hours confirmed" in page and "Hours: 2 · Points: 30" in page


def test_an_action_no_app_named_reads_other_change_not_its_code(organizer_client, organizer):
    AuditEntry.objects.log(actor=organizer, action="legacy.something_old")
    page = organizer_client.get("/organize/audit/").content.decode()
    assert "其他更改" in page
    assert ">legacy.something_old<" not in page


def test_the_round_desk_lists_its_history_in_words(organizer_client, organizer):
    round = make_round("voting")
    AuditEntry.objects.log(actor=organizer, action="awards.round_timeline_changed", target=round, details={})
    page = organizer_client.get(f"/organize/rounds/{round.pk}/").content.decode()
    assert "awards.round_timeline_changed" not in page
    assert "评选时间安排已更改" in page


def test_a_register_change_lists_its_fields_by_name(organizer_client, organizer):
    AuditEntry.objects.log(
        actor=organizer, action="household.changed", details={"changes": {"door_label": ["1单元101", "1单元102"]}}
    )
    page = organizer_client.get("/organize/audit/").content.decode()
    assert "door_label" not in page and "door label" not in page
    assert "1单元101 → 1单元102" in page
