"""project/ is the core: it imports no app, apps import only downwards, and apps plug in through the registry."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from project import registry
from project.codes import CODE_ALPHABET, DIGIT_ALPHABET, new_code, qr_svg

ROOT = Path(__file__).resolve().parents[2]
APPS = ("families", "awards", "activities")
# Who may import whom: awards and activities build on families, awards may read activities.
MAY_IMPORT = {"project": set(), "families": set(), "activities": {"families"}, "awards": {"families", "activities"}}


def _imported_apps(package: str) -> dict[str, set[str]]:
    """Every app each module of ``package`` imports, at the top or inside a function (migrations aside)."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in APPS and top != package:
                    found.setdefault(str(path.relative_to(ROOT)), set()).add(top)
    return found


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_no_package_imports_an_app_above_it(package):
    wrong = {
        module: apps - MAY_IMPORT[package]
        for module, apps in _imported_apps(package).items()
        if apps - MAY_IMPORT[package]
    }
    assert wrong == {}


def test_the_core_templates_include_no_apps_template():
    for path in (ROOT / "project" / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for app in APPS:
            assert f'include "{app}/' not in text, path


def test_the_apps_parts_are_registered_at_start_up():
    assert {part.app for part in registry.HOME} == {"families", "awards", "activities"}
    assert [part.app for part in registry.ORGANIZER] == ["awards", "activities", "families", "project"]
    assert [part.app for part in registry.ME] == ["activities", "awards"]
    assert [part.app for part in registry.CHARTS] == ["project"] * 2 + ["activities"] * 3 + ["awards"]
    assert registry.nav_templates() == [
        "awards/board/nav_item.html",
        "awards/nav_items.html",
        "activities/nav_items.html",
        "families/nav_items.html",
    ]
    assert [part.app for part in registry.privacy_parts()] == ["families", "awards", "activities"]
    assert sorted(registry.organizer_permission_apps()) == ["activities", "awards", "families"]


def test_demo_data_is_seeded_in_dependency_order(monkeypatch):
    assert [part.app for part in registry.demo_parts()] == ["families", "awards", "activities"]
    first, *rest = registry._DEMO
    # Registered in another order, an app still comes after the apps it names.
    monkeypatch.setattr(registry, "_DEMO", [*rest, first])
    assert [part.app for part in registry.demo_parts()][0] == "families"
    # Two apps waiting for each other is a configuration error, said plainly.
    waiting = registry.DemoPart("families", first.seed, ("awards",))
    monkeypatch.setattr(registry, "_DEMO", [waiting, *rest])
    with pytest.raises(ImproperlyConfigured):
        registry.demo_parts()


def test_a_part_outside_any_installed_app_is_refused():
    def stray(request):
        return None

    stray.__module__ = "not_an_app.panels"
    with pytest.raises(ImproperlyConfigured):
        registry.home_panel(stray)


@pytest.mark.django_db
def test_the_header_shows_every_apps_links_and_the_home_page_every_apps_panels(client):
    body = client.get("/").content.decode()
    header = body.split("</header>")[0]
    for link in ("/honours/", "/rounds/", "/activities/", "/points/", "/store/", "/mottos/"):
        assert f'href="{link}"' in header
    assert header.index('href="/honours/"') < header.index('href="/activities/"') < header.index('href="/mottos/"')
    for title in ("正在进行的评选", "近期志愿活动", "家训"):
        assert title in body


@pytest.mark.django_db
def test_my_page_shows_the_apps_panels_to_a_verified_resident_only(resident_client, newcomer_client):
    mine = resident_client.get("/me/").content.decode()
    assert "我的志愿服务" in mine and "我的推荐和投票" in mine
    theirs = newcomer_client.get("/me/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My volunteering" not in theirs and "My nominations and votes" not in theirs
    assert "Join my household" in theirs


@pytest.mark.django_db
def test_my_pages_panels_keep_their_query_count(resident_client, resident, django_assert_max_num_queries):
    from activities.services import award_points

    resident_client.get("/me/")
    with CaptureQueriesContext(connection) as few:
        resident_client.get("/me/")
    award_points(resident=resident.residencies.get(), amount=10, reason="助老", actor=None)
    with django_assert_max_num_queries(len(few)):
        resident_client.get("/me/")


@pytest.mark.django_db
def test_the_building_page_shows_the_honours_awards_registers(client):
    from tests.awards.board_factories import HonourFactory

    honour = HonourFactory()  # a building's honour
    english = client.get(f"/buildings/{honour.building_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="/honours/{honour.pk}/"' in english and "Honours" in english


@pytest.mark.django_db
def test_the_audit_log_is_the_cores_page_with_the_apps_labels(organizer_client, organizer, household):
    from project.models import AuditEntry

    AuditEntry.objects.log(actor=organizer, action="household.changed", target=household)
    AuditEntry.objects.log(actor=organizer, action="account.made_organizer", target=organizer)
    AuditEntry.objects.log(actor=organizer, action="something.unlabelled", target=household)
    body = organizer_client.get("/organize/audit/").content.decode()
    assert "修改住户" in body and "设为工作人员" in body  # families' label and the core's, in Chinese
    english = organizer_client.get("/organize/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Household changed" in english and "Made an organizer" in english
    assert "something.unlabelled" in english
    filtered = organizer_client.get("/organize/audit/", {"action": "household.changed"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "something.unlabelled</code>" not in filtered.content.decode()


def test_codes_people_type_have_no_look_alikes():
    for character in "0O1IL":
        assert character not in CODE_ALPHABET
    assert set(DIGIT_ALPHABET) == set("23456789")
    assert len(new_code(8)) == 8 and set(new_code(50)) <= set(CODE_ALPHABET)
    assert set(new_code(6, DIGIT_ALPHABET)) <= set(DIGIT_ALPHABET)


@pytest.mark.django_db
def test_every_code_is_drawn_from_the_cores_alphabets(household):
    from activities.models import Activity, Redemption

    assert set(household.join_code) <= set(CODE_ALPHABET)
    assert set(Activity._meta.get_field("checkin_code").default()) <= set(DIGIT_ALPHABET)
    assert set(Redemption._meta.get_field("pickup_code").default()) <= set(CODE_ALPHABET)


def test_a_qr_code_is_one_inline_picture_sized_by_the_stylesheet():
    hidden = qr_svg("https://example.org/verify/ABC/")
    assert hidden.startswith('<svg class="qr" role="img" aria-hidden="true"') and "<script" not in hidden
    assert ' width="' not in hidden.split(">")[0] and "viewBox" in hidden
    named = qr_svg("https://example.org/attend/1/?t=x", label='QR "code"')
    assert 'aria-label="QR &quot;code&quot;"' in named


@pytest.mark.parametrize("first", ["project.accounts", "project.account_forms", "allauth.account.forms"])
def test_the_account_modules_load_in_any_order(first):
    """allauth's forms import our sign-up form while they load: no order of first imports may break start-up."""
    import subprocess

    from tests import serving

    code = (
        f"import django, importlib; django.setup(); importlib.import_module({first!r});"
        "from allauth.account.adapter import get_adapter; get_adapter();"
        "from allauth.account.forms import LoginForm, SignupForm; print('loaded')"
    )
    env = {**serving.site_env("sqlite:///:memory:"), "DJANGO_DEBUG": "1"}
    done = subprocess.run([serving.PY, "-c", code], cwd=serving.ROOT, env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "loaded", done.stderr[-2000:]
