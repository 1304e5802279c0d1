"""Confirmed and waiting sign-ups are counted on the activity's row, by every service that changes a sign-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities import services
from activities.models import Activity, Signup
from tests.factories import ResidentFactory
from tests.tokens import token

from .factories import ActivityFactory

pytestmark = pytest.mark.django_db


def _counts(activity: Activity) -> tuple[int, int]:
    """The counts kept on the row, after checking every activity's against a recount."""
    assert services.signup_count_differences() == []
    activity.refresh_from_db()
    return activity.confirmed_count, activity.waitlist_count


def test_every_sign_up_service_keeps_the_counts_equal_to_a_recount(organizer):
    activity = ActivityFactory(capacity=2, starts_in=timedelta(days=3))
    first, second, third, fourth = (services.sign_up(activity=activity, resident=ResidentFactory()) for _ in range(4))
    assert _counts(activity) == (2, 2)
    services.cancel_signup(signup=fourth, actor=None)  # waiting: leaves the list
    assert _counts(activity) == (2, 1)
    services.cancel_signup(signup=first, actor=None)  # confirmed: the first waiting moves up
    third.refresh_from_db()
    assert third.status == Signup.Status.CONFIRMED and _counts(activity) == (2, 0)
    services.cancel_signup(signup=second, actor=organizer, by_organizer=True)  # confirmed, nobody waiting
    assert _counts(activity) == (1, 0)
    services.add_walk_in(activity=activity, resident=ResidentFactory(), actor=organizer)
    assert _counts(activity) == (2, 0)
    late = [services.sign_up(activity=activity, resident=ResidentFactory()) for _ in range(2)]
    assert _counts(activity) == (2, 2)
    activity.capacity = 3
    services.save_activity(activity=activity, actor=organizer, changed=["capacity"])  # one place more: one moves up
    assert _counts(activity) == (3, 1)
    activity.capacity = 10
    activity.save(update_fields=["capacity"])
    assert services.fill_free_places(activity=activity) == [late[1]]
    assert _counts(activity) == (4, 0)


def test_a_refused_sign_up_leaves_the_counts_alone(member):
    activity = ActivityFactory(capacity=1)
    services.sign_up(activity=activity, resident=member)
    with pytest.raises(services.ServiceError):
        services.sign_up(activity=activity, resident=member)
    signup = Signup.objects.get(activity=activity, resident=member)
    services.cancel_signup(signup=signup, actor=None)
    with pytest.raises(services.ServiceError):
        services.cancel_signup(signup=signup, actor=None)
    assert _counts(activity) == (0, 0)


def test_verify_ledger_finds_a_count_that_drifted_and_recount_puts_it_right(member, capsys):
    activity = ActivityFactory(capacity=3)
    services.sign_up(activity=activity, resident=member)
    Activity.objects.filter(pk=activity.pk).update(waitlist_count=7)
    with pytest.raises(SystemExit):
        call_command("verify_ledger")
    assert f"sign-ups of activity {activity.pk}: kept [1, 7], counted [1, 0]" in capsys.readouterr().err
    assert services.recount_signups() == 1
    call_command("verify_ledger")
    assert _counts(activity) == (1, 0)


def test_the_activity_list_reads_the_counts_from_the_row(resident_client, member):
    full = ActivityFactory(title="满员的活动", capacity=1)
    services.sign_up(activity=full, resident=member)
    services.sign_up(activity=full, resident=ResidentFactory())
    with CaptureQueriesContext(connection) as queries:
        page = resident_client.get(reverse("activities:list")).content.decode()
    assert "满员的活动" in page
    assert not [q["sql"] for q in queries if '"activities_signup"' in q["sql"] and "COUNT(" in q["sql"]]
    page = resident_client.get(reverse("activities:list"), {"open": "true"}).content.decode()
    assert "满员的活动" not in page
    detail = resident_client.get(reverse("activities:detail", args=[full.pk])).content.decode()
    assert "已报 1 / 共 1" in detail


def test_a_sign_up_stays_within_its_statement_budget(resident_client, resident):
    """Everything a sign-up POST runs, from the session to the redirect: the claim of the form token, the no-show
    rule, the activity read once with its lock, the insert and the counts on the row. The user is loaded once, the
    token is not looked up before its claim (the claim finds a resend), no query asks whether the resident is on
    the activity already (the unique constraint refuses it), the street's activity asks no community, and the
    insert has no savepoint of its own (a failed insert ends the sign-up and its transaction)."""
    activity = ActivityFactory(capacity=5, starts_in=timedelta(days=3))
    url = reverse("activities:sign_up", args=[activity.pk])
    with CaptureQueriesContext(connection) as captured:
        response = resident_client.post(url, token(resident, services.SIGN_UP_FORM))
    assert response.status_code == 302
    statements = [q["sql"] for q in captured]
    assert Signup.objects.filter(activity=activity).count() == 1
    insert = next(i for i, sql in enumerate(statements) if sql.startswith('INSERT INTO "activities_signup"'))
    assert not statements[insert - 1].startswith("SAVEPOINT"), statements  # the insert needs none of its own
    assert not [sql for sql in statements if sql.startswith('SELECT "auth_user"')], statements  # the user once
    assert len([sql for sql in statements if 'FROM "activities_activity"' in sql.split(" WHERE ")[0]]) == 1
    assert not [sql for sql in statements if sql.startswith('SELECT 1 AS "a" FROM "activities_signup"')], statements
    assert not [sql for sql in statements if sql.startswith('SELECT "project_formsubmission"')], statements
    assert not [sql for sql in statements if '"families_grid"."community_id"' in sql], statements
    assert len(statements) <= 13, statements  # 12 once the content type is in Django's per-process cache


def test_a_sign_up_for_a_missing_activity_is_a_404_and_uses_no_token(resident_client, resident):
    from project.models import FormSubmission

    response = resident_client.post(
        reverse("activities:sign_up", args=[987654]), token(resident, services.SIGN_UP_FORM)
    )
    assert response.status_code == 404
    assert not FormSubmission.objects.exists() and not Signup.objects.exists()


def test_a_second_sign_up_is_refused_by_the_constraint_and_leaves_the_counts_alone(resident_client, resident):
    activity = ActivityFactory(capacity=5, starts_in=timedelta(days=3))
    url = reverse("activities:sign_up", args=[activity.pk])
    resident_client.post(url, token(resident, services.SIGN_UP_FORM))
    page = resident_client.post(url, token(resident, services.SIGN_UP_FORM), follow=True).content.decode()
    assert "您已报名这项活动。" in page
    assert Signup.objects.filter(activity=activity).count() == 1 and _counts(activity) == (1, 0)
