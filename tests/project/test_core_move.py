"""The audit log and the accounts' profiles moved from families to the core, with their tables, rows and rights.

families 0007 and project 0003 move only Django's idea of the models; the
tables stay. Their content types are renamed, so the permissions pointing at
them, and the organizer group holding those permissions, keep working.
families 0008 and project 0004 store every phone number in E.164.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from families.models import Resident
from project.access import ORGANIZER_GROUP, ensure_organizer_group
from project.models import AuditEntry, Profile
from tests.migrations import at_migrations, migrate_to_latest

BEFORE = [("families", "0006_register_import_keeps_its_check"), ("project", "0002_notices")]


@pytest.fixture
def old_state(transactional_db):
    """The database as it was before the move, and its models; migrated forward again afterwards in any case."""
    with at_migrations(BEFORE) as apps:
        yield apps


def test_the_moved_tables_keep_every_row_and_the_organizer_group_its_permissions(old_state, capsys):
    old = old_state
    User = old.get_model("auth", "User")
    OldGroup = old.get_model("auth", "Group")
    OldPermission = old.get_model("auth", "Permission")
    OldContentType = old.get_model("contenttypes", "ContentType")
    OldProfile = old.get_model("families", "Profile")
    OldAudit = old.get_model("families", "AuditEntry")

    organizer = User.objects.create(username="old-organizer")
    resident = User.objects.create(username="old-resident")
    OldProfile.objects.create(user=organizer, full_name="刘网格", phone="+8613800001111", phone_verified=True)
    OldProfile.objects.create(user=resident, full_name="王秀英", phone=None)
    entries = [
        OldAudit.objects.create(
            actor=organizer,
            actor_name="old-organizer",
            action="household.created",
            target_type="families.household",
            target_id="7",
            target_repr="幸福里1号楼 王家",
            details={"door": "1单元101"},
        ),
        OldAudit.objects.create(
            actor=None,
            actor_name="",
            action="account.made_organizer",
            target_type="auth.user",
            target_id=str(organizer.pk),
        ),
    ]
    # The organizer group as families' ensure_organizer_group left it: the moved models' permissions included.
    moved_types = OldContentType.objects.filter(app_label="families", model__in=["profile", "auditentry"])
    assert moved_types.count() == 2  # the content types the moved models had (renamed back by the migration)
    group = OldGroup.objects.create(name=ORGANIZER_GROUP)
    moved_permissions = list(OldPermission.objects.filter(content_type__in=moved_types))
    assert len(moved_permissions) == 8  # add, change, delete, view for each
    group.permissions.add(*moved_permissions)
    organizer.groups.add(group)
    profile_rows = sorted(OldProfile.objects.values_list("pk", "user_id", "full_name", "phone", "phone_verified"))
    audit_rows = sorted(OldAudit.objects.values_list("pk", "actor_id", "action", "target_type", "target_id", "details"))

    migrate_to_latest()

    assert sorted(Profile.objects.values_list("pk", "user_id", "full_name", "phone", "phone_verified")) == profile_rows
    assert (
        sorted(AuditEntry.objects.values_list("pk", "actor_id", "action", "target_type", "target_id", "details"))
        == audit_rows
    )
    assert AuditEntry.objects.get(pk=entries[0].pk).target_repr == "幸福里1号楼 王家"
    assert not ContentType.objects.filter(app_label="families", model__in=["profile", "auditentry"]).exists()
    group = Group.objects.get(name=ORGANIZER_GROUP)
    kept = set(group.permissions.values_list("pk", flat=True))
    assert kept == {permission.pk for permission in moved_permissions}  # the same rows, now the core's
    assert {p.content_type.app_label for p in group.permissions.select_related("content_type")} == {"project"}
    organizer = type(group.user_set.get()).objects.get(username="old-organizer")
    assert organizer.has_perm("project.view_auditentry") and organizer.has_perm("project.change_profile")
    # The audit log stays append-only through its new model.
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entries[0].pk).update(action="edited")


def test_the_register_and_the_profiles_keep_their_phones_in_e164(old_state, capsys):
    old = old_state
    User = old.get_model("auth", "User")
    grid = old.get_model("families", "Grid").objects.create(name="老网格")
    building = old.get_model("families", "Building").objects.create(name="老楼", grid=grid)
    household = old.get_model("families", "Household").objects.create(
        building=building, door_label="1单元101", display_name="林家", join_code="OLDCODE3"
    )
    OldResident = old.get_model("families", "Resident")
    people = {
        phone: OldResident.objects.create(household=household, full_name=f"林{n}", phone=phone, status="verified").pk
        for n, phone in enumerate(["13812345678", "01012345678", "07551234567", "+8613912345678", "", "12345"])
    }
    OldProfile = old.get_model("families", "Profile")
    OldProfile.objects.create(user=User.objects.create(username="a"), phone="+8613812345678", phone_verified=True)
    odd = OldProfile.objects.create(user=User.objects.create(username="b"), phone="+999")
    capsys.readouterr()

    migrate_to_latest()

    stored = dict(Resident.objects.filter(pk__in=people.values()).values_list("pk", "phone"))
    assert {typed: stored[pk] for typed, pk in people.items()} == {
        "13812345678": "+8613812345678",
        "01012345678": "+861012345678",
        "07551234567": "+867551234567",
        "+8613912345678": "+8613912345678",
        "": "",
        "12345": "12345",  # not a phone number: kept as it was, and named by id in the output
    }
    output = capsys.readouterr().out
    assert f"ids [{people['12345']}]" in output
    assert Profile.objects.get(user__username="a").phone == "+8613812345678"
    assert Profile.objects.get(pk=odd.pk).phone == "+999"  # kept, and reported
    assert f"ids [{odd.pk}]" in output
    assert "+999" not in output  # rows are named by id, never by their numbers


@pytest.mark.django_db
def test_the_organizer_group_holds_every_apps_permissions_and_the_cores_profiles_and_audit_log():
    group = ensure_organizer_group()
    labels = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert labels == {"project", "families", "awards", "activities"}
    core = set(group.permissions.filter(content_type__app_label="project").values_list("codename", flat=True))
    assert core == {
        f"{verb}_{model}" for verb in ("add", "change", "delete", "view") for model in ("profile", "auditentry")
    }
    assert not Permission.objects.filter(content_type__app_label="families", codename__endswith="auditentry").exists()
