"""Demo data for award rounds: the usual categories, last year's published round, this year's round in voting.

Deterministic and idempotent: running it twice changes nothing.
"""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from families.demo import WOMEN_GIVEN
from families.models import Building, Household, Resident
from project import registry

from .models import AwardCategory, AwardRound, Nomination, NominationStatus, RoundCategory, TargetKind, VoteUnit
from .services import AwardError, cast_vote, publish_round

FIVE_GOOD = (
    "1. 爱国守法、热心公益好；\n"
    "2. 学习进取、爱岗敬业好；\n"
    "3. 男女平等、尊老爱幼好；\n"
    "4. 移风易俗、勤俭持家好；\n"
    "5. 夫妻和睦、邻里团结好。"
)
CATEGORIES = [
    ("文明楼院", TargetKind.BUILDING, "楼道整洁、无乱堆乱放；邻里和睦互助；积极参与社区活动；垃圾分类做得好。"),
    ("五好家庭", TargetKind.HOUSEHOLD, FIVE_GOOD),
    ("身边好人", TargetKind.PERSON, "助人为乐、见义勇为、诚实守信、敬业奉献、孝老爱亲，事迹真实、群众公认。"),
    ("好媳妇", TargetKind.PERSON, "孝敬公婆、勤俭持家、和睦邻里，在家庭和社区中起表率作用。"),
    ("好婆婆", TargetKind.PERSON, "关爱儿媳、通情达理、家庭和睦，在邻里中有良好口碑。"),
]
CITATIONS = [
    "多年来坚持每天清扫楼道，冬天为独居老人送饭送菜，邻居们有事都愿意找她帮忙，大家都说她是楼里的热心人。",
    "疫情期间主动报名做志愿者，连续两个月在小区门口值守，平时还组织楼里的孩子们一起读书、做手工。",
    "全家人孝老爱亲，照顾卧病在床的老人十余年如一日，还经常帮助楼里的困难家庭，邻里关系和睦融洽。",
    "带头做好垃圾分类，自费购买花草美化楼院，组织邻居成立互助小组，楼里从此没有乱堆乱放的现象。",
    "热心社区公益，每周到社区日间照料中心为老人理发，风雨无阻坚持了五年，老人们都亲切地叫他“小师傅”。",
]


WOMEN_ONLY = {"好媳妇", "好婆婆"}
CITATIONS_BY_CATEGORY = {
    "文明楼院": [
        "楼里自发成立了卫生小组，每周六一起清扫楼道、清理杂物，十年来楼道里从没堆过东西。",
        "全楼住户垃圾分类准确率常年第一，楼长带头在门口设了旧物交换角。",
        "楼里的年轻人轮流给独居老人买菜、修水管，逢年过节还在楼下办百家宴。",
        "加装电梯时全楼二十四户一户不落地签了字，邻里之间从没红过脸。",
    ],
    "五好家庭": [
        "三代同堂，家里的事大家商量着办；女儿考上大学后每个寒暑假都回社区做志愿者。",
        "夫妻俩照顾瘫痪在床的老父亲八年，从不抱怨，还常帮邻居照看孩子。",
        "一家人坚持勤俭节约，把省下来的钱资助了两名山区学生读完高中。",
        "家里立下“邻里有事必帮”的家训，楼里谁家有困难，他们总是第一个到。",
    ],
    "身边好人": CITATIONS,
    "好媳妇": [
        "婆婆卧病六年，她每天擦身、喂饭、陪着说话，邻居们都说亲闺女也不过如此。",
        "丈夫常年在外工作，她一个人照顾公婆和孩子，还把家里打理得井井有条。",
        "公公患了阿尔茨海默病，她辞去工作在家照料，每天推着老人到小区里晒太阳。",
        "她把婆婆的生日记得比自己的还清楚，每年都张罗全家给老人过寿。",
    ],
    "好婆婆": [
        "儿媳生病住院，她白天照顾孙子、晚上到医院陪护，从不让儿媳操心家里。",
        "她常说“儿媳也是女儿”，家里的大事小事都和儿媳商量，婆媳俩像母女一样。",
        "退休后主动帮儿子儿媳带孩子，还教楼里的孩子们写毛笔字。",
        "她把家里的积蓄拿出来帮儿媳开了一家小店，逢人就夸儿媳能干。",
    ],
}


def _round_times(start):
    day = timedelta(days=1)
    return {
        "nominations_open_at": start,
        "nominations_close_at": start + 10 * day,
        "review_end_at": start + 17 * day,
        "voting_open_at": start + 18 * day,
        "voting_close_at": start + 30 * day,
        "publicity_end_at": start + 40 * day,
        "publication_at": start + 41 * day,
    }


def _categories() -> list[AwardCategory]:
    return [
        AwardCategory.objects.get_or_create(
            name=name, defaults={"target_kind": kind, "criteria": criteria, "sort_order": index}
        )[0]
        for index, (name, kind, criteria) in enumerate(CATEGORIES)
    ]


def _entries(round: AwardRound, categories: list[AwardCategory]) -> list[RoundCategory]:
    entries = []
    for category in categories:
        entries.append(
            RoundCategory.objects.create(
                round=round,
                category=category,
                winners=3 if category.target_kind != TargetKind.BUILDING else 2,
                votes_per_voter=3 if category.target_kind != TargetKind.BUILDING else 2,
                vote_unit=VoteUnit.HOUSEHOLD if category.target_kind == TargetKind.HOUSEHOLD else VoteUnit.RESIDENT,
                self_nomination_allowed=category.target_kind == TargetKind.BUILDING,
            )
        )
    return entries


def _nominate_all(round, entries, rng, *, per_category: int, nominators: list[Resident]) -> list[Nomination]:
    buildings = list(Building.objects.order_by("pk")[:12])
    households = list(Household.objects.order_by("pk")[20:80])
    people = list(Resident.objects.verified().filter(user__isnull=True).order_by("pk")[40:200])
    women = [person for person in people if person.full_name[1:] in WOMEN_GIVEN]
    # Each category's own stories, in turn, so that neighbouring cards do not repeat each other.
    citations = {name: itertools.cycle(rng.sample(texts, len(texts))) for name, texts in CITATIONS_BY_CATEGORY.items()}
    made = []
    for entry in entries:
        kind = entry.category.target_kind
        pool = {TargetKind.BUILDING: buildings, TargetKind.HOUSEHOLD: households, TargetKind.PERSON: people}[kind]
        if entry.category.name in WOMEN_ONLY:
            pool = women
        for target in rng.sample(pool, min(per_category, len(pool))):
            if kind == TargetKind.BUILDING:
                where = {"building": target}
            elif kind == TargetKind.HOUSEHOLD:
                where = {"building": target.building, "household": target}
            else:
                where = {"building": target.household.building, "household": target.household, "resident": target}
            citation = next(citations[entry.category.name])
            made.append(
                Nomination.objects.create(
                    round=round,
                    entry=entry,
                    target_kind=kind,
                    nominator=rng.choice(nominators),
                    citation=citation,
                    status=NominationStatus.SHORTLISTED,
                    reviewed_at=round.review_end_at,
                    **where,
                )
            )
    return made


def seed(stdout=None, *, households: int = 300) -> dict:
    """Create the categories, a published round for last year and a round in voting for this year."""
    rng = random.Random(4)
    organizer = get_user_model().objects.filter(username="organizer").first()
    categories = _categories()
    nominators = list(Resident.objects.verified().filter(user__isnull=False).order_by("pk")[:20])
    if not nominators:
        return {}
    now = timezone.now()
    year = timezone.localdate().year

    past_title = f"{year - 1}年度评选"
    if not AwardRound.objects.filter(title=past_title).exists():
        with transaction.atomic():
            start = now - timedelta(days=300)
            past = AwardRound.objects.create(title=past_title, year=year - 1, announced=True, **_round_times(start))
            entries = _entries(past, categories)
            made = _nominate_all(past, entries, rng, per_category=4, nominators=nominators)
            for entry in entries:
                mine = [n for n in made if n.entry_id == entry.pk]
                for index, nomination in enumerate(mine):
                    nomination.paper_votes = rng.randint(5, 40)
                    nomination.is_winner = index < entry.winners
                    nomination.save(update_fields=["paper_votes", "is_winner"])
            AwardRound.objects.filter(pk=past.pk).update(
                results_confirmed_at=past.voting_close_at + timedelta(days=1),
                voting_notice_sent_at=past.voting_open_at,
            )
            past.refresh_from_db()
            publish_round(round=past, actor=organizer)
            AwardRound.objects.filter(pk=past.pk).update(published_at=past.publication_at)
            past.honours.update(published_at=past.publication_at)

    current_title = f"{year}年度评选"
    if not AwardRound.objects.filter(title=current_title).exists():
        with transaction.atomic():
            current = AwardRound.objects.create(
                title=current_title,
                year=year,
                announced=True,
                description="一年一度的社区评选：推荐身边的好人好事，为文明楼院、五好家庭、身边好人投上你的一票。",
                voting_notice_sent_at=now,
                **_round_times(now - timedelta(days=20)),
            )
            entries = _entries(current, categories)
            made = _nominate_all(current, entries, rng, per_category=5, nominators=nominators)
        voters = list(Resident.objects.verified().select_related("household").order_by("pk")[20:120])
        for voter in voters:
            for nomination in rng.sample(made, 4):
                try:
                    cast_vote(nomination=nomination, resident=voter)
                except AwardError:
                    continue
    return {}


registry.demo(seed, after=("families",))
