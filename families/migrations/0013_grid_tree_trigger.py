"""The database keeps the grid tree whole: a second-level grid's parent is a first-level grid of the same community.

A check constraint cannot look at another row, and a composite foreign key would need a copy of the parent's
level and community on every grid, so a trigger says it, on SQLite and on PostgreSQL alike:

- a grid with a parent: the parent is another grid, with no parent of its own, in the same community;
- a grid that has second-level grids: it gets no parent, and keeps its children's community.

Each refusal is a constraint error (SQLite's RAISE(ABORT), PostgreSQL's check_violation), which Django raises as
IntegrityError; its text starts with ``grid_tree`` so that ``families.services`` can say it in the user's words.
``Grid.clean`` mirrors it for forms.

On PostgreSQL the check of the parent locks it FOR SHARE: a grid added under a first-level grid and that grid
moved to another community at the same time cannot both pass (one waits for the other, then sees it).
"""

from django.db import migrations

MESSAGE = "grid_tree: a second-level grid belongs to a first-level grid of its own community"

PARENT_IS_WRONG = """
    NEW.parent_id IS NOT NULL AND (
        NEW.parent_id = NEW.id
        OR NOT EXISTS (
            SELECT 1 FROM families_grid parent
            WHERE parent.id = NEW.parent_id AND parent.parent_id IS NULL AND parent.community_id = NEW.community_id
            {lock}
        )
    )
"""
CHILDREN_ARE_LEFT = """
    EXISTS (
        SELECT 1 FROM families_grid child
        WHERE child.parent_id = NEW.id AND child.id <> NEW.id
          AND (NEW.parent_id IS NOT NULL OR child.community_id <> NEW.community_id)
    )
"""

SQLITE = [
    f"""
    CREATE TRIGGER families_grid_tree_insert BEFORE INSERT ON families_grid
    FOR EACH ROW WHEN {PARENT_IS_WRONG.format(lock="")}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER families_grid_tree_update BEFORE UPDATE ON families_grid
    FOR EACH ROW WHEN {PARENT_IS_WRONG.format(lock="")} OR {CHILDREN_ARE_LEFT}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS families_grid_tree_insert",
    "DROP TRIGGER IF EXISTS families_grid_tree_update",
]

POSTGRESQL = [
    f"""
    CREATE FUNCTION families_grid_tree_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF {PARENT_IS_WRONG.format(lock="FOR SHARE")} THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
        END IF;
        IF TG_OP = 'UPDATE' AND {CHILDREN_ARE_LEFT} THEN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER families_grid_tree BEFORE INSERT OR UPDATE ON families_grid
    FOR EACH ROW EXECUTE FUNCTION families_grid_tree_check()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS families_grid_tree ON families_grid",
    "DROP FUNCTION IF EXISTS families_grid_tree_check()",
]


def _run(schema_editor, statements: dict) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def forwards(apps, schema_editor):
    Grid = apps.get_model("families", "Grid")
    broken = [
        grid.pk
        for grid in Grid.objects.filter(parent__isnull=False).select_related("parent")
        if grid.parent.parent_id is not None or grid.parent.community_id != grid.community_id
    ]
    if broken:
        raise RuntimeError(f"Grids {broken} are second-level grids outside a first-level grid of their community.")
    _run(schema_editor, {"sqlite": SQLITE, "postgresql": POSTGRESQL})


def backwards(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE})


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0012_grid_tree_constraints"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
