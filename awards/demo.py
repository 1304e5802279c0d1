"""Demo data for award rounds: the usual categories, last year's published round, this year's round in voting,
and the street's two levels: each community's published round of the year, and a street round whose shortlist
is those rounds' winners, taken forward (推荐上报) by ``services.take_forward``.

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
from families.models import Building, Community, Household, Resident
from project import registry

from .models import AwardCategory, AwardRound, Nomination, NominationStatus, RoundCategory, TargetKind, VoteUnit
from .services import AwardError, cast_vote, publish_round, take_forward

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


def _new_round(title: str, year: int, start, **values) -> AwardRound:
    """An announced round whose timeline starts (nominations open) at ``start``."""
    return AwardRound.objects.create(title=title, year=year, announced=True, **_round_times(start), **values)


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


def _nominate_all(
    round, entries, rng, *, per_category: int, nominators: list[Resident], community: Community | None = None
) -> list[Nomination]:
    """Shortlisted nominations in each of ``entries``: for a community's round, of its own buildings and people."""
    buildings = Building.objects.order_by("pk")
    households = Household.objects.order_by("pk")
    people = Resident.objects.verified().filter(user__isnull=True).order_by("pk")
    if community is None:
        buildings, households, people = list(buildings[:12]), list(households[20:80]), list(people[40:200])
    else:
        buildings = list(buildings.filter(grid__community=community))
        households = list(households.filter(building__grid__community=community)[:60])
        people = list(people.filter(household__building__grid__community=community)[:160])
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


def _publish_with_winners(round: AwardRound, made: list[Nomination], entries, rng, organizer) -> None:
    """Count paper votes, confirm the first ``winners`` of each category and publish on the round's own date."""
    for entry in entries:
        mine = [n for n in made if n.entry_id == entry.pk]
        for index, nomination in enumerate(mine):
            nomination.paper_votes = rng.randint(5, 40)
            nomination.is_winner = index < entry.winners
            nomination.save(update_fields=["paper_votes", "is_winner"])
    AwardRound.objects.filter(pk=round.pk).update(
        results_confirmed_at=round.voting_close_at + timedelta(days=1),
        voting_notice_sent_at=round.voting_open_at,
    )
    round.refresh_from_db()
    publish_round(round=round, actor=organizer)
    AwardRound.objects.filter(pk=round.pk).update(published_at=round.publication_at)
    round.honours.update(published_at=round.publication_at)


def _street_levels(rng, categories: list[AwardCategory], organizer, now, year: int) -> None:
    """Each community's round of the year, published, and the street's round that takes their winners forward."""
    good_people = next(category for category in categories if category.name == "身边好人")
    five_good = next(category for category in categories if category.name == "五好家庭")
    for community in Community.objects.order_by("sort_order", "pk"):
        title = f"{community.name}{year}年度好人好事评选"
        if AwardRound.objects.filter(title=title).exists():
            continue
        nominators = list(
            Resident.objects.verified()
            .filter(user__isnull=False, household__building__grid__community=community)
            .order_by("pk")[:10]
        )
        if not nominators:
            continue
        with transaction.atomic():
            round = _new_round(
                title,
                year,
                now - timedelta(days=70),
                community=community,
                description=f"{community.name}居民推荐、居民投票，评出本社区的身边好人和五好家庭。",
            )
            entries = _entries(round, [good_people, five_good])
            made = _nominate_all(round, entries, rng, per_category=4, nominators=nominators, community=community)
            _publish_with_winners(round, made, entries, rng, organizer)

    title = f"{year}年度街道“身边好人”评选"
    if AwardRound.objects.filter(title=title).exists():
        return
    with transaction.atomic():
        # Under review now: the communities' winners are its candidates; voting opens in a few days.
        street = _new_round(
            title,
            year,
            now - timedelta(days=12),
            description="各社区评出的身边好人推荐上报街道，全街道居民投票选出街道“身边好人”。",
        )
        entry = RoundCategory.objects.create(
            round=street,
            category=good_people,
            winners=5,
            votes_per_voter=3,
            vote_unit=VoteUnit.RESIDENT,
            takes_forward=True,
        )
    take_forward(entry=entry, actor=organizer)


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
            past = _new_round(past_title, year - 1, now - timedelta(days=300))
            entries = _entries(past, categories)
            made = _nominate_all(past, entries, rng, per_category=4, nominators=nominators)
            _publish_with_winners(past, made, entries, rng, organizer)

    _street_levels(rng, categories, organizer, now, year)

    current_title = f"{year}年度评选"
    if not AwardRound.objects.filter(title=current_title).exists():
        with transaction.atomic():
            current = _new_round(
                current_title,
                year,
                now - timedelta(days=20),
                description="一年一度的社区评选：推荐身边的好人好事，为文明楼院、五好家庭、身边好人投上你的一票。",
                voting_notice_sent_at=now,
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
