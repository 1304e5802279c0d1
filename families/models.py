"""The register: grids, buildings, households, residents, grid assignments, family mottos and imports."""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from project.codes import new_code
from project.models import private_storage

# Eight characters without look-alikes (project.codes), easy to read aloud and type.
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    return new_code(JOIN_CODE_LENGTH)


def normalize_join_code(raw: str) -> str:
    """What a resident typed, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in (raw or "").upper() if ch not in " -\t")


# Han ideographs (with the extensions and compatibility forms) and the other CJK scripts' letters.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff]"
)
# The dot in transliterated names (阿依古丽·买买提) comes in several look-alikes; they read as one.
_NAME_DOTS = str.maketrans({"・": "·", "•": "·", "‧": "·", "∙": "·", "⋅": "·", "．": "·"})


def clean_person_name(raw: str) -> str:
    """A name as it is stored and shown: NFKC (full-width letters and spaces folded), no control or
    invisible characters, runs of whitespace as one space."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def name_key(raw: str) -> str:
    """What two spellings of one name have in common, to match a typed name against the register.

    After ``clean_person_name``: a name with Chinese (or other CJK) characters loses every space
    ("王 秀英", "王　秀英" and "王秀英" are one name) and its middle dots are one dot; a Latin name
    keeps single spaces between its words ("Anna Li" is not "AnnaLi"). Case is ignored in both.
    """
    text = clean_person_name(raw).translate(_NAME_DOTS)
    if _CJK.search(text):
        text = "".join(text.split()).replace(".", "·")  # NFKC made a full-width "．" a plain "."
    return text.casefold()


def community_name_default() -> str:
    """The name the first community gets: ``COMMUNITY_NAME``, or "本社区"."""
    return getattr(settings, "COMMUNITY_NAME", "") or "本社区"


class CommunityManager(models.Manager):
    def of_household(self, household_id: int) -> Community | None:
        """The community a household lives in (one query), or None."""
        return self.filter(grids__buildings__households=household_id).first()

    def only_one(self) -> Community:
        """The street's one community (made, named by ``COMMUNITY_NAME``, on an empty site), for what has no
        community of its own, such as a grid named in a register file while the street has one community."""
        community = self.order_by("pk").first()
        if community is None:
            name = community_name_default()
            community, _created = self.get_or_create(
                slug="main", defaults={"name": name, "committee_name": f"{name}居民委员会"}
            )
        return community


class Community(models.Model):
    """A community (社区) of the street: the site is the street office, and each community holds its grids."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(_("short name for addresses"), max_length=50, unique=True, allow_unicode=False)
    committee_name = models.CharField(
        _("committee"),
        max_length=80,
        blank=True,
        help_text=_("The residents' committee that issues its papers, for example 幸福里社区居民委员会."),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    objects = CommunityManager()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self) -> str:
        return self.name

    @property
    def issuing_body(self) -> str:
        """Who signs the community's paper: its committee as named, else "<name>居民委员会"."""
        return self.committee_name or f"{self.name}居民委员会"


def issuing_body_of(community: Community | None) -> str:
    """Who signs a community's paper: its committee, or, with none known, the first community's default name."""
    if community is not None:
        return community.issuing_body
    return f"{community_name_default()}居民委员会"


class Grid(models.Model):
    """A grid of a community: a first-level grid (一级网格, no parent), or a second-level grid (二级网格) inside
    one. Buildings belong to the lowest grid: a first-level grid with second-level grids holds no building
    (``families.services.save_grid`` and ``save_building`` keep it so, and ``clean()`` says why)."""

    FIRST, SECOND = 1, 2

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("first-level grid"),
        help_text=_("Empty for a first-level grid; for a second-level grid, the first-level grid it belongs to."),
    )
    level = models.PositiveSmallIntegerField(_("level"), default=FIRST, editable=False)
    name = models.CharField(_("name"), max_length=50)
    worker_name = models.CharField(_("grid worker"), max_length=50, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        constraints = [
            # The level says whether there is a parent: a first-level grid has none, a second-level grid has one.
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level=2, parent__isnull=False), name="grid_level_parent"
            ),
            models.UniqueConstraint(
                fields=["community", "name"], condition=Q(parent__isnull=True), name="grid_unique_name_in_community"
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="grid_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def path_name(self) -> str:
        """The grid as a person says it: "一网格 / 二网格" for a second-level grid."""
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        """The tree's rule as the database keeps it (the trigger of families 0013), in words for a form."""
        from django.core.exceptions import ValidationError

        super().clean()
        if self.pk is not None:
            children = Grid.objects.filter(parent=self.pk)
            if self.parent_id is not None and children.exists():
                raise ValidationError({"parent": _("A grid divided into second-level grids stays a first-level grid.")})
            if children.exclude(community=self.community_id).exists():
                raise ValidationError(
                    {"community": _("A first-level grid keeps the community of its second-level grids.")}
                )
        if self.parent_id is None:
            return
        if self.parent_id == self.pk:
            raise ValidationError({"parent": _("A second-level grid belongs to a first-level grid.")})
        parent = self.parent
        if parent.parent_id is not None:
            raise ValidationError({"parent": _("A second-level grid belongs to a first-level grid.")})
        if self.community_id is not None and parent.community_id != self.community_id:
            raise ValidationError({"parent": _("A second-level grid belongs to a grid of its own community.")})
        if parent.buildings.exists():
            raise ValidationError(
                {
                    "parent": _(
                        "This grid holds buildings. Move them to another grid before dividing it into second-level grids."
                    )
                }
            )


class Building(models.Model):
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("grid"))
    name = models.CharField(_("name"), max_length=80, unique=True, help_text=_("For example 幸福里3号楼."))
    address = models.CharField(_("address"), max_length=200, blank=True)
    ethos = models.TextField(_("building ethos"), max_length=500, blank=True)
    ethos_updated_at = models.DateTimeField(_("ethos updated"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["grid__sort_order", "sort_order", "name"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        if self.grid_id is not None and self.grid.children.exists():
            raise ValidationError(
                {"grid": _("This grid is divided into second-level grids: choose one of them for the building.")}
            )


class HouseholdQuerySet(models.QuerySet):
    def current(self) -> HouseholdQuerySet:
        """Households living here now (not moved out)."""
        return self.filter(moved_out_on__isnull=True)

    def community_id_of(self, household_id: int) -> int | None:
        """The community a household lives in, read fresh (one query): for rules decided in a service, where the
        answer must not come from an object loaded earlier (``Resident.community_id`` reads the loaded one)."""
        return self.filter(pk=household_id).values_list("building__grid__community_id", flat=True).first()

    def with_unusual_joins(self, *, since, accounts: int = 2) -> HouseholdQuerySet:
        """Households that ``accounts`` or more accounts joined or asked to join since ``since``.

        What a join slip shared in a group chat looks like: several accounts
        using one household's code (or door) within a day. Counted are requests
        made (pending, approved or turned down) and register persons an account
        was linked to, by distinct account, so one person's request and its
        approval count once. Annotated with ``recent_accounts``, most first.
        """
        recent = Q(source=Resident.Source.REQUEST, created_at__gte=since) | (
            Q(user__isnull=False, verified_at__gte=since) & ~Q(source=Resident.Source.REQUEST)
        )
        busy = (
            Resident.objects.filter(recent)
            .values("household")
            .annotate(accounts=models.Count("user", distinct=True))
            .filter(accounts__gte=accounts)
            .values("household")
        )
        recent_here = Q(residents__source=Resident.Source.REQUEST, residents__created_at__gte=since) | (
            Q(residents__user__isnull=False, residents__verified_at__gte=since)
            & ~Q(residents__source=Resident.Source.REQUEST)
        )
        return (
            self.filter(pk__in=busy)
            .annotate(recent_accounts=models.Count("residents__user", distinct=True, filter=recent_here))
            .order_by("-recent_accounts", "pk")
        )


class Household(models.Model):
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="households", verbose_name=_("building")
    )
    door_label = models.CharField(_("door"), max_length=40, help_text=_("For example 3单元502. Never shown in public."))
    display_name = models.CharField(_("display name"), max_length=40, help_text=_("For example 王家."))
    head_name = models.CharField(_("head of household"), max_length=50, blank=True)
    join_code = models.CharField(_("join code"), max_length=JOIN_CODE_LENGTH, unique=True, default=new_join_code)
    join_code_rotated_at = models.DateTimeField(_("join code issued"), default=timezone.now)
    show_publicly = models.BooleanField(
        _("show our household's name in public"),
        default=False,
        help_text=_("On the honour board, leaderboards and the motto wall. Opt-in, and can be withdrawn at any time."),
    )
    show_publicly_changed_at = models.DateTimeField(_("consent changed"), null=True, blank=True)
    moved_in_on = models.DateField(_("moved in"), default=timezone.localdate)
    # A household that moved out keeps its row: votes, ledger entries and honours still point at it and its people.
    moved_out_on = models.DateField(_("moved out"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["building__name", "door_label"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            # One household lives behind a door; the ones that moved out before it keep their rows.
            models.UniqueConstraint(
                fields=["building", "door_label"],
                condition=Q(moved_out_on__isnull=True),
                name="household_unique_door_per_building",
            ),
            models.CheckConstraint(
                condition=Q(moved_out_on__isnull=True) | Q(moved_out_on__gte=models.F("moved_in_on")),
                name="household_moves_out_after_moving_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.building.name} {self.display_name}"

    @property
    def has_moved_out(self) -> bool:
        return self.moved_out_on is not None

    @property
    def public_name(self) -> str:
        """The display name and the building, never the door. Check ``show_publicly`` before showing it."""
        return f"{self.building.name} · {self.display_name}"

    @property
    def anonymous_name(self) -> str:
        """What public pages show for a household that did not agree to be named."""
        return _("A household of %(building)s") % {"building": self.building.name}


class ResidentQuerySet(models.QuerySet):
    def verified(self) -> ResidentQuerySet:
        return self.filter(status=Resident.Status.VERIFIED)

    def verified_of_user(self, user_id: int) -> Resident | None:
        """A user's verified membership with its household, building and grid loaded: the same instances as
        ``verified().select_related("household__building__grid").filter(user=user_id).first()``, in one plain
        statement written once per process.

        Every signed-in resident page asks this first (``families.access.verified_membership``). On the
        benchmark machine the ORM spent about 1.8 ms of CPU per request building, compiling and loading that
        query, this about 0.4 ms (docs/performance.md). The values pass through the same converters the ORM
        applies and become instances by ``Model.from_db``; ``tests/families/test_membership_load.py`` compares
        every field with the ORM's answer on both databases, so a Django upgrade that changes either fails there.
        """
        connection = connections[self.db]
        sql, chain = _membership_statement(connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, [Resident.Status.VERIFIED, user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        loaded, start = [], 0
        for model, names, columns in chain:
            values = []
            for value, column in zip(row[start : start + len(names)], columns, strict=True):
                for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
                    value = convert(value, column, connection)
                values.append(value)
            loaded.append(model.from_db(self.db, names, values))
            start += len(names)
        resident, household, building, grid = loaded
        building.grid, household.building, resident.household = grid, building, household
        return resident

    def pending(self) -> ResidentQuerySet:
        return self.filter(status=Resident.Status.PENDING)

    def register_persons(self) -> ResidentQuerySet:
        """Rows an import or an organizer created (not a join), not removed."""
        return self.filter(source__in=Resident.REGISTER_SOURCES).exclude(status=Resident.Status.REMOVED)

    def unlinked_register_persons(self) -> ResidentQuerySet:
        """Register persons no account is linked to yet: who a join code may claim (by name)."""
        return self.register_persons().filter(user__isnull=True)


_MEMBERSHIP_STATEMENTS: dict[str, tuple[str, list]] = {}


def _membership_statement(connection) -> tuple[str, list]:
    """The statement of ``ResidentQuerySet.verified_of_user`` for this kind of database and, per model of the
    chain (resident, household, building, grid), its field names and columns in the order the statement
    returns them. Every name comes from the models' ``_meta``."""
    if connection.vendor in _MEMBERSHIP_STATEMENTS:
        return _MEMBERSHIP_STATEMENTS[connection.vendor]
    quote = connection.ops.quote_name
    links = (("r", Resident, None), ("h", Household, "household"), ("b", Building, "building"), ("g", Grid, "grid"))
    chain, selected, joins, previous = [], [], [], None
    for alias, model, link in links:
        fields = model._meta.concrete_fields
        chain.append((model, [field.attname for field in fields], [field.get_col(alias) for field in fields]))
        selected += [f"{alias}.{quote(field.column)}" for field in fields]
        if link is not None:
            column = previous[1]._meta.get_field(link).column
            joins.append(
                f"INNER JOIN {quote(model._meta.db_table)} {alias}"
                f" ON {alias}.{quote(model._meta.pk.column)} = {previous[0]}.{quote(column)}"
            )
        previous = (alias, model)
    meta = Resident._meta
    sql = (
        f"SELECT {', '.join(selected)} FROM {quote(meta.db_table)} r {' '.join(joins)}"  # noqa: S608 - _meta names
        f" WHERE r.{quote(meta.get_field('status').column)} = %s AND r.{quote(meta.get_field('user').column)} = %s"
        f" ORDER BY r.{quote(meta.pk.column)} LIMIT 1"
    )
    _MEMBERSHIP_STATEMENTS[connection.vendor] = (sql, chain)
    return sql, chain


class Resident(models.Model):
    """A person in the register, with or without an account.

    A user is a verified resident when a row links them to a household with
    status ``verified``; at most one such live row exists per user.

    ``source`` says who wrote the row. A *register person* is a row an import
    or an organizer created; a join code can link an account to one of them
    (``families.services.join_household``). A row created by a join is a
    *request* (``source = request``): while pending it gives no rights, and it
    may name the register person it claims to be (``matched_person``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        VERIFIED = "verified", _("Verified")
        REMOVED = "removed", _("Removed")

    class Source(models.TextChoices):
        IMPORT = "import", _("Register import")
        ORGANIZER = "organizer", _("Added by an organizer")
        REQUEST = "request", _("Asked to join")

    REGISTER_SOURCES = (Source.IMPORT, Source.ORGANIZER)

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="residents", verbose_name=_("household")
    )
    full_name = models.CharField(_("full name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text=_("Kept private."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="residencies",
        verbose_name=_("account"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VERIFIED)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    source = models.CharField(
        _("origin"),
        max_length=10,
        choices=Source.choices,
        default=Source.ORGANIZER,
        help_text=_("Who put this person in the register: an import, an organizer, or the person asking to join."),
    )
    matched_person = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("matches register person"),
        help_text=_("For a request: the register person of that household whose name it gave. Approval links to them."),
    )
    with_code = models.BooleanField(
        _("asked with the join code"),
        default=False,
        help_text=_("For a request: the person entered the household's join code (otherwise building and door)."),
    )
    show_name_publicly = models.BooleanField(
        _("show my name in public"),
        default=False,
        help_text=_("On the honour board, leaderboards and the motto wall. Opt-in, and can be withdrawn at any time."),
    )
    show_name_changed_at = models.DateTimeField(_("consent changed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        ordering = ["household", "full_name"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        constraints = [
            # One live membership per account: a user belongs to one household at a time.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(user__isnull=False) & ~Q(status="removed"),
                name="resident_one_live_membership_per_user",
            ),
            models.CheckConstraint(
                condition=Q(source__in=["import", "organizer", "request"]), name="resident_source_known"
            ),
            # Only a request names the register person it claims to be.
            models.CheckConstraint(
                condition=Q(matched_person__isnull=True) | Q(source="request"), name="resident_only_requests_match"
            ),
        ]
        indexes = [
            models.Index(fields=["household", "status"]),
            # The dashboard's unusual-joins flag reads the last day's requests and links.
            models.Index(fields=["created_at"], condition=Q(source="request"), name="resident_request_recent"),
            models.Index(fields=["verified_at"], condition=Q(user__isnull=False), name="resident_linked_recent"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED

    @property
    def community_id(self) -> int | None:
        """The community the resident lives in (household → building → grid → community), read off the objects
        loaded with them: ``verified_membership`` loads the chain in its one query, so this costs none. Services
        that decide under a lock read it fresh instead (``Household.objects.community_id_of``)."""
        return self.household.building.grid.community_id

    @property
    def is_register_person(self) -> bool:
        return self.source in self.REGISTER_SOURCES

    @property
    def public_name(self) -> str:
        """The person's name if they agreed to be named in public, otherwise an anonymous description."""
        if self.show_name_publicly:
            return self.full_name
        return _("A resident of %(building)s") % {"building": self.household.building.name}


class GridAssignment(models.Model):
    """A grid worker assigned to a grid: they see and edit that grid's part of the register, and for a first-level
    grid its second-level grids' too (``families.access.organizer_grid_ids``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grid_assignments", verbose_name=_("organizer")
    )
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("grid"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["grid__sort_order", "grid__name", "user__username"]
        verbose_name = _("grid assignment")
        verbose_name_plural = _("grid assignments")
        constraints = [models.UniqueConstraint(fields=["user", "grid"], name="grid_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.grid}"


class CommunityAssignment(models.Model):
    """An organizer's place above the grids: a community (a community organizer, who sees its grids), or, with no
    community, the whole street (a street organizer, who sees everything and assigns community organizers)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="community_assignments",
        verbose_name=_("organizer"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("community"),
        help_text=_("Empty: the whole street."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["community__sort_order", "community__name", "user__username"]
        verbose_name = _("community assignment")
        verbose_name_plural = _("community assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="community_assignment_unique"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(community__isnull=True), name="community_assignment_one_street"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.community or _('the street')}"


class FamilyMottoQuerySet(models.QuerySet):
    def on_wall(self) -> FamilyMottoQuerySet:
        """Mottos the public may see: an approved revision, and the household chose to show it."""
        return (
            self.filter(show_on_wall=True, approved_revision__isnull=False)
            .select_related("approved_revision", "household__building__grid")
            .order_by("-approved_revision__reviewed_at", "-id")
        )

    def in_community(self, community: Community) -> FamilyMottoQuerySet:
        """Mottos of the community's households: those whose building's grid is in the community."""
        return self.filter(household__building__grid__community=community)


class FamilyMotto(models.Model):
    """A household's motto (家训): one per household, with its revisions as history.

    ``approved_revision`` points at the newest approved revision (what the
    public may see); it is kept in step by the moderation service so the wall
    is one query.
    """

    household = models.OneToOneField(
        Household, on_delete=models.CASCADE, related_name="motto", verbose_name=_("household")
    )
    approved_revision = models.ForeignKey(
        "MottoRevision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved text"),
    )
    show_on_wall = models.BooleanField(
        _("show our motto on the motto wall"),
        default=False,
        help_text=_("Only the approved text is shown. Opt-in, and can be withdrawn at any time."),
    )
    show_on_wall_changed_at = models.DateTimeField(_("consent changed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = FamilyMottoQuerySet.as_manager()

    class Meta:
        verbose_name = _("family motto")
        verbose_name_plural = _("family mottos")

    def __str__(self) -> str:
        return str(self.household)

    @property
    def public_household_name(self) -> str:
        household = self.household
        return household.public_name if household.show_publicly else household.anonymous_name


class MottoRevisionQuerySet(models.QuerySet):
    def pending(self) -> MottoRevisionQuerySet:
        return self.filter(status=MottoRevision.Status.PENDING)


class MottoRevision(models.Model):
    """One version of a motto, kept for good: the text is never changed, only reviewed once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not approved")
        SUPERSEDED = "superseded", _("Replaced by a newer version")

    MAX_LENGTH = 200
    REVIEW_FIELDS = frozenset({"status", "reviewer", "reviewer_name", "reviewed_at", "reason"})

    motto = models.ForeignKey(FamilyMotto, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("motto"))
    text = models.TextField(_("motto"), max_length=MAX_LENGTH)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    author_name = models.CharField(_("written by"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewer_name = models.CharField(_("reviewed by"), max_length=150, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    objects = MottoRevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("motto revision")
        verbose_name_plural = _("motto revisions")
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(reason=""), name="motto_rejection_has_reason"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "superseded"]) | Q(reviewed_at__isnull=False),
                name="motto_review_has_time",
            ),
            # One version waits for review per household: the queue never shows two.
            models.UniqueConstraint(fields=["motto"], condition=Q(status="pending"), name="motto_one_pending_revision"),
        ]

    def __str__(self) -> str:
        return self.text[:40]

    def save(self, *args, **kwargs):
        # The history is append-only: after creation only the review fields may change.
        if self.pk is not None:
            fields = set(kwargs.get("update_fields") or ())
            if not fields or not fields <= self.REVIEW_FIELDS:
                raise TypeError("A motto revision's text is never changed: write a new revision.")
        super().save(*args, **kwargs)


class CompactJSONEncoder(DjangoJSONEncoder):
    """JSON without escapes for Chinese text or spaces: a checked 100,000-row register is 11 MB, not 24 MB."""

    def __init__(self, *args, **kwargs):
        kwargs.update(ensure_ascii=False, separators=(",", ":"))
        super().__init__(*args, **kwargs)


class RegisterImport(models.Model):
    """An uploaded register file, from its upload through its check and preview to its import (kept for the
    record afterwards).

    The web request only stores the file and this row; tasks (``families.tasks``) check it and import it,
    writing how far they have got (``status``, ``done``, ``total``, ``message``) here, so any app server
    can show the progress. The stored file (``file``) is deleted when its check ends; one left behind by a
    worker that died is found by ``file`` not empty and ``updated_at`` old
    (``services.remove_stale_uploads``, for the scheduled tick).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be checked")
        CHECKING = "checking", _("Being checked")
        PREVIEWED = "previewed", _("Checked, not imported")
        TO_IMPORT = "to_import", _("Waiting to be imported")
        IMPORTING = "importing", _("Being imported")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Failed")

    # The states in which a task is still to do something: the page polls while the record is in one of them.
    WORKING = (Status.QUEUED, Status.CHECKING, Status.TO_IMPORT, Status.IMPORTING)

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    filename = models.CharField(_("file"), max_length=200)
    # The upload in the site's private storage (never a local-only path, never public media) until its check ends.
    file = models.FileField(
        _("stored upload"), upload_to="imports/", storage=private_storage, max_length=200, blank=True, editable=False
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Progress of the running task: rows read while checking, rows written while importing (total 0: unknown).
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    # Why the check failed or the import was refused, in the language of the organizer who asked (``language``).
    message = models.CharField(_("message"), max_length=500, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)
    # The file is parsed once, by the check task (services.check_upload): the preview page shows ``preview``
    # (problems, counts, what an import would change) and "Import now" writes ``plan``, the checked rows,
    # so what is imported is what was checked.
    preview = models.JSONField(_("check"), default=dict, blank=True, editable=False, encoder=CompactJSONEncoder)
    plan = models.JSONField(_("checked rows"), null=True, blank=True, editable=False, encoder=CompactJSONEncoder)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")
        indexes = [models.Index(fields=["status", "updated_at"], name="registerimport_state")]

    def __str__(self) -> str:
        return self.filename

    @property
    def working(self) -> bool:
        return self.status in self.WORKING
