"""A sweep over every URL the site has: nobody gets in where they should not, and nothing changes.

New URLs are covered the day they are added: the sweep reads the URL
configuration at test time. Public pages are listed here on purpose.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from project.management.commands import backup


def row_counts() -> dict[str, int]:
    """Rows per model, leaving out the sessions that logging the test users in creates."""
    return {label: count for label, count in backup.row_counts().items() if label != "sessions.Session"}


pytestmark = pytest.mark.django_db

# Pages anyone may read without logging in (prefixes of the path).
PUBLIC_PREFIXES = (
    "/healthz",
    "/prefs/",
    "/accounts/",
    "/honours/",
    "/verify/",
    "/mottos/",
    "/buildings/",
    "/rounds/",
    "/nominations/",
    "/activities/",
    "/points/",
    "/store/",
    "/volunteers/",
    "/admin/",
    "/static/",
    "/media/",
    "/bench/",
)


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(route: str, number: str = "1") -> str:
    """A path for a route, with every parameter filled by a value that names an existing row (or ``number``
    for integer ones)."""
    path = re.sub(r"<int:[^>]+>", number, route)
    path = re.sub(r"<(?:str|slug):[^>]+>", "x", path)
    path = re.sub(r"<path:[^>]+>", "x", path)
    path = re.sub(r"<uuid:[^>]+>", "00000000-0000-0000-0000-000000000000", path)
    path = path.replace("^", "").replace("$", "").replace("\\Z", "")
    return "/" + path.lstrip("/")


def all_paths() -> list[str]:
    paths = {_concrete(route) for route in _walk(get_resolver().url_patterns)}
    return sorted(p for p in paths if "(?P" not in p and "admin/" not in p)


def is_public(path: str) -> bool:
    return path == "/" or path.startswith(PUBLIC_PREFIXES)


@pytest.fixture
def community(db):
    call_command("seed_demo", households=20, stdout=io.StringIO())


def _refused(response) -> bool:
    if response.status_code in (403, 404, 405):
        return True
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_visitors_are_refused_everywhere_but_public_pages_and_nothing_changes(community):
    client = Client()
    before = row_counts()
    leaks = []
    for path in all_paths():
        if not is_public(path):
            response = client.get(path)
            if not _refused(response):
                leaks.append(("GET", path, response.status_code))
        if path.startswith(("/accounts/", "/prefs/")):
            continue
        response = client.post(path, {"status": "approved", "points": "999", "is_staff": "on"})
        if is_public(path):
            if response.status_code >= 500:
                leaks.append(("POST", path, response.status_code))
        elif not _refused(response):
            leaks.append(("POST", path, response.status_code))
    assert not leaks
    assert row_counts() == before


def test_organizer_pages_refuse_residents_and_unverified_users(community, resident, newcomer):
    before = row_counts()
    leaks = []
    organizer_paths = [p for p in all_paths() if p.startswith("/organize/") or "/organize/" in p]
    assert organizer_paths
    for user in (resident, newcomer):
        client = Client()
        client.force_login(user)
        for path in organizer_paths:
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                if response.status_code not in (403, 404, 405):
                    leaks.append((user.username, method, path, response.status_code))
    assert not leaks
    assert row_counts() == before


def test_csrf_is_enforced_for_signed_in_users(community, resident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    before = row_counts()
    not_enforced = []
    for path in all_paths():
        if path.startswith(("/prefs/", "/static/", "/media/", "/healthz", "/bench/")):
            continue
        response = client.post(path, {"form": "consent", "show_name_publicly": "on"})
        if response.status_code not in (403, 404, 405):
            not_enforced.append((path, response.status_code))
    assert not not_enforced
    assert row_counts() == before


def test_ids_past_any_columns_range_are_not_found_rather_than_a_500(community, resident, organizer):
    """The URL's int converter takes any number of digits; the database would refuse one past 64 bits."""
    huge = str(2**70)
    routes = [route for route in _walk(get_resolver().url_patterns) if "<int:" in route and "admin/" not in route]
    assert routes
    failures = []
    for user in (resident, organizer):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for route in routes:
            path = _concrete(route, huge)
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                if response.status_code >= 500:
                    failures.append((user.username, method, path, response.status_code))
    assert not failures


# --- Grid scope: a grid worker, every organizer URL, grid B's objects ---------------------------------------------
#
# Every organizer URL (read from the URL map), as a grid worker scoped to grid A, with every id filled by the id of
# grid B's row in that table (tests/project/grid_b.py gives every table one row with the same id): each answer is a
# refusal (403/404/405), or a page, file or message in which grid B's person's name, phone and door do not appear;
# nothing of grid B changes, and nothing is written but community-wide audit lines.

# Rows an organizer reaches by a rule of their own, not by grid: one's account and notices, the audit log itself
# (its own rule: families.access.audit_entries_for), and import files (their uploader's).
OUTSIDE_GRIDS = {
    "families.communityassignment",
    "families.profile",
    "families.auditentry",
    "families.registerimport",
    "awards.notice",
    "awards.noticepreference",
}
# Models that no URL names by id, so they need no row with grid B's id.
NAMED_BY_NO_URL = {
    "families.communityassignment",
    "families.profile",
    "families.auditentry",
    "awards.notice",
    "awards.noticepreference",
    "awards.second",
    "awards.citationrevision",
    "awards.vote",
    "awards.papertally",
    "awards.correction",
    "activities.ledgerentry",
    "activities.pointsbalance",
    "activities.pointsaggregate",
    "activities.servicerecordcounter",
}
# Values for the text parts of routes, by parameter name.
TEXT_PARTS = {"fmt": ["csv", "xlsx"], "kind": ["hours", "activities", "ledger"], "slug": ["b"]}  # b: grid B's community


def _grid_paths():
    from families.access import GRID_PATHS

    return GRID_PATHS


def _organizer_routes() -> list[str]:
    routes = {route for route in _walk(get_resolver().url_patterns) if "(?P" not in route and "admin/" not in route}
    return sorted(r for r in routes if "organize/" in r or r.startswith(("households/", "nominations/", "rounds/")))


def _paths_for(route: str, world) -> list[str]:
    from tests.project.grid_b import B

    path = re.sub(r"<int:[^>]+>", str(B), route)
    path = re.sub(r"<str:number>", world.certificate_number, path)
    paths = ["/" + path.lstrip("/")]
    for name, values in TEXT_PARTS.items():
        if re.search(rf"<(?:str|slug):{name}>", route):
            paths = [re.sub(rf"<(?:str|slug):{name}>", value, p) for p in paths for value in values]
    return [re.sub(r"<(?:str|slug|path):[^>]+>", "x", p) for p in paths]


def _post_bodies(world) -> list[dict]:
    """Everything an organizer form about grid B's rows would send (prefixes carry grid B's id)."""
    from tests.project.grid_b import B_WALK_IN_PHONE, B

    common = {
        "action": "approve",
        "decision": "approve",
        "reason": "扫描",
        "amount": "50",
        "kind": "awarded",
        "phone": B_WALK_IN_PHONE.removeprefix("+86"),
        "citation": "改写的事迹",
        "answer": "答复",
        f"s{B}-attendance": "no_show",
        f"h{B}-hours": "1",
        f"h{B}-reason": "补录",
        f"c{B}-decision": "accept",
        f"c{B}-note": "同意",
        f"n{B}-decision": "shortlist",
        f"o{B}-answer": "答复",
    }
    return [
        {**common, "form": "rotate"},
        {**common, "form": "rotate_all", "action": "remove", "decision": "reject", f"n{B}-decision": "reject"},
    ]


def _grid_b_rows() -> dict:
    """Every row of grid B in every registered table, with all its values."""
    from django.apps import apps

    from tests.project.grid_b import B

    rows = {}
    for label, path in _grid_paths().items():
        if path is None:
            continue
        model = apps.get_model(label)
        rows[label] = list(model._default_manager.filter(**{f"{path}__in": [B]}).order_by("pk").values())
    return rows


def _texts_of(response) -> str:
    """What a reader gets: the page, a CSV, the cells of an XLSX, and the messages waiting for the next page."""
    import zipfile

    from django.contrib.messages import get_messages

    parts = [" ".join(str(message) for message in get_messages(response.wsgi_request))]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            parts += [book.read(name).decode("utf-8", "replace") for name in book.namelist()]
    else:
        parts.append(body.decode("utf-8-sig", "replace"))
    parts.append(response.get("Location", ""))
    return "\n".join(parts)


@pytest.fixture
def grid_world(db):
    from tests.project.grid_b import build_grid_world

    return build_grid_world()


def _sweep(user, world) -> tuple[list, list]:
    """Request every organizer URL as ``user``; return (refused requests, pages that showed grid B's secrets)."""
    from django.utils import timezone

    client = Client(raise_request_exception=False)
    client.force_login(user)
    name_part = world.secrets[0][:3]
    queries = [
        {},
        {"q": name_part, "code": world.pickup_code, "month": f"{timezone.localdate():%Y-%m}"},
        {"q": world.secrets[2][:9], "status": "submitted"},
    ]
    refused, leaks = [], []
    for route in _organizer_routes():
        for path in _paths_for(route, world):
            requests = [("get", query) for query in queries] + [("post", body) for body in _post_bodies(world)]
            for method, data in requests:
                response = getattr(client, method)(path, data)
                assert response.status_code < 500, (method, path, data, response.status_code)
                if response.status_code in (403, 404, 405):
                    refused.append((method, path))
                    continue
                text = _texts_of(response)
                shown = [secret for secret in world.secrets if secret in text]
                if shown:
                    leaks.append((method, path, data.get("q", ""), response.status_code, shown))
    return refused, leaks


def test_every_table_is_classified_and_every_table_a_url_names_has_a_grid_b_row(grid_world):
    """The sweep is only as good as its map: each model says where its grid is, and grid B fills each table."""
    from django.apps import apps

    from tests.project.grid_b import B

    unclassified, missing = [], []
    for app in ("families", "awards", "activities"):
        for model in apps.get_app_config(app).get_models():
            label = model._meta.label_lower
            if label not in _grid_paths() and label not in OUTSIDE_GRIDS:
                unclassified.append(label)  # register its grid path in the app's ready() (families.access)
            if label not in NAMED_BY_NO_URL and not model._default_manager.filter(pk=B).exists():
                missing.append(label)  # give it a row with grid B's id in tests/project/grid_b.py
    assert not unclassified
    assert not missing


@pytest.mark.parametrize("who", ["worker", "community_organizer"])
def test_a_grid_worker_or_community_organizer_sees_and_changes_nothing_of_another_community(grid_world, who):
    from project.models import AuditEntry

    before_rows, before_counts = _grid_b_rows(), row_counts()
    audit_before = set(AuditEntry.objects.values_list("pk", flat=True))
    refused, leaks = _sweep(getattr(grid_world, who), grid_world)
    assert not leaks
    assert _grid_b_rows() == before_rows
    after_counts = row_counts()
    after_counts.pop("project.AuditEntry"), before_counts.pop("project.AuditEntry")
    assert after_counts == before_counts
    # The only lines written are about community-wide objects (a new check-in code, an export).
    grid_b_labels = {label for label, path in _grid_paths().items() if path is not None}
    written = AuditEntry.objects.exclude(pk__in=audit_before)
    assert not [entry for entry in written if entry.target_type in grid_b_labels]
    # The worker was refused where grid B's rows are named, and grid B's community's activity and store item.
    for path in (
        "/organize/volunteers/9001/",
        "/organize/signups/9001/confirm/",
        "/organize/register/households/9001/",
        "/organize/activities/9001/",
        "/organize/activities/9001/edit/",
        "/organize/activities/9001/qr/",
        "/organize/activities/9001/confirm-all/",
        "/organize/activities/9001/new-code/",
        "/organize/store/items/9001/",
    ):
        assert any(p == path for _method, p in refused), path


def test_the_sweep_finds_grid_b_everywhere_for_an_organizer_who_sees_the_whole_register(grid_world):
    """The same sweep as the committee: grid B's person is there to be found, so the sweep above can fail."""
    _refused, shown = _sweep(grid_world.committee, grid_world)
    pages = {path for _method, path, *_rest in shown}
    for page in (
        "/organize/volunteers/",
        "/organize/volunteers/9001/",
        "/organize/activities/9001/",
        "/organize/activities/corrections/",
        "/organize/store/",
        "/organize/register/households/9001/",
        "/organize/audit/",
        "/organize/rounds/9001/nominations/",
        "/organize/activities/exports/activities.csv",
        "/organize/activities/exports/ledger.xlsx",
        "/organize/register/export.csv",
    ):
        assert page in pages, page


@pytest.mark.parametrize("who", ["worker", "community_organizer"])
def test_another_communitys_round_is_a_404_at_every_organizer_url_that_names_a_round(grid_world, who):
    """Rounds by place (#17, #18): a round of grid B's community, with every row an organizer URL can name given
    the id ``C``, is off the desk of community A's organizer and grid worker: a 404 (405 for a wrong method)."""
    from awards.models import AwardCategory, Nomination, NominationStatus, Objection, RoundCategory, TargetKind
    from tests.awards.factories import make_round
    from tests.project.grid_b import B

    c = B + 100  # ids past the grid world's own (its later rows took B + 1, B + 2, …)
    round = make_round("voting", pk=c, community_id=B, title="乙社区评选")
    category = AwardCategory.objects.create(name="乙社区好人", target_kind=TargetKind.PERSON)
    RoundCategory.objects.create(pk=c, round=round, category=category, winners=1)
    Nomination.objects.create(
        pk=c,
        round=round,
        entry_id=c,
        target_kind=TargetKind.PERSON,
        building=grid_world.b_person.household.building,
        household=grid_world.b_person.household,
        resident=grid_world.b_person,
        nominator=grid_world.b_person,
        citation="多年来照顾独居老人。",
        status=NominationStatus.SHORTLISTED,
    )
    Objection.objects.create(pk=c, round=round, resident=grid_world.b_person, text="我有异议")
    client = Client(raise_request_exception=False)
    client.force_login(getattr(grid_world, who))
    before = row_counts()
    routes = [r for r in _organizer_routes() if r.startswith("organize/") and "<int:" in r]
    swept = 0
    for route in routes:
        if not re.search(r"organize/(rounds|nominations|objections)/", route):
            continue
        for path in _paths_for(route, grid_world):
            path = path.replace(str(B), str(c))
            for method in ("get", "post"):
                status = getattr(client, method)(path, {"answer": "答复", f"n{c}-decision": "shortlist"}).status_code
                assert status in (404, 405), (method, path, status)
                swept += 1
    assert swept > 30
    assert row_counts() == before
