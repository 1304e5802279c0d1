"""Demo data for the register: a believable community with Chinese names.

Deterministic (a fixed random seed) and idempotent: running it twice changes nothing.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from project import registry
from project.access import ensure_organizer_group
from project.models import AuditEntry, Profile

from .models import (
    Building,
    Community,
    CommunityAssignment,
    FamilyMotto,
    Grid,
    GridAssignment,
    Household,
    MottoRevision,
    Resident,
)

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed by seed_demo on purpose
# The street: three communities, the first with two levels of grids (first-level grid: its second-level grids).
COMMUNITIES = [
    (
        "幸福里社区",
        "xingfuli",
        {"第一网格": ["第一网格一组", "第一网格二组"], "第二网格": ["第二网格一组", "第二网格二组"]},
    ),
    ("和平社区", "heping", {"和平一网格": [], "和平二网格": []}),
    ("春晖社区", "chunhui", {"春晖一网格": [], "春晖二网格": []}),
]
BUILDINGS = [
    "幸福里1号楼",
    "幸福里2号楼",
    "幸福里3号楼",
    "和平苑A座",
    "和平苑B座",
    "和平苑C座",
    "翠柳院",
    "银杏院",
    "春晖小区5号楼",
    "春晖小区6号楼",
    "长青里7号楼",
    "长青里8号楼",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = [
    "秀英",
    "桂英",
    "秀兰",
    "玉兰",
    "桂兰",
    "秀珍",
    "凤英",
    "建华",
    "建国",
    "建军",
    "志强",
    "志明",
    "国强",
    "国华",
    "文华",
    "丽华",
    "淑珍",
    "淑华",
    "玉珍",
    "海燕",
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀云",
    "霞",
    "平",
    "刚",
    "桂芳",
    "子涵",
    "欣怡",
    "浩然",
    "梓轩",
    "雨桐",
    "一诺",
    "宇航",
    "思远",
]


# Given names that are women's, for categories that honour women (好媳妇, 好婆婆 in awards.demo).
WOMEN_GIVEN = frozenset(
    {"秀英", "桂英", "秀兰", "玉兰", "桂兰", "秀珍", "凤英", "丽华", "淑珍", "淑华", "玉珍", "海燕", "芳"}
)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _progress(stdout, label: str, done: int, total: int) -> None:
    if stdout is not None and total >= 2000 and (done % 2000 == 0 or done == total):
        stdout.write(f"  {label}: {done}/{total} ({done * 100 // total}%)")


def seed(stdout=None, *, households: int = 300) -> dict:
    """Create grids, buildings, households, residents and the demo accounts."""
    rng = random.Random(2026)
    User = get_user_model()
    with transaction.atomic():
        communities, lowest, first_level = [], [], []
        for order, (name, slug, tree) in enumerate(COMMUNITIES):
            community = Community.objects.get_or_create(
                slug=slug, defaults={"name": name, "committee_name": f"{name}居民委员会", "sort_order": order}
            )[0]
            communities.append(community)
            for i, (first_name, second_names) in enumerate(tree.items()):
                first = Grid.objects.get_or_create(
                    community=community,
                    parent=None,
                    name=first_name,
                    defaults={"sort_order": i, "worker_name": _name(rng)},
                )[0]
                first_level.append(first)
                lowest += [
                    Grid.objects.get_or_create(
                        community=community,
                        parent=first,
                        level=Grid.SECOND,
                        name=second_name,
                        defaults={"sort_order": j, "worker_name": _name(rng)},
                    )[0]
                    for j, second_name in enumerate(second_names)
                ] or [first]
        grids = lowest
        buildings = [
            Building.objects.get_or_create(
                name=name, defaults={"grid": grids[i % len(grids)], "sort_order": i, "address": f"建设路{10 + i}号"}
            )[0]
            for i, name in enumerate(BUILDINGS)
        ]
    existing = set(Household.objects.values_list("building_id", "door_label"))
    new_households: list[Household] = []
    plan = []
    for index in range(households):
        building = buildings[index % len(buildings)]
        per_building = index // len(buildings)
        unit, floor, door = per_building // 40 + 1, (per_building // 4) % 10 + 1, per_building % 4 + 1
        door_label = f"{unit}单元{floor}0{door}"
        surname = SURNAMES[(index * 7) % len(SURNAMES)]
        plan.append((building, door_label, surname))
        if (building.pk, door_label) not in existing:
            new_households.append(
                Household(
                    building=building,
                    door_label=door_label,
                    display_name=f"{surname}家",
                    head_name=surname + rng.choice(GIVEN),
                    show_publicly=rng.random() < 0.8,
                    show_publicly_changed_at=timezone.now(),
                )
            )
    for start in range(0, len(new_households), 1000):
        with transaction.atomic():
            Household.objects.bulk_create(new_households[start : start + 1000])
        _progress(stdout, "households", min(start + 1000, len(new_households)), len(new_households))

    households_without_people = list(Household.objects.filter(residents__isnull=True).order_by("pk"))
    new_residents: list[Resident] = []
    now = timezone.now()
    for household in households_without_people:
        surname = household.display_name.rstrip("家") or "王"
        for number in range(rng.choice([1, 2, 2, 3, 3, 4])):
            new_residents.append(
                Resident(
                    household=household,
                    # The head of the household is one of its members, as in a real register.
                    full_name=household.head_name
                    if number == 0 and household.head_name
                    else surname + rng.choice(GIVEN),
                    phone=f"+8613{rng.randint(100000000, 999999999)}",  # stored in E.164 (project.phones)
                    status=Resident.Status.VERIFIED,
                    verified_at=now,
                    source=Resident.Source.IMPORT,  # the demo register stands for the office's spreadsheet
                    # Most demo neighbours agreed to be named, so the board shows names as well as anonymity.
                    show_name_publicly=rng.random() < 0.7,
                    show_name_changed_at=now,
                )
            )
    for start in range(0, len(new_residents), 2000):
        with transaction.atomic():
            Resident.objects.bulk_create(new_residents[start : start + 2000])
        _progress(stdout, "residents", min(start + 2000, len(new_residents)), len(new_residents))

    # Hash the demo password once: 22 accounts x PBKDF2 took most of seed_demo's time.
    demo_hash = make_password(DEMO_PASSWORD)
    with transaction.atomic():
        group = ensure_organizer_group()
        organizer, created = User.objects.get_or_create(
            username="organizer", defaults={"email": "organizer@example.com"}
        )
        if created:
            organizer.password = demo_hash
            organizer.save()
        organizer.groups.add(group)
        CommunityAssignment.objects.get_or_create(user=organizer, community=None)  # the whole street
        Profile.objects.get_or_create(user=organizer, defaults={"full_name": "刘网格"})
        first_households = list(Household.objects.order_by("pk")[:20])
        for number, household in enumerate(first_households, start=1):
            user, created = User.objects.get_or_create(username=f"resident{number}")
            if created:
                user.password = demo_hash
                user.save()
            if Resident.objects.filter(user=user).exists():
                continue
            person = household.residents.filter(user__isnull=True).order_by("pk").first()
            person.user = user
            person.show_name_publicly = number % 3 != 0
            person.show_name_changed_at = now
            person.save(update_fields=["user", "show_name_publicly", "show_name_changed_at"])
            Profile.objects.get_or_create(user=user, defaults={"full_name": person.full_name})
        grid_worker, created = User.objects.get_or_create(username="gridworker", defaults={"email": "grid@example.com"})
        if created:
            grid_worker.password = demo_hash
            grid_worker.save()
        grid_worker.groups.add(group)
        Profile.objects.get_or_create(user=grid_worker, defaults={"full_name": "陈网格"})
        # A first-level grid's worker: they see its second-level grids too.
        GridAssignment.objects.get_or_create(user=grid_worker, grid=first_level[0])
        for username, full_name, community in (
            ("shequ1", "赵社区", communities[0]),
            ("shequ2", "孙社区", communities[1]),
        ):
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.password = demo_hash
                user.save()
            user.groups.add(group)
            Profile.objects.get_or_create(user=user, defaults={"full_name": full_name})
            CommunityAssignment.objects.get_or_create(user=user, community=community)
        for building, ethos in zip(buildings, ETHOS, strict=False):
            if not building.ethos:
                building.ethos = ethos
                building.ethos_updated_at = now
                building.save(update_fields=["ethos", "ethos_updated_at"])
    _seed_mottos(organizer, households, now)
    logins = [
        ("organizer", "a street organizer: every community (/organize/)"),
        ("shequ1", f"a community organizer of {communities[0].name} (two grid levels)"),
        ("shequ2", f"a community organizer of {communities[1].name}"),
        ("gridworker", f"a grid worker of {first_level[0].name} and its second-level grids"),
    ]
    return {"organizer": organizer, "password": DEMO_PASSWORD, "logins": logins}


ETHOS = [
    "邻里守望，互帮互助；楼道整洁，文明有礼。",
    "尊老爱幼，和睦相处；节约用水，垃圾分类。",
    "有事好商量，有难大家帮。",
    "楼内无小事，人人是主人。",
    "远亲不如近邻，近邻不如对门。",
    "勤俭持家，崇德向善，爱护家园。",
    "一家有事百家帮，一楼和睦百楼学。",
    "安全文明，整洁有序，守望相助。",
]
MOTTOS = [
    "孝敬父母，勤俭持家。",
    "诚实做人，踏实做事。",
    "家和万事兴。",
    "读书明理，耕读传家。",
    "严以律己，宽以待人。",
    "一粥一饭，当思来之不易。",
    "与邻为善，以邻为伴。",
    "尊老爱幼，邻里和睦。",
    "勿以善小而不为，勿以恶小而为之。",
    "知足常乐，自强不息。",
    "忠厚传家久，诗书继世长。",
    "俭以养德，勤以立身。",
]


def _seed_mottos(organizer, households: int, now) -> None:
    """A mix of mottos: most approved and on the wall, some private, some waiting, one rejected then rewritten.

    Only households that have no motto yet get one, so running the seed again changes nothing.
    """
    count = min(households, Household.objects.count()) * 2 // 5
    chosen = list(Household.objects.filter(motto__isnull=True).order_by("pk")[:count])
    if not chosen or FamilyMotto.objects.exists():
        return
    with transaction.atomic():
        mottos = FamilyMotto.objects.bulk_create(
            [
                FamilyMotto(household=h, show_on_wall=i % 5 != 3, show_on_wall_changed_at=now)
                for i, h in enumerate(chosen)
            ]
        )
        revisions = []
        for i, motto in enumerate(mottos):
            text = MOTTOS[(i + i // len(BUILDINGS)) % len(MOTTOS)]
            if i % 7 == 5:
                revisions.append(
                    MottoRevision(
                        motto=motto,
                        text=text + "！！",
                        author_name=chosen[i].head_name,  # a person, in any language: the head who wrote it
                        created_at=now,
                        status=MottoRevision.Status.REJECTED,
                        reviewer=organizer,
                        reviewer_name=organizer.username,
                        reviewed_at=now,
                        reason="请去掉多余的标点，再提交一次。",
                    )
                )
            status = MottoRevision.Status.PENDING if i % 6 == 4 else MottoRevision.Status.APPROVED
            revisions.append(
                MottoRevision(
                    motto=motto,
                    text=text,
                    author_name=chosen[i].head_name,  # a person, in any language: the head who wrote it
                    created_at=now,
                    status=status,
                    reviewer=organizer if status == MottoRevision.Status.APPROVED else None,
                    reviewer_name=organizer.username if status == MottoRevision.Status.APPROVED else "",
                    reviewed_at=now if status == MottoRevision.Status.APPROVED else None,
                )
            )
        MottoRevision.objects.bulk_create(revisions)
        approved = {r.motto_id: r for r in revisions if r.status == MottoRevision.Status.APPROVED}
        for motto in mottos:
            motto.approved_revision = approved.get(motto.pk)
        FamilyMotto.objects.bulk_update(mottos, ["approved_revision"])
        # Two people a grid worker wrote down who still wait for an organizer to confirm them.
        for household, name in zip(chosen[:2], ("赵新来", "钱租户"), strict=False):
            Resident.objects.create(
                household=household, full_name=name, status=Resident.Status.PENDING, source=Resident.Source.ORGANIZER
            )
        AuditEntry.objects.log(actor=organizer, action="demo.mottos_seeded", details={"mottos": len(mottos)})


registry.demo(seed)
